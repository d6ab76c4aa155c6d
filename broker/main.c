/*
 * main.c - irbusd: read the configuration, take the data directory's lock,
 * load or create the broker key, open and recover the store, start the ZAP
 * handler, bind the CURVE ROUTER socket, and run the loop until SIGTERM or
 * SIGINT. Only main decides that something is fatal.
 *
 * Exit codes: 0 clean shutdown, 64 usage, 70 internal failure, 71 the store
 * or a key cannot be opened or created, 73 the data directory is in use,
 * 74 a commit or fsync failed (stopped so nothing unacknowledged is lost),
 * 78 configuration error.
 */
#include "irbus.h"
#include "keys.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void
usage(FILE *out) {
    fprintf(out,
            "usage: irbusd [-c FILE] [--listen ENDPOINT] [--data DIR] [--admin-key FILE.pub]\n"
            "              [--log-level debug|info|warn|error]\n"
            "  Runs the irbus broker. Without options: listens on " IRB_DEFAULT_LISTEN ", keeps\n"
            "  its data in ./" IRB_DEFAULT_DATA
            ", creates its key on first start, and takes operator\n"
            "  keys from --admin-key, admin_key lines of the config, or DIR/admin.pub.\n"
            "  See irbusd(8).\n");
}

static int
path_join(char *out, size_t cap, const char *dir, const char *name) {
    return snprintf(out, cap, "%s/%s", dir, name) < (int)cap ? 0 : -1;
}

/* Load the broker key, or create it on first start. */
static int
broker_key(struct irb_config *c, irbus_key **key, char *pubpath, size_t cap) {
    char path[IRB_CONFIG_PATH_MAX + 32];
    struct stat st;
    int rc;

    if (c->key[0] != 0) {
        snprintf(path, sizeof path, "%s", c->key);
    } else if (path_join(path, sizeof path, c->data, "broker.key") != 0) {
        return IRBUS_EINVAL;
    }
    if (snprintf(pubpath, cap, "%s.pub", path) >= (int)cap) {
        return IRBUS_EINVAL;
    }
    if (stat(path, &st) != 0 && errno == ENOENT) {
        if ((rc = irbus_key_generate(key)) != 0 ||
            (rc = irbus_key_save(*key, path, "irbusd")) != 0) {
            fprintf(stderr, "irbusd: cannot create the broker key %s: %s\n", path,
                    irbus_strerror(rc));
            return rc;
        }
        irb_info("broker_key_created path=%s", path);
        return 0;
    }
    if ((rc = irbus_key_load(path, key)) != 0) {
        fprintf(stderr, "irbusd: cannot load the broker key %s: %s%s\n", path, irbus_strerror(rc),
                rc == IRBUS_EKEYPERM ? " (chmod 600 it)" : "");
    }
    return rc;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int
mkdir_parents(const char *dir) {
    char path[IRB_CONFIG_PATH_MAX];

    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p != 0; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static int
add_admin(struct irb_broker *b, const char *path) {
    uint8_t pk[32];
    char fp[IRBUS_FINGERPRINT_SIZE];
    int rc = irbus_pubkey_load(path, pk);

    if (rc == 0) {
        rc = irb_roster_add_admin(&b->roster, pk);
    }
    if (rc != 0) {
        fprintf(stderr, "irbusd: operator key %s: %s\n", path, irbus_strerror(rc));
        return rc;
    }
    irbus_fingerprint(pk, fp);
    irb_info("operator_key path=%s fingerprint=%s", path, fp);
    return 0;
}

static int
setup_socket(struct irb_broker *b) {
    uint8_t *csk = sodium_malloc(32);
    int one = 1, zero = 0, hs = 5000, hb = 10000, hbt = 30000, hwm = IRB_CONN_SNDHWM, rc = -1;
    int64_t maxmsg = IRB_MAX_FRAME + 1024;

    (void)zero;
    b->router = zmq_socket(b->zctx, ZMQ_ROUTER);
    if (b->router == NULL || csk == NULL || irb_key_curve_secret(b->key, csk) != 0) {
        goto out;
    }
    if (zmq_setsockopt(b->router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(b->router, ZMQ_CURVE_SECRETKEY, csk, 32) != 0 ||
        zmq_setsockopt(b->router, ZMQ_ZAP_DOMAIN, "irbus", 5) != 0 ||
        zmq_setsockopt(b->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_setsockopt(b->router, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs) != 0 ||
        zmq_setsockopt(b->router, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb) != 0 ||
        zmq_setsockopt(b->router, ZMQ_HEARTBEAT_TIMEOUT, &hbt, sizeof hbt) != 0 ||
        zmq_setsockopt(b->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(b->router, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(b->router, ZMQ_LINGER, &hs, sizeof hs) != 0) {
        goto out;
    }
    if (zmq_bind(b->router, b->cfg.listen) != 0) {
        fprintf(stderr, "irbusd: cannot listen on %s: %s\n", b->cfg.listen, zmq_strerror(errno));
        goto out;
    }
    rc = 0;
out:
    sodium_free(csk);
    return rc;
}

int
main(int argc, char **argv) {
    static struct irb_broker b;
    static struct irb_env env;
    const char *config = NULL, *listen = NULL, *data = NULL, *level = NULL;
    const char *admin_cli[IRB_CONFIG_MAX_ADMINS];
    size_t nadmin_cli = 0;
    char err[1024], path[IRB_CONFIG_PATH_MAX + 32], pubpath[IRB_CONFIG_PATH_MAX + 64];
    char fp[IRBUS_FINGERPRINT_SIZE];
    struct sigaction sa;
    struct stat st;
    int lockfd = -1, rc, status = 70;

#ifdef __GLIBC__
    /* Every delivery allocates and frees buffers of kilobytes to a few
     * hundred (ZeroMQ's messages, CURVE's boxes, a deliver frame of up to
     * 256 KiB). By default glibc gives the largest their own mappings and
     * hands freed heap tops back to the kernel, so the same memory was
     * faulted in again and again: about a sixth of the broker's CPU in a
     * fan-out of 4 KiB messages to 16 subscribers (tests/bench). Keep
     * blocks up to 2 MiB (a publish frame is at most 1 MiB and a bit) in the
     * heap, and keep up to 16 MiB of free heap top. */
    mallopt(M_MMAP_THRESHOLD, 2 << 20);
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("irbusd 0.1.0 (protocol %d)\n", IRBUS_PROTOCOL_VERSION);
            return 0;
        }
        if (v == NULL) {
            usage(stderr);
            return 64;
        }
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            config = v;
        } else if (strcmp(a, "--listen") == 0) {
            listen = v;
        } else if (strcmp(a, "--data") == 0) {
            data = v;
        } else if (strcmp(a, "--log-level") == 0) {
            level = v;
        } else if (strcmp(a, "--admin-key") == 0) {
            if (nadmin_cli == IRB_CONFIG_MAX_ADMINS) {
                fprintf(stderr, "irbusd: at most %d --admin-key options\n", IRB_CONFIG_MAX_ADMINS);
                return 64;
            }
            admin_cli[nadmin_cli++] = v;
        } else {
            fprintf(stderr, "irbusd: unknown option %s\n", a);
            usage(stderr);
            return 64;
        }
        i++;
    }
    if (irbus_init() != 0) {
        fprintf(stderr, "irbusd: libsodium failed to initialise\n");
        return 70;
    }
    if (!zmq_has("curve")) {
        fprintf(stderr, "irbusd: this libzmq has no CURVE support; refusing to run unencrypted\n");
        return 70;
    }
    irb_config_defaults(&b.cfg);
    if (config != NULL && irb_config_load(config, &b.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "irbusd: %s\n", err);
        return 78;
    }
    if (listen != NULL && strncmp(listen, "tcp://", 6) != 0 && strncmp(listen, "ipc://", 6) != 0) {
        fprintf(stderr, "irbusd: --listen needs a ZeroMQ endpoint such as tcp://127.0.0.1:7400 "
                        "or ipc:///run/irbus/irbusd.sock\n");
        return 64;
    }
    if ((listen &&
         snprintf(b.cfg.listen, sizeof b.cfg.listen, "%s", listen) >= (int)sizeof b.cfg.listen) ||
        (data && snprintf(b.cfg.data, sizeof b.cfg.data, "%s", data) >= (int)sizeof b.cfg.data)) {
        fprintf(stderr, "irbusd: --listen or --data too long\n");
        return 64;
    }
    if (level != NULL) {
        if ((b.cfg.log_level = irb_log_level_from_name(level)) < 0) {
            fprintf(stderr, "irbusd: --log-level is debug, info, warn or error\n");
            return 64;
        }
    }
    irb_log_set_level((enum irb_log_level)b.cfg.log_level);

    /* The data directory, and its lock: one broker per directory. */
    if (mkdir_parents(b.cfg.data) != 0) {
        fprintf(stderr, "irbusd: cannot create %s: %s\n", b.cfg.data, strerror(errno));
        return 71;
    }
    if (path_join(path, sizeof path, b.cfg.data, "irbusd.lock") != 0 ||
        (lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        fprintf(stderr, "irbusd: cannot open %s: %s\n", path, strerror(errno));
        return 71;
    }
    if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "irbusd: another irbusd is already running on %s; stop it or use --data\n",
                b.cfg.data);
        return 73;
    }
    if (broker_key(&b.cfg, &b.key, pubpath, sizeof pubpath) != 0) {
        return 71;
    }
    irbus_fingerprint(irbus_key_public(b.key), fp);

    if (irb_roster_init(&b.roster) != 0) {
        return 70;
    }
    for (size_t i = 0; i < b.cfg.nadmin; i++) {
        if (add_admin(&b, b.cfg.admin_keys[i]) != 0) {
            return 78;
        }
    }
    for (size_t i = 0; i < nadmin_cli; i++) {
        if (add_admin(&b, admin_cli[i]) != 0) {
            return 64;
        }
    }
    if (path_join(path, sizeof path, b.cfg.data, "admin.pub") == 0 && stat(path, &st) == 0 &&
        add_admin(&b, path) != 0) {
        return 78;
    }
    if (b.roster.nadmins == 0) {
        irb_warn("no_operator_key hint=\"pass --admin-key FILE.pub or put it in %s/admin.pub\"",
                 b.cfg.data);
    }

    if (path_join(path, sizeof path, b.cfg.data, "store") != 0 ||
        (mkdir(path, 0700) != 0 && errno != EEXIST)) {
        fprintf(stderr, "irbusd: cannot create %s: %s\n", path, strerror(errno));
        return 71;
    }
    if ((rc = irb_store_open(path, b.cfg.mapsize, &b.store, err, sizeof err)) != 0) {
        fprintf(stderr, "irbusd: %s\n", err);
        return 71;
    }
    b.e = &env;
    b.out = malloc(IRB_MAX_FRAME);
    if (b.out == NULL) {
        return 70;
    }
    if (irb_broker_recover(&b) != 0) {
        fprintf(stderr, "irbusd: the system log does not verify; refusing to start\n");
        return 71;
    }

    b.zctx = zmq_ctx_new();
    if (b.zctx == NULL || irb_zap_start(&b.zap, b.zctx, &b.roster) != 0) {
        fprintf(stderr, "irbusd: cannot start the ZAP handler\n");
        return 70;
    }
    if (setup_socket(&b) != 0) {
        status = 71;
        goto shutdown;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    b.stop = &stop_flag;

    printf("irbusd listening on %s\nbroker fingerprint %s\nbroker public key %s\n", b.cfg.listen,
           fp, pubpath);
    fflush(stdout);
    irb_info("started listen=%s data=%s fingerprint=%s", b.cfg.listen, b.cfg.data, fp);

    rc = irb_broker_run(&b);
    status = rc == 0 ? 0 : rc == IRBUS_EIO ? 74 : 70;
    irb_info("stopping status=%d", status);
shutdown:
    if (b.router != NULL) {
        zmq_close(b.router);
    }
    irb_zap_stop(&b.zap);
    zmq_ctx_shutdown(b.zctx);
    irb_zap_join(&b.zap);
    zmq_ctx_term(b.zctx);
    irb_store_close(&b.store);
    for (size_t i = 0; i < b.nconns; i++) {
        free(b.conns[i]);
    }
    free(b.conns);
    free(b.out);
    irb_incidents_fini(&b.incidents);
    irb_roster_fini(&b.roster);
    irbus_key_destroy(&b.key);
    close(lockfd);
    return status;
}
