/*
 * drv_irbus.c - the irbus driver: libirbus as any user would call it.
 *
 * Identities come from fixed seeds (a benchmark, not a deployment): the
 * operator (the same seed the integration harness uses), publishers
 * pub<i>@bench-p and subscribers sub<j>@bench-s. setup() adds them, opens
 * incident B-<cell> as pub0 and adds both organisations as parties; every
 * step tolerates "already exists", so a restarted broker (W6) is set up by
 * the same call. irbus_publish is synchronous: one signed receipt per round
 * trip per connection, so throughput comes from several publishers.
 */
#include "drv.h"

#include "irbus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ipub {
    irbus_key *key;
    irbus_client *c;
    struct pubstat *ps;
    char incident[IRBUS_ID_MAX + 1];
    const char *channel;
};

struct isub {
    irbus_key *key;
    irbus_client *c;
    irbus_message *m;
};

static uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES];
static char endpoint[128];

enum role { ROLE_OP, ROLE_PUB, ROLE_SUB };

static irbus_key *
key_for(enum role r, unsigned idx) {
    uint8_t seed[32];
    irbus_key *k = NULL;

    if (r == ROLE_OP) {
        memset(seed, 0xa0, sizeof seed);
    } else {
        memset(seed, r == ROLE_PUB ? 0x50 : 0x53, sizeof seed);
        seed[1] = (uint8_t)idx;
        seed[2] = (uint8_t)(idx >> 8);
    }
    if (irbus_key_from_seed(seed, &k) != 0) {
        return NULL;
    }
    return k;
}

int irb_bench_irbus_keygen(const char *dir);

/* Write DIR/op and DIR/op.pub, the operator key irbusd is told to trust. */
int
irb_bench_irbus_keygen(const char *dir) {
    char path[512];
    irbus_key *k;
    int rc;

    if (irbus_init() != 0 || (k = key_for(ROLE_OP, 0)) == NULL) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/op", dir);
    rc = irbus_key_save(k, path, "bench-operator");
    irbus_key_destroy(&k);
    if (rc != 0) {
        fprintf(stderr, "irbus: cannot write %s: %s\n", path, irbus_strerror(rc));
        return -1;
    }
    return 0;
}

/* findings: every member of the publishers' party may publish there (the
 * party has a SPOC), and the csirt party reads it. */
static const char *
channel_of(const struct cell *c) {
    (void)c;
    return "findings";
}

static void
incident_of(const struct cell *c, char *out, size_t cap) {
    snprintf(out, cap, "B-%s", c->name);
}

static irbus_client *
connect_as(const struct cell *c, irbus_key *k) {
    irbus_client *cl = NULL;

    if (irbus_client_new(k, endpoint, broker_pk, &cl) != 0) {
        return NULL;
    }
    irbus_client_set_timeout(cl, c->timeout_ms);
    return cl;
}

static int
tolerate(int rc, const char *what) {
    if (rc == 0 || rc == IRBUS_EEXIST) {
        return 0;
    }
    fprintf(stderr, "irbus: %s: %s\n", what, irbus_strerror(rc));
    return -1;
}

static int
setup(const struct cell *c) {
    irbus_key *op = NULL, *k = NULL;
    irbus_client *cl = NULL;
    char id[IRBUS_ID_MAX + 1], incident[IRBUS_ID_MAX + 1];
    unsigned nsubs = c->subs > 0 ? c->subs : 1;
    int rc = -1;

    if (irbus_init() != 0 || c->broker_pk == NULL) {
        fprintf(stderr, "irbus: needs -B BROKER.pub\n");
        return -1;
    }
    if (irbus_pubkey_load(c->broker_pk, broker_pk) != 0) {
        fprintf(stderr, "irbus: cannot load %s\n", c->broker_pk);
        return -1;
    }
    snprintf(endpoint, sizeof endpoint, "tcp://%s:%d", c->host, c->port);
    if ((op = key_for(ROLE_OP, 0)) == NULL || (cl = connect_as(c, op)) == NULL) {
        goto out;
    }
    if (tolerate(irbus_admin_org_add(cl, "bench-p", "entity", "Publishers", NULL), "org_add") ||
        tolerate(irbus_admin_org_add(cl, "bench-s", "csirt", "Subscribers", NULL), "org_add")) {
        goto out;
    }
    for (unsigned i = 0; i < c->pubs + nsubs; i++) {
        int pub = i < c->pubs;
        unsigned idx = pub ? i : i - c->pubs;
        snprintf(id, sizeof id, "%s%u@%s", pub ? "pub" : "sub", idx, pub ? "bench-p" : "bench-s");
        if ((k = key_for(pub ? ROLE_PUB : ROLE_SUB, idx)) == NULL ||
            tolerate(irbus_admin_participant_add(cl, id, pub ? "bench-p" : "bench-s",
                                                 irbus_key_public(k), 1, NULL, NULL),
                     "participant_add")) {
            goto out;
        }
        irbus_key_destroy(&k);
    }
    irbus_client_destroy(&cl);
    incident_of(c, incident, sizeof incident);
    if ((k = key_for(ROLE_PUB, 0)) == NULL || (cl = connect_as(c, k)) == NULL ||
        tolerate(irbus_incident_open(cl, incident, "Benchmark", "none", NULL), "incident_open") ||
        tolerate(
            irbus_incident_party_add(cl, incident, "bench-p", "affected", "pub0@bench-p", NULL),
            "party_add") ||
        tolerate(irbus_incident_party_add(cl, incident, "bench-s", "csirt", NULL, NULL),
                 "party_add")) {
        goto out;
    }
    rc = 0;
out:
    irbus_client_destroy(&cl);
    irbus_key_destroy(&k);
    irbus_key_destroy(&op);
    return rc;
}

static int
pub_open(const struct cell *c, unsigned idx, struct pubstat *ps, void **pp) {
    struct ipub *p = calloc(1, sizeof *p);

    if (p == NULL) {
        return -1;
    }
    *pp = p;
    p->ps = ps;
    p->channel = channel_of(c);
    incident_of(c, p->incident, sizeof p->incident);
    if ((p->key = key_for(ROLE_PUB, idx)) == NULL || (p->c = connect_as(c, p->key)) == NULL) {
        return -1;
    }
    return 0;
}

static int
pub_send(void *pv, const uint8_t *payload, size_t len) {
    struct ipub *p = pv;
    struct irbus_publish m = {p->incident, p->channel, "GREEN", NULL,
                              NULL,        NULL,       0,       "application/octet-stream",
                              payload,     len};
    struct irbus_receipt r;
    int rc = irbus_publish(p->c, &m, &r);

    if (rc != 0) {
        fprintf(stderr, "irbus: publish: %s %s\n", irbus_strerror(rc),
                irbus_client_last_error(p->c));
        pub_failed(p->ps);
        return -1;
    }
    pub_acked(p->ps, payload);
    return 0;
}

static int
pub_flush(void *pv, int timeout_ms) {
    (void)pv;
    (void)timeout_ms;
    return 0; /* synchronous */
}

static void
pub_close(void **pp) {
    struct ipub *p = *pp;

    if (p != NULL) {
        irbus_client_destroy(&p->c);
        irbus_key_destroy(&p->key);
        free(p);
    }
    *pp = NULL;
}

static int
sub_open(const struct cell *c, unsigned idx, int from_start, void **sp) {
    struct isub *s = calloc(1, sizeof *s);
    char incident[IRBUS_ID_MAX + 1];
    int rc;

    if (s == NULL) {
        return -1;
    }
    *sp = s;
    incident_of(c, incident, sizeof incident);
    if ((s->key = key_for(ROLE_SUB, idx)) == NULL || (s->c = connect_as(c, s->key)) == NULL) {
        return -1;
    }
    rc = irbus_subscribe(s->c, incident, channel_of(c),
                         from_start ? IRBUS_FROM_START : IRBUS_FROM_NEW, 4096, NULL);
    if (rc != 0) {
        fprintf(stderr, "irbus: subscribe: %s\n", irbus_strerror(rc));
        return -1;
    }
    return 0;
}

static int
sub_next(void *sv, int timeout_ms, const uint8_t **payload, size_t *len) {
    struct isub *s = sv;

    for (;;) {
        int rc;
        irbus_message_destroy(&s->m);
        rc = irbus_receive(s->c, timeout_ms, &s->m);
        if (rc == IRBUS_ETIMEOUT) {
            return 0;
        }
        if (rc != 0) {
            fprintf(stderr, "irbus: receive: %s\n", irbus_strerror(rc));
            return -1;
        }
        if (strcmp(s->m->kind, "msg") != 0) {
            continue; /* the incident's own commands */
        }
        *payload = s->m->payload;
        *len = s->m->payload_len;
        return 1;
    }
}

static void
sub_close(void **sp) {
    struct isub *s = *sp;

    if (s != NULL) {
        irbus_message_destroy(&s->m);
        irbus_client_destroy(&s->c);
        irbus_key_destroy(&s->key);
        free(s);
    }
    *sp = NULL;
}

static void
fini(void) {
}

const struct drv drv_irbus = {"irbus",   setup,    pub_open, pub_send,  pub_flush,
                              pub_close, sub_open, sub_next, sub_close, fini};
