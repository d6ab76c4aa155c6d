/*
 * policy.h - who may do what: the one place the broker decides. Every path
 * (publish, incident commands, subscribe, live delivery, history) asks here.
 *
 * The rule of this version: only members of an incident may publish in it
 * or read it, where a member is a participant of a party organisation or a
 * coordinator; `internal` is readable only inside the sender's
 * organisation; incident commands need a coordinator (SPOC handover: the
 * current SPOC too); roster commands need an operator key. The full
 * role / SPOC / TLP matrix of DESIGN.md sections 6 and 7 replaces what is
 * behind irb_policy_check, not its callers.
 *
 * Also owns the record "meta" bytes: what the policy needs to know about a
 * stored record (channel, label, sender, sender's organisation, `to`),
 * fixed at publish time and bound into the hash chain.
 */
#ifndef IRB_POLICY_H
#define IRB_POLICY_H

#include "incident.h"
#include "roster.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/* What a stored record is, for the policy. Strings borrowed. */
struct irb_meta {
    uint8_t channel; /* enum irb_channel; incident commands are on status */
    uint8_t tlp;
    uint8_t is_command;
    irb_str sender; /* participant id */
    irb_str org;    /* the sender's organisation at publish time */
    uint32_t nto;
    irb_str to[IRB_MAX_TO];
};

/* header, sender and org with their length bytes, the nto byte, the `to` ids */
#define IRB_META_MAX (4 + 2 * (1 + IRB_MAX_ID) + 1 + IRB_MAX_TO * (1 + IRB_MAX_ID))

/* Encode: returns the length written to out (IRB_META_MAX bytes). */
size_t irb_meta_encode(const struct irb_meta *m, uint8_t *out);
/* Decode (stored bytes): 0 or IRBUS_ECORRUPT. */
int irb_meta_decode(const uint8_t *b, size_t len, struct irb_meta *m);

/* What is asked of the policy. */
enum irb_action {
    IRB_ACT_PUBLISH, /* publish envelope `e` (a publish-class kind) in `in` */
    IRB_ACT_COMMAND, /* issue incident command `e` (`in` is NULL for incident.open) */
    IRB_ACT_READ,    /* subscribe to, query or acknowledge `in` at all */
    IRB_ACT_SEE,     /* be shown the stored record described by `m` */
};

struct irb_policy_q {
    enum irb_action act;
    const struct irb_incident *in;
    const struct irb_participant *p; /* the authenticated participant */
    const struct irb_env *e;         /* PUBLISH, COMMAND */
    const struct irb_meta *m;        /* SEE */
};

/* The one entry point every path asks (publish, incident commands,
 * subscribe, history, ack, live delivery, replay). Returns 0 if allowed,
 * or IRBUS_EDENIED with the name of the rule that denied in *rule (static
 * storage; for SEE the name is never shown to the participant). Pure: no
 * I/O, no logging; the caller logs and counts denials. */
int irb_policy_check(const struct irb_policy_q *q, const char **rule);

#endif
