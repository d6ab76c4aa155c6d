/*
 * test_client.c - the client library without a real broker (client/client.c).
 *
 * Part one needs no peer at all: input the broker would refuse is refused
 * with IRBUS_EINVAL before anything is sent; receipts verify with the
 * broker's key and fail after any single-byte change or with another key; a
 * request to an endpoint where nothing listens times out within its
 * timeout.
 *
 * Part two runs a small scripted stand-in for irbusd in a thread (a CURVE
 * ROUTER socket on an ephemeral loopback port, no ZAP, no policy, no
 * store) that answers with broker-signed receipts, errors, deliveries and
 * history results, so the request/answer path, the queueing of deliveries
 * that arrive during a request, signature checks on everything received,
 * sequence numbering and credit top-ups are exercised end to end. It holds
 * back the answers to publishes for incident HOLD until an ack arrives and
 * then sends them newest first, so pipelined publishes are answered out of
 * order and during other calls.
 */
#include "check.h"

#include "irbus.h"
#include "keys.h"
#include "sign.h"
#include "wire.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static irbus_key *
key_from(uint8_t fill) {
    uint8_t seed[32];
    irbus_key *k = NULL;

    memset(seed, fill, sizeof seed);
    CHECK_EQ(irbus_key_from_seed(seed, &k), 0);
    return k;
}

static long
elapsed_ms(const struct timespec *t0) {
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static struct irbus_publish
good_publish(void) {
    struct irbus_publish p;

    memset(&p, 0, sizeof p);
    p.incident = "INC-1";
    p.channel = "findings";
    p.tlp = "GREEN";
    p.ctype = "text/plain";
    p.payload = "hello";
    p.payload_len = 5;
    return p;
}

/* ---- part one: no broker ------------------------------------------------- */

static void
test_message_destroy_null(void) {
    irbus_message *m = NULL;

    irbus_message_destroy(NULL);
    irbus_message_destroy(&m);
    CHECK(m == NULL);
}

/* Everything here is refused before a byte is sent: the endpoint has no
 * listener, so any request that went out would take the whole timeout. */
static void
test_validation(irbus_client *c) {
    static const char *const bad_to[] = {"bob csirt"};
    struct irbus_publish p;
    struct timespec t0;
    irbus_message **msgs = NULL;
    uint8_t pk[32] = {0};
    size_t n = 0;
    uint8_t *big;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(irbus_publish(c, NULL, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.incident = "bad id";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.incident = "";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.incident = "-leading-dash";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.incident = "x12345678901234567890123456789012345678901234567890123456789012345";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.channel = "gossip";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.tlp = "WHITE";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.pap = "STRICT";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.kind = "no.such.kind";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.kind = "org.add"; /* an admin kind is not a publication */
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.tlp = "RED"; /* RED names its readers */
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.tlp = "AMBER+STRICT";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.tlp = "RED";
    p.to = bad_to;
    p.nto = 1;
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p.to = NULL;
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    p.ctype = "not a type";
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    p = good_publish();
    big = calloc(1, IRB_MAX_PAYLOAD + 1);
    CHECK(big != NULL);
    p.payload = big;
    p.payload_len = IRB_MAX_PAYLOAD + 1;
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_EINVAL);
    free(big);

    CHECK_EQ(irbus_subscribe(c, "INC-1", "status,gossip", IRBUS_FROM_START, 16, NULL),
             IRBUS_EINVAL);
    CHECK_EQ(irbus_subscribe(c, "INC-1", "status,status", IRBUS_FROM_START, 16, NULL),
             IRBUS_EINVAL);
    CHECK_EQ(irbus_subscribe(c, "INC-1", "", IRBUS_FROM_START, 16, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_subscribe(c, "INC-1", "status", IRBUS_FROM_START, 0, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_subscribe(c, "INC-1", "status", IRBUS_FROM_START, 65537, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_subscribe(c, "bad/id", "status", IRBUS_FROM_START, 16, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_history(c, "INC-1", "status", 1, 0, 0, &msgs, &n, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_history(c, "INC-1", "status", 1, 0, 257, &msgs, &n, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_history(c, "INC-1", "nope", 1, 0, 10, &msgs, &n, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_ack(c, "INC-1", 0), IRBUS_EINVAL);
    CHECK_EQ(irbus_ack(c, "INC 1", 3), IRBUS_EINVAL);
    CHECK_EQ(irbus_admin_org_add(c, "acme", "company", "Acme", NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_admin_org_add(c, "acme", "entity", "", NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_admin_participant_add(c, "bob@csirt", "csirt", pk, 0, "PINK", NULL),
             IRBUS_EINVAL);
    CHECK_EQ(irbus_admin_participant_revoke(c, "", NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_incident_open(c, "INC-1", "Title", "gdpr", NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_incident_open(c, "INC-1", "", "nis2", NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "acme", "victim", NULL, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "acme", "affected", "bad spoc", NULL),
             IRBUS_EINVAL);
    CHECK_EQ(irbus_incident_state_set(c, "INC-1", "finished", NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_incident_spoc_handover(c, "INC-1", "acme", NULL, NULL), IRBUS_EINVAL);
    /* None of it waited for the network. */
    CHECK(elapsed_ms(&t0) < 250);
}

static void
test_receipt_verify(void) {
    irbus_key *broker = key_from(0x42), *other = key_from(0x43);
    struct irbus_receipt r, bad;
    uint8_t rb[IRB_RECEIPT_BYTES_MAX];
    size_t len, ilen;

    memset(&r, 0, sizeof r);
    strcpy(r.incident, "INC-2026-0042");
    ilen = strlen(r.incident);
    r.seq = 17;
    for (int i = 0; i < 32; i++) {
        r.hash[i] = (uint8_t)(i * 7);
    }
    r.btime = 1795435200123ULL;
    len = irb_receipt_bytes(r.incident, ilen, r.seq, r.hash, r.btime, rb);
    CHECK_EQ(irb_sign(broker, IRB_DOMAIN_RECEIPT, rb, len, r.sig), 0);
    CHECK_EQ(irbus_receipt_verify(&r, irbus_key_public(broker)), 0);
    CHECK_EQ(irbus_receipt_verify(&r, irbus_key_public(other)), IRBUS_EBADSIG);
    CHECK_EQ(irbus_receipt_verify(NULL, irbus_key_public(broker)), IRBUS_EBADSIG);

    /* Any single-byte change of any signed field or of the signature. */
    for (size_t i = 0; i < ilen; i++) {
        bad = r;
        bad.incident[i] ^= 0x01;
        CHECK_EQ(irbus_receipt_verify(&bad, irbus_key_public(broker)), IRBUS_EBADSIG);
    }
    bad = r;
    bad.incident[ilen - 1] = '\0'; /* a shorter name */
    CHECK_EQ(irbus_receipt_verify(&bad, irbus_key_public(broker)), IRBUS_EBADSIG);
    for (int i = 0; i < 8; i++) {
        bad = r;
        bad.seq ^= (uint64_t)1 << (8 * i);
        CHECK_EQ(irbus_receipt_verify(&bad, irbus_key_public(broker)), IRBUS_EBADSIG);
        bad = r;
        bad.btime ^= (uint64_t)1 << (8 * i);
        CHECK_EQ(irbus_receipt_verify(&bad, irbus_key_public(broker)), IRBUS_EBADSIG);
    }
    for (int i = 0; i < 32; i++) {
        bad = r;
        bad.hash[i] ^= 0x80;
        CHECK_EQ(irbus_receipt_verify(&bad, irbus_key_public(broker)), IRBUS_EBADSIG);
    }
    for (int i = 0; i < 64; i++) {
        bad = r;
        bad.sig[i] ^= 0x01;
        CHECK_EQ(irbus_receipt_verify(&bad, irbus_key_public(broker)), IRBUS_EBADSIG);
    }
    irbus_key_destroy(&broker);
    irbus_key_destroy(&other);
}

static void
test_timeout(irbus_client *c) {
    struct irbus_publish p = good_publish();
    struct timespec t0;
    uint64_t sub = 0;
    long ms;

    irbus_client_set_timeout(c, 300);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(irbus_publish(c, &p, NULL), IRBUS_ETIMEOUT);
    ms = elapsed_ms(&t0);
    CHECK(ms >= 250 && ms < 1500);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(irbus_subscribe(c, "INC-1", "status", IRBUS_FROM_NEW, 16, &sub), IRBUS_ETIMEOUT);
    CHECK(elapsed_ms(&t0) < 1500);
}

static void
test_no_broker(void) {
    irbus_key *me = key_from(0x11), *broker = key_from(0x42);
    irbus_client *c = NULL;
    struct timespec t0;
    int fd = -1;

    CHECK_EQ(irbus_client_new(NULL, "tcp://127.0.0.1:9", irbus_key_public(broker), &c),
             IRBUS_EINVAL);
    CHECK_EQ(irbus_client_new(me, "", irbus_key_public(broker), &c), IRBUS_EINVAL);
    CHECK_EQ(irbus_client_new(me, "nonsense://x", irbus_key_public(broker), &c), IRBUS_EIO);
    CHECK(c == NULL);
    /* Port 9 (discard) on loopback: nothing listens there in a test box. */
    CHECK_EQ(irbus_client_new(me, "tcp://127.0.0.1:9", irbus_key_public(broker), &c), 0);
    if (c == NULL) {
        goto out;
    }
    CHECK_EQ(irbus_client_fd(c, &fd), 0);
    CHECK(fd >= 0);
    CHECK(strcmp(irbus_client_last_error(c), "") == 0);
    test_validation(c);
    test_timeout(c);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    irbus_client_destroy(&c);
    CHECK(c == NULL);
    CHECK(elapsed_ms(&t0) < 1500); /* a request that timed out is not left to linger */
    irbus_client_destroy(&c);
out:
    irbus_key_destroy(&me);
    irbus_key_destroy(&broker);
}

/* ---- part two: a scripted stand-in broker -------------------------------- */

#define FAKE_SUB 7

struct fake {
    irbus_key *key; /* the broker's identity */
    void *ctx, *sock;
    char endpoint[128];
    atomic_int stop;
    atomic_int drop; /* set: close the socket, so the client loses its connection, and end */
    atomic_int credit_total; /* sum of credit granted after subscribe */
    atomic_int credit_frames;
    atomic_ullong last_env_seq;
    /* Last published envelope and signature, replayed as deliveries. */
    uint8_t env[4096];
    size_t env_len;
    uint8_t sig[64];
    uint8_t proof[IRB_MAX_PROOF]; /* its batch proof, if it came with one */
    size_t proof_len;
    uint64_t rseq;
    uint64_t subs; /* subscriptions started: the current one is FAKE_SUB + subs - 1 */
    uint64_t held[2 * IRBUS_PIPELINE_MAX]; /* ids of HOLD publishes not yet answered */
    size_t nheld;
    uint8_t out[1 << 16];
    struct irb_frame f, a;
    struct irb_env e;
};

static void
fake_send(struct fake *fk, const zmq_msg_t *ident, struct irb_frame *a) {
    long n;

    a->v = 1;
    n = irb_wire_encode(a, fk->out, sizeof fk->out);
    if (n < 0) {
        return;
    }
    zmq_send(fk->sock, zmq_msg_data((zmq_msg_t *)ident), zmq_msg_size((zmq_msg_t *)ident),
             ZMQ_SNDMORE);
    zmq_send(fk->sock, fk->out, (size_t)n, 0);
}

/* One deliver of records first .. first+count-1; record `tamper` (0: none)
 * has its last payload byte changed. */
static void
fake_deliver(struct fake *fk, const zmq_msg_t *ident, uint64_t first, uint32_t count,
             uint64_t tamper) {
    static uint8_t env[4][4096];

    memset(&fk->a, 0, offsetof(struct irb_frame, records));
    fk->a.t = IRB_T_DELIVER;
    fk->a.sub = FAKE_SUB + (fk->subs > 0 ? fk->subs - 1 : 0);
    fk->a.incident = (irb_str){"INC-1", 5};
    fk->a.nrecords = count;
    for (uint32_t i = 0; i < count && i < 4; i++) {
        uint64_t seq = first + i;
        memcpy(env[i], fk->env, fk->env_len);
        if (seq == tamper) {
            env[i][fk->env_len - 1] ^= 0x01; /* last byte of the payload */
        }
        fk->a.records[i] =
            (struct irb_record){0,
                                seq,
                                1795435200000ULL + seq,
                                {env[i], fk->env_len},
                                {fk->sig, 64},
                                {fk->proof_len > 0 ? fk->proof : NULL, fk->proof_len}};
    }
    fake_send(fk, ident, &fk->a);
}

static void
fake_receipt(struct fake *fk, const zmq_msg_t *ident, uint64_t id, const char *log, int forge) {
    uint8_t rb[IRB_RECEIPT_BYTES_MAX], hash[32], sig[64];
    size_t len;

    memset(hash, 0xaa, sizeof hash);
    fk->rseq++;
    len = irb_receipt_bytes(log, strlen(log), fk->rseq, hash, 1795435200999ULL, rb);
    if (irb_sign(fk->key, IRB_DOMAIN_RECEIPT, rb, len, sig) != 0) {
        return;
    }
    if (forge) {
        sig[5] ^= 0x10;
    }
    memset(&fk->a, 0, offsetof(struct irb_frame, records));
    fk->a.t = IRB_T_RECEIPT;
    fk->a.id = id;
    fk->a.incident = (irb_str){log, strlen(log)};
    fk->a.seq = fk->rseq;
    fk->a.hash = (irb_bin){hash, 32};
    fk->a.btime = 1795435200999ULL;
    fk->a.sig = (irb_bin){sig, 64};
    fake_send(fk, ident, &fk->a);
}

static void
fake_error(struct fake *fk, const zmq_msg_t *ident, uint64_t id, int code, const char *msg) {
    memset(&fk->a, 0, offsetof(struct irb_frame, records));
    fk->a.t = IRB_T_ERROR;
    fk->a.id = id;
    fk->a.code = (uint64_t)code;
    fk->a.msg = (irb_str){msg, strlen(msg)};
    fake_send(fk, ident, &fk->a);
}

/* A deadline reminder for INC-1's NIS2 early warning, due 2026-11-24T12:00Z,
 * signed under the notice domain by the broker's key, or by another key
 * when `forge`. */
static void
fake_notice(struct fake *fk, const zmq_msg_t *ident, int forge) {
    static uint8_t env[512];
    uint8_t seed[32], sig[64];
    irbus_key *other = NULL;
    struct irb_env e;
    long n;

    memset(seed, 0x43, sizeof seed); /* not key_from: its CHECK is the main thread's */
    if (forge && irbus_key_from_seed(seed, &other) != 0) {
        return;
    }
    memset(&e, 0, sizeof e);
    e.v = 1;
    e.kind = IRB_K_DEADLINE_REMINDER;
    e.incident = (irb_str){"INC-1", 5};
    e.stage = IRB_K_NIS2_EARLY_WARNING;
    e.due = 1795435200000ULL + 24ULL * 3600 * 1000;
    e.sender = (irb_bin){irbus_key_public(fk->key), 32};
    e.seq = 1;
    e.ts = 1795435200000ULL;
    n = irb_wire_encode_env(&e, env, sizeof env);
    if (n > 0 && irb_sign(forge ? other : fk->key, IRB_DOMAIN_NOTICE, env, (size_t)n, sig) == 0) {
        memset(&fk->a, 0, offsetof(struct irb_frame, records));
        fk->a.t = IRB_T_NOTICE;
        fk->a.env = (irb_bin){env, (size_t)n};
        fk->a.sig = (irb_bin){sig, 64};
        fake_send(fk, ident, &fk->a);
    }
    irbus_key_destroy(&other);
}

static void
fake_handle(struct fake *fk, const zmq_msg_t *ident, const uint8_t *p, size_t len) {
    struct irb_frame *f = &fk->f;
    const char *inc;
    uint8_t d[32];

    if (irb_wire_decode_full(p, len, f, &fk->e) != 0) {
        return;
    }
    switch (f->t) {
    case IRB_T_PUBLISH:
        irb_digest(IRB_DOMAIN_ENVELOPE, f->env.p, f->env.len, d);
        if (irb_verify_item(fk->e.sender.p, d, f->sig.p, f->proof.p, f->proof.len, NULL) != 0) {
            fake_error(fk, ident, f->id, 200, "signature does not verify");
            return;
        }
        atomic_store(&fk->last_env_seq, fk->e.seq);
        if (fk->e.incident.len == 4 && memcmp(fk->e.incident.p, "HOLD", 4) == 0) {
            if (fk->nheld < sizeof fk->held / sizeof fk->held[0]) {
                fk->held[fk->nheld++] = f->id;
            }
            return;
        }
        if (fk->e.incident.len == 6 && memcmp(fk->e.incident.p, "DENIED", 6) == 0) {
            fake_error(fk, ident, f->id, 300, "findings: regulator may not publish here");
            return;
        }
        /* Kept for replay as deliveries and history of INC-1. */
        if (f->env.len <= sizeof fk->env && fk->e.incident.len == 5 &&
            memcmp(fk->e.incident.p, "INC-1", 5) == 0) {
            memcpy(fk->env, f->env.p, f->env.len);
            fk->env_len = f->env.len;
            memcpy(fk->sig, f->sig.p, 64);
            fk->proof_len = f->proof.len; /* 0 for a publish signed alone */
            if (f->proof.len > 0) {
                memcpy(fk->proof, f->proof.p, f->proof.len);
            }
        }
        /* A delivery overtakes the receipt: the client must queue it. */
        fake_deliver(fk, ident, 100, 1, 0);
        /* A stale answer to an old request id must be ignored. */
        fake_error(fk, ident, f->id + 1000, 402, "stale");
        inc = fk->e.incident.len == 6 && memcmp(fk->e.incident.p, "FORGED", 6) == 0 ? "FORGED"
              : fk->e.incident.len == 5                                             ? "INC-1"
                                                                                    : "OTHER";
        fake_receipt(fk, ident, f->id, inc, strcmp(inc, "FORGED") == 0);
        return;
    case IRB_T_ADMIN:
        fake_receipt(fk, ident, f->id, IRB_SYSTEM_LOG, 0);
        return;
    case IRB_T_INCIDENT:
        fake_receipt(fk, ident, f->id, "INC-1", 0);
        return;
    case IRB_T_SUBSCRIBE:
        memset(&fk->a, 0, offsetof(struct irb_frame, records));
        fk->a.t = IRB_T_OK;
        fk->a.id = f->id;
        fk->a.sub = FAKE_SUB + fk->subs++; /* never reused, like the broker's */
        fk->a.present = IRB_BIT(IRB_FI_SUB);
        fake_send(fk, ident, &fk->a);
        if (fk->env_len > 0) { /* once it has an envelope: 1-2, 3-5, 6 */
            fake_deliver(fk, ident, 1, 2, 3);
            fake_deliver(fk, ident, 3, 3, 3);
            fake_deliver(fk, ident, 6, 1, 3);
        }
        return;
    case IRB_T_UNSUBSCRIBE:
        fake_deliver(fk, ident, 98, 2, 0); /* was on its way: the client drops it */
        memset(&fk->a, 0, offsetof(struct irb_frame, records));
        fk->a.t = IRB_T_OK;
        fk->a.id = f->id;
        fake_send(fk, ident, &fk->a);
        return;
    case IRB_T_CREDIT:
        atomic_fetch_add(&fk->credit_total, (int)f->credit);
        atomic_fetch_add(&fk->credit_frames, 1);
        memset(&fk->a, 0, offsetof(struct irb_frame, records));
        fk->a.t = IRB_T_OK;
        fk->a.id = f->id;
        fake_send(fk, ident, &fk->a);
        return;
    case IRB_T_ACK:
        if (f->incident.len == 6 && memcmp(f->incident.p, "NOTICE", 6) == 0) {
            fake_notice(fk, ident, f->seq == 2);
        }
        while (fk->nheld > 0) { /* newest first */
            fake_receipt(fk, ident, fk->held[--fk->nheld], "HOLD", 0);
        }
        memset(&fk->a, 0, offsetof(struct irb_frame, records));
        fk->a.t = IRB_T_OK;
        fk->a.id = f->id;
        fake_send(fk, ident, &fk->a);
        return;
    case IRB_T_HISTORY: {
        static uint8_t env2[4096];
        memset(&fk->a, 0, offsetof(struct irb_frame, records));
        fk->a.t = IRB_T_HISTORY_RESULT;
        fk->a.id = f->id;
        fk->a.incident = (irb_str){"INC-1", 5};
        /* The log holds records 1 and 2 (the last publication, twice);
         * until 99 corrupts the second record; from 98 answers records
         * older than asked. */
        uint64_t first = f->from == 98 ? 1 : f->from;
        for (uint64_t s = first; s <= 2 && fk->a.nrecords < f->limit; s++) {
            fk->a.records[fk->a.nrecords++] = (struct irb_record){
                0, s, 10 + s, {fk->env, fk->env_len}, {fk->sig, 64}, {fk->proof, fk->proof_len}};
        }
        if ((f->present & IRB_BIT(IRB_FI_UNTIL)) && f->until == 99 && fk->a.nrecords == 2) {
            memcpy(env2, fk->env, fk->env_len);
            env2[fk->env_len - 1] ^= 0x01;
            fk->a.records[1].env.p = env2;
        }
        fk->a.next = first + fk->a.nrecords;
        fake_send(fk, ident, &fk->a);
        return;
    }
    default:
        return;
    }
}

static void *
fake_main(void *arg) {
    struct fake *fk = arg;

    while (!atomic_load(&fk->stop)) {
        zmq_pollitem_t item = {fk->sock, 0, ZMQ_POLLIN, 0};
        zmq_msg_t ident, body;
        int zero = 0;

        if (atomic_load(&fk->drop)) {
            zmq_setsockopt(fk->sock, ZMQ_LINGER, &zero, sizeof zero);
            zmq_close(fk->sock);
            fk->sock = NULL;
            break;
        }
        if (zmq_poll(&item, 1, 50) <= 0) {
            continue;
        }
        zmq_msg_init(&ident);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&ident, fk->sock, 0) >= 0 && zmq_msg_more(&ident) &&
            zmq_msg_recv(&body, fk->sock, 0) >= 0) {
            fake_handle(fk, &ident, zmq_msg_data(&body), zmq_msg_size(&body));
        }
        zmq_msg_close(&ident);
        zmq_msg_close(&body);
    }
    return NULL;
}

static int
fake_start(struct fake *fk) {
    uint8_t pk[32], sk[32];
    size_t len = sizeof fk->endpoint;
    int one = 1;

    fk->key = key_from(0x42);
    fk->ctx = zmq_ctx_new();
    fk->sock = zmq_socket(fk->ctx, ZMQ_ROUTER);
    if (fk->key == NULL || fk->sock == NULL || irb_key_curve_public(fk->key->pk, pk) != 0 ||
        irb_key_curve_secret(fk->key, sk) != 0) {
        return -1;
    }
    zmq_setsockopt(fk->sock, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(fk->sock, ZMQ_CURVE_SECRETKEY, sk, 32);
    sodium_memzero(sk, sizeof sk);
    if (zmq_bind(fk->sock, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(fk->sock, ZMQ_LAST_ENDPOINT, fk->endpoint, &len) != 0) {
        return -1;
    }
    return 0;
}

/* Start the stand-in in a thread and connect a client to it as `me`
 * (timeout 3 s). -1 when the stand-in did not start; otherwise 0 and the
 * thread runs, even if the client could not be made (*cp NULL, a failed
 * check). */
static int
fake_open(struct fake *fk, pthread_t *th, irbus_key *me, irbus_client **cp) {
    if (fake_start(fk) != 0) {
        CHECK(!"fake broker did not start");
        return -1;
    }
    CHECK_EQ(pthread_create(th, NULL, fake_main, fk), 0);
    CHECK_EQ(irbus_client_new(me, fk->endpoint, irbus_key_public(fk->key), cp), 0);
    if (*cp != NULL) {
        irbus_client_set_timeout(*cp, 3000);
    }
    return 0;
}

static void
fake_close(struct fake *fk, pthread_t th, irbus_client **cp) {
    irbus_client_destroy(cp);
    atomic_store(&fk->stop, 1);
    pthread_join(th, NULL);
    if (fk->sock != NULL) {
        zmq_close(fk->sock);
    }
    zmq_ctx_term(fk->ctx);
    irbus_key_destroy(&fk->key);
}

static void
test_with_fake_broker(void) {
    static struct fake fk;
    static const char *const to[] = {"bob@csirt", "erin@acme"};
    pthread_t th;
    irbus_key *me = key_from(0x11);
    irbus_client *c = NULL;
    struct irbus_receipt r;
    struct irbus_publish p;
    irbus_message *m = NULL, **msgs = NULL;
    uint64_t sub = 0, next = 0, seq1;
    uint8_t d[32];
    size_t n = 0;
    int got, bad, rc;

    if (fake_open(&fk, &th, me, &c) != 0) {
        irbus_key_destroy(&me);
        return;
    }
    if (c == NULL) {
        goto out;
    }

    /* A subscription, so that deliveries are ours (the fake has no
     * envelope to deliver yet). */
    CHECK_EQ(irbus_subscribe(c, "INC-1", "findings", IRBUS_FROM_START, 1000, &sub), 0);
    CHECK_EQ(sub, FAKE_SUB);

    /* Publish: a verified receipt; the delivery that overtook it is queued. */
    p = good_publish();
    p.incident = "INC-1";
    p.tlp = "RED";
    p.pap = "AMBER";
    p.to = to;
    p.nto = 2;
    p.ctype = "application/octet-stream";
    p.payload = "he\0lo"; /* a NUL of its own */
    memset(&r, 0xee, sizeof r);
    CHECK_EQ(irbus_publish(c, &p, &r), 0);
    CHECK(strcmp(r.incident, "INC-1") == 0);
    CHECK_EQ(r.seq, 1);
    CHECK_EQ(r.btime, 1795435200999ULL);
    CHECK_EQ(irbus_receipt_verify(&r, irbus_key_public(fk.key)), 0);
    seq1 = atomic_load(&fk.last_env_seq);
    CHECK(seq1 > 1600000000000000ULL); /* microseconds of the wall clock */
    CHECK_EQ(irbus_receive(c, 0, &m), 0);
    if (m != NULL) {
        CHECK_EQ(m->seq, 100);
        CHECK_EQ(m->sub, FAKE_SUB);
        CHECK(strcmp(m->incident, "INC-1") == 0);
        CHECK(strcmp(m->kind, "msg") == 0);
        CHECK(strcmp(m->channel, "findings") == 0);
        CHECK(strcmp(m->tlp, "RED") == 0);
        CHECK(strcmp(m->pap, "AMBER") == 0);
        CHECK_EQ(m->nto, 2);
        CHECK(m->nto == 2 && strcmp(m->to[0], "bob@csirt") == 0 &&
              strcmp(m->to[1], "erin@acme") == 0);
        CHECK(strcmp(m->ctype, "application/octet-stream") == 0);
        CHECK_EQ(m->payload_len, 5);
        CHECK(memcmp(m->payload, "he\0lo", 6) == 0); /* and the NUL after it */
        CHECK(memcmp(m->sender, irbus_key_public(me), 32) == 0);
        CHECK_EQ(m->sender_seq, seq1);
        /* The exact signed bytes, with the signature over them: a publish
         * sent alone carries no proof. */
        CHECK(m->env != NULL && m->env_len > 0);
        CHECK_EQ(m->proof_len, 0);
        irbus_message_digest(m, d);
        CHECK_EQ(irb_verify_digest(irbus_key_public(me), d, m->sig), 0);
        irbus_message_destroy(&m);
        CHECK(m == NULL);
    }
    CHECK_EQ(irbus_receive(c, 0, &m), IRBUS_ETIMEOUT);

    /* A deadline notice signed by the broker becomes a message whose
     * payload says the stage and when it is due; one signed by another key
     * is refused. */
    CHECK_EQ(irbus_ack(c, "NOTICE", 1), 0);
    CHECK_EQ(irbus_receive(c, 2000, &m), 0);
    if (m != NULL) {
        static const char want[] = "stage=nis2.early_warning due=2026-11-24T12:00:00.000Z";
        CHECK(strcmp(m->kind, "deadline.reminder") == 0);
        CHECK(strcmp(m->incident, "INC-1") == 0);
        CHECK(strcmp(m->ctype, "text/plain") == 0);
        CHECK_EQ(m->payload_len, sizeof want - 1);
        CHECK(memcmp(m->payload, want, sizeof want) == 0); /* and the NUL after it */
        CHECK(memcmp(m->sender, irbus_key_public(fk.key), 32) == 0);
        CHECK_EQ(m->nto, 0);
        CHECK_EQ(m->sub, 0);
        CHECK(m->env_len > 0);
        CHECK_EQ(
            irb_verify(irbus_key_public(fk.key), IRB_DOMAIN_NOTICE, m->env, m->env_len, m->sig), 0);
        irbus_message_destroy(&m);
    }
    CHECK_EQ(irbus_ack(c, "NOTICE", 2), 0);
    CHECK_EQ(irbus_receive(c, 2000, &m), IRBUS_EBADSIG);
    CHECK(m == NULL);
    CHECK_EQ(irbus_receive(c, 0, &m), IRBUS_ETIMEOUT);

    /* Sequence numbers strictly increase, even within one microsecond. */
    CHECK_EQ(irbus_publish(c, &p, NULL), 0);
    CHECK(atomic_load(&fk.last_env_seq) > seq1);
    CHECK_EQ(irbus_receive(c, 0, &m), 0);
    irbus_message_destroy(&m);

    /* The broker's refusal: its code and its words. */
    p.incident = "DENIED";
    CHECK_EQ(irbus_publish(c, &p, &r), IRBUS_EDENIED);
    CHECK(strcmp(irbus_client_last_error(c), "findings: regulator may not publish here") == 0);
    /* A receipt with a bad signature, or for another log, is refused. */
    p.incident = "FORGED";
    CHECK_EQ(irbus_publish(c, &p, &r), IRBUS_EBADSIG);
    CHECK(strcmp(irbus_client_last_error(c), "") == 0);
    p.incident = "INC-100";
    CHECK_EQ(irbus_publish(c, &p, &r), IRBUS_EBADSIG);
    while (irbus_receive(c, 0, &m) != IRBUS_ETIMEOUT) { /* drop what those queued */
        irbus_message_destroy(&m);
    }

    /* Admin and incident commands get receipts for their logs. */
    CHECK_EQ(irbus_admin_org_add(c, "csirt", "csirt", "Nationaal CSC", &r), 0);
    CHECK(strcmp(r.incident, "_system") == 0);
    CHECK_EQ(
        irbus_admin_participant_add(c, "bob@csirt", "csirt", irbus_key_public(me), 1, "GREEN", &r),
        0);
    CHECK_EQ(irbus_admin_participant_revoke(c, "bob@csirt", &r), 0);
    CHECK_EQ(irbus_admin_participant_rotate(c, "bob@csirt", irbus_key_public(me), &r), 0);
    CHECK_EQ(irbus_incident_open(c, "INC-1", "Ransomware", "nis2", &r), 0);
    CHECK(strcmp(r.incident, "INC-1") == 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "acme", "affected", "dave@acme", &r), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "csirt", "csirt", NULL, &r), 0);
    CHECK_EQ(irbus_incident_party_remove(c, "INC-1", "csirt", &r), 0);
    CHECK_EQ(irbus_incident_spoc_handover(c, "INC-1", "acme", "erin@acme", &r), 0);
    CHECK_EQ(irbus_incident_coord_add(c, "INC-1", "bob@csirt", &r), 0);
    CHECK_EQ(irbus_incident_state_set(c, "INC-1", "contained", &r), 0);
    /* An incident command answered with another incident's receipt. */
    CHECK_EQ(irbus_incident_state_set(c, "INC-2", "closed", &r), IRBUS_EBADSIG);

    /* End the first subscription: its late deliveries are dropped. */
    CHECK_EQ(irbus_unsubscribe(c, FAKE_SUB), 0);
    CHECK_EQ(irbus_unsubscribe(c, FAKE_SUB), IRBUS_ENOTFOUND);

    /* Subscribe with a window of 4: six deliveries in three frames, the
     * first record of the second frame tampered. */
    CHECK_EQ(irbus_subscribe(c, "INC-1", "findings,status", IRBUS_FROM_START, 4, &sub), 0);
    CHECK_EQ(sub, FAKE_SUB + 1);
    got = bad = 0;
    for (int i = 0; i < 6; i++) {
        rc = irbus_receive(c, 2000, &m);
        if (rc == 0) {
            CHECK_EQ(m->seq, (uint64_t)(i + 1));
            got++;
        } else {
            CHECK_EQ(rc, IRBUS_EBADSIG);
            CHECK(m == NULL);
            CHECK_EQ(i, 2);
            bad++;
        }
        irbus_message_destroy(&m);
    }
    CHECK_EQ(got, 5);
    CHECK_EQ(bad, 1);
    CHECK_EQ(irbus_receive(c, 100, &m), IRBUS_ETIMEOUT);
    /* Six used, window 4: credit topped up at 2, 4 and 6. */
    CHECK_EQ(irbus_ack(c, "INC-1", 6), 0); /* also lets the grants arrive */
    CHECK_EQ(atomic_load(&fk.credit_frames), 3);
    CHECK_EQ(atomic_load(&fk.credit_total), 6);

    /* History: records verified and converted. */
    CHECK_EQ(irbus_history(c, "INC-1", "findings", 0, 0, 10, &msgs, &n, &next), 0);
    CHECK_EQ(n, 2);
    CHECK_EQ(next, 3);
    if (n == 2) {
        CHECK_EQ(msgs[0]->seq, 1);
        CHECK_EQ(msgs[1]->btime, 12);
        CHECK_EQ(msgs[1]->sub, 0);
        CHECK_EQ(msgs[1]->payload_len, 5);
    }
    for (size_t i = 0; i < n; i++) {
        irbus_message_destroy(&msgs[i]);
    }
    free(msgs);
    msgs = NULL;
    /* The next page: nothing more. */
    CHECK_EQ(irbus_history(c, "INC-1", "findings", 3, 0, 10, &msgs, &n, &next), 0);
    CHECK_EQ(n, 0);
    CHECK_EQ(next, 3);
    free(msgs);
    msgs = NULL;
    /* A page of one. */
    CHECK_EQ(irbus_history(c, "INC-1", "findings", 2, 0, 1, &msgs, &n, &next), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(next, 3);
    if (n == 1) {
        CHECK_EQ(msgs[0]->seq, 2);
        irbus_message_destroy(&msgs[0]);
    }
    free(msgs);
    msgs = NULL;
    /* A record that does not verify spoils the page; so do records from
     * before the one asked for. */
    CHECK_EQ(irbus_history(c, "INC-1", "findings", 1, 99, 10, &msgs, &n, &next), IRBUS_EBADSIG);
    CHECK(msgs == NULL);
    CHECK_EQ(n, 0);
    CHECK_EQ(irbus_history(c, "INC-1", "findings", 98, 0, 10, &msgs, &n, &next), IRBUS_EVALUE);
    CHECK(msgs == NULL);
out:
    fake_close(&fk, th, &c);
    irbus_key_destroy(&me);
}

/* The connection lost in the middle of a deliver: irbus_receive hands out
 * the rest of the deliver it is handing out, then IRBUS_ERESET, once, and
 * nothing of the delivers that came after it. */
static void
test_reset_mid_deliver(void) {
    static struct fake fk;
    pthread_t th;
    irbus_key *me = key_from(0x13);
    irbus_client *c = NULL;
    struct irbus_receipt r;
    struct irbus_publish p = good_publish();
    irbus_message *m = NULL;
    uint64_t sub = 0;

    if (fake_open(&fk, &th, me, &c) != 0) {
        irbus_key_destroy(&me);
        return;
    }
    if (c == NULL) {
        goto out;
    }
    /* The fake's first subscription; a publish gives it an envelope to
     * deliver, and a delivery (100) that overtakes the receipt. */
    CHECK_EQ(irbus_subscribe(c, "INC-1", "findings", IRBUS_FROM_START, 1000, &sub), 0);
    p.incident = "INC-1";
    CHECK_EQ(irbus_publish(c, &p, &r), 0);
    CHECK_EQ(irbus_receive(c, 3000, &m), 0);
    CHECK(m != NULL && m->seq == 100 && m->sub == sub);
    irbus_message_destroy(&m);
    /* Delivers 1-2, 3-5 and 6 follow the ok of a second subscription. */
    CHECK_EQ(irbus_subscribe(c, "INC-1", "findings", IRBUS_FROM_START, 1000, &sub), 0);
    CHECK_EQ(irbus_receive(c, 3000, &m), 0);
    CHECK(m != NULL && m->seq == 1 && m->sub == sub);
    irbus_message_destroy(&m);
    usleep(200000); /* the later delivers reach the client's socket */
    atomic_store(&fk.drop, 1);
    usleep(300000); /* and its monitor hears of the loss */
    CHECK_EQ(irbus_receive(c, 3000, &m), 0);
    CHECK(m != NULL && m->seq == 2 && m->sub == sub);
    irbus_message_destroy(&m);
    CHECK_EQ(irbus_receive(c, 3000, &m), IRBUS_ERESET);
    CHECK(m == NULL);
    CHECK_EQ(irbus_receive(c, 300, &m), IRBUS_ETIMEOUT);
    CHECK(m == NULL);
out:
    fake_close(&fk, th, &c);
    irbus_key_destroy(&me);
}

/* Pipelined publishes: answers matched by token whatever their order, kept
 * when they arrive during other calls, the limit, and the client's timeout
 * for an answer that does not come. */
static void
test_pipeline(void) {
    static struct fake fk;
    pthread_t th;
    irbus_key *me = key_from(0x12);
    irbus_client *c = NULL;
    struct irbus_publish p = good_publish();
    struct irbus_receipt r;
    irbus_message *m = NULL, **msgs = NULL;
    uint64_t tok[IRBUS_PIPELINE_MAX], t = 0, extra = 0;
    struct timespec t0;
    size_t n = 0;
    int st = 0, seen = 0;

    if (fake_open(&fk, &th, me, &c) != 0) {
        irbus_key_destroy(&me);
        return;
    }
    if (c == NULL) {
        goto out;
    }

    /* Nothing sent: nothing to wait for, at once. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(irbus_publish_result(c, 1000, &t, &st, &r), IRBUS_ENOTFOUND);
    CHECK(elapsed_ms(&t0) < 250);
    CHECK_EQ(irbus_publish_send(c, NULL, &t), IRBUS_EINVAL);
    CHECK_EQ(irbus_publish_send(c, &p, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_publish_result(c, 0, NULL, &st, &r), IRBUS_EINVAL);
    p.tlp = "WHITE";
    CHECK_EQ(irbus_publish_send(c, &p, &t), IRBUS_EINVAL);
    CHECK_EQ(t, 0);

    /* A receipt, a refusal and a forged receipt, each with its token. */
    p = good_publish();
    CHECK_EQ(irbus_publish_send(c, &p, &tok[0]), 0);
    p.incident = "DENIED";
    CHECK_EQ(irbus_publish_send(c, &p, &tok[1]), 0);
    p.incident = "FORGED";
    CHECK_EQ(irbus_publish_send(c, &p, &tok[2]), 0);
    CHECK(tok[0] != 0 && tok[0] < tok[1] && tok[1] < tok[2]);
    for (int i = 0; i < 3; i++) {
        memset(&r, 0, sizeof r);
        CHECK_EQ(irbus_publish_result(c, 2000, &t, &st, &r), 0);
        if (t == tok[0]) {
            CHECK_EQ(st, 0);
            CHECK(strcmp(r.incident, "INC-1") == 0);
            CHECK_EQ(irbus_receipt_verify(&r, irbus_key_public(fk.key)), 0);
            CHECK(strcmp(irbus_client_last_error(c), "") == 0);
            seen |= 1;
        } else if (t == tok[1]) {
            CHECK_EQ(st, IRBUS_EDENIED);
            CHECK(strcmp(irbus_client_last_error(c), "findings: regulator may not publish here") ==
                  0);
            seen |= 2;
        } else {
            CHECK_EQ(t, tok[2]);
            CHECK_EQ(st, IRBUS_EBADSIG);
            seen |= 4;
        }
    }
    CHECK_EQ(seen, 7);
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), IRBUS_ENOTFOUND);

    /* A full pipeline of held answers; the next send is refused without
     * being sent, and synchronous calls still work meanwhile. */
    p = good_publish();
    p.incident = "HOLD";
    for (int i = 0; i < IRBUS_PIPELINE_MAX; i++) {
        CHECK_EQ(irbus_publish_send(c, &p, &tok[i]), 0);
        CHECK(i == 0 || tok[i] > tok[i - 1]);
    }
    CHECK_EQ(irbus_publish_send(c, &p, &extra), IRBUS_ELIMIT);
    CHECK_EQ(extra, 0);
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), IRBUS_ETIMEOUT);
    p.incident = "INC-1";
    CHECK_EQ(irbus_publish(c, &p, &r), 0);
    CHECK(strcmp(r.incident, "INC-1") == 0);
    CHECK_EQ(irbus_history(c, "INC-1", "findings", 1, 0, 10, &msgs, &n, NULL), 0);
    CHECK_EQ(n, 2);
    for (size_t i = 0; i < n; i++) {
        irbus_message_destroy(&msgs[i]);
    }
    free(msgs);
    /* The ack's answer comes after all 128 receipts, newest first: they are
     * kept for irbus_publish_result, in the order they came. */
    CHECK_EQ(irbus_ack(c, "INC-1", 1), 0);
    for (int i = IRBUS_PIPELINE_MAX - 1; i >= 0; i--) {
        memset(&r, 0, sizeof r);
        CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), 0);
        CHECK_EQ(t, tok[i]);
        CHECK_EQ(st, 0);
        CHECK(strcmp(r.incident, "HOLD") == 0);
        CHECK_EQ(irbus_receipt_verify(&r, irbus_key_public(fk.key)), 0);
    }
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), IRBUS_ENOTFOUND);

    /* An answer that arrives while irbus_receive waits is kept too. */
    CHECK_EQ(irbus_publish_send(c, &p, &tok[0]), 0);
    CHECK_EQ(irbus_receive(c, 300, &m), IRBUS_ETIMEOUT); /* no subscription: nothing for it */
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), 0);
    CHECK_EQ(t, tok[0]);
    CHECK_EQ(st, 0);

    /* No answer within the client's timeout: reported as such once, and
     * the late answer is ignored. A publish sent earlier with a longer
     * timeout, still waiting, neither delays that nor times out with it. */
    p.incident = "HOLD";
    CHECK_EQ(irbus_publish_send(c, &p, &tok[1]), 0);
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), IRBUS_ETIMEOUT);
    irbus_client_set_timeout(c, 200);
    CHECK_EQ(irbus_publish_send(c, &p, &tok[0]), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(irbus_publish_result(c, 5000, &t, &st, &r), 0);
    CHECK(elapsed_ms(&t0) >= 150 && elapsed_ms(&t0) < 2000);
    CHECK_EQ(t, tok[0]);
    CHECK_EQ(st, IRBUS_ETIMEOUT);
    irbus_client_set_timeout(c, 3000);
    CHECK_EQ(irbus_ack(c, "INC-1", 1), 0); /* releases the late receipts */
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), 0);
    CHECK_EQ(t, tok[1]);
    CHECK_EQ(st, 0);
    CHECK_EQ(irbus_publish_result(c, 0, &t, &st, &r), IRBUS_ENOTFOUND);
out:
    fake_close(&fk, th, &c);
    irbus_key_destroy(&me);
}

int
main(void) {
    if (irbus_init() != 0) {
        return 1;
    }
    test_message_destroy_null();
    test_receipt_verify();
    test_no_broker();
    test_with_fake_broker();
    test_reset_mid_deliver();
    test_pipeline();
    return check_done("test_client");
}
