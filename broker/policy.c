/*
 * policy.c - see policy.h. Pure functions of the incident, the participant
 * and the record: no I/O, no logging (the caller logs denials with the rule
 * named here).
 */
#include "policy.h"

#include "irbus.h"

#include <string.h>

static int
is_member(const struct irb_incident *in, const struct irb_participant *p) {
    return irb_incident_party(in, p->org, strlen(p->org)) != NULL ||
           irb_incident_is_coord(in, p->id, strlen(p->id));
}

static int
may_read(const struct irb_incident *in, const struct irb_participant *p, const char **rule) {
    if (!is_member(in, p)) {
        *rule = "members_only";
        return IRBUS_EDENIED;
    }
    return 0;
}

static int
may_publish(const struct irb_incident *in, const struct irb_participant *p, const char **rule) {
    if (in->state == IRB_STATE_CLOSED) {
        *rule = "incident_closed";
        return IRBUS_EDENIED;
    }
    return may_read(in, p, rule);
}

static int
may_command(const struct irb_incident *in, const struct irb_participant *p, const struct irb_env *e,
            const char **rule) {
    const struct irb_party *party;

    if (e->kind == IRB_K_INCIDENT_OPEN) {
        return 0; /* any participant may open an incident and coordinate it */
    }
    if (irb_incident_is_coord(in, p->id, strlen(p->id))) {
        return 0;
    }
    if (e->kind == IRB_K_SPOC_HANDOVER) {
        party = irb_incident_party(in, e->org.p, e->org.len);
        if (party != NULL && strcmp(party->spoc, p->id) == 0) {
            return 0;
        }
        *rule = "spoc_handover_by_spoc_or_coordinator";
        return IRBUS_EDENIED;
    }
    *rule = "coordinators_only";
    return IRBUS_EDENIED;
}

static int
may_see(const struct irb_incident *in, const struct irb_participant *p, const struct irb_meta *m,
        const char **rule) {
    if (p->revoked || !is_member(in, p)) {
        *rule = "members_only";
        return IRBUS_EDENIED;
    }
    if (m->channel == IRB_CH_INTERNAL &&
        (strlen(p->org) != m->org.len || memcmp(p->org, m->org.p, m->org.len) != 0)) {
        *rule = "internal_to_its_organisation";
        return IRBUS_EDENIED;
    }
    return 0;
}

int
irb_policy_check(const struct irb_policy_q *q, const char **rule) {
    switch (q->act) {
    case IRB_ACT_PUBLISH:
        return may_publish(q->in, q->p, rule);
    case IRB_ACT_COMMAND:
        return may_command(q->in, q->p, q->e, rule);
    case IRB_ACT_READ:
        return may_read(q->in, q->p, rule);
    case IRB_ACT_SEE:
        return may_see(q->in, q->p, q->m, rule);
    }
    *rule = "unknown_action";
    return IRBUS_EDENIED;
}

/* meta: u8 version(1) || u8 channel || u8 tlp || u8 flags(bit0 command) ||
 *       u8 len || sender || u8 len || org || u8 nto || (u8 len || id)* */
size_t
irb_meta_encode(const struct irb_meta *m, uint8_t *out) {
    size_t n = 0;

    out[n++] = 1;
    out[n++] = m->channel;
    out[n++] = m->tlp;
    out[n++] = m->is_command ? 1 : 0;
    out[n++] = (uint8_t)m->sender.len;
    memcpy(out + n, m->sender.p, m->sender.len);
    n += m->sender.len;
    out[n++] = (uint8_t)m->org.len;
    memcpy(out + n, m->org.p, m->org.len);
    n += m->org.len;
    out[n++] = (uint8_t)m->nto;
    for (uint32_t i = 0; i < m->nto; i++) {
        out[n++] = (uint8_t)m->to[i].len;
        memcpy(out + n, m->to[i].p, m->to[i].len);
        n += m->to[i].len;
    }
    return n;
}

static int
take_str(const uint8_t *b, size_t len, size_t *pos, irb_str *s) {
    size_t l;

    if (*pos >= len) {
        return IRBUS_ECORRUPT;
    }
    l = b[(*pos)++];
    if (l > IRB_MAX_ID || l > len - *pos) {
        return IRBUS_ECORRUPT;
    }
    s->p = (const char *)b + *pos;
    s->len = l;
    *pos += l;
    return 0;
}

int
irb_meta_decode(const uint8_t *b, size_t len, struct irb_meta *m) {
    size_t pos = 5 - 1;

    memset(m, 0, sizeof *m);
    if (len < 4 || b[0] != 1 || b[1] >= IRB_CH_COUNT || b[2] > IRB_TLP_RED || b[3] > 1) {
        return IRBUS_ECORRUPT;
    }
    m->channel = b[1];
    m->tlp = b[2];
    m->is_command = b[3];
    if (take_str(b, len, &pos, &m->sender) != 0 || take_str(b, len, &pos, &m->org) != 0 ||
        pos >= len) {
        return IRBUS_ECORRUPT;
    }
    m->nto = b[pos++];
    if (m->nto > IRB_MAX_TO) {
        return IRBUS_ECORRUPT;
    }
    for (uint32_t i = 0; i < m->nto; i++) {
        if (take_str(b, len, &pos, &m->to[i]) != 0) {
            return IRBUS_ECORRUPT;
        }
    }
    return pos == len ? 0 : IRBUS_ECORRUPT;
}
