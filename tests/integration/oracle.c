/*
 * oracle.c - schema/policy.md as a handful of tables and the few lines that
 * read them. See oracle.h. Each table below cites the section it copies;
 * where the text can be read two ways, the comment says which reading this
 * model takes, so that a disagreement with the broker can be classified.
 */
#include "oracle.h"

#include "irbus.h"

#include <stddef.h>

#define BIT(n)   (1u << (n))
#define ALLROLES (BIT(ORA_AFFECTED) | BIT(ORA_IR_PROVIDER) | BIT(ORA_CSIRT) | BIT(ORA_REGULATOR))

/* ---- section 1.1: the channel matrix ----------------------------------- */

enum cell {
    NO,      /* "–": 302 */
    YES,     /* allowed */
    SPOC,    /* only the SPOC speaks for the organisation: 303, or 304 without one */
    HAS_SPOC /* allowed when the party has a SPOC, else 304 */
};

struct matrix_row {
    int channel;
    int group;
    unsigned char coord;
    unsigned char spoc[ORA_NROLES];   /* affected, ir_provider, csirt, regulator */
    unsigned char member[ORA_NROLES]; /* a participant of the party who is not its SPOC */
};

static const struct matrix_row matrix[] = {
    {ORA_STATUS, ORA_G_MSG, YES, {NO, NO, NO, NO}, {NO, NO, NO, NO}},
    {ORA_COORDINATION, ORA_G_MSG, YES, {YES, YES, YES, YES}, {SPOC, SPOC, SPOC, SPOC}},
    {ORA_COORDINATION, ORA_G_CCV, NO, {NO, YES, NO, NO}, {NO, SPOC, NO, NO}},
    {ORA_FINDINGS, ORA_G_MSG, NO, {YES, YES, YES, NO}, {HAS_SPOC, HAS_SPOC, HAS_SPOC, NO}},
    {ORA_NOTIFICATIONS, ORA_G_MSG, NO, {YES, NO, YES, YES}, {SPOC, NO, SPOC, SPOC}},
    {ORA_NOTIFICATIONS, ORA_G_STAGE, NO, {YES, NO, NO, NO}, {SPOC, NO, NO, NO}},
    {ORA_NOTIFICATIONS, ORA_G_REQUEST, NO, {NO, NO, YES, YES}, {NO, NO, SPOC, SPOC}},
    {ORA_INTERNAL, ORA_G_MSG, YES, {YES, YES, YES, YES}, {YES, YES, YES, YES}},
};

/* ---- section 2.1: the channel read rule (evaluated now) ----------------- */

struct read_rule {
    int everyone;              /* every member */
    unsigned roles;            /* a participant whose role is one of these */
    unsigned roles_addressed;  /* ... or one of these when addressed */
    int coord;                 /* a coordinator */
    int spoc_for_organisation; /* the SPOC, when `to` is empty, it is addressed, or r comes from
                                  its organisation */
    int sender_organisation;   /* the sender's organisation at publish time */
};

/* The coordination row: "P is a coord; or P is the SPOC of its party and
 * (r's `to` is empty, or P is addressed, or r's sender organisation is P's
 * organisation)". A RED record naming a participant who is neither is no
 * exception. */
static const struct read_rule read_rules[ORA_NCHANNELS] = {
    [ORA_STATUS] = {1, 0, 0, 0, 0, 0},
    [ORA_COORDINATION] = {0, 0, 0, 1, 1, 0},
    [ORA_FINDINGS] = {0, BIT(ORA_AFFECTED) | BIT(ORA_IR_PROVIDER) | BIT(ORA_CSIRT),
                      BIT(ORA_REGULATOR), 0, 0, 0},
    [ORA_NOTIFICATIONS] = {0, BIT(ORA_AFFECTED) | BIT(ORA_CSIRT) | BIT(ORA_REGULATOR), 0, 1, 0, 0},
    [ORA_INTERNAL] = {0, 0, 0, 0, 0, 1},
};

/* ---- section 2.4: who may ask for a channel (subscribe, history) -------- */

struct sub_rule {
    int everyone;
    int coord;
    int spoc;
    unsigned roles;
};

static const struct sub_rule sub_rules[ORA_NCHANNELS] = {
    [ORA_STATUS] = {1, 0, 0, 0},
    [ORA_COORDINATION] = {0, 1, 1, 0},
    [ORA_FINDINGS] = {0, 0, 0, ALLROLES},
    [ORA_NOTIFICATIONS] = {0, 1, 0, BIT(ORA_AFFECTED) | BIT(ORA_CSIRT) | BIT(ORA_REGULATOR)},
    [ORA_INTERNAL] = {1, 0, 0, 0},
};

/* ---- section 3.1: forwarding by label ----------------------------------- */

enum bound {
    B_ANY,         /* no bound on the audience */
    B_OWN_CLIENTS, /* the forwarder's organisation and its clients */
    B_OWN,         /* the forwarder's organisation */
    B_NEVER
};

struct fwd_rule {
    int min_tlp;         /* the forward's label is at least this */
    int internal_exempt; /* ... or the forward is on `internal` */
    int bound;
};

static const struct fwd_rule fwd_rules[ORA_NTLP] = {
    [ORA_CLEAR] = {ORA_CLEAR, 0, B_ANY},         [ORA_GREEN] = {ORA_GREEN, 1, B_ANY},
    [ORA_AMBER] = {ORA_AMBER, 1, B_OWN_CLIENTS}, [ORA_AMBER_STRICT] = {ORA_AMBER_STRICT, 1, B_OWN},
    [ORA_RED] = {ORA_NTLP, 0, B_NEVER},
};

/* ---- names --------------------------------------------------------------- */

const char *
ora_channel_name(int ch) {
    static const char *const n[] = {"status", "coordination", "findings", "notifications",
                                    "internal"};
    return ch >= 0 && ch < ORA_NCHANNELS ? n[ch] : "?";
}

const char *
ora_tlp_name(int tlp) {
    static const char *const n[] = {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"};
    return tlp >= 0 && tlp < ORA_NTLP ? n[tlp] : "?";
}

const char *
ora_pap_name(int pap) {
    static const char *const n[] = {"CLEAR", "GREEN", "AMBER", "RED"};
    return pap >= 0 && pap < ORA_NPAP ? n[pap] : NULL;
}

const char *
ora_role_name(int role) {
    static const char *const n[] = {"affected", "ir_provider", "csirt", "regulator"};
    return role >= 0 && role < ORA_NROLES ? n[role] : "none";
}

const char *
ora_state_name(int state) {
    static const char *const n[] = {"open", "contained", "recovered", "closed"};
    return state >= 0 && state <= ORA_CLOSED ? n[state] : "?";
}

/* ---- who is what, now ----------------------------------------------------- */

int
ora_is_coord(const struct ora_incident *in, int p) {
    for (int i = 0; i < in->ncoords; i++) {
        if (in->coords[i] == p) {
            return 1;
        }
    }
    return 0;
}

static const struct ora_party *
party_of(const struct ora_roster *r, const struct ora_incident *in, int p) {
    const struct ora_party *pa = &in->party[r->parts[p].org];

    return pa->present ? pa : NULL;
}

int
ora_role_of(const struct ora_roster *r, const struct ora_incident *in, int p) {
    const struct ora_party *pa = party_of(r, in, p);

    return pa != NULL ? pa->role : -1;
}

int
ora_is_spoc(const struct ora_roster *r, const struct ora_incident *in, int p) {
    const struct ora_party *pa = party_of(r, in, p);

    return pa != NULL && pa->spoc == p;
}

int
ora_member(const struct ora_roster *r, const struct ora_incident *in, int p) {
    return in->exists && !r->parts[p].revoked &&
           (party_of(r, in, p) != NULL || ora_is_coord(in, p));
}

/* An entry of r's `to` names this organisation or participant. */
static int
in_to(const struct ora_record *rec, int type, int idx) {
    for (int i = 0; i < rec->nto; i++) {
        if (rec->to[i].type == type && rec->to[i].idx == idx) {
            return 1;
        }
    }
    return 0;
}

static int
part_in_list(const int *list, int n, int p) {
    for (int i = 0; i < n; i++) {
        if (list[i] == p) {
            return 1;
        }
    }
    return 0;
}

/* "Addressed" (section 2.1): P's organisation in `to` (CLEAR to
 * AMBER+STRICT), or P's id in `to` (RED). */
static int
addressed(const struct ora_roster *r, const struct ora_record *rec, int p) {
    return rec->tlp == ORA_RED ? in_to(rec, ORA_ID_PART, p)
                               : in_to(rec, ORA_ID_ORG, r->parts[p].org);
}

/* The first three checks of a publish (section 1) and of subscribe,
 * history and ack (section 2.4). */
static int
member_check(const struct ora_roster *r, const struct ora_incident *in, int p) {
    if (r->parts[p].revoked) {
        return IRBUS_EREVOKED;
    }
    if (!in->exists) {
        return IRBUS_ENOTFOUND;
    }
    return ora_member(r, in, p) ? 0 : IRBUS_ENOTMEMBER;
}

/* ---- section 1: publishing ------------------------------------------------ */

/* Section 1.1 for one class of actor. */
static int
cell_answer(int cell, const struct ora_party *pa) {
    switch (cell) {
    case YES:
        return 0;
    case SPOC:
        return pa->spoc >= 0 ? IRBUS_ENOTSPOC : IRBUS_ENOSPOC;
    case HAS_SPOC:
        return pa->spoc >= 0 ? 0 : IRBUS_ENOSPOC;
    default:
        return IRBUS_ECHANNEL;
    }
}

/* Rank of a denial: "the first of 303, 304, 302 that applies". */
static int
denial_rank(int code) {
    return code == IRBUS_ENOTSPOC ? 0 : code == IRBUS_ENOSPOC ? 1 : 2;
}

static int
channel_matrix(const struct ora_roster *r, const struct ora_incident *in, int p, int channel,
               int group) {
    const struct matrix_row *row = NULL;
    const struct ora_party *pa = party_of(r, in, p);
    int answers[2], n = 0, best;

    for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
        if (matrix[i].channel == channel && matrix[i].group == group) {
            row = &matrix[i];
        }
    }
    if (row == NULL) {
        return IRBUS_ECHANNEL; /* a kind group on a channel not listed for it */
    }
    if (ora_is_coord(in, p)) {
        answers[n++] = row->coord == YES ? 0 : IRBUS_ECHANNEL;
    }
    if (pa != NULL) {
        answers[n++] = pa->spoc == p ? cell_answer(row->spoc[pa->role], pa)
                                     : cell_answer(row->member[pa->role], pa);
    }
    best = n > 0 ? answers[0] : IRBUS_ECHANNEL;
    for (int i = 0; i < n; i++) {
        if (answers[i] == 0) {
            return 0; /* any class that may, may */
        }
        if (denial_rank(answers[i]) < denial_rank(best)) {
            best = answers[i];
        }
    }
    return best;
}

/* Section 1.2; for share.* (section 3.2): each entry a party or a member. */
static int
addressing(const struct ora_roster *r, const struct ora_incident *in, const struct ora_request *q) {
    for (int i = 0; i < q->nto; i++) {
        const struct ora_id *id = &q->to[i];
        int party = id->type == ORA_ID_ORG && in->party[id->idx].present;
        int member = id->type == ORA_ID_PART && ora_member(r, in, id->idx);
        int ok;

        if (q->cls == ORA_C_SHARE_REQUEST || q->cls == ORA_C_SHARE_GRANT) {
            ok = party || member;
        } else {
            ok = q->tlp == ORA_RED ? member : party;
        }
        if (!ok) {
            return IRBUS_EAUDIENCE;
        }
    }
    return 0;
}

/* The clients of an organisation (section 3.1): for ir_provider and csirt,
 * every party in role affected. */
static unsigned
clients_of(const struct ora_incident *in, int org) {
    unsigned m = 0;
    int role = in->party[org].present ? in->party[org].role : -1;

    if (role != ORA_IR_PROVIDER && role != ORA_CSIRT) {
        return 0;
    }
    for (int o = 0; o < ORA_MAX_ORGS; o++) {
        if (in->party[o].present && in->party[o].role == ORA_AFFECTED) {
            m |= BIT(o);
        }
    }
    return m;
}

static unsigned
parties_mask(const struct ora_incident *in) {
    unsigned m = 0;

    for (int o = 0; o < ORA_MAX_ORGS; o++) {
        if (in->party[o].present) {
            m |= BIT(o);
        }
    }
    return m;
}

/* Section 1.3 for AMBER: `to` plus the sender's organisation; an empty `to`
 * means every party at publish time. */
static unsigned
amber_audience(const struct ora_incident *in, const struct ora_id *to, int nto, int sender_org) {
    unsigned m = BIT(sender_org);

    if (nto == 0) {
        return m | parties_mask(in);
    }
    for (int i = 0; i < nto; i++) {
        if (to[i].type == ORA_ID_ORG) {
            m |= BIT(to[i].idx);
        }
    }
    return m;
}

static unsigned
orgs_of_to(const struct ora_roster *r, const struct ora_request *q, int type) {
    unsigned m = 0;

    for (int i = 0; i < q->nto; i++) {
        if (q->to[i].type == type) {
            m |= BIT(type == ORA_ID_ORG ? q->to[i].idx : r->parts[q->to[i].idx].org);
        }
    }
    return m;
}

/* Section 3.1, check 4 (the forwarder is not ref's sender). */
static int
forward_allowed(const struct ora_roster *r, const struct ora_incident *in,
                const struct ora_request *q) {
    const struct ora_record *ref = &in->rec[q->ref];
    const struct fwd_rule *rule = &fwd_rules[ref->tlp];
    int own = r->parts[q->sender].org, unbounded = 0, granted = 0;
    unsigned aud = 0, allowed = 0, g_orgs = 0;
    int g_parts[ORA_MAX_RECORDS * ORA_MAX_TO], ng = 0;

    /* The forward's audience organisations. */
    if (q->channel == ORA_INTERNAL) {
        aud = BIT(own);
    } else if (q->tlp == ORA_RED) {
        aud = orgs_of_to(r, q, ORA_ID_PART);
    } else if (q->tlp == ORA_AMBER_STRICT) {
        aud = orgs_of_to(r, q, ORA_ID_ORG);
    } else if (q->tlp == ORA_AMBER) {
        aud = amber_audience(in, q->to, q->nto, own);
    } else {
        unbounded = 1;
    }
    switch (rule->bound) {
    case B_ANY:
        /* CLEAR and GREEN: only the label order, outside `internal`; grants
         * do not change it ("a CLEAR forward of a GREEN record on a channel
         * other than internal [is] allowed only to ref's sender"). */
        return q->tlp >= rule->min_tlp || (rule->internal_exempt && q->channel == ORA_INTERNAL);
    case B_OWN_CLIENTS:
        allowed = BIT(own) | clients_of(in, own);
        break;
    case B_OWN:
        allowed = BIT(own);
        break;
    default:
        allowed = 0;
        break;
    }
    if (rule->bound != B_NEVER && !unbounded && (aud & ~allowed) == 0 &&
        (q->tlp >= rule->min_tlp || (rule->internal_exempt && q->channel == ORA_INTERNAL))) {
        return 1;
    }

    /* A grant for ref widens the table, "whatever the label order", for a
     * forward labelled AMBER or above or on `internal`. Reading: only once
     * some grant for ref exists; otherwise the label order of the table
     * would never bind an AMBER+STRICT record. */
    for (int i = 0; i < in->nrecords; i++) {
        const struct ora_record *g = &in->rec[i];
        if (g->cls != ORA_C_SHARE_GRANT || g->ref != q->ref) {
            continue;
        }
        granted = 1;
        for (int k = 0; k < g->nto; k++) {
            if (g->to[k].type == ORA_ID_ORG) {
                g_orgs |= BIT(g->to[k].idx);
            } else if (g->to[k].type == ORA_ID_PART) {
                g_parts[ng++] = g->to[k].idx;
            }
        }
    }
    if ((!granted && r->forward_reading == ORA_FORWARD_GRANTS_WIDEN) || unbounded ||
        (q->tlp < ORA_AMBER && q->channel != ORA_INTERNAL)) {
        return 0;
    }
    if (q->tlp == ORA_RED) {
        /* Reading: for RED the audience is checked participant by
         * participant ("every participant in `to` belongs to such an
         * organisation or is named in a grant"), so that naming a
         * participant in a grant counts even when its organisation is
         * neither allowed nor granted. */
        for (int i = 0; i < q->nto; i++) {
            int p = q->to[i].idx;
            if (q->to[i].type == ORA_ID_PART && !(BIT(r->parts[p].org) & (allowed | g_orgs)) &&
                !part_in_list(g_parts, ng, p)) {
                return 0;
            }
        }
        return q->channel != ORA_INTERNAL || (BIT(own) & (allowed | g_orgs)) != 0;
    }
    return (aud & ~(allowed | g_orgs)) == 0;
}

int
ora_publish(const struct ora_roster *r, const struct ora_incident *in,
            const struct ora_request *q) {
    int p = q->sender, rc;

    if ((rc = member_check(r, in, p)) != 0) {
        return rc;
    }
    if (in->state == ORA_CLOSED) {
        return IRBUS_ECLOSED;
    }
    if (q->cls == ORA_C_MESSAGE || q->cls == ORA_C_FORWARD) {
        /* A forward is checked as a `msg` on its channel. */
        int group = q->cls == ORA_C_FORWARD ? ORA_G_MSG : q->group;
        if ((rc = channel_matrix(r, in, p, q->channel, group)) != 0) {
            return rc;
        }
    }
    if ((rc = addressing(r, in, q)) != 0) {
        return rc;
    }
    if (q->cls == ORA_C_MESSAGE) {
        return 0;
    }
    /* Section 3.1, checks 1-3: the same answer whether ref does not exist
     * or may not be seen. */
    if (q->ref < 0 || !ora_may_see(r, in, p, q->ref)) {
        return IRBUS_ENOTFOUND;
    }
    if (in->rec[q->ref].cls != ORA_C_MESSAGE || !q->hash_ok) {
        return IRBUS_EVALUE;
    }
    if (q->cls == ORA_C_FORWARD && p != in->rec[q->ref].sender && !forward_allowed(r, in, q)) {
        return IRBUS_EFORWARD;
    }
    if (q->cls == ORA_C_SHARE_GRANT && p != in->rec[q->ref].sender) {
        return IRBUS_EGRANT;
    }
    return 0;
}

static int
stricter_pap(int a, int b) {
    return a > b ? a : b; /* ORA_PAP_NONE (-1) is below CLEAR */
}

/* Section 1.3: the audience of a label, fixed at publish. */
static void
resolve_audience(const struct ora_incident *in, struct ora_record *rec) {
    rec->aud_orgs = 0;
    rec->naud_parts = 0;
    if (rec->tlp == ORA_AMBER) {
        rec->aud_orgs = amber_audience(in, rec->to, rec->nto, rec->sender_org);
    } else if (rec->tlp == ORA_AMBER_STRICT) {
        for (int i = 0; i < rec->nto; i++) {
            if (rec->to[i].type == ORA_ID_ORG) {
                rec->aud_orgs |= 1u << rec->to[i].idx;
            }
        }
    } else if (rec->tlp == ORA_RED) {
        for (int i = 0; i < rec->nto; i++) {
            if (rec->to[i].type == ORA_ID_PART) {
                rec->aud_parts[rec->naud_parts++] = rec->to[i].idx;
            }
        }
    }
}

static struct ora_record *
new_record(const struct ora_roster *r, struct ora_incident *in, int cls, int sender, uint64_t seq) {
    struct ora_record *rec;

    if (in->nrecords >= ORA_MAX_RECORDS) {
        return NULL;
    }
    rec = &in->rec[in->nrecords++];
    *rec = (struct ora_record){0};
    rec->seq = seq;
    rec->cls = cls;
    rec->sender = sender;
    rec->sender_org = r->parts[sender].org;
    rec->pap = ORA_PAP_NONE;
    rec->ref = -1;
    return rec;
}

void
ora_store(const struct ora_roster *r, struct ora_incident *in, const struct ora_request *q,
          uint64_t seq) {
    struct ora_record *rec = new_record(r, in, q->cls, q->sender, seq);
    const struct ora_record *ref;

    if (rec == NULL) {
        return;
    }
    rec->group = q->group;
    rec->nto = q->nto;
    for (int i = 0; i < q->nto; i++) {
        rec->to[i] = q->to[i];
    }
    ref = q->ref >= 0 && q->cls != ORA_C_MESSAGE ? &in->rec[q->ref] : NULL;
    rec->ref = ref != NULL ? q->ref : -1;
    switch (q->cls) {
    case ORA_C_SHARE_REQUEST:
        /* RED on ref's channel, audience {ref's sender}. */
        rec->channel = ref != NULL ? ref->channel : ORA_STATUS;
        rec->tlp = ORA_RED;
        if (ref != NULL) {
            rec->aud_parts[rec->naud_parts++] = ref->sender;
        }
        return;
    case ORA_C_SHARE_GRANT:
        /* ref's channel, label, PAP and audience. */
        if (ref != NULL) {
            rec->channel = ref->channel;
            rec->tlp = ref->tlp;
            rec->pap = ref->pap;
            rec->aud_orgs = ref->aud_orgs;
            rec->naud_parts = ref->naud_parts;
            for (int i = 0; i < ref->naud_parts; i++) {
                rec->aud_parts[i] = ref->aud_parts[i];
            }
        }
        return;
    default:
        rec->channel = q->channel;
        rec->tlp = q->tlp;
        rec->pap = ref != NULL ? stricter_pap(q->pap, ref->pap) : q->pap;
        resolve_audience(in, rec);
        return;
    }
}

/* ---- section 4: incident commands ---------------------------------------- */

static int
valid_spoc(const struct ora_roster *r, int spoc, int org) {
    return spoc >= 0 && r->parts[spoc].org == org && !r->parts[spoc].revoked;
}

/* A new SPOC or coordinator: 400 for an id that is no participant at all,
 * and for coord.add a revoked one; 309 for a SPOC of another organisation
 * or revoked. */
static int
new_spoc(const struct ora_roster *r, int spoc, int org) {
    if (spoc == ORA_NOBODY) {
        return IRBUS_ENOTFOUND;
    }
    return valid_spoc(r, spoc, org) ? 0 : IRBUS_EHANDOVER;
}

/* Section 4: who may send the command (308; 309 for a handover). */
static int
command_sender(const struct ora_incident *in, const struct ora_command *c) {
    if (ora_is_coord(in, c->sender)) {
        return 0;
    }
    if (c->type == ORA_CMD_HANDOVER) {
        return in->party[c->org].present && in->party[c->org].spoc == c->sender ? 0
                                                                                : IRBUS_EHANDOVER;
    }
    return IRBUS_ECOORD;
}

/* What the command names must exist, or not yet (400, 401); a new SPOC must
 * be an unrevoked participant of the organisation (309); a state only moves
 * forward (402). Reading: the text lists these codes without an order; an
 * organisation that is not a party (handover) or already one (party.add)
 * is answered before its SPOC is looked at. */
static int
command_target(const struct ora_roster *r, const struct ora_incident *in,
               const struct ora_command *c) {
    switch (c->type) {
    case ORA_CMD_PARTY_ADD:
        if (in->party[c->org].present) {
            return IRBUS_EEXIST;
        }
        return c->spoc == -1 ? 0 : new_spoc(r, c->spoc, c->org);
    case ORA_CMD_HANDOVER:
        if (!in->party[c->org].present) {
            return IRBUS_ENOTFOUND;
        }
        return new_spoc(r, c->spoc, c->org);
    case ORA_CMD_PARTY_REMOVE:
        return in->party[c->org].present ? 0 : IRBUS_ENOTFOUND;
    case ORA_CMD_COORD_ADD:
        if (c->participant == ORA_NOBODY || r->parts[c->participant].revoked) {
            return IRBUS_ENOTFOUND;
        }
        return ora_is_coord(in, c->participant) ? IRBUS_EEXIST : 0;
    case ORA_CMD_STATE_SET:
        return c->state > in->state ? 0 : IRBUS_ESTATE;
    default:
        return IRBUS_EINVAL;
    }
}

/* Section 4's order: the sender's key (205), the incident (400), who sends
 * it (308, 309), then the incident's state: closed (402) before what the
 * command names. */
int
ora_command(const struct ora_roster *r, const struct ora_incident *in,
            const struct ora_command *c) {
    int rc;

    if (r->parts[c->sender].revoked) {
        return IRBUS_EREVOKED;
    }
    if (c->type == ORA_CMD_OPEN) {
        return in->exists ? IRBUS_EEXIST : 0;
    }
    if (!in->exists) {
        return IRBUS_ENOTFOUND;
    }
    if ((rc = command_sender(in, c)) != 0) {
        return rc;
    }
    if (in->state == ORA_CLOSED) {
        return IRBUS_ESTATE;
    }
    return command_target(r, in, c);
}

void
ora_apply(const struct ora_roster *r, struct ora_incident *in, const struct ora_command *c,
          uint64_t seq) {
    struct ora_record *rec;

    switch (c->type) {
    case ORA_CMD_OPEN:
        *in = (struct ora_incident){0};
        in->exists = 1;
        in->state = ORA_OPEN;
        in->coords[in->ncoords++] = c->sender;
        break;
    case ORA_CMD_PARTY_ADD:
        in->party[c->org] = (struct ora_party){1, c->role, c->spoc};
        break;
    case ORA_CMD_PARTY_REMOVE:
        in->party[c->org] = (struct ora_party){0, 0, -1};
        break;
    case ORA_CMD_HANDOVER:
        in->party[c->org].spoc = c->spoc;
        break;
    case ORA_CMD_COORD_ADD:
        if (in->ncoords < ORA_MAX_COORDS) {
            in->coords[in->ncoords++] = c->participant;
        }
        break;
    case ORA_CMD_STATE_SET:
        in->state = c->state;
        break;
    default:
        return;
    }
    /* Every command is a record on `status`, GREEN (section 2.1). */
    rec = new_record(r, in, ORA_C_COMMAND, c->sender, seq);
    if (rec != NULL) {
        rec->cmd = c->type;
        rec->channel = ORA_STATUS;
        rec->tlp = ORA_GREEN;
    }
}

/* ---- section 2: reading -------------------------------------------------- */

unsigned
ora_readable(const struct ora_roster *r, const struct ora_incident *in, int p) {
    int coord = ora_is_coord(in, p), spoc = ora_is_spoc(r, in, p), role = ora_role_of(r, in, p);
    unsigned m = 0;

    if (!ora_member(r, in, p)) {
        return 0;
    }
    for (int ch = 0; ch < ORA_NCHANNELS; ch++) {
        const struct sub_rule *s = &sub_rules[ch];
        if (s->everyone || (s->coord && coord) || (s->spoc && spoc) ||
            (role >= 0 && (s->roles & BIT(role)))) {
            m |= BIT(ch);
        }
    }
    return m;
}

int
ora_read_check(const struct ora_roster *r, const struct ora_incident *in, int p, unsigned mask) {
    int rc = member_check(r, in, p);

    if (rc != 0) {
        return rc;
    }
    return (mask & ~ora_readable(r, in, p)) == 0 ? 0 : IRBUS_ECHANNEL;
}

static int
channel_read(const struct ora_roster *r, const struct ora_incident *in, int p,
             const struct ora_record *rec) {
    const struct read_rule *rule = &read_rules[rec->channel];
    int role = ora_role_of(r, in, p);

    if (rule->everyone || (rule->coord && ora_is_coord(in, p))) {
        return 1;
    }
    if (role >= 0 && (rule->roles & BIT(role))) {
        return 1;
    }
    if (role >= 0 && (rule->roles_addressed & BIT(role)) && addressed(r, rec, p)) {
        return 1;
    }
    if (rule->spoc_for_organisation && ora_is_spoc(r, in, p) &&
        (rec->nto == 0 || addressed(r, rec, p) || rec->sender_org == r->parts[p].org)) {
        return 1;
    }
    return rule->sender_organisation && rec->sender_org == r->parts[p].org;
}

static int
label_allows(const struct ora_roster *r, const struct ora_record *rec, int p) {
    switch (rec->tlp) {
    case ORA_AMBER:
    case ORA_AMBER_STRICT:
        return (rec->aud_orgs & BIT(r->parts[p].org)) != 0;
    case ORA_RED:
        return part_in_list(rec->aud_parts, rec->naud_parts, p);
    default:
        return 1;
    }
}

static int
pap_allows(const struct ora_part *pt, const struct ora_record *rec) {
    int max = pt->max_pap == ORA_PAP_NONE ? ORA_PAP_CLEAR : pt->max_pap;
    int pap = rec->pap == ORA_PAP_NONE ? ORA_PAP_CLEAR : rec->pap;

    return !pt->automated || pap <= max;
}

/* Section 2 without the "through a forward" clause. */
static int
sees_directly(const struct ora_roster *r, const struct ora_incident *in, int p, int i) {
    const struct ora_record *rec = &in->rec[i];

    if (!ora_member(r, in, p)) {
        return 0;
    }
    if (p == rec->sender) {
        return 1;
    }
    if (rec->cls == ORA_C_SHARE_REQUEST && r->request_reading == ORA_REQUEST_AS_SAID) {
        /* "seen by the requester and ref's sender" */
        return rec->ref >= 0 && p == in->rec[rec->ref].sender;
    }
    if (rec->cls == ORA_C_SHARE_REQUEST && r->request_reading == ORA_REQUEST_RED_TO_SENDER) {
        struct ora_record red = *rec;
        red.nto = rec->ref >= 0;
        red.to[0] = (struct ora_id){ORA_ID_PART, rec->ref >= 0 ? in->rec[rec->ref].sender : 0};
        return channel_read(r, in, p, &red) && label_allows(r, &red, p) &&
               pap_allows(&r->parts[p], &red);
    }
    if (rec->cls == ORA_C_SHARE_GRANT && r->grant_reading == ORA_GRANT_WITH_REF) {
        /* "seen by whoever may see ref" */
        return rec->ref >= 0 && ora_may_see(r, in, p, rec->ref);
    }
    if (rec->cls == ORA_C_SHARE_GRANT && r->grant_reading == ORA_GRANT_AS_REF) {
        return rec->ref >= 0 && sees_directly(r, in, p, rec->ref);
    }
    return channel_read(r, in, p, rec) && label_allows(r, rec, p) && pap_allows(&r->parts[p], rec);
}

int
ora_may_see(const struct ora_roster *r, const struct ora_incident *in, int p, int i) {
    if (sees_directly(r, in, p, i)) {
        return 1;
    }
    for (int f = i + 1; f < in->nrecords; f++) {
        if (in->rec[f].cls == ORA_C_FORWARD && in->rec[f].ref == i && sees_directly(r, in, p, f)) {
            return 1;
        }
    }
    return 0;
}

int
ora_in_view(const struct ora_roster *r, const struct ora_incident *in, int p, int i,
            unsigned mask) {
    if ((mask & BIT(in->rec[i].channel)) && sees_directly(r, in, p, i)) {
        return 1;
    }
    for (int f = i + 1; f < in->nrecords; f++) {
        const struct ora_record *fw = &in->rec[f];
        if (fw->cls == ORA_C_FORWARD && fw->ref == i && (mask & BIT(fw->channel)) &&
            sees_directly(r, in, p, f)) {
            return 1;
        }
    }
    return 0;
}
