/*
 * policy_cells.c - see policy_cells.h.
 */
#include "policy_cells.h"

#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const all_channels[] = {"status", "coordination", "findings", "notifications",
                                           "internal"};

static int64_t
mono_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
pc_code_name(int code) {
    static char buf[8][48];
    static unsigned k;
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {0, "receipt"},
        {IRBUS_EMISSING, "EMISSING"},
        {IRBUS_EVALUE, "EVALUE"},
        {IRBUS_EMSGTYPE, "EMSGTYPE"},
        {IRBUS_EREVOKED, "EREVOKED"},
        {IRBUS_EUNKNOWNKEY, "EUNKNOWNKEY"},
        {IRBUS_EDENIED, "EDENIED"},
        {IRBUS_ENOTMEMBER, "ENOTMEMBER"},
        {IRBUS_ECHANNEL, "ECHANNEL"},
        {IRBUS_ENOTSPOC, "ENOTSPOC"},
        {IRBUS_ENOSPOC, "ENOSPOC"},
        {IRBUS_EAUDIENCE, "EAUDIENCE"},
        {IRBUS_EFORWARD, "EFORWARD"},
        {IRBUS_ECLOSED, "ECLOSED"},
        {IRBUS_ECOORD, "ECOORD"},
        {IRBUS_EHANDOVER, "EHANDOVER"},
        {IRBUS_EOPERATOR, "EOPERATOR"},
        {IRBUS_EGRANT, "EGRANT"},
        {IRBUS_ENOTFOUND, "ENOTFOUND"},
        {IRBUS_EEXIST, "EEXIST"},
        {IRBUS_ESTATE, "ESTATE"},
        {IRBUS_ELIMIT, "ELIMIT"},
        {IRBUS_EINTERNAL, "EINTERNAL"},
        {IRBUS_EINVAL, "EINVAL (local)"},
        {IRBUS_ETIMEOUT, "ETIMEOUT (local)"},
        {IRBUS_EBADSIG, "EBADSIG"},
    };
    char *b = buf[k++ % 8];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].code == code) {
            if (code == 0) {
                return "receipt";
            }
            snprintf(b, sizeof buf[0], "%d %s", -code, names[i].name);
            return b;
        }
    }
    snprintf(b, sizeof buf[0], "%d", -code);
    return b;
}

size_t
pc_split(char *buf, size_t cap, const char *s, const char **out, size_t max) {
    size_t n = 0;
    char *p, *save = NULL;

    if (s == NULL || cap == 0) {
        return 0;
    }
    snprintf(buf, cap, "%s", s);
    for (p = strtok_r(buf, " ", &save); p != NULL && n < max; p = strtok_r(NULL, " ", &save)) {
        out[n++] = p;
    }
    return n;
}

int
pc_list_has(const char *list, const char *word) {
    size_t wl = strlen(word);
    const char *p = list;

    if (strcmp(list, "*") == 0) {
        return 1;
    }
    while (*p != 0) {
        const char *e;
        while (*p == ' ') {
            p++;
        }
        e = p;
        while (*e != 0 && *e != ' ') {
            e++;
        }
        if ((size_t)(e - p) == wl && memcmp(p, word, wl) == 0) {
            return 1;
        }
        p = e;
    }
    return 0;
}

int
pc_begin(struct pc_world *w, int argc, char **argv) {
    memset(w, 0, sizeof *w);
    if (harness_begin(&w->br, argc, argv, NULL) != 0) {
        return 64;
    }
    w->op = make_key(&w->br, "op", 0xa0);
    CHECK(w->op != NULL);
    w->opc = w->op != NULL ? connect_as(&w->br, w->op) : NULL;
    CHECK(w->opc != NULL);
    if (w->opc != NULL) {
        irbus_client_set_timeout(w->opc, 10000);
    }
    w->next_seed = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    return 0;
}

void
pc_end(struct pc_world *w, const char *test) {
    for (size_t i = 0; i < w->n; i++) {
        irbus_client_destroy(&w->a[i].c);
        irbus_key_destroy(&w->a[i].key);
    }
    irbus_client_destroy(&w->opc);
    irbus_key_destroy(&w->op);
    broker_cleanup(&w->br);
    printf("%s: %d cells checked, %d disagree with schema/policy.md\n", test, w->cells,
           w->cells_failed);
}

int
pc_org(struct pc_world *w, const char *org, const char *kind) {
    int rc = irbus_admin_org_add(w->opc, org, kind, org, NULL);

    CHECK_EQ(rc, 0);
    return rc;
}

struct pc_actor *
pc_add(struct pc_world *w, const char *name, const char *id, const char *org, int automated,
       const char *max_pap) {
    struct pc_actor *a;
    int rc;

    CHECK(w->n < PC_MAX_ACTORS);
    if (w->n >= PC_MAX_ACTORS) {
        return NULL;
    }
    a = &w->a[w->n];
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->id, sizeof a->id, "%s", id);
    snprintf(a->org, sizeof a->org, "%s", org);
    a->key = make_key(&w->br, id, w->next_seed++);
    CHECK(a->key != NULL);
    if (a->key == NULL) {
        return NULL;
    }
    rc = irbus_admin_participant_add(w->opc, id, org, irbus_key_public(a->key), automated, max_pap,
                                     NULL);
    CHECK_EQ(rc, 0);
    a->c = connect_as(&w->br, a->key);
    CHECK(a->c != NULL);
    if (a->c != NULL) {
        irbus_client_set_timeout(a->c, 10000);
    }
    w->n++;
    return a;
}

struct pc_actor *
pc_get(struct pc_world *w, const char *name) {
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->a[i].name, name) == 0) {
            return &w->a[i];
        }
    }
    fprintf(stderr, "policy_cells: no actor named %s\n", name);
    CHECK(0);
    return NULL;
}

void
pc_reconnect(struct pc_world *w, struct pc_actor *a) {
    irbus_client_destroy(&a->c);
    a->c = connect_as(&w->br, a->key);
    CHECK(a->c != NULL);
    if (a->c != NULL) {
        irbus_client_set_timeout(a->c, 10000);
    }
}

static int
report(struct pc_world *w, int ok, const char *got, const char *want, const char *fmt, va_list ap) {
    char label[400];

    vsnprintf(label, sizeof label, fmt, ap);
    w->cells++;
    check_count++;
    if (!ok) {
        w->cells_failed++;
        check_failures++;
    }
    printf("%s %s: %s%s%s\n", ok ? "ok  " : "FAIL", label, got, ok || !want[0] ? "" : ", want ",
           ok ? "" : want);
    return ok;
}

int
pc_cell(struct pc_world *w, int got, int want, const char *label, ...) {
    va_list ap;
    int ok;

    va_start(ap, label);
    ok = report(w, got == want, pc_code_name(got), pc_code_name(want), label, ap);
    va_end(ap);
    return ok;
}

int
pc_seen_has(const struct pc_seen *got, uint64_t seq) {
    for (size_t i = 0; i < got->n; i++) {
        if (got->seq[i] == seq) {
            return 1;
        }
    }
    return 0;
}

int
pc_cell_read(struct pc_world *w, const struct pc_seen *got, uint64_t seq, int want_read,
             const char *label, ...) {
    int is_read = seq != 0 && pc_seen_has(got, seq);
    va_list ap;
    int ok;

    va_start(ap, label);
    ok = report(w, is_read == (want_read != 0), is_read ? "read" : "not read",
                want_read ? "read" : "not read", label, ap);
    va_end(ap);
    return ok;
}

static int
want_has(const uint64_t *want, size_t n, uint64_t seq) {
    for (size_t i = 0; i < n; i++) {
        if (want[i] == seq) {
            return 1;
        }
    }
    return 0;
}

int
pc_cell_set(struct pc_world *w, const struct pc_seen *got, const char *channel,
            const uint64_t *want, size_t n, const char *label, ...) {
    char missing[600] = "", extra[600] = "", g[1400];
    size_t nmiss = 0, nextra = 0, ngot = 0, nwant = 0;
    va_list ap;
    int ok;

    for (size_t i = 0; i < n; i++) {
        if (want[i] == 0) {
            continue;
        }
        nwant++;
        int found = 0;
        for (size_t j = 0; j < got->n && !found; j++) {
            found = got->seq[j] == want[i] &&
                    (channel == NULL || strcmp(got->channel[j], channel) == 0);
        }
        if (!found) {
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, " %llu", (unsigned long long)want[i]);
            nmiss++;
        }
    }
    for (size_t j = 0; j < got->n; j++) {
        if (channel != NULL && strcmp(got->channel[j], channel) != 0) {
            continue;
        }
        ngot++;
        if (!want_has(want, n, got->seq[j])) {
            size_t l = strlen(extra);
            snprintf(extra + l, sizeof extra - l, " %llu(%s)", (unsigned long long)got->seq[j],
                     got->kind[j]);
            nextra++;
        }
    }
    ok = nmiss == 0 && nextra == 0;
    if (ok) {
        snprintf(g, sizeof g, "%zu records as the table says", ngot);
    } else {
        snprintf(g, sizeof g, "%zu records; missing [%s ], LEAKED/extra [%s ]", ngot, missing,
                 extra);
    }
    va_start(ap, label);
    ok = report(w, ok, g, "", label, ap);
    va_end(ap);
    (void)nwant;
    return ok;
}

int
pc_publish(struct pc_actor *a, const char *incident, const char *channel, const char *tlp,
           const char *pap, const char *kind, const char *to, uint64_t *seq) {
    const char *ids[64];
    char buf[1024];
    size_t nto = pc_split(buf, sizeof buf, to, ids, 64);
    struct irbus_publish m = {incident, channel, tlp, pap, kind, ids, nto, "text/plain", "cell", 4};
    struct irbus_receipt r;
    int rc;

    if (seq != NULL) {
        *seq = 0;
    }
    if (a == NULL || a->c == NULL) {
        return IRBUS_EINVAL;
    }
    rc = irbus_publish(a->c, &m, &r);
    if (rc == 0 && seq != NULL) {
        *seq = r.seq;
    }
    return rc;
}

int
pc_forward(struct pc_actor *a, const char *incident, uint64_t ref, const uint8_t hash[32],
           const char *channel, const char *tlp, const char *pap, const char *to, uint64_t *seq) {
    const char *ids[64];
    char buf[1024];
    size_t nto = pc_split(buf, sizeof buf, to, ids, 64);
    struct irbus_forward f = {incident, ref, hash, channel, tlp, pap, ids, nto};
    struct irbus_receipt r;
    int rc;

    if (seq != NULL) {
        *seq = 0;
    }
    if (a == NULL || a->c == NULL) {
        return IRBUS_EINVAL;
    }
    rc = irbus_forward(a->c, &f, &r);
    if (rc == 0 && seq != NULL) {
        *seq = r.seq;
    }
    return rc;
}

int
pc_share(struct pc_actor *a, int grant, const char *incident, uint64_t ref, const uint8_t hash[32],
         const char *to, uint64_t *seq) {
    const char *ids[64];
    char buf[1024];
    size_t nto = pc_split(buf, sizeof buf, to, ids, 64);
    struct irbus_receipt r;
    int rc;

    if (seq != NULL) {
        *seq = 0;
    }
    if (a == NULL || a->c == NULL) {
        return IRBUS_EINVAL;
    }
    rc = grant ? irbus_share_grant(a->c, incident, ref, hash, ids, nto, &r)
               : irbus_share_request(a->c, incident, ref, hash, ids, nto, &r);
    if (rc == 0 && seq != NULL) {
        *seq = r.seq;
    }
    return rc;
}

int
pc_digest(struct pc_actor *a, const char *incident, uint64_t seq, uint8_t out[32]) {
    int last = IRBUS_ENOTFOUND;

    for (size_t k = 0; k < sizeof all_channels / sizeof all_channels[0]; k++) {
        irbus_message **msgs = NULL;
        size_t n = 0;
        uint64_t next = 0;
        int rc = irbus_history(a->c, incident, all_channels[k], seq, seq, 1, &msgs, &n, &next);
        int found = 0;
        if (rc != 0) {
            last = rc;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (msgs[i]->seq == seq && !found) {
                irbus_message_digest(msgs[i], out);
                found = 1;
            }
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        if (found) {
            return 0;
        }
    }
    return last;
}

static void
seen_add(struct pc_seen *s, uint64_t seq, const char *channel, const char *kind) {
    if (s->n >= PC_MAX_SEQS) {
        return;
    }
    s->seq[s->n] = seq;
    snprintf(s->channel[s->n], sizeof s->channel[0], "%s", channel);
    snprintf(s->kind[s->n], sizeof s->kind[0], "%s", kind);
    s->n++;
}

/* The channel a record is counted on when several were asked: its own;
 * incident commands are on status (policy.md section 2.1). */
static const char *
record_channel(const irbus_message *m) {
    return m->channel[0] != 0 ? m->channel : "status";
}

int
pc_history(struct pc_actor *a, const char *incident, const char *channels, uint64_t from,
           struct pc_seen *out) {
    int one = strchr(channels, ',') == NULL;

    for (int pages = 0; pages < 64; pages++) {
        irbus_message **msgs = NULL;
        size_t n = 0;
        uint64_t next = 0;
        int rc = irbus_history(a->c, incident, channels, from, 0, 256, &msgs, &n, &next);
        if (rc != 0) {
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            seen_add(out, msgs[i]->seq, one ? channels : record_channel(msgs[i]), msgs[i]->kind);
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        if (n == 0 || next <= from) {
            return 0;
        }
        from = next;
    }
    return 0;
}

int
pc_collect(struct pc_actor *a, const char *incident, uint64_t marker, int timeout_ms, int drain_ms,
           struct pc_seen *out) {
    int64_t deadline = mono_ms() + timeout_ms;
    int got_marker = 0;

    for (;;) {
        irbus_message *m = NULL;
        int64_t left = deadline - mono_ms();
        int rc;
        if (left < 0) {
            break;
        }
        rc = irbus_receive(a->c, (int)left, &m);
        if (rc == IRBUS_ETIMEOUT) {
            break;
        }
        if (rc == IRBUS_ERESET || rc == IRBUS_EIO) {
            break;
        }
        if (rc != 0) {
            continue;
        }
        if (strcmp(m->incident, incident) != 0) {
            irbus_message_destroy(&m);
            continue;
        }
        seen_add(out, m->seq, record_channel(m), m->kind);
        if (marker != 0 && m->seq == marker && !got_marker) {
            got_marker = 1;
            deadline = mono_ms() + drain_ms;
        }
        irbus_message_destroy(&m);
    }
    return got_marker;
}

int
pc_incident(struct pc_actor *opener, const char *incident, const char *parties, uint64_t *cmds,
            size_t *ncmds) {
    const char *p[64];
    char buf[1024];
    size_t n = pc_split(buf, sizeof buf, parties, p, 64);
    struct irbus_receipt r;
    int rc;

    rc = irbus_incident_open(opener->c, incident, "policy cells", "none", &r);
    if (rc != 0) {
        return rc;
    }
    if (cmds != NULL) {
        cmds[(*ncmds)++] = r.seq;
    }
    for (size_t i = 0; i < n; i++) {
        char org[IRBUS_ID_MAX + 1], role[32], spoc[IRBUS_ID_MAX + 1];
        const char *c1 = strchr(p[i], ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        if (c1 == NULL) {
            return IRBUS_EINVAL;
        }
        snprintf(org, sizeof org, "%.*s", (int)(c1 - p[i]), p[i]);
        if (c2 != NULL) {
            snprintf(role, sizeof role, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
            snprintf(spoc, sizeof spoc, "%s", c2 + 1);
        } else {
            snprintf(role, sizeof role, "%s", c1 + 1);
            spoc[0] = 0;
        }
        rc = irbus_incident_party_add(opener->c, incident, org, role, spoc[0] ? spoc : NULL, &r);
        if (rc != 0) {
            return rc;
        }
        if (cmds != NULL) {
            cmds[(*ncmds)++] = r.seq;
        }
    }
    return 0;
}
