/*
 * incident.h - the state of each incident: parties with their roles and
 * SPOCs, coordinators, lifecycle, and its log head (sequence and chain hash).
 *
 * Owns the incident table. State changes only through irb_incident_apply,
 * after the command's record committed; at start the table is rebuilt by
 * replaying every incident's command records. Never decides who may do
 * what: that is policy.c.
 */
#ifndef IRB_INCIDENT_H
#define IRB_INCIDENT_H

#include "wire.h"

#include <stddef.h>
#include <stdint.h>

#define IRB_MAX_PARTIES 32
#define IRB_MAX_COORDS  16

struct irb_party {
    char org[IRB_MAX_ID + 1];
    uint8_t role;              /* enum irb_role */
    char spoc[IRB_MAX_ID + 1]; /* "" when the organisation has none */
};

/* A forward or a share grant, kept in memory for the policy: seeing a
 * record through a forward of it, and forwarding under a grant, must not
 * read the log inside another read. Rebuilt at start from the log. */
#define IRB_MAX_SHARES 4096 /* forwards and grants per incident (403 beyond) */
struct irb_share {
    uint64_t ref;  /* the record forwarded or granted */
    uint64_t seq;  /* the forward's or grant's own record */
    uint8_t cls;   /* IRB_MC_FORWARD or IRB_MC_SHARE_GRANT (policy.h) */
    uint8_t *meta; /* encoded meta: the forward's own; for a grant, one whose
                    * `to` is the granted audience */
    size_t len;
};

struct irb_incident {
    char id[IRB_MAX_ID + 1];
    char title[IRB_MAX_TEXT + 1];
    uint8_t regime;
    uint8_t state;
    struct irb_party parties[IRB_MAX_PARTIES];
    size_t nparties;
    char coords[IRB_MAX_COORDS][IRB_MAX_ID + 1];
    size_t ncoords;
    uint64_t head;            /* last sequence stored */
    uint8_t hash[32];         /* chain hash of `head` (genesis when head is 0) */
    uint8_t corrupt;          /* the chain tail did not verify at start: not served */
    struct irb_share *shares; /* sorted by ref */
    size_t nshares, capshares;
};

/* Owned by the broker context. */
struct irb_incidents {
    struct irb_incident **v;
    size_t n, cap;
};

void irb_incidents_fini(struct irb_incidents *t);
struct irb_incident *irb_incident_find(const struct irb_incidents *t, const char *id, size_t len);
/* Create an empty incident (state open, head 0, genesis hash). */
int irb_incident_create(struct irb_incidents *t, const char *id, size_t len,
                        struct irb_incident **out);

const struct irb_party *irb_incident_party(const struct irb_incident *in, const char *org,
                                           size_t len);
int irb_incident_is_coord(const struct irb_incident *in, const char *participant, size_t len);

/* Keep a copy of a committed forward's or grant's meta. 0, IRBUS_ELIMIT
 * (IRB_MAX_SHARES reached) or IRBUS_ENOMEM. */
int irb_incident_add_share(struct irb_incident *in, uint8_t cls, uint64_t ref, uint64_t seq,
                           const uint8_t *meta, size_t len);

/* The index of the first share whose ref is not below `ref` (nshares if
 * none): the shares of record `ref` follow it while their ref matches. */
size_t irb_incident_shares_of(const struct irb_incident *in, uint64_t ref);

/* Check an incident command against the incident's state (not the actor's
 * rights): 0, IRBUS_EEXIST, IRBUS_ENOTFOUND, IRBUS_ESTATE, IRBUS_ELIMIT,
 * IRBUS_EHANDOVER (a SPOC that is not a participant of its party's
 * organisation). org_of(participant) must return the participant's
 * organisation id, NULL if unknown, or "" if it may not hold a role (revoked). */
typedef const char *(*irb_org_of_fn)(void *ctx, const char *participant, size_t len);
int irb_incident_check(const struct irb_incident *in, const struct irb_env *e, irb_org_of_fn org_of,
                       void *ctx);
/* Apply a checked command; `opener` names who opened (incident.open). */
void irb_incident_apply(struct irb_incident *in, const struct irb_env *e, const char *opener);

#endif
