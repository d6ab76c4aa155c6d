/*
 * ceiling.c - the machine's ceiling for irbus, measured in the same run as
 * the load: the cost of each cryptographic operation irbus performs per
 * message (at each payload size) and the durable commit rate of LMDB with
 * group commit, on the filesystem that holds the brokers' data. From those
 * it prints the message rate the machine could sustain if irbus did only
 * that work.
 *
 * Beside it, the transport floor: a bare ZeroMQ CURVE DEALER/ROUTER echo
 * over loopback TCP, 128 messages in flight (IRBUS_PIPELINE_MAX), no
 * signature, no store. Its CPU per round trip, less the four CURVE boxes
 * already counted, is what moving a message costs before irbus does
 * anything; the implied rate with it added says what the machine could
 * sustain doing irbus's crypto and only the transport it runs on.
 *
 * Output: CSV lines "ceiling,<metric>,<size>,<value>,<unit>" on stdout,
 * one per measurement; run.sh files them beside the load results.
 *
 * Usage: ceiling [-d DIR] [-t SECONDS_PER_OP] [-s SIZES] [-n FANOUT]
 *   DIR      where the LMDB probe lives (a fresh subdirectory, removed after)
 *   SIZES    comma-separated payload sizes (default 256,4096,65536)
 *   FANOUT   subscribers per message for the implied rate (default 1)
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_SIZES 8

static double
now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum op { OP_SIGN, OP_VERIFY, OP_SIGN32, OP_VERIFY32, OP_BLAKE2B, OP_BOX, OP_NODE };

static const char *const op_names[] = {
    "ed25519_sign", "ed25519_verify",   "ed25519_sign_digest", "ed25519_verify_digest",
    "blake2b_256",  "box_easy_afternm", "blake2b_node"};

/* The batch of a pipelined publisher (IRBUS_SIGN_BATCH_MAX) and the levels
 * of its tree: the nodes a proof walks. */
#define SIGN_BATCH 64
#define LEVELS     6

/* Microseconds per operation, timed for about `secs` seconds. */
static double
time_op(enum op op, size_t size, double secs) {
    static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    static uint8_t bpk[crypto_box_PUBLICKEYBYTES], bsk[crypto_box_SECRETKEYBYTES];
    static uint8_t k[crypto_box_BEFORENMBYTES], nonce[crypto_box_NONCEBYTES];
    static int keys;
    uint8_t sig[crypto_sign_BYTES], digest[32];
    uint8_t *m = malloc(size), *c = malloc(size + crypto_box_MACBYTES);
    unsigned long n = 0, batch = 1;
    double t0, el = 0;
    volatile int sink = 0;

    if (m == NULL || c == NULL) {
        free(m);
        free(c);
        return -1;
    }
    if (!keys) {
        crypto_sign_keypair(pk, sk);
        crypto_box_keypair(bpk, bsk);
        if (crypto_box_beforenm(k, bpk, bsk) != 0) {
            return -1;
        }
        keys = 1;
    }
    randombytes_buf(m, size);
    randombytes_buf(nonce, sizeof nonce);
    crypto_generichash(digest, sizeof digest, m, size, NULL, 0);
    crypto_sign_detached(sig, NULL, op == OP_VERIFY ? m : digest, op == OP_VERIFY ? size : 32, sk);
    t0 = now_s();
    while (el < secs) {
        for (unsigned long i = 0; i < batch; i++) {
            switch (op) {
            case OP_SIGN:
                crypto_sign_detached(sig, NULL, m, size, sk);
                break;
            case OP_VERIFY:
                sink += crypto_sign_verify_detached(sig, m, size, pk);
                break;
            case OP_SIGN32:
                crypto_sign_detached(sig, NULL, digest, 32, sk);
                break;
            case OP_VERIFY32:
                sink += crypto_sign_verify_detached(sig, digest, 32, pk);
                break;
            case OP_BLAKE2B:
                crypto_generichash(digest, sizeof digest, m, size, NULL, 0);
                break;
            case OP_BOX:
                sink += crypto_box_easy_afternm(c, m, size, nonce, k);
                break;
            case OP_NODE: /* one node of a batch tree: 64 bytes, whatever the size */
                crypto_generichash(digest, sizeof digest, m, size < 64 ? size : 64, NULL, 0);
                break;
            }
        }
        n += batch;
        el = now_s() - t0;
        if (batch < 1024) {
            batch *= 2;
        }
    }
    (void)sink;
    free(m);
    free(c);
    return el * 1e6 / (double)n;
}

/* Durable commits per second with `per` puts of `size` bytes in each
 * transaction (MDB_APPEND, default sync: fdatasync per commit). Returns
 * messages/s; *bytes_per_msg gets the file size divided by the count. */
static double
lmdb_rate(const char *dir, size_t size, unsigned per, double secs, double *commits_s,
          double *bytes_per_msg) {
    MDB_env *env = NULL;
    MDB_dbi dbi;
    MDB_txn *txn;
    uint8_t *val = malloc(size);
    uint64_t key = 0;
    unsigned long commits = 0;
    double t0, el = 0, rate = -1;
    char path[600];
    struct stat st;

    if (val == NULL) {
        return -1;
    }
    randombytes_buf(val, size);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, (size_t)4 << 30) != 0 ||
        mdb_env_open(env, dir, 0, 0600) != 0) {
        goto out;
    }
    if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_dbi_open(txn, NULL, 0, &dbi) != 0 ||
        mdb_txn_commit(txn) != 0) {
        goto out;
    }
    t0 = now_s();
    while (el < secs) {
        if (mdb_txn_begin(env, NULL, 0, &txn) != 0) {
            goto out;
        }
        for (unsigned i = 0; i < per; i++) {
            uint8_t kb[8];
            MDB_val k = {sizeof kb, kb}, v = {size, val};
            key++;
            for (int j = 0; j < 8; j++) {
                kb[j] = (uint8_t)(key >> (56 - 8 * j));
            }
            if (mdb_put(txn, dbi, &k, &v, MDB_APPEND) != 0) {
                mdb_txn_abort(txn);
                goto out;
            }
        }
        if (mdb_txn_commit(txn) != 0) {
            goto out;
        }
        commits++;
        el = now_s() - t0;
    }
    rate = (double)key / el;
    *commits_s = (double)commits / el;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    *bytes_per_msg = stat(path, &st) == 0 ? (double)st.st_blocks * 512.0 / (double)key : 0;
out:
    if (env != NULL) {
        mdb_env_close(env);
    }
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    free(val);
    return rate;
}

/* ---- the transport floor ------------------------------------------------ */

#define ECHO_WINDOW 128 /* IRBUS_PIPELINE_MAX */

/* The echo side: a CURVE ROUTER that sends every message back to its
 * sender, until an empty one, which it echoes too and stops. */
static void *
echo_main(void *arg) {
    void *router = arg;
    zmq_msg_t id, body;
    size_t n;

    zmq_msg_init(&id);
    zmq_msg_init(&body);
    do {
        if (zmq_msg_recv(&id, router, 0) < 0 || zmq_msg_recv(&body, router, 0) < 0) {
            break;
        }
        n = zmq_msg_size(&body);
        if (zmq_msg_send(&id, router, ZMQ_SNDMORE) < 0 || zmq_msg_send(&body, router, 0) < 0) {
            break;
        }
    } while (n > 0);
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return NULL;
}

static double
cpu_us(void) {
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Round trips per second of `size`-byte messages through a CURVE DEALER
 * and ROUTER in two ZeroMQ contexts (two I/O threads, as two processes
 * would have), ECHO_WINDOW in flight; *cpu gets this process's CPU
 * microseconds per round trip, both sides and their I/O threads. Returns
 * -1 when a socket cannot be set up. */
static double
curve_echo(size_t size, double secs, double *cpu) {
    char spub[41], ssec[41], cpub[41], csec[41], ep[128];
    size_t eplen = sizeof ep;
    void *sctx = zmq_ctx_new(), *cctx = zmq_ctx_new(), *router = NULL, *dealer = NULL;
    uint8_t *buf = malloc(size);
    int one = 1, linger = 0, timeout = 10000, started = 0, r;
    unsigned long n = 0, out = 0;
    double rate = -1, t0, el = 0, c0;
    pthread_t th;

    if (sctx == NULL || cctx == NULL || buf == NULL || zmq_curve_keypair(spub, ssec) != 0 ||
        zmq_curve_keypair(cpub, csec) != 0 || (router = zmq_socket(sctx, ZMQ_ROUTER)) == NULL ||
        (dealer = zmq_socket(cctx, ZMQ_DEALER)) == NULL ||
        zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, ssec, 40) != 0 ||
        zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(router, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0 ||
        zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, spub, 40) != 0 ||
        zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, cpub, 40) != 0 ||
        zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, csec, 40) != 0 ||
        zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        zmq_connect(dealer, ep) != 0 || pthread_create(&th, NULL, echo_main, router) != 0) {
        goto out;
    }
    started = 1;
    randombytes_buf(buf, size);
    /* the handshake, before the clock starts */
    if (zmq_send(dealer, buf, size, 0) < 0 || zmq_recv(dealer, buf, size, 0) < 0) {
        goto stop;
    }
    c0 = cpu_us();
    t0 = now_s();
    for (; out < ECHO_WINDOW; out++) {
        if (zmq_send(dealer, buf, size, 0) < 0) {
            goto stop;
        }
    }
    while (out > 0) {
        if (zmq_recv(dealer, buf, size, 0) < 0) {
            goto stop;
        }
        n++;
        out--;
        if (el < secs) {
            if (zmq_send(dealer, buf, size, 0) < 0) {
                goto stop;
            }
            out++;
            el = now_s() - t0;
        }
    }
    el = now_s() - t0;
    *cpu = (cpu_us() - c0) / (double)n;
    rate = (double)n / el;
stop:
    /* The echo stops after an empty message; what is still in flight comes
     * back before it. A timeout or error ends the echo's blocking calls. */
    r = zmq_send(dealer, "", 0, 0);
    while (r >= 0 && (r = zmq_recv(dealer, buf, size, 0)) > 0) {
    }
    if (r < 0) {
        rate = -1;
        zmq_ctx_shutdown(sctx);
    }
out:
    if (started) {
        pthread_join(th, NULL);
    }
    if (dealer != NULL) {
        zmq_close(dealer);
    }
    if (router != NULL) {
        zmq_close(router);
    }
    if (cctx != NULL) {
        zmq_ctx_term(cctx);
    }
    if (sctx != NULL) {
        zmq_ctx_term(sctx);
    }
    free(buf);
    return rate;
}

_Noreturn static void
usage(void) {
    fprintf(stderr, "usage: ceiling [-d DIR] [-t SECONDS] [-s SIZES] [-n FANOUT]\n");
    exit(2);
}

int
main(int argc, char **argv) {
    const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    double secs = 0.5, us[MAX_SIZES][OP_NODE + 1], echo_us[MAX_SIZES];
    size_t sizes[MAX_SIZES] = {256, 4096, 65536}, nsizes = 3;
    unsigned fanout = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    static const unsigned per_commit[] = {1, 16, 128};
    char dir[512];
    int opt;

    while ((opt = getopt(argc, argv, "d:t:s:n:")) != -1) {
        switch (opt) {
        case 'd':
            base = optarg;
            break;
        case 't':
            secs = atof(optarg);
            break;
        case 's': {
            char *s = optarg, *end;
            nsizes = 0;
            while (*s != 0 && nsizes < MAX_SIZES) {
                unsigned long v = strtoul(s, &end, 10);
                if (end == s || v == 0) {
                    usage();
                }
                sizes[nsizes++] = (size_t)v;
                s = *end == ',' ? end + 1 : end;
            }
            break;
        }
        case 'n':
            fanout = (unsigned)atoi(optarg);
            break;
        default:
            usage();
        }
    }
    if (secs <= 0 || nsizes == 0 || fanout < 1) {
        usage();
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "ceiling: sodium_init failed\n");
        return 1;
    }
    if (ncpu < 1) {
        ncpu = 1;
    }
    snprintf(dir, sizeof dir, "%s/irb-ceiling-XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "ceiling: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    printf("ceiling,cpus,0,%ld,count\n", ncpu);
    for (size_t i = 0; i < nsizes; i++) {
        for (int op = OP_SIGN; op <= OP_NODE; op++) {
            us[i][op] = time_op((enum op)op, sizes[i], secs);
            printf("ceiling,%s,%zu,%.3f,us\n", op_names[op], sizes[i], us[i][op]);
        }
    }
    for (size_t i = 0; i < nsizes; i++) {
        double rt = curve_echo(sizes[i], secs * 2, &echo_us[i]);
        if (rt < 0) {
            fprintf(stderr, "ceiling: the CURVE echo failed at %zu bytes\n", sizes[i]);
            return 1;
        }
        printf("ceiling,curve_echo_round_trips_per_s,%zu,%.0f,msg/s\n", sizes[i], rt);
        printf("ceiling,curve_echo_cpu_per_round_trip,%zu,%.3f,us\n", sizes[i], echo_us[i]);
    }
    for (size_t i = 0; i < nsizes; i++) {
        for (size_t j = 0; j < sizeof per_commit / sizeof per_commit[0]; j++) {
            double commits = 0, bpm = 0;
            double r = lmdb_rate(dir, sizes[i], per_commit[j], secs * 2, &commits, &bpm);
            printf("ceiling,lmdb_msgs_per_s_batch%u,%zu,%.0f,msg/s\n", per_commit[j], sizes[i], r);
            printf("ceiling,lmdb_commits_per_s_batch%u,%zu,%.0f,commit/s\n", per_commit[j],
                   sizes[i], commits);
            printf("ceiling,lmdb_disk_bytes_per_msg_batch%u,%zu,%.0f,B\n", per_commit[j], sizes[i],
                   bpm);
        }
    }
    /*
     * What irbus does per published message with `fanout` verifying
     * subscribers (client/sign.c, broker/loop.c): the publisher hashes the
     * envelope and signs the 32-byte digest; the broker hashes and verifies,
     * then signs a receipt; the publisher verifies the receipt; each
     * subscriber hashes and verifies. CURVE seals and opens the payload once
     * on the way in and once per subscriber on the way out (box: the same
     * cost either way, to first order).
     */
    for (size_t i = 0; i < nsizes; i++) {
        double sign = us[i][OP_SIGN32], verify = us[i][OP_VERIFY32], hash = us[i][OP_BLAKE2B];
        double box = us[i][OP_BOX], n = fanout;
        double whole = 2 * sign + (2 + n) * verify + (2 + n) * hash + (2 + 2 * n) * box;
        double broker = hash + verify + sign + (1 + n) * box;
        printf("ceiling,implied_box_msgs_per_s_fanout%u,%zu,%.0f,msg/s\n", fanout, sizes[i],
               (double)ncpu * 1e6 / whole);
        printf("ceiling,implied_broker_thread_msgs_per_s_fanout%u,%zu,%.0f,msg/s\n", fanout,
               sizes[i], 1e6 / broker);
    }
    /*
     * The same with batch signatures (schema/protocol.md 7.6), full batches
     * of SIGN_BATCH: one publisher signature and one broker signature per
     * batch, one verification per batch by the broker, the publisher (its
     * receipts) and each subscriber; per message, the envelope hashes as
     * before, a leaf and a node of each tree built (publisher's, broker's
     * receipts') and a leaf and a walk of LEVELS nodes by each verifier.
     */
    for (size_t i = 0; i < nsizes; i++) {
        double sign = us[i][OP_SIGN32], verify = us[i][OP_VERIFY32], hash = us[i][OP_BLAKE2B];
        double box = us[i][OP_BOX], node = us[i][OP_NODE], n = fanout, b = SIGN_BATCH, moved;
        double whole = 2 * sign / b + (2 + n) * verify / b + (2 + n) * hash +
                       (4 + (2 + n) * (LEVELS + 1)) * node + (2 + 2 * n) * box;
        double broker =
            hash + (LEVELS + 1) * node + verify / b + 2 * node + sign / b + (1 + n) * box;
        printf("ceiling,implied_box_msgs_per_s_fanout%u_batch%d,%zu,%.0f,msg/s\n", fanout,
               SIGN_BATCH, sizes[i], (double)ncpu * 1e6 / whole);
        printf("ceiling,implied_broker_thread_msgs_per_s_fanout%u_batch%d,%zu,%.0f,msg/s\n", fanout,
               SIGN_BATCH, sizes[i], 1e6 / broker);
        /* The transport: one message in and one out per subscriber, each
         * half an echo round trip less its two boxes (counted above). */
        moved = (1 + n) * (echo_us[i] - 4 * box) / 2;
        printf("ceiling,implied_box_transport_msgs_per_s_fanout%u_batch%d,%zu,%.0f,msg/s\n", fanout,
               SIGN_BATCH, sizes[i], (double)ncpu * 1e6 / (whole + (moved > 0 ? moved : 0)));
    }
    if (rmdir(dir) != 0) {
        fprintf(stderr, "ceiling: rmdir %s: %s\n", dir, strerror(errno));
    }
    return 0;
}
