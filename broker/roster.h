/*
 * roster.h - organisations, participants and operator (admin) keys.
 *
 * Owns the in-memory roster, rebuilt at start from the "_system" log and
 * changed only by irb_roster_apply after the command's record committed.
 * The ZAP thread reads it concurrently (irb_roster_zap_lookup), so every
 * access goes through the roster's mutex. Never stores secrets.
 */
#ifndef IRB_ROSTER_H
#define IRB_ROSTER_H

#include "wire.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define IRB_ADMIN_PREFIX "admin:"
#define IRB_USER_MAX     80 /* ZAP User-Id: a participant id or admin:<fingerprint> */

struct irb_org {
    char id[IRB_MAX_ID + 1];
    uint8_t kind; /* enum irb_org_kind */
    char name[IRB_MAX_TEXT + 1];
};

struct irb_participant {
    char id[IRB_MAX_ID + 1];
    char org[IRB_MAX_ID + 1];
    uint8_t pk[32];    /* Ed25519 */
    uint8_t curve[32]; /* the derived CURVE public key */
    uint8_t automated;
    uint8_t has_max_pap;
    uint8_t max_pap;
    uint8_t revoked;
};

struct irb_admin {
    uint8_t pk[32];
    uint8_t curve[32];
    char user[IRB_USER_MAX];
};

/* Owned by the broker context. */
struct irb_roster {
    pthread_mutex_t mu;
    struct irb_org *orgs;
    size_t norgs, caporgs;
    struct irb_participant *parts;
    size_t nparts, capparts;
    struct irb_admin admins[16];
    size_t nadmins;
};

int irb_roster_init(struct irb_roster *r);
void irb_roster_fini(struct irb_roster *r);
int irb_roster_add_admin(struct irb_roster *r, const uint8_t pk[32]);

/* ZAP: map a CURVE public key to a User-Id and the Ed25519 key it derives
 * from. Returns 0 and fills user and pk, or
 * IRBUS_EUNKNOWNKEY / IRBUS_EREVOKED. Thread-safe. */
int irb_roster_zap_lookup(struct irb_roster *r, const uint8_t curve[32], char user[IRB_USER_MAX],
                          uint8_t pk[32]);

/* Main-loop lookups (the main loop is the only writer, so it reads without
 * the lock; the pointers stay valid until the next irb_roster_apply). */
const struct irb_participant *irb_roster_participant(const struct irb_roster *r, const char *id,
                                                     size_t len);
const struct irb_org *irb_roster_org(const struct irb_roster *r, const char *id, size_t len);
const struct irb_admin *irb_roster_admin_by_user(const struct irb_roster *r, const char *user);

/* Check an admin command against the roster without changing it: 0,
 * IRBUS_EEXIST, IRBUS_ENOTFOUND, IRBUS_ESTATE (already revoked), IRBUS_EINVAL
 * (a key that is not a valid Ed25519 point). */
int irb_roster_check(const struct irb_roster *r, const struct irb_env *e);
/* Apply a checked admin command. Returns 0 or IRBUS_ENOMEM. */
int irb_roster_apply(struct irb_roster *r, const struct irb_env *e);

#endif
