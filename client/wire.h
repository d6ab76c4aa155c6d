/*
 * wire.h - the irbus wire codec, protocol version 1 (schema/protocol.md).
 *
 * One codec, compiled once and linked by libirbus and irbusd. A frame is one
 * msgpack map; frames that carry a signed envelope hold its exact bytes in
 * `env`, which is itself a msgpack map decoded with irb_wire_decode_env.
 *
 * Decoding never allocates: irb_mp_prewalk bounds the bytes first, then the
 * table-driven decoder fills a caller-owned struct whose strings and
 * binaries are borrowed pointers into the input buffer (valid while that
 * buffer is). Encoding writes into a caller-owned fixed buffer.
 *
 * The field tables in wire.c are the schema: their order is the canonical
 * key order of the encoder, and schema/protocol.md lists the same tables.
 */
#ifndef IRB_WIRE_H
#define IRB_WIRE_H

#include "irbus.h"

#include <stddef.h>
#include <stdint.h>

/* Limits (schema/protocol.md "Limits"). */
#define IRB_MAX_FRAME   1114112                   /* bytes in one frame (1 MiB + 64 KiB) */
#define IRB_MAX_PAYLOAD 1048576                   /* payload bytes */
#define IRB_MAX_ENV     (IRB_MAX_PAYLOAD + 16384) /* signed envelope bytes */
#define IRB_MIN_PROOF   (4 + 16)                  /* a batch signature's proof */
#define IRB_MAX_PROOF   (4 + 16 + 8 * 32)
#define IRB_MAX_ID      64  /* bytes in an id */
#define IRB_MAX_TEXT    256 /* bytes in a title or name */
#define IRB_MAX_ERRMSG  512 /* bytes in an error message */
#define IRB_MAX_CTYPE   64  /* bytes in a content type */
#define IRB_MAX_TO      64  /* entries in `to` */
#define IRB_MAX_RECORDS 256 /* records in one history result or deliver; the largest `limit` */
/* A deliver's records: the broker adds one more only while the bytes of
 * their envelopes, signatures and proofs stay within this; its first record
 * goes alone whatever its size. */
#define IRB_DELIVER_BYTES (256u << 10)
#define IRB_MAX_CREDIT    65536 /* credit granted in one request */
/* Envelope bytes the broker keeps pushed to one subscription beyond what the
 * client has reported consumed (credit.bytes); one delivery may exceed it
 * when nothing is in flight. A client reports at the latest when it has
 * consumed half of it. */
#define IRB_MAX_INFLIGHT_BYTES (8u << 20)
/* Deliveries the broker keeps pushed to one connection, all subscriptions
 * together, beyond what the client has reported consumed; the rest of the
 * connection's queue is kept for answers. A client reports at the latest
 * when it holds half of it unreported. */
#define IRB_MAX_QUEUED_DELIVERIES 768
#define IRB_MAX_SUBS              64    /* subscriptions per connection (broker) */
#define IRB_MAX_REPORT            65536 /* bytes of `text` in a denials_result */

/* The name of the broker's own log (roster changes) in receipts and history. */
#define IRB_SYSTEM_LOG "_system"

/* Borrowed byte ranges. */
typedef struct {
    const char *p;
    size_t len;
} irb_str;
typedef struct {
    const uint8_t *p;
    size_t len;
} irb_bin;

/* Frame types (`t`). The numbering is internal; the wire carries names. */
enum irb_type {
    IRB_T_PUBLISH,
    IRB_T_ADMIN,
    IRB_T_INCIDENT,
    IRB_T_RECEIPT,
    IRB_T_SUBSCRIBE,
    IRB_T_UNSUBSCRIBE,
    IRB_T_CREDIT,
    IRB_T_DELIVER,
    IRB_T_ACK,
    IRB_T_HISTORY,
    IRB_T_HISTORY_RESULT,
    IRB_T_OK,
    IRB_T_ERROR,
    IRB_T_NOTICE,
    IRB_T_DENIALS,
    IRB_T_DENIALS_RESULT,
    IRB_T_ENDED,
    IRB_T_COUNT
};

/* Envelope kinds and the frame type that carries each class. */
enum irb_kind {
    /* carried by `publish` */
    IRB_K_MSG,
    IRB_K_FORWARD,
    IRB_K_SHARE_REQUEST,
    IRB_K_SHARE_GRANT,
    IRB_K_NIS2_EARLY_WARNING,
    IRB_K_NIS2_NOTIFICATION,
    IRB_K_NIS2_INTERMEDIATE,
    IRB_K_NIS2_PROGRESS,
    IRB_K_NIS2_FINAL,
    IRB_K_DORA_INITIAL,
    IRB_K_DORA_INTERMEDIATE,
    IRB_K_DORA_FINAL,
    IRB_K_CCV_CONFIRMATION,
    IRB_K_CCV_TRIAGE,
    IRB_K_REPORT_REQUEST,
    IRB_K_FEEDBACK,
    /* carried by `admin` */
    IRB_K_ORG_ADD,
    IRB_K_PARTICIPANT_ADD,
    IRB_K_PARTICIPANT_REVOKE,
    IRB_K_PARTICIPANT_ROTATE,
    /* carried by `incident` */
    IRB_K_INCIDENT_OPEN,
    IRB_K_PARTY_ADD,
    IRB_K_PARTY_REMOVE,
    IRB_K_SPOC_HANDOVER,
    IRB_K_COORD_ADD,
    IRB_K_STATE_SET,
    /* carried by `notice` (signed by the broker) */
    IRB_K_DEADLINE_REMINDER,
    IRB_K_DEADLINE_MISSED,
    IRB_K_COUNT
};

enum irb_channel {
    IRB_CH_STATUS,
    IRB_CH_COORDINATION,
    IRB_CH_FINDINGS,
    IRB_CH_NOTIFICATIONS,
    IRB_CH_INTERNAL,
    IRB_CH_COUNT
};
enum irb_tlp { IRB_TLP_CLEAR, IRB_TLP_GREEN, IRB_TLP_AMBER, IRB_TLP_AMBER_STRICT, IRB_TLP_RED };
enum irb_pap { IRB_PAP_CLEAR, IRB_PAP_GREEN, IRB_PAP_AMBER, IRB_PAP_RED };
enum irb_org_kind { IRB_ORG_ENTITY, IRB_ORG_IR_PROVIDER, IRB_ORG_CSIRT, IRB_ORG_REGULATOR };
enum irb_role { IRB_ROLE_AFFECTED, IRB_ROLE_IR_PROVIDER, IRB_ROLE_CSIRT, IRB_ROLE_REGULATOR };
enum irb_state { IRB_STATE_OPEN, IRB_STATE_CONTAINED, IRB_STATE_RECOVERED, IRB_STATE_CLOSED };
enum irb_regime {
    IRB_REGIME_NIS2,
    IRB_REGIME_NIS2_TSP,
    IRB_REGIME_DORA,
    IRB_REGIME_CCV,
    IRB_REGIME_NONE
};

/* Field bits: IRB_F_<name> for frames, IRB_E_<name> for envelopes,
 * IRB_R_<name> for history records. Set the bit of an optional field in
 * `present` before encoding to include it. */
enum {
    IRB_FI_V,
    IRB_FI_T,
    IRB_FI_ID,
    IRB_FI_SUB,
    IRB_FI_INCIDENT,
    IRB_FI_CHANNELS,
    IRB_FI_FROM,
    IRB_FI_UNTIL,
    IRB_FI_LIMIT,
    IRB_FI_CREDIT,
    IRB_FI_SEQ,
    IRB_FI_BTIME,
    IRB_FI_HASH,
    IRB_FI_ENV,
    IRB_FI_SIG,
    IRB_FI_RECORDS,
    IRB_FI_NEXT,
    IRB_FI_CODE,
    IRB_FI_MSG,
    IRB_FI_BYTES,
    IRB_FI_TEXT,
    IRB_FI_PROOF,
    IRB_FI_COUNT
};
enum {
    IRB_EI_V,
    IRB_EI_KIND,
    IRB_EI_INCIDENT,
    IRB_EI_CHANNEL,
    IRB_EI_TLP,
    IRB_EI_PAP,
    IRB_EI_TO,
    IRB_EI_SENDER,
    IRB_EI_SEQ,
    IRB_EI_TS,
    IRB_EI_CTYPE,
    IRB_EI_PAYLOAD,
    IRB_EI_REF,
    IRB_EI_REF_HASH,
    IRB_EI_ORG,
    IRB_EI_ORG_KIND,
    IRB_EI_NAME,
    IRB_EI_PARTICIPANT,
    IRB_EI_KEY,
    IRB_EI_AUTOMATED,
    IRB_EI_MAX_PAP,
    IRB_EI_ROLE,
    IRB_EI_SPOC,
    IRB_EI_TITLE,
    IRB_EI_REGIME,
    IRB_EI_STATE,
    IRB_EI_STAGE,
    IRB_EI_DUE,
    IRB_EI_COUNT
};
#define IRB_BIT(i) ((uint64_t)1 << (i))

/* A history record inside a history_result. */
struct irb_record {
    uint64_t present;
    uint64_t seq;
    uint64_t btime; /* broker time the record was stored, ms since the epoch (UTC) */
    irb_bin env;
    irb_bin sig;
    irb_bin proof; /* optional: a batch signature's proof */
};

/* A decoded (or to-be-encoded) frame. Owned by the caller; reusable. */
struct irb_frame {
    uint64_t present;
    uint64_t v;
    uint8_t t; /* enum irb_type */
    uint64_t id;
    uint64_t sub;
    irb_str incident;
    uint32_t channels; /* bit set of enum irb_channel */
    uint64_t from;
    uint64_t until;
    uint64_t limit;
    uint64_t credit;
    uint64_t bytes; /* credit: envelope bytes consumed since the last grant */
    uint64_t seq;
    uint64_t btime;
    irb_bin hash;
    irb_bin env;
    irb_bin sig;
    uint64_t next;
    uint64_t code;
    irb_str msg;
    irb_str text;  /* denials_result: the report, for people */
    irb_bin proof; /* optional: sig is a batch signature, this its proof */
    uint32_t nrecords;
    struct irb_record records[IRB_MAX_RECORDS];
};

/* A decoded (or to-be-encoded) signed envelope. Owned by the caller. */
struct irb_env {
    uint64_t present;
    uint64_t v;
    uint8_t kind; /* enum irb_kind */
    irb_str incident;
    uint8_t channel; /* enum irb_channel */
    uint8_t tlp;     /* enum irb_tlp */
    uint8_t pap;     /* enum irb_pap */
    uint32_t nto;
    irb_str to[IRB_MAX_TO];
    irb_bin sender; /* 32-byte Ed25519 public key */
    uint64_t seq;
    uint64_t ts; /* sender's clock, ms since the epoch (UTC) */
    irb_str ctype;
    irb_bin payload;
    uint64_t ref;
    irb_bin ref_hash;
    irb_str org;
    uint8_t org_kind;
    irb_str name;
    irb_str participant;
    irb_bin key;
    uint8_t automated;
    uint8_t max_pap;
    uint8_t role;
    irb_str spoc;
    irb_str title;
    uint8_t regime;
    uint8_t state;
    uint8_t stage; /* enum irb_kind of the stage a notice is about */
    uint64_t due;
};

/*
 * Decode one frame. Returns 0 or an IRBUS_E 1xx code (schema/protocol.md
 * "Decoding rules"): ETOOBIG, ETRUNCATED, EMSGPACK, ECOUNT, EDEPTH,
 * ETRAILING, ETYPE, EDUPFIELD, EMISSING, EUNKNOWNFIELD, EUTF8, EFORMAT,
 * ELENGTH, EVERSION, EMSGTYPE, EVALUE. On error *f is unspecified.
 */
int irb_wire_decode(const uint8_t *buf, size_t len, struct irb_frame *f);

/* Decode a signed envelope's bytes; same errors. For `publish`, `admin`,
 * `incident` and `notice` frames, the frame type must match the kind's class:
 * irb_wire_check_class returns 0 or IRBUS_EMSGTYPE. */
int irb_wire_decode_env(const uint8_t *buf, size_t len, struct irb_env *e);
int irb_wire_check_class(enum irb_type t, enum irb_kind k);

/* Decode a frame and, if it carries an envelope, the envelope too (and check
 * the class). e may be NULL for frames without one. */
int irb_wire_decode_full(const uint8_t *buf, size_t len, struct irb_frame *f, struct irb_env *e);

/*
 * Encode into buf[cap]: all required fields of the type (or kind) and the
 * optional ones whose bit is set in present. Returns the length (> 0) or
 * IRBUS_ETOOBIG if cap is too small, IRBUS_EINVAL for an unknown type/kind.
 */
long irb_wire_encode(const struct irb_frame *f, uint8_t *buf, size_t cap);
long irb_wire_encode_env(const struct irb_env *e, uint8_t *buf, size_t cap);

/*
 * A frame with records in pieces, for a sender that encodes each record as
 * it reads it (the broker, from its store, copies a record's bytes once):
 * head (the fields before the records, and the array header for
 * f->nrecords), then each record, then tail (the fields after them) are,
 * end to end, what irb_wire_encode gives for f with those records. The
 * head does not depend on the records' contents, so it can be encoded last.
 * Return the length (tail: >= 0), IRBUS_ETOOBIG, or IRBUS_EINVAL when f's
 * type has no records or f->nrecords is over IRB_MAX_RECORDS.
 */
long irb_wire_encode_head(const struct irb_frame *f, uint8_t *buf, size_t cap);
long irb_wire_encode_record(const struct irb_record *rec, uint8_t *buf, size_t cap);
long irb_wire_encode_tail(const struct irb_frame *f, uint8_t *buf, size_t cap);

/* Names used on the wire (NULL if out of range). */
const char *irb_type_name(enum irb_type t);
const char *irb_kind_name(enum irb_kind k);
const char *irb_channel_name(enum irb_channel c);
const char *irb_tlp_name(enum irb_tlp t);
const char *irb_pap_name(enum irb_pap p);
/* Name lookups: return the enum value or -1. */
int irb_kind_from_name(const char *s, size_t len);
int irb_channel_from_name(const char *s, size_t len);
int irb_tlp_from_name(const char *s, size_t len);
int irb_pap_from_name(const char *s, size_t len);

/* 0 if s is a valid id (schema/protocol.md "Identifiers"), else IRBUS_EFORMAT
 * or IRBUS_ELENGTH. */
int irb_wire_check_id(const char *s, size_t len);

/*
 * Receipt: the bytes the broker signs under IRB_DOMAIN_RECEIPT:
 *   u8 len(incident) || incident || u64be seq || hash[32] || u64be btime
 * Writes at most 1 + IRB_MAX_ID + 48 bytes to out; returns the length.
 */
#define IRB_RECEIPT_BYTES_MAX (1 + IRB_MAX_ID + 8 + 32 + 8)
size_t irb_receipt_bytes(const char *incident, size_t ilen, uint64_t seq, const uint8_t hash[32],
                         uint64_t btime, uint8_t out[IRB_RECEIPT_BYTES_MAX]);

/*
 * JSON rendering of a decoded frame or envelope, for vectors, the CLI and
 * logs: keys in canonical order, binaries as lowercase hex, enums by name.
 * Returns the length written (excluding the NUL) or IRBUS_ETOOBIG.
 */
long irb_wire_dump(const struct irb_frame *f, char *out, size_t cap);
long irb_wire_dump_env(const struct irb_env *e, char *out, size_t cap);

#endif
