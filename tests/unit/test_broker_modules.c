/*
 * test_broker_modules.c - irbusd's modules in process: the config parser
 * (errors name their line), the LMDB store (batches, durability across a
 * reopen, a full map voids the batch and keeps reads working, a store of
 * another format is refused), the record
 * meta encoding, and the roster and incident rules.
 */
#include "check.h"

#include "config.h"
#include "incident.h"
#include "irbus.h"
#include "keys.h"
#include "policy.h"
#include "roster.h"
#include "store.h"
#include "wire.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S(x) ((irb_str){(x), strlen(x)})

static void
test_config(void) {
    struct irb_config c;
    char err[256];
    static const char good[] = "# comment\n listen = tcp://127.0.0.1:7411 \n\ndata=/tmp/x\n"
                               "admin_key = ops.pub\nclock_window_s = 60\nlog_level = warn\n";

    irb_config_defaults(&c);
    CHECK(strcmp(c.listen, IRB_DEFAULT_LISTEN) == 0);
    CHECK_EQ(irb_config_parse(good, strlen(good), &c, err, sizeof err), 0);
    CHECK(strcmp(c.listen, "tcp://127.0.0.1:7411") == 0);
    CHECK(strcmp(c.data, "/tmp/x") == 0);
    CHECK_EQ(c.nadmin, 1);
    CHECK_EQ(c.clock_window_ms, 60000);

    irb_config_defaults(&c);
    CHECK_EQ(irb_config_parse("data = a\n\nlistne = x\n", 21, &c, err, sizeof err), -1);
    CHECK(strstr(err, "line 3") != NULL && strstr(err, "unknown key") != NULL);
    CHECK_EQ(irb_config_parse("clock_window_s = 0\n", 19, &c, err, sizeof err), -1);
    CHECK(strstr(err, "line 1") != NULL);
    CHECK_EQ(irb_config_parse("clock_window_s = 12x\n", 21, &c, err, sizeof err), -1);
    CHECK_EQ(irb_config_parse("listen = http://x\n", 18, &c, err, sizeof err), -1);
    CHECK_EQ(irb_config_parse("just words\n", 11, &c, err, sizeof err), -1);
    CHECK(strstr(err, "key = value") != NULL);
    CHECK_EQ(irb_config_parse("data = a\0b\n", 11, &c, err, sizeof err), -1);
    CHECK(strstr(err, "NUL") != NULL);

    irb_config_defaults(&c);
    CHECK_EQ(c.verify_threads, IRB_VERIFY_AUTO);
    CHECK_EQ(irb_config_parse("verify_threads = 3\n", 19, &c, err, sizeof err), 0);
    CHECK_EQ(c.verify_threads, 3);
    CHECK_EQ(irb_config_parse("verify_threads = auto\n", 22, &c, err, sizeof err), 0);
    CHECK_EQ(c.verify_threads, IRB_VERIFY_AUTO);
    CHECK_EQ(irb_config_parse("\nverify_threads = 17\n", 21, &c, err, sizeof err), -1);
    CHECK(strstr(err, "line 2") != NULL && strstr(err, "verify_threads") != NULL);
    CHECK_EQ(irb_config_parse("verify_threads = -1\n", 20, &c, err, sizeof err), -1);
}

struct count {
    int n;
    uint64_t last;
};

static int
count_cb(void *ctx, const struct irb_stored *r) {
    struct count *c = ctx;

    c->n++;
    CHECK(r->seq > c->last);
    c->last = r->seq;
    CHECK(r->envlen == 3 && memcmp(r->env, "env", 3) == 0);
    return 0;
}

/* The records of log from..until (0: to the end) that a scan visits. */
static struct count
scanned(struct irb_store *s, const char *log, uint64_t from, uint64_t until) {
    struct count c = {0, 0};

    CHECK_EQ(irb_store_scan(s, log, strlen(log), from, until, count_cb, &c), 0);
    return c;
}

static void
put_one(struct irb_store *s, const char *log, uint64_t seq, int cmd, int want) {
    uint8_t hash[32] = {1}, sig[64] = {2};
    struct irb_stored r = {log,
                           strlen(log),
                           seq,
                           1000 + seq,
                           hash,
                           sig,
                           (const uint8_t *)"m",
                           1,
                           (const uint8_t *)"env",
                           3,
                           NULL,
                           0};

    CHECK_EQ(irb_store_put_record(s, &r, cmd), want);
}

static void
test_store(const char *dir) {
    struct irb_store *s = NULL;
    char err[256];
    uint8_t pk[32] = {9}, h[32] = {7}, got[32];
    uint64_t seq, when;
    struct count c = {0, 0};
    int rc;

    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), 0);
    for (uint64_t i = 1; i <= 5; i++) {
        put_one(s, "INC-1", i, i == 1, 0);
    }
    put_one(s, "INC-1", 3, 0, IRBUS_EEXIST);
    put_one(s, "INC-1", 5, 0, IRBUS_EEXIST);
    put_one(s, "INC-1", 4, 1, IRBUS_EEXIST);
    /* another log's sequence is its own; a log named as a prefix of INC-1 */
    put_one(s, "INC", 1, 0, 0);
    CHECK_EQ(irb_store_put_head(s, "INC-1", 5, 5, h), 0);
    CHECK_EQ(irb_store_put_sender(s, pk, 42), 0);
    CHECK_EQ(irb_store_put_ack(s, "bob@csirt", "INC-1", 4, 777), 0);
    CHECK_EQ(irb_store_commit(s), 0);
    irb_store_close(&s);
    CHECK(s == NULL);

    /* Everything committed is there after a reopen. */
    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), 0);
    CHECK_EQ(irb_store_get_head(s, "INC-1", 5, &seq, got), 0);
    CHECK(seq == 5 && memcmp(got, h, 32) == 0);
    CHECK_EQ(irb_store_get_sender(s, pk, &seq), 0);
    CHECK_EQ(seq, 42);
    CHECK_EQ(irb_store_get_ack(s, "bob@csirt", "INC-1", &seq, &when), 0);
    CHECK(seq == 4 && when == 777);
    CHECK_EQ(irb_store_get_head(s, "INC-2", 5, &seq, got), IRBUS_ENOTFOUND);
    c = scanned(s, "INC-1", 2, 4);
    CHECK_EQ(c.n, 3);
    CHECK_EQ(scanned(s, "INC-1", 1, 0).n, 5);
    c = (struct count){0, 0};
    CHECK_EQ(irb_store_scan_commands(s, "INC-1", 5, count_cb, &c), 0);
    CHECK_EQ(c.n, 1);
    /* A log whose name is a prefix of another is not mixed into it. */
    CHECK_EQ(scanned(s, "INC", 1, 0).n, 1);
    CHECK_EQ(scanned(s, "INC-", 1, 0).n, 0);
    /* a scan from the last record finds it alone; one from a seq between
     * two records (a log may have gaps) starts at the later one */
    c = scanned(s, "INC-1", 5, 0);
    CHECK(c.n == 1 && c.last == 5);
    put_one(s, "GAP", 2, 0, 0);
    put_one(s, "GAP", 7, 0, 0);
    c = scanned(s, "GAP", 3, 0);
    CHECK(c.n == 1 && c.last == 7);
    CHECK_EQ(scanned(s, "GAP", 8, 0).n, 0);
    /* An abandoned batch leaves nothing behind. */
    put_one(s, "INC-1", 6, 0, 0);
    irb_store_abort(s);
    CHECK_EQ(scanned(s, "INC-1", 6, 0).n, 0);

    /* Fill the map: the batch fails as "storage full", nothing of it is
     * stored, and reads keep working. */
    {
        uint8_t *big = calloc(1, 65536);
        uint8_t hash[32] = {0}, sig[64] = {0};
        uint64_t i = 100;
        rc = 0;
        while (rc == 0 && i < 100000) {
            struct irb_stored r = {"FULL", 4, i++, 0, hash, sig, big, 0, big, 65536, NULL, 0};
            rc = irb_store_put_record(s, &r, 0);
            if (rc == 0 && i % 8 == 0) {
                rc = irb_store_commit(s);
            }
        }
        free(big);
        CHECK_EQ(rc, IRBUS_ESTORAGEFULL);
        irb_store_abort(s);
    }
    CHECK_EQ(scanned(s, "INC-1", 1, 0).n, 5);
    irb_store_close(&s);

    {
        struct irb_stored r;
        uint8_t v[106] = {0};
        CHECK_EQ(irb_store_decode_value(v, 105, &r), IRBUS_ECORRUPT);
        v[104] = 0;
        v[105] = 1; /* meta longer than what follows */
        CHECK_EQ(irb_store_decode_value(v, 106, &r), IRBUS_ECORRUPT);
        v[105] = 0;
        CHECK_EQ(irb_store_decode_value(v, 106, &r), 0);
    }
}

/* Records of every size, around a node's and a part's capacity and the
 * stream's limit, come back whole, from the index and through the command
 * index, after a restart too; an aborted batch leaves the stream where it
 * was. A value is its envelope and 111 bytes here: the sixth value ends
 * exactly where the first 8,176-byte part does, an envelope of 8,065 bytes
 * fills a part, one of 20,000 spans three parts, and 32,657 is the largest
 * envelope kept in the stream, 32,658 the smallest kept whole. */
struct sized {
    size_t n;
    const size_t *len;
};

static int
sized_cb(void *ctx, const struct irb_stored *r) {
    struct sized *z = ctx;
    size_t want = z->len[r->seq - 1];

    CHECK_EQ(r->envlen, want);
    for (size_t i = 0; r->envlen == want && i < want; i++) {
        if (r->env[i] != (uint8_t)(r->seq * 31 + i * 7)) {
            CHECK(r->env[i] == (uint8_t)(r->seq * 31 + i * 7));
            break;
        }
    }
    CHECK(r->metalen == 5 && memcmp(r->meta, "meta!", 5) == 0);
    z->n++;
    return 0;
}

static void
test_store_stream(const char *dir) {
    static const size_t lens[] = {0,     1,     1800,  1890,  1900,  1919,  1950,  2000,
                                  2100,  4096,  4400,  8000,  8065,  8066,  7959,  20000,
                                  32000, 32600, 32657, 32658, 32700, 40000, 65536, 1 << 20};
    const size_t n = sizeof lens / sizeof lens[0];
    uint8_t hash[32] = {1}, sig[64] = {2}, *env = malloc(1 << 20);
    struct irb_store *s = NULL;
    struct sized z = {0, lens};
    char err[256];

    CHECK(env != NULL);
    CHECK_EQ(irb_store_open(dir, 64 << 20, &s, err, sizeof err), 0);
    for (size_t k = 0; env != NULL && k < n; k++) {
        struct irb_stored r = {"P", 1,   k + 1,   0,    hash, sig, (const uint8_t *)"meta!",
                               5,   env, lens[k], NULL, 0};
        for (size_t i = 0; i < lens[k]; i++) {
            env[i] = (uint8_t)((k + 1) * 31 + i * 7);
        }
        CHECK_EQ(irb_store_put_record(s, &r, k % 2), 0);
    }
    CHECK_EQ(irb_store_commit(s), 0);
    {
        /* an aborted record must not move the stream */
        struct irb_stored r = {"Q", 1,   1,    0,    hash, sig, (const uint8_t *)"meta!",
                               5,   env, 3000, NULL, 0};
        CHECK_EQ(irb_store_put_record(s, &r, 0), 0);
        irb_store_abort(s);
    }
    for (int pass = 0; pass < 2; pass++) {
        z.n = 0;
        CHECK_EQ(irb_store_scan(s, "P", 1, 1, 0, sized_cb, &z), 0);
        CHECK_EQ(z.n, n);
        z.n = 0;
        CHECK_EQ(irb_store_scan_commands(s, "P", 1, sized_cb, &z), 0);
        CHECK_EQ(z.n, n / 2);
        irb_store_close(&s);
        CHECK_EQ(irb_store_open(dir, 64 << 20, &s, err, sizeof err), 0);
        if (pass == 0) {
            /* after a restart the stream goes on from its end: a record of
             * another log, appended now, is the same size as P's first
             * stream-kept one and must not disturb P's */
            struct irb_stored r = {"R", 1,   1,       0,    hash, sig, (const uint8_t *)"meta!",
                                   5,   env, lens[0], NULL, 0};
            static const size_t one[] = {0};
            struct sized zr = {0, one};
            for (size_t i = 0; i < lens[0]; i++) {
                env[i] = (uint8_t)(31 + i * 7);
            }
            CHECK_EQ(irb_store_put_record(s, &r, 0), 0);
            CHECK_EQ(irb_store_commit(s), 0);
            CHECK_EQ(irb_store_scan(s, "R", 1, 1, 0, sized_cb, &zr), 0);
            CHECK_EQ(zr.n, 1);
        }
    }
    irb_store_close(&s);
    free(env);
}

/* A store is opened only in the format this irbusd writes: one laid out by
 * an earlier irbusd (a "records" database and no format) or marked with
 * another format number is refused with a reason, and left as it was. */
static void
test_store_format(const char *dir) {
    struct irb_store *s = NULL;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {6, "format"}, v;
    char err[256], cmd[128];
    uint8_t three[4] = {0, 0, 0, 3};

    /* a new store is format 2, and opens again */
    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), 0);
    irb_store_close(&s);
    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), 0);
    irb_store_close(&s);
    CHECK_EQ(mdb_env_create(&env), 0);
    CHECK_EQ(mdb_env_set_maxdbs(env, 10), 0);
    CHECK_EQ(mdb_env_open(env, dir, 0, 0600), 0);
    CHECK_EQ(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_EQ(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    CHECK_EQ(mdb_get(txn, dbi, &k, &v), 0);
    CHECK(v.mv_size == 4 && memcmp(v.mv_data, "\0\0\0\2", 4) == 0);
    /* another format number */
    v.mv_size = sizeof three;
    v.mv_data = three;
    CHECK_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
    CHECK_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), IRBUS_EVERSION);
    CHECK(s == NULL && strstr(err, "format 3") != NULL && strstr(err, "format 2") != NULL);

    /* an earlier irbusd's store: records, no format */
    snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
    CHECK_EQ(system(cmd), 0);
    CHECK_EQ(mdb_env_create(&env), 0);
    CHECK_EQ(mdb_env_set_maxdbs(env, 10), 0);
    CHECK_EQ(mdb_env_open(env, dir, 0, 0600), 0);
    CHECK_EQ(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_EQ(mdb_dbi_open(txn, "records", MDB_CREATE, &dbi), 0);
    CHECK_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), IRBUS_EVERSION);
    CHECK(s == NULL && strstr(err, "before store format 2") != NULL);
    /* and it was not turned into a format 2 store by the attempt */
    CHECK_EQ(irb_store_open(dir, 4 << 20, &s, err, sizeof err), IRBUS_EVERSION);
}

static void
test_meta(void) {
    struct irb_meta m, d;
    uint8_t buf[IRB_META_MAX];
    size_t n;

    memset(&m, 0, sizeof m);
    m.channel = IRB_CH_FINDINGS;
    m.tlp = IRB_TLP_RED;
    m.sender = S("alice@acme");
    m.org = S("acme");
    m.pap = IRB_PAP_AMBER;
    m.cls = IRB_MC_FORWARD;
    m.ref = 0x0102030405060708ull;
    m.nto = 2;
    m.to[0] = S("bob@csirt");
    m.to[1] = S("carol@csirt");
    m.naud = 2;
    m.aud[0] = m.to[0];
    m.aud[1] = m.to[1];
    n = irb_meta_encode(&m, buf);
    CHECK_EQ(irb_meta_decode(buf, n, &d), 0);
    CHECK(d.channel == m.channel && d.tlp == m.tlp && d.pap == m.pap && d.cls == m.cls &&
          d.ref == m.ref && d.nto == 2 && d.naud == 2);
    CHECK(d.to[1].len == 11 && memcmp(d.to[1].p, "carol@csirt", 11) == 0);
    CHECK(d.aud[0].len == 9 && memcmp(d.aud[0].p, "bob@csirt", 9) == 0);
    {
        /* version 1 (before the audience was stored): AMBER to csirt from acme
         * reads as the audience {csirt, acme} */
        static const uint8_t v1[] = {1,   2,   2,   0, 4, 'a', 'l', 'i', 'x', 4,  'a',
                                     'c', 'm', 'e', 1, 5, 'c', 's', 'i', 'r', 't'};
        CHECK_EQ(irb_meta_decode(v1, sizeof v1, &d), 0);
        CHECK(d.cls == IRB_MC_MESSAGE && d.tlp == IRB_TLP_AMBER && d.naud == 2);
        CHECK(d.aud[1].len == 4 && memcmp(d.aud[1].p, "acme", 4) == 0);
    }
    for (size_t cut = 0; cut < n; cut++) {
        CHECK_EQ(irb_meta_decode(buf, cut, &d), IRBUS_ECORRUPT);
    }
    buf[0] = 3;
    CHECK_EQ(irb_meta_decode(buf, n, &d), IRBUS_ECORRUPT);
}

static const char *
org_of(void *ctx, const char *participant, size_t len) {
    const struct irb_participant *p = irb_roster_participant(ctx, participant, len);

    return p != NULL ? p->org : NULL;
}

static void
test_roster_incident(void) {
    struct irb_roster r;
    struct irb_incidents t = {0};
    struct irb_incident *in = NULL;
    struct irb_env e;
    uint8_t seed[32], curve[32], pk[32];
    char user[IRB_USER_MAX];
    irbus_key *alice = NULL, *bob = NULL;
    const char *rule = "";

    memset(seed, 1, sizeof seed);
    CHECK_EQ(irbus_key_from_seed(seed, &alice), 0);
    memset(seed, 2, sizeof seed);
    CHECK_EQ(irbus_key_from_seed(seed, &bob), 0);
    CHECK_EQ(irb_roster_init(&r), 0);

    memset(&e, 0, sizeof e);
    e.kind = IRB_K_ORG_ADD;
    e.org = S("acme");
    e.name = S("Acme");
    CHECK_EQ(irb_roster_check(&r, &e), 0);
    CHECK_EQ(irb_roster_apply(&r, &e), 0);
    CHECK_EQ(irb_roster_check(&r, &e), IRBUS_EEXIST);

    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTICIPANT_ADD;
    e.participant = S("alice@acme");
    e.org = S("nowhere");
    e.key = (irb_bin){irbus_key_public(alice), 32};
    CHECK_EQ(irb_roster_check(&r, &e), IRBUS_ENOTFOUND);
    e.org = S("acme");
    CHECK_EQ(irb_roster_check(&r, &e), 0);
    CHECK_EQ(irb_roster_apply(&r, &e), 0);
    e.participant = S("alice2@acme");
    CHECK_EQ(irb_roster_check(&r, &e), IRBUS_EEXIST); /* same key twice */

    CHECK_EQ(irb_key_curve_public(irbus_key_public(alice), curve), 0);
    CHECK_EQ(irb_roster_zap_lookup(&r, curve, user, pk), 0);
    CHECK(strcmp(user, "alice@acme") == 0 && memcmp(pk, irbus_key_public(alice), 32) == 0);
    CHECK_EQ(irb_key_curve_public(irbus_key_public(bob), curve), 0);
    CHECK_EQ(irb_roster_zap_lookup(&r, curve, user, pk), IRBUS_EUNKNOWNKEY);

    /* Incident rules. */
    CHECK_EQ(irb_incident_create(&t, "INC-1", 5, &in), 0);
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_INCIDENT_OPEN;
    e.title = S("t");
    CHECK_EQ(irb_incident_check(in, &e, org_of, &r), 0);
    irb_incident_apply(in, &e, "alice@acme");
    CHECK(irb_incident_is_coord(in, "alice@acme", 10));
    e.kind = IRB_K_PARTY_ADD;
    e.org = S("acme");
    e.role = IRB_ROLE_AFFECTED;
    e.spoc = S("mallory@evil");
    e.present = IRB_BIT(IRB_EI_SPOC);
    CHECK_EQ(irb_incident_check(in, &e, org_of, &r), IRBUS_ENOTFOUND);
    e.spoc = S("alice@acme");
    CHECK_EQ(irb_incident_check(in, &e, org_of, &r), 0);
    irb_incident_apply(in, &e, "alice@acme");
    CHECK_EQ(irb_incident_check(in, &e, org_of, &r), IRBUS_EEXIST);
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_STATE_SET;
    e.state = IRB_STATE_RECOVERED;
    CHECK_EQ(irb_incident_check(in, &e, org_of, &r), 0);
    irb_incident_apply(in, &e, "");
    e.state = IRB_STATE_CONTAINED;
    CHECK_EQ(irb_incident_check(in, &e, org_of, &r), IRBUS_ESTATE);

    /* Policy: a member may read; a non-member may not; coordinators only for
     * commands. */
    {
        struct irb_participant outsider;
        memset(&outsider, 0, sizeof outsider);
        strcpy(outsider.id, "eve@other");
        strcpy(outsider.org, "other");
        const struct irb_participant *alice_p = irb_roster_participant(&r, "alice@acme", 10);
        struct irb_policy_q q = {IRB_ACT_READ, &r, in, alice_p, NULL, NULL, 1u << IRB_CH_STATUS, 0};
        struct irb_meta m;
        CHECK_EQ(irb_policy_check(&q, &rule), 0);
        q.p = &outsider;
        CHECK_EQ(irb_policy_check(&q, &rule), IRBUS_ENOTMEMBER);
        CHECK(strcmp(rule, "members_only") == 0);
        e.kind = IRB_K_COORD_ADD;
        q = (struct irb_policy_q){IRB_ACT_COMMAND, &r, in, &outsider, &e, NULL, 0, 0};
        CHECK_EQ(irb_policy_check(&q, &rule), IRBUS_ECOORD);
        CHECK(strcmp(rule, "coordinators_only") == 0);
        /* internal: only the sender's organisation sees the record */
        memset(&m, 0, sizeof m);
        m.channel = IRB_CH_INTERNAL;
        m.sender = (irb_str){"bob@acme", 8};
        m.org = (irb_str){"acme", 4};
        q = (struct irb_policy_q){IRB_ACT_SEE, &r, in, alice_p, NULL, &m, 1u << IRB_CH_INTERNAL, 1};
        CHECK_EQ(irb_policy_check(&q, &rule), 0);
        m.org = (irb_str){"csirt", 5};
        CHECK_EQ(irb_policy_check(&q, &rule), IRBUS_EDENIED);
        /* and only on a subscription that asked for the channel */
        m.org = (irb_str){"acme", 4};
        q.channels = 1u << IRB_CH_STATUS;
        CHECK_EQ(irb_policy_check(&q, &rule), IRBUS_EDENIED);
    }

    /* Revocation: the key is refused at the handshake from then on. */
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTICIPANT_REVOKE;
    e.participant = S("alice@acme");
    CHECK_EQ(irb_roster_check(&r, &e), 0);
    CHECK_EQ(irb_roster_apply(&r, &e), 0);
    CHECK_EQ(irb_roster_check(&r, &e), IRBUS_ESTATE);
    CHECK_EQ(irb_key_curve_public(irbus_key_public(alice), curve), 0);
    CHECK_EQ(irb_roster_zap_lookup(&r, curve, user, pk), IRBUS_EREVOKED);

    /* Shares are kept sorted by the record they refer to. */
    {
        static const uint64_t refs[] = {5, 2, 9, 2, 7};
        for (size_t i = 0; i < 5; i++) {
            CHECK_EQ(irb_incident_add_share(in, 2, refs[i], 10 + i, (const uint8_t *)"m", 1), 0);
        }
        CHECK_EQ(in->nshares, 5);
        for (size_t i = 1; i < in->nshares; i++) {
            CHECK(in->shares[i - 1].ref <= in->shares[i].ref);
        }
        CHECK_EQ(irb_incident_shares_of(in, 2), 0);
        CHECK(in->shares[0].ref == 2 && in->shares[1].ref == 2);
        CHECK_EQ(irb_incident_shares_of(in, 3), 2);
        CHECK_EQ(irb_incident_shares_of(in, 9), 4);
        CHECK_EQ(irb_incident_shares_of(in, 10), 5);
    }

    irb_incidents_fini(&t);
    irb_roster_fini(&r);
    irbus_key_destroy(&alice);
    irbus_key_destroy(&bob);
}

int
main(void) {
    char dir[] = "/tmp/irb-store-XXXXXX";
    char cmd[128];

    CHECK_EQ(irbus_init(), 0);
    test_config();
    CHECK(mkdtemp(dir) != NULL);
    test_store(dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
    CHECK_EQ(system(cmd), 0);
    test_store_stream(dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
    CHECK_EQ(system(cmd), 0);
    test_store_format(dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
    test_meta();
    test_roster_incident();
    return check_done("test_broker_modules");
}
