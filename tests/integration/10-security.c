/*
 * 10-security.c - the real broker on an ipc:// endpoint in a temporary
 * directory: an unknown key gets nothing in or out; receipts verify;
 * a forged sender, a bad signature, a replay (before and after a restart)
 * and a stale timestamp are refused with their codes; a subscriber that
 * disconnects and resumes gets every message exactly once, in order;
 * revocation cuts off an open connection; every malformed vector gets its
 * code while the broker keeps serving. Batch signatures: every item of a
 * good batch is stored and its receipt verifies; a changed or shortened
 * proof, another item grafted onto a batch's verified signature, another
 * key's batch and a replayed item are refused; a reader gets the items
 * with their proofs, verified.
 * Usage: 10-security IRBUSD
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"
#include "wire.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static struct broker br;
static irbus_key *op, *alice, *bob, *eve;
static uint8_t buf[IRB_MAX_FRAME], frame_bytes[8192];
static struct irb_frame f;

static int
publish_text(irbus_client *c, const char *channel, const char *text, struct irbus_receipt *r) {
    struct irbus_publish p = {"INC-1", channel, "GREEN",      NULL, NULL,
                              NULL,    0,       "text/plain", text, strlen(text)};

    return irbus_publish(c, &p, r);
}

static void
setup(void) {
    irbus_client *c = connect_as(&br, op);

    CHECK(c != NULL);
    CHECK_EQ(irbus_admin_org_add(c, "acme", "entity", "Acme Water", NULL), 0);
    CHECK_EQ(irbus_admin_org_add(c, "csirt", "csirt", "National CSIRT", NULL), 0);
    CHECK_EQ(irbus_admin_participant_add(c, "alice@acme", "acme", irbus_key_public(alice), 0, NULL,
                                         NULL),
             0);
    CHECK_EQ(
        irbus_admin_participant_add(c, "bob@csirt", "csirt", irbus_key_public(bob), 0, NULL, NULL),
        0);
    /* Operators' commands are refused from participants, and the other way. */
    irbus_client_destroy(&c);
    c = connect_as(&br, alice);
    CHECK_EQ(irbus_admin_org_add(c, "evil", "entity", "Evil", NULL), IRBUS_EOPERATOR);
    CHECK_EQ(irbus_incident_open(c, "INC-1", "Ransomware at Acme", "nis2", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "acme", "affected", "alice@acme", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "csirt", "csirt", "bob@csirt", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-1", "csirt", "csirt", "bob@csirt", NULL),
             IRBUS_EEXIST);
    {
        /* The list of denials is for operators only, and shows both of
         * alice's refusals. */
        char *report = NULL;
        CHECK_EQ(irbus_admin_denials(c, &report), IRBUS_EOPERATOR);
        CHECK(report == NULL);
        irbus_client_destroy(&c);
        c = connect_as(&br, op);
        CHECK_EQ(irbus_admin_denials(c, &report), 0);
        CHECK(report != NULL && strstr(report, "denials total=2 ") != NULL);
        CHECK(report != NULL && strstr(report, "participant=alice@acme code=310 "
                                               "rule=operators_only incident=-\n") != NULL);
        CHECK(report != NULL && strstr(report, "count code=310 rule=operators_only n=2\n") != NULL);
        free(report);
    }
    irbus_client_destroy(&c);
}

static void
test_unknown_key(void) {
    irbus_client *c = connect_as(&br, eve);
    struct irbus_receipt r;
    void *raw;
    size_t n;

    irbus_client_set_timeout(c, 700);
    CHECK_EQ(publish_text(c, "status", "from an unknown key", &r), IRBUS_ETIMEOUT);
    irbus_client_destroy(&c);
    raw = raw_connect(&br, eve);
    n = build_publish(eve, irbus_key_public(eve), "INC-1", "status", "x", 1, wall_ms(), frame_bytes,
                      sizeof frame_bytes);
    CHECK(n > 0);
    CHECK_EQ(raw_call(raw, frame_bytes, n, buf, sizeof buf, &f, 700), -1); /* nothing out */
    raw_close(raw);
}

static uint64_t
raw_expect(void *raw, const uint8_t *bytes, size_t n, int want_code) {
    int rc = raw_call(raw, bytes, n, buf, sizeof buf, &f, 3000);

    CHECK_EQ(rc, 0);
    if (rc != 0) {
        return 0;
    }
    if (want_code == 0) {
        CHECK_EQ(f.t, IRB_T_RECEIPT);
        return f.seq;
    }
    CHECK_EQ(f.t, IRB_T_ERROR);
    if (f.t == IRB_T_ERROR) {
        CHECK_EQ(f.code, want_code);
    }
    return 0;
}

static void
test_refusals(void) {
    void *raw = raw_connect(&br, alice);
    uint64_t seq = wall_ms() * 1000;
    size_t n;
    uint8_t replay[8192];
    size_t rn;

    /* Forged sender: bob's key and signature on alice's connection. */
    n = build_publish(bob, irbus_key_public(bob), "INC-1", "status", "forged", seq, wall_ms(),
                      frame_bytes, sizeof frame_bytes);
    raw_expect(raw, frame_bytes, n, -IRBUS_ESENDER);
    /* Bad signature: the last byte of the frame is the signature's last. */
    n = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "bad sig", seq + 1,
                      wall_ms(), frame_bytes, sizeof frame_bytes);
    frame_bytes[n - 1] ^= 1;
    raw_expect(raw, frame_bytes, n, -IRBUS_EBADSIG);
    /* Stale and future timestamps. */
    n = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "stale", seq + 2,
                      wall_ms() - 10 * 60 * 1000, frame_bytes, sizeof frame_bytes);
    raw_expect(raw, frame_bytes, n, -IRBUS_ECLOCK);
    n = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "future", seq + 3,
                      wall_ms() + 10 * 60 * 1000, frame_bytes, sizeof frame_bytes);
    raw_expect(raw, frame_bytes, n, -IRBUS_ECLOCK);
    /* A good one, then the same bytes again: a replay. */
    rn = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "once", seq + 4,
                       wall_ms(), replay, sizeof replay);
    CHECK(raw_expect(raw, replay, rn, 0) > 0);
    raw_expect(raw, replay, rn, -IRBUS_EREPLAY);
    /* A lower sequence with a fresh signature is a replay too. */
    n = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "lower", seq + 3,
                      wall_ms(), frame_bytes, sizeof frame_bytes);
    raw_expect(raw, frame_bytes, n, -IRBUS_EREPLAY);
    raw_close(raw);

    /* After a restart (SIGKILL: no clean shutdown) the replay is still refused. */
    broker_stop(&br, SIGKILL);
    CHECK_EQ(broker_start(&br), 0);
    raw = raw_connect(&br, alice);
    /* the timestamp is still inside the window, so only the sequence refuses it */
    raw_expect(raw, replay, rn, -IRBUS_EREPLAY);
    raw_close(raw);
}

/* A burst sent without waiting, so the broker reads many in one iteration
 * and verifies their signatures on several threads: every good one gets a
 * receipt, in order, and every bad one is refused without taking a sequence
 * number or advancing the sender's. */
static void
test_burst(void) {
    enum { BURST = 96 };
    void *raw = raw_connect(&br, alice);
    uint64_t seq = wall_ms() * 1000, last_seq = 0; /* the client library counts in µs */
    int receipts = 0, refused = 0, out_of_order = 0;
    for (int i = 0; i < BURST; i++) {
        size_t n = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "burst",
                                 seq + (uint64_t)i, wall_ms(), frame_bytes, sizeof frame_bytes);
        if (i % 3 == 1) {
            frame_bytes[n - 1] ^= 0x40; /* the signature's last byte */
        }
        CHECK(zmq_send(raw, frame_bytes, n, 0) == (int)n);
    }
    for (int i = 0; i < BURST; i++) {
        if (raw_call(raw, NULL, 0, buf, sizeof buf, &f, 5000) != 0) {
            CHECK(0);
            break;
        }
        if (f.t == IRB_T_RECEIPT) {
            CHECK((f.id - seq) % 3 != 1);
            out_of_order += f.seq <= last_seq;
            last_seq = f.seq;
            receipts++;
        } else {
            CHECK_EQ(f.t, IRB_T_ERROR);
            CHECK_EQ(f.code, (uint64_t)-IRBUS_EBADSIG);
            CHECK_EQ((f.id - seq) % 3, 1);
            refused++;
        }
    }
    CHECK_EQ(receipts, BURST - BURST / 3);
    CHECK_EQ(refused, BURST / 3);
    CHECK_EQ(out_of_order, 0);
    raw_close(raw);
}

static void
test_receipt_and_resume(void) {
    irbus_client *a = connect_as(&br, alice), *b = connect_as(&br, bob);
    struct irbus_receipt r;
    irbus_message *m = NULL;
    uint64_t first = 0, last = 0, seen = 0, expect;
    char text[32];
    int rc;

    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "status %d", i);
        CHECK_EQ(publish_text(a, "status", text, &r), 0);
        CHECK_EQ(irbus_receipt_verify(&r, br.pk), 0);
        CHECK(strcmp(r.incident, "INC-1") == 0);
        r.btime++;
        CHECK_EQ(irbus_receipt_verify(&r, br.pk), IRBUS_EBADSIG);
        if (first == 0) {
            first = r.seq;
        }
        last = r.seq;
    }
    /* Read half, disconnect, resume from the next sequence. */
    CHECK_EQ(irbus_subscribe(b, "INC-1", "status", IRBUS_FROM_START, 8, NULL), 0);
    expect = 1;
    while (expect <= last / 2 && (rc = irbus_receive(b, 3000, &m)) == 0) {
        CHECK_EQ(m->seq, expect);
        expect = m->seq + 1;
        seen++;
        irbus_message_destroy(&m);
    }
    irbus_client_destroy(&b);
    b = connect_as(&br, bob);
    CHECK_EQ(irbus_subscribe(b, "INC-1", "status", expect, 8, NULL), 0);
    while (expect <= last && (rc = irbus_receive(b, 3000, &m)) == 0) {
        CHECK_EQ(m->seq, expect); /* no gap, no duplicate, in order */
        expect = m->seq + 1;
        seen++;
        irbus_message_destroy(&m);
    }
    CHECK_EQ(expect, last + 1);
    CHECK_EQ(irbus_receive(b, 300, &m), IRBUS_ETIMEOUT); /* nothing twice */
    /* Live: a new message reaches the subscriber. */
    CHECK_EQ(publish_text(a, "status", "live", &r), 0);
    CHECK_EQ(irbus_receive(b, 3000, &m), 0);
    if (m != NULL) {
        CHECK_EQ(m->seq, r.seq);
        CHECK(m->payload_len == 4 && memcmp(m->payload, "live", 4) == 0);
        irbus_message_destroy(&m);
    }
    CHECK_EQ(irbus_ack(b, "INC-1", r.seq), 0);
    CHECK_EQ(irbus_ack(b, "INC-1", r.seq + 100), IRBUS_EVALUE);
    printf("resume: %llu messages seen once each\n", (unsigned long long)seen);
    irbus_client_destroy(&a);
    irbus_client_destroy(&b);
}

static void
test_revocation(void) {
    irbus_client *a = connect_as(&br, alice), *b = connect_as(&br, bob), *o = connect_as(&br, op);
    struct irbus_receipt r;
    irbus_message *m = NULL;

    CHECK_EQ(irbus_subscribe(b, "INC-1", "status", IRBUS_FROM_NEW, 16, NULL), 0);
    CHECK_EQ(publish_text(a, "status", "before", &r), 0);
    CHECK_EQ(irbus_receive(b, 3000, &m), 0);
    irbus_message_destroy(&m);
    CHECK_EQ(irbus_admin_participant_revoke(o, "bob@csirt", NULL), 0);
    CHECK_EQ(publish_text(a, "status", "after", &r), 0);
    /* The subscription ends, and bob is told so; then nothing more comes. */
    CHECK_EQ(irbus_receive(b, 3000, &m), IRBUS_EREVOKED);
    CHECK(m == NULL && irbus_client_ended_sub(b) != 0);
    CHECK_EQ(irbus_receive(b, 700, &m), IRBUS_ETIMEOUT); /* nothing delivered */
    CHECK_EQ(publish_text(b, "status", "from revoked", &r), IRBUS_EREVOKED);
    irbus_client_destroy(&b);
    b = connect_as(&br, bob); /* a new connection is refused at the handshake */
    irbus_client_set_timeout(b, 700);
    CHECK_EQ(publish_text(b, "status", "again", &r), IRBUS_ETIMEOUT);
    irbus_client_destroy(&a);
    irbus_client_destroy(&b);
    irbus_client_destroy(&o);
}

static void
test_malformed(const char *srcdir) {
    char path[1024], line[512], name[128];
    int code, count = 0;
    FILE *idx;
    void *raw = raw_connect(&br, alice);
    irbus_client *a;
    struct irbus_receipt r;

    snprintf(path, sizeof path, "%s/schema/vectors/malformed/INDEX", srcdir);
    idx = fopen(path, "r");
    CHECK(idx != NULL);
    while (idx != NULL && fgets(line, sizeof line, idx) != NULL) {
        size_t tl, n;
        uint8_t *text, *bytes;
        if (sscanf(line, "%127s %d", name, &code) != 2) {
            continue;
        }
        snprintf(path, sizeof path, "%s/schema/vectors/malformed/%s.hex", srcdir, name);
        text = check_read_file(path, &tl);
        bytes = text ? check_unhex((const char *)text, &n) : NULL;
        if (bytes != NULL && raw_call(raw, bytes, n, buf, sizeof buf, &f, 3000) == 0) {
            CHECK_EQ(f.t, IRB_T_ERROR);
            if ((int)f.code != code) {
                fprintf(stderr, "malformed %s: broker said %llu, want %d\n", name,
                        (unsigned long long)f.code, code);
            }
            CHECK_EQ(f.code, code);
            count++;
        } else {
            fprintf(stderr, "malformed %s: no answer\n", name);
            CHECK(0);
        }
        free(text);
        free(bytes);
    }
    if (idx != NULL) {
        fclose(idx);
    }
    raw_close(raw);
    printf("malformed: %d frames answered with their codes\n", count);
    a = connect_as(&br, alice);
    CHECK_EQ(publish_text(a, "status", "still serving", &r), 0);
    irbus_client_destroy(&a);
}

/* Send frame bytes and read the answer: the receipt's verified seq (its
 * proof, if the broker signed several receipts together, counted in
 * *proved), or the error code as a negative number. */
static long
batch_item(void *raw, const uint8_t *bytes, size_t n, int *proved) {
    struct irbus_receipt r;

    if (raw_call(raw, bytes, n, buf, sizeof buf, &f, 3000) != 0) {
        return -1;
    }
    if (f.t != IRB_T_RECEIPT) {
        return f.t == IRB_T_ERROR ? -(long)f.code : -1;
    }
    memset(&r, 0, sizeof r);
    snprintf(r.incident, sizeof r.incident, "%.*s", (int)f.incident.len, f.incident.p);
    r.seq = f.seq;
    memcpy(r.hash, f.hash.p, 32);
    r.btime = f.btime;
    memcpy(r.sig, f.sig.p, 64);
    if (f.present & IRB_BIT(IRB_FI_PROOF)) {
        memcpy(r.proof, f.proof.p, f.proof.len);
        r.proof_len = f.proof.len;
        (*proved)++;
    }
    CHECK_EQ(irbus_receipt_verify(&r, br.pk), 0);
    if (r.proof_len > 0) { /* and the proof is what makes it verify */
        r.proof[r.proof_len - 1] ^= 1;
        CHECK_EQ(irbus_receipt_verify(&r, br.pk), IRBUS_EBADSIG);
    }
    return (long)f.seq;
}

/* Frame bytes with another signature, proof or both (lengths as given). */
static size_t
regraft(const uint8_t *bytes, size_t n, const uint8_t *sig, const uint8_t *proof, size_t plen,
        uint8_t *out, size_t cap) {
    static struct irb_frame g;
    static uint8_t keep[4096];
    long m;

    if (n > sizeof keep) {
        return 0;
    }
    memcpy(keep, bytes, n);
    if (irb_wire_decode(keep, n, &g) != 0) {
        return 0;
    }
    if (sig != NULL) {
        g.sig = (irb_bin){sig, 64};
    }
    g.proof = (irb_bin){proof, plen};
    m = irb_wire_encode(&g, out, cap);
    return m > 0 ? (size_t)m : 0;
}

static void
test_batch(void) {
    enum { CAP = 2048 };
    static uint8_t a[4][CAP], b[4][CAP], other[CAP];
    uint8_t sig[64], proof[IRB_MAX_PROOF];
    size_t al[4], bl[4], n, plen;
    void *raw = raw_connect(&br, alice);
    uint64_t seq = wall_ms() * 1000; /* as the library counts (µs), so it goes on above */
    irbus_client *reader;
    irbus_message **msgs = NULL;
    size_t nmsgs = 0, proven = 0;
    int proved = 0;
    long got[4];

    /* A good batch of four, sent without waiting: four receipts. */
    CHECK_EQ(build_batch(alice, irbus_key_public(alice), "INC-1", "status", "batch", 4, seq,
                         wall_ms(), a[0], CAP, al),
             0);
    for (int i = 0; i < 4; i++) {
        CHECK(zmq_send(raw, a[i], al[i], 0) == (int)al[i]);
    }
    for (int i = 0; i < 4; i++) {
        got[i] = batch_item(raw, NULL, 0, &proved);
        CHECK(got[i] > 0);
    }
    /* a replayed item is a replay like any other */
    CHECK_EQ(batch_item(raw, a[2], al[2], &proved), IRBUS_EREPLAY);

    /* A changed sibling in one item's proof: that item alone is refused. */
    CHECK_EQ(build_batch(alice, irbus_key_public(alice), "INC-1", "status", "tampered", 4, seq + 10,
                         wall_ms(), b[0], CAP, bl),
             0);
    b[1][bl[1] - 1] ^= 0x01; /* the proof is the frame's last field */
    CHECK(batch_item(raw, b[0], bl[0], &proved) > 0);
    CHECK_EQ(batch_item(raw, b[1], bl[1], &proved), IRBUS_EBADSIG);
    /* A shortened proof: malformed, so a signature that does not verify. */
    {
        static struct irb_frame g;
        static uint8_t keep[CAP];
        memcpy(keep, b[2], bl[2]);
        CHECK_EQ(irb_wire_decode(keep, bl[2], &g), 0);
        memcpy(sig, g.sig.p, 64);
        plen = g.proof.len;
        memcpy(proof, g.proof.p, plen);
    }
    n = regraft(b[2], bl[2], NULL, proof, plen - 1, other, sizeof other);
    CHECK(n > 0);
    CHECK_EQ(batch_item(raw, other, n, &proved), IRBUS_EBADSIG);
    CHECK(batch_item(raw, b[2], bl[2], &proved) > 0); /* the untouched one is fine */
    /* The verified signature and item 3's proof, grafted onto another of
     * alice's envelopes (sequence above all): refused, though the broker
     * has just verified that signature. */
    {
        static struct irb_frame g;
        static uint8_t keep[CAP];
        memcpy(keep, b[3], bl[3]);
        CHECK_EQ(irb_wire_decode(keep, bl[3], &g), 0);
        plen = g.proof.len;
        memcpy(proof, g.proof.p, plen);
    }
    n = build_publish(alice, irbus_key_public(alice), "INC-1", "status", "grafted", seq + 20,
                      wall_ms(), other, sizeof other);
    n = regraft(other, n, sig, proof, plen, other, sizeof other);
    CHECK(n > 0);
    CHECK_EQ(batch_item(raw, other, n, &proved), IRBUS_EBADSIG);
    CHECK(batch_item(raw, b[3], bl[3], &proved) > 0);

    /* Another key's batch: bob signing alice's envelopes is a bad
     * signature; bob's own envelopes on alice's connection a forged sender. */
    CHECK_EQ(build_batch(bob, irbus_key_public(alice), "INC-1", "status", "bob as alice", 2,
                         seq + 30, wall_ms(), b[0], CAP, bl),
             0);
    CHECK_EQ(batch_item(raw, b[0], bl[0], &proved), IRBUS_EBADSIG);
    CHECK_EQ(build_batch(bob, irbus_key_public(bob), "INC-1", "status", "bob", 2, seq + 40,
                         wall_ms(), b[0], CAP, bl),
             0);
    CHECK_EQ(batch_item(raw, b[1], bl[1], &proved), IRBUS_ESENDER);
    raw_close(raw);

    /* A reader gets the stored items with their proofs, each verified on
     * its own (libirbus refuses the whole answer otherwise). */
    reader = connect_as(&br, bob);
    CHECK(reader != NULL);
    if (reader != NULL) {
        CHECK_EQ(irbus_history(reader, "INC-1", "status", (uint64_t)got[0], (uint64_t)got[0] + 20,
                               64, &msgs, &nmsgs, NULL),
                 0);
        for (size_t i = 0; i < nmsgs; i++) {
            proven += msgs[i]->proof_len > 0;
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        irbus_client_destroy(&reader);
    }
    CHECK_EQ(proven, 7); /* four, then three of the tampered batch */
    printf("batch: 7 items stored with their proofs, 6 refused; %d of the receipts signed "
           "together\n",
           proved);
}

int
main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s IRBUSD\n", argv[0]);
        return 64;
    }
    CHECK_EQ(irbus_init(), 0);
    /* Two verification threads whatever the machine, so the parallel path is
     * what these refusals go through. */
    CHECK_EQ(broker_init(&br, argv[1], "verify_threads = 2"), 0);
    CHECK_EQ(broker_start(&br), 0);
    op = make_key(&br, "op", 0xa0);
    alice = make_key(&br, "alice", 1);
    bob = make_key(&br, "bob", 2);
    eve = make_key(&br, "eve", 3);
    setup();
    test_unknown_key();
    test_refusals();
    test_burst();
    test_batch();
    test_receipt_and_resume();
    test_malformed(IRB_SOURCE_DIR);
    test_revocation();
    broker_cleanup(&br);
    irbus_key_destroy(&op);
    irbus_key_destroy(&alice);
    irbus_key_destroy(&bob);
    irbus_key_destroy(&eve);
    return check_done("10-security");
}
