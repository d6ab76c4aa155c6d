/*
 * 20-durability.c - kill -9 of the broker at random moments while several
 * clients publish: after every restart, every message that got a receipt is
 * in the store with the receipt's hash, the incident's sequence has no gap
 * or duplicate, and the whole chain verifies from genesis (hashes and
 * signatures). Then a tiny store fills: publishers get "storage full", no
 * receipt is issued for anything unstored, and history still reads.
 * Usage: 20-durability IRBUSD [CYCLES]   (IRB_KILL_CYCLES overrides; default 20)
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"
#include "policy.h"
#include "sign.h"
#include "store.h"
#include "wire.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUBLISHERS   3
#define MAX_RECEIPTS 200000

static struct broker br;
static irbus_key *op, *pubkeys[PUBLISHERS];
static atomic_int running;

struct publisher {
    pthread_t th;
    irbus_key *key;
    struct irbus_receipt *receipts;
    size_t n;
    size_t refused;
};

static void *
publish_loop(void *arg) {
    struct publisher *p = arg;
    irbus_client *c = NULL;
    char text[64];
    uint64_t i = 0;

    while (atomic_load(&running)) {
        struct irbus_publish m = {"INC-D", "status", "GREEN",      NULL, NULL,
                                  NULL,    0,        "text/plain", text, 0};
        int rc;
        if (c == NULL) {
            c = connect_as(&br, p->key);
            if (c == NULL) {
                usleep(10000);
                continue;
            }
            irbus_client_set_timeout(c, 500);
        }
        m.payload_len =
            (size_t)snprintf(text, sizeof text, "message %llu", (unsigned long long)i++);
        rc = irbus_publish(c, &m, p->n < MAX_RECEIPTS ? &p->receipts[p->n] : NULL);
        if (rc == 0 && p->n < MAX_RECEIPTS) {
            p->n++;
        } else if (rc != 0) {
            p->refused++;
            irbus_client_destroy(&c); /* reconnect: the broker may be restarting */
        }
    }
    irbus_client_destroy(&c);
    return NULL;
}

/* Walk the whole store: contiguous sequences, chain from genesis, every
 * signature; then every receipt must match a stored record. */
struct walk {
    uint8_t prev[32];
    uint64_t expect;
    uint64_t bad;
    uint8_t (*hashes)[32];
    size_t cap;
};

static int
walk_cb(void *ctx, const struct irb_stored *r) {
    struct walk *w = ctx;
    static struct irb_env e;
    uint8_t d[32], h[32];

    if (r->seq != w->expect) {
        fprintf(stderr, "sequence %llu where %llu was expected\n", (unsigned long long)r->seq,
                (unsigned long long)w->expect);
        w->bad++;
    }
    irb_digest(IRB_DOMAIN_ENVELOPE, r->env, r->envlen, d);
    irb_chain_next(w->prev, r->seq, r->btime, d, r->sig, r->proof, r->prooflen, r->meta, r->metalen,
                   h);
    if (memcmp(h, r->hash, 32) != 0 || irb_wire_decode_env(r->env, r->envlen, &e) != 0 ||
        irb_verify_item(e.sender.p, d, r->sig, r->proof, r->prooflen, NULL) != 0) {
        fprintf(stderr, "record %llu does not verify\n", (unsigned long long)r->seq);
        w->bad++;
    }
    if (r->seq < w->cap) {
        memcpy(w->hashes[r->seq], r->hash, 32);
    }
    memcpy(w->prev, h, 32);
    w->expect = r->seq + 1;
    return 0;
}

static void
verify_store(struct publisher *pubs, uint64_t *records) {
    struct irb_store *s = NULL;
    char path[400], err[256];
    struct walk w;
    uint64_t head = 0;
    uint8_t hh[32];
    size_t receipts = 0, missing = 0;

    snprintf(path, sizeof path, "%s/store", br.data);
    CHECK_EQ(irb_store_open(path, 1 << 30, &s, err, sizeof err), 0);
    if (s == NULL) {
        return;
    }
    memset(&w, 0, sizeof w);
    w.cap = MAX_RECEIPTS * PUBLISHERS + 64;
    w.hashes = calloc(w.cap, 32);
    w.expect = 1;
    irb_chain_genesis("INC-D", 5, w.prev);
    CHECK_EQ(irb_store_scan(s, "INC-D", 5, 1, 0, walk_cb, &w), 0);
    CHECK_EQ(irb_store_get_head(s, "INC-D", 5, &head, hh), 0);
    CHECK_EQ(w.bad, 0);
    CHECK_EQ(w.expect, head + 1);
    CHECK(memcmp(hh, w.prev, 32) == 0);
    for (int i = 0; i < PUBLISHERS; i++) {
        for (size_t k = 0; k < pubs[i].n; k++) {
            const struct irbus_receipt *r = &pubs[i].receipts[k];
            receipts++;
            if (r->seq > head || r->seq >= w.cap || memcmp(w.hashes[r->seq], r->hash, 32) != 0) {
                missing++;
            }
        }
    }
    if (missing > 0) {
        fprintf(stderr, "%zu of %zu acknowledged messages are missing\n", missing, receipts);
    }
    CHECK_EQ(missing, 0);
    *records = head;
    free(w.hashes);
    irb_store_close(&s);
}

static void
test_kill9(int cycles) {
    struct publisher pubs[PUBLISHERS];
    irbus_client *c;
    uint64_t records = 0;
    size_t acked = 0, refused = 0;

    c = connect_as(&br, op);
    CHECK_EQ(irbus_admin_org_add(c, "acme", "entity", "Acme", NULL), 0);
    for (int i = 0; i < PUBLISHERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "p%d@acme", i);
        CHECK_EQ(
            irbus_admin_participant_add(c, id, "acme", irbus_key_public(pubkeys[i]), 1, NULL, NULL),
            0);
    }
    irbus_client_destroy(&c);
    c = connect_as(&br, pubkeys[0]);
    CHECK_EQ(irbus_incident_open(c, "INC-D", "durability", "none", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-D", "acme", "affected", "p0@acme", NULL), 0);
    irbus_client_destroy(&c);

    atomic_store(&running, 1);
    for (int i = 0; i < PUBLISHERS; i++) {
        memset(&pubs[i], 0, sizeof pubs[i]);
        pubs[i].key = pubkeys[i];
        pubs[i].receipts = calloc(MAX_RECEIPTS, sizeof *pubs[i].receipts);
        pthread_create(&pubs[i].th, NULL, publish_loop, &pubs[i]);
    }
    srand((unsigned)getpid());
    for (int cycle = 0; cycle < cycles; cycle++) {
        usleep((useconds_t)(50000 + rand() % 250000));
        broker_stop(&br, SIGKILL);
        if (broker_start(&br) != 0) {
            fprintf(stderr, "cycle %d: the broker did not come back\n", cycle);
            CHECK(0);
            break;
        }
    }
    usleep(200000);
    atomic_store(&running, 0);
    for (int i = 0; i < PUBLISHERS; i++) {
        pthread_join(pubs[i].th, NULL);
        acked += pubs[i].n;
        refused += pubs[i].refused;
    }
    broker_stop(&br, SIGKILL);
    verify_store(pubs, &records);
    printf("kill -9: %d cycles, %zu acknowledged, %zu unacknowledged attempts, %llu records, "
           "all acknowledged present, chain verifies\n",
           cycles, acked, refused, (unsigned long long)records);
    CHECK(acked > 0);
    for (int i = 0; i < PUBLISHERS; i++) {
        free(pubs[i].receipts);
    }
    CHECK_EQ(broker_start(&br), 0); /* and it starts on what it left */
}

static void
test_storage_full(const char *exe) {
    struct broker small;
    irbus_client *c;
    irbus_key *k;
    struct irbus_receipt r;
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next = 0, last = 0;
    static uint8_t payload[16384];
    int rc = 0, sent = 0;

    CHECK_EQ(broker_init(&small, exe, "mapsize_kb = 512"), 0);
    CHECK_EQ(broker_start(&small), 0);
    {
        irbus_key *sop = make_key(&small, "op", 0xa0); /* outlives its client */
        c = connect_as(&small, sop);
        k = make_key(&small, "p", 7);
        CHECK_EQ(irbus_admin_org_add(c, "acme", "entity", "Acme", NULL), 0);
        CHECK_EQ(
            irbus_admin_participant_add(c, "p@acme", "acme", irbus_key_public(k), 0, NULL, NULL),
            0);
        irbus_client_destroy(&c);
        irbus_key_destroy(&sop);
    }
    c = connect_as(&small, k);
    CHECK_EQ(irbus_incident_open(c, "INC-F", "full", "none", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-F", "acme", "affected", NULL, NULL), 0);
    memset(payload, 'x', sizeof payload);
    while (sent < 200) {
        struct irbus_publish m = {"INC-F", "status",      "GREEN", NULL,
                                  NULL,    NULL,          0,       "application/octet-stream",
                                  payload, sizeof payload};
        rc = irbus_publish(c, &m, &r);
        if (rc != 0) {
            break;
        }
        last = r.seq;
        sent++;
    }
    CHECK_EQ(rc, IRBUS_ESTORAGEFULL);
    CHECK(sent > 0);
    /* Reads keep working and show exactly what was acknowledged. */
    CHECK_EQ(irbus_history(c, "INC-F", "status", last, 0, 10, &msgs, &n, &next), 0);
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK_EQ(msgs[0]->seq, last);
    }
    CHECK_EQ(next, last + 1);
    for (size_t i = 0; i < n; i++) {
        irbus_message_destroy(&msgs[i]);
    }
    free(msgs);
    printf("storage full after %d acknowledged 16 KiB messages; history still reads\n", sent);
    irbus_client_destroy(&c);
    irbus_key_destroy(&k);
    broker_cleanup(&small);
}

int
main(int argc, char **argv) {
    int cycles = argc > 2 ? atoi(argv[2]) : 20;

    if (getenv("IRB_KILL_CYCLES") != NULL) {
        cycles = atoi(getenv("IRB_KILL_CYCLES"));
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s IRBUSD [CYCLES]\n", argv[0]);
        return 64;
    }
    CHECK_EQ(irbus_init(), 0);
    CHECK_EQ(broker_init(&br, argv[1], NULL), 0);
    CHECK_EQ(broker_start(&br), 0);
    op = make_key(&br, "op", 0xa0);
    for (int i = 0; i < PUBLISHERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        pubkeys[i] = make_key(&br, name, (uint8_t)(10 + i));
    }
    test_kill9(cycles);
    test_storage_full(argv[1]);
    broker_cleanup(&br);
    irbus_key_destroy(&op);
    for (int i = 0; i < PUBLISHERS; i++) {
        irbus_key_destroy(&pubkeys[i]);
    }
    return check_done("20-durability");
}
