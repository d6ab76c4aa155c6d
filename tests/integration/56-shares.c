/*
 * 56-shares.c - forwarding and share grants (schema/policy.md section 3)
 * against the real broker, before and after a restart: what the policy
 * keeps in memory of forwards and grants is rebuilt from the log, so a
 * record stays visible through its forward, and a grant keeps counting.
 * Usage: 56-shares IRBUSD
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INC "INC-S"

static struct broker br;

enum { ACME1, ACME2, CSIRT1, IRP1, COORD, NPART };
static const char *const ids[NPART] = {"a1@acme", "a2@acme", "c1@csirt", "r1@irp", "k@csirt"};
static irbus_key *keys[NPART];
static irbus_client *cl[NPART];

static void
connect_all(void) {
    for (int i = 0; i < NPART; i++) {
        cl[i] = connect_as(&br, keys[i]);
        CHECK(cl[i] != NULL);
        irbus_client_set_timeout(cl[i], 10000);
    }
}

static void
disconnect_all(void) {
    for (int i = 0; i < NPART; i++) {
        irbus_client_destroy(&cl[i]);
    }
}

static uint64_t
publish(int who, const char *tlp, const char *const *to, size_t nto, const char *text) {
    struct irbus_publish m = {INC, "findings", tlp,          NULL, NULL,
                              to,  nto,        "text/plain", text, strlen(text)};
    struct irbus_receipt r;

    CHECK_EQ(irbus_publish(cl[who], &m, &r), 0);
    return r.seq;
}

static int
forward(int who, uint64_t ref, const uint8_t hash[32], const char *channel, const char *tlp,
        const char *const *to, size_t nto) {
    struct irbus_forward f = {INC, ref, hash, channel, tlp, NULL, to, nto};

    return irbus_forward(cl[who], &f, NULL);
}

/* Does `who` get record `seq` from history on `channels`? Returns the
 * message (the caller frees it) or NULL. */
static irbus_message *
history_one(int who, const char *channels, uint64_t seq) {
    irbus_message **msgs = NULL, *m = NULL;
    size_t n = 0;
    uint64_t next = 0;

    CHECK_EQ(irbus_history(cl[who], INC, channels, seq, seq, 1, &msgs, &n, &next), 0);
    CHECK_EQ(next, seq + 1);
    if (n == 1 && msgs[0]->seq == seq) {
        m = msgs[0];
    } else {
        for (size_t i = 0; i < n; i++) {
            irbus_message_destroy(&msgs[i]);
        }
    }
    free(msgs);
    return m;
}

static int
sees(int who, const char *channels, uint64_t seq) {
    irbus_message *m = history_one(who, channels, seq);
    int yes = m != NULL;

    irbus_message_destroy(&m);
    return yes;
}

static void
setup(void) {
    static const struct {
        const char *org, *kind, *role;
        int spoc;
    } orgs[] = {{"acme", "entity", "affected", ACME1},
                {"csirt", "csirt", "csirt", CSIRT1},
                {"irp", "ir_provider", "ir_provider", IRP1}};
    irbus_key *op = make_key(&br, "op", 0xa0);
    irbus_client *c = connect_as(&br, op);

    CHECK(c != NULL);
    for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++) {
        CHECK_EQ(irbus_admin_org_add(c, orgs[i].org, orgs[i].kind, orgs[i].org, NULL), 0);
    }
    for (int i = 0; i < NPART; i++) {
        const char *org = strchr(ids[i], '@') + 1;
        keys[i] = make_key(&br, ids[i], (uint8_t)(i + 1));
        CHECK_EQ(
            irbus_admin_participant_add(c, ids[i], org, irbus_key_public(keys[i]), 0, NULL, NULL),
            0);
    }
    irbus_client_destroy(&c);
    irbus_key_destroy(&op);
    connect_all();
    CHECK_EQ(irbus_incident_open(cl[COORD], INC, "shares", "none", NULL), 0);
    for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++) {
        CHECK_EQ(irbus_incident_party_add(cl[COORD], INC, orgs[i].org, orgs[i].role,
                                          ids[orgs[i].spoc], NULL),
                 0);
    }
}

int
main(int argc, char **argv) {
    const char *acme[] = {"acme"}, *csirt[] = {"csirt"}, *irp[] = {"irp"};
    const char *to_c1[] = {"c1@csirt"};
    uint8_t hash[32], bad[32];
    irbus_message *m;
    uint64_t strict, red, fwd;
    char msg_missing[600];

    if (harness_begin(&br, argc, argv, NULL) != 0) {
        return 64;
    }
    setup();

    /* AMBER+STRICT to acme: acme only. */
    strict = publish(ACME1, "AMBER+STRICT", acme, 1, "acme only");
    CHECK(sees(ACME2, "findings", strict));
    CHECK(!sees(CSIRT1, "findings", strict));
    m = history_one(ACME2, "findings", strict);
    CHECK(m != NULL);
    if (m == NULL) {
        return check_done("56-shares");
    }
    irbus_message_digest(m, hash);
    irbus_message_destroy(&m);
    memcpy(bad, hash, 32);
    bad[0] ^= 1;

    /* A record one may not see answers exactly like one that does not
     * exist. */
    CHECK_EQ(forward(CSIRT1, 999, hash, "findings", "AMBER+STRICT", csirt, 1), IRBUS_ENOTFOUND);
    snprintf(msg_missing, sizeof msg_missing, "%s", irbus_client_last_error(cl[CSIRT1]));
    CHECK_EQ(forward(CSIRT1, strict, hash, "findings", "AMBER+STRICT", csirt, 1), IRBUS_ENOTFOUND);
    CHECK(strstr(msg_missing, "999") != NULL);
    {
        char expect[600];
        snprintf(expect, sizeof expect, "no record %llu in this incident that you may see",
                 (unsigned long long)strict);
        CHECK(strcmp(irbus_client_last_error(cl[CSIRT1]), expect) == 0);
    }
    CHECK_EQ(irbus_share_request(cl[CSIRT1], INC, strict, hash, csirt, 1, NULL), IRBUS_ENOTFOUND);

    /* Digest and kind of the referenced record. */
    CHECK_EQ(forward(ACME2, strict, bad, "internal", "AMBER+STRICT", acme, 1), IRBUS_EVALUE);
    CHECK_EQ(forward(ACME2, 1, hash, "internal", "AMBER+STRICT", acme, 1), IRBUS_EVALUE);

    /* Inside the own organisation: allowed; outside: 306 until granted. */
    CHECK_EQ(forward(ACME2, strict, hash, "internal", "GREEN", NULL, 0), 0);
    CHECK_EQ(forward(ACME2, strict, hash, "findings", "AMBER", csirt, 1), IRBUS_EFORWARD);
    CHECK_EQ(forward(ACME2, strict, hash, "findings", "AMBER+STRICT", csirt, 1), IRBUS_EFORWARD);
    /* The request reaches the source only; the grant only its sender. */
    CHECK_EQ(irbus_share_request(cl[ACME2], INC, strict, hash, csirt, 1, NULL), 0);
    CHECK_EQ(irbus_share_grant(cl[ACME2], INC, strict, hash, csirt, 1, NULL), IRBUS_EGRANT);
    CHECK_EQ(irbus_share_grant(cl[ACME1], INC, strict, hash, csirt, 1, NULL), 0);
    CHECK_EQ(forward(ACME2, strict, hash, "findings", "AMBER+STRICT", csirt, 1), 0);
    CHECK_EQ(forward(ACME2, strict, hash, "findings", "AMBER+STRICT", irp, 1), IRBUS_EFORWARD);
    {
        /* the forward is the last record: find it */
        irbus_message **msgs = NULL;
        size_t n = 0;
        uint64_t next = 0;
        CHECK_EQ(irbus_history(cl[CSIRT1], INC, "findings", strict + 1, 0, 256, &msgs, &n, &next),
                 0);
        fwd = 0;
        for (size_t i = 0; i < n; i++) {
            /* c1 sees the forward, and neither the request nor the grant */
            CHECK(strcmp(msgs[i]->kind, "forward") == 0);
            fwd = msgs[i]->seq;
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        CHECK_EQ(n, 1);
    }
    /* Through the forward, c1 reads the record on the forward's channel;
     * irp, outside the forward's audience, still does not. */
    CHECK(sees(CSIRT1, "findings", strict));
    CHECK(!sees(CSIRT1, "status", strict));
    CHECK(!sees(IRP1, "findings", strict));
    CHECK(!sees(IRP1, "findings", fwd));

    /* RED: only its sender may forward it. */
    red = publish(ACME1, "RED", to_c1, 1, "for c1 only");
    CHECK(sees(CSIRT1, "findings", red));
    CHECK(!sees(ACME2, "findings", red));
    m = history_one(CSIRT1, "findings", red);
    CHECK(m != NULL);
    if (m != NULL) {
        irbus_message_digest(m, hash);
        irbus_message_destroy(&m);
    }
    CHECK_EQ(forward(CSIRT1, red, hash, "internal", "RED", to_c1, 1), IRBUS_EFORWARD);
    CHECK_EQ(forward(ACME1, red, hash, "internal", "AMBER", NULL, 0), 0);
    CHECK(sees(ACME2, "internal", red));
    CHECK(!sees(ACME2, "findings", red));

    /* After a restart the forwards and the grant still count. */
    disconnect_all();
    broker_stop(&br, SIGTERM);
    CHECK_EQ(broker_start(&br), 0);
    connect_all();
    CHECK(sees(CSIRT1, "findings", strict));
    CHECK(!sees(IRP1, "findings", strict));
    CHECK(sees(ACME2, "internal", red));
    m = history_one(ACME2, "findings", strict);
    CHECK(m != NULL);
    if (m != NULL) {
        irbus_message_digest(m, hash);
        irbus_message_destroy(&m);
    }
    CHECK_EQ(forward(ACME2, strict, hash, "findings", "AMBER+STRICT", csirt, 1), 0);
    CHECK_EQ(forward(ACME2, strict, hash, "findings", "AMBER+STRICT", irp, 1), IRBUS_EFORWARD);

    disconnect_all();
    for (int i = 0; i < NPART; i++) {
        irbus_key_destroy(&keys[i]);
    }
    broker_stop(&br, SIGTERM);
    broker_cleanup(&br);
    return check_done("56-shares");
}
