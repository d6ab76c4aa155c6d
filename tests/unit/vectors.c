/*
 * vectors.c - builds schema/vectors/ (see vectors.h). Everything here is
 * deterministic: fixed seeds, fixed times, Ed25519's deterministic
 * signatures, and the codec's canonical key order.
 */
#include "vectors.h"

#include "irbus.h"
#include "keys.h"
#include "mp.h"
#include "sign.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const vec_key_names[VEC_NKEYS] = {"alice", "broker", "admin", "bob"};

void
vectors_seed(int which, uint8_t seed[32]) {
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)(which * 32 + i);
    }
}

#define TS     1795435200000ULL /* 2026-11-23T12:00:00Z */
#define BTIME  1795435200123ULL
#define INCID  "INC-2026-0042"
#define STR(s) ((irb_str){(s), sizeof(s) - 1})
#define BIN(b) ((irb_bin){(b), sizeof(b)})

struct ctx {
    const struct vec_sink *sink;
    irbus_key *keys[VEC_NKEYS];
    uint64_t seq; /* the sender's next sequence number */
    uint8_t env[4096];
    long envlen;
    uint8_t sig[64];
    uint8_t digest[32];
    uint8_t out[16384];
    struct irb_frame f;
};

/* Encode e, sign it as `who`, and keep the bytes in c->env / c->sig. */
static int
sign_env(struct ctx *c, struct irb_env *e, int who, const char *domain) {
    e->v = 1;
    e->sender = (irb_bin){irbus_key_public(c->keys[who]), 32};
    e->seq = c->seq++;
    e->ts = TS + e->seq;
    c->envlen = irb_wire_encode_env(e, c->env, sizeof c->env);
    if (c->envlen < 0) {
        return (int)c->envlen;
    }
    irb_digest(domain, c->env, (size_t)c->envlen, c->digest);
    return irb_sign_digest(c->keys[who], c->digest, c->sig);
}

static int
emit(struct ctx *c, const char *name) {
    long n;

    c->f.v = 1;
    n = irb_wire_encode(&c->f, c->out, sizeof c->out);
    if (n < 0) {
        return (int)n;
    }
    return c->sink->valid(c->sink->ctx, name, c->out, (size_t)n);
}

/* A frame carrying the envelope just signed. */
static int
emit_signed(struct ctx *c, enum irb_type t, const char *name) {
    memset(&c->f, 0, sizeof c->f);
    c->f.t = (uint8_t)t;
    c->f.id = c->seq;
    c->f.env = (irb_bin){c->env, (size_t)c->envlen};
    c->f.sig = BIN(c->sig);
    return emit(c, name);
}

/* A text/plain message of the vectors' incident, in e. */
static void
text_msg(struct irb_env *e, uint8_t channel, uint8_t tlp, const uint8_t *text, size_t len) {
    memset(e, 0, sizeof *e);
    e->kind = IRB_K_MSG;
    e->incident = STR(INCID);
    e->channel = channel;
    e->tlp = tlp;
    e->ctype = STR("text/plain");
    e->payload = (irb_bin){text, len};
}

static int
build_publish(struct ctx *c) {
    static const uint8_t text[] = "Ransomware on file server fs01; isolating VLAN 20.";
    static const uint8_t report[] = "{\"suspected_malicious\":true,\"cross_border\":false}";
    static const uint8_t hash[32] = {0xab, 0xcd};
    struct irb_env e;
    char name[64];
    int rc;

    text_msg(&e, IRB_CH_FINDINGS, IRB_TLP_GREEN, text, sizeof text - 1);
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_PUBLISH, "publish_msg_green")) != 0) {
        return rc;
    }
    e.tlp = IRB_TLP_RED;
    e.pap = IRB_PAP_AMBER;
    e.to[0] = STR("bob@csirt");
    e.to[1] = STR("carol@csirt");
    e.nto = 2;
    e.present = IRB_BIT(IRB_EI_PAP) | IRB_BIT(IRB_EI_TO);
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_PUBLISH, "publish_msg_red")) != 0) {
        return rc;
    }
    e.tlp = IRB_TLP_AMBER_STRICT;
    e.channel = IRB_CH_COORDINATION;
    e.to[0] = STR("csirt");
    e.to[1] = STR("acme");
    e.present = IRB_BIT(IRB_EI_TO);
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_PUBLISH, "publish_msg_amber_strict")) != 0) {
        return rc;
    }

    memset(&e, 0, sizeof e);
    e.kind = IRB_K_FORWARD;
    e.incident = STR(INCID);
    e.channel = IRB_CH_STATUS;
    e.tlp = IRB_TLP_GREEN;
    e.ref = 7;
    e.ref_hash = BIN(hash);
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_PUBLISH, "publish_forward")) != 0) {
        return rc;
    }
    for (int k = IRB_K_SHARE_REQUEST; k <= IRB_K_SHARE_GRANT; k++) {
        memset(&e, 0, sizeof e);
        e.kind = (uint8_t)k;
        e.incident = STR(INCID);
        e.ref = 7;
        e.ref_hash = BIN(hash);
        e.to[0] = STR("regulator");
        e.nto = 1;
        snprintf(name, sizeof name, "publish_%s", irb_kind_name((enum irb_kind)k));
        if ((rc = sign_env(c, &e, k == IRB_K_SHARE_REQUEST ? VEC_BOB : VEC_ALICE,
                           IRB_DOMAIN_ENVELOPE)) != 0 ||
            (rc = emit_signed(c, IRB_T_PUBLISH, name)) != 0) {
            return rc;
        }
    }
    /* Stage reports and requests: one vector per kind. */
    for (int k = IRB_K_NIS2_EARLY_WARNING; k <= IRB_K_FEEDBACK; k++) {
        memset(&e, 0, sizeof e);
        e.kind = (uint8_t)k;
        e.incident = STR(INCID);
        e.channel = IRB_CH_NOTIFICATIONS;
        e.tlp = IRB_TLP_AMBER;
        e.ctype = STR("application/json");
        e.payload = (irb_bin){report, sizeof report - 1};
        snprintf(name, sizeof name, "publish_%s", irb_kind_name((enum irb_kind)k));
        if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
            (rc = emit_signed(c, IRB_T_PUBLISH, name)) != 0) {
            return rc;
        }
    }
    return 0;
}

static int
build_commands(struct ctx *c) {
    struct irb_env e;
    int rc;

    memset(&e, 0, sizeof e);
    e.kind = IRB_K_ORG_ADD;
    e.org = STR("csirt");
    e.org_kind = IRB_ORG_CSIRT;
    e.name = STR("Nationaal Cyber Security Centrum");
    if ((rc = sign_env(c, &e, VEC_ADMIN, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_ADMIN, "admin_org_add")) != 0) {
        return rc;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTICIPANT_ADD;
    e.participant = STR("bob@csirt");
    e.org = STR("csirt");
    e.key = (irb_bin){irbus_key_public(c->keys[VEC_BOB]), 32};
    e.automated = 1;
    e.max_pap = IRB_PAP_GREEN;
    e.present = IRB_BIT(IRB_EI_MAX_PAP);
    if ((rc = sign_env(c, &e, VEC_ADMIN, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_ADMIN, "admin_participant_add")) != 0) {
        return rc;
    }
    e.kind = IRB_K_PARTICIPANT_ROTATE;
    e.key = (irb_bin){irbus_key_public(c->keys[VEC_ALICE]), 32};
    if ((rc = sign_env(c, &e, VEC_ADMIN, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_ADMIN, "admin_participant_rotate")) != 0) {
        return rc;
    }
    e.kind = IRB_K_PARTICIPANT_REVOKE;
    if ((rc = sign_env(c, &e, VEC_ADMIN, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_ADMIN, "admin_participant_revoke")) != 0) {
        return rc;
    }

    memset(&e, 0, sizeof e);
    e.kind = IRB_K_INCIDENT_OPEN;
    e.incident = STR(INCID);
    e.title = STR("Ransomware at Acme Water — “fs01”");
    e.regime = IRB_REGIME_NIS2;
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_INCIDENT, "incident_open")) != 0) {
        return rc;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTY_ADD;
    e.incident = STR(INCID);
    e.org = STR("acme");
    e.role = IRB_ROLE_AFFECTED;
    e.spoc = STR("dave@acme");
    e.present = IRB_BIT(IRB_EI_SPOC);
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_INCIDENT, "incident_party_add")) != 0) {
        return rc;
    }
    e.kind = IRB_K_SPOC_HANDOVER;
    e.spoc = STR("erin@acme");
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_INCIDENT, "incident_spoc_handover")) != 0) {
        return rc;
    }
    e.kind = IRB_K_PARTY_REMOVE;
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_INCIDENT, "incident_party_remove")) != 0) {
        return rc;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_COORD_ADD;
    e.incident = STR(INCID);
    e.participant = STR("bob@csirt");
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_INCIDENT, "incident_coord_add")) != 0) {
        return rc;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_STATE_SET;
    e.incident = STR(INCID);
    e.state = IRB_STATE_CONTAINED;
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0 ||
        (rc = emit_signed(c, IRB_T_INCIDENT, "incident_state_set")) != 0) {
        return rc;
    }
    return 0;
}

/* Broker-originated and request/answer frames. */
static int
build_others(struct ctx *c) {
    static const uint8_t text[] = "Status: containment in progress.";
    uint8_t rb[IRB_RECEIPT_BYTES_MAX], hash[32], genesis[32], rsig[64], env1[4096], sig1[64];
    size_t rlen, env1len;
    struct irb_env e;
    int rc;

    /* A status message, stored as record 1 of the incident. */
    text_msg(&e, IRB_CH_STATUS, IRB_TLP_CLEAR, text, sizeof text - 1);
    if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0) {
        return rc;
    }
    memcpy(env1, c->env, (size_t)c->envlen);
    env1len = (size_t)c->envlen;
    memcpy(sig1, c->sig, 64);
    irb_chain_genesis(INCID, strlen(INCID), genesis);
    irb_chain_next(genesis, 1, BTIME, c->digest, sig1, NULL, 0, NULL, 0, hash);

    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_RECEIPT;
    c->f.id = 42;
    c->f.incident = STR(INCID);
    c->f.seq = 1;
    c->f.hash = BIN(hash);
    c->f.btime = BTIME;
    rlen = irb_receipt_bytes(INCID, strlen(INCID), 1, hash, BTIME, rb);
    if ((rc = irb_sign(c->keys[VEC_BROKER], IRB_DOMAIN_RECEIPT, rb, rlen, rsig)) != 0) {
        return rc;
    }
    c->f.sig = BIN(rsig);
    if ((rc = emit(c, "receipt")) != 0) {
        return rc;
    }

    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_DELIVER;
    c->f.sub = 1;
    c->f.incident = STR(INCID);
    c->f.nrecords = 1;
    c->f.records[0] = (struct irb_record){0, 1, BTIME, {env1, env1len}, {sig1, 64}, {NULL, 0}};
    if ((rc = emit(c, "deliver")) != 0) {
        return rc;
    }

    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_HISTORY_RESULT;
    c->f.id = 43;
    c->f.incident = STR(INCID);
    c->f.nrecords = 1;
    c->f.records[0] = (struct irb_record){0, 1, BTIME, {env1, env1len}, {sig1, 64}, {NULL, 0}};
    c->f.next = 2;
    if ((rc = emit(c, "history_result")) != 0) {
        return rc;
    }

    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_SUBSCRIBE;
    c->f.id = 44;
    c->f.incident = STR(INCID);
    c->f.channels = 1u << IRB_CH_STATUS | 1u << IRB_CH_FINDINGS;
    c->f.from = 1;
    c->f.credit = 256;
    if ((rc = emit(c, "subscribe")) != 0) {
        return rc;
    }
    c->f.t = IRB_T_HISTORY;
    c->f.id = 45;
    c->f.limit = 100;
    c->f.until = 50;
    c->f.present = IRB_BIT(IRB_FI_UNTIL);
    if ((rc = emit(c, "history")) != 0) {
        return rc;
    }

    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_CREDIT;
    c->f.id = 46;
    c->f.sub = 1;
    c->f.credit = 128;
    c->f.bytes = 40960;
    if ((rc = emit(c, "credit")) != 0) {
        return rc;
    }
    c->f.t = IRB_T_UNSUBSCRIBE;
    c->f.id = 47;
    if ((rc = emit(c, "unsubscribe")) != 0) {
        return rc;
    }
    c->f.t = IRB_T_OK;
    c->f.id = 44;
    c->f.present = IRB_BIT(IRB_FI_SUB);
    if ((rc = emit(c, "ok_subscribed")) != 0) {
        return rc;
    }
    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_OK;
    c->f.id = 7;
    if ((rc = emit(c, "ok")) != 0) {
        return rc;
    }
    c->f.t = IRB_T_ACK;
    c->f.id = 48;
    c->f.incident = STR(INCID);
    c->f.seq = 1;
    if ((rc = emit(c, "ack")) != 0) {
        return rc;
    }
    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_ERROR;
    c->f.id = 49;
    c->f.code = (uint64_t)-IRBUS_EREPLAY;
    c->f.msg = STR("sequence 3 is not above the last accepted sequence 9; use a new sequence");
    if ((rc = emit(c, "error")) != 0) {
        return rc;
    }

    /* Deadline notices, signed by the broker under the notice domain. */
    for (int k = IRB_K_DEADLINE_REMINDER; k <= IRB_K_DEADLINE_MISSED; k++) {
        memset(&e, 0, sizeof e);
        e.kind = (uint8_t)k;
        e.incident = STR(INCID);
        e.stage = IRB_K_NIS2_EARLY_WARNING;
        e.due = TS + 24ULL * 3600 * 1000;
        if ((rc = sign_env(c, &e, VEC_BROKER, IRB_DOMAIN_NOTICE)) != 0) {
            return rc;
        }
        memset(&c->f, 0, sizeof c->f);
        c->f.t = IRB_T_NOTICE;
        c->f.env = (irb_bin){c->env, (size_t)c->envlen};
        c->f.sig = BIN(c->sig);
        if ((rc = emit(c, k == IRB_K_DEADLINE_REMINDER ? "notice_reminder" : "notice_missed")) !=
            0) {
            return rc;
        }
    }

    /* An operator's list of recent denials, and its answer. */
    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_DENIALS;
    c->f.id = 50;
    if ((rc = emit(c, "denials")) != 0) {
        return rc;
    }
    c->f.t = IRB_T_DENIALS_RESULT;
    c->f.text = STR("denials total=1 since the broker started\n"
                    "count code=302 rule=channel_matrix n=1\n"
                    "2026-11-25T14:38:08.325Z participant=eve@acme code=302 rule=channel_matrix "
                    "incident=INC-2026-0001\n");
    if ((rc = emit(c, "denials_result")) != 0) {
        return rc;
    }

    /* The broker ended a subscription: the participant's party was removed. */
    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_ENDED;
    c->f.sub = 1;
    c->f.code = 301;
    c->f.msg = STR("subscription to INC-2026-0001 ended: rule members_only");
    if ((rc = emit(c, "ended")) != 0) {
        return rc;
    }
    return 0;
}

/* ---- malformed ---------------------------------------------------------- */

struct raw {
    struct irb_mp_writer w;
    uint8_t buf[8192];
};

static void
raw_init(struct raw *r) {
    irb_mp_writer_init(&r->w, r->buf, sizeof r->buf);
}

static void
kv_uint(struct raw *r, const char *k, uint64_t v) {
    irb_mp_write_cstr(&r->w, k);
    irb_mp_write_uint(&r->w, v);
}

static void
kv_str(struct raw *r, const char *k, const char *v) {
    irb_mp_write_cstr(&r->w, k);
    irb_mp_write_cstr(&r->w, v);
}

static int
bad(struct ctx *c, const char *name, const uint8_t *b, size_t n, int code, const char *why) {
    return c->sink->malformed(c->sink->ctx, name, b, n, code, why);
}

static int
bad_raw(struct ctx *c, const char *name, struct raw *r, int code, const char *why) {
    return bad(c, name, r->buf, r->w.len, code, why);
}

/* A publish frame around raw envelope bytes, signed by alice. */
static int
bad_env(struct ctx *c, const char *name, struct raw *env, int code, const char *why) {
    struct raw r;
    uint8_t sig[64];

    if (irb_sign(c->keys[VEC_ALICE], IRB_DOMAIN_ENVELOPE, env->buf, env->w.len, sig) != 0) {
        return IRBUS_EINVAL;
    }
    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "publish");
    kv_uint(&r, "id", 1);
    irb_mp_write_cstr(&r.w, "env");
    irb_mp_write_bin(&r.w, env->buf, env->w.len);
    irb_mp_write_cstr(&r.w, "sig");
    irb_mp_write_bin(&r.w, sig, 64);
    return bad_raw(c, name, &r, code, why);
}

/* Start an envelope map of n entries with the common header of a msg. */
static void
env_head(struct ctx *c, struct raw *r, uint32_t n) {
    raw_init(r);
    irb_mp_write_map(&r->w, n);
    kv_uint(r, "v", 1);
    kv_str(r, "kind", "msg");
    kv_str(r, "incident", INCID);
    kv_str(r, "channel", "findings");
    irb_mp_write_cstr(&r->w, "sender");
    irb_mp_write_bin(&r->w, irbus_key_public(c->keys[VEC_ALICE]), 32);
    kv_uint(r, "ts", TS);
    kv_str(r, "ctype", "text/plain");
    irb_mp_write_cstr(&r->w, "payload");
    irb_mp_write_bin(&r->w, (const uint8_t *)"x", 1);
}

static int
build_malformed(struct ctx *c) {
    static const uint8_t map32_bomb[] = {0xdf, 0x10, 0x00, 0x00, 0x00};
    static const uint8_t array32_bomb[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t map16_short[] = {0xde, 0x00, 0x3c, 0x01};
    static const uint8_t reserved[] = {0xc1};
    static const uint8_t ext[] = {0xd4, 0x01, 0x00};
    static const uint8_t not_map[] = {0x90};
    static const uint8_t int_key[] = {0x81, 0x01, 0x01};
    static const uint8_t str32_short[] = {0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61};
    uint8_t deep[10];
    struct raw r;
    char longid[IRB_MAX_ID + 2];
    int rc;

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) != 0) {                                                                     \
            return rc;                                                                             \
        }                                                                                          \
    } while (0)
    TRY(bad(c, "empty", NULL, 0, IRBUS_ETRUNCATED, "no bytes at all"));
    TRY(bad(c, "map32_bomb", map32_bomb, sizeof map32_bomb, IRBUS_ECOUNT,
            "map32 header claiming 2^28 entries in 5 bytes"));
    TRY(bad(c, "array32_bomb", array32_bomb, sizeof array32_bomb, IRBUS_ECOUNT,
            "array32 header claiming 2^32-1 entries in 5 bytes"));
    TRY(bad(c, "map16_short", map16_short, sizeof map16_short, IRBUS_ETRUNCATED,
            "map16 of 60 entries (within the limit) with one byte left"));
    TRY(bad(c, "str32_short", str32_short, sizeof str32_short, IRBUS_ETRUNCATED,
            "str32 claiming 2 GiB with one byte left"));
    for (int i = 0; i < 9; i++) {
        deep[i] = 0x91;
    }
    deep[9] = 0x90;
    TRY(bad(c, "nesting_10", deep, sizeof deep, IRBUS_EDEPTH,
            "ten nested arrays; the limit is eight"));
    TRY(bad(c, "reserved_c1", reserved, sizeof reserved, IRBUS_EMSGPACK,
            "0xc1 is never used in msgpack"));
    TRY(bad(c, "ext_type", ext, sizeof ext, IRBUS_EMSGPACK, "extension types are not used"));
    TRY(bad(c, "not_a_map", not_map, sizeof not_map, IRBUS_ETYPE, "a frame is a map"));
    TRY(bad(c, "int_key", int_key, sizeof int_key, IRBUS_ETYPE, "map keys are strings"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 3);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    kv_uint(&r, "id", 7);
    irb_mp_write_uint(&r.w, 0);
    TRY(bad_raw(c, "trailing", &r, IRBUS_ETRAILING, "an ok frame followed by one more byte"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 4);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    kv_uint(&r, "id", 7);
    kv_uint(&r, "id", 8);
    TRY(bad_raw(c, "duplicate_field", &r, IRBUS_EDUPFIELD, "id appears twice"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 2);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    TRY(bad_raw(c, "missing_field", &r, IRBUS_EMISSING, "ok without id"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 4);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    kv_uint(&r, "id", 7);
    kv_uint(&r, "zz", 1);
    TRY(bad_raw(c, "unknown_field", &r, IRBUS_EUNKNOWNFIELD, "a key no frame defines"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 4);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    kv_uint(&r, "id", 7);
    kv_uint(&r, "seq", 1);
    TRY(bad_raw(c, "field_not_for_type", &r, IRBUS_EUNKNOWNFIELD,
                "seq is defined, but not for ok"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "deliver");
    kv_uint(&r, "sub", 1);
    kv_str(&r, "incident", INCID);
    irb_mp_write_cstr(&r.w, "records");
    irb_mp_write_array(&r.w, 0);
    TRY(bad_raw(c, "deliver_no_records", &r, IRBUS_ECOUNT,
                "a deliver carries at least one record"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 3);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "bogus");
    kv_uint(&r, "id", 7);
    TRY(bad_raw(c, "unknown_type", &r, IRBUS_EMSGTYPE, "t names no frame type"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 3);
    kv_uint(&r, "v", 2);
    kv_str(&r, "t", "ok");
    kv_uint(&r, "id", 7);
    TRY(bad_raw(c, "version_2", &r, IRBUS_EVERSION, "protocol version 2"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 3);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    kv_str(&r, "id", "7");
    TRY(bad_raw(c, "wrong_type", &r, IRBUS_ETYPE, "id as a string"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 3);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "ok");
    irb_mp_write_cstr(&r.w, "id");
    (void)msgpack_pack_int64(&r.w.pk, -1);
    TRY(bad_raw(c, "negative_int", &r, IRBUS_ETYPE, "id is unsigned"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "error");
    kv_uint(&r, "id", 7);
    kv_uint(&r, "code", 202);
    irb_mp_write_cstr(&r.w, "msg");
    irb_mp_write_str(&r.w, "bad \xc0\xaf", 6);
    TRY(bad_raw(c, "non_utf8", &r, IRBUS_EUTF8, "overlong encoding of '/' in msg"));

#define SUBSCRIBE(incident, chans, nch, credit)                                                    \
    do {                                                                                           \
        raw_init(&r);                                                                              \
        irb_mp_write_map(&r.w, 7);                                                                 \
        kv_uint(&r, "v", 1);                                                                       \
        kv_str(&r, "t", "subscribe");                                                              \
        kv_uint(&r, "id", 9);                                                                      \
        kv_str(&r, "incident", incident);                                                          \
        irb_mp_write_cstr(&r.w, "channels");                                                       \
        irb_mp_write_array(&r.w, nch);                                                             \
        for (int i_ = 0; i_ < (nch); i_++) {                                                       \
            irb_mp_write_cstr(&r.w, (chans)[i_]);                                                  \
        }                                                                                          \
        kv_uint(&r, "from", 1);                                                                    \
        kv_uint(&r, "credit", credit);                                                             \
    } while (0)
    {
        static const char *const ok_ch[] = {"status"};
        static const char *const bad_ch[] = {"gossip"};
        static const char *const dup_ch[] = {"status", "status"};
        SUBSCRIBE("-bad", ok_ch, 1, 10);
        TRY(bad_raw(c, "id_format", &r, IRBUS_EFORMAT, "an id starts with a letter or digit"));
        memset(longid, 'a', IRB_MAX_ID + 1);
        longid[IRB_MAX_ID + 1] = 0;
        SUBSCRIBE(longid, ok_ch, 1, 10);
        TRY(bad_raw(c, "id_too_long", &r, IRBUS_ELENGTH, "a 65-byte id"));
        SUBSCRIBE(INCID, bad_ch, 1, 10);
        TRY(bad_raw(c, "unknown_channel", &r, IRBUS_EVALUE, "no channel is called gossip"));
        SUBSCRIBE(INCID, dup_ch, 2, 10);
        TRY(bad_raw(c, "duplicate_channel", &r, IRBUS_EVALUE, "a channel named twice"));
        SUBSCRIBE(INCID, ok_ch, 0, 10);
        TRY(bad_raw(c, "no_channel", &r, IRBUS_ECOUNT, "at least one channel"));
        SUBSCRIBE(INCID, ok_ch, 1, IRB_MAX_CREDIT + 1);
        TRY(bad_raw(c, "credit_too_big", &r, IRBUS_EVALUE, "credit above 65536"));
    }

    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "publish");
    kv_uint(&r, "id", 1);
    irb_mp_write_cstr(&r.w, "env");
    irb_mp_write_bin(&r.w, (const uint8_t *)"\x80", 1);
    irb_mp_write_cstr(&r.w, "sig");
    irb_mp_write_bin(&r.w, c->sig, 63);
    TRY(bad_raw(c, "short_signature", &r, IRBUS_ELENGTH, "a 63-byte signature"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "t", "publish");
    kv_uint(&r, "id", 1);
    irb_mp_write_cstr(&r.w, "env");
    irb_mp_write_bin(&r.w, (const uint8_t *)"\x80", 1);
    kv_str(&r, "sig", "not binary");
    TRY(bad_raw(c, "str_for_bin", &r, IRBUS_ETYPE, "sig must be bin, not str"));

    /* Envelope-level errors, inside a correctly signed publish frame. */
    env_head(c, &r, 10);
    kv_str(&r, "tlp", "RED");
    kv_uint(&r, "seq", 1);
    TRY(bad_env(c, "env_red_without_to", &r, IRBUS_EMISSING, "TLP:RED needs `to`"));
    env_head(c, &r, 11);
    kv_str(&r, "tlp", "RED");
    kv_uint(&r, "seq", 1);
    irb_mp_write_cstr(&r.w, "to");
    irb_mp_write_array(&r.w, 0);
    TRY(bad_env(c, "env_red_empty_to", &r, IRBUS_EVALUE, "TLP:RED needs at least one recipient"));
    env_head(c, &r, 10);
    kv_str(&r, "tlp", "PURPLE");
    kv_uint(&r, "seq", 1);
    TRY(bad_env(c, "env_unknown_tlp", &r, IRBUS_EVALUE, "no TLP label PURPLE"));
    env_head(c, &r, 10);
    kv_str(&r, "tlp", "GREEN");
    kv_uint(&r, "seq", 0);
    TRY(bad_env(c, "env_seq_zero", &r, IRBUS_EVALUE, "sequence numbers start at 1"));
    env_head(c, &r, 11);
    kv_str(&r, "tlp", "AMBER");
    kv_uint(&r, "seq", 1);
    irb_mp_write_cstr(&r.w, "to");
    irb_mp_write_array(&r.w, 2);
    irb_mp_write_cstr(&r.w, "acme");
    irb_mp_write_cstr(&r.w, "acme");
    TRY(bad_env(c, "env_duplicate_recipient", &r, IRBUS_EVALUE, "a recipient named twice"));
    env_head(c, &r, 11);
    kv_str(&r, "tlp", "AMBER");
    kv_uint(&r, "seq", 1);
    irb_mp_write_cstr(&r.w, "to");
    irb_mp_write_array(&r.w, IRB_MAX_TO + 1);
    for (int i = 0; i <= IRB_MAX_TO; i++) {
        char id[8];
        snprintf(id, sizeof id, "org%d", i);
        irb_mp_write_cstr(&r.w, id);
    }
    TRY(bad_env(c, "env_too_many_recipients", &r, IRBUS_ECOUNT, "65 recipients; at most 64"));
    env_head(c, &r, 10);
    kv_str(&r, "tlp", "GREEN");
    kv_uint(&r, "seq", 1);
    irb_mp_write_uint(&r.w, 0);
    TRY(bad_env(c, "env_trailing", &r, IRBUS_ETRAILING, "a byte after the envelope map"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 8);
    kv_uint(&r, "v", 1);
    kv_str(&r, "kind", "org.add");
    irb_mp_write_cstr(&r.w, "sender");
    irb_mp_write_bin(&r.w, irbus_key_public(c->keys[VEC_ALICE]), 32);
    kv_uint(&r, "seq", 1);
    kv_uint(&r, "ts", TS);
    kv_str(&r, "org", "acme");
    kv_str(&r, "org_kind", "entity");
    kv_str(&r, "name", "Acme");
    TRY(bad_env(c, "env_wrong_class", &r, IRBUS_EMSGTYPE,
                "an admin command inside a publish frame"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "kind", "gossip");
    irb_mp_write_cstr(&r.w, "sender");
    irb_mp_write_bin(&r.w, irbus_key_public(c->keys[VEC_ALICE]), 32);
    kv_uint(&r, "seq", 1);
    kv_uint(&r, "ts", TS);
    TRY(bad_env(c, "env_unknown_kind", &r, IRBUS_EMSGTYPE, "no envelope kind gossip"));

    raw_init(&r);
    irb_mp_write_map(&r.w, 5);
    kv_uint(&r, "v", 1);
    kv_str(&r, "kind", "participant.revoke");
    irb_mp_write_cstr(&r.w, "sender");
    irb_mp_write_bin(&r.w, irbus_key_public(c->keys[VEC_ALICE]), 31);
    kv_uint(&r, "seq", 1);
    kv_uint(&r, "ts", TS);
    TRY(bad_env(c, "env_short_sender", &r, IRBUS_ELENGTH, "a 31-byte sender key"));

    env_head(c, &r, 10);
    kv_str(&r, "tlp", "GREEN");
    irb_mp_write_cstr(&r.w, "ctype");
    irb_mp_write_cstr(&r.w, "textplain");
    TRY(bad_env(c, "env_duplicate_ctype", &r, IRBUS_EDUPFIELD, "ctype appears twice"));
#undef TRY
#undef SUBSCRIBE
    return 0;
}

/* Batch signatures (schema/protocol.md "Batch signatures"): alice signs
 * three status messages with one signature; they are stored as records 1..3
 * of the incident and the broker signs their three receipts with one
 * signature. The vectors are the second of each: it has a sibling on one
 * side and the carried-up third item on the other. */
static int
build_batch(struct ctx *c) {
    static const char *const text[3] = {"Batch 1 of 3.", "Batch 2 of 3.", "Batch 3 of 3."};
    static struct irb_batch tree;
    uint8_t envs[3][512], d[3 * 32], sig[64], proofs[3][IRB_PROOF_MAX], prev[32], hash[3][32];
    uint8_t rb[IRB_RECEIPT_BYTES_MAX], rd[3 * 32], rsig[64], rproof[IRB_PROOF_MAX];
    uint8_t salts[6][IRB_SALT_BYTES]; /* fixed: the publisher's three, the broker's three */
    size_t lens[3], plen[3], rplen;
    struct irb_env e;
    int rc;

    for (int i = 0; i < 6; i++) {
        for (int k = 0; k < IRB_SALT_BYTES; k++) {
            salts[i][k] = (uint8_t)(0xa0 + 16 * i + k);
        }
    }

    for (int i = 0; i < 3; i++) {
        text_msg(&e, IRB_CH_STATUS, IRB_TLP_CLEAR, (const uint8_t *)text[i], strlen(text[i]));
        if ((rc = sign_env(c, &e, VEC_ALICE, IRB_DOMAIN_ENVELOPE)) != 0) {
            return rc;
        }
        memcpy(envs[i], c->env, (size_t)c->envlen);
        lens[i] = (size_t)c->envlen;
        memcpy(d + 32 * i, c->digest, 32);
    }
    if ((rc = irb_batch_build(&tree, d, salts[0], 3)) != 0 ||
        (rc = irb_sign_digest(c->keys[VEC_ALICE], tree.digest, sig)) != 0) {
        return rc;
    }
    irb_chain_genesis(INCID, strlen(INCID), prev);
    for (size_t i = 0; i < 3; i++) {
        plen[i] = irb_batch_proof(&tree, i, proofs[i]);
        irb_chain_next(prev, i + 1, BTIME, d + 32 * i, sig, proofs[i], plen[i], NULL, 0, hash[i]);
        memcpy(prev, hash[i], 32);
    }
    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_PUBLISH;
    c->f.id = 7;
    c->f.env = (irb_bin){envs[1], lens[1]};
    c->f.sig = BIN(sig);
    c->f.proof = (irb_bin){proofs[1], plen[1]};
    c->f.present = IRB_BIT(IRB_FI_PROOF);
    if ((rc = emit(c, "publish_batch")) != 0) {
        return rc;
    }

    for (size_t i = 0; i < 3; i++) {
        size_t rl = irb_receipt_bytes(INCID, strlen(INCID), i + 1, hash[i], BTIME, rb);
        irb_digest(IRB_DOMAIN_RECEIPT, rb, rl, rd + 32 * i);
    }
    if ((rc = irb_batch_build(&tree, rd, salts[3], 3)) != 0 ||
        (rc = irb_sign_digest(c->keys[VEC_BROKER], tree.digest, rsig)) != 0) {
        return rc;
    }
    rplen = irb_batch_proof(&tree, 1, rproof);
    memset(&c->f, 0, sizeof c->f);
    c->f.t = IRB_T_RECEIPT;
    c->f.id = 7;
    c->f.incident = STR(INCID);
    c->f.seq = 2;
    c->f.hash = BIN(hash[1]);
    c->f.btime = BTIME;
    c->f.sig = BIN(rsig);
    c->f.proof = (irb_bin){rproof, rplen};
    c->f.present = IRB_BIT(IRB_FI_PROOF);
    return emit(c, "receipt_batch");
}

int
vectors_build(const struct vec_sink *sink) {
    struct ctx *c;
    uint8_t seed[32];
    int rc = IRBUS_ENOMEM;

    c = calloc(1, sizeof *c);
    if (c == NULL) {
        return IRBUS_ENOMEM;
    }
    c->sink = sink;
    c->seq = 1;
    for (int i = 0; i < VEC_NKEYS; i++) {
        vectors_seed(i, seed);
        if ((rc = irbus_key_from_seed(seed, &c->keys[i])) != 0) {
            goto out;
        }
    }
    if ((rc = build_publish(c)) != 0 || (rc = build_commands(c)) != 0 ||
        (rc = build_others(c)) != 0 || (rc = build_malformed(c)) != 0 ||
        (rc = build_batch(c)) != 0) {
        goto out;
    }
out:
    for (int i = 0; i < VEC_NKEYS; i++) {
        irbus_key_destroy(&c->keys[i]);
    }
    free(c);
    return rc;
}

/* Which of the fixed keys signed (digest, sig), through proof if it is a
 * batch signature? Names it, or "none". */
static const char *
signer_of(const uint8_t digest[32], const uint8_t *sig, const irb_bin *proof) {
    static char name[32];
    uint8_t seed[32];
    irbus_key *k = NULL;

    snprintf(name, sizeof name, "none");
    for (int i = 0; i < VEC_NKEYS; i++) {
        vectors_seed(i, seed);
        if (irbus_key_from_seed(seed, &k) != 0) {
            break;
        }
        if (irb_verify_item(irbus_key_public(k), digest, sig, proof->p, proof->len, NULL) == 0) {
            snprintf(name, sizeof name, "%s", vec_key_names[i]);
        }
        irbus_key_destroy(&k);
    }
    return name;
}

static long
meaning_env(const uint8_t *env, size_t len, const uint8_t *sig, const irb_bin *proof,
            const char *domain, char *out, size_t cap) {
    struct irb_env *e = calloc(1, sizeof *e);
    uint8_t d[32];
    long n, m;

    if (e == NULL) {
        return IRBUS_ENOMEM;
    }
    n = irb_wire_decode_env(env, len, e);
    if (n == 0) {
        n = snprintf(out, cap, ",\n \"env\": ");
        m = irb_wire_dump_env(e, out + n, cap - (size_t)n);
        if (m < 0) {
            n = m;
        } else {
            irb_digest(domain, env, len, d);
            n += m;
            n += snprintf(out + n, cap - (size_t)n, ",\n \"env_signed_by\": \"%s\"",
                          signer_of(d, sig, proof));
        }
    }
    free(e);
    return n;
}

long
vectors_meaning(const uint8_t *bytes, size_t len, char *out, size_t cap) {
    struct irb_frame *f = calloc(1, sizeof *f);
    uint8_t rb[IRB_RECEIPT_BYTES_MAX], d[32];
    long n, m;

    if (f == NULL) {
        return IRBUS_ENOMEM;
    }
    if ((n = irb_wire_decode(bytes, len, f)) != 0) {
        goto out;
    }
    n = snprintf(out, cap, "{\"frame\": ");
    if ((m = irb_wire_dump(f, out + n, cap - (size_t)n)) < 0) {
        n = m;
        goto out;
    }
    n += m;
    if (f->present & IRB_BIT(IRB_FI_ENV)) {
        m = meaning_env(f->env.p, f->env.len, f->sig.p, &f->proof,
                        f->t == IRB_T_NOTICE ? IRB_DOMAIN_NOTICE : IRB_DOMAIN_ENVELOPE, out + n,
                        cap - (size_t)n);
        if (m < 0) {
            n = m;
            goto out;
        }
        n += m;
    }
    for (uint32_t i = 0; i < f->nrecords; i++) {
        m = meaning_env(f->records[i].env.p, f->records[i].env.len, f->records[i].sig.p,
                        &f->records[i].proof, IRB_DOMAIN_ENVELOPE, out + n, cap - (size_t)n);
        if (m < 0) {
            n = m;
            goto out;
        }
        n += m;
    }
    if (f->t == IRB_T_RECEIPT) {
        size_t rl =
            irb_receipt_bytes(f->incident.p, f->incident.len, f->seq, f->hash.p, f->btime, rb);
        irb_digest(IRB_DOMAIN_RECEIPT, rb, rl, d);
        n += snprintf(out + n, cap - (size_t)n, ",\n \"receipt_signed_by\": \"%s\"",
                      signer_of(d, f->sig.p, &f->proof));
    }
    n += snprintf(out + n, cap - (size_t)n, "}\n");
    if ((size_t)n >= cap) {
        n = IRBUS_ETOOBIG;
    }
out:
    free(f);
    return n;
}
