/*
 * 35-inflight.c - the broker's byte budget per subscription: a subscriber
 * that grants the largest credit and stops reading gets 64 KiB records only
 * up to 8 MiB of envelopes (IRB_MAX_INFLIGHT_BYTES), then nothing more
 * however long it waits; each `credit` that reports consumed bytes lets
 * exactly that much more through; in the end every record arrives once, in
 * order. A raw CURVE socket plays the subscriber, so the test sees exactly
 * what the broker sends. Then, through libirbus: after irbus_unsubscribe
 * nothing more of that subscription is handed out, while another
 * subscription of the same client keeps receiving.
 * Usage: 35-inflight IRBUSD
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define RECORDS 200 /* more than the 127 that fit in 8 MiB */
#define PAYLOAD 65536

static struct broker br;
static uint8_t buf[IRB_MAX_FRAME], out[4096];
static struct irb_frame f;

static void
send_frame(void *raw, const struct irb_frame *fr) {
    long n = irb_wire_encode(fr, out, sizeof out);

    CHECK(n > 0 && zmq_send(raw, out, (size_t)n, 0) == (int)n);
}

/* Read deliveries until none arrives for quiet_ms; checks order. Returns how
 * many arrived and adds their envelope bytes to *bytes. */
static int
drain(void *raw, uint64_t *next_seq, uint64_t *bytes, int quiet_ms) {
    int n = 0;

    while (raw_call(raw, NULL, 0, buf, sizeof buf, &f, quiet_ms) == 0) {
        if (f.t == IRB_T_OK) {
            continue; /* a credit grant's answer */
        }
        CHECK_EQ(f.t, IRB_T_DELIVER);
        CHECK_EQ(f.seq, *next_seq);
        *next_seq = f.seq + 1;
        *bytes += f.env.len;
        n++;
    }
    return n;
}

/* Publish three small records with c; count what sc receives per
 * subscription s[0], s[1] until a second passes without a delivery. */
static void
publish_and_count(irbus_client *c, irbus_client *sc, const uint64_t s[2], int got[2]) {
    irbus_message *msg = NULL;

    for (int i = 0; i < 3; i++) {
        struct irbus_publish m = {"INC-B", "findings", "GREEN",      NULL,    NULL,
                                  NULL,    0,          "text/plain", "small", 5};
        struct irbus_receipt r;
        CHECK_EQ(irbus_publish(c, &m, &r), 0);
    }
    got[0] = got[1] = 0;
    while (irbus_receive(sc, 1000, &msg) == 0) {
        got[0] += msg->sub == s[0];
        got[1] += msg->sub == s[1];
        irbus_message_destroy(&msg);
    }
}

int
main(int argc, char **argv) {
    irbus_key *op, *pubk, *subk;
    irbus_client *c;
    void *raw;
    struct irb_frame sf;
    uint8_t *payload = malloc(PAYLOAD);
    uint64_t first = 0, next_seq, bytes = 0, envlen = 0, delivered = 0, sub;
    int n, rounds = 0;

    if (payload == NULL) {
        return 70;
    }
    if (harness_begin(&br, argc, argv, NULL) != 0) {
        free(payload);
        return 64;
    }
    op = make_key(&br, "op", 0xa0);
    pubk = make_key(&br, "pub", 1);
    subk = make_key(&br, "sub", 2);
    CHECK_EQ(roster_setup(&br, op, "acme", "Acme", 2, (const char *const[]){"pub@acme", "sub@acme"},
                          (irbus_key *const[]){pubk, subk}),
             0);
    c = connect_as(&br, pubk);
    CHECK(c != NULL);
    irbus_client_set_timeout(c, 30000); /* sanitizer builds on a busy machine are slow */
    CHECK_EQ(irbus_incident_open(c, "INC-B", "bytes in flight", "none", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-B", "acme", "affected", "pub@acme", NULL), 0);

    /* The subscriber grants all the credit it may and then does not read. */
    raw = raw_connect(&br, subk);
    memset(&sf, 0, offsetof(struct irb_frame, records));
    sf.v = 1;
    sf.t = IRB_T_SUBSCRIBE;
    sf.id = 1;
    sf.incident = (irb_str){"INC-B", 5};
    sf.channels = 1u << IRB_CH_FINDINGS;
    sf.from = 0;
    sf.credit = IRB_MAX_CREDIT;
    send_frame(raw, &sf);
    CHECK_EQ(raw_call(raw, NULL, 0, buf, sizeof buf, &f, 3000), 0);
    CHECK_EQ(f.t, IRB_T_OK);
    sub = f.sub;

    memset(payload, 'r', PAYLOAD);
    for (int i = 0; i < RECORDS; i++) {
        struct irbus_publish m = {"INC-B", "findings", "GREEN", NULL,
                                  NULL,    NULL,       0,       "application/octet-stream",
                                  payload, PAYLOAD};
        struct irbus_receipt r;
        CHECK_EQ(irbus_publish(c, &m, &r), 0);
        if (i == 0) {
            first = r.seq;
        }
    }
    next_seq = first;

    /* Only 8 MiB of envelopes came, and nothing more while we wait. */
    n = drain(raw, &next_seq, &bytes, 1000);
    envlen = bytes / (uint64_t)(n > 0 ? n : 1);
    printf("stalled: %d deliveries of %llu-byte envelopes (%llu bytes) before any credit\n", n,
           (unsigned long long)envlen, (unsigned long long)bytes);
    CHECK(envlen > PAYLOAD);
    CHECK_EQ(n, IRB_MAX_INFLIGHT_BYTES / envlen);
    CHECK(bytes <= IRB_MAX_INFLIGHT_BYTES);
    delivered += (uint64_t)n;

    /* Report what was consumed: that much more comes, until all is read. */
    while (delivered < RECORDS && rounds++ < 20) {
        uint64_t got = 0;
        memset(&sf, 0, offsetof(struct irb_frame, records));
        sf.v = 1;
        sf.t = IRB_T_CREDIT;
        sf.id = 10 + (uint64_t)rounds;
        sf.sub = sub;
        sf.credit = (uint64_t)n;
        sf.bytes = bytes;
        send_frame(raw, &sf);
        n = drain(raw, &next_seq, &got, 1000);
        bytes = got;
        CHECK(got <= IRB_MAX_INFLIGHT_BYTES);
        delivered += (uint64_t)n;
    }
    CHECK_EQ(delivered, RECORDS);
    CHECK_EQ(next_seq, first + RECORDS);
    printf("resumed: all %d records delivered once, in order, in %d credit rounds\n", RECORDS,
           rounds);
    raw_close(raw);

    /* Two subscriptions on one client; the first ends. */
    {
        irbus_client *sc = connect_as(&br, subk);
        uint64_t s[2] = {0, 0};
        int got[2];
        CHECK(sc != NULL);
        CHECK_EQ(irbus_subscribe(sc, "INC-B", "findings", IRBUS_FROM_NEW, 16, &s[0]), 0);
        CHECK_EQ(irbus_subscribe(sc, "INC-B", "findings", IRBUS_FROM_NEW, 16, &s[1]), 0);
        CHECK(s[0] != s[1]);
        publish_and_count(c, sc, s, got);
        CHECK_EQ(got[0], 3);
        CHECK_EQ(got[1], 3);
        CHECK_EQ(irbus_unsubscribe(sc, s[0]), 0);
        CHECK_EQ(irbus_unsubscribe(sc, s[0]), IRBUS_ENOTFOUND);
        publish_and_count(c, sc, s, got);
        CHECK_EQ(got[0], 0);
        CHECK_EQ(got[1], 3);
        printf("unsubscribe: the ended subscription gets nothing more, the other 3 of 3\n");
        irbus_client_destroy(&sc);
    }
    irbus_client_destroy(&c);
    irbus_key_destroy(&op);
    irbus_key_destroy(&pubk);
    irbus_key_destroy(&subk);
    free(payload);
    broker_cleanup(&br);
    return check_done("35-inflight");
}
