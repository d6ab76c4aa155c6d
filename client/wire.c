/*
 * wire.c - the table-driven codec of protocol version 1.
 *
 * The tables below are the schema: field names, types, formats, limits,
 * which fields each frame type and envelope kind requires or allows, and the
 * canonical key order (table order). schema/protocol.md lists the same
 * tables; tests/unit/test_vectors.c holds the two together.
 *
 * Decoding order, so every input has exactly one answer: the whole frame is
 * pre-walked (size, structure, counts, depth, trailing bytes); then the map
 * is read key by key, each value checked as it is met (type, length, UTF-8,
 * format, range); then unknown-for-this-type and missing fields.
 */
#include "wire.h"

#include "mp.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

static const char *const type_names[IRB_T_COUNT] = {
    "publish", "admin",   "incident", "receipt",        "subscribe",      "unsubscribe",
    "credit",  "deliver", "ack",      "history",        "history_result", "ok",
    "error",   "notice",  "denials",  "denials_result", "ended",
};

static const char *const kind_names[IRB_K_COUNT] = {
    "msg",
    "forward",
    "share.request",
    "share.grant",
    "nis2.early_warning",
    "nis2.notification",
    "nis2.intermediate",
    "nis2.progress",
    "nis2.final",
    "dora.initial",
    "dora.intermediate",
    "dora.final",
    "ccv.confirmation",
    "ccv.triage",
    "report.request",
    "feedback",
    "org.add",
    "participant.add",
    "participant.revoke",
    "participant.rotate",
    "incident.open",
    "party.add",
    "party.remove",
    "spoc.handover",
    "coord.add",
    "state.set",
    "deadline.reminder",
    "deadline.missed",
};

static const char *const channel_names[] = {"status",        "coordination", "findings",
                                            "notifications", "internal",     NULL};
static const char *const tlp_names[] = {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED", NULL};
static const char *const pap_names[] = {"CLEAR", "GREEN", "AMBER", "RED", NULL};
static const char *const org_kind_names[] = {"entity", "ir_provider", "csirt", "regulator", NULL};
static const char *const role_names[] = {"affected", "ir_provider", "csirt", "regulator", NULL};
static const char *const state_names[] = {"open", "contained", "recovered", "closed", NULL};
static const char *const regime_names[] = {"nis2", "nis2-tsp", "dora", "ccv", "none", NULL};

static int
name_index(const char *const *names, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n && names[i] != NULL; i++) {
        if (names[i][0] == (len > 0 ? s[0] : '\0') && strlen(names[i]) == len &&
            memcmp(names[i], s, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

#define NAMES_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *
irb_type_name(enum irb_type t) {
    return (unsigned)t < IRB_T_COUNT ? type_names[t] : NULL;
}
const char *
irb_kind_name(enum irb_kind k) {
    return (unsigned)k < IRB_K_COUNT ? kind_names[k] : NULL;
}
const char *
irb_channel_name(enum irb_channel c) {
    return (unsigned)c < IRB_CH_COUNT ? channel_names[c] : NULL;
}
const char *
irb_tlp_name(enum irb_tlp t) {
    return (unsigned)t <= IRB_TLP_RED ? tlp_names[t] : NULL;
}
const char *
irb_pap_name(enum irb_pap p) {
    return (unsigned)p <= IRB_PAP_RED ? pap_names[p] : NULL;
}
int
irb_kind_from_name(const char *s, size_t len) {
    return name_index(kind_names, IRB_K_COUNT, s, len);
}
int
irb_channel_from_name(const char *s, size_t len) {
    return name_index(channel_names, NAMES_LEN(channel_names), s, len);
}
int
irb_tlp_from_name(const char *s, size_t len) {
    return name_index(tlp_names, NAMES_LEN(tlp_names), s, len);
}
int
irb_pap_from_name(const char *s, size_t len) {
    return name_index(pap_names, NAMES_LEN(pap_names), s, len);
}

/* ---- field tables ------------------------------------------------------ */

enum fk {
    FK_UINT,    /* uint64_t, within [min, max] */
    FK_BOOL,    /* uint8_t 0/1 */
    FK_ENUM,    /* uint8_t index into names */
    FK_STR,     /* irb_str, UTF-8, length within [min, max], format fmt */
    FK_BIN,     /* irb_bin, length within [min, max] */
    FK_IDLIST,  /* irb_str[] of ids, count within [min, max], no duplicates */
    FK_CHANSET, /* uint32_t bit set of channels, count within [min, max], no duplicates */
    FK_RECORDS, /* struct irb_record[] */
};

enum fmt {
    FMT_NONE,
    FMT_ID,      /* schema/protocol.md "Identifiers" */
    FMT_LOG,     /* an incident id or IRB_SYSTEM_LOG */
    FMT_CTYPE,   /* printable ASCII without spaces, containing one '/' */
    FMT_VERSION, /* FK_UINT: must equal IRBUS_PROTOCOL_VERSION, else EVERSION */
    FMT_MSGTYPE, /* FK_ENUM: an unknown name is EMSGTYPE, not EVALUE */
    FMT_NONZERO, /* FK_UINT: min applies (documented as >= 1) */
};

struct field {
    const char *name;
    uint8_t fk;
    uint8_t fmt;
    uint16_t off;
    uint64_t min, max;
    const char *const *names; /* FK_ENUM */
    size_t nnames;
};

#define U64MAX  UINT64_MAX
#define FF(f)   offsetof(struct irb_frame, f)
#define EF(f)   offsetof(struct irb_env, f)
#define RF(f)   offsetof(struct irb_record, f)
#define ENUM(a) a, NAMES_LEN(a)

/* Frame fields, in canonical order; index = IRB_FI_*. */
static const struct field frame_fields[IRB_FI_COUNT] = {
    {"v", FK_UINT, FMT_VERSION, FF(v), 0, U64MAX, NULL, 0},
    {"t", FK_ENUM, FMT_MSGTYPE, FF(t), 0, 0, type_names, IRB_T_COUNT},
    {"id", FK_UINT, FMT_NONE, FF(id), 0, U64MAX, NULL, 0},
    {"sub", FK_UINT, FMT_NONE, FF(sub), 1, U64MAX, NULL, 0},
    {"incident", FK_STR, FMT_LOG, FF(incident), 1, IRB_MAX_ID, NULL, 0},
    {"channels", FK_CHANSET, FMT_NONE, FF(channels), 1, IRB_CH_COUNT, NULL, 0},
    {"from", FK_UINT, FMT_NONE, FF(from), 0, U64MAX, NULL, 0},
    {"until", FK_UINT, FMT_NONE, FF(until), 1, U64MAX, NULL, 0},
    {"limit", FK_UINT, FMT_NONE, FF(limit), 1, IRB_MAX_RECORDS, NULL, 0},
    {"credit", FK_UINT, FMT_NONE, FF(credit), 0, IRB_MAX_CREDIT, NULL, 0},
    {"seq", FK_UINT, FMT_NONE, FF(seq), 1, U64MAX, NULL, 0},
    {"btime", FK_UINT, FMT_NONE, FF(btime), 0, U64MAX, NULL, 0},
    {"hash", FK_BIN, FMT_NONE, FF(hash), 32, 32, NULL, 0},
    {"env", FK_BIN, FMT_NONE, FF(env), 1, IRB_MAX_ENV, NULL, 0},
    {"sig", FK_BIN, FMT_NONE, FF(sig), 64, 64, NULL, 0},
    {"records", FK_RECORDS, FMT_NONE, FF(records), 0, IRB_MAX_RECORDS, NULL, 0},
    {"next", FK_UINT, FMT_NONE, FF(next), 0, U64MAX, NULL, 0},
    {"code", FK_UINT, FMT_NONE, FF(code), 1, 999, NULL, 0},
    {"msg", FK_STR, FMT_NONE, FF(msg), 0, IRB_MAX_ERRMSG, NULL, 0},
    {"bytes", FK_UINT, FMT_NONE, FF(bytes), 0, U64MAX, NULL, 0},
    {"text", FK_STR, FMT_NONE, FF(text), 0, IRB_MAX_REPORT, NULL, 0},
    {"proof", FK_BIN, FMT_NONE, FF(proof), IRB_MIN_PROOF, IRB_MAX_PROOF, NULL, 0},
};

enum { RI_SEQ, RI_BTIME, RI_ENV, RI_SIG, RI_PROOF, RI_COUNT };
#define RI_REQUIRED (IRB_BIT(RI_PROOF) - 1)
static const struct field record_fields[RI_COUNT] = {
    {"seq", FK_UINT, FMT_NONE, RF(seq), 1, U64MAX, NULL, 0},
    {"btime", FK_UINT, FMT_NONE, RF(btime), 0, U64MAX, NULL, 0},
    {"env", FK_BIN, FMT_NONE, RF(env), 1, IRB_MAX_ENV, NULL, 0},
    {"sig", FK_BIN, FMT_NONE, RF(sig), 64, 64, NULL, 0},
    {"proof", FK_BIN, FMT_NONE, RF(proof), IRB_MIN_PROOF, IRB_MAX_PROOF, NULL, 0},
};

/* Envelope fields, in canonical order; index = IRB_EI_*. */
static const struct field env_fields[IRB_EI_COUNT] = {
    {"v", FK_UINT, FMT_VERSION, EF(v), 0, U64MAX, NULL, 0},
    {"kind", FK_ENUM, FMT_MSGTYPE, EF(kind), 0, 0, kind_names, IRB_K_COUNT},
    {"incident", FK_STR, FMT_ID, EF(incident), 1, IRB_MAX_ID, NULL, 0},
    {"channel", FK_ENUM, FMT_NONE, EF(channel), 0, 0, ENUM(channel_names) - 1},
    {"tlp", FK_ENUM, FMT_NONE, EF(tlp), 0, 0, ENUM(tlp_names) - 1},
    {"pap", FK_ENUM, FMT_NONE, EF(pap), 0, 0, ENUM(pap_names) - 1},
    {"to", FK_IDLIST, FMT_ID, EF(to), 0, IRB_MAX_TO, NULL, 0},
    {"sender", FK_BIN, FMT_NONE, EF(sender), 32, 32, NULL, 0},
    {"seq", FK_UINT, FMT_NONE, EF(seq), 1, U64MAX, NULL, 0},
    {"ts", FK_UINT, FMT_NONE, EF(ts), 0, U64MAX, NULL, 0},
    {"ctype", FK_STR, FMT_CTYPE, EF(ctype), 3, IRB_MAX_CTYPE, NULL, 0},
    {"payload", FK_BIN, FMT_NONE, EF(payload), 0, IRB_MAX_PAYLOAD, NULL, 0},
    {"ref", FK_UINT, FMT_NONE, EF(ref), 1, U64MAX, NULL, 0},
    {"ref_hash", FK_BIN, FMT_NONE, EF(ref_hash), 32, 32, NULL, 0},
    {"org", FK_STR, FMT_ID, EF(org), 1, IRB_MAX_ID, NULL, 0},
    {"org_kind", FK_ENUM, FMT_NONE, EF(org_kind), 0, 0, ENUM(org_kind_names) - 1},
    {"name", FK_STR, FMT_NONE, EF(name), 1, IRB_MAX_TEXT, NULL, 0},
    {"participant", FK_STR, FMT_ID, EF(participant), 1, IRB_MAX_ID, NULL, 0},
    {"key", FK_BIN, FMT_NONE, EF(key), 32, 32, NULL, 0},
    {"automated", FK_BOOL, FMT_NONE, EF(automated), 0, 1, NULL, 0},
    {"max_pap", FK_ENUM, FMT_NONE, EF(max_pap), 0, 0, ENUM(pap_names) - 1},
    {"role", FK_ENUM, FMT_NONE, EF(role), 0, 0, ENUM(role_names) - 1},
    {"spoc", FK_STR, FMT_ID, EF(spoc), 1, IRB_MAX_ID, NULL, 0},
    {"title", FK_STR, FMT_NONE, EF(title), 1, IRB_MAX_TEXT, NULL, 0},
    {"regime", FK_ENUM, FMT_NONE, EF(regime), 0, 0, ENUM(regime_names) - 1},
    {"state", FK_ENUM, FMT_NONE, EF(state), 0, 0, ENUM(state_names) - 1},
    {"stage", FK_ENUM, FMT_NONE, EF(stage), 0, 0, kind_names, IRB_K_COUNT},
    {"due", FK_UINT, FMT_NONE, EF(due), 0, U64MAX, NULL, 0},
};

/* ---- per-type and per-kind specifications ------------------------------ */

#define F(x) IRB_BIT(IRB_FI_##x)
#define E(x) IRB_BIT(IRB_EI_##x)

struct spec {
    uint64_t required;
    uint64_t optional;
};

#define SIGNED_FRAME                                                                               \
    { F(V) | F(T) | F(ID) | F(ENV) | F(SIG), 0 }
static const struct spec type_specs[IRB_T_COUNT] = {
    [IRB_T_PUBLISH] = {F(V) | F(T) | F(ID) | F(ENV) | F(SIG), F(PROOF)},
    [IRB_T_ADMIN] = SIGNED_FRAME,
    [IRB_T_INCIDENT] = SIGNED_FRAME,
    [IRB_T_RECEIPT] = {F(V) | F(T) | F(ID) | F(INCIDENT) | F(SEQ) | F(HASH) | F(BTIME) | F(SIG),
                       F(PROOF)},
    [IRB_T_SUBSCRIBE] = {F(V) | F(T) | F(ID) | F(INCIDENT) | F(CHANNELS) | F(FROM) | F(CREDIT), 0},
    [IRB_T_UNSUBSCRIBE] = {F(V) | F(T) | F(ID) | F(SUB), 0},
    [IRB_T_CREDIT] = {F(V) | F(T) | F(ID) | F(SUB) | F(CREDIT) | F(BYTES), 0},
    [IRB_T_DELIVER] = {F(V) | F(T) | F(SUB) | F(INCIDENT) | F(RECORDS), 0},
    [IRB_T_ACK] = {F(V) | F(T) | F(ID) | F(INCIDENT) | F(SEQ), 0},
    [IRB_T_HISTORY] = {F(V) | F(T) | F(ID) | F(INCIDENT) | F(CHANNELS) | F(FROM) | F(LIMIT),
                       F(UNTIL)},
    [IRB_T_HISTORY_RESULT] = {F(V) | F(T) | F(ID) | F(INCIDENT) | F(RECORDS) | F(NEXT), 0},
    [IRB_T_OK] = {F(V) | F(T) | F(ID), F(SUB)},
    [IRB_T_ERROR] = {F(V) | F(T) | F(ID) | F(CODE) | F(MSG), 0},
    [IRB_T_NOTICE] = {F(V) | F(T) | F(ENV) | F(SIG), 0},
    [IRB_T_DENIALS] = {F(V) | F(T) | F(ID), 0},
    [IRB_T_DENIALS_RESULT] = {F(V) | F(T) | F(ID) | F(TEXT), 0},
    [IRB_T_ENDED] = {F(V) | F(T) | F(SUB) | F(CODE) | F(MSG), 0},
};

enum kclass { KC_PUBLISH, KC_ADMIN, KC_INCIDENT, KC_NOTICE };

struct kspec {
    uint8_t cls;
    uint64_t required; /* beyond the common header */
    uint64_t optional;
};

#define ENV_COMMON (E(V) | E(KIND) | E(SENDER) | E(SEQ) | E(TS))
#define PUB_MSG                                                                                    \
    { KC_PUBLISH, E(INCIDENT) | E(CHANNEL) | E(TLP) | E(CTYPE) | E(PAYLOAD), E(PAP) | E(TO) }
#define SHARE                                                                                      \
    { KC_PUBLISH, E(INCIDENT) | E(REF) | E(REF_HASH) | E(TO), 0 }
#define NOTICE                                                                                     \
    { KC_NOTICE, E(INCIDENT) | E(STAGE) | E(DUE), 0 }
static const struct kspec kind_specs[IRB_K_COUNT] = {
    [IRB_K_MSG] = PUB_MSG,
    [IRB_K_FORWARD] = {KC_PUBLISH, E(INCIDENT) | E(CHANNEL) | E(TLP) | E(REF) | E(REF_HASH),
                       E(PAP) | E(TO)},
    [IRB_K_SHARE_REQUEST] = SHARE,
    [IRB_K_SHARE_GRANT] = SHARE,
    [IRB_K_NIS2_EARLY_WARNING] = PUB_MSG,
    [IRB_K_NIS2_NOTIFICATION] = PUB_MSG,
    [IRB_K_NIS2_INTERMEDIATE] = PUB_MSG,
    [IRB_K_NIS2_PROGRESS] = PUB_MSG,
    [IRB_K_NIS2_FINAL] = PUB_MSG,
    [IRB_K_DORA_INITIAL] = PUB_MSG,
    [IRB_K_DORA_INTERMEDIATE] = PUB_MSG,
    [IRB_K_DORA_FINAL] = PUB_MSG,
    [IRB_K_CCV_CONFIRMATION] = PUB_MSG,
    [IRB_K_CCV_TRIAGE] = PUB_MSG,
    [IRB_K_REPORT_REQUEST] = PUB_MSG,
    [IRB_K_FEEDBACK] = PUB_MSG,
    [IRB_K_ORG_ADD] = {KC_ADMIN, E(ORG) | E(ORG_KIND) | E(NAME), 0},
    [IRB_K_PARTICIPANT_ADD] = {KC_ADMIN, E(PARTICIPANT) | E(ORG) | E(KEY) | E(AUTOMATED),
                               E(MAX_PAP)},
    [IRB_K_PARTICIPANT_REVOKE] = {KC_ADMIN, E(PARTICIPANT), 0},
    [IRB_K_PARTICIPANT_ROTATE] = {KC_ADMIN, E(PARTICIPANT) | E(KEY), 0},
    [IRB_K_INCIDENT_OPEN] = {KC_INCIDENT, E(INCIDENT) | E(TITLE) | E(REGIME), 0},
    [IRB_K_PARTY_ADD] = {KC_INCIDENT, E(INCIDENT) | E(ORG) | E(ROLE), E(SPOC)},
    [IRB_K_PARTY_REMOVE] = {KC_INCIDENT, E(INCIDENT) | E(ORG), 0},
    [IRB_K_SPOC_HANDOVER] = {KC_INCIDENT, E(INCIDENT) | E(ORG) | E(SPOC), 0},
    [IRB_K_COORD_ADD] = {KC_INCIDENT, E(INCIDENT) | E(PARTICIPANT), 0},
    [IRB_K_STATE_SET] = {KC_INCIDENT, E(INCIDENT) | E(STATE), 0},
    [IRB_K_DEADLINE_REMINDER] = NOTICE,
    [IRB_K_DEADLINE_MISSED] = NOTICE,
};

int
irb_wire_check_class(enum irb_type t, enum irb_kind k) {
    static const int8_t class_of_type[IRB_T_COUNT] = {
        [IRB_T_PUBLISH] = KC_PUBLISH, [IRB_T_ADMIN] = KC_ADMIN,     [IRB_T_INCIDENT] = KC_INCIDENT,
        [IRB_T_RECEIPT] = -1,         [IRB_T_SUBSCRIBE] = -1,       [IRB_T_UNSUBSCRIBE] = -1,
        [IRB_T_CREDIT] = -1,          [IRB_T_DELIVER] = KC_PUBLISH, [IRB_T_ACK] = -1,
        [IRB_T_HISTORY] = -1,         [IRB_T_HISTORY_RESULT] = -1,  [IRB_T_OK] = -1,
        [IRB_T_ERROR] = -1,           [IRB_T_NOTICE] = KC_NOTICE,   [IRB_T_DENIALS] = -1,
        [IRB_T_DENIALS_RESULT] = -1,  [IRB_T_ENDED] = -1,
    };

    if ((unsigned)t >= IRB_T_COUNT || (unsigned)k >= IRB_K_COUNT) {
        return IRBUS_EMSGTYPE;
    }
    /* A delivery or history record carries any stored envelope: published
     * messages and incident commands alike. */
    if (t == IRB_T_DELIVER) {
        return kind_specs[k].cls == KC_PUBLISH || kind_specs[k].cls == KC_INCIDENT ? 0
                                                                                   : IRBUS_EMSGTYPE;
    }
    return class_of_type[t] == (int8_t)kind_specs[k].cls ? 0 : IRBUS_EMSGTYPE;
}

/* ---- value checks ------------------------------------------------------ */

static int
is_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int
irb_wire_check_id(const char *s, size_t len) {
    if (len < 1 || len > IRB_MAX_ID) {
        return IRBUS_ELENGTH;
    }
    if (!is_alnum((unsigned char)s[0])) {
        return IRBUS_EFORMAT;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != '@') {
            return IRBUS_EFORMAT;
        }
    }
    return 0;
}

static int
check_ctype(const char *s, size_t len) {
    size_t slashes = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f) {
            return IRBUS_EFORMAT;
        }
        slashes += c == '/';
    }
    if (slashes != 1 || s[0] == '/' || s[len - 1] == '/') {
        return IRBUS_EFORMAT;
    }
    return 0;
}

static int
check_str(const struct field *fd, const char *s, size_t len) {
    if (len < fd->min || len > fd->max) {
        return IRBUS_ELENGTH;
    }
    if (!irb_utf8_valid(s, len)) {
        return IRBUS_EUTF8;
    }
    switch (fd->fmt) {
    case FMT_ID:
        return irb_wire_check_id(s, len);
    case FMT_LOG:
        if (len == strlen(IRB_SYSTEM_LOG) && memcmp(s, IRB_SYSTEM_LOG, len) == 0) {
            return 0;
        }
        return irb_wire_check_id(s, len);
    case FMT_CTYPE:
        return check_ctype(s, len);
    default:
        return 0;
    }
}

/* ---- generic decoding -------------------------------------------------- */

static int decode_map(struct irb_mp_reader *r, const struct field *tab, size_t ntab, void *obj,
                      uint64_t *present);

/* The fields a record has: the four required ones, and its proof if any. */
static uint64_t
record_present(const struct irb_record *rec) {
    return RI_REQUIRED | (rec->proof.len > 0 ? IRB_BIT(RI_PROOF) : 0);
}

static int
decode_records(struct irb_mp_reader *r, const struct field *fd, struct irb_frame *f) {
    uint32_t n;
    int rc;

    if ((rc = irb_mp_read_array(r, &n)) != 0) {
        return rc;
    }
    if (n > fd->max) {
        return IRBUS_ECOUNT;
    }
    f->nrecords = n;
    for (uint32_t i = 0; i < n; i++) {
        struct irb_record *rec = &f->records[i];
        memset(rec, 0, sizeof *rec);
        if ((rc = decode_map(r, record_fields, RI_COUNT, rec, &rec->present)) != 0) {
            return rc;
        }
        if ((rec->present & RI_REQUIRED) != RI_REQUIRED) {
            return IRBUS_EMISSING;
        }
    }
    return 0;
}

static int
decode_value(struct irb_mp_reader *r, const struct field *fd, void *obj) {
    uint8_t *at = (uint8_t *)obj + fd->off;
    const char *s;
    const uint8_t *b;
    size_t len;
    uint64_t u;
    uint32_t n;
    int rc, v;

    switch (fd->fk) {
    case FK_UINT:
        if ((rc = irb_mp_read_uint(r, &u)) != 0) {
            return rc;
        }
        if (fd->fmt == FMT_VERSION) {
            if (u != IRBUS_PROTOCOL_VERSION) {
                return IRBUS_EVERSION;
            }
        } else if (u < fd->min || u > fd->max) {
            return IRBUS_EVALUE;
        }
        memcpy(at, &u, sizeof u);
        return 0;
    case FK_BOOL:
        if ((rc = irb_mp_read_bool(r, &v)) != 0) {
            return rc;
        }
        *at = (uint8_t)v;
        return 0;
    case FK_ENUM:
        if ((rc = irb_mp_read_str(r, &s, &len)) != 0) {
            return rc;
        }
        if (!irb_utf8_valid(s, len)) {
            return IRBUS_EUTF8;
        }
        v = name_index(fd->names, fd->nnames, s, len);
        if (v < 0) {
            return fd->fmt == FMT_MSGTYPE ? IRBUS_EMSGTYPE : IRBUS_EVALUE;
        }
        *at = (uint8_t)v;
        return 0;
    case FK_STR: {
        irb_str out;
        if ((rc = irb_mp_read_str(r, &s, &len)) != 0 || (rc = check_str(fd, s, len)) != 0) {
            return rc;
        }
        out.p = s;
        out.len = len;
        memcpy(at, &out, sizeof out);
        return 0;
    }
    case FK_BIN: {
        irb_bin out;
        if ((rc = irb_mp_read_bin(r, &b, &len)) != 0) {
            return rc;
        }
        if (len < fd->min || len > fd->max) {
            return IRBUS_ELENGTH;
        }
        out.p = b;
        out.len = len;
        memcpy(at, &out, sizeof out);
        return 0;
    }
    case FK_IDLIST: {
        struct irb_env *e = obj; /* the only list of ids is the envelope's `to` */
        if ((rc = irb_mp_read_array(r, &n)) != 0) {
            return rc;
        }
        if (n > fd->max) {
            return IRBUS_ECOUNT;
        }
        for (uint32_t i = 0; i < n; i++) {
            if ((rc = irb_mp_read_str(r, &s, &len)) != 0 || (rc = check_str(fd, s, len)) != 0) {
                return rc;
            }
            for (uint32_t k = 0; k < i; k++) {
                if (e->to[k].len == len && memcmp(e->to[k].p, s, len) == 0) {
                    return IRBUS_EVALUE;
                }
            }
            e->to[i].p = s;
            e->to[i].len = len;
        }
        e->nto = n;
        return 0;
    }
    case FK_CHANSET: {
        uint32_t set = 0;
        if ((rc = irb_mp_read_array(r, &n)) != 0) {
            return rc;
        }
        if (n < fd->min || n > fd->max) {
            return IRBUS_ECOUNT;
        }
        for (uint32_t i = 0; i < n; i++) {
            if ((rc = irb_mp_read_str(r, &s, &len)) != 0) {
                return rc;
            }
            if (!irb_utf8_valid(s, len)) {
                return IRBUS_EUTF8;
            }
            v = irb_channel_from_name(s, len);
            if (v < 0 || (set & (1u << v)) != 0) {
                return IRBUS_EVALUE;
            }
            set |= 1u << v;
        }
        memcpy(at, &set, sizeof set);
        return 0;
    }
    case FK_RECORDS:
        return decode_records(r, fd, obj);
    default:
        return IRBUS_EINVAL;
    }
}

static int
decode_map(struct irb_mp_reader *r, const struct field *tab, size_t ntab, void *obj,
           uint64_t *present) {
    uint32_t n;
    size_t hint = 0;
    int rc;

    *present = 0;
    if ((rc = irb_mp_read_map(r, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *key;
        size_t klen;
        int idx;

        if ((rc = irb_mp_read_str(r, &key, &klen)) != 0) {
            return rc;
        }
        /* Names are unique, so where the search starts changes nothing but
         * its cost: from the entry after the last match, a map in canonical
         * order finds each key at the first try. */
        idx = -1;
        for (size_t j = 0; j < ntab; j++) {
            size_t k = (hint + j) % ntab;
            if (strlen(tab[k].name) == klen && memcmp(tab[k].name, key, klen) == 0) {
                idx = (int)k;
                hint = k + 1;
                break;
            }
        }
        if (idx < 0) {
            return irb_utf8_valid(key, klen) ? IRBUS_EUNKNOWNFIELD : IRBUS_EUTF8;
        }
        if (*present & IRB_BIT(idx)) {
            return IRBUS_EDUPFIELD;
        }
        if ((rc = decode_value(r, &tab[idx], obj)) != 0) {
            return rc;
        }
        *present |= IRB_BIT(idx);
    }
    return 0;
}

/* Fields present must be exactly the required ones plus allowed optional. */
static int
check_fields(uint64_t present, uint64_t required, uint64_t optional) {
    if ((present & ~(required | optional)) != 0) {
        return IRBUS_EUNKNOWNFIELD;
    }
    if ((present & required) != required) {
        return IRBUS_EMISSING;
    }
    return 0;
}

int
irb_wire_decode(const uint8_t *buf, size_t len, struct irb_frame *f) {
    struct irb_mp_reader r = {buf, len};
    int rc;

    if (len > IRB_MAX_FRAME) {
        return IRBUS_ETOOBIG;
    }
    if ((rc = irb_mp_prewalk(buf, len)) != 0) {
        return rc;
    }
    memset(f, 0, offsetof(struct irb_frame, records));
    if ((rc = decode_map(&r, frame_fields, IRB_FI_COUNT, f, &f->present)) != 0) {
        return rc;
    }
    if (!(f->present & F(V)) || !(f->present & F(T))) {
        return IRBUS_EMISSING;
    }
    if ((rc = check_fields(f->present, type_specs[f->t].required, type_specs[f->t].optional)) !=
        0) {
        return rc;
    }
    /* A deliver carries at least one record (a history result may be
     * empty). */
    return f->t == IRB_T_DELIVER && f->nrecords == 0 ? IRBUS_ECOUNT : 0;
}

int
irb_wire_decode_env(const uint8_t *buf, size_t len, struct irb_env *e) {
    struct irb_mp_reader r = {buf, len};
    const struct kspec *ks;
    int rc;

    if (len > IRB_MAX_ENV) {
        return IRBUS_ETOOBIG;
    }
    if ((rc = irb_mp_prewalk(buf, len)) != 0) {
        return rc;
    }
    memset(e, 0, sizeof *e);
    if ((rc = decode_map(&r, env_fields, IRB_EI_COUNT, e, &e->present)) != 0) {
        return rc;
    }
    if (!(e->present & E(V)) || !(e->present & E(KIND))) {
        return IRBUS_EMISSING;
    }
    ks = &kind_specs[e->kind];
    if ((rc = check_fields(e->present, ENV_COMMON | ks->required, ks->optional)) != 0) {
        return rc;
    }
    /* Addressing rules the codec can check alone (DESIGN.md section 7). */
    if ((e->present & E(TLP)) && (e->tlp == IRB_TLP_AMBER_STRICT || e->tlp == IRB_TLP_RED)) {
        if (!(e->present & E(TO))) {
            return IRBUS_EMISSING;
        }
        if (e->nto == 0) {
            return IRBUS_EVALUE;
        }
    }
    return 0;
}

int
irb_wire_decode_full(const uint8_t *buf, size_t len, struct irb_frame *f, struct irb_env *e) {
    int rc = irb_wire_decode(buf, len, f);

    if (rc != 0 || !(f->present & F(ENV))) {
        return rc;
    }
    if (e == NULL) {
        return IRBUS_EINVAL;
    }
    if ((rc = irb_wire_decode_env(f->env.p, f->env.len, e)) != 0) {
        return rc;
    }
    return irb_wire_check_class((enum irb_type)f->t, (enum irb_kind)e->kind);
}

/* ---- generic encoding -------------------------------------------------- */

static void encode_map(struct irb_mp_writer *w, const struct field *tab, size_t ntab,
                       const void *obj, uint64_t mask);

static void
encode_value(struct irb_mp_writer *w, const struct field *fd, const void *obj) {
    const uint8_t *at = (const uint8_t *)obj + fd->off;

    switch (fd->fk) {
    case FK_UINT: {
        uint64_t u;
        memcpy(&u, at, sizeof u);
        irb_mp_write_uint(w, u);
        break;
    }
    case FK_BOOL:
        irb_mp_write_bool(w, *at);
        break;
    case FK_ENUM:
        irb_mp_write_cstr(w, *at < fd->nnames ? fd->names[*at] : "");
        break;
    case FK_STR: {
        irb_str s;
        memcpy(&s, at, sizeof s);
        irb_mp_write_str(w, s.p, s.len);
        break;
    }
    case FK_BIN: {
        irb_bin b;
        memcpy(&b, at, sizeof b);
        irb_mp_write_bin(w, b.p, b.len);
        break;
    }
    case FK_IDLIST: {
        const struct irb_env *e = obj;
        irb_mp_write_array(w, e->nto);
        for (uint32_t i = 0; i < e->nto; i++) {
            irb_mp_write_str(w, e->to[i].p, e->to[i].len);
        }
        break;
    }
    case FK_CHANSET: {
        uint32_t set, n = 0;
        memcpy(&set, at, sizeof set);
        for (int c = 0; c < IRB_CH_COUNT; c++) {
            n += (set >> c) & 1;
        }
        irb_mp_write_array(w, n);
        for (int c = 0; c < IRB_CH_COUNT; c++) {
            if (set & (1u << c)) {
                irb_mp_write_cstr(w, channel_names[c]);
            }
        }
        break;
    }
    case FK_RECORDS: {
        const struct irb_frame *f = obj;
        irb_mp_write_array(w, f->nrecords);
        for (uint32_t i = 0; i < f->nrecords && i < IRB_MAX_RECORDS; i++) {
            encode_map(w, record_fields, RI_COUNT, &f->records[i], record_present(&f->records[i]));
        }
        break;
    }
    default:
        break;
    }
}

/* The fields of tab in mask whose index is in [from, to), keys and values. */
static void
encode_fields(struct irb_mp_writer *w, const struct field *tab, size_t from, size_t to,
              const void *obj, uint64_t mask) {
    for (size_t i = from; i < to; i++) {
        if (mask & IRB_BIT(i)) {
            irb_mp_write_cstr(w, tab[i].name);
            encode_value(w, &tab[i], obj);
        }
    }
}

static uint32_t
fields_in(uint64_t mask, size_t ntab) {
    uint32_t n = 0;

    for (size_t i = 0; i < ntab; i++) {
        n += (mask >> i) & 1;
    }
    return n;
}

static void
encode_map(struct irb_mp_writer *w, const struct field *tab, size_t ntab, const void *obj,
           uint64_t mask) {
    irb_mp_write_map(w, fields_in(mask, ntab));
    encode_fields(w, tab, 0, ntab, obj, mask);
}

static long
writer_result(const struct irb_mp_writer *w) {
    return w->overflow ? IRBUS_ETOOBIG : (long)w->len;
}

/* The fields frame f has: its type's required ones and the optional ones
 * it says are present. */
static uint64_t
frame_mask(const struct irb_frame *f) {
    const struct spec *sp = &type_specs[f->t];

    return sp->required | (f->present & sp->optional);
}

long
irb_wire_encode(const struct irb_frame *f, uint8_t *buf, size_t cap) {
    struct irb_mp_writer w;

    if (f->t >= IRB_T_COUNT) {
        return IRBUS_EINVAL;
    }
    irb_mp_writer_init(&w, buf, cap);
    encode_map(&w, frame_fields, IRB_FI_COUNT, f, frame_mask(f));
    return writer_result(&w);
}

/* The fields of f, a frame of a type that has records: 0, or IRBUS_EINVAL. */
static int
records_mask(const struct irb_frame *f, uint64_t *mask) {
    if (f->t >= IRB_T_COUNT) {
        return IRBUS_EINVAL;
    }
    *mask = frame_mask(f);
    return *mask & IRB_BIT(IRB_FI_RECORDS) ? 0 : IRBUS_EINVAL;
}

long
irb_wire_encode_head(const struct irb_frame *f, uint8_t *buf, size_t cap) {
    struct irb_mp_writer w;
    uint64_t mask;

    if (records_mask(f, &mask) != 0 || f->nrecords > IRB_MAX_RECORDS) {
        return IRBUS_EINVAL;
    }
    irb_mp_writer_init(&w, buf, cap);
    irb_mp_write_map(&w, fields_in(mask, IRB_FI_COUNT));
    encode_fields(&w, frame_fields, 0, IRB_FI_RECORDS, f, mask);
    irb_mp_write_cstr(&w, frame_fields[IRB_FI_RECORDS].name);
    irb_mp_write_array(&w, f->nrecords);
    return writer_result(&w);
}

long
irb_wire_encode_record(const struct irb_record *rec, uint8_t *buf, size_t cap) {
    struct irb_mp_writer w;

    irb_mp_writer_init(&w, buf, cap);
    encode_map(&w, record_fields, RI_COUNT, rec, record_present(rec));
    return writer_result(&w);
}

long
irb_wire_encode_tail(const struct irb_frame *f, uint8_t *buf, size_t cap) {
    struct irb_mp_writer w;
    uint64_t mask;

    if (records_mask(f, &mask) != 0) {
        return IRBUS_EINVAL;
    }
    irb_mp_writer_init(&w, buf, cap);
    encode_fields(&w, frame_fields, IRB_FI_RECORDS + 1, IRB_FI_COUNT, f, mask);
    return writer_result(&w);
}

long
irb_wire_encode_env(const struct irb_env *e, uint8_t *buf, size_t cap) {
    struct irb_mp_writer w;
    const struct kspec *ks;

    if (e->kind >= IRB_K_COUNT) {
        return IRBUS_EINVAL;
    }
    ks = &kind_specs[e->kind];
    irb_mp_writer_init(&w, buf, cap);
    encode_map(&w, env_fields, IRB_EI_COUNT, e,
               ENV_COMMON | ks->required | (e->present & ks->optional));
    return writer_result(&w);
}

/* ---- receipts ---------------------------------------------------------- */

static void
put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

size_t
irb_receipt_bytes(const char *incident, size_t ilen, uint64_t seq, const uint8_t hash[32],
                  uint64_t btime, uint8_t out[IRB_RECEIPT_BYTES_MAX]) {
    size_t n = 0;

    if (ilen > IRB_MAX_ID) {
        ilen = IRB_MAX_ID; /* callers pass decoded ids, which are bounded */
    }
    out[n++] = (uint8_t)ilen;
    memcpy(out + n, incident, ilen);
    n += ilen;
    put_be64(out + n, seq);
    n += 8;
    memcpy(out + n, hash, 32);
    n += 32;
    put_be64(out + n, btime);
    n += 8;
    return n;
}

/* ---- JSON rendering ---------------------------------------------------- */

struct jbuf {
    char *p;
    size_t cap, len;
    int overflow;
};

static void
jput(struct jbuf *j, const char *s, size_t n) {
    if (j->overflow || n >= j->cap - j->len) {
        j->overflow = 1;
        return;
    }
    memcpy(j->p + j->len, s, n);
    j->len += n;
    j->p[j->len] = 0;
}

static void
jputs(struct jbuf *j, const char *s) {
    jput(j, s, strlen(s));
}

static void
jstr(struct jbuf *j, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";

    jput(j, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jput(j, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            jput(j, esc, 6);
        } else {
            jput(j, (const char *)&s[i], 1);
        }
    }
    jput(j, "\"", 1);
}

static void
jhex(struct jbuf *j, const uint8_t *b, size_t n) {
    static const char hex[] = "0123456789abcdef";

    jput(j, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char h[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
        jput(j, h, 2);
    }
    jput(j, "\"", 1);
}

static void dump_map(struct jbuf *j, const struct field *tab, size_t ntab, const void *obj,
                     uint64_t mask);

static void
dump_value(struct jbuf *j, const struct field *fd, const void *obj) {
    const uint8_t *at = (const uint8_t *)obj + fd->off;
    char num[24];

    switch (fd->fk) {
    case FK_UINT: {
        uint64_t u;
        memcpy(&u, at, sizeof u);
        snprintf(num, sizeof num, "%llu", (unsigned long long)u);
        jputs(j, num);
        break;
    }
    case FK_BOOL:
        jputs(j, *at ? "true" : "false");
        break;
    case FK_ENUM: {
        const char *s = *at < fd->nnames ? fd->names[*at] : "";
        jstr(j, s, strlen(s));
        break;
    }
    case FK_STR: {
        irb_str s;
        memcpy(&s, at, sizeof s);
        jstr(j, s.p, s.len);
        break;
    }
    case FK_BIN: {
        irb_bin b;
        memcpy(&b, at, sizeof b);
        jhex(j, b.p, b.len);
        break;
    }
    case FK_IDLIST: {
        const struct irb_env *e = obj;
        jputs(j, "[");
        for (uint32_t i = 0; i < e->nto; i++) {
            jputs(j, i ? ", " : "");
            jstr(j, e->to[i].p, e->to[i].len);
        }
        jputs(j, "]");
        break;
    }
    case FK_CHANSET: {
        uint32_t set;
        int first = 1;
        memcpy(&set, at, sizeof set);
        jputs(j, "[");
        for (int c = 0; c < IRB_CH_COUNT; c++) {
            if (set & (1u << c)) {
                jputs(j, first ? "" : ", ");
                jstr(j, channel_names[c], strlen(channel_names[c]));
                first = 0;
            }
        }
        jputs(j, "]");
        break;
    }
    case FK_RECORDS: {
        const struct irb_frame *f = obj;
        jputs(j, "[");
        for (uint32_t i = 0; i < f->nrecords && i < IRB_MAX_RECORDS; i++) {
            jputs(j, i ? ", " : "");
            dump_map(j, record_fields, RI_COUNT, &f->records[i], record_present(&f->records[i]));
        }
        jputs(j, "]");
        break;
    }
    default:
        break;
    }
}

static void
dump_map(struct jbuf *j, const struct field *tab, size_t ntab, const void *obj, uint64_t mask) {
    int first = 1;

    jputs(j, "{");
    for (size_t i = 0; i < ntab; i++) {
        if (mask & IRB_BIT(i)) {
            jputs(j, first ? "" : ", ");
            jstr(j, tab[i].name, strlen(tab[i].name));
            jputs(j, ": ");
            dump_value(j, &tab[i], obj);
            first = 0;
        }
    }
    jputs(j, "}");
}

static long
jresult(const struct jbuf *j) {
    return j->overflow ? IRBUS_ETOOBIG : (long)j->len;
}

long
irb_wire_dump(const struct irb_frame *f, char *out, size_t cap) {
    struct jbuf j = {out, cap, 0, cap == 0};

    if (cap > 0) {
        out[0] = 0;
    }
    dump_map(&j, frame_fields, IRB_FI_COUNT, f, f->present);
    return jresult(&j);
}

long
irb_wire_dump_env(const struct irb_env *e, char *out, size_t cap) {
    struct jbuf j = {out, cap, 0, cap == 0};

    if (cap > 0) {
        out[0] = 0;
    }
    dump_map(&j, env_fields, IRB_EI_COUNT, e, e->present);
    return jresult(&j);
}
