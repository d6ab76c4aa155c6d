/*
 * policy.h - who may do what: the one place the broker decides. Every path
 * (publish, forward, share, incident commands, subscribe, history, ack,
 * live delivery, replay) asks here, and schema/policy.md is the same rules
 * in prose and tables: the channel matrix, single point of contact, TLP 2.0
 * audiences fixed at publish time, PAP for automated participants,
 * forwarding checked against the label, share grants.
 *
 * Also owns the record "meta" bytes: what the policy needs to know about a
 * stored record (channel, labels, sender, sender's organisation, `to`, the
 * resolved audience, the record it refers to), fixed at publish time and
 * bound into the hash chain (schema/policy.md section 5).
 *
 * Pure functions of the roster, the incident and the record: no I/O, no
 * logging; the caller logs and counts denials.
 */
#ifndef IRB_POLICY_H
#define IRB_POLICY_H

#include "incident.h"
#include "roster.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/* What kind of record a meta describes. */
enum irb_meta_class {
    IRB_MC_MESSAGE,       /* msg and the stage, request and ccv kinds */
    IRB_MC_COMMAND,       /* incident commands; roster commands in _system */
    IRB_MC_FORWARD,       /* forward of record `ref` */
    IRB_MC_SHARE_REQUEST, /* share.request about record `ref` */
    IRB_MC_SHARE_GRANT,   /* share.grant for record `ref` */
    IRB_MC_COUNT
};

/* Largest resolved audience: `to` plus the sender's organisation. */
#define IRB_MAX_AUD (IRB_MAX_TO + 1)

/* What a stored record is, for the policy. Strings borrowed. */
struct irb_meta {
    uint8_t channel; /* enum irb_channel; incident commands are on status */
    uint8_t tlp;
    uint8_t pap; /* absent: IRB_PAP_CLEAR */
    uint8_t cls; /* enum irb_meta_class */
    uint64_t ref;
    irb_str sender; /* participant id */
    irb_str org;    /* the sender's organisation at publish time */
    uint32_t nto;
    irb_str to[IRB_MAX_TO]; /* as addressed */
    uint32_t naud;
    irb_str aud[IRB_MAX_AUD]; /* resolved: organisations (AMBER, AMBER+STRICT) or
                               * participants (RED); none for CLEAR and GREEN */
};

/* version, channel, tlp, pap, class, ref; sender and org with their length
 * bytes; the count bytes and ids of `to` and of the audience */
#define IRB_META_MAX                                                                               \
    (5 + 8 + 2 * (1 + IRB_MAX_ID) + 1 + IRB_MAX_TO * (1 + IRB_MAX_ID) + 1 +                        \
     IRB_MAX_AUD * (1 + IRB_MAX_ID))

/* Encode (version 2): returns the length written to out (IRB_META_MAX
 * bytes). */
size_t irb_meta_encode(const struct irb_meta *m, uint8_t *out);
/* Decode stored bytes (version 1 or 2): 0 or IRBUS_ECORRUPT. */
int irb_meta_decode(const uint8_t *b, size_t len, struct irb_meta *m);

/* What is asked of the policy. */
enum irb_action {
    IRB_ACT_PUBLISH, /* publish envelope `e` (publish class) in `in` */
    IRB_ACT_REFER,   /* forward or share `e` of the record described by `m` */
    IRB_ACT_COMMAND, /* issue incident command `e` (`in` is NULL for incident.open) */
    IRB_ACT_READ,    /* subscribe to or query `channels` of `in` (0: ack) */
    IRB_ACT_SEE,     /* be shown stored record `seq`, described by `m`, on `channels` */
};

struct irb_policy_q {
    enum irb_action act;
    const struct irb_roster *roster;
    const struct irb_incident *in;
    const struct irb_participant *p; /* the authenticated participant */
    const struct irb_env *e;         /* PUBLISH, REFER, COMMAND */
    const struct irb_meta *m;        /* SEE; REFER: the referenced record */
    uint32_t channels;               /* READ, SEE: bit set of enum irb_channel */
    uint64_t seq;                    /* SEE: the record's sequence */
};

/* The one entry point. Returns 0 if allowed, or the 3xx code of the rule
 * that denied (IRBUS_ENOTMEMBER ... IRBUS_EGRANT) with its name in *rule
 * (static storage). For SEE the answer is only ever used to skip the
 * record: the reader is never told. */
int irb_policy_check(const struct irb_policy_q *q, const char **rule);

/* The meta of a record about to be stored: publish-class envelope `e` by
 * participant `p` in `in` (`ref`: the referenced record's meta for
 * forward and share kinds, else NULL). The strings borrow from e, p, in and
 * ref. */
void irb_policy_meta(const struct irb_incident *in, const struct irb_participant *p,
                     const struct irb_env *e, const struct irb_meta *ref, uint64_t ref_seq,
                     struct irb_meta *m);

/* What the policy keeps in memory of a grant (struct irb_share): a meta
 * whose `to` is the granted audience, from the grant envelope `e` and the
 * grant record's meta `m`. Strings borrow from e and m. */
void irb_policy_grant_entry(const struct irb_env *e, const struct irb_meta *m, struct irb_meta *g);

/* The rule name of a 3xx code, for logs and the denial list. */
const char *irb_policy_rule_name(int code);

#endif
