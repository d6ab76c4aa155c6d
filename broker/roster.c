/*
 * roster.c - see roster.h. Linear tables: a roster holds hundreds of
 * entries, not millions, and lookups happen once per message.
 */
#include "roster.h"

#include "irbus.h"
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
irb_roster_init(struct irb_roster *r) {
    memset(r, 0, sizeof *r);
    return pthread_mutex_init(&r->mu, NULL) == 0 ? 0 : IRBUS_ENOMEM;
}

void
irb_roster_fini(struct irb_roster *r) {
    free(r->orgs);
    free(r->parts);
    pthread_mutex_destroy(&r->mu);
    memset(r, 0, sizeof *r);
}

int
irb_roster_add_admin(struct irb_roster *r, const uint8_t pk[32]) {
    struct irb_admin *a;
    char fp[IRBUS_FINGERPRINT_SIZE];

    if (r->nadmins >= sizeof r->admins / sizeof r->admins[0]) {
        return IRBUS_ELIMIT;
    }
    a = &r->admins[r->nadmins];
    if (irb_key_curve_public(pk, a->curve) != 0) {
        return IRBUS_EINVAL;
    }
    memcpy(a->pk, pk, 32);
    irbus_fingerprint(pk, fp);
    snprintf(a->user, sizeof a->user, "%s%s", IRB_ADMIN_PREFIX, fp);
    pthread_mutex_lock(&r->mu);
    r->nadmins++;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

int
irb_roster_zap_lookup(struct irb_roster *r, const uint8_t curve[32], char user[IRB_USER_MAX],
                      uint8_t pk[32]) {
    int rc = IRBUS_EUNKNOWNKEY;

    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->nadmins; i++) {
        if (memcmp(r->admins[i].curve, curve, 32) == 0) {
            snprintf(user, IRB_USER_MAX, "%s", r->admins[i].user);
            memcpy(pk, r->admins[i].pk, 32);
            rc = 0;
            goto out;
        }
    }
    for (size_t i = 0; i < r->nparts; i++) {
        if (memcmp(r->parts[i].curve, curve, 32) == 0) {
            if (r->parts[i].revoked) {
                rc = IRBUS_EREVOKED;
                continue; /* a rotated-away key stays revoked; look further */
            }
            snprintf(user, IRB_USER_MAX, "%s", r->parts[i].id);
            memcpy(pk, r->parts[i].pk, 32);
            rc = 0;
            goto out;
        }
    }
out:
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static int
id_eq(const char *stored, const char *id, size_t len) {
    return strlen(stored) == len && memcmp(stored, id, len) == 0;
}

const struct irb_participant *
irb_roster_participant(const struct irb_roster *r, const char *id, size_t len) {
    for (size_t i = 0; i < r->nparts; i++) {
        if (id_eq(r->parts[i].id, id, len)) {
            return &r->parts[i];
        }
    }
    return NULL;
}

const struct irb_org *
irb_roster_org(const struct irb_roster *r, const char *id, size_t len) {
    for (size_t i = 0; i < r->norgs; i++) {
        if (id_eq(r->orgs[i].id, id, len)) {
            return &r->orgs[i];
        }
    }
    return NULL;
}

const struct irb_admin *
irb_roster_admin_by_user(const struct irb_roster *r, const char *user) {
    for (size_t i = 0; i < r->nadmins; i++) {
        if (strcmp(r->admins[i].user, user) == 0) {
            return &r->admins[i];
        }
    }
    return NULL;
}

/* Is this key already someone's (current) key? */
static int
key_in_use(const struct irb_roster *r, const uint8_t pk[32]) {
    for (size_t i = 0; i < r->nparts; i++) {
        if (memcmp(r->parts[i].pk, pk, 32) == 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < r->nadmins; i++) {
        if (memcmp(r->admins[i].pk, pk, 32) == 0) {
            return 1;
        }
    }
    return 0;
}

int
irb_roster_check(const struct irb_roster *r, const struct irb_env *e) {
    const struct irb_participant *p;
    uint8_t curve[32];

    switch (e->kind) {
    case IRB_K_ORG_ADD:
        return irb_roster_org(r, e->org.p, e->org.len) != NULL ? IRBUS_EEXIST : 0;
    case IRB_K_PARTICIPANT_ADD:
        if (irb_roster_participant(r, e->participant.p, e->participant.len) != NULL ||
            key_in_use(r, e->key.p)) {
            return IRBUS_EEXIST;
        }
        if (irb_roster_org(r, e->org.p, e->org.len) == NULL) {
            return IRBUS_ENOTFOUND;
        }
        return irb_key_curve_public(e->key.p, curve) == 0 ? 0 : IRBUS_EINVAL;
    case IRB_K_PARTICIPANT_REVOKE:
        p = irb_roster_participant(r, e->participant.p, e->participant.len);
        return p == NULL ? IRBUS_ENOTFOUND : p->revoked ? IRBUS_ESTATE : 0;
    case IRB_K_PARTICIPANT_ROTATE:
        p = irb_roster_participant(r, e->participant.p, e->participant.len);
        if (p == NULL) {
            return IRBUS_ENOTFOUND;
        }
        if (p->revoked) {
            return IRBUS_ESTATE;
        }
        if (key_in_use(r, e->key.p)) {
            return IRBUS_EEXIST;
        }
        return irb_key_curve_public(e->key.p, curve) == 0 ? 0 : IRBUS_EINVAL;
    default:
        return IRBUS_EINVAL;
    }
}

static void
copy_id(char *dst, size_t cap, irb_str s) {
    size_t n = s.len < cap - 1 ? s.len : cap - 1;

    memcpy(dst, s.p, n);
    dst[n] = 0;
}

static int
grow(void **arr, size_t *cap, size_t n, size_t elem) {
    void *p;
    size_t nc;

    if (n < *cap) {
        return 0;
    }
    nc = *cap ? *cap * 2 : 16;
    p = realloc(*arr, nc * elem);
    if (p == NULL) {
        return IRBUS_ENOMEM;
    }
    *arr = p;
    *cap = nc;
    return 0;
}

int
irb_roster_apply(struct irb_roster *r, const struct irb_env *e) {
    struct irb_participant *p;
    int rc = 0;

    pthread_mutex_lock(&r->mu);
    switch (e->kind) {
    case IRB_K_ORG_ADD: {
        struct irb_org *o;
        if ((rc = grow((void **)&r->orgs, &r->caporgs, r->norgs, sizeof *r->orgs)) != 0) {
            break;
        }
        o = &r->orgs[r->norgs++];
        memset(o, 0, sizeof *o);
        copy_id(o->id, sizeof o->id, e->org);
        copy_id(o->name, sizeof o->name, e->name);
        o->kind = e->org_kind;
        break;
    }
    case IRB_K_PARTICIPANT_ADD:
        if ((rc = grow((void **)&r->parts, &r->capparts, r->nparts, sizeof *r->parts)) != 0) {
            break;
        }
        p = &r->parts[r->nparts];
        memset(p, 0, sizeof *p);
        copy_id(p->id, sizeof p->id, e->participant);
        copy_id(p->org, sizeof p->org, e->org);
        memcpy(p->pk, e->key.p, 32);
        if (irb_key_curve_public(p->pk, p->curve) != 0) {
            rc = IRBUS_EINVAL;
            break;
        }
        p->automated = e->automated;
        p->has_max_pap = (e->present & IRB_BIT(IRB_EI_MAX_PAP)) != 0;
        p->max_pap = e->max_pap;
        r->nparts++;
        break;
    case IRB_K_PARTICIPANT_REVOKE:
        p = (struct irb_participant *)irb_roster_participant(r, e->participant.p,
                                                             e->participant.len);
        if (p != NULL) {
            p->revoked = 1;
        }
        break;
    case IRB_K_PARTICIPANT_ROTATE:
        p = (struct irb_participant *)irb_roster_participant(r, e->participant.p,
                                                             e->participant.len);
        if (p != NULL && irb_key_curve_public(e->key.p, p->curve) == 0) {
            memcpy(p->pk, e->key.p, 32);
        }
        break;
    default:
        rc = IRBUS_EINVAL;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}
