/*
 * 30-flow.c - delivery and flow control against the real irbusd
 * (DESIGN.md section 10, schema/protocol.md sections 5.5 and 11):
 *   - "new" delivers only what is stored after the subscription; "from N"
 *     starts at N, also when N is still beyond the head;
 *   - a subscription from sequence 1 made while a publisher keeps
 *     publishing replays the history and goes live with every sequence
 *     exactly once, in order;
 *   - history by range with a limit returns exactly the records asked for
 *     and the right `next`, and never a record before it is committed;
 *   - an ack inside the log is answered ok and recorded (read back from the
 *     store after the broker stops); an ack beyond the head is refused with
 *     115 and changes nothing;
 *   - two stalled subscribers (a libirbus client that never calls
 *     irbus_receive, and a raw DEALER that does not read its socket) while
 *     100,000 messages of 1,000 bytes are published by 16 clients: the
 *     broker's anonymous memory stays under a stated bound, the raw
 *     subscriber gets exactly its credit and not one delivery more, a
 *     request it makes while stalled is answered, and afterwards both
 *     receive all 100,000 exactly once, in order, with their contents;
 *   - a client whose delivery queue at the broker is full still gets the
 *     answers to its ack and its publish.
 * Usage: 30-flow IRBUSD [MESSAGES]   (IRB_FLOW_MESSAGES overrides; default 100000)
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"
#include "store.h"
#include "wire.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#if defined(__SANITIZE_ADDRESS__)
#define FLOW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLOW_ASAN 1
#endif
#endif
#ifndef FLOW_ASAN
#define FLOW_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__)
#define FLOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FLOW_TSAN 1
#endif
#endif
#ifndef FLOW_TSAN
#define FLOW_TSAN 0
#endif

/* Publisher threads, one participant each: the broker commits what arrives
 * together, so throughput grows with the number of clients waiting for
 * their receipts. */
#define NPUB           16
#define BIG_PAYLOAD    1000 /* bytes per message in the stalled-subscriber test */
#define SMALL_PAYLOAD  64   /* bytes per message elsewhere */
#define STALLED_WINDOW 500  /* credit of the libirbus subscriber that stops reading */
/* Credit of the raw subscriber: above what the broker queues to one
 * connection unreported (IRB_MAX_QUEUED_DELIVERIES, 768), so that cap, not
 * the credit, is what stops the deliveries. */
#define RAW_CREDIT    2000
#define SEAM_PRE      2000    /* history before the seam subscription */
#define SEAM_LIVE     3000    /* published while it replays and goes live */
#define SAMPLE_US     20000   /* broker memory sampled every 20 ms */
#define MiB           1024L   /* in KiB */
#define BEHIND_WINDOW 2000    /* a window larger than the per-connection delivery cap (768) */
#define PROBE_ID      1000000 /* request id of the raw subscriber's grant while stalled */

/*
 * The memory bound of the stalled-subscriber test, on the broker's
 * anonymous resident memory (RssAnon: heap, stacks, ZeroMQ's queues; not the
 * LMDB map, whose pages are page cache and grow with the log by design).
 *
 * What the broker may legitimately hold for the two stalled subscribers is
 * their outstanding credit: (500 + 20,000) deliveries of about 1.2 KiB
 * (1,000 bytes of payload, envelope, signature, frame, ZeroMQ message
 * header) = about 24 MiB, less whatever the kernel's socket buffers and the
 * clients' own queues take (measured: about 15 MiB). Buffering the 100,000
 * messages instead would cost at least 100,000 x 1,000 bytes = 95 MiB if
 * the two subscribers shared one copy, 190 MiB if each had its own. 48 MiB
 * of growth over the baseline taken just before publishing leaves room for
 * allocator slack and fails any broker that buffers the backlog in memory.
 *
 * Under AddressSanitizer every allocation carries redzones, and freed blocks
 * sit in a quarantine before reuse and then in the sanitizer allocator's
 * free lists, which it keeps. The broker of this test is started with the
 * quarantine capped at QUARANTINE_MB; the bound doubles for redzones and
 * adds twice the quarantine for it and the free lists it feeds: 160 MiB.
 * That still fails a broker that keeps a copy of the backlog per subscriber;
 * the plain build's bound is the one that fails any buffering. (Measured
 * under ASan: +55 MiB while stalled, +86 MiB at the peak of the drain.)
 */
#define QUARANTINE_MB 32
/* Under ThreadSanitizer (shadow memory several times the heap) no bound can
 * tell buffering from instrumentation: the memory checks are made by the
 * plain and ASan builds, and only printed here. */
#define RSS_BOUND_CHECKED (!FLOW_TSAN)
#if FLOW_ASAN
#define RSS_GROWTH_BOUND_KIB (2 * 48 * MiB + 2 * QUARANTINE_MB * MiB)
#else
#define RSS_GROWTH_BOUND_KIB (48 * MiB)
#endif

/*
 * The raw subscriber's socket. Its own queue is kept small, so that libzmq
 * soon stops reading the connection. It sends heartbeats of its own and
 * waits long for the answers: a peer whose libzmq has stopped reading does
 * not answer the broker's PINGs either, and the broker's heartbeat timeout
 * (30 s) would close the connection (ending its subscription) once the
 * stall outlasts it, as it may on a loaded machine or under a sanitizer.
 * Its own PINGs keep the broker's side of the connection alive; that is
 * transport, not reading.
 */
static const struct raw_opts raw_stalling = {100, 5000, 600000};

static struct broker br;
static irbus_key *op, *pubkeys[NPUB], *bob, *carol;
static char pubids[NPUB][32];
static uint8_t rawbuf[IRB_MAX_FRAME], rawout[4096];
static struct irb_frame rawf, sendf; /* received, and sent, by the raw subscriber */
static struct irb_env rawe;

static double
mono_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The payload of message i of publisher tag: a readable header, then
 * letters that depend on tag, i and position, so that any two messages
 * differ and a shifted, truncated or swapped payload does not compare
 * equal. */
static size_t
make_payload(char *buf, unsigned tag, unsigned i, size_t len) {
    int n = snprintf(buf, len, "flow tag=%u i=%u |", tag, i);

    for (size_t k = (size_t)n; k < len; k++) {
        buf[k] = (char)('a' + (tag * 7u + i + k) % 26u);
    }
    return len;
}

static int
payload_is(const uint8_t *p, size_t plen, unsigned tag, unsigned i, size_t len) {
    char want[BIG_PAYLOAD];

    if (plen != len || len > sizeof want) {
        return 0;
    }
    make_payload(want, tag, i, len);
    return memcmp(p, want, len) == 0;
}

static int
publish(irbus_client *c, const char *incident, unsigned tag, unsigned i, size_t len,
        struct irbus_receipt *r) {
    char text[BIG_PAYLOAD];
    struct irbus_publish m = {incident, "findings", "GREEN",      NULL, NULL,
                              NULL,     0,          "text/plain", text, 0};

    m.payload_len = make_payload(text, tag, i, len);
    return irbus_publish(c, &m, r);
}

/* ---- the raw subscriber's socket ------------------------------------------- */

static long
raw_send(void *s, const struct irb_frame *f) {
    long n = irb_wire_encode(f, rawout, sizeof rawout);

    if (n <= 0 || zmq_send(s, rawout, (size_t)n, 0) != n) {
        return -1;
    }
    return n;
}

/* Read one frame from the raw socket within timeout_ms into rawf/rawe.
 * 1: a frame; 0: nothing came; -1: undecodable. */
static int
raw_read(void *s, int timeout_ms) {
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    int n;

    if (zmq_poll(&it, 1, timeout_ms) <= 0) {
        return 0;
    }
    n = zmq_recv(s, rawbuf, sizeof rawbuf, 0);
    if (n < 0 || (size_t)n > sizeof rawbuf) {
        return -1;
    }
    return irb_wire_decode_full(rawbuf, (size_t)n, &rawf, &rawe) == 0 ? 1 : -1;
}

/* ---- publisher threads ---------------------------------------------------- */

struct publisher {
    pthread_t th;
    irbus_key *key;
    const char *incident;
    unsigned tag;   /* payload tag */
    unsigned first; /* index of the first message */
    unsigned count;
    size_t len;        /* payload bytes */
    unsigned pause_us; /* between two publishes */
    uint64_t *seqs;    /* receipt sequence of message first + k, 0 if refused */
    unsigned failed;
    int first_error;
    atomic_uint done; /* publishes answered so far */
    atomic_int *hold; /* if set: the last HOLD_LAST publishes wait until it is nonzero */
};

#define HOLD_LAST 100

static void *
publish_loop(void *arg) {
    struct publisher *p = arg;
    irbus_client *c = connect_as(&br, p->key);
    struct irbus_receipt r;

    if (c == NULL) {
        p->failed = p->count;
        p->first_error = IRBUS_EIO;
        return NULL;
    }
    irbus_client_set_timeout(c, 20000);
    for (unsigned k = 0; k < p->count; k++) {
        int rc;
        if (p->hold != NULL && k + HOLD_LAST == p->count) {
            for (int w = 0; w < 600000 && atomic_load(p->hold) == 0; w++) {
                usleep(1000); /* at most 10 minutes: then the test fails */
            }
        }
        rc = publish(c, p->incident, p->tag, p->first + k, p->len, &r);
        if (rc == 0) {
            p->seqs[k] = r.seq;
        } else {
            p->seqs[k] = 0;
            if (p->failed++ == 0) {
                p->first_error = rc;
            }
        }
        atomic_fetch_add(&p->done, 1);
        if (p->pause_us > 0) {
            usleep(p->pause_us);
        }
    }
    irbus_client_destroy(&c);
    return NULL;
}

static void
publisher_start_held(struct publisher *p, irbus_key *key, const char *incident, unsigned tag,
                     unsigned first, unsigned count, size_t len, unsigned pause_us,
                     atomic_int *hold) {
    memset(p, 0, sizeof *p);
    p->hold = hold;
    p->key = key;
    p->incident = incident;
    p->tag = tag;
    p->first = first;
    p->count = count;
    p->len = len;
    p->pause_us = pause_us;
    p->seqs = calloc(count, sizeof *p->seqs);
    atomic_init(&p->done, 0);
    CHECK(p->seqs != NULL);
    CHECK_EQ(pthread_create(&p->th, NULL, publish_loop, p), 0);
}

static void
publisher_start(struct publisher *p, irbus_key *key, const char *incident, unsigned tag,
                unsigned first, unsigned count, size_t len, unsigned pause_us) {
    publisher_start_held(p, key, incident, tag, first, count, len, pause_us, NULL);
}

static void
publisher_join(struct publisher *p) {
    pthread_join(p->th, NULL);
    if (p->failed > 0) {
        fprintf(stderr, "publisher tag=%u: %u of %u publishes refused, first: %s\n", p->tag,
                p->failed, p->count, irbus_strerror(p->first_error));
    }
    CHECK_EQ(p->failed, 0);
}

/* ---- setup ---------------------------------------------------------------- */

/* An incident whose parties are acme (affected, publishers) and csirt (bob,
 * carol): records 1..3 are its commands. */
static void
open_incident(const char *id, int with_csirt) {
    irbus_client *c = connect_as(&br, pubkeys[0]);
    struct irbus_receipt r;

    CHECK(c != NULL);
    CHECK_EQ(irbus_incident_open(c, id, "flow control", "none", &r), 0);
    CHECK_EQ(r.seq, 1);
    CHECK_EQ(irbus_incident_party_add(c, id, "acme", "affected", pubids[0], &r), 0);
    CHECK_EQ(r.seq, 2);
    if (with_csirt) {
        CHECK_EQ(irbus_incident_party_add(c, id, "csirt", "csirt", "bob@csirt", &r), 0);
        CHECK_EQ(r.seq, 3);
    }
    irbus_client_destroy(&c);
}

static void
setup(void) {
    irbus_client *c = connect_as(&br, op);

    CHECK(c != NULL);
    CHECK_EQ(irbus_admin_org_add(c, "acme", "entity", "Acme Water", NULL), 0);
    CHECK_EQ(irbus_admin_org_add(c, "csirt", "csirt", "National CSIRT", NULL), 0);
    for (int i = 0; i < NPUB; i++) {
        CHECK_EQ(irbus_admin_participant_add(c, pubids[i], "acme", irbus_key_public(pubkeys[i]), 0,
                                             NULL, NULL),
                 0);
    }
    CHECK_EQ(
        irbus_admin_participant_add(c, "bob@csirt", "csirt", irbus_key_public(bob), 0, NULL, NULL),
        0);
    CHECK_EQ(irbus_admin_participant_add(c, "carol@csirt", "csirt", irbus_key_public(carol), 0,
                                         NULL, NULL),
             0);
    irbus_client_destroy(&c);
    open_incident("INC-N", 1);
    open_incident("INC-S", 1);
    open_incident("INC-F", 1);
    open_incident("INC-X", 0); /* csirt is not a party: bob may not read it */
}

/* Receive exactly the messages whose sequences are want[0..n) (payload
 * tag/first+k of len bytes, when tag is not 0), in that order, then nothing
 * more within quiet_ms. */
static void
expect_deliveries(irbus_client *c, const char *incident, uint64_t sub, const uint64_t *want,
                  unsigned n, unsigned tag, unsigned first, size_t len, int quiet_ms) {
    irbus_message *m = NULL;
    unsigned got = 0;
    int rc;

    while (got < n && (rc = irbus_receive(c, 5000, &m)) == 0) {
        CHECK_EQ(m->seq, want[got]);
        CHECK_EQ(m->sub, sub);
        CHECK(strcmp(m->incident, incident) == 0);
        CHECK(strcmp(m->channel, "findings") == 0);
        if (tag != 0) {
            CHECK(payload_is(m->payload, m->payload_len, tag, first + got, len));
        }
        got++;
        irbus_message_destroy(&m);
    }
    CHECK_EQ(got, n);
    CHECK_EQ(irbus_receive(c, quiet_ms, &m), IRBUS_ETIMEOUT); /* and nothing more */
    irbus_message_destroy(&m);
}

/* ---- 3. "new" and "from N" -------------------------------------------------- */

static uint64_t n_seqs[10]; /* INC-N: receipts of messages 0..9 (tag 100) */

static void
test_new_and_from_n(void) {
    irbus_client *a = connect_as(&br, pubkeys[1]);
    irbus_client *b_new = connect_as(&br, bob), *b_n = connect_as(&br, bob),
                 *b_future = connect_as(&br, bob);
    struct irbus_receipt r;
    uint64_t s_new = 0, s_n = 0, s_future = 0, future;
    irbus_message *m = NULL;

    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(publish(a, "INC-N", 100, i, SMALL_PAYLOAD, &r), 0);
        n_seqs[i] = r.seq;
        CHECK_EQ(r.seq, 4 + i); /* after the three commands */
    }
    CHECK_EQ(irbus_subscribe(b_new, "INC-N", "findings", IRBUS_FROM_NEW, 16, &s_new), 0);
    CHECK(s_new >= 1);
    CHECK_EQ(irbus_receive(b_new, 300, &m), IRBUS_ETIMEOUT); /* no history for "new" */
    irbus_message_destroy(&m);
    /* From N inside the history, and from a sequence not stored yet. */
    CHECK_EQ(irbus_subscribe(b_n, "INC-N", "findings", n_seqs[2], 16, &s_n), 0);
    future = n_seqs[4] + 3;
    CHECK_EQ(irbus_subscribe(b_future, "INC-N", "findings", future, 16, &s_future), 0);
    CHECK_EQ(irbus_receive(b_future, 300, &m), IRBUS_ETIMEOUT);
    irbus_message_destroy(&m);
    for (unsigned i = 5; i < 10; i++) {
        CHECK_EQ(publish(a, "INC-N", 100, i, SMALL_PAYLOAD, &r), 0);
        n_seqs[i] = r.seq;
        CHECK_EQ(r.seq, 4 + i);
    }
    expect_deliveries(b_new, "INC-N", s_new, &n_seqs[5], 5, 100, 5, SMALL_PAYLOAD, 300);
    expect_deliveries(b_n, "INC-N", s_n, &n_seqs[2], 8, 100, 2, SMALL_PAYLOAD, 300);
    CHECK_EQ(n_seqs[7], future);
    expect_deliveries(b_future, "INC-N", s_future, &n_seqs[7], 3, 100, 7, SMALL_PAYLOAD, 300);
    printf("new/from-N: \"new\" got 5 of 10, from %llu got 8, from %llu (beyond the head) got 3\n",
           (unsigned long long)n_seqs[2], (unsigned long long)future);
    irbus_client_destroy(&a);
    irbus_client_destroy(&b_new);
    irbus_client_destroy(&b_n);
    irbus_client_destroy(&b_future);
}

/* ---- 4. acks ---------------------------------------------------------------- */

static uint64_t ack_t0, ack_t1, ack_probe_high;

static void
test_ack(void) {
    irbus_client *b = connect_as(&br, bob);
    uint64_t head = n_seqs[9];

    ack_t0 = wall_ms();
    CHECK_EQ(irbus_ack(b, "INC-N", n_seqs[5]), 0);
    CHECK_EQ(irbus_ack(b, "INC-N", head), 0); /* the head itself is inside the log */
    ack_t1 = wall_ms();
    /* Beyond the head: 115, and the recorded position stays at the head. */
    CHECK_EQ(irbus_ack(b, "INC-N", head + 1), IRBUS_EVALUE);
    CHECK(strstr(irbus_client_last_error(b), "beyond") != NULL);
    CHECK_EQ(irbus_ack(b, "INC-N", UINT64_MAX), IRBUS_EVALUE);
    CHECK_EQ(irbus_ack(b, "INC-N", 0), IRBUS_EINVAL); /* refused by the library */
    CHECK_EQ(irbus_ack(b, "INC-NONE", 1), IRBUS_ENOTFOUND);
    CHECK_EQ(irbus_ack(b, "INC-X", 1), IRBUS_ENOTMEMBER); /* not a party */
    /* Probe (reported, not asserted): an ack below an earlier one. */
    ack_probe_high = SEAM_PRE; /* INC-S has at least this many records by now */
    CHECK_EQ(irbus_ack(b, "INC-S", ack_probe_high), 0);
    CHECK_EQ(irbus_ack(b, "INC-S", 5), 0);
    irbus_client_destroy(&b);
}

/* After the broker has stopped: what it recorded. */
static void
check_acks_stored(void) {
    struct irb_store *s = NULL;
    char path[400], err[256];
    uint64_t seq = 0, when = 0;

    snprintf(path, sizeof path, "%s/store", br.data);
    CHECK_EQ(irb_store_open(path, (uint64_t)1 << 30, &s, err, sizeof err), 0);
    if (s == NULL) {
        fprintf(stderr, "store: %s\n", err);
        return;
    }
    CHECK_EQ(irb_store_get_ack(s, "bob@csirt", "INC-N", &seq, &when), 0);
    CHECK_EQ(seq, n_seqs[9]);
    CHECK(when >= ack_t0 && when <= ack_t1);
    CHECK_EQ(irb_store_get_ack(s, "carol@csirt", "INC-N", &seq, &when), IRBUS_ENOTFOUND);
    seq = 0;
    CHECK_EQ(irb_store_get_ack(s, "bob@csirt", "INC-S", &seq, &when), 0);
    printf("ack: INC-N recorded at %llu; an ack of 5 after %llu on INC-S left %llu recorded%s\n",
           (unsigned long long)n_seqs[9], (unsigned long long)ack_probe_high,
           (unsigned long long)seq, seq < ack_probe_high ? " (the read position went back)" : "");
    irb_store_close(&s);
}

/* ---- 2. replay, then live, with no seam ------------------------------------- */

static uint64_t *s_seqs; /* INC-S: receipt of message i (tag 200), SEAM_PRE + SEAM_LIVE */
static atomic_int seam_crossed;

static void
test_seam(void) {
    struct publisher pre, live;
    irbus_client *b = connect_as(&br, bob);
    irbus_message *m = NULL;
    uint64_t sub = 0, expect = 1, last;
    unsigned got_findings = 0, live_seen = 0, at_subscribe;
    double t0 = mono_s();
    int rc = 0;

    publisher_start(&pre, pubkeys[2], "INC-S", 200, 0, SEAM_PRE, SMALL_PAYLOAD, 0);
    publisher_join(&pre);
    /* Publishing goes on, paced so that the subscriber can catch up and
     * cross the seam while it does; its last HOLD_LAST publishes wait until
     * the subscriber has received a record published after it subscribed,
     * so that crossing while publishing goes on does not depend on speed. */
    atomic_store(&seam_crossed, 0);
    publisher_start_held(&live, pubkeys[2], "INC-S", 200, SEAM_PRE, SEAM_LIVE, SMALL_PAYLOAD, 200,
                         &seam_crossed);
    while (atomic_load(&live.done) < 100) {
        usleep(1000);
    }
    CHECK_EQ(irbus_subscribe(b, "INC-S", "status,coordination,findings,notifications",
                             IRBUS_FROM_START, 64, &sub),
             0);
    at_subscribe = atomic_load(&live.done);
    s_seqs = calloc(SEAM_PRE + SEAM_LIVE, sizeof *s_seqs);
    memcpy(s_seqs, pre.seqs, SEAM_PRE * sizeof *s_seqs);
    /* Every record of the incident is visible on these channels: the
     * commands (1..3) and every message, so the sequences are exactly
     * 1, 2, 3 ... up to the last receipt. */
    last = 3 + SEAM_PRE + SEAM_LIVE;
    while (expect <= last && (rc = irbus_receive(b, 10000, &m)) == 0) {
        if (m->seq != expect) {
            fprintf(stderr, "seam: got sequence %llu, want %llu\n", (unsigned long long)m->seq,
                    (unsigned long long)expect);
        }
        CHECK_EQ(m->seq, expect);
        CHECK_EQ(m->sub, sub);
        if (m->seq > 3) {
            unsigned i = (unsigned)(m->seq - 4); /* one publisher: message i is record 4 + i */
            CHECK(strcmp(m->kind, "msg") == 0);
            CHECK(payload_is(m->payload, m->payload_len, 200, i, SMALL_PAYLOAD));
            got_findings++;
            if (atomic_load(&live.done) < SEAM_LIVE) {
                live_seen++;
            }
            if (i >= SEAM_PRE + at_subscribe) {
                atomic_store(&seam_crossed, 1);
            }
        } else {
            CHECK(strcmp(m->kind, m->seq == 1 ? "incident.open" : "party.add") == 0);
        }
        expect = m->seq + 1;
        irbus_message_destroy(&m);
    }
    CHECK_EQ(rc, 0);
    publisher_join(&live);
    memcpy(s_seqs + SEAM_PRE, live.seqs, SEAM_LIVE * sizeof *s_seqs);
    for (unsigned i = 0; i < SEAM_PRE + SEAM_LIVE; i++) {
        if (s_seqs[i] != 4 + i) {
            CHECK_EQ(s_seqs[i], 4 + i); /* the receipts are what the deliveries said */
            break;
        }
    }
    CHECK_EQ(expect, last + 1);
    CHECK_EQ(got_findings, SEAM_PRE + SEAM_LIVE);
    CHECK_EQ(irbus_receive(b, 300, &m), IRBUS_ETIMEOUT);
    irbus_message_destroy(&m);
    /* The subscription really went live while publishing went on: it
     * received messages beyond the history it started with before the
     * publisher finished. */
    CHECK(live_seen > SEAM_PRE + at_subscribe);
    printf("seam: %llu records exactly once in order; subscribed after %u live publishes, "
           "%u messages received while publishing went on (%.1f s)\n",
           (unsigned long long)last, at_subscribe, live_seen, mono_s() - t0);
    free(pre.seqs);
    free(live.seqs);
    irbus_client_destroy(&b);
}

/* ---- 5. history by range ------------------------------------------------------ */

static void
expect_history(irbus_client *c, const char *channels, uint64_t from, uint64_t until, uint32_t limit,
               uint64_t want_first, unsigned want_n, uint64_t want_next) {
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next = 0;

    CHECK_EQ(irbus_history(c, "INC-S", channels, from, until, limit, &msgs, &n, &next), 0);
    CHECK_EQ(n, want_n);
    CHECK_EQ(next, want_next);
    for (size_t k = 0; k < n; k++) {
        uint64_t seq = want_first + k;
        CHECK_EQ(msgs[k]->seq, seq);
        CHECK_EQ(msgs[k]->sub, 0);
        if (seq >= 4 && seq < 4 + SEAM_PRE + SEAM_LIVE) {
            CHECK(payload_is(msgs[k]->payload, msgs[k]->payload_len, 200, (unsigned)(seq - 4),
                             SMALL_PAYLOAD));
        }
        irbus_message_destroy(&msgs[k]);
    }
    free(msgs);
}

static void
test_history(void) {
    irbus_client *b = connect_as(&br, bob);
    const uint64_t head = 3 + SEAM_PRE + SEAM_LIVE;
    irbus_message **msgs = NULL;
    size_t n = 7;
    uint64_t next = 7;

    /* A range larger than the limit, read in two pages. */
    expect_history(b, "findings", 100, 199, 40, 100, 40, 140);
    expect_history(b, "findings", 140, 199, 256, 140, 60, 200);
    /* Records the channel filter leaves out (the commands, 1..3) are skipped
     * and do not count against the limit. */
    expect_history(b, "findings", 1, 10, 5, 4, 5, 9);
    expect_history(b, "status", 1, 10, 5, 1, 3, 11);
    /* The largest limit, a range reaching the head, and past it. */
    expect_history(b, "findings", 4, 0, 256, 4, 256, 260);
    expect_history(b, "findings", head - 2, 0, 256, head - 2, 3, head + 1);
    expect_history(b, "findings", head + 1, 0, 10, 0, 0, head + 1);
    /* An exact fit: the limit ends where the range does. */
    expect_history(b, "findings", 500, 509, 10, 500, 10, 510);
    CHECK_EQ(irbus_history(b, "INC-S", "findings", 1, 0, 0, &msgs, &n, &next), IRBUS_EINVAL);
    CHECK_EQ(irbus_history(b, "INC-S", "findings", 1, 0, 257, &msgs, &n, &next), IRBUS_EINVAL);
    CHECK_EQ(irbus_history(b, "INC-X", "findings", 1, 0, 10, &msgs, &n, &next), IRBUS_ENOTMEMBER);
    /* The same refusals with an upper bound; the broker keeps serving. If it
     * does not survive them, it is restarted so that the rest still runs. */
    CHECK_EQ(irbus_history(b, "INC-X", "findings", 1, 10, 10, &msgs, &n, &next), IRBUS_ENOTMEMBER);
    CHECK_EQ(irbus_history(b, "INC-NONE", "findings", 1, 10, 10, &msgs, &n, &next),
             IRBUS_ENOTFOUND);
    usleep(100000);
    CHECK(broker_alive(&br));
    if (br.pid == 0) {
        CHECK_EQ(broker_start(&br), 0);
        irbus_client_destroy(&b);
        b = connect_as(&br, bob);
    }
    expect_history(b, "findings", 4, 5, 10, 4, 2, 6);
    printf("history: pages, filters, limits and next as asked\n");
    irbus_client_destroy(&b);
}

/* ---- history shows only what is durable ------------------------------------- */

/*
 * A publish and a history request sent back to back on one connection, so
 * that the broker reads both in one pass: the history may show the new
 * record only once it is committed, that is once its receipt has been sent
 * (receipts follow the commit, and answers on one connection keep their
 * order). A record shown before its receipt is a read of an uncommitted
 * transaction: if that commit then failed, a reader would have seen a
 * record that never existed, and its sequence would be reused.
 */
static void
test_history_committed_only(void) {
    void *raw = raw_connect(&br, pubkeys[0]);
    static uint8_t pubframe[8192];
    struct irb_frame *h = &sendf;
    unsigned early = 0, rounds = 0;

    CHECK(raw != NULL);
    for (int round = 0; raw != NULL && round < 10; round++) {
        uint64_t seq = wall_ms() * 1000 + (uint64_t)round;
        size_t n = build_publish(pubkeys[0], irbus_key_public(pubkeys[0]), "INC-N", "findings",
                                 "committed-only probe", seq, wall_ms(), pubframe, sizeof pubframe);
        int receipt_seen = 0;

        memset(h, 0, offsetof(struct irb_frame, records));
        h->v = 1;
        h->t = IRB_T_HISTORY;
        h->id = 1000 + (uint64_t)round;
        h->incident = (irb_str){"INC-N", 5};
        h->channels = 1u << IRB_CH_FINDINGS;
        h->from = n_seqs[9] + 1;
        h->limit = 256;
        CHECK(n > 0);
        CHECK_EQ(zmq_send(raw, pubframe, n, 0), (long)n);
        CHECK(raw_send(raw, h) > 0);
        for (int k = 0; k < 2; k++) {
            if (raw_read(raw, 3000) != 1) {
                CHECK(0);
                break;
            }
            if (rawf.t == IRB_T_RECEIPT) {
                CHECK_EQ(rawf.id, seq); /* build_publish uses the sequence as the id */
                CHECK_EQ(rawf.seq, n_seqs[9] + 1 + (uint64_t)round);
                receipt_seen = 1;
            } else if (rawf.t == IRB_T_HISTORY_RESULT) {
                CHECK_EQ(rawf.id, 1000 + (uint64_t)round);
                if (!receipt_seen && rawf.nrecords > 0 &&
                    rawf.records[rawf.nrecords - 1].seq > n_seqs[9] + (uint64_t)round) {
                    early++; /* the record whose receipt has not come yet */
                }
            } else {
                CHECK(0);
            }
        }
        rounds++;
    }
    if (early > 0) {
        fprintf(stderr,
                "history: %u of %u times a record was shown before its receipt "
                "(before its commit)\n",
                early, rounds);
    }
    CHECK_EQ(early, 0);
    raw_close(raw);
}

/* ---- 1. stalled subscribers and broker memory ----------------------------------- */

static atomic_int sampling;
static atomic_long peak_anon, peak_rss;

static void *
sample_loop(void *arg) {
    (void)arg;
    while (atomic_load(&sampling)) {
        long a = broker_status_kib(&br, "RssAnon"), r = broker_status_kib(&br, "VmRSS");
        if (a > atomic_load(&peak_anon)) {
            atomic_store(&peak_anon, a);
        }
        if (r > atomic_load(&peak_rss)) {
            atomic_store(&peak_rss, r);
        }
        usleep(SAMPLE_US);
    }
    return NULL;
}

static pthread_t sampler;

static void
sampling_start(void) {
    atomic_store(&peak_anon, broker_status_kib(&br, "RssAnon"));
    atomic_store(&peak_rss, broker_status_kib(&br, "VmRSS"));
    atomic_store(&sampling, 1);
    CHECK_EQ(pthread_create(&sampler, NULL, sample_loop, NULL), 0);
}

static void
sampling_stop(void) {
    atomic_store(&sampling, 0);
    pthread_join(sampler, NULL);
}

/* What the stalled-subscriber test shares with its reader threads. */
struct flow {
    unsigned total;
    uint64_t base; /* sequence of the first message */
    uint32_t *who; /* who[seq - base] = publisher << 24 | index */
    uint64_t sub;
    irbus_client *client;
    unsigned got, oks, probe_oks, bad_seq, bad_payload, bad_other;
    uint64_t bytes; /* raw: envelope bytes consumed since the last grant */
    int last_rc;
    double seconds;
};

static void *
read_client(void *arg) {
    struct flow *fl = arg;
    irbus_message *m = NULL;
    double t0 = mono_s();
    int rc = 0;

    while (fl->got < fl->total && (rc = irbus_receive(fl->client, 10000, &m)) == 0) {
        uint64_t want = fl->base + fl->got;
        if (m->seq != want) {
            if (fl->bad_seq++ < 5) {
                fprintf(stderr, "stalled client: got sequence %llu, want %llu\n",
                        (unsigned long long)m->seq, (unsigned long long)want);
            }
        } else if (!payload_is(m->payload, m->payload_len, fl->who[m->seq - fl->base] >> 24,
                               fl->who[m->seq - fl->base] & 0xffffff, BIG_PAYLOAD)) {
            fl->bad_payload++;
        }
        if (m->sub != fl->sub || strcmp(m->incident, "INC-F") != 0) {
            fl->bad_other++;
        }
        fl->got++;
        irbus_message_destroy(&m);
    }
    fl->last_rc = rc;
    if (rc == 0) {
        fl->last_rc = irbus_receive(fl->client, 300, &m); /* nothing more */
        irbus_message_destroy(&m);
    }
    fl->seconds = mono_s() - t0;
    return NULL;
}

/* Check a raw delivery against the expected sequences; returns how many
 * records it carried, 0 for an `ok` (of a credit grant), -1 for anything
 * else. */
static int
raw_check_delivery(struct flow *fl, unsigned *got) {
    if (rawf.t == IRB_T_OK) {
        fl->oks++;
        fl->probe_oks += rawf.id == PROBE_ID;
        return 0;
    }
    if (rawf.t != IRB_T_DELIVER) {
        if (fl->bad_other++ < 5) {
            fprintf(stderr, "raw: frame type %s (code %llu: %.*s)\n",
                    irb_type_name((enum irb_type)rawf.t), (unsigned long long)rawf.code,
                    (int)rawf.msg.len, rawf.msg.p);
        }
        return -1;
    }
    if (rawf.sub != fl->sub) {
        fl->bad_other++;
    }
    for (uint32_t i = 0; i < rawf.nrecords; i++) {
        const struct irb_record *rec = &rawf.records[i];
        uint64_t want = fl->base + *got;

        if (rec->seq != want || want - fl->base >= fl->total) {
            if (fl->bad_seq++ < 5) {
                fprintf(stderr, "raw: got sequence %llu, want %llu\n", (unsigned long long)rec->seq,
                        (unsigned long long)want);
            }
        } else if (irb_wire_decode_env(rec->env.p, rec->env.len, &rawe) != 0 ||
                   !payload_is(rawe.payload.p, rawe.payload.len, fl->who[want - fl->base] >> 24,
                               fl->who[want - fl->base] & 0xffffff, BIG_PAYLOAD)) {
            fl->bad_payload++;
        }
        fl->bytes += rec->env.len; /* consumed, to be reported with the next grant */
        (*got)++;
    }
    return (int)rawf.nrecords;
}

static void
test_stalled(unsigned total) {
    struct publisher pubs[NPUB];
    struct flow cl, raw;
    irbus_client *b = connect_as(&br, bob);
    void *rs = raw_connect_opts(&br, carol, &raw_stalling);
    struct irb_frame *f = &sendf;
    pthread_t reader;
    long base_anon, base_rss, base_hwm, after_anon, after_rss, after_hwm, peak_a1, peak_r1, peak_a2,
        peak_r2;
    uint64_t head_before;
    unsigned per = total / NPUB, grants, since_grant = 0, first_burst = 0, got = 0;
    double t0, t_pub, t_read;
    int rc;

    CHECK(b != NULL && rs != NULL);
    if (b == NULL || rs == NULL) {
        return;
    }
    memset(&cl, 0, sizeof cl);
    memset(&raw, 0, sizeof raw);
    /* The libirbus subscriber: some credit, then it does not call
     * irbus_receive (so it never grants more). */
    CHECK_EQ(irbus_subscribe(b, "INC-F", "findings", IRBUS_FROM_NEW, STALLED_WINDOW, &cl.sub), 0);
    /* The raw subscriber reads the `ok` of its subscribe, then nothing. */
    memset(f, 0, offsetof(struct irb_frame, records));
    f->v = 1;
    f->t = IRB_T_SUBSCRIBE;
    f->id = 1;
    f->incident = (irb_str){"INC-F", 5};
    f->channels = 1u << IRB_CH_FINDINGS;
    f->from = 0;
    f->credit = RAW_CREDIT;
    CHECK(raw_send(rs, f) > 0);
    CHECK_EQ(raw_read(rs, 5000), 1);
    CHECK_EQ(rawf.t, IRB_T_OK);
    raw.sub = rawf.sub;
    CHECK(raw.sub >= 1);

    head_before = 3; /* INC-F holds only its commands so far */
    usleep(300000);  /* let the broker settle before the baseline */
    base_anon = broker_status_kib(&br, "RssAnon");
    base_rss = broker_status_kib(&br, "VmRSS");
    base_hwm = broker_status_kib(&br, "VmHWM");
    CHECK(base_anon > 0 && base_rss > 0);
    sampling_start();
    t0 = mono_s();
    for (int i = 0; i < NPUB; i++) {
        publisher_start(&pubs[i], pubkeys[i], "INC-F", (unsigned)i + 1, 0,
                        i == NPUB - 1 ? total - per * (NPUB - 1) : per, BIG_PAYLOAD, 0);
    }
    for (int i = 0; i < NPUB; i++) {
        publisher_join(&pubs[i]);
    }
    t_pub = mono_s() - t0;
    usleep(500000); /* whatever the broker would still queue, it has queued */
    sampling_stop();
    peak_a1 = atomic_load(&peak_anon);
    peak_r1 = atomic_load(&peak_rss);
    after_anon = broker_status_kib(&br, "RssAnon");
    after_rss = broker_status_kib(&br, "VmRSS");
    after_hwm = broker_status_kib(&br, "VmHWM");
    printf("stalled: %u messages of %d bytes published by %d clients in %.1f s (%.0f/s)\n", total,
           BIG_PAYLOAD, NPUB, t_pub, total / t_pub);
    printf("stalled: broker RssAnon %ld -> %ld KiB (peak %ld, +%ld KiB; bound +%ld KiB), "
           "VmRSS %ld -> %ld KiB (peak %ld), VmHWM %ld -> %ld KiB\n",
           base_anon, after_anon, peak_a1, peak_a1 - base_anon, RSS_GROWTH_BOUND_KIB, base_rss,
           after_rss, peak_r1, base_hwm, after_hwm);
    CHECK(!RSS_BOUND_CHECKED || peak_a1 - base_anon <= RSS_GROWTH_BOUND_KIB);
    CHECK(!RSS_BOUND_CHECKED || after_anon - base_anon <= RSS_GROWTH_BOUND_KIB);

    /* Who wrote which record: the receipts must cover base .. base+total-1
     * exactly once. */
    cl.total = raw.total = total;
    cl.base = raw.base = head_before + 1;
    cl.who = raw.who = calloc(total, sizeof *cl.who);
    CHECK(cl.who != NULL);
    {
        unsigned dup = 0, out = 0;
        for (int i = 0; i < NPUB; i++) {
            for (unsigned k = 0; k < pubs[i].count; k++) {
                uint64_t seq = pubs[i].seqs[k];
                if (seq < cl.base || seq >= cl.base + total) {
                    out++;
                } else if (cl.who[seq - cl.base] != 0) {
                    dup++;
                } else {
                    cl.who[seq - cl.base] = (uint32_t)(i + 1) << 24 | k;
                }
            }
            free(pubs[i].seqs);
        }
        CHECK_EQ(dup, 0);
        CHECK_EQ(out, 0);
    }

    /* While it is stalled, with the broker's queue towards it full, the raw
     * subscriber sends a request (a grant of 0, which changes nothing):
     * every request gets exactly one answer, so its `ok` must come. */
    memset(f, 0, offsetof(struct irb_frame, records));
    f->v = 1;
    f->t = IRB_T_CREDIT;
    f->id = PROBE_ID;
    f->sub = raw.sub;
    f->credit = 0;
    CHECK(raw_send(rs, f) > 0);

    /* Resume. Memory is watched while the backlog drains too. */
    sampling_start();
    t0 = mono_s();
    cl.client = b;
    CHECK_EQ(pthread_create(&reader, NULL, read_client, &cl), 0);
    /* The raw subscriber first takes what is already its due without
     * reporting anything: its credit is larger than what the broker queues
     * to one connection unreported, so exactly that many, not one more. */
    while ((rc = raw_read(rs, 2000)) == 1) {
        int k = raw_check_delivery(&raw, &got);
        first_burst += k > 0 ? (unsigned)k : 0;
    }
    CHECK_EQ(rc, 0);
    CHECK(RAW_CREDIT > IRB_MAX_QUEUED_DELIVERIES);
    CHECK_EQ(first_burst, IRB_MAX_QUEUED_DELIVERIES);
    /* Then it grants as it goes, like a client would. */
    memset(f, 0, offsetof(struct irb_frame, records));
    f->v = 1;
    f->t = IRB_T_CREDIT;
    f->id = 2;
    f->sub = raw.sub;
    f->credit = RAW_CREDIT;
    f->bytes = raw.bytes; /* what it consumed so far */
    raw.bytes = 0;
    CHECK(raw_send(rs, f) > 0);
    grants = 1;
    /* It reports as the protocol asks: at the latest when half of what the
     * broker queues to a connection is consumed and unreported. */
    while (got < total && (rc = raw_read(rs, 10000)) == 1) {
        int k = raw_check_delivery(&raw, &got);
        since_grant += k > 0 ? (unsigned)k : 0;
        if (since_grant >= IRB_MAX_QUEUED_DELIVERIES / 2) {
            f->id++;
            f->credit = since_grant;
            f->bytes = raw.bytes;
            raw.bytes = 0;
            CHECK(raw_send(rs, f) > 0);
            grants++;
            since_grant = 0;
        }
    }
    CHECK_EQ(rc, 1);
    while ((rc = raw_read(rs, 300)) == 1) { /* only `ok`s of grants may follow */
        CHECK_EQ(raw_check_delivery(&raw, &got), 0);
    }
    raw.got = got;
    pthread_join(reader, NULL);
    t_read = mono_s() - t0;
    sampling_stop();
    peak_a2 = atomic_load(&peak_anon);
    peak_r2 = atomic_load(&peak_rss);
    CHECK(!RSS_BOUND_CHECKED || peak_a2 - base_anon <= RSS_GROWTH_BOUND_KIB);

    CHECK_EQ(raw.got, total);
    CHECK_EQ(raw.bad_seq, 0);
    CHECK_EQ(raw.bad_payload, 0);
    CHECK_EQ(raw.bad_other, 0);
    if (raw.probe_oks != 1 || raw.oks != grants + 1) {
        fprintf(stderr,
                "raw: %u of %u requests answered (the grant sent while stalled: %u times); "
                "answers sent while the broker's queue to this connection is full are lost\n",
                raw.oks, grants + 1, raw.probe_oks);
    }
    CHECK_EQ(raw.probe_oks, 1);
    CHECK_EQ(raw.oks, grants + 1); /* every request answered, once */
    CHECK_EQ(cl.got, total);
    CHECK_EQ(cl.bad_seq, 0);
    CHECK_EQ(cl.bad_payload, 0);
    CHECK_EQ(cl.bad_other, 0);
    CHECK_EQ(cl.last_rc, IRBUS_ETIMEOUT); /* all of them, then nothing more */
    printf("stalled: resumed; raw subscriber got its credit (%u) while stalled, then all %u "
           "exactly once in order; libirbus subscriber got %u exactly once in order (%.1f s); "
           "drain took %.1f s, broker RssAnon peak %ld KiB (+%ld), VmRSS peak %ld KiB\n",
           first_burst, raw.got, cl.got, cl.seconds, t_read, peak_a2, peak_a2 - base_anon, peak_r2);
    free(cl.who);
    raw_close(rs);
    irbus_client_destroy(&b);
}

/* ---- answers on a connection whose delivery queue is full --------------------- */

/*
 * A libirbus subscriber with a large window that has not read yet: the
 * broker has filled its queue towards the connection with deliveries. A
 * request the client makes now (it reads and keeps the deliveries while it
 * waits) must still get its answer: an ack its `ok`, a publish its receipt.
 * A publish whose receipt is lost looks refused to its sender although it
 * was stored.
 */
static void
test_answers_behind_deliveries(unsigned total) {
    irbus_client *c, *h = connect_as(&br, bob);
    struct irbus_receipt r;
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next = 0;
    int rc_ack, rc_pub, stored = 0;

    /* The ack. */
    c = connect_as(&br, bob);
    CHECK_EQ(irbus_subscribe(c, "INC-F", "findings", IRBUS_FROM_START, BEHIND_WINDOW, NULL), 0);
    usleep(FLOW_ASAN ? 1500000 : 500000);
    rc_ack = irbus_ack(c, "INC-F", 4);
    CHECK_EQ(rc_ack, 0);
    irbus_client_destroy(&c);
    /* The publish. */
    c = connect_as(&br, pubkeys[0]);
    CHECK_EQ(irbus_subscribe(c, "INC-F", "findings", IRBUS_FROM_START, BEHIND_WINDOW, NULL), 0);
    usleep(FLOW_ASAN ? 1500000 : 500000);
    rc_pub = publish(c, "INC-F", 300, 0, SMALL_PAYLOAD, &r);
    CHECK_EQ(rc_pub, 0);
    irbus_client_destroy(&c);
    /* Was it stored, whatever its sender was told? It is the record after
     * the 100,000 and their three commands. */
    CHECK_EQ(irbus_history(h, "INC-F", "findings", 4 + total, 0, 10, &msgs, &n, &next), 0);
    CHECK_EQ(n, 1);
    for (size_t k = 0; k < n; k++) {
        CHECK_EQ(msgs[k]->seq, 4 + total);
        stored += payload_is(msgs[k]->payload, msgs[k]->payload_len, 300, 0, SMALL_PAYLOAD);
        irbus_message_destroy(&msgs[k]);
    }
    free(msgs);
    if (rc_pub == 0) {
        CHECK_EQ(r.seq, 4 + total);
    }
    CHECK_EQ(stored, 1);
    printf("behind: with %d deliveries queued, ack answered %s, publish answered %s (stored %d "
           "time%s)\n",
           BEHIND_WINDOW, irbus_strerror(rc_ack), irbus_strerror(rc_pub), stored,
           stored == 1 ? "" : "s");
    irbus_client_destroy(&h);
}

/* Under ASan, start the broker with a bounded quarantine (see the bound). */
static void
limit_asan_quarantine(void) {
#if FLOW_ASAN
    static char opts[1024];
    const char *old = getenv("ASAN_OPTIONS");

    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=%d", old != NULL ? old : "",
             old != NULL && old[0] != 0 ? ":" : "", QUARANTINE_MB);
    setenv("ASAN_OPTIONS", opts, 1);
#endif
}

/* ---- 6. the largest payload ---------------------------------------------- */

/* Records of the largest payload (1 MiB) come back whole: from history one
 * to a page, whatever the limit, and to a subscriber one to a deliver. A
 * frame holds such a record's envelope, signature and proof, and stays
 * within the frame limit. */
static void
test_largest(void) {
    irbus_client *p = connect_as(&br, pubkeys[0]), *b = connect_as(&br, bob);
    const size_t len = IRB_MAX_PAYLOAD;
    char *text = malloc(len);
    struct irbus_publish m = {"INC-S", "findings", "GREEN",      NULL, NULL,
                              NULL,    0,          "text/plain", text, len};
    struct irbus_receipt r[2];
    irbus_message **msgs = NULL, *d = NULL;
    size_t n = 0;
    uint64_t next = 0, sub = 0;

    CHECK(p != NULL && b != NULL && text != NULL);
    if (p == NULL || b == NULL || text == NULL) {
        return;
    }
    for (size_t k = 0; k < len; k++) {
        text[k] = (char)('a' + k % 26);
    }
    for (int i = 0; i < 2; i++) {
        text[0] = (char)('0' + i);
        CHECK_EQ(irbus_publish(p, &m, &r[i]), 0);
    }
    CHECK_EQ(r[1].seq, r[0].seq + 1);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(irbus_history(b, "INC-S", "findings", r[i].seq, 0, 10, &msgs, &n, &next), 0);
        CHECK_EQ(n, 1);
        CHECK_EQ(next, r[i].seq + 1);
        for (size_t k = 0; k < n; k++) {
            CHECK_EQ(msgs[k]->seq, r[i].seq);
            CHECK(msgs[k]->payload_len == len && msgs[k]->payload[0] == '0' + i &&
                  memcmp(msgs[k]->payload + 1, text + 1, len - 1) == 0);
            irbus_message_destroy(&msgs[k]);
        }
        free(msgs);
        msgs = NULL;
    }
    CHECK_EQ(irbus_subscribe(b, "INC-S", "findings", r[0].seq, 16, &sub), 0);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(irbus_receive(b, 20000, &d), 0);
        CHECK(d != NULL && d->seq == r[i].seq && d->sub == sub && d->payload_len == len &&
              d->payload[0] == '0' + i && memcmp(d->payload + 1, text + 1, len - 1) == 0);
        irbus_message_destroy(&d);
    }
    printf("largest: two records of %zu payload bytes read back from history and live\n", len);
    free(text);
    irbus_client_destroy(&p);
    irbus_client_destroy(&b);
}

int
main(int argc, char **argv) {
    unsigned total = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
    double t0 = mono_s();

    if (getenv("IRB_FLOW_MESSAGES") != NULL) {
        total = (unsigned)atoi(getenv("IRB_FLOW_MESSAGES"));
    }
    if (argc < 2 || total <= RAW_CREDIT || total >= 1u << 24) {
        fprintf(stderr, "usage: %s IRBUSD [MESSAGES > %d]\n", argv[0], RAW_CREDIT);
        return 64;
    }
    CHECK_EQ(irbus_init(), 0);
    limit_asan_quarantine();
    CHECK_EQ(broker_init(&br, argv[1], NULL), 0);
    CHECK_EQ(broker_start(&br), 0);
    op = make_key(&br, "op", 0xa0);
    for (int i = 0; i < NPUB; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        snprintf(pubids[i], sizeof pubids[i], "p%d@acme", i);
        pubkeys[i] = make_key(&br, name, (uint8_t)(0x10 + i));
    }
    bob = make_key(&br, "bob", 2);
    carol = make_key(&br, "carol", 3);
    setup();
    test_new_and_from_n();
    test_seam();
    test_history();
    test_ack();
    test_history_committed_only();
    test_stalled(total);
    test_answers_behind_deliveries(total);
    test_largest();
    broker_stop(&br, SIGTERM);
    check_acks_stored();
    broker_cleanup(&br);
    irbus_key_destroy(&op);
    for (int i = 0; i < NPUB; i++) {
        irbus_key_destroy(&pubkeys[i]);
    }
    irbus_key_destroy(&bob);
    irbus_key_destroy(&carol);
    free(s_seqs);
    printf("30-flow: %.1f s%s\n", mono_s() - t0, FLOW_ASAN ? " (AddressSanitizer)" : "");
    return check_done("30-flow");
}
