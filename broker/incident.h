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

struct irb_incident {
    char id[IRB_MAX_ID + 1];
    char title[IRB_MAX_TEXT + 1];
    uint8_t regime;
    uint8_t state;
    struct irb_party parties[IRB_MAX_PARTIES];
    size_t nparties;
    char coords[IRB_MAX_COORDS][IRB_MAX_ID + 1];
    size_t ncoords;
    uint64_t head;    /* last sequence stored */
    uint8_t hash[32]; /* chain hash of `head` (genesis when head is 0) */
    uint8_t corrupt;  /* the chain tail did not verify at start: not served */
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

/* Check an incident command against the incident's state (not the actor's
 * rights): 0, IRBUS_EEXIST, IRBUS_ENOTFOUND, IRBUS_ESTATE, IRBUS_ELIMIT.
 * spoc_org_of(participant) must return the participant's organisation id
 * (or NULL if unknown) so a SPOC can be checked to belong to its party. */
typedef const char *(*irb_org_of_fn)(void *ctx, const char *participant, size_t len);
int irb_incident_check(const struct irb_incident *in, const struct irb_env *e, irb_org_of_fn org_of,
                       void *ctx);
/* Apply a checked command; `opener` names who opened (incident.open). */
void irb_incident_apply(struct irb_incident *in, const struct irb_env *e, const char *opener);

#endif
