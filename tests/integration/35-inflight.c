/*
 * 35-inflight.c - the broker's byte budget per subscription: a subscriber
 * that grants the largest credit and stops reading gets 64 KiB records only
 * up to 8 MiB of envelopes (IRB_MAX_INFLIGHT_BYTES), then nothing more
 * however long it waits; each `credit` that reports consumed bytes lets
 * exactly that much more through; in the end every record arrives once, in
 * order. A replay puts as many records into one deliver as
 * IRB_DELIVER_BYTES holds (up to IRB_MAX_RECORDS small ones), and credit
 * counts records, not frames. A raw CURVE socket plays the subscriber, so
 * the test sees exactly what the broker sends. Then, through libirbus: after irbus_unsubscribe
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
#define SMALL   300 /* small records: more than one frame holds */

static struct broker br;
static uint8_t buf[IRB_MAX_FRAME], out[4096];
static struct irb_frame f;

static void
send_frame(void *raw, const struct irb_frame *fr) {
    long n = irb_wire_encode(fr, out, sizeof out);

    CHECK(n > 0 && zmq_send(raw, out, (size_t)n, 0) == (int)n);
}

/* deliver frames drain has read, and the most records one carried */
static int frames, most_records;

/* Read deliveries until none arrives for quiet_ms; checks order and that
 * each deliver keeps within IRB_DELIVER_BYTES unless it carries a single
 * record. Returns how many records arrived and adds their envelope bytes
 * to *bytes. */
static int
drain(void *raw, uint64_t *next_seq, uint64_t *bytes, int quiet_ms) {
    int n = 0;

    while (raw_call(raw, NULL, 0, buf, sizeof buf, &f, quiet_ms) == 0) {
        size_t carried = 0;
        if (f.t == IRB_T_OK) {
            continue; /* a credit grant's answer */
        }
        CHECK_EQ(f.t, IRB_T_DELIVER);
        CHECK(f.nrecords >= 1);
        for (uint32_t i = 0; i < f.nrecords; i++) {
            CHECK_EQ(f.records[i].seq, *next_seq);
            *next_seq = f.records[i].seq + 1;
            *bytes += f.records[i].env.len;
            carried += f.records[i].env.len + f.records[i].sig.len + f.records[i].proof.len;
            n++;
        }
        CHECK(f.nrecords == 1 || carried <= IRB_DELIVER_BYTES);
        frames++;
        most_records = (int)f.nrecords > most_records ? (int)f.nrecords : most_records;
    }
    return n;
}

/* Subscribe raw to INC-B findings from `from` with `credit`; returns the
 * subscription. */
static uint64_t
raw_subscribe(void *raw, uint64_t from, uint64_t credit) {
    struct irb_frame sf;

    memset(&sf, 0, offsetof(struct irb_frame, records));
    sf.v = 1;
    sf.t = IRB_T_SUBSCRIBE;
    sf.id = 1;
    sf.incident = (irb_str){"INC-B", 5};
    sf.channels = 1u << IRB_CH_FINDINGS;
    sf.from = from;
    sf.credit = credit;
    send_frame(raw, &sf);
    CHECK_EQ(raw_call(raw, NULL, 0, buf, sizeof buf, &f, 3000), 0);
    CHECK_EQ(f.t, IRB_T_OK);
    return f.sub;
}

/* Grant `credit` more to subscription sub, reporting `bytes` consumed. */
static void
raw_credit(void *raw, uint64_t sub, uint64_t id, uint64_t credit, uint64_t bytes) {
    struct irb_frame sf;

    memset(&sf, 0, offsetof(struct irb_frame, records));
    sf.v = 1;
    sf.t = IRB_T_CREDIT;
    sf.id = id;
    sf.sub = sub;
    sf.credit = credit;
    sf.bytes = bytes;
    send_frame(raw, &sf);
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
    sub = raw_subscribe(raw, 0, IRB_MAX_CREDIT);

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
        raw_credit(raw, sub, 10 + (uint64_t)rounds, (uint64_t)n, bytes);
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

    /* A replay sends several records to a frame, as many as
     * IRB_DELIVER_BYTES holds; credit counts records, not frames: a replay
     * granted 5 gets exactly 5, and a grant of 2 exactly 2 more. */
    raw = raw_connect(&br, subk);
    sub = raw_subscribe(raw, first, 5);
    next_seq = first;
    bytes = 0;
    frames = most_records = 0;
    CHECK_EQ(drain(raw, &next_seq, &bytes, 1000), 5);
    printf("replay: a grant of 5 brought 5 records in %d frames, at most %d in one\n", frames,
           most_records);
    CHECK_EQ(most_records, (int)(IRB_DELIVER_BYTES / (envlen + 64)));
    CHECK_EQ(frames, (5 + most_records - 1) / (most_records > 0 ? most_records : 1));
    raw_credit(raw, sub, 2, 2, bytes);
    CHECK_EQ(drain(raw, &next_seq, &bytes, 1000), 2);
    CHECK_EQ(next_seq, first + 7);
    printf("credit: a grant of 2 brought 2 more\n");
    raw_close(raw);

    /* Small records replay up to IRB_MAX_RECORDS to a frame. */
    {
        uint64_t small_first = 0;
        for (int i = 0; i < SMALL; i++) {
            struct irbus_publish m = {"INC-B", "findings", "GREEN",      NULL,    NULL,
                                      NULL,    0,          "text/plain", "small", 5};
            struct irbus_receipt r;
            CHECK_EQ(irbus_publish(c, &m, &r), 0);
            small_first = i == 0 ? r.seq : small_first;
        }
        raw = raw_connect(&br, subk);
        (void)raw_subscribe(raw, small_first, IRB_MAX_QUEUED_DELIVERIES);
        next_seq = small_first;
        frames = most_records = 0;
        CHECK_EQ(drain(raw, &next_seq, &bytes, 1000), SMALL);
        printf("small: %d records replayed in %d frames, at most %d in one\n", SMALL, frames,
               most_records);
        CHECK_EQ(most_records, IRB_MAX_RECORDS);
        CHECK_EQ(frames, (SMALL + IRB_MAX_RECORDS - 1) / IRB_MAX_RECORDS);
        raw_close(raw);
    }

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
