/*
 * 55-oracle.c - the policy (schema/policy.md) checked against an
 * independent model of it (oracle.c) on random incidents run through the
 * real irbusd.
 *
 * A shared roster is created once: organisations of every kind, each with
 * two people and some with an automated participant (random max_pap). Each
 * trial then opens its own incident and plays a random script against it:
 * parties with random roles and SPOCs, extra coordinators, participants
 * beyond the shared roster (lent from a pool, some automated, some revoked
 * during the trial), SPOC handovers, late-joining and removed parties,
 * publishes of every kind group on every channel with every TLP and PAP
 * label and valid and invalid `to` lists, forwards, share requests and
 * grants, state changes up to closed, and subscriptions opened early.
 * Every answer must be the oracle's code. At the end of the trial every
 * participant that was ever concerned reads the whole incident with
 * irbus_history over every channel it may read (and sometimes over some of
 * them), and the set of sequences must be the oracle's; a channel it may
 * not read must be refused with the oracle's code, and so must an ack; and
 * each early subscriber must have received live exactly the records the
 * oracle let it see when they were stored, and, if it stopped being a
 * member, one report that its subscription ended, with the reason.
 *
 * Before the trials: the oracle against the policy's own sentences
 * (oracle_selftest.c), and a check that a subscription the broker ended
 * gives its place back.
 *
 * A trial that disagrees is replayed on fresh incidents with actions left
 * out, as long as it still disagrees, and the smallest script is printed
 * with what was expected and what came back.
 *
 * Usage: 55-oracle IRBUSD [TRIALS]
 * Environment: IRB_ORACLE_SEED (default: from the clock), IRB_ORACLE_TRIALS
 * (default 10000), IRB_ORACLE_SECONDS (stop early after this long),
 * IRB_ORACLE_TRIAL (run only this trial of the seed), IRB_ORACLE_VERBOSE
 * (print every trial's script), IRB_ORACLE_SHRINK (how many failing trials
 * to shrink, default 3), IRB_ORACLE_READINGS (where the policy can be read
 * two ways, which reading: "grant=as-ref|with-ref|as-stored,
 * request=as-said|as-stored|red-to-sender,forward=grants-widen|always-wide",
 * see oracle.h).
 */
#include "check.h"
#include "harness.h"
#include "oracle.h"
#include "oracle_selftest.h"

#include "irbus.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC_NUMBER 0x01021994
#define MAX_PARTS          48 /* shared participants plus a trial's fresh ones */
#define MAX_FRESH          3
#define POOL_MAX           160
#define MAX_ACTS           48
#define MAX_SUBS           6
#define MAX_SEEN           ORA_MAX_RECORDS
#define MAX_DELIV          (MAX_SUBS * MAX_SEEN)
#define NO_SUCH_SEQ        ((uint64_t)1 << 40)
#define LOG_CAP            32768
#define FRESH_SLOT(k)      (w.nshared + (k))

/* ---- the pseudo-random generator: xoshiro256** seeded by splitmix64 ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);

    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&x);
    }
}

static uint64_t
rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r) {
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in 0..n-1 (n > 0). */
static int
rnd(struct rng *r, int n) {
    return (int)((rng_next(r) >> 11) % (uint64_t)n);
}

static int
chance(struct rng *r, int percent) {
    return rnd(r, 100) < percent;
}

/* ---- the shared roster ---------------------------------------------------- */

static const struct {
    const char *id;
    int kind;
} org_table[] = {
    {"ent1", ORA_ENTITY},           {"ent2", ORA_ENTITY},           {"ent3", ORA_ENTITY},
    {"irp1", ORA_KIND_IR_PROVIDER}, {"irp2", ORA_KIND_IR_PROVIDER}, {"cst1", ORA_KIND_CSIRT},
    {"cst2", ORA_KIND_CSIRT},       {"reg1", ORA_KIND_REGULATOR},   {"reg2", ORA_KIND_REGULATOR},
};
#define NORGS ((int)(sizeof org_table / sizeof org_table[0]))

static const char *const kind_names[] = {"entity", "ir_provider", "csirt", "regulator"};
static const char *const stage_kinds[] = {
    "nis2.early_warning", "nis2.notification", "nis2.intermediate", "nis2.progress",
    "nis2.final",         "dora.initial",      "dora.intermediate", "dora.final"};
static const char *const request_kinds[] = {"report.request", "feedback"};
static const char *const ccv_kinds[] = {"ccv.confirmation", "ccv.triage"};

struct totals {
    unsigned long trials, requests, pairs, disagreements, failing_trials, replays;
    unsigned long zap_refusals; /* first connections of new participants the broker refused */
    unsigned long revoked_at_handshake;  /* a revoked key's request that got no answer */
    unsigned long live_subs, ended_subs; /* live subscriptions checked; of them, ended */
    unsigned long granted_forwards;      /* forwards that only a grant allowed */
};

/* A participant beyond the shared roster, lent to one trial at a time. */
struct extra {
    struct ora_part part;
    irbus_key *key;
    irbus_client *cl;
    int in_use;
};

/* Everything that lives for the whole run. */
static struct {
    struct broker br;
    uint64_t seed;
    irbus_key *opkey;
    irbus_client *op;
    struct ora_part parts[MAX_PARTS];
    struct ora_roster roster;
    irbus_key *keys[MAX_PARTS];
    irbus_client *cl[MAX_PARTS];
    int nshared;
    unsigned long nfresh_made; /* extra participants created so far, for unique ids */
    struct extra pool[POOL_MAX];
    int npool;
    unsigned long nincidents; /* incidents opened so far, for unique ids */
    int verbose;
    unsigned long answers[1000]; /* how often the oracle expected each code */
    unsigned long shrink;        /* how many failing trials to shrink */
    struct totals t;
} w;

/* ---- one trial ------------------------------------------------------------ */

enum act_type {
    A_FRESH,
    A_COMMAND,
    A_REVOKE,
    A_SUBSCRIBE,
    A_REQUEST,
    A_GHOST_INCIDENT /* a publish to an incident that does not exist */
};

/* One step of a trial's script. Participants are model indices (fresh ones
 * are slots after the shared roster); the record a forward or share refers
 * to is named by the action that stored it, so that a script stays
 * meaningful when actions are left out of it. */
struct act {
    int type;
    struct ora_command cmd;
    struct ora_request req; /* req.ref: index of the action that stored it, -1: none */
    int kind_idx;           /* which stage, request or ccv kind */
    int bad_hash;
    int fresh_slot, fresh_org, fresh_automated, fresh_max_pap; /* A_FRESH */
    int who;                                                   /* A_REVOKE, A_SUBSCRIBE */
    unsigned mask;                                             /* A_SUBSCRIBE */
};

struct sub {
    int p;
    unsigned mask;
    uint64_t id;
    int active;
    int end_code; /* once ended: IRBUS_ENOTMEMBER, or IRBUS_EREVOKED for a revoked key */
    int nmust, nmay;
    uint64_t must[MAX_SEEN], may[MAX_SEEN];
};

struct trial {
    unsigned long number;
    struct rng rng;
    int replaying;
    char incident[32];
    struct ora_incident in;
    struct act acts[MAX_ACTS];
    int nacts;
    int skip[MAX_ACTS]; /* replays: actions left out */
    int act_rec[MAX_ACTS];
    int fresh_made[MAX_FRESH];
    int fresh_pool[MAX_FRESH]; /* the pool entry lent to each slot */
    uint8_t digest[ORA_MAX_RECORDS][32];
    int has_digest[ORA_MAX_RECORDS];
    struct sub subs[MAX_SUBS];
    int nsubs;
    int ndeliv; /* what the subscribers' clients were delivered, in order */
    uint64_t deliv_sub[MAX_DELIV], deliv_seq[MAX_DELIV]; /* seq 0: the subscription ended */
    int deliv_code[MAX_DELIV];                           /* why it ended */
    int concerned[MAX_PARTS];                            /* participants the final checks read as */
    char log[LOG_CAP];
    size_t loglen;
    int disagreements;
    const char *tag;    /* what is being checked, for the signature of a disagreement */
    char first_sig[96]; /* the signature of the first disagreement */
    const char *target; /* shrinking: the signature that must persist */
    int target_seen;
    unsigned long requests, pairs;
};

static void logf_(struct trial *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(struct trial *t, const char *fmt, ...) {
    va_list ap;
    int n;

    if (t->loglen >= LOG_CAP - 1) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(t->log + t->loglen, LOG_CAP - t->loglen, fmt, ap);
    va_end(ap);
    if (n > 0) {
        t->loglen += (size_t)n < LOG_CAP - t->loglen ? (size_t)n : LOG_CAP - 1 - t->loglen;
    }
}

/* End a subscription that the broker may already have ended. */
static void
unsubscribe_quietly(irbus_client *c, uint64_t sub) {
    int rc = irbus_unsubscribe(c, sub);

    (void)rc;
}

static const char *
pid(int p) {
    return p == ORA_NOBODY ? "nobody@nowhere" : w.parts[p].id;
}

static const char *
code_name(int rc) {
    static char buf[8][128];
    static int next;
    char *b = buf[next++ % 8];

    if (rc == 0) {
        return "ok";
    }
    snprintf(b, sizeof buf[0], "%d (%s)", -rc, irbus_strerror(rc));
    return b;
}

/* What p is in the incident now, for the account. */
static const char *
describe(const struct trial *t, int p) {
    static char buf[4][160];
    static int next;
    char *b = buf[next++ % 4];
    const struct ora_part *pt;
    int role;
    size_t n;

    if (p == ORA_NOBODY) {
        return "nobody@nowhere [no participant]";
    }
    pt = &w.parts[p];
    role = ora_role_of(&w.roster, &t->in, p);

    n = (size_t)snprintf(b, sizeof buf[0], "%s", pt->id);
    if (pt->revoked) {
        n += (size_t)snprintf(b + n, sizeof buf[0] - n, " [revoked]");
    } else if (!ora_member(&w.roster, &t->in, p)) {
        n += (size_t)snprintf(b + n, sizeof buf[0] - n, " [not a member]");
    } else {
        n += (size_t)snprintf(b + n, sizeof buf[0] - n, " [%s%s%s%s]",
                              ora_is_coord(&t->in, p) ? "coord" : "",
                              ora_is_coord(&t->in, p) && role >= 0 ? ", " : "",
                              role < 0                            ? ""
                              : ora_is_spoc(&w.roster, &t->in, p) ? "spoc "
                                                                  : "member ",
                              role >= 0 ? ora_role_name(role) : "");
    }
    if (pt->automated) {
        snprintf(b + n, sizeof buf[0] - n, " automated max_pap=%s",
                 pt->max_pap == ORA_PAP_NONE ? "(none)" : ora_pap_name(pt->max_pap));
    }
    return b;
}

static const char *
id_name(const struct ora_id *id) {
    return id->type == ORA_ID_ORG    ? org_table[id->idx].id
           : id->type == ORA_ID_PART ? w.parts[id->idx].id
                                     : "ghost@nowhere";
}

static void
format_to(const struct ora_id *to, int nto, char *out, size_t cap) {
    size_t n = (size_t)snprintf(out, cap, "[");

    for (int i = 0; i < nto && n < cap; i++) {
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", id_name(&to[i]));
    }
    if (n < cap) {
        snprintf(out + n, cap - n, "]");
    }
}

static void
channels_string(unsigned mask, char *out, size_t cap) {
    size_t n = 0;

    out[0] = 0;
    for (int ch = 0; ch < ORA_NCHANNELS && n < cap; ch++) {
        if (mask & (1u << ch)) {
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", ora_channel_name(ch));
        }
    }
}

/* Count a disagreement; its signature (what was checked, what was expected
 * and what came back) lets shrinking keep the same one. */
static void
disagree(struct trial *t, int want, int got) {
    char sig[96];

    snprintf(sig, sizeof sig, "%s %d %d", t->tag, want, got);
    t->disagreements++;
    if (t->first_sig[0] == 0) {
        snprintf(t->first_sig, sizeof t->first_sig, "%s", sig);
    }
    if (t->target != NULL && strcmp(sig, t->target) == 0) {
        t->target_seen = 1;
    }
}

/* Compare an answer with the oracle's; seq: the record stored, if any. */
static int
expect_stored(struct trial *t, int want, int got, uint64_t seq) {
    char stored[32] = "";

    t->requests++;
    w.answers[-want < 1000 && want <= 0 ? -want : 999]++;
    if (got == 0 && seq != 0) {
        snprintf(stored, sizeof stored, ", seq %llu", (unsigned long long)seq);
    }
    if (want == got) {
        logf_(t, " -> %s%s\n", code_name(got), stored);
        return 1;
    }
    if (want == IRBUS_EREVOKED && got == IRBUS_ETIMEOUT) {
        /* Also a refusal (protocol.md section 11): an open connection of a
         * revoked key is answered 205, but should its connection have been
         * made again (libzmq reconnects by itself, e.g. after heartbeats
         * were missed on a loaded machine), ZAP refuses the handshake and
         * the request is never answered. 10-security and 52-leak check 205
         * on an open connection. */
        w.t.revoked_at_handshake++;
        logf_(t, " -> %s (a revoked key, refused at the handshake)\n", code_name(got));
        return 1;
    }
    disagree(t, want, got);
    logf_(t, " -> expected %s, got %s%s   <== DISAGREE\n", code_name(want), code_name(got), stored);
    return 0;
}

static int
expect(struct trial *t, int want, int got) {
    return expect_stored(t, want, got, 0);
}

/* Live expectations after record i was stored (section 2.4: re-checked at
 * delivery, which is now). member_before: for a command, who was a member
 * before it; a subscriber it removes may or may not get it. */
static void
note_live(struct trial *t, int i, const int *member_before) {
    for (int s = 0; s < t->nsubs; s++) {
        struct sub *sb = &t->subs[s];
        if (!sb->active) {
            continue;
        }
        if (ora_in_view(&w.roster, &t->in, sb->p, i, sb->mask)) {
            sb->must[sb->nmust++] = t->in.rec[i].seq;
        } else if (member_before != NULL && member_before[sb->p] &&
                   !ora_member(&w.roster, &t->in, sb->p)) {
            sb->may[sb->nmay++] = t->in.rec[i].seq;
        }
    }
}

/* A subscription ends when its participant stops being a member. */
static void
end_subscriptions(struct trial *t) {
    for (int s = 0; s < t->nsubs; s++) {
        if (t->subs[s].active && !ora_member(&w.roster, &t->in, t->subs[s].p)) {
            t->subs[s].active = 0;
            t->subs[s].end_code = w.parts[t->subs[s].p].revoked ? IRBUS_EREVOKED : IRBUS_ENOTMEMBER;
        }
    }
}

/* The envelope digest of message record i, read back by its sender. */
static void
fetch_digest(struct trial *t, int i) {
    const struct ora_record *rec = &t->in.rec[i];
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next;

    if (irbus_history(w.cl[rec->sender], t->incident, ora_channel_name(rec->channel), rec->seq,
                      rec->seq, 1, &msgs, &n, &next) != 0) {
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (msgs[k]->seq == rec->seq) {
            irbus_message_digest(msgs[k], t->digest[i]);
            t->has_digest[i] = 1;
        }
        irbus_message_destroy(&msgs[k]);
    }
    free(msgs);
}

static int
ids_of(const struct ora_id *to, int nto, const char *out[ORA_MAX_TO]) {
    for (int i = 0; i < nto; i++) {
        out[i] = id_name(&to[i]);
    }
    return nto;
}

static const char *
kind_of(const struct act *a) {
    switch (a->req.group) {
    case ORA_G_STAGE:
        return stage_kinds[a->kind_idx % 8];
    case ORA_G_REQUEST:
        return request_kinds[a->kind_idx % 2];
    case ORA_G_CCV:
        return ccv_kinds[a->kind_idx % 2];
    default:
        return "msg";
    }
}

/* Count the forwards that only a grant allows: the same forward with the
 * grants for its ref hidden from the oracle would be refused. */
static void
note_grant_use(const struct trial *t, const struct ora_request *q) {
    static struct ora_incident without;
    int grants = 0;

    without = t->in;
    for (int i = 0; i < without.nrecords; i++) {
        if (without.rec[i].cls == ORA_C_SHARE_GRANT && without.rec[i].ref == q->ref) {
            without.rec[i].ref = -1;
            grants++;
        }
    }
    if (grants > 0 && ora_publish(&w.roster, &without, q) == IRBUS_EFORWARD) {
        w.t.granted_forwards++;
    }
}

static void
run_request(struct trial *t, int ai) {
    struct act *a = &t->acts[ai];
    struct ora_request q = a->req;
    struct irbus_receipt r;
    const char *to[ORA_MAX_TO];
    char tos[400], payload[64];
    uint8_t hash[32];
    uint64_t refseq = NO_SUCH_SEQ;
    int want, got, nto = ids_of(q.to, q.nto, to), rec_idx = -1;
    irbus_client *c = w.cl[q.sender];
    static const char *const cls_names[] = {"publish", "", "forward", "share.request",
                                            "share.grant"};

    /* The action's ref names an action; the model's, a record. */
    if (q.cls != ORA_C_MESSAGE) {
        q.ref = a->req.ref >= 0 && !t->skip[a->req.ref] ? t->act_rec[a->req.ref] : -1;
        if (q.ref >= 0) {
            refseq = t->in.rec[q.ref].seq;
            if (t->has_digest[q.ref] && !a->bad_hash) {
                memcpy(hash, t->digest[q.ref], 32);
            } else {
                memset(hash, 0x5a, sizeof hash);
            }
        } else {
            memset(hash, 0x5a, sizeof hash);
        }
        q.hash_ok = q.ref >= 0 && t->has_digest[q.ref] && !a->bad_hash;
    }
    format_to(q.to, q.nto, tos, sizeof tos);
    logf_(t, "  #%-2d %s by %s", ai, cls_names[q.cls], describe(t, q.sender));
    if (q.cls == ORA_C_MESSAGE) {
        logf_(t, ": %s %s %s pap=%s to=%s", ora_channel_name(q.channel), kind_of(a),
              ora_tlp_name(q.tlp), q.pap == ORA_PAP_NONE ? "-" : ora_pap_name(q.pap), tos);
    } else {
        if (q.ref >= 0) {
            const struct ora_record *ref = &t->in.rec[q.ref];
            logf_(t, " of seq %llu (%s on %s %s by %s%s)", (unsigned long long)refseq,
                  ref->cls == ORA_C_MESSAGE   ? "message"
                  : ref->cls == ORA_C_COMMAND ? "command"
                  : ref->cls == ORA_C_FORWARD ? "forward"
                                              : "share",
                  ora_channel_name(ref->channel), ora_tlp_name(ref->tlp), pid(ref->sender),
                  q.hash_ok ? "" : ", wrong hash");
        } else {
            logf_(t, " of seq %llu (no such record)", (unsigned long long)refseq);
        }
        if (q.cls == ORA_C_FORWARD) {
            logf_(t, ": %s %s pap=%s", ora_channel_name(q.channel), ora_tlp_name(q.tlp),
                  q.pap == ORA_PAP_NONE ? "-" : ora_pap_name(q.pap));
        }
        logf_(t, " to=%s", tos);
    }
    t->tag = cls_names[q.cls];
    want = ora_publish(&w.roster, &t->in, &q);
    if (q.cls == ORA_C_FORWARD && want == 0) {
        note_grant_use(t, &q);
    }
    snprintf(payload, sizeof payload, "trial %lu action %d", t->number, ai);
    memset(&r, 0, sizeof r);
    switch (q.cls) {
    case ORA_C_MESSAGE: {
        struct irbus_publish m = {t->incident,
                                  ora_channel_name(q.channel),
                                  ora_tlp_name(q.tlp),
                                  ora_pap_name(q.pap),
                                  q.group == ORA_G_MSG ? NULL : kind_of(a),
                                  to,
                                  (size_t)nto,
                                  "text/plain",
                                  payload,
                                  strlen(payload)};
        got = irbus_publish(c, &m, &r);
        break;
    }
    case ORA_C_FORWARD: {
        struct irbus_forward f = {t->incident,
                                  refseq,
                                  hash,
                                  ora_channel_name(q.channel),
                                  ora_tlp_name(q.tlp),
                                  ora_pap_name(q.pap),
                                  to,
                                  (size_t)nto};
        got = irbus_forward(c, &f, &r);
        break;
    }
    case ORA_C_SHARE_REQUEST:
        got = irbus_share_request(c, t->incident, refseq, hash, to, (size_t)nto, &r);
        break;
    default:
        got = irbus_share_grant(c, t->incident, refseq, hash, to, (size_t)nto, &r);
        break;
    }
    expect_stored(t, want, got, r.seq);
    if (got == 0) {
        /* The model follows the broker, so that one disagreement does not
         * turn into many. */
        ora_store(&w.roster, &t->in, &q, r.seq);
        rec_idx = t->in.nrecords - 1;
        t->act_rec[ai] = rec_idx;
        if (q.cls == ORA_C_MESSAGE) {
            fetch_digest(t, rec_idx);
        }
        note_live(t, rec_idx, NULL);
    }
}

static int
run_command_call(struct trial *t, const struct ora_command *c, struct irbus_receipt *r) {
    irbus_client *cl = w.cl[c->sender];
    static const char *const states[] = {"open", "contained", "recovered", "closed"};

    switch (c->type) {
    case ORA_CMD_OPEN:
        return irbus_incident_open(cl, t->incident, "oracle trial", "none", r);
    case ORA_CMD_PARTY_ADD:
        return irbus_incident_party_add(cl, t->incident, org_table[c->org].id,
                                        ora_role_name(c->role), c->spoc != -1 ? pid(c->spoc) : NULL,
                                        r);
    case ORA_CMD_PARTY_REMOVE:
        return irbus_incident_party_remove(cl, t->incident, org_table[c->org].id, r);
    case ORA_CMD_HANDOVER:
        return irbus_incident_spoc_handover(cl, t->incident, org_table[c->org].id, pid(c->spoc), r);
    case ORA_CMD_COORD_ADD:
        return irbus_incident_coord_add(cl, t->incident, pid(c->participant), r);
    default:
        return irbus_incident_state_set(cl, t->incident, states[c->state], r);
    }
}

static const char *const cmd_names[] = {"incident.open", "party.add", "party.remove",
                                        "spoc.handover", "coord.add", "state.set"};

static void
run_command(struct trial *t, int ai) {
    const struct ora_command *c = &t->acts[ai].cmd;
    struct irbus_receipt r;
    int before[MAX_PARTS], want, got;

    logf_(t, "  #%-2d ", ai);
    switch (c->type) {
    case ORA_CMD_OPEN:
        logf_(t, "incident.open by %s", describe(t, c->sender));
        break;
    case ORA_CMD_PARTY_ADD:
        logf_(t, "party.add %s (%s) as %s spoc=%s by %s", org_table[c->org].id,
              kind_names[org_table[c->org].kind], ora_role_name(c->role),
              c->spoc != -1 ? describe(t, c->spoc) : "-", describe(t, c->sender));
        break;
    case ORA_CMD_PARTY_REMOVE:
        logf_(t, "party.remove %s by %s", org_table[c->org].id, describe(t, c->sender));
        break;
    case ORA_CMD_HANDOVER:
        logf_(t, "spoc.handover %s to %s by %s", org_table[c->org].id, describe(t, c->spoc),
              describe(t, c->sender));
        break;
    case ORA_CMD_COORD_ADD:
        logf_(t, "coord.add %s by %s", describe(t, c->participant), describe(t, c->sender));
        break;
    default:
        logf_(t, "state.set %s by %s", ora_state_name(c->state), describe(t, c->sender));
        break;
    }
    t->tag = cmd_names[c->type];
    want = ora_command(&w.roster, &t->in, c);
    memset(&r, 0, sizeof r);
    got = run_command_call(t, c, &r);
    expect_stored(t, want, got, r.seq);
    if (got == 0) {
        for (int p = 0; p < w.roster.nparts; p++) {
            before[p] = ora_member(&w.roster, &t->in, p);
        }
        ora_apply(&w.roster, &t->in, c, r.seq);
        t->act_rec[ai] = t->in.nrecords - 1;
        note_live(t, t->in.nrecords - 1, before);
        end_subscriptions(t);
    }
}

/* The first request of a new participant's connection: history of an
 * incident that does not exist (400). When the broker refused the key at
 * the handshake ("unknown key": the broker answered participant.add before
 * its ZAP handler knew the key), connect again, at most five times, and
 * count it: that is a broker fault, but not a policy answer. */
static int
first_answer(struct trial *t, int p) {
    char ghost[IRBUS_ID_MAX + 1];
    int rc = IRBUS_ETIMEOUT;

    snprintf(ghost, sizeof ghost, "%s-none", t->incident);
    for (int attempt = 0; attempt < 5 && rc == IRBUS_ETIMEOUT && w.cl[p] != NULL; attempt++) {
        irbus_message **msgs = NULL;
        size_t n = 0;
        uint64_t next;
        irbus_client_set_timeout(w.cl[p], 2000);
        rc = irbus_history(w.cl[p], ghost, "status", 1, 0, 1, &msgs, &n, &next);
        free(msgs);
        if (rc == IRBUS_ETIMEOUT) {
            w.t.zap_refusals++;
            logf_(t, " [no answer in 2 s: connecting again]");
            fprintf(stderr,
                    "55-oracle: trial %lu: %s, added a moment ago, got no answer on its first "
                    "connection (the broker's log says auth_denied \"unknown key\"?); connecting "
                    "again\n",
                    t->number, pid(p));
            irbus_client_destroy(&w.cl[p]);
            w.cl[p] = connect_as(&w.br, w.keys[p]);
        }
    }
    if (w.cl[p] != NULL) {
        irbus_client_set_timeout(w.cl[p], 10000);
    }
    return rc;
}

/* A participant beyond the shared roster for slot k of this trial, with the
 * organisation and PAP settings the script asks for: one left from an
 * earlier trial when there is one (the broker's roster then stays small:
 * only revocation uses one up), else a new one. */
static void
run_fresh(struct trial *t, int ai) {
    const struct act *a = &t->acts[ai];
    int p = FRESH_SLOT(a->fresh_slot), got = 0, e;
    struct extra *x = NULL;

    for (e = 0; e < w.npool; e++) {
        x = &w.pool[e];
        if (!x->in_use && !x->part.revoked && x->part.org == a->fresh_org &&
            x->part.automated == a->fresh_automated && x->part.max_pap == a->fresh_max_pap) {
            break;
        }
    }
    if (e == w.npool) {
        if (w.npool == POOL_MAX) {
            logf_(t, "  #%-2d (no room for another participant)\n", ai);
            return;
        }
        x = &w.pool[w.npool++];
        memset(x, 0, sizeof *x);
        x->part = (struct ora_part){{0}, a->fresh_org, a->fresh_automated, a->fresh_max_pap, 0};
        snprintf(x->part.id, sizeof x->part.id, "x%lu@%s", ++w.nfresh_made,
                 org_table[a->fresh_org].id);
        got = irbus_key_generate(&x->key);
        if (got == 0) {
            got = irbus_admin_participant_add(w.op, x->part.id, org_table[a->fresh_org].id,
                                              irbus_key_public(x->key), x->part.automated,
                                              ora_pap_name(x->part.max_pap), NULL);
        }
        x->cl = got == 0 ? connect_as(&w.br, x->key) : NULL;
    }
    x->in_use = 1;
    t->fresh_pool[a->fresh_slot] = (int)(x - w.pool);
    t->fresh_made[a->fresh_slot] = 1;
    w.parts[p] = x->part;
    w.keys[p] = x->key;
    w.cl[p] = x->cl;
    if (e < w.npool) {
        logf_(t, "  #%-2d extra participant %s, from an earlier trial\n", ai, describe(t, p));
        return;
    }
    logf_(t, "  #%-2d participant.add %s", ai, describe(t, p));
    t->tag = "participant.add";
    expect(t, 0, got);
    if (w.cl[p] == NULL) {
        w.parts[p].revoked = x->part.revoked = 1; /* unusable: out of the script's choices */
        return;
    }
    /* One answer before anything else: a key revoked before its CURVE
     * handshake has finished never connects at all (ZAP refuses it), and
     * its requests would time out instead of being answered 205. */
    logf_(t, "  #%-2d history as %s of incident %s-none, which does not exist", ai, x->part.id,
          t->incident);
    t->tag = "history elsewhere";
    expect(t, IRBUS_ENOTFOUND, first_answer(t, p));
    x->cl = w.cl[p];
}

static void
run_revoke(struct trial *t, int ai) {
    int p = t->acts[ai].who, got;

    logf_(t, "  #%-2d participant.revoke %s", ai, describe(t, p));
    t->tag = "participant.revoke";
    got = irbus_admin_participant_revoke(w.op, pid(p), NULL);
    expect(t, 0, got);
    if (got == 0) {
        w.parts[p].revoked = 1;
        end_subscriptions(t);
    }
}

static void
run_subscribe(struct trial *t, int ai) {
    const struct act *a = &t->acts[ai];
    char chans[80];
    uint64_t id = 0;
    int want, got;

    channels_string(a->mask, chans, sizeof chans);
    logf_(t, "  #%-2d subscribe %s to %s", ai, describe(t, a->who), chans);
    t->tag = "subscribe";
    want = ora_read_check(&w.roster, &t->in, a->who, a->mask);
    got = irbus_subscribe(w.cl[a->who], t->incident, chans, IRBUS_FROM_NEW, 256, &id);
    expect(t, want, got);
    if (got == 0 && t->nsubs >= MAX_SUBS) {
        unsubscribe_quietly(w.cl[a->who], id);
    } else if (got == 0) {
        struct sub *s = &t->subs[t->nsubs++];
        memset(s, 0, sizeof *s);
        s->p = a->who;
        s->mask = a->mask;
        s->id = id;
        s->active = 1;
    }
}

static void
run_ghost(struct trial *t, int ai) {
    const struct act *a = &t->acts[ai];
    char ghost[IRBUS_ID_MAX + 1];
    struct irbus_publish m = {ghost, "status", "GREEN", NULL, NULL, NULL, 0, "text/plain", "x", 1};
    struct ora_incident none = {0};
    struct ora_request q = {ORA_C_MESSAGE,
                            a->req.sender,
                            ORA_G_MSG,
                            ORA_STATUS,
                            ORA_GREEN,
                            ORA_PAP_NONE,
                            0,
                            {{0, 0}},
                            -1,
                            0};

    snprintf(ghost, sizeof ghost, "%s-none", t->incident);
    logf_(t, "  #%-2d publish by %s to incident %s, which does not exist", ai,
          describe(t, a->req.sender), ghost);
    t->tag = "publish elsewhere";
    expect(t, ora_publish(&w.roster, &none, &q), irbus_publish(w.cl[a->req.sender], &m, NULL));
}

static void
run_action(struct trial *t, int ai) {
    if (t->skip[ai]) {
        return;
    }
    switch (t->acts[ai].type) {
    case A_FRESH:
        run_fresh(t, ai);
        break;
    case A_COMMAND:
        run_command(t, ai);
        break;
    case A_REVOKE:
        run_revoke(t, ai);
        break;
    case A_SUBSCRIBE:
        run_subscribe(t, ai);
        break;
    case A_REQUEST:
        run_request(t, ai);
        break;
    default:
        run_ghost(t, ai);
        break;
    }
}

/* ---- generating the script ------------------------------------------------ */

/* A participant that exists in this trial (shared, or fresh and made). */
static int
usable(const struct trial *t, int p) {
    return p < w.nshared || t->fresh_made[p - w.nshared];
}

static int
random_part(struct trial *t) {
    int p;

    do {
        p = rnd(&t->rng, w.nshared + MAX_FRESH);
    } while (!usable(t, p));
    return p;
}

static int
random_member(struct trial *t) {
    int m[MAX_PARTS], n = 0;

    for (int p = 0; p < w.roster.nparts; p++) {
        if (usable(t, p) && ora_member(&w.roster, &t->in, p)) {
            m[n++] = p;
        }
    }
    return n > 0 ? m[rnd(&t->rng, n)] : random_part(t);
}

/* Mostly members; sometimes anyone, revoked included. */
static int
random_actor(struct trial *t) {
    return chance(&t->rng, 85) ? random_member(t) : random_part(t);
}

static int
random_coord(struct trial *t) {
    return t->in.ncoords > 0 ? t->in.coords[rnd(&t->rng, t->in.ncoords)] : random_part(t);
}

static int
random_of_org(struct trial *t, int org) {
    int m[MAX_PARTS], n = 0;

    for (int p = 0; p < w.roster.nparts; p++) {
        if (usable(t, p) && w.parts[p].org == org) {
            m[n++] = p;
        }
    }
    return n > 0 ? m[rnd(&t->rng, n)] : random_part(t);
}

static int
random_party(struct trial *t, int present) {
    int m[ORA_MAX_ORGS], n = 0;

    for (int o = 0; o < NORGS; o++) {
        if (t->in.party[o].present == present) {
            m[n++] = o;
        }
    }
    return n > 0 ? m[rnd(&t->rng, n)] : rnd(&t->rng, NORGS);
}

/* The role an organisation of this kind usually plays; sometimes another. */
static int
random_role(struct trial *t, int org) {
    return chance(&t->rng, 85) ? org_table[org].kind : rnd(&t->rng, ORA_NROLES);
}

static int
add_id(struct ora_id *to, int n, int type, int idx) {
    for (int i = 0; i < n; i++) {
        if (to[i].type == type && (type == ORA_ID_GHOST || to[i].idx == idx)) {
            return n; /* entries are distinct (the codec refuses duplicates) */
        }
    }
    to[n] = (struct ora_id){type, idx};
    return n + 1;
}

/* A `to` list: mostly valid for the label, sometimes not. participants:
 * RED's participant ids rather than organisations. */
static int
random_to(struct trial *t, struct ora_id *to, int participants, int min) {
    int n = 0, want = min + rnd(&t->rng, 3 - min);

    for (int i = 0; i < want; i++) {
        int r = rnd(&t->rng, 100);
        if (r < 12) { /* a wrong entry of some sort */
            switch (rnd(&t->rng, 3)) {
            case 0:
                n = add_id(to, n, ORA_ID_GHOST, 0);
                break;
            case 1:
                n = add_id(to, n, ORA_ID_ORG, random_party(t, 0));
                break;
            default:
                n = participants ? add_id(to, n, ORA_ID_ORG, random_party(t, 1))
                                 : add_id(to, n, ORA_ID_PART, random_member(t));
                break;
            }
        } else if (participants) {
            n = add_id(to, n, ORA_ID_PART, chance(&t->rng, 85) ? random_member(t) : random_part(t));
        } else {
            n = add_id(to, n, ORA_ID_ORG, random_party(t, 1));
        }
    }
    return n;
}

/* A record of this trial to refer to: mostly a message (often one some
 * grant names, when forwarding), sometimes a command, a forward or a
 * share, sometimes none at all. Returns an action index or -1. */
static int
random_ref(struct trial *t, int prefer_granted) {
    int msgs[MAX_ACTS], others[MAX_ACTS], granted[MAX_ACTS], nm = 0, no = 0, ng = 0;

    for (int i = 0; i < t->nacts; i++) {
        int rec = t->act_rec[i];
        if (rec < 0) {
            continue;
        }
        if (t->in.rec[rec].cls != ORA_C_MESSAGE) {
            others[no++] = i;
            continue;
        }
        msgs[nm++] = i;
        for (int g = rec + 1; g < t->in.nrecords; g++) {
            if (t->in.rec[g].cls == ORA_C_SHARE_GRANT && t->in.rec[g].ref == rec) {
                granted[ng++] = i;
                break;
            }
        }
    }
    if (chance(&t->rng, 8) || nm + no == 0) {
        return -1;
    }
    if (prefer_granted && ng > 0 && chance(&t->rng, 60)) {
        return granted[rnd(&t->rng, ng)];
    }
    if (nm > 0 && (no == 0 || chance(&t->rng, 80))) {
        return msgs[rnd(&t->rng, nm)];
    }
    return others[rnd(&t->rng, no)];
}

/* Who refers to ref: often someone who may see it, sometimes its sender,
 * sometimes anyone. */
static int
referrer(struct trial *t, int ref_act, int sender_bias) {
    int rec = ref_act >= 0 ? t->act_rec[ref_act] : -1, m[MAX_PARTS], n = 0;

    if (rec >= 0 && chance(&t->rng, sender_bias)) {
        return t->in.rec[rec].sender;
    }
    if (rec >= 0 && chance(&t->rng, 70)) {
        for (int p = 0; p < w.roster.nparts; p++) {
            if (usable(t, p) && ora_may_see(&w.roster, &t->in, p, rec)) {
                m[n++] = p;
            }
        }
        if (n > 0) {
            return m[rnd(&t->rng, n)];
        }
    }
    return random_actor(t);
}

/* Channel, kind group, labels and `to` of a message or forward. */
static void
random_addressing(struct trial *t, struct act *a, int forward) {
    struct ora_request *q = &a->req;

    q->channel = rnd(&t->rng, ORA_NCHANNELS);
    q->group = ORA_G_MSG;
    if (chance(&t->rng, 50)) {
        /* Often a channel where the sender may speak, so that the later
         * checks are reached. */
        int ok[ORA_NCHANNELS], n = 0;
        for (int ch = 0; ch < ORA_NCHANNELS; ch++) {
            struct ora_request probe = {ORA_C_MESSAGE, q->sender, ORA_G_MSG, ch, ORA_GREEN,
                                        ORA_PAP_NONE,  0,         {{0, 0}},  -1, 0};
            if (ora_publish(&w.roster, &t->in, &probe) == 0) {
                ok[n++] = ch;
            }
        }
        if (n > 0) {
            q->channel = ok[rnd(&t->rng, n)];
        }
    } else if (!forward && chance(&t->rng, 40)) {
        /* Mostly where the group is listed, to reach the SPOC cells. */
        static const int where[][2] = {{ORA_NOTIFICATIONS, ORA_G_STAGE},
                                       {ORA_NOTIFICATIONS, ORA_G_REQUEST},
                                       {ORA_COORDINATION, ORA_G_CCV}};
        int k = rnd(&t->rng, 3);
        q->channel = where[k][0];
        q->group = where[k][1];
        if (chance(&t->rng, 20)) {
            q->channel = rnd(&t->rng, ORA_NCHANNELS);
        }
        a->kind_idx = rnd(&t->rng, 8);
    }
    q->tlp = rnd(&t->rng, ORA_NTLP);
    q->pap = chance(&t->rng, 35) ? ORA_PAP_NONE : rnd(&t->rng, ORA_NPAP);
    if (q->tlp == ORA_RED) {
        q->nto = random_to(t, q->to, 1, 1);
    } else if (q->tlp == ORA_AMBER_STRICT) {
        q->nto = random_to(t, q->to, 0, 1);
    } else {
        q->nto = chance(&t->rng, 50) ? 0 : random_to(t, q->to, 0, 1);
    }
}

/* Address a forward to whom the grants for its ref name (organisations, or
 * for RED the participants named and members of the organisations named),
 * so that the widening of section 3.1 is reached. Nothing if no grant. */
static void
address_to_granted(struct trial *t, struct act *a) {
    struct ora_request *q = &a->req;
    int rec = q->ref >= 0 ? t->act_rec[q->ref] : -1, orgs[ORA_MAX_ORGS], parts[MAX_PARTS];
    int norgs = 0, nparts = 0;

    for (int g = rec + 1; rec >= 0 && g < t->in.nrecords; g++) {
        const struct ora_record *gr = &t->in.rec[g];
        if (gr->cls != ORA_C_SHARE_GRANT || gr->ref != rec) {
            continue;
        }
        for (int k = 0; k < gr->nto; k++) {
            if (gr->to[k].type == ORA_ID_ORG) {
                orgs[norgs++] = gr->to[k].idx;
                for (int p = 0; p < w.roster.nparts && nparts < MAX_PARTS; p++) {
                    if (usable(t, p) && w.parts[p].org == gr->to[k].idx) {
                        parts[nparts++] = p;
                    }
                }
            } else if (gr->to[k].type == ORA_ID_PART && nparts < MAX_PARTS) {
                parts[nparts++] = gr->to[k].idx;
            }
        }
    }
    if (norgs + nparts == 0) {
        return;
    }
    q->tlp = ORA_AMBER + rnd(&t->rng, 3);
    if (q->tlp == ORA_RED && nparts == 0) {
        q->tlp = ORA_AMBER_STRICT;
    }
    if ((q->tlp != ORA_RED && norgs == 0)) {
        q->tlp = ORA_RED;
    }
    q->nto = 0;
    for (int i = 1 + rnd(&t->rng, 2); i > 0; i--) {
        q->nto = q->tlp == ORA_RED ? add_id(q->to, q->nto, ORA_ID_PART, parts[rnd(&t->rng, nparts)])
                                   : add_id(q->to, q->nto, ORA_ID_ORG, orgs[rnd(&t->rng, norgs)]);
    }
}

static void
gen_command(struct trial *t, struct act *a) {
    struct ora_command *c = &a->cmd;
    int r = rnd(&t->rng, 100);

    a->type = A_COMMAND;
    c->sender = chance(&t->rng, 80) ? random_coord(t) : random_actor(t);
    c->spoc = -1;
    if (r < 40) {
        c->type = ORA_CMD_HANDOVER;
        c->org = chance(&t->rng, 95) ? random_party(t, 1) : random_party(t, 0);
        if (chance(&t->rng, 50) && t->in.party[c->org].present && t->in.party[c->org].spoc >= 0) {
            c->sender = t->in.party[c->org].spoc;
        }
        c->spoc = chance(&t->rng, 85) ? random_of_org(t, c->org) : random_part(t);
        if (chance(&t->rng, 4)) {
            c->spoc = ORA_NOBODY;
        }
    } else if (r < 62) {
        c->type = ORA_CMD_PARTY_ADD;
        c->org = chance(&t->rng, 85) ? random_party(t, 0) : random_party(t, 1);
        c->role = random_role(t, c->org);
        if (chance(&t->rng, 65)) {
            c->spoc = chance(&t->rng, 92) ? random_of_org(t, c->org) : random_part(t);
            if (chance(&t->rng, 4)) {
                c->spoc = ORA_NOBODY;
            }
        }
    } else if (r < 80) {
        c->type = ORA_CMD_PARTY_REMOVE;
        c->org = chance(&t->rng, 92) ? random_party(t, 1) : random_party(t, 0);
    } else if (r < 92) {
        c->type = ORA_CMD_COORD_ADD;
        c->participant = chance(&t->rng, 5) ? ORA_NOBODY : random_part(t);
    } else {
        c->type = ORA_CMD_STATE_SET;
        c->state = chance(&t->rng, 85) ? t->in.state + 1 : t->in.state;
        if (c->state > ORA_CLOSED) {
            c->state = ORA_CLOSED;
        }
    }
}

static void
gen_request(struct trial *t, struct act *a, int cls) {
    struct ora_request *q = &a->req;

    a->type = A_REQUEST;
    q->cls = cls;
    q->ref = -1;
    if (cls == ORA_C_MESSAGE) {
        q->sender = random_actor(t);
        random_addressing(t, a, 0);
        return;
    }
    q->ref = random_ref(t, cls == ORA_C_FORWARD);
    a->bad_hash = chance(&t->rng, 6);
    if (cls == ORA_C_FORWARD) {
        q->sender = referrer(t, q->ref, 20);
        random_addressing(t, a, 1);
        if (chance(&t->rng, 50)) {
            address_to_granted(t, a);
        }
    } else {
        q->sender = referrer(t, q->ref, cls == ORA_C_SHARE_GRANT ? 70 : 5);
        q->nto = 0;
        for (int i = 1 + rnd(&t->rng, 2); i > 0; i--) {
            struct ora_id tmp[ORA_MAX_TO];
            int n = random_to(t, tmp, chance(&t->rng, 50), 1);
            for (int k = 0; k < n && q->nto < 3; k++) {
                q->nto = add_id(q->to, q->nto, tmp[k].type, tmp[k].idx);
            }
        }
    }
}

static int
push(struct trial *t, const struct act *a) {
    int ai = t->nacts;

    if (ai >= MAX_ACTS) {
        return -1;
    }
    t->acts[ai] = *a;
    t->act_rec[ai] = -1;
    t->nacts++;
    run_action(t, ai);
    return ai;
}

/* Generate the script and run it as it is generated (choices depend on
 * the model as it is then). */
static void
generate(struct trial *t) {
    struct act a;
    int nfresh = chance(&t->rng, 40) ? 1 + chance(&t->rng, 30) : 0, nparties, nactions;

    for (int k = 0; k < nfresh; k++) {
        memset(&a, 0, sizeof a);
        a.type = A_FRESH;
        a.fresh_slot = k;
        a.fresh_org = rnd(&t->rng, NORGS);
        a.fresh_automated = chance(&t->rng, 35);
        a.fresh_max_pap =
            a.fresh_automated && chance(&t->rng, 80) ? rnd(&t->rng, ORA_NPAP) : ORA_PAP_NONE;
        push(t, &a);
    }
    memset(&a, 0, sizeof a);
    a.type = A_COMMAND;
    a.cmd.type = ORA_CMD_OPEN;
    do {
        a.cmd.sender = random_part(t);
    } while (w.parts[a.cmd.sender].revoked);
    push(t, &a);

    nparties = 2 + rnd(&t->rng, 3);
    for (int i = 0; i < nparties; i++) {
        memset(&a, 0, sizeof a);
        a.type = A_COMMAND;
        a.cmd.type = ORA_CMD_PARTY_ADD;
        a.cmd.sender = t->in.coords[0];
        a.cmd.org = random_party(t, 0);
        a.cmd.role = random_role(t, a.cmd.org);
        a.cmd.spoc = chance(&t->rng, 70) ? random_of_org(t, a.cmd.org) : -1;
        if (chance(&t->rng, 4)) {
            a.cmd.spoc = random_part(t);
        }
        push(t, &a);
    }
    if (chance(&t->rng, 30)) {
        memset(&a, 0, sizeof a);
        a.type = A_COMMAND;
        a.cmd.type = ORA_CMD_COORD_ADD;
        a.cmd.sender = t->in.coords[0];
        a.cmd.participant = random_part(t);
        push(t, &a);
    }
    for (int i = rnd(&t->rng, 4); i > 0; i--) {
        memset(&a, 0, sizeof a);
        a.type = A_SUBSCRIBE;
        a.who = random_member(t);
        a.mask = ora_readable(&w.roster, &t->in, a.who);
        if (chance(&t->rng, 25) && (a.mask & (unsigned)rnd(&t->rng, 1 << ORA_NCHANNELS)) != 0) {
            a.mask &= (unsigned)rnd(&t->rng, 1 << ORA_NCHANNELS) | 1u;
        }
        if (a.mask == 0 || chance(&t->rng, 5)) {
            a.mask = 1u << rnd(&t->rng, ORA_NCHANNELS);
        }
        push(t, &a);
    }

    nactions = 6 + rnd(&t->rng, 10);
    for (int i = 0; i < nactions; i++) {
        int r = rnd(&t->rng, 100);
        memset(&a, 0, sizeof a);
        if (r < 45) {
            gen_request(t, &a, ORA_C_MESSAGE);
        } else if (r < 58) {
            gen_request(t, &a, ORA_C_FORWARD);
        } else if (r < 64) {
            gen_request(t, &a, ORA_C_SHARE_REQUEST);
        } else if (r < 71) {
            int ai;
            gen_request(t, &a, ORA_C_SHARE_GRANT);
            ai = push(t, &a);
            if (ai >= 0 && t->act_rec[ai] >= 0 && chance(&t->rng, 60)) {
                /* Someone else forwards it to whom the grant names. */
                memset(&a, 0, sizeof a);
                a.type = A_REQUEST;
                a.req.cls = ORA_C_FORWARD;
                a.req.ref = t->acts[ai].req.ref;
                a.req.sender = referrer(t, a.req.ref, 0);
                random_addressing(t, &a, 1);
                address_to_granted(t, &a);
                push(t, &a);
            }
            continue;
        } else if (r < 94) {
            gen_command(t, &a);
        } else if (r < 95) {
            /* Rare: every revocation uses up a participant, and the
             * broker's roster lookups grow with the roster. */
            int cand[MAX_FRESH], n = 0;
            for (int k = 0; k < MAX_FRESH; k++) {
                if (t->fresh_made[k] && !w.parts[FRESH_SLOT(k)].revoked) {
                    cand[n++] = FRESH_SLOT(k);
                }
            }
            if (n == 0) {
                gen_request(t, &a, ORA_C_MESSAGE);
            } else {
                a.type = A_REVOKE;
                a.who = cand[rnd(&t->rng, n)];
            }
        } else if (r < 98) {
            a.type = A_SUBSCRIBE;
            a.who = random_actor(t);
            a.mask = ora_readable(&w.roster, &t->in, a.who);
            if (a.mask == 0) {
                a.mask = 1u;
            }
        } else {
            a.type = A_GHOST_INCIDENT;
            a.req.sender = random_actor(t);
        }
        push(t, &a);
    }
    if (chance(&t->rng, 10)) {
        /* Closed: every publish is 307 and every command 402. */
        memset(&a, 0, sizeof a);
        a.type = A_COMMAND;
        a.cmd.type = ORA_CMD_STATE_SET;
        a.cmd.sender = random_coord(t);
        a.cmd.state = ORA_CLOSED;
        push(t, &a);
        for (int i = 0; i < 3; i++) {
            memset(&a, 0, sizeof a);
            if (chance(&t->rng, 50)) {
                gen_request(t, &a, rnd(&t->rng, 2) ? ORA_C_MESSAGE : ORA_C_FORWARD);
            } else {
                gen_command(t, &a);
            }
            push(t, &a);
        }
    }
}

/* ---- the final checks ------------------------------------------------------ */

static int
contains(const uint64_t *set, int n, uint64_t v) {
    for (int i = 0; i < n; i++) {
        if (set[i] == v) {
            return 1;
        }
    }
    return 0;
}

static void
format_seqs(const uint64_t *set, int n, char *out, size_t cap) {
    size_t k = (size_t)snprintf(out, cap, "{");

    for (int i = 0; i < n && k < cap; i++) {
        k += (size_t)snprintf(out + k, cap - k, "%s%llu", i ? " " : "", (unsigned long long)set[i]);
    }
    if (k < cap) {
        snprintf(out + k, cap - k, "}");
    }
}

/* The action that stored seq, or -1. */
static int
action_of(const struct trial *t, uint64_t seq) {
    for (int ai = 0; ai < t->nacts; ai++) {
        if (t->act_rec[ai] >= 0 && t->in.rec[t->act_rec[ai]].seq == seq) {
            return ai;
        }
    }
    return -1;
}

/* "missing 5 (#7), extra 3 (#4)": what got lacks of want and has beyond
 * it, with the actions that stored them. */
static void
explain_diff(const struct trial *t, const uint64_t *want, int nwant, const uint64_t *got, int ngot,
             char *out, size_t cap) {
    size_t n = 0;
    int first = 1;

    out[0] = 0;
    for (int pass = 0; pass < 2; pass++) {
        const uint64_t *a = pass == 0 ? want : got, *b = pass == 0 ? got : want;
        int na = pass == 0 ? nwant : ngot, nb = pass == 0 ? ngot : nwant;
        first = 1;
        for (int i = 0; i < na && n < cap; i++) {
            if (contains(b, nb, a[i])) {
                continue;
            }
            n += (size_t)snprintf(out + n, cap - n, "%s%llu (#%d)",
                                  first ? (pass == 0 ? " missing " : " extra ") : ", ",
                                  (unsigned long long)a[i], action_of(t, a[i]));
            first = 0;
        }
    }
}

/* Read everything p may read with history; returns the answer's code. */
static int
read_all(struct trial *t, int p, const char *chans, uint64_t *seen, int *nseen) {
    uint64_t from = 1, next = 0;
    int rc;

    *nseen = 0;
    for (;;) {
        irbus_message **msgs = NULL;
        size_t n = 0;
        if ((rc = irbus_history(w.cl[p], t->incident, chans, from, 0, 256, &msgs, &n, &next)) !=
            0) {
            return rc;
        }
        for (size_t k = 0; k < n; k++) {
            if (*nseen < MAX_SEEN) {
                seen[(*nseen)++] = msgs[k]->seq;
            }
            irbus_message_destroy(&msgs[k]);
        }
        free(msgs);
        if (n == 0 || next <= from) {
            return 0;
        }
        from = next;
    }
}

/* History as p on the channels of mask (0: p is no member, ask for
 * status): the code, and the set of records against the oracle's. */
static void
check_history(struct trial *t, int p, unsigned mask) {
    uint64_t seen[MAX_SEEN], want[MAX_SEEN];
    char chans[80], a[1024], b[1024], d[1024];
    int nseen, nwant = 0, rc, code;

    channels_string(mask != 0 ? mask : 1u, chans, sizeof chans);
    code = ora_read_check(&w.roster, &t->in, p, mask != 0 ? mask : 1u);
    logf_(t, "  check: history as %s on %s", describe(t, p), chans);
    t->tag = "history";
    rc = read_all(t, p, chans, seen, &nseen);
    if (!expect(t, code, rc) || rc != 0) {
        return;
    }
    for (int i = 0; i < t->in.nrecords; i++) {
        t->pairs++;
        if (ora_in_view(&w.roster, &t->in, p, i, mask)) {
            want[nwant++] = t->in.rec[i].seq;
        }
    }
    for (int i = 0; i < nseen; i++) {
        if (!contains(want, nwant, seen[i]) || contains(seen, i, seen[i])) {
            goto differ;
        }
    }
    if (nseen == nwant) {
        return;
    }
differ:
    t->tag = "history records";
    disagree(t, 0, 0);
    format_seqs(want, nwant, a, sizeof a);
    format_seqs(seen, nseen, b, sizeof b);
    explain_diff(t, want, nwant, seen, nseen, d, sizeof d);
    logf_(t, "  check: history as %s: expected %s, got %s:%s   <== DISAGREE\n", describe(t, p), a,
          b, d);
}

/* A channel p may not ask for: history or subscribe must say so. */
static void
check_forbidden(struct trial *t, int p) {
    unsigned mask = ora_readable(&w.roster, &t->in, p), bad[ORA_NCHANNELS];
    int n = 0, ch, use_sub, want, got;
    char chans[80];
    uint64_t id = 0;

    for (ch = 0; ch < ORA_NCHANNELS; ch++) {
        if (!(mask & (1u << ch))) {
            bad[n++] = (unsigned)ch;
        }
    }
    if (n == 0 || mask == 0) {
        return;
    }
    ch = (int)bad[rnd(&t->rng, n)];
    use_sub = chance(&t->rng, 30);
    channels_string((1u << ORA_STATUS) | (1u << ch), chans, sizeof chans);
    want = ora_read_check(&w.roster, &t->in, p, (1u << ORA_STATUS) | (1u << ch));
    logf_(t, "  check: %s as %s on %s", use_sub ? "subscribe" : "history", describe(t, p), chans);
    t->tag = use_sub ? "subscribe" : "history";
    if (use_sub) {
        got = irbus_subscribe(w.cl[p], t->incident, chans, IRBUS_FROM_NEW, 16, &id);
        if (got == 0) {
            unsubscribe_quietly(w.cl[p], id);
        }
    } else {
        irbus_message **msgs = NULL;
        size_t k = 0;
        uint64_t next;
        got = irbus_history(w.cl[p], t->incident, chans, 1, 0, 1, &msgs, &k, &next);
        for (size_t i = 0; i < k; i++) {
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
    }
    expect(t, want, got);
}

/* An ack of the incident's first record (section 2.4: no channel asked). */
static void
check_ack(struct trial *t, int p) {
    logf_(t, "  check: ack of seq 1 as %s", describe(t, p));
    t->tag = "ack";
    expect(t, ora_read_check(&w.roster, &t->in, p, 0), irbus_ack(w.cl[p], t->incident, 1));
}

/* Take what p's client has been delivered for this incident, and the
 * subscriptions the broker said it ended (the history request before this
 * was the fence: whatever the broker sent earlier is already queued). */
static int
collect(struct trial *t, int p, int timeout_ms) {
    irbus_message *m = NULL;
    int rc;

    for (;;) {
        rc = irbus_receive(w.cl[p], timeout_ms, &m);
        if (rc == 0) {
            if (strcmp(m->incident, t->incident) == 0 && t->ndeliv < MAX_DELIV) {
                t->deliv_sub[t->ndeliv] = m->sub;
                t->deliv_code[t->ndeliv] = 0;
                t->deliv_seq[t->ndeliv++] = m->seq;
            }
            irbus_message_destroy(&m);
        } else if (rc == IRBUS_ENOTMEMBER || rc == IRBUS_EREVOKED) {
            if (t->ndeliv < MAX_DELIV) {
                t->deliv_sub[t->ndeliv] = irbus_client_ended_sub(w.cl[p]);
                t->deliv_code[t->ndeliv] = rc;
                t->deliv_seq[t->ndeliv++] = 0;
            }
        } else {
            return rc;
        }
    }
}

/* What subscription s was delivered, in order, and how it was reported
 * ended: *end_code the code of the (first) report, *nend how many reports,
 * *after_end deliveries that came after one. */
static int
delivered_to(const struct trial *t, const struct sub *s, uint64_t *got, int *end_code, int *nend,
             int *after_end) {
    int n = 0;

    *end_code = 0;
    *nend = 0;
    *after_end = 0;
    for (int i = 0; i < t->ndeliv && n < MAX_SEEN; i++) {
        if (t->deliv_sub[i] != s->id) {
            continue;
        }
        if (t->deliv_seq[i] == 0) {
            *end_code = *nend == 0 ? t->deliv_code[i] : *end_code;
            (*nend)++;
        } else {
            *after_end += *nend > 0;
            got[n++] = t->deliv_seq[i];
        }
    }
    return n;
}

static int
live_matches(const struct sub *s, const uint64_t *got, int ngot) {
    for (int i = 0; i < ngot; i++) {
        if ((!contains(s->must, s->nmust, got[i]) && !contains(s->may, s->nmay, got[i])) ||
            (i > 0 && got[i] <= got[i - 1])) {
            return 0;
        }
    }
    for (int i = 0; i < s->nmust; i++) {
        if (!contains(got, ngot, s->must[i])) {
            return 0;
        }
    }
    return 1;
}

/* The records s received must be those the oracle let it see when they
 * were stored; a subscription the model ended must have been reported
 * ended once, with the reason, after its last delivery; one it did not end,
 * never. */
static int
live_ok(const struct sub *s, const uint64_t *got, int ngot, int end_code, int nend, int after_end) {
    if (!live_matches(s, got, ngot) || after_end > 0) {
        return 0;
    }
    return s->active ? nend == 0 : nend == 1 && end_code == s->end_code;
}

static void
check_live(struct trial *t, struct sub *s) {
    uint64_t got[MAX_SEEN];
    char a[1024], b[1024], c[256], d[1024];
    int ngot, rc = IRBUS_ETIMEOUT, end_code, nend, after_end;

    ngot = delivered_to(t, s, got, &end_code, &nend, &after_end);
    if (!live_ok(s, got, ngot, end_code, nend, after_end)) {
        /* Give late deliveries a moment before calling it. */
        rc = collect(t, s->p, 200);
        ngot = delivered_to(t, s, got, &end_code, &nend, &after_end);
    }
    t->pairs += (unsigned long)t->in.nrecords;
    t->requests++;
    w.t.live_subs++;
    w.t.ended_subs += !s->active;
    if (s->active) {
        unsubscribe_quietly(w.cl[s->p], s->id);
    }
    if (live_ok(s, got, ngot, end_code, nend, after_end) && rc == IRBUS_ETIMEOUT) {
        return;
    }
    t->tag = "live records";
    disagree(t, 0, 0);
    format_seqs(s->must, s->nmust, a, sizeof a);
    format_seqs(got, ngot, b, sizeof b);
    format_seqs(s->may, s->nmay, c, sizeof c);
    explain_diff(t, s->must, s->nmust, got, ngot, d, sizeof d);
    logf_(t,
          "  check: live to %s (sub %llu): expected %s (optional %s)%s%s, got %s%s%s; reported "
          "ended %d time(s)%s%s%s:%s   <== DISAGREE\n",
          describe(t, s->p), (unsigned long long)s->id, a, c, s->active ? "" : ", then ended ",
          s->active ? "" : code_name(s->end_code), b, rc != IRBUS_ETIMEOUT ? ", then " : "",
          rc != IRBUS_ETIMEOUT ? code_name(rc) : "", nend, nend > 0 ? " (" : "",
          nend > 0 ? code_name(end_code) : "", nend > 0 ? ")" : "", d);
    if (after_end > 0) {
        logf_(t, "  check: live to %s: %d delivery(ies) after the ended report   <== DISAGREE\n",
              describe(t, s->p), after_end);
    }
}

static void
final_checks(struct trial *t) {
    char ghost[IRBUS_ID_MAX + 1];
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next;
    int p;

    /* Who to read as: everyone who was ever in the incident, the fresh
     * participants, every subscriber, and two others. */
    for (int i = 0; i < t->in.nrecords; i++) {
        t->concerned[t->in.rec[i].sender] = 1;
    }
    for (p = 0; p < w.roster.nparts; p++) {
        if (usable(t, p) && (ora_member(&w.roster, &t->in, p) || p >= w.nshared)) {
            t->concerned[p] = 1;
        }
    }
    for (int s = 0; s < t->nsubs; s++) {
        t->concerned[t->subs[s].p] = 1;
    }
    t->concerned[random_part(t)] = 1;
    t->concerned[random_part(t)] = 1;
    for (p = 0; p < w.roster.nparts; p++) {
        unsigned mask = ora_readable(&w.roster, &t->in, p), some;
        if (!t->concerned[p] || !usable(t, p)) {
            continue;
        }
        check_history(t, p, mask);
        /* Some of its channels only: a record seen through a forward
         * counts as being on the forward's channel. */
        some = mask & (unsigned)rnd(&t->rng, 1 << ORA_NCHANNELS);
        if (some != 0 && some != mask && chance(&t->rng, 40)) {
            check_history(t, p, some);
        }
        check_forbidden(t, p);
        if (chance(&t->rng, 30)) {
            check_ack(t, p);
        }
    }
    /* The subscribers' history requests above were their fences. */
    for (int s = 0; s < t->nsubs; s++) {
        int again = 0;
        for (int k = 0; k < s; k++) {
            again |= t->subs[k].p == t->subs[s].p;
        }
        if (!again) {
            (void)collect(t, t->subs[s].p, 0);
        }
    }
    for (int s = 0; s < t->nsubs; s++) {
        check_live(t, &t->subs[s]);
    }
    p = random_part(t);
    snprintf(ghost, sizeof ghost, "%s-none", t->incident);
    logf_(t, "  check: history as %s of incident %s, which does not exist", pid(p), ghost);
    t->tag = "history elsewhere";
    expect(t, w.parts[p].revoked ? IRBUS_EREVOKED : IRBUS_ENOTFOUND,
           irbus_history(w.cl[p], ghost, "status", 1, 0, 1, &msgs, &n, &next));
    for (size_t i = 0; i < n; i++) {
        irbus_message_destroy(&msgs[i]);
    }
    free(msgs);
}

/* ---- running, replaying, shrinking ----------------------------------------- */

static void
trial_reset(struct trial *t) {
    memset(&t->in, 0, sizeof t->in);
    for (int o = 0; o < ORA_MAX_ORGS; o++) {
        t->in.party[o].spoc = -1;
    }
    memset(t->act_rec, 0xff, sizeof t->act_rec);
    memset(t->fresh_made, 0, sizeof t->fresh_made);
    memset(t->has_digest, 0, sizeof t->has_digest);
    memset(t->concerned, 0, sizeof t->concerned);
    t->nsubs = 0;
    t->ndeliv = 0;
    t->loglen = 0;
    t->log[0] = 0;
    t->disagreements = 0;
    t->first_sig[0] = 0;
    t->target_seen = 0;
    t->requests = 0;
    t->pairs = 0;
    snprintf(t->incident, sizeof t->incident, "T%lu-%lu", t->number, ++w.nincidents);
    for (int k = 0; k < MAX_FRESH; k++) {
        w.cl[FRESH_SLOT(k)] = NULL; /* borrowed from the pool */
        w.keys[FRESH_SLOT(k)] = NULL;
        w.parts[FRESH_SLOT(k)] = (struct ora_part){"(fresh, not made)", 0, 0, ORA_PAP_NONE, 1};
    }
}

/* Give the trial's extra participants back to the pool; a revoked one is
 * of no more use. */
static void
trial_end(struct trial *t) {
    int kept = 0;

    for (int k = 0; k < MAX_FRESH; k++) {
        if (t->fresh_made[k]) {
            struct extra *x = &w.pool[t->fresh_pool[k]];
            x->in_use = 0;
            x->part.revoked = w.parts[FRESH_SLOT(k)].revoked;
            w.cl[FRESH_SLOT(k)] = NULL;
            w.keys[FRESH_SLOT(k)] = NULL;
        }
    }
    for (int e = 0; e < w.npool; e++) {
        if (w.pool[e].part.revoked) {
            irbus_client_destroy(&w.pool[e].cl);
            irbus_key_destroy(&w.pool[e].key);
        } else {
            w.pool[kept++] = w.pool[e];
        }
    }
    w.npool = kept;
    memset(t->fresh_made, 0, sizeof t->fresh_made);
    w.t.requests += t->requests;
    w.t.pairs += t->pairs;
}

/* Replay the script, without the actions in t->skip, on a new incident. */
static int
replay(struct trial *t) {
    trial_reset(t);
    rng_seed(&t->rng, w.seed, ((uint64_t)t->number << 20) | 0xfffff);
    for (int i = 0; i < t->nacts; i++) {
        run_action(t, i);
    }
    final_checks(t);
    trial_end(t);
    w.t.replays++;
    return t->target_seen;
}

/* Leave out whatever can be left out while the trial still disagrees. */
static void
shrink(struct trial *t) {
    static char target[96];
    int changed = 1, budget = 150;

    snprintf(target, sizeof target, "%s", t->first_sig);
    t->target = target;
    while (changed && budget > 0) {
        changed = 0;
        for (int i = t->nacts - 1; i >= 0 && budget > 0; i--) {
            /* The incident and the fresh participants stay: the script's
             * other actions name them. */
            if (t->skip[i] || t->acts[i].type == A_FRESH ||
                (t->acts[i].type == A_COMMAND && t->acts[i].cmd.type == ORA_CMD_OPEN)) {
                continue;
            }
            t->skip[i] = 1;
            budget--;
            if (replay(t) > 0) {
                changed = 1;
            } else {
                t->skip[i] = 0;
            }
        }
    }
    replay(t); /* leave the smallest one's account in t->log */
    t->target = NULL;
}

static void
print_roster(void) {
    printf("shared roster:");
    for (int p = 0; p < w.nshared; p++) {
        const struct ora_part *pt = &w.parts[p];
        printf("%s %s", p % 6 == 0 ? "\n  " : ",", pt->id);
        if (pt->automated) {
            printf(" (automated, max_pap %s)",
                   pt->max_pap == ORA_PAP_NONE ? "none" : ora_pap_name(pt->max_pap));
        }
    }
    printf("\norganisations:");
    for (int o = 0; o < NORGS; o++) {
        printf(" %s (%s)", org_table[o].id, kind_names[org_table[o].kind]);
    }
    printf("\n");
}

static void
run_trial(unsigned long number) {
    static struct trial t;
    int first;

    memset(&t, 0, sizeof t);
    t.number = number;
    trial_reset(&t);
    rng_seed(&t.rng, w.seed, number);
    generate(&t);
    final_checks(&t);
    trial_end(&t);
    w.t.trials++;
    first = t.disagreements;
    if (w.verbose || first > 0) {
        printf("---- seed %llu trial %lu, incident %s: %d disagreement(s)\n%s",
               (unsigned long long)w.seed, number, t.incident, first, t.log);
    }
    if (first == 0) {
        return;
    }
    w.t.disagreements += (unsigned long)first;
    w.t.failing_trials++;
    if (w.t.failing_trials <= w.shrink) {
        char sig[96];
        snprintf(sig, sizeof sig, "%s", t.first_sig);
        shrink(&t);
        printf("---- seed %llu trial %lu, smallest script found that still disagrees on \"%s\" "
               "(incident %s): %d disagreement(s)\n%s",
               (unsigned long long)w.seed, number, sig, t.incident, t.disagreements, t.log);
    }
    fflush(stdout);
}

/* ---- set-up ---------------------------------------------------------------- */

static int
is_tmpfs(const char *dir) {
    struct statfs s;

    return dir != NULL && statfs(dir, &s) == 0 && (unsigned long)s.f_type == TMPFS_MAGIC_NUMBER &&
           access(dir, W_OK) == 0;
}

static int
make_roster(void) {
    struct rng r;
    int rc, p = 0;

    rng_seed(&r, w.seed, 0xfffffffffULL);
    w.opkey = make_key(&w.br, "op", 0xa0);
    w.op = w.opkey != NULL ? connect_as(&w.br, w.opkey) : NULL;
    if (w.op == NULL) {
        return -1;
    }
    irbus_client_set_timeout(w.op, 10000);
    for (int o = 0; o < NORGS; o++) {
        static const char *const who[] = {"a", "b", "bot"};
        int n = 2 + (o % 2 == 0);
        w.roster.orgs[o].kind = org_table[o].kind;
        snprintf(w.roster.orgs[o].id, sizeof w.roster.orgs[o].id, "%s", org_table[o].id);
        if ((rc = irbus_admin_org_add(w.op, org_table[o].id, kind_names[org_table[o].kind],
                                      org_table[o].id, NULL)) != 0) {
            return rc;
        }
        for (int i = 0; i < n; i++, p++) {
            struct ora_part *pt = &w.parts[p];
            pt->org = o;
            pt->automated = i == 2;
            pt->max_pap = pt->automated && chance(&r, 80) ? rnd(&r, ORA_NPAP) : ORA_PAP_NONE;
            snprintf(pt->id, sizeof pt->id, "%s@%s", who[i], org_table[o].id);
            if ((rc = irbus_key_generate(&w.keys[p])) != 0 ||
                (rc = irbus_admin_participant_add(w.op, pt->id, org_table[o].id,
                                                  irbus_key_public(w.keys[p]), pt->automated,
                                                  ora_pap_name(pt->max_pap), NULL)) != 0) {
                return rc;
            }
            if ((w.cl[p] = connect_as(&w.br, w.keys[p])) == NULL) {
                return IRBUS_EIO;
            }
            irbus_client_set_timeout(w.cl[p], 10000);
        }
    }
    w.nshared = p;
    w.roster.norgs = NORGS;
    w.roster.parts = w.parts;
    w.roster.nparts = p + MAX_FRESH;
    return 0;
}

/* Where the policy can be read two ways (oracle.h), the reading to take:
 * "grant=as-ref|with-ref|as-stored", "request=as-said|as-stored|red-to-sender",
 * "forward=grants-widen|always-wide". */
static const struct {
    const char *name;
    size_t offset;
    const char *values[3];
} readings[] = {
    {"grant", offsetof(struct ora_roster, grant_reading), {"as-ref", "with-ref", "as-stored"}},
    {"request",
     offsetof(struct ora_roster, request_reading),
     {"as-said", "as-stored", "red-to-sender"}},
    {"forward",
     offsetof(struct ora_roster, forward_reading),
     {"grants-widen", "always-wide", NULL}},
};

static void
parse_readings(const char *spec) {
    for (size_t i = 0; i < sizeof readings / sizeof readings[0]; i++) {
        for (int v = 0; v < 3 && readings[i].values[v] != NULL; v++) {
            char want[64];
            snprintf(want, sizeof want, "%s=%s", readings[i].name, readings[i].values[v]);
            if (strstr(spec, want) != NULL) {
                *(int *)((char *)&w.roster + readings[i].offset) = v;
            }
        }
    }
}

static const char *
readings_string(void) {
    static char buf[256];
    size_t n = 0;

    for (size_t i = 0; i < sizeof readings / sizeof readings[0] && n < sizeof buf; i++) {
        int v = *(const int *)((const char *)&w.roster + readings[i].offset);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s=%s", i ? "," : "", readings[i].name,
                              readings[i].values[v]);
    }
    return buf;
}

/* Section 2.4: "When P stops being a member ... its subscriptions on the
 * incident end". An ended subscription must give its place back: after 65
 * rounds of subscribe, removal of the party and re-adding it, the same
 * connection still subscribes (the limit is 64 subscriptions at a time). */
static void
check_ended_subscriptions_free_their_place(void) {
    irbus_client *coord = w.cl[0], *m = NULL;
    irbus_key *k = NULL;
    const char *org = org_table[NORGS - 1].id;
    int rc = 0, round;

    if (irbus_key_generate(&k) != 0 ||
        irbus_admin_participant_add(w.op, "slots@reg2", org, irbus_key_public(k), 0, NULL, NULL) !=
            0 ||
        (m = connect_as(&w.br, k)) == NULL ||
        irbus_incident_open(coord, "SLOTS", "ended subscriptions", "none", NULL) != 0) {
        CHECK(0);
        goto out;
    }
    for (round = 1; round <= 65 && rc == 0; round++) {
        uint64_t sub = 0;
        if ((rc = irbus_incident_party_add(coord, "SLOTS", org, "regulator", NULL, NULL)) != 0 ||
            (rc = irbus_subscribe(m, "SLOTS", "status", IRBUS_FROM_NEW, 16, &sub)) != 0 ||
            (rc = irbus_incident_party_remove(coord, "SLOTS", org, NULL)) != 0) {
            break;
        }
        unsubscribe_quietly(m, sub); /* the broker ended it already */
    }
    if (rc != 0) {
        printf("55-oracle: DISAGREE: a subscription ended by the removal of its party keeps its "
               "place: in round %d of party.add, subscribe, party.remove the answer was %s\n",
               round, code_name(rc));
        w.t.disagreements++;
    }
    w.t.requests += (unsigned long)round * 3;
out:
    irbus_client_destroy(&m);
    irbus_key_destroy(&k);
}

/* A new connection, answered once (a key revoked before its handshake has
 * finished would never connect, and time out instead of getting 205). */
static irbus_client *
connect_answered(irbus_key *k) {
    for (int attempt = 0; attempt < 3; attempt++) {
        irbus_client *c = connect_as(&w.br, k);
        irbus_message **msgs = NULL;
        size_t n = 0;
        uint64_t next;
        int rc;

        if (c == NULL) {
            return NULL;
        }
        irbus_client_set_timeout(c, 2000);
        rc = irbus_history(c, "NOWHERE", "status", 1, 0, 1, &msgs, &n, &next);
        free(msgs);
        if (rc != IRBUS_ETIMEOUT) {
            irbus_client_set_timeout(c, 10000);
            return c;
        }
        irbus_client_destroy(&c);
    }
    return NULL;
}

/* New connections for everyone, every so often: should the broker keep
 * ended subscriptions (see above), a connection would run out of places
 * and every later subscribe would be refused, burying other findings. */
static void
reconnect_all(void) {
    for (int p = 0; p < w.nshared; p++) {
        irbus_client_destroy(&w.cl[p]);
        w.cl[p] = connect_answered(w.keys[p]);
    }
    for (int x = 0; x < w.npool; x++) {
        irbus_client_destroy(&w.pool[x].cl);
        w.pool[x].cl = connect_answered(w.pool[x].key);
        if (w.pool[x].cl == NULL) {
            w.pool[x].part.revoked = 1; /* unusable: dropped at the next trial's end */
        }
    }
}

static double
now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv) {
    unsigned long trials = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000, only = 0;
    double seconds = 0, start;
    const char *e;
    int only_one = 0, rc;

    if ((e = getenv("IRB_ORACLE_TRIALS")) != NULL) {
        trials = strtoul(e, NULL, 10);
    }
    if ((e = getenv("IRB_ORACLE_SECONDS")) != NULL) {
        seconds = atof(e);
    }
    if ((e = getenv("IRB_ORACLE_TRIAL")) != NULL) {
        only = strtoul(e, NULL, 10);
        only_one = 1;
    }
    w.verbose = getenv("IRB_ORACLE_VERBOSE") != NULL;
    w.roster.grant_reading = ORA_GRANT_AS_REF;
    w.roster.request_reading = ORA_REQUEST_AS_SAID;
    if ((e = getenv("IRB_ORACLE_READINGS")) != NULL) {
        parse_readings(e);
    }
    w.shrink = (e = getenv("IRB_ORACLE_SHRINK")) != NULL ? strtoul(e, NULL, 10) : 3;
    w.seed = (e = getenv("IRB_ORACLE_SEED")) != NULL
                 ? strtoull(e, NULL, 0)
                 : ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid() ^ (uint64_t)clock();
    oracle_selftest();
    printf("55-oracle: seed %llu (IRB_ORACLE_SEED=%llu reproduces this run), %lu trials\n",
           (unsigned long long)w.seed, (unsigned long long)w.seed, trials);
    fflush(stdout);
    /* fsync on a tmpfs costs nothing: the broker's data go there when one
     * is at hand. */
    if (!is_tmpfs(getenv("TMPDIR")) && is_tmpfs("/dev/shm")) {
        setenv("TMPDIR", "/dev/shm", 1);
    }
    if (harness_begin(&w.br, argc, argv, "mapsize_mb = 16384") != 0) {
        return 64;
    }
    printf("55-oracle: readings of policy.md: %s (IRB_ORACLE_READINGS)\n", readings_string());
    printf("55-oracle: broker data in %s%s\n", w.br.data,
           is_tmpfs(getenv("TMPDIR")) ? " (tmpfs)" : "");
    if ((rc = make_roster()) != 0) {
        CHECK_EQ(rc, 0);
        broker_cleanup(&w.br);
        return check_done("55-oracle");
    }
    print_roster();
    check_ended_subscriptions_free_their_place();
    start = now_s();
    for (unsigned long i = only_one ? only : 1; i <= (only_one ? only : trials); i++) {
        run_trial(i);
        if (!broker_alive(&w.br)) {
            printf("55-oracle: the broker died during trial %lu\n", i);
            w.t.disagreements++;
            break;
        }
        if (i % 500 == 0) {
            reconnect_all();
        }
        if (i % 1000 == 0) {
            printf("55-oracle: %lu trials, %.1f s, %lu disagreements so far\n", i, now_s() - start,
                   w.t.disagreements);
            fflush(stdout);
        }
        if (seconds > 0 && now_s() - start > seconds) {
            break;
        }
    }
    printf("55-oracle: seed %llu: %lu trials in %.1f s, %lu requests checked, %lu (record, "
           "participant) visibility pairs checked, %lu disagreements in %lu trials (%lu replays "
           "while shrinking)\n",
           (unsigned long long)w.seed, w.t.trials, now_s() - start, w.t.requests, w.t.pairs,
           w.t.disagreements, w.t.failing_trials, w.t.replays);
    printf("55-oracle: %lu live subscriptions checked, %lu of them ended by the broker (party "
           "removed or key revoked); %lu forwards allowed only by a grant\n",
           w.t.live_subs, w.t.ended_subs, w.t.granted_forwards);
    printf("55-oracle: roster: %d shared participants and %lu extra ones, of which %d unrevoked "
           "in the pool\n",
           w.nshared, w.nfresh_made, w.npool);
    if (w.t.revoked_at_handshake > 0) {
        printf("55-oracle: %lu requests of revoked keys were refused at the handshake (a new "
               "connection) rather than answered 205\n",
               w.t.revoked_at_handshake);
    }
    if (w.t.zap_refusals > 0) {
        printf("55-oracle: %lu first connections of participants added a moment before got no "
               "answer and were made again (not a policy answer; see the broker's log)\n",
               w.t.zap_refusals);
    }
    printf("55-oracle: the oracle's answers (code: how often):");
    for (int code = 0; code < 1000; code++) {
        if (w.answers[code] > 0) {
            printf(" %d: %lu", code, w.answers[code]);
        }
    }
    printf("\n");
    CHECK_EQ(w.t.disagreements, 0);
    CHECK(w.t.trials > 0);
    for (int p = 0; p < MAX_PARTS; p++) {
        irbus_client_destroy(&w.cl[p]);
        irbus_key_destroy(&w.keys[p]);
    }
    for (int x = 0; x < w.npool; x++) {
        irbus_client_destroy(&w.pool[x].cl);
        irbus_key_destroy(&w.pool[x].key);
    }
    irbus_client_destroy(&w.op);
    irbus_key_destroy(&w.opkey);
    broker_cleanup(&w.br);
    return check_done("55-oracle");
}
