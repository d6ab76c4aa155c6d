/*
 * incident.c - see incident.h.
 */
#include "incident.h"

#include "irbus.h"
#include "sign.h"

#include <stdlib.h>
#include <string.h>

void
irb_incidents_fini(struct irb_incidents *t) {
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; k < t->v[i]->nshares; k++) {
            free(t->v[i]->shares[k].meta);
        }
        free(t->v[i]->shares);
        free(t->v[i]);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}

static int
id_eq(const char *stored, const char *id, size_t len) {
    return strlen(stored) == len && memcmp(stored, id, len) == 0;
}

static void
copy_id(char *dst, size_t cap, const char *s, size_t len) {
    size_t n = len < cap - 1 ? len : cap - 1;

    memcpy(dst, s, n);
    dst[n] = 0;
}

struct irb_incident *
irb_incident_find(const struct irb_incidents *t, const char *id, size_t len) {
    for (size_t i = 0; i < t->n; i++) {
        if (id_eq(t->v[i]->id, id, len)) {
            return t->v[i];
        }
    }
    return NULL;
}

int
irb_incident_create(struct irb_incidents *t, const char *id, size_t len,
                    struct irb_incident **out) {
    struct irb_incident *in;

    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        struct irb_incident **v = realloc(t->v, nc * sizeof *v);
        if (v == NULL) {
            return IRBUS_ENOMEM;
        }
        t->v = v;
        t->cap = nc;
    }
    in = calloc(1, sizeof *in);
    if (in == NULL) {
        return IRBUS_ENOMEM;
    }
    copy_id(in->id, sizeof in->id, id, len);
    in->state = IRB_STATE_OPEN;
    irb_chain_genesis(in->id, strlen(in->id), in->hash);
    t->v[t->n++] = in;
    *out = in;
    return 0;
}

const struct irb_party *
irb_incident_party(const struct irb_incident *in, const char *org, size_t len) {
    for (size_t i = 0; i < in->nparties; i++) {
        if (id_eq(in->parties[i].org, org, len)) {
            return &in->parties[i];
        }
    }
    return NULL;
}

int
irb_incident_is_coord(const struct irb_incident *in, const char *participant, size_t len) {
    for (size_t i = 0; i < in->ncoords; i++) {
        if (id_eq(in->coords[i], participant, len)) {
            return 1;
        }
    }
    return 0;
}

int
irb_incident_add_share(struct irb_incident *in, uint8_t cls, uint64_t ref, uint64_t seq,
                       const uint8_t *meta, size_t len) {
    struct irb_share *sh;
    size_t at;
    uint8_t *copy;

    if (in->nshares >= IRB_MAX_SHARES) {
        return IRBUS_ELIMIT;
    }
    if (in->nshares == in->capshares) {
        size_t nc = in->capshares ? in->capshares * 2 : 8;
        struct irb_share *v = realloc(in->shares, nc * sizeof *v);
        if (v == NULL) {
            return IRBUS_ENOMEM;
        }
        in->shares = v;
        in->capshares = nc;
    }
    if ((copy = malloc(len)) == NULL) {
        return IRBUS_ENOMEM;
    }
    memcpy(copy, meta, len);
    /* Kept sorted by ref, so the policy finds a record's shares by binary
     * search (at most IRB_MAX_SHARES entries move). */
    at = irb_incident_shares_of(in, ref);
    while (at < in->nshares && in->shares[at].ref == ref) {
        at++;
    }
    memmove(&in->shares[at + 1], &in->shares[at], (in->nshares - at) * sizeof *sh);
    sh = &in->shares[at];
    sh->meta = copy;
    sh->len = len;
    sh->ref = ref;
    sh->seq = seq;
    sh->cls = cls;
    in->nshares++;
    return 0;
}

size_t
irb_incident_shares_of(const struct irb_incident *in, uint64_t ref) {
    size_t lo = 0, hi = in->nshares;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (in->shares[mid].ref < ref) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The SPOC must be a participant of the party's organisation. */
static int
spoc_ok(irb_str spoc, irb_str org, irb_org_of_fn org_of, void *ctx) {
    const char *o = org_of(ctx, spoc.p, spoc.len);

    if (o == NULL) {
        return IRBUS_ENOTFOUND;
    }
    return id_eq(o, org.p, org.len) ? 0 : IRBUS_EHANDOVER;
}

int
irb_incident_check(const struct irb_incident *in, const struct irb_env *e, irb_org_of_fn org_of,
                   void *ctx) {
    const struct irb_party *p;

    if (e->kind != IRB_K_INCIDENT_OPEN && in->state == IRB_STATE_CLOSED &&
        e->kind != IRB_K_STATE_SET) {
        return IRBUS_ESTATE;
    }
    switch (e->kind) {
    case IRB_K_INCIDENT_OPEN:
        return in->head > 0 ? IRBUS_EEXIST : 0;
    case IRB_K_PARTY_ADD:
        if (irb_incident_party(in, e->org.p, e->org.len) != NULL) {
            return IRBUS_EEXIST;
        }
        if (in->nparties >= IRB_MAX_PARTIES) {
            return IRBUS_ELIMIT;
        }
        if (e->present & IRB_BIT(IRB_EI_SPOC)) {
            return spoc_ok(e->spoc, e->org, org_of, ctx);
        }
        return 0;
    case IRB_K_PARTY_REMOVE:
        return irb_incident_party(in, e->org.p, e->org.len) == NULL ? IRBUS_ENOTFOUND : 0;
    case IRB_K_SPOC_HANDOVER:
        p = irb_incident_party(in, e->org.p, e->org.len);
        if (p == NULL) {
            return IRBUS_ENOTFOUND;
        }
        return spoc_ok(e->spoc, e->org, org_of, ctx);
    case IRB_K_COORD_ADD: {
        const char *o = org_of(ctx, e->participant.p, e->participant.len);
        if (o == NULL || o[0] == 0) { /* unknown, or revoked */
            return IRBUS_ENOTFOUND;
        }
        if (irb_incident_is_coord(in, e->participant.p, e->participant.len)) {
            return IRBUS_EEXIST;
        }
        return in->ncoords >= IRB_MAX_COORDS ? IRBUS_ELIMIT : 0;
    }
    case IRB_K_STATE_SET:
        /* The lifecycle only moves forward: open, contained, recovered, closed. */
        return e->state > in->state ? 0 : IRBUS_ESTATE;
    default:
        return IRBUS_EINVAL;
    }
}

void
irb_incident_apply(struct irb_incident *in, const struct irb_env *e, const char *opener) {
    struct irb_party *p;

    switch (e->kind) {
    case IRB_K_INCIDENT_OPEN:
        copy_id(in->title, sizeof in->title, e->title.p, e->title.len);
        in->regime = e->regime;
        in->state = IRB_STATE_OPEN;
        copy_id(in->coords[0], sizeof in->coords[0], opener, strlen(opener));
        in->ncoords = 1;
        break;
    case IRB_K_PARTY_ADD:
        p = &in->parties[in->nparties++];
        memset(p, 0, sizeof *p);
        copy_id(p->org, sizeof p->org, e->org.p, e->org.len);
        p->role = e->role;
        if (e->present & IRB_BIT(IRB_EI_SPOC)) {
            copy_id(p->spoc, sizeof p->spoc, e->spoc.p, e->spoc.len);
        }
        break;
    case IRB_K_PARTY_REMOVE:
        for (size_t i = 0; i < in->nparties; i++) {
            if (id_eq(in->parties[i].org, e->org.p, e->org.len)) {
                in->parties[i] = in->parties[--in->nparties];
                break;
            }
        }
        break;
    case IRB_K_SPOC_HANDOVER:
        p = (struct irb_party *)irb_incident_party(in, e->org.p, e->org.len);
        if (p != NULL) {
            copy_id(p->spoc, sizeof p->spoc, e->spoc.p, e->spoc.len);
        }
        break;
    case IRB_K_COORD_ADD:
        copy_id(in->coords[in->ncoords++], sizeof in->coords[0], e->participant.p,
                e->participant.len);
        break;
    case IRB_K_STATE_SET:
        in->state = e->state;
        break;
    default:
        break;
    }
}
