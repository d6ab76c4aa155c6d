/*
 * 52-leak.c - targeted leak tests of schema/policy.md: records that must
 * not reach someone, checked where a leak would show.
 *
 * Live delivery is checked by counting: the reader's subscription is open
 * before the secret is published, a marker the reader may see is published
 * after it, and everything that arrives until the marker (plus a bounded
 * wait after it) must be exactly what the reader may see. History and
 * replay (a new connection subscribing from 1) are compared as exact sets,
 * so one leaked record fails the cell. Each test also has a positive
 * control (someone who must receive the record does), so that a test that
 * receives nothing at all cannot pass.
 *
 *   1. TLP:RED to one participant is not visible to a colleague: live, in
 *      history, after reconnect, and after the colleague becomes SPOC;
 *      nor to a coordinator it does not name.
 *   2. AMBER+STRICT is not visible outside the named organisations (not
 *      even to the sender's colleagues).
 *   3. A party that joins late sees earlier GREEN history, not earlier AMBER
 *      whose audience was fixed at publish time; a participant who joins
 *      late does not see earlier RED.
 *   4. A revoked participant, and the members of a removed party, stop
 *      receiving live at once.
 *   5. Forwarding, requesting or granting a record one may not see answers
 *      byte for byte what it answers for a record that does not exist.
 *   6. A RED record's addressee cannot forward it to its own colleagues
 *      (RED: never, except by its sender or with the sender's grant).
 * Usage: 52-leak IRBUSD
 */
#include "check.h"
#include "harness.h"
#include "policy_cells.h"

#include "irbus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pc_world W;

static struct pc_actor *
A(const char *name) {
    return pc_get(&W, name);
}

/* The channels each actor may read (policy.md section 2.4), as the parties
 * of these tests make them: a1, i1, s1, r1 are their parties' SPOCs. */
static const char *
chans_of(const char *name) {
    static const struct {
        const char *name, *chans;
    } t[] = {
        {"c", "status,coordination,notifications,internal"},
        {"a1", "status,coordination,findings,notifications,internal"},
        {"a2", "status,findings,notifications,internal"},
        {"a3", "status,findings,notifications,internal"},
        {"k1", "status,findings,notifications,internal"},
        {"i1", "status,coordination,findings,internal"},
        {"i2", "status,findings,internal"},
        {"s1", "status,coordination,findings,notifications,internal"},
        {"s2", "status,findings,notifications,internal"},
        {"r1", "status,coordination,findings,notifications,internal"},
        {"r2", "status,findings,notifications,internal"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(t[i].name, name) == 0) {
            return t[i].chans;
        }
    }
    return "status";
}

static uint64_t
sub_new(const char *name, const char *inc, const char *chans, uint64_t from) {
    uint64_t sub = 0;

    CHECK_EQ(irbus_subscribe(A(name)->c, inc, chans, from, 4096, &sub), 0);
    return sub;
}

/* A record and who may see it. */
struct rec {
    const char *tag, *by, *channel, *tlp, *to, *readers;
    uint64_t seq;
};

static void
publish_recs(const char *inc, struct rec *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        pc_cell(&W,
                pc_publish(A(r[i].by), inc, r[i].channel, r[i].tlp, NULL, NULL, r[i].to, &r[i].seq),
                0, "publish %s: %s %s to [%s] by %s", r[i].tag, r[i].channel, r[i].tlp, r[i].to,
                r[i].by);
    }
}

/* The records of r that `name` may see, plus extra (n_extra of them). */
static size_t
want_of(const char *name, const struct rec *r, size_t n, const uint64_t *extra, size_t n_extra,
        uint64_t *out) {
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (pc_list_has(r[i].readers, name)) {
            out[k++] = r[i].seq;
        }
    }
    for (size_t i = 0; i < n_extra; i++) {
        out[k++] = extra[i];
    }
    return k;
}

static void
roster(void) {
    static const char *const orgs[][2] = {
        {"cco", "csirt"}, {"aff", "entity"},    {"irp", "ir_provider"},
        {"cst", "csirt"}, {"reg", "regulator"}, {"out", "entity"},
    };
    static const char *const people[][3] = {
        {"c", "c@cco", "cco"},   {"a1", "a1@aff", "aff"}, {"a2", "a2@aff", "aff"},
        {"k1", "k1@aff", "aff"}, {"i1", "i1@irp", "irp"}, {"i2", "i2@irp", "irp"},
        {"s1", "s1@cst", "cst"}, {"s2", "s2@cst", "cst"}, {"r1", "r1@reg", "reg"},
        {"r2", "r2@reg", "reg"}, {"x", "x@out", "out"},
    };

    for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++) {
        pc_org(&W, orgs[i][0], orgs[i][1]);
    }
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        pc_add(&W, people[i][0], people[i][1], people[i][2], 0, NULL);
    }
}

/* ---- 1. TLP:RED to one participant ---------------------------------------- */

static void
red_to_one(void) {
    const char *inc = "INC-L1";
    uint64_t cmds[8], want[64], extra[16], sub_a2, sub_a1, sub_c, m1 = 0, m2 = 0, m3 = 0;
    size_t ncmds = 0, n;
    static struct pc_seen seen;
    struct rec r[] = {
        {"R1", "i1", "findings", "RED", "a1@aff", "i1 a1", 0},
        {"R2", "c", "status", "RED", "a1@aff", "c a1", 0},
        {"R3", "s1", "notifications", "RED", "a1@aff", "s1 a1", 0},
        {"R4", "c", "coordination", "RED", "a1@aff", "c a1", 0},
        {"R5", "a1", "internal", "RED", "a1@aff", "a1", 0},
        /* A coordinator not named does not read RED. */
        {"RC", "s1", "coordination", "RED", "i1@irp", "s1 i1", 0},
        /* What the colleague may read: controls. */
        {"G1", "c", "status", "GREEN", "", "*", 0},
        {"G2", "i1", "findings", "AMBER", "aff", "i1 a1 a2", 0},
        {"G3", "c", "coordination", "GREEN", "aff", "c a1", 0},
    };
    const size_t nr = sizeof r / sizeof r[0];

    printf("== 1. TLP:RED to one participant of an organisation ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, "aff:affected:a1@aff irp:ir_provider:i1@irp cst:csirt:s1@cst",
                         cmds, &ncmds),
             0);
    sub_a2 = sub_new("a2", inc, chans_of("a2"), IRBUS_FROM_NEW);
    sub_a1 = sub_new("a1", inc, chans_of("a1"), IRBUS_FROM_NEW);
    sub_c = sub_new("c", inc, chans_of("c"), IRBUS_FROM_NEW);
    publish_recs(inc, r, nr);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m1);
    CHECK(m1 != 0);

    seen.n = 0;
    pc_cell(&W, pc_collect(A("a1"), inc, m1, 10000, 300, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
            "control: a1 receives the marker");
    n = want_of("a1", r, nr, &m1, 1, want);
    pc_cell_set(&W, &seen, NULL, want, n, "control: live to a1, the addressee: every RED to it");

    seen.n = 0;
    pc_cell(&W, pc_collect(A("a2"), inc, m1, 10000, 500, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
            "a2 receives the marker");
    n = want_of("a2", r, nr, &m1, 1, want);
    pc_cell_set(&W, &seen, NULL, want, n, "live to a2, a1's colleague: no RED to a1");

    seen.n = 0;
    pc_cell(&W, pc_collect(A("c"), inc, m1, 10000, 500, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
            "c receives the marker");
    n = want_of("c", r, nr, &m1, 1, want);
    pc_cell_set(&W, &seen, NULL, want, n, "live to c, a coordinator: no RED it is not named in");

    memcpy(extra, cmds, ncmds * sizeof cmds[0]);
    extra[ncmds] = m1;
    seen.n = 0;
    pc_cell(&W, pc_history(A("a2"), inc, chans_of("a2"), 1, &seen), 0, "history by a2");
    n = want_of("a2", r, nr, extra, ncmds + 1, want);
    pc_cell_set(&W, &seen, NULL, want, n, "history of a2, a1's colleague: no RED to a1");
    seen.n = 0;
    pc_cell(&W, pc_history(A("c"), inc, chans_of("c"), 1, &seen), 0, "history by c");
    n = want_of("c", r, nr, extra, ncmds + 1, want);
    pc_cell_set(&W, &seen, NULL, want, n, "history of c: no RED it is not named in");
    /* Asked for exactly the secret's sequence: an empty answer. */
    for (int k = 1; k <= 5; k++) {
        irbus_message **msgs = NULL;
        size_t nm = 0;
        uint64_t next = 0, none[1] = {0};
        int rc = irbus_history(A("a2")->c, inc, chans_of("a2"), r[k - 1].seq, r[k - 1].seq, 8,
                               &msgs, &nm, &next);
        seen.n = 0;
        for (size_t i = 0; i < nm; i++) {
            seen.seq[seen.n] = msgs[i]->seq;
            snprintf(seen.channel[seen.n], sizeof seen.channel[0], "%s", msgs[i]->channel);
            snprintf(seen.kind[seen.n], sizeof seen.kind[0], "%s", msgs[i]->kind);
            seen.n++;
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        CHECK_EQ(rc, 0);
        pc_cell_set(&W, &seen, NULL, none, 0, "history of a2 from %llu until %llu (R%d alone)",
                    (unsigned long long)r[k - 1].seq, (unsigned long long)r[k - 1].seq, k);
    }

    /* After reconnect: a new connection subscribes from 1. */
    (void)sub_a2;
    pc_reconnect(&W, A("a2"));
    sub_a2 = sub_new("a2", inc, chans_of("a2"), IRBUS_FROM_START);
    seen.n = 0;
    pc_cell(&W, pc_collect(A("a2"), inc, m1, 10000, 500, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
            "a2 (new connection) replays up to the marker");
    n = want_of("a2", r, nr, extra, ncmds + 1, want);
    pc_cell_set(&W, &seen, NULL, want, n, "replay of a2 after reconnect: no RED to a1");

    /* After becoming SPOC. */
    {
        struct irbus_receipt hr;
        uint64_t sub_spoc;
        struct rec later[] = {
            {"R6", "c", "coordination", "RED", "a1@aff", "c a1", 0},
            {"R7", "i1", "findings", "RED", "a1@aff", "i1 a1", 0},
            {"R8", "s1", "coordination", "RED", "a1@aff", "s1 a1", 0},
            {"G4", "c", "coordination", "GREEN", "aff", "c a2", 0},
        };
        /* a2 as SPOC reads coordination: G3 (to aff) now, never R4. */
        struct rec now[] = {
            {"G3", "", "", "", "", "a2", r[8].seq},
        };
        memset(&hr, 0, sizeof hr);
        pc_cell(&W, irbus_incident_spoc_handover(A("a1")->c, inc, "aff", "a2@aff", &hr), 0,
                "spoc.handover aff -> a2@aff by a1");
        pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m2);
        CHECK(m2 != 0);
        extra[ncmds + 1] = hr.seq;
        extra[ncmds + 2] = m2;
        seen.n = 0;
        pc_cell(&W, pc_history(A("a2"), inc, chans_of("a1"), 1, &seen), 0,
                "history by a2, now SPOC, of all five channels");
        n = want_of("a2", r, nr, extra, ncmds + 3, want);
        n += want_of("a2", now, 1, NULL, 0, want + n);
        pc_cell_set(&W, &seen, NULL, want, n,
                    "history of a2 after becoming SPOC: coordination to aff, no RED to a1");

        pc_reconnect(&W, A("a2"));
        sub_spoc = sub_new("a2", inc, chans_of("a1"), IRBUS_FROM_START);
        seen.n = 0;
        pc_cell(&W, pc_collect(A("a2"), inc, m2, 10000, 300, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                "a2 (SPOC, new connection) replays up to the marker");
        pc_cell_set(&W, &seen, NULL, want, n, "replay of a2 after becoming SPOC: no RED to a1");
        /* Live, after the handover. */
        publish_recs(inc, later, 4);
        pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m3);
        CHECK(m3 != 0);
        seen.n = 0;
        pc_cell(&W, pc_collect(A("a2"), inc, m3, 10000, 500, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                "a2 (SPOC) receives the marker");
        n = want_of("a2", later, 4, &m3, 1, want);
        pc_cell_set(&W, &seen, NULL, want, n, "live to a2 as SPOC: no RED to a1");
        (void)sub_spoc;
    }
    CHECK_EQ(irbus_unsubscribe(A("a1")->c, sub_a1), 0);
    CHECK_EQ(irbus_unsubscribe(A("c")->c, sub_c), 0);
}

/* ---- 2. AMBER+STRICT outside the named organisations ---------------------- */

static void
amber_strict(void) {
    const char *inc = "INC-L2";
    static const char *const who[] = {"c", "a1", "a2", "i1", "i2", "s1", "s2", "r1", "r2"};
    const size_t nwho = sizeof who / sizeof who[0];
    uint64_t cmds[8], want[64], extra[16], m = 0;
    size_t ncmds = 0, n;
    static struct pc_seen seen;
    struct rec r[] = {
        {"X1", "s1", "findings", "AMBER+STRICT", "irp", "s1 i1 i2", 0},
        {"X2", "c", "status", "AMBER+STRICT", "aff irp", "c a1 a2 i1 i2", 0},
        {"X3", "a1", "notifications", "AMBER+STRICT", "cst", "a1 s1 s2", 0},
        {"X4", "i1", "coordination", "AMBER+STRICT", "reg", "i1 r1", 0},
        {"X5", "s2", "internal", "AMBER+STRICT", "aff", "s2", 0},
        {"X6", "r1", "notifications", "AMBER+STRICT", "aff", "r1 a1 a2", 0},
    };
    const size_t nr = sizeof r / sizeof r[0];

    printf("== 2. AMBER+STRICT outside the named organisations ==\n");
    CHECK_EQ(pc_incident(A("c"), inc,
                         "aff:affected:a1@aff irp:ir_provider:i1@irp cst:csirt:s1@cst "
                         "reg:regulator:r1@reg",
                         cmds, &ncmds),
             0);
    for (size_t i = 0; i < nwho; i++) {
        (void)sub_new(who[i], inc, chans_of(who[i]), IRBUS_FROM_NEW);
    }
    publish_recs(inc, r, nr);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m);
    CHECK(m != 0);
    memcpy(extra, cmds, ncmds * sizeof cmds[0]);
    extra[ncmds] = m;
    for (size_t i = 0; i < nwho; i++) {
        seen.n = 0;
        pc_cell(&W, pc_collect(A(who[i]), inc, m, 10000, 300, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                "%s receives the marker", who[i]);
        n = want_of(who[i], r, nr, &m, 1, want);
        pc_cell_set(&W, &seen, NULL, want, n, "live to %s", who[i]);
        seen.n = 0;
        pc_cell(&W, pc_history(A(who[i]), inc, chans_of(who[i]), 1, &seen), 0, "history by %s",
                who[i]);
        n = want_of(who[i], r, nr, extra, ncmds + 1, want);
        pc_cell_set(&W, &seen, NULL, want, n, "history of %s", who[i]);
        pc_reconnect(&W, A(who[i]));
        (void)sub_new(who[i], inc, chans_of(who[i]), IRBUS_FROM_START);
        seen.n = 0;
        pc_cell(&W, pc_collect(A(who[i]), inc, m, 10000, 200, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                "%s (new connection) replays up to the marker", who[i]);
        pc_cell_set(&W, &seen, NULL, want, n, "replay of %s after reconnect", who[i]);
        pc_reconnect(&W, A(who[i]));
    }
}

/* ---- 3. Late joiners ------------------------------------------------------- */

static void
late_joiners(void) {
    const char *inc = "INC-L3";
    uint64_t cmds[8], want[64], extra[16], m = 0;
    size_t ncmds = 0, n;
    static struct pc_seen seen;
    struct pc_actor *a3;
    struct irbus_receipt rr;
    /* Readers among the late: s1, s2 (cst, party added later), r1 (reg,
     * added later), a3 (a participant of aff added later). */
    struct rec before[] = {
        {"E1", "c", "status", "GREEN", "", "s1 s2 r1 a3", 0},
        {"E2", "c", "status", "AMBER", "", "", 0},    /* audience {aff, irp, cco} */
        {"E3", "c", "status", "AMBER", "aff", "", 0}, /* audience {aff, cco} */
        {"E4", "a1", "findings", "GREEN", "", "s1 s2 a3", 0},
        {"E5", "a1", "findings", "AMBER", "", "", 0}, /* audience {aff, irp} */
        {"E6", "c", "status", "RED", "a1@aff", "", 0},
        {"E7", "c", "status", "CLEAR", "irp", "s1 s2 r1 a3", 0},
        {"E8", "i1", "findings", "AMBER+STRICT", "aff", "", 0},
    };
    struct rec after[] = {
        {"E9", "c", "status", "AMBER", "", "s1 s2 r1 a3", 0},
    };

    printf("== 3. late-joining parties and participants ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, "aff:affected:a1@aff irp:ir_provider:i1@irp", cmds, &ncmds),
             0);
    publish_recs(inc, before, 8);
    CHECK_EQ(irbus_incident_party_add(A("c")->c, inc, "cst", "csirt", "s1@cst", &rr), 0);
    cmds[ncmds++] = rr.seq;
    CHECK_EQ(irbus_incident_party_add(A("c")->c, inc, "reg", "regulator", "r1@reg", &rr), 0);
    cmds[ncmds++] = rr.seq;
    a3 = pc_add(&W, "a3", "a3@aff", "aff", 0, NULL);
    CHECK(a3 != NULL);
    publish_recs(inc, after, 1);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m);
    CHECK(m != 0);
    memcpy(extra, cmds, ncmds * sizeof cmds[0]);
    extra[ncmds] = m;
    {
        static const char *const late[] = {"s1", "s2", "r1"};
        for (size_t i = 0; i < 3; i++) {
            seen.n = 0;
            pc_cell(&W, pc_history(A(late[i]), inc, "status,findings", 1, &seen), 0,
                    "history status,findings by %s (late party)", late[i]);
            n = want_of(late[i], before, 8, extra, ncmds + 1, want);
            n += want_of(late[i], after, 1, NULL, 0, want + n);
            pc_cell_set(&W, &seen, NULL, want, n,
                        "history of %s (late party): earlier GREEN, no earlier AMBER", late[i]);
            pc_reconnect(&W, A(late[i]));
            (void)sub_new(late[i], inc, "status,findings", IRBUS_FROM_START);
            seen.n = 0;
            pc_cell(&W, pc_collect(A(late[i]), inc, m, 10000, 200, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                    "%s replays up to the marker", late[i]);
            pc_cell_set(&W, &seen, NULL, want, n, "replay of %s (late party)", late[i]);
            pc_reconnect(&W, A(late[i]));
        }
    }
    /* A participant who joins its organisation later: never in an earlier
     * RED audience. Whether it is in an earlier AMBER audience of its
     * organisation is ambiguous (section 1.3's last sentence against 2.2):
     * printed, not judged. */
    seen.n = 0;
    pc_cell(&W, pc_history(a3, inc, "status,findings", 1, &seen), 0,
            "history status,findings by a3 (late participant of aff)");
    pc_cell_read(&W, &seen, before[5].seq, 0,
                 "E6, RED to a1 published before a3 joined, by a3 (late participant of aff)");
    {
        static const size_t open_recs[] = {0, 3, 6};
        for (size_t k = 0; k < 3; k++) {
            const struct rec *e = &before[open_recs[k]];
            pc_cell_read(&W, &seen, e->seq, 1, "%s, %s %s published before a3 joined, by a3",
                         e->tag, e->channel, e->tlp);
        }
    }
    {
        static const size_t amber[] = {1, 2, 4, 7};
        for (size_t k = 0; k < 4; k++) {
            const struct rec *e = &before[amber[k]];
            /* section 1.3: the audience names organisations */
            pc_cell_read(&W, &seen, e->seq, 1,
                         "%s, %s to [%s] published before a3 joined, audience holding aff, by a3",
                         e->tag, e->tlp, e->to);
        }
    }
}

/* ---- 4. Revocation and removal take effect at once ------------------------ */

static void
revoke_remove(void) {
    const char *inc = "INC-L4";
    uint64_t p1 = 0, q1 = 0, q2 = 0, m1 = 0, q3 = 0, q4 = 0, q5 = 0, m2 = 0, q6 = 0, m3 = 0;
    static struct pc_seen seen;
    struct irbus_receipt rr;

    printf("== 4. revocation and party removal stop live delivery at once ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, "aff:affected:a1@aff irp:ir_provider:i1@irp cst:csirt:s1@cst",
                         NULL, NULL),
             0);
    (void)sub_new("k1", inc, "status,findings", IRBUS_FROM_NEW);
    (void)sub_new("s2", inc, "status,findings", IRBUS_FROM_NEW);
    (void)sub_new("s1", inc, "status,coordination,findings", IRBUS_FROM_NEW);
    (void)sub_new("a2", inc, "status,findings", IRBUS_FROM_NEW);
    CHECK_EQ(pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &p1), 0);
    {
        static const char *const subs[] = {"k1", "s2", "s1", "a2"};
        for (size_t i = 0; i < 4; i++) {
            seen.n = 0;
            pc_cell(&W, pc_collect(A(subs[i]), inc, p1, 10000, 0, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                    "control: %s receives before the change", subs[i]);
        }
    }

    /* Revocation. */
    CHECK_EQ(irbus_admin_participant_revoke(W.opc, "k1@aff", &rr), 0);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &q1);
    pc_publish(A("i1"), inc, "findings", "GREEN", NULL, NULL, NULL, &q2);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m1);
    CHECK(q1 && q2 && m1);
    {
        static const char *const still[] = {"a2", "s1", "s2"};
        for (size_t i = 0; i < 3; i++) {
            seen.n = 0;
            pc_cell(&W, pc_collect(A(still[i]), inc, m1, 10000, 0, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
                    "control: %s receives what was published after k1's revocation", still[i]);
        }
    }
    seen.n = 0;
    (void)pc_collect(A("k1"), inc, 0, 1500, 0, &seen);
    {
        uint64_t none[1] = {0};
        pc_cell_set(&W, &seen, NULL, none, 0,
                    "live to k1 after its revocation: nothing (its subscription was open)");
    }
    pc_cell(&W, pc_publish(A("c"), inc, "status", "RED", NULL, NULL, "k1@aff", NULL),
            IRBUS_EAUDIENCE, "publish RED to [k1@aff] (revoked) by c");
    {
        irbus_message **msgs = NULL;
        size_t n = 0;
        int rc = irbus_history(A("k1")->c, inc, "status", 1, 0, 8, &msgs, &n, NULL);
        pc_cell(&W, rc, IRBUS_EREVOKED,
                "history by k1 on its open connection after revocation (protocol.md section 11)");
        for (size_t i = 0; i < n; i++) {
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
    }

    /* Removal of a party. */
    CHECK_EQ(irbus_incident_party_remove(A("c")->c, inc, "cst", NULL), 0);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &q3);
    pc_publish(A("i1"), inc, "findings", "GREEN", NULL, NULL, NULL, &q4);
    pc_publish(A("c"), inc, "coordination", "GREEN", NULL, NULL, NULL, &q5);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m2);
    CHECK(q3 && q4 && q5 && m2);
    seen.n = 0;
    pc_cell(&W, pc_collect(A("a2"), inc, m2, 10000, 0, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
            "control: a2 receives what was published after the removal");
    {
        static const char *const gone[] = {"s1", "s2"};
        uint64_t none[1] = {0};
        for (size_t i = 0; i < 2; i++) {
            seen.n = 0;
            (void)pc_collect(A(gone[i]), inc, 0, 1000, 0, &seen);
            pc_cell_set(&W, &seen, NULL, none, 0,
                        "live to %s after its party's removal: nothing (its subscription was "
                        "open)",
                        gone[i]);
        }
    }
    pc_cell(&W, pc_history(A("s2"), inc, "status", 1, &seen), IRBUS_ENOTMEMBER,
            "history by s2 after its party's removal");
    pc_cell(&W, irbus_subscribe(A("s2")->c, inc, "status", 1, 16, NULL), IRBUS_ENOTMEMBER,
            "subscribe by s2 after its party's removal");
    pc_cell(&W, pc_publish(A("s1"), inc, "coordination", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ENOTMEMBER, "publish by s1 (former SPOC) after its party's removal");
    pc_cell(&W, pc_publish(A("c"), inc, "status", "RED", NULL, NULL, "s2@cst", NULL),
            IRBUS_EAUDIENCE, "publish RED to [s2@cst] (party removed) by c");
    /* The subscriptions ended: adding the party again does not revive them. */
    CHECK_EQ(irbus_incident_party_add(A("c")->c, inc, "cst", "csirt", "s1@cst", NULL), 0);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &q6);
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m3);
    seen.n = 0;
    pc_cell(&W, pc_collect(A("a2"), inc, m3, 10000, 0, &seen) ? 0 : IRBUS_ETIMEOUT, 0,
            "control: a2 receives what was published after the party came back");
    {
        uint64_t none[1] = {0};
        seen.n = 0;
        (void)pc_collect(A("s2"), inc, 0, 1000, 0, &seen);
        pc_cell_set(&W, &seen, NULL, none, 0,
                    "live to s2 on its old subscription after the party is added again: "
                    "nothing (removal ended it)");
    }
    /* Removed and added again at once, with nothing delivered in between:
     * the subscription still ends, and gives its place back. Seventy rounds
     * (more than the 64 subscriptions a connection may hold) so that a
     * broker that ends them only when it next delivers runs out of places. */
    {
        int rc = 0, round;
        for (round = 0; round < 70 && rc == 0; round++) {
            rc = irbus_subscribe(A("s2")->c, inc, "status", IRBUS_FROM_NEW, 16, NULL);
            if (rc == 0) {
                CHECK_EQ(irbus_incident_party_remove(A("c")->c, inc, "cst", NULL), 0);
                CHECK_EQ(irbus_incident_party_add(A("c")->c, inc, "cst", "csirt", "s1@cst", NULL),
                         0);
            }
        }
        pc_cell(&W, rc, 0, "subscribe by s2 in round %d of subscribe, party.remove, party.add",
                round);
    }
    /* ... and s2 is told: its next receive says which subscription ended and
     * why (the deliveries before it came first). */
    {
        irbus_message *m = NULL;
        int rc;
        while ((rc = irbus_receive(A("s2")->c, 2000, &m)) == 0) {
            irbus_message_destroy(&m);
        }
        pc_cell(&W, rc, IRBUS_ENOTMEMBER, "receive by s2 after its subscription was ended");
        CHECK(irbus_client_ended_sub(A("s2")->c) != 0);
        CHECK(strstr(irbus_client_last_error(A("s2")->c), "ended: rule members_only") != NULL);
    }
}

/* ---- 5. Invisible and nonexistent refs answer alike ----------------------- */

enum { OP_FORWARD, OP_REQUEST, OP_GRANT, NOPS };
static const char *const op_name[NOPS] = {"forward", "share.request", "share.grant"};

static int
ref_op(int op, struct pc_actor *a, const char *inc, uint64_t ref, const uint8_t h[32], char *msg,
       size_t cap) {
    int rc;

    switch (op) {
    case OP_FORWARD:
        rc = pc_forward(a, inc, ref, h, "findings", "AMBER", NULL, "aff", NULL);
        break;
    case OP_REQUEST:
        rc = pc_share(a, 0, inc, ref, h, "aff", NULL);
        break;
    default:
        rc = pc_share(a, 1, inc, ref, h, "aff", NULL);
        break;
    }
    snprintf(msg, cap, "%s", irbus_client_last_error(a->c));
    return rc;
}

static void
same_answer(void) {
    const char *inc = "INC-L5";
    static const struct {
        const char *by, *channel, *tlp, *to, *why;
    } hidden[] = {
        {"i1", "findings", "RED", "i2@irp", "RED to someone else"},
        {"c", "coordination", "GREEN", "", "on a channel a2 may not read"},
        {"i1", "internal", "GREEN", "", "on another organisation's internal channel"},
        {"s1", "findings", "AMBER+STRICT", "irp", "AMBER+STRICT to another organisation"},
        {"s1", "notifications", "AMBER", "reg", "AMBER to other organisations"},
    };
    struct irbus_receipt rr;
    uint64_t head;
    uint8_t fake[32];

    printf("== 5. an invisible ref answers exactly as a nonexistent one ==\n");
    memset(fake, 0x5a, sizeof fake);
    CHECK_EQ(pc_incident(A("c"), inc,
                         "aff:affected:a1@aff irp:ir_provider:i1@irp cst:csirt:s1@cst "
                         "reg:regulator:r1@reg",
                         NULL, NULL),
             0);
    CHECK_EQ(pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &head), 0);
    memset(&rr, 0, sizeof rr);
    for (size_t h = 0; h < sizeof hidden / sizeof hidden[0]; h++) {
        char ne[NOPS][600], inv[NOPS][600], inv2[NOPS][600];
        int rc_ne[NOPS], rc_inv[NOPS], rc_inv2[NOPS];
        uint64_t n = head + 1, seq = 0;
        uint8_t truth[32];
        /* First: record n does not exist yet. */
        for (int op = 0; op < NOPS; op++) {
            rc_ne[op] = ref_op(op, A("a2"), inc, n, fake, ne[op], sizeof ne[op]);
        }
        /* Then it exists, and a2 may not see it. */
        CHECK_EQ(pc_publish(A(hidden[h].by), inc, hidden[h].channel, hidden[h].tlp, NULL, NULL,
                            hidden[h].to, &seq),
                 0);
        pc_cell(&W, seq == n ? 0 : IRBUS_EVALUE, 0,
                "setup: the hidden record (%s) is record %llu, the one asked about before",
                hidden[h].why, (unsigned long long)n);
        CHECK_EQ(pc_digest(A(hidden[h].by), inc, seq, truth), 0);
        for (int op = 0; op < NOPS; op++) {
            rc_inv[op] = ref_op(op, A("a2"), inc, n, fake, inv[op], sizeof inv[op]);
            rc_inv2[op] = ref_op(op, A("a2"), inc, n, truth, inv2[op], sizeof inv2[op]);
            pc_cell(&W, rc_ne[op], IRBUS_ENOTFOUND, "%s of record %llu before it exists",
                    op_name[op], (unsigned long long)n);
            pc_cell(&W, rc_inv[op], rc_ne[op],
                    "%s of record %llu, %s, same code as before it existed", op_name[op],
                    (unsigned long long)n, hidden[h].why);
            pc_cell(&W, strcmp(inv[op], ne[op]) == 0 ? 0 : IRBUS_EDENIED, 0,
                    "%s of record %llu, %s, same message: \"%s\" / \"%s\"", op_name[op],
                    (unsigned long long)n, hidden[h].why, inv[op], ne[op]);
            pc_cell(&W,
                    rc_inv2[op] == rc_ne[op] && strcmp(inv2[op], ne[op]) == 0 ? 0 : IRBUS_EDENIED,
                    0, "%s of record %llu with its true digest: same code and message (%s: \"%s\")",
                    op_name[op], (unsigned long long)n, pc_code_name(rc_inv2[op]), inv2[op]);
        }
        head = n;
    }
    /* A visible record answers differently (control: the test can tell). */
    {
        uint64_t vis = 0;
        uint8_t d[32];
        char msg[600];
        CHECK_EQ(pc_publish(A("i1"), inc, "findings", "GREEN", NULL, NULL, NULL, &vis), 0);
        CHECK_EQ(pc_digest(A("a2"), inc, vis, d), 0);
        pc_cell(&W, ref_op(OP_GRANT, A("a2"), inc, vis, d, msg, sizeof msg), IRBUS_EGRANT,
                "control: share.grant of a record a2 sees but did not send");
        pc_cell(&W, ref_op(OP_FORWARD, A("a2"), inc, vis, fake, msg, sizeof msg), IRBUS_EVALUE,
                "control: forward of a record a2 sees, with a wrong digest");
    }
}

/* ---- 6. RED forwarded by its addressee into its own organisation ---------- */

static void
red_forwarded(void) {
    const char *inc = "INC-L6";
    static const struct {
        const char *channel, *tlp, *to;
    } fwd[] = {
        {"findings", "AMBER", "irp"},  {"findings", "AMBER+STRICT", "irp"},
        {"findings", "RED", "i2@irp"}, {"findings", "GREEN", ""},
        {"internal", "GREEN", ""},     {"internal", "AMBER", ""},
        {"internal", "RED", "i2@irp"}, {"coordination", "AMBER", "irp"},
    };
    uint64_t secret = 0, f = 0;
    uint8_t h[32];
    static struct pc_seen seen;

    printf("== 6. RED forwarded by its addressee into its own organisation ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, "aff:affected:a1@aff irp:ir_provider:i1@irp cst:csirt:s1@cst",
                         NULL, NULL),
             0);
    CHECK_EQ(pc_publish(A("s1"), inc, "findings", "RED", NULL, NULL, "i1@irp", &secret), 0);
    CHECK_EQ(pc_digest(A("i1"), inc, secret, h), 0);
    for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++) {
        pc_cell(
            &W,
            pc_forward(A("i1"), inc, secret, h, fwd[i].channel, fwd[i].tlp, NULL, fwd[i].to, NULL),
            IRBUS_EFORWARD, "forward of RED to [i1@irp] by i1 (its addressee) as %s %s to [%s]",
            fwd[i].channel, fwd[i].tlp, fwd[i].to);
    }
    seen.n = 0;
    CHECK_EQ(pc_history(A("i2"), inc, chans_of("i2"), 1, &seen), 0);
    pc_cell_read(&W, &seen, secret, 0, "the RED record, by i2 (i1's colleague), in history");
    pc_cell(&W, pc_forward(A("i2"), inc, secret, h, "findings", "RED", NULL, "i2@irp", NULL),
            IRBUS_ENOTFOUND, "forward of the RED record by i2, who may not see it");
    /* Control: with the sender's grant the same forward is allowed and i2
     * reads the record through it, so the check above can see a leak. */
    pc_cell(&W, pc_share(A("s1"), 1, inc, secret, h, "i2@irp", NULL), 0,
            "control: share.grant of the RED record to [i2@irp] by its sender s1");
    pc_cell(&W, pc_forward(A("i1"), inc, secret, h, "findings", "RED", NULL, "i2@irp", &f), 0,
            "control: forward as RED to [i2@irp] by i1 after the grant");
    seen.n = 0;
    CHECK_EQ(pc_history(A("i2"), inc, chans_of("i2"), 1, &seen), 0);
    pc_cell_read(&W, &seen, f != 0 ? secret : 0, 1,
                 "control: the RED record, by i2, through the granted forward");
}

int
main(int argc, char **argv) {
    if (pc_begin(&W, argc, argv) != 0) {
        return 64;
    }
    roster();
    red_to_one();
    amber_strict();
    late_joiners();
    revoke_remove();
    same_answer();
    red_forwarded();
    pc_end(&W, "52-leak");
    return check_done("52-leak");
}
