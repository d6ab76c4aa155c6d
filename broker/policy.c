/*
 * policy.c - see policy.h; schema/policy.md is the same rules in prose.
 * Pure functions of the roster, the incident and the record: no I/O, no
 * logging (the caller logs denials with the rule named here).
 */
#include "policy.h"

#include "irbus.h"

#include <string.h>

/* ---- small predicates --------------------------------------------------- */

static int
str_is(irb_str s, const char *z) {
    return s.len == strlen(z) && memcmp(s.p, z, s.len) == 0;
}

static int
in_list(const irb_str *v, uint32_t n, const char *z) {
    for (uint32_t i = 0; i < n; i++) {
        if (str_is(v[i], z)) {
            return 1;
        }
    }
    return 0;
}

static int
in_strs(const irb_str *v, uint32_t n, irb_str s) {
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].len == s.len && memcmp(v[i].p, s.p, s.len) == 0) {
            return 1;
        }
    }
    return 0;
}

static const struct irb_party *
party_of(const struct irb_incident *in, const struct irb_participant *p) {
    return irb_incident_party(in, p->org, strlen(p->org));
}

static int
is_coord(const struct irb_incident *in, const struct irb_participant *p) {
    return irb_incident_is_coord(in, p->id, strlen(p->id));
}

static int
is_spoc(const struct irb_party *party, const struct irb_participant *p) {
    return party != NULL && party->spoc[0] != 0 && strcmp(party->spoc, p->id) == 0;
}

/* A member: not revoked, and a participant of a party or a coordinator. */
static int
is_member(const struct irb_incident *in, const struct irb_participant *p) {
    return !p->revoked && (party_of(in, p) != NULL || is_coord(in, p));
}

/* The participant named `id`, if it is a member of the incident. */
static const struct irb_participant *
member_named(const struct irb_roster *r, const struct irb_incident *in, irb_str id) {
    const struct irb_participant *p = irb_roster_participant(r, id.p, id.len);

    return p != NULL && is_member(in, p) ? p : NULL;
}

static int
has_role(const struct irb_party *party, unsigned roles) {
    return party != NULL && (roles & (1u << party->role)) != 0;
}

#define ROLE(r) (1u << IRB_ROLE_##r)

/* Strictness of TLP labels: CLEAR < GREEN < AMBER < AMBER+STRICT < RED is
 * the enum order. PAP likewise: CLEAR < GREEN < AMBER < RED. */

/* ---- publishing: the channel matrix (schema/policy.md 1.1) ---------------- */

enum group { G_MSG, G_STAGE, G_REQUEST, G_CCV, G_COUNT };
enum cell { NO, YES, SPOC, HAS_SPOC };

/* Columns: coord, then (spoc, member) for each role in enum irb_role order. */
#define COLS (1 + 2 * 4)

static const uint8_t matrix[IRB_CH_COUNT][G_COUNT][COLS] = {
    /* columns: coord; spoc, member of affected; of ir_provider; of csirt; of regulator */
    [IRB_CH_STATUS] = {[G_MSG] = {YES, NO, NO, NO, NO, NO, NO, NO, NO}},
    [IRB_CH_COORDINATION] = {[G_MSG] = {YES, YES, SPOC, YES, SPOC, YES, SPOC, YES, SPOC},
                             [G_CCV] = {NO, NO, NO, YES, SPOC, NO, NO, NO, NO}},
    [IRB_CH_FINDINGS] = {[G_MSG] = {NO, YES, HAS_SPOC, YES, HAS_SPOC, YES, HAS_SPOC, NO, NO}},
    [IRB_CH_NOTIFICATIONS] = {[G_MSG] = {NO, YES, SPOC, NO, NO, YES, SPOC, YES, SPOC},
                              [G_STAGE] = {NO, YES, SPOC, NO, NO, NO, NO, NO, NO},
                              [G_REQUEST] = {NO, NO, NO, NO, NO, YES, SPOC, YES, SPOC}},
    [IRB_CH_INTERNAL] = {[G_MSG] = {YES, YES, YES, YES, YES, YES, YES, YES, YES}},
};

static enum group
group_of(uint8_t kind) {
    if (kind >= IRB_K_NIS2_EARLY_WARNING && kind <= IRB_K_DORA_FINAL) {
        return G_STAGE;
    }
    if (kind == IRB_K_REPORT_REQUEST || kind == IRB_K_FEEDBACK) {
        return G_REQUEST;
    }
    if (kind == IRB_K_CCV_CONFIRMATION || kind == IRB_K_CCV_TRIAGE) {
        return G_CCV;
    }
    return G_MSG; /* msg, forward */
}

/* The channel matrix for participant p: 0 or the denial (303 before 304
 * before 302 when its classes disagree). */
static int
matrix_check(const struct irb_incident *in, const struct irb_participant *p, uint8_t channel,
             uint8_t kind, const char **rule) {
    const uint8_t *row = matrix[channel][group_of(kind)];
    const struct irb_party *party = party_of(in, p);
    int denial = IRBUS_ECHANNEL;

    if (is_coord(in, p) && row[0] == YES) {
        return 0;
    }
    if (party != NULL) {
        int spoc = is_spoc(party, p);
        int has = party->spoc[0] != 0;
        uint8_t c = row[1 + 2 * party->role + (spoc ? 0 : 1)];
        if (c == YES || (c == HAS_SPOC && has)) {
            return 0;
        }
        if (c == SPOC) {
            denial = has ? IRBUS_ENOTSPOC : IRBUS_ENOSPOC;
        } else if (c == HAS_SPOC) {
            denial = IRBUS_ENOSPOC;
        }
    }
    *rule = irb_policy_rule_name(denial);
    return denial;
}

/* `to` of a message, forward or share (schema/policy.md 1.2): RED names
 * members; other labels name parties; share kinds (tlp < 0) either. */
static int
addressing_check(const struct irb_roster *r, const struct irb_incident *in, const struct irb_env *e,
                 int tlp) {
    for (uint32_t i = 0; i < e->nto; i++) {
        int party = irb_incident_party(in, e->to[i].p, e->to[i].len) != NULL;
        int member = member_named(r, in, e->to[i]) != NULL;
        if (tlp == IRB_TLP_RED ? !member : tlp < 0 ? !(party || member) : !party) {
            return IRBUS_EAUDIENCE;
        }
    }
    return 0;
}

static int
may_publish(const struct irb_policy_q *q, const char **rule) {
    const struct irb_env *e = q->e;
    int rc;

    if (!is_member(q->in, q->p)) {
        rc = IRBUS_ENOTMEMBER;
    } else if (q->in->state == IRB_STATE_CLOSED) {
        rc = IRBUS_ECLOSED;
    } else if (e->kind == IRB_K_SHARE_REQUEST || e->kind == IRB_K_SHARE_GRANT) {
        rc = addressing_check(q->roster, q->in, e, -1);
    } else if ((rc = matrix_check(q->in, q->p, e->channel, e->kind, rule)) != 0) {
        return rc;
    } else {
        rc = addressing_check(q->roster, q->in, e, e->tlp);
    }
    if (rc != 0) {
        *rule = irb_policy_rule_name(rc);
    }
    return rc;
}

/* ---- reading (schema/policy.md 2) ------------------------------------------ */

/* P is addressed by record m: its organisation (its id, for RED) is in `to`. */
static int
addressed(const struct irb_meta *m, const struct irb_participant *p) {
    return in_list(m->to, m->nto, m->tlp == IRB_TLP_RED ? p->id : p->org);
}

static int
channel_reads(const struct irb_incident *in, const struct irb_participant *p,
              const struct irb_meta *m) {
    const struct irb_party *party = party_of(in, p);

    switch (m->channel) {
    case IRB_CH_STATUS:
        return 1;
    case IRB_CH_COORDINATION:
        return is_coord(in, p) ||
               (is_spoc(party, p) && (m->nto == 0 || addressed(m, p) || str_is(m->org, p->org)));
    case IRB_CH_FINDINGS:
        return has_role(party, ROLE(AFFECTED) | ROLE(IR_PROVIDER) | ROLE(CSIRT)) ||
               (has_role(party, ROLE(REGULATOR)) && addressed(m, p));
    case IRB_CH_NOTIFICATIONS:
        return has_role(party, ROLE(AFFECTED) | ROLE(CSIRT) | ROLE(REGULATOR)) || is_coord(in, p);
    case IRB_CH_INTERNAL:
        return str_is(m->org, p->org);
    default:
        return 0;
    }
}

static int
label_allows(const struct irb_meta *m, const struct irb_participant *p) {
    switch (m->tlp) {
    case IRB_TLP_CLEAR:
    case IRB_TLP_GREEN:
        return 1;
    case IRB_TLP_AMBER:
    case IRB_TLP_AMBER_STRICT:
        return in_list(m->aud, m->naud, p->org);
    default:
        return in_list(m->aud, m->naud, p->id);
    }
}

static int
pap_allows(const struct irb_meta *m, const struct irb_participant *p) {
    uint8_t max = p->has_max_pap ? p->max_pap : IRB_PAP_CLEAR;

    return !p->automated || m->pap <= max;
}

/* May p see the record m itself (not through a forward)? */
static int
sees_directly(const struct irb_incident *in, const struct irb_participant *p,
              const struct irb_meta *m) {
    if (!is_member(in, p)) {
        return 0;
    }
    if (str_is(m->sender, p->id) || m->cls == IRB_MC_COMMAND) {
        return 1;
    }
    if (m->cls == IRB_MC_SHARE_REQUEST) {
        /* to the referenced record's sender, whatever its channel's rule
         * (the request is filed under that channel, which may be another
         * organisation's internal one) */
        return label_allows(m, p);
    }
    return channel_reads(in, p, m) && label_allows(m, p) && pap_allows(m, p);
}

static int
sees(const struct irb_policy_q *q) {
    struct irb_meta f;

    if ((q->channels & (1u << q->m->channel)) != 0 && sees_directly(q->in, q->p, q->m)) {
        return 1;
    }
    /* Whoever may see a forward of the record sees the record through it,
     * on the forward's channel. */
    for (size_t i = irb_incident_shares_of(q->in, q->seq);
         i < q->in->nshares && q->in->shares[i].ref == q->seq; i++) {
        const struct irb_share *sh = &q->in->shares[i];
        if (sh->cls == IRB_MC_FORWARD && irb_meta_decode(sh->meta, sh->len, &f) == 0 &&
            (q->channels & (1u << f.channel)) && sees_directly(q->in, q->p, &f)) {
            return 1;
        }
    }
    return 0;
}

/* May p's classes read the channel at all (subscribe, history)? */
static int
channel_readable(const struct irb_incident *in, const struct irb_participant *p, int ch) {
    const struct irb_party *party = party_of(in, p);

    switch (ch) {
    case IRB_CH_COORDINATION:
        return is_coord(in, p) || is_spoc(party, p);
    case IRB_CH_FINDINGS:
        return party != NULL;
    case IRB_CH_NOTIFICATIONS:
        return is_coord(in, p) || has_role(party, ROLE(AFFECTED) | ROLE(CSIRT) | ROLE(REGULATOR));
    default:
        return 1; /* status, internal */
    }
}

static int
may_read(const struct irb_policy_q *q, const char **rule) {
    int rc = 0;

    if (!is_member(q->in, q->p)) {
        rc = IRBUS_ENOTMEMBER;
    }
    for (int ch = 0; rc == 0 && ch < IRB_CH_COUNT; ch++) {
        if ((q->channels & (1u << ch)) && !channel_readable(q->in, q->p, ch)) {
            rc = IRBUS_ECHANNEL;
        }
    }
    if (rc != 0) {
        *rule = irb_policy_rule_name(rc);
    }
    return rc;
}

/* ---- forwarding and grants (schema/policy.md 3) ---------------------------- */

/* Organisations whose members the forwarder may pass a record on to without
 * a grant (the forwarder's own, and for AMBER its clients), as a test. */
static int
allowed_org(const struct irb_policy_q *q, const char *org, size_t len) {
    const struct irb_party *mine = party_of(q->in, q->p), *theirs;

    if (q->m->tlp == IRB_TLP_RED) {
        return 0; /* RED: nobody but by a grant */
    }
    if (strlen(q->p->org) == len && memcmp(q->p->org, org, len) == 0) {
        return 1;
    }
    if (q->m->tlp != IRB_TLP_AMBER || !has_role(mine, ROLE(IR_PROVIDER) | ROLE(CSIRT))) {
        return 0;
    }
    /* AMBER: the clients of an ir_provider or csirt party are the affected
     * parties. */
    theirs = irb_incident_party(q->in, org, len);
    return has_role(theirs, ROLE(AFFECTED));
}

/* Is org (or participant id) named in a grant for the referenced record? */
static int
granted(const struct irb_policy_q *q, irb_str id) {
    struct irb_meta g;

    for (size_t i = irb_incident_shares_of(q->in, q->seq);
         i < q->in->nshares && q->in->shares[i].ref == q->seq; i++) {
        const struct irb_share *sh = &q->in->shares[i];
        if (sh->cls == IRB_MC_SHARE_GRANT && irb_meta_decode(sh->meta, sh->len, &g) == 0 &&
            in_strs(g.to, g.nto, id)) {
            return 1;
        }
    }
    return 0;
}

static int
has_grant(const struct irb_policy_q *q) {
    for (size_t i = irb_incident_shares_of(q->in, q->seq);
         i < q->in->nshares && q->in->shares[i].ref == q->seq; i++) {
        if (q->in->shares[i].cls == IRB_MC_SHARE_GRANT) {
            return 1;
        }
    }
    return 0;
}

/* May the forwarder pass the record on to organisation `org`: by the
 * label's own allowance, or (with_grants) by a grant too? */
static int
org_covered(const struct irb_policy_q *q, irb_str org, int with_grants) {
    return allowed_org(q, org.p, org.len) || (with_grants && granted(q, org));
}

/* A RED forward: is every participant in `to` covered, through its
 * organisation or (with_grants) named in a grant? */
static int
red_covered(const struct irb_policy_q *q, int with_grants) {
    for (uint32_t i = 0; i < q->e->nto; i++) {
        const struct irb_participant *who =
            irb_roster_participant(q->roster, q->e->to[i].p, q->e->to[i].len);
        if (who == NULL || !(org_covered(q, (irb_str){who->org, strlen(who->org)}, with_grants) ||
                             (with_grants && granted(q, q->e->to[i])))) {
            return 0;
        }
    }
    return 1;
}

/* Is the forward's audience covered (schema/policy.md 3.1): its audience
 * organisations, and under a grant every participant a RED forward names? */
static int
audience_covered(const struct irb_policy_q *q, int with_grants) {
    const struct irb_env *e = q->e;
    struct irb_meta fm;

    if (e->tlp == IRB_TLP_RED && (with_grants || e->channel != IRB_CH_INTERNAL) &&
        !red_covered(q, with_grants)) {
        return 0;
    }
    if (e->channel == IRB_CH_INTERNAL) {
        return org_covered(q, (irb_str){q->p->org, strlen(q->p->org)}, with_grants);
    }
    if (e->tlp == IRB_TLP_RED) {
        return 1;
    }
    /* AMBER and AMBER+STRICT: the resolved organisations. */
    irb_policy_meta(q->in, q->p, e, q->m, q->seq, &fm);
    for (uint32_t i = 0; i < fm.naud; i++) {
        if (!org_covered(q, fm.aud[i], with_grants)) {
            return 0;
        }
    }
    return 1;
}

static int
may_forward(const struct irb_policy_q *q) {
    const struct irb_env *e = q->e;
    uint8_t ref = q->m->tlp;
    int bounded = e->channel == IRB_CH_INTERNAL || e->tlp >= IRB_TLP_AMBER;
    int rank_ok;

    if (str_is(q->m->sender, q->p->id) || ref == IRB_TLP_CLEAR) {
        return 0;
    }
    if (ref == IRB_TLP_GREEN) {
        return e->tlp >= IRB_TLP_GREEN || e->channel == IRB_CH_INTERNAL ? 0 : IRBUS_EFORWARD;
    }
    if (!bounded) {
        return IRBUS_EFORWARD;
    }
    rank_ok = e->channel == IRB_CH_INTERNAL || e->tlp >= ref;
    if (ref != IRB_TLP_RED && rank_ok && audience_covered(q, 0)) {
        return 0;
    }
    /* A grant waives the label order and widens the audience; without one
     * nothing more is allowed. */
    return has_grant(q) && audience_covered(q, 1) ? 0 : IRBUS_EFORWARD;
}

/* REFER: the referenced record is visible to p and its digest matched (the
 * caller checked both); what is left is the label and the grant rule. */
static int
may_refer(const struct irb_policy_q *q, const char **rule) {
    int rc = 0;

    if (q->e->kind == IRB_K_FORWARD) {
        rc = may_forward(q);
    } else if (q->e->kind == IRB_K_SHARE_GRANT && !str_is(q->m->sender, q->p->id)) {
        rc = IRBUS_EGRANT;
    }
    if (rc != 0) {
        *rule = irb_policy_rule_name(rc);
    }
    return rc;
}

/* ---- commands (schema/policy.md 4) ----------------------------------------- */

static int
may_command(const struct irb_policy_q *q, const char **rule) {
    const struct irb_env *e = q->e;
    const struct irb_party *party;
    int rc = IRBUS_ECOORD;

    if (e->kind == IRB_K_INCIDENT_OPEN || (!q->p->revoked && is_coord(q->in, q->p))) {
        return 0; /* any participant may open an incident and coordinate it */
    }
    if (e->kind == IRB_K_SPOC_HANDOVER) {
        party = irb_incident_party(q->in, e->org.p, e->org.len);
        if (party != NULL && is_spoc(party, q->p) && !q->p->revoked) {
            return 0;
        }
        rc = IRBUS_EHANDOVER;
    }
    *rule = irb_policy_rule_name(rc);
    return rc;
}

int
irb_policy_check(const struct irb_policy_q *q, const char **rule) {
    switch (q->act) {
    case IRB_ACT_PUBLISH:
        return may_publish(q, rule);
    case IRB_ACT_REFER:
        return may_refer(q, rule);
    case IRB_ACT_COMMAND:
        return may_command(q, rule);
    case IRB_ACT_READ:
        return may_read(q, rule);
    case IRB_ACT_SEE:
        if (sees(q)) {
            return 0;
        }
        *rule = "not_in_audience";
        return IRBUS_EDENIED;
    }
    *rule = "unknown_action";
    return IRBUS_EDENIED;
}

const char *
irb_policy_rule_name(int code) {
    static const char *const names[] = {
        "denied",
        "members_only",
        "channel_matrix",
        "spoc_speaks_for_the_organisation",
        "organisation_without_spoc",
        "to_outside_the_incident",
        "label_forbids_forwarding",
        "incident_closed",
        "coordinators_only",
        "spoc_handover",
        "operators_only",
        "only_the_source_grants",
    };
    int i = -code - 300;

    return i >= 0 && i < (int)(sizeof names / sizeof names[0]) ? names[i] : "denied";
}

/* ---- the meta of a new record ---------------------------------------------- */

static void
add_aud(struct irb_meta *m, irb_str id) {
    if (!in_strs(m->aud, m->naud, id) && m->naud < IRB_MAX_AUD) {
        m->aud[m->naud++] = id;
    }
}

void
irb_policy_meta(const struct irb_incident *in, const struct irb_participant *p,
                const struct irb_env *e, const struct irb_meta *ref, uint64_t ref_seq,
                struct irb_meta *m) {
    if (e->kind == IRB_K_SHARE_GRANT && ref != NULL) {
        /* Seen by whoever may see the record granted. */
        *m = *ref;
        m->cls = IRB_MC_SHARE_GRANT;
        m->ref = ref_seq;
        return;
    }
    memset(m, 0, sizeof *m);
    m->sender = (irb_str){p->id, strlen(p->id)};
    m->org = (irb_str){p->org, strlen(p->org)};
    if (e->kind == IRB_K_SHARE_REQUEST && ref != NULL) {
        /* Seen by the requester and the record's sender. */
        m->cls = IRB_MC_SHARE_REQUEST;
        m->ref = ref_seq;
        m->channel = ref->channel;
        m->tlp = IRB_TLP_RED;
        m->aud[m->naud++] = ref->sender;
        return;
    }
    m->cls = e->kind == IRB_K_FORWARD ? IRB_MC_FORWARD : IRB_MC_MESSAGE;
    m->ref = e->kind == IRB_K_FORWARD ? ref_seq : 0;
    m->channel = e->channel;
    m->tlp = e->tlp;
    m->pap = (e->present & IRB_BIT(IRB_EI_PAP)) ? e->pap : IRB_PAP_CLEAR;
    if (ref != NULL && ref->pap > m->pap) {
        m->pap = ref->pap; /* a forward keeps the stricter PAP */
    }
    m->nto = e->nto;
    memcpy(m->to, e->to, sizeof(irb_str) * e->nto);
    switch (e->tlp) {
    case IRB_TLP_AMBER:
        for (uint32_t i = 0; i < e->nto; i++) {
            add_aud(m, e->to[i]);
        }
        for (size_t i = 0; e->nto == 0 && i < in->nparties; i++) {
            add_aud(m, (irb_str){in->parties[i].org, strlen(in->parties[i].org)});
        }
        add_aud(m, m->org);
        break;
    case IRB_TLP_AMBER_STRICT:
    case IRB_TLP_RED:
        for (uint32_t i = 0; i < e->nto; i++) {
            add_aud(m, e->to[i]);
        }
        break;
    default:
        break;
    }
}

void
irb_policy_grant_entry(const struct irb_env *e, const struct irb_meta *m, struct irb_meta *g) {
    memset(g, 0, sizeof *g);
    g->cls = IRB_MC_SHARE_GRANT;
    g->ref = m->ref;
    g->sender = m->sender;
    g->org = m->org;
    g->nto = e->nto;
    memcpy(g->to, e->to, sizeof(irb_str) * e->nto);
}

/* ---- meta bytes (schema/policy.md 5) ---------------------------------------- */

static size_t
put_str(uint8_t *out, size_t n, irb_str s) {
    out[n++] = (uint8_t)s.len;
    memcpy(out + n, s.p, s.len);
    return n + s.len;
}

size_t
irb_meta_encode(const struct irb_meta *m, uint8_t *out) {
    size_t n = 0;

    out[n++] = 2;
    out[n++] = m->channel;
    out[n++] = m->tlp;
    out[n++] = m->pap;
    out[n++] = m->cls;
    for (int i = 7; i >= 0; i--) {
        out[n++] = (uint8_t)(m->ref >> (8 * i));
    }
    n = put_str(out, n, m->sender);
    n = put_str(out, n, m->org);
    out[n++] = (uint8_t)m->nto;
    for (uint32_t i = 0; i < m->nto; i++) {
        n = put_str(out, n, m->to[i]);
    }
    out[n++] = (uint8_t)m->naud;
    for (uint32_t i = 0; i < m->naud; i++) {
        n = put_str(out, n, m->aud[i]);
    }
    return n;
}

/* An id of 1..IRB_MAX_ID bytes at *pos. */
static int
take_str(const uint8_t *b, size_t len, size_t *pos, irb_str *s) {
    size_t l;

    if (*pos >= len) {
        return IRBUS_ECORRUPT;
    }
    l = b[(*pos)++];
    if (l < 1 || l > IRB_MAX_ID || l > len - *pos) {
        return IRBUS_ECORRUPT;
    }
    s->p = (const char *)b + *pos;
    s->len = l;
    *pos += l;
    return 0;
}

static int
take_list(const uint8_t *b, size_t len, size_t *pos, irb_str *v, uint32_t *n, uint32_t max) {
    if (*pos >= len || b[*pos] > max) {
        return IRBUS_ECORRUPT;
    }
    *n = b[(*pos)++];
    for (uint32_t i = 0; i < *n; i++) {
        if (take_str(b, len, pos, &v[i]) != 0) {
            return IRBUS_ECORRUPT;
        }
    }
    return 0;
}

/* Version 1: u8 1 || channel || tlp || flags (bit 0: command) || sender ||
 * org || `to`. Read with PAP CLEAR and the audience `to` (plus the sender's
 * organisation for AMBER). */
static int
decode_v1(const uint8_t *b, size_t len, struct irb_meta *m) {
    size_t pos = 4;

    if (len < 4 || b[3] > 1) {
        return IRBUS_ECORRUPT;
    }
    m->cls = b[3] ? IRB_MC_COMMAND : IRB_MC_MESSAGE;
    if (take_str(b, len, &pos, &m->sender) != 0 || take_str(b, len, &pos, &m->org) != 0 ||
        take_list(b, len, &pos, m->to, &m->nto, IRB_MAX_TO) != 0 || pos != len) {
        return IRBUS_ECORRUPT;
    }
    if (m->tlp >= IRB_TLP_AMBER) {
        memcpy(m->aud, m->to, sizeof(irb_str) * m->nto);
        m->naud = m->nto;
        if (m->tlp == IRB_TLP_AMBER) {
            add_aud(m, m->org);
        }
    }
    return 0;
}

int
irb_meta_decode(const uint8_t *b, size_t len, struct irb_meta *m) {
    size_t pos = 13;

    memset(m, 0, sizeof *m);
    if (len < 3 || (b[0] != 1 && b[0] != 2) || b[1] >= IRB_CH_COUNT || b[2] > IRB_TLP_RED) {
        return IRBUS_ECORRUPT;
    }
    m->channel = b[1];
    m->tlp = b[2];
    if (b[0] == 1) {
        return decode_v1(b, len, m);
    }
    if (len < 13 || b[3] > IRB_PAP_RED || b[4] >= IRB_MC_COUNT) {
        return IRBUS_ECORRUPT;
    }
    m->pap = b[3];
    m->cls = b[4];
    for (int i = 0; i < 8; i++) {
        m->ref = m->ref << 8 | b[5 + i];
    }
    if (take_str(b, len, &pos, &m->sender) != 0 || take_str(b, len, &pos, &m->org) != 0 ||
        take_list(b, len, &pos, m->to, &m->nto, IRB_MAX_TO) != 0 ||
        take_list(b, len, &pos, m->aud, &m->naud, IRB_MAX_AUD) != 0) {
        return IRBUS_ECORRUPT;
    }
    return pos == len ? 0 : IRBUS_ECORRUPT;
}
