/*
 * harness.c - see harness.h.
 */
#include "harness.h"

#include "check.h"

#include "keys.h"
#include "sign.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static void *zctx;

uint64_t
wall_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
broker_init(struct broker *b, const char *exe, const char *extra_config) {
    char path[400];
    FILE *f;
    irbus_key *op;

    memset(b, 0, sizeof *b);
    b->exe = exe;
    snprintf(b->dir, sizeof b->dir, "%s/irb-itest-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(b->dir) == NULL) {
        return -1;
    }
    snprintf(b->data, sizeof b->data, "%s/data", b->dir);
    snprintf(b->endpoint, sizeof b->endpoint, "ipc://%s/sock", b->dir);
    snprintf(b->config, sizeof b->config, "%s/irbusd.conf", b->dir);
    op = make_key(b, "op", 0xa0);
    if (op == NULL) {
        return -1;
    }
    irbus_key_destroy(&op);
    f = fopen(b->config, "w");
    if (f == NULL) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/op.pub", b->dir);
    fprintf(f, "listen = %s\ndata = %s\nadmin_key = %s\nlog_level = warn\n%s\n", b->endpoint,
            b->data, path, extra_config ? extra_config : "");
    return fclose(f) == 0 ? 0 : -1;
}

int
broker_start(struct broker *b) {
    char keypath[400], log[400];
    pid_t pid;

    snprintf(log, sizeof log, "%s/irbusd.log", b->dir);
    /* A socket file left by the previous broker would pass for this one's. */
    snprintf(keypath, sizeof keypath, "%s/sock", b->dir);
    (void)unlink(keypath);
    fflush(stdout); /* or the child's freopen writes our buffer a second time */
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        /* The broker dies with the test (the thread that started it), even
         * when the test crashes or ctest kills it at its timeout. */
        FILE *o;
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        o = freopen(log, "a", stderr);
        FILE *s = freopen("/dev/null", "w", stdout);
        (void)o;
        (void)s;
        execl(b->exe, b->exe, "-c", b->config, (char *)NULL);
        _exit(127);
    }
    b->pid = pid;
    b->exited = -1;
    snprintf(keypath, sizeof keypath, "%s/broker.key.pub", b->data);
    for (int i = 0; i < 200; i++) {
        struct stat st;
        char sock[340];
        int status;
        snprintf(sock, sizeof sock, "%s/sock", b->dir);
        if (waitpid(pid, &status, WNOHANG) == pid) {
            b->pid = 0;
            b->exited = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return -1;
        }
        if (stat(keypath, &st) == 0 && stat(sock, &st) == 0 &&
            irbus_pubkey_load(keypath, b->pk) == 0) {
            return 0;
        }
        usleep(25000);
    }
    return -1;
}

int
broker_wait_exit(struct broker *b, int timeout_ms) {
    int status;

    for (int waited = 0; b->pid > 0 && waited <= timeout_ms; waited += 10) {
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            b->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    return -1;
}

int
broker_alive(struct broker *b) {
    int status;

    if (b->pid <= 0) {
        return 0;
    }
    if (waitpid(b->pid, &status, WNOHANG) != b->pid) {
        return 1;
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "irbusd (pid %d) was killed by signal %d; its log: %s/irbusd.log\n",
                (int)b->pid, WTERMSIG(status), b->dir);
    } else {
        fprintf(stderr, "irbusd (pid %d) exited with status %d; its log: %s/irbusd.log\n",
                (int)b->pid, WEXITSTATUS(status), b->dir);
    }
    b->pid = 0;
    return 0;
}

void
broker_stop(struct broker *b, int sig) {
    int status;

    if (b->pid > 0) {
        kill(b->pid, sig);
        waitpid(b->pid, &status, 0);
        b->pid = 0;
    }
}

long
broker_status_kib(const struct broker *b, const char *field) {
    char path[64];

    if (b->pid <= 0) {
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/status", (int)b->pid);
    return check_status_kib(path, field);
}

int
harness_begin(struct broker *b, int argc, char **argv, const char *extra_config) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s IRBUSD\n", argv[0]);
        return 64;
    }
    CHECK_EQ(irbus_init(), 0);
    CHECK_EQ(broker_init(b, argv[1], extra_config), 0);
    CHECK_EQ(broker_start(b), 0);
    return 0;
}

/* A sanitizer report in the broker's log is a failure of the test that
 * ran it: the broker's stderr goes to that log, not to ctest. */
static void
check_broker_log(const struct broker *b) {
    char path[400], line[512];
    FILE *f;
    int reports = 0;

    snprintf(path, sizeof path, "%s/irbusd.log", b->dir);
    if ((f = fopen(path, "r")) == NULL) {
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "Sanitizer") != NULL || strstr(line, "runtime error:") != NULL) {
            fprintf(stderr, "irbusd: %s", line);
            reports++;
        }
    }
    fclose(f);
    CHECK_EQ(reports, 0);
}

void
broker_cleanup(struct broker *b) {
    char cmd[400];

    broker_stop(b, SIGTERM);
    check_broker_log(b);
    if (getenv("IRB_KEEP") == NULL && b->dir[0] != 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "cannot remove %s\n", b->dir);
        }
    }
}

irbus_key *
make_key(struct broker *b, const char *name, uint8_t seed) {
    uint8_t s[32];
    irbus_key *k = NULL;
    char path[400], pub[420];

    memset(s, seed, sizeof s);
    if (irbus_key_from_seed(s, &k) != 0) {
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", b->dir, name);
    snprintf(pub, sizeof pub, "%s.pub", path);
    if (access(path, F_OK) != 0 && irbus_key_save(k, path, name) != 0) {
        irbus_key_destroy(&k);
    }
    return k;
}

irbus_client *
connect_as(struct broker *b, irbus_key *k) {
    irbus_client *c = NULL;

    if (irbus_client_new(k, b->endpoint, b->pk, &c) != 0) {
        return NULL;
    }
    irbus_client_set_timeout(c, 3000);
    return c;
}

int
roster_setup(struct broker *b, irbus_key *op, const char *org, const char *name, size_t n,
             const char *const ids[], irbus_key *const keys[]) {
    irbus_client *c = connect_as(b, op);
    int rc = c != NULL ? irbus_admin_org_add(c, org, "entity", name, NULL) : IRBUS_EIO;

    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = irbus_admin_participant_add(c, ids[i], org, irbus_key_public(keys[i]), 0, NULL, NULL);
    }
    irbus_client_destroy(&c);
    return rc;
}

void *
raw_connect(struct broker *b, irbus_key *k) {
    static const struct raw_opts defaults = {0, 0, 0};

    return raw_connect_opts(b, k, &defaults);
}

static int
set_int(void *s, int opt, int value) {
    return value > 0 ? zmq_setsockopt(s, opt, &value, sizeof value) : 0;
}

void *
raw_connect_opts(struct broker *b, irbus_key *k, const struct raw_opts *o) {
    uint8_t spk[32], cpk[32], *csk = sodium_malloc(32);
    int linger = 0;
    void *s;

    if (zctx == NULL) {
        zctx = zmq_ctx_new();
    }
    s = zmq_socket(zctx, ZMQ_DEALER);
    if (s == NULL || csk == NULL || irb_key_curve_public(b->pk, spk) != 0 ||
        irb_key_curve_public(irbus_key_public(k), cpk) != 0 || irb_key_curve_secret(k, csk) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, spk, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cpk, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, csk, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        set_int(s, ZMQ_RCVHWM, o->rcvhwm) != 0 ||
        set_int(s, ZMQ_HEARTBEAT_IVL, o->heartbeat_ivl_ms) != 0 ||
        set_int(s, ZMQ_HEARTBEAT_TIMEOUT, o->heartbeat_timeout_ms) != 0 ||
        zmq_connect(s, b->endpoint) != 0) {
        sodium_free(csk);
        return NULL;
    }
    sodium_free(csk);
    return s;
}

void
raw_close(void *s) {
    if (s != NULL) {
        zmq_close(s);
    }
}

int
raw_call(void *s, const uint8_t *bytes, size_t len, uint8_t *buf, size_t cap, struct irb_frame *f,
         int timeout_ms) {
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    int n;

    if (bytes != NULL && zmq_send(s, bytes, len, 0) < 0) {
        return -1;
    }
    if (zmq_poll(&it, 1, timeout_ms) <= 0) {
        return -1;
    }
    n = zmq_recv(s, buf, cap, 0);
    if (n < 0 || (size_t)n > cap) {
        return -1;
    }
    return irb_wire_decode(buf, (size_t)n, f) == 0 ? 0 : -1;
}

/* Encode a GREEN text/plain message envelope into out; returns its length
 * or a negative code. */
static long
encode_text_env(const uint8_t sender[32], const char *incident, const char *channel,
                const char *text, uint64_t seq, uint64_t ts, uint8_t *out, size_t cap) {
    static struct irb_env e;

    memset(&e, 0, sizeof e);
    e.v = 1;
    e.kind = IRB_K_MSG;
    e.incident = (irb_str){incident, strlen(incident)};
    e.channel = (uint8_t)irb_channel_from_name(channel, strlen(channel));
    e.tlp = IRB_TLP_GREEN;
    e.sender = (irb_bin){sender, 32};
    e.seq = seq;
    e.ts = ts;
    e.ctype = (irb_str){"text/plain", 10};
    e.payload = (irb_bin){(const uint8_t *)text, strlen(text)};
    return irb_wire_encode_env(&e, out, cap);
}

size_t
build_publish(irbus_key *signer, const uint8_t sender[32], const char *incident,
              const char *channel, const char *text, uint64_t seq, uint64_t ts, uint8_t *out,
              size_t cap) {
    static struct irb_frame f;
    uint8_t env[4096], sig[64];
    long el, n;

    el = encode_text_env(sender, incident, channel, text, seq, ts, env, sizeof env);
    if (el < 0 || irb_sign(signer, IRB_DOMAIN_ENVELOPE, env, (size_t)el, sig) != 0) {
        return 0;
    }
    memset(&f, 0, sizeof f);
    f.v = 1;
    f.t = IRB_T_PUBLISH;
    f.id = seq;
    f.env = (irb_bin){env, (size_t)el};
    f.sig = (irb_bin){sig, 64};
    n = irb_wire_encode(&f, out, cap);
    return n > 0 ? (size_t)n : 0;
}

int
build_batch(irbus_key *signer, const uint8_t sender[32], const char *incident, const char *channel,
            const char *text, size_t n, uint64_t seq, uint64_t ts, uint8_t *out, size_t cap,
            size_t *len) {
    static struct irb_frame f;
    static struct irb_batch tree;
    uint8_t env[16][1024], d[16 * 32], sig[64], proof[IRB_PROOF_MAX];
    char body[16][128];
    size_t el[16];

    if (n < 2 || n > 16) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long l;
        snprintf(body[i], sizeof body[i], "%s %zu", text, i);
        l = encode_text_env(sender, incident, channel, body[i], seq + i, ts, env[i], sizeof env[i]);
        if (l < 0) {
            return -1;
        }
        el[i] = (size_t)l;
        irb_digest(IRB_DOMAIN_ENVELOPE, env[i], el[i], d + 32 * i);
    }
    if (irb_batch_build(&tree, d, NULL, n) != 0 || irb_sign_digest(signer, tree.digest, sig) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long l;
        memset(&f, 0, sizeof f);
        f.v = 1;
        f.t = IRB_T_PUBLISH;
        f.id = seq + i;
        f.env = (irb_bin){env[i], el[i]};
        f.sig = (irb_bin){sig, 64};
        f.proof = (irb_bin){proof, irb_batch_proof(&tree, i, proof)};
        f.present = IRB_BIT(IRB_FI_PROOF);
        if ((l = irb_wire_encode(&f, out + i * cap, cap)) < 0) {
            return -1;
        }
        len[i] = (size_t)l;
    }
    return 0;
}
