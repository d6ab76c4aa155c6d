/*
 * drv_irbus.c - the irbus driver: libirbus as any user would call it.
 *
 * Identities come from fixed seeds (a benchmark, not a deployment): the
 * operator (the same seed the integration harness uses), publishers
 * pub<i>@bench-p and subscribers sub<j>@bench-s. setup() adds them, opens
 * incident B-<cell> as pub0 and adds both organisations as parties; every
 * step tolerates "already exists", so a restarted broker (W6) is set up by
 * the same call.
 *
 * Variant "signed-fsync" publishes with irbus_publish: one signed receipt
 * per round trip per connection, so throughput comes from several
 * publishers. Variant "pipelined" (or "pipelinedN" for a window of N)
 * keeps up to IRBUS_PIPELINE_MAX (N) publishes in flight on one connection
 * with irbus_publish_send and takes the receipts with irbus_publish_result
 * on the publisher's thread: before each send, whenever the window is full,
 * and, when paced, while it waits for the next send (pub_wait), so each
 * receipt is timed when it arrives.
 */
#define _GNU_SOURCE /* ppoll: waits finer than poll's milliseconds */
#include "drv.h"

#include "irbus.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A pipelined publish in flight: its token and the header it carried, for
 * pub_acked_at. */
struct inflight {
    uint64_t token;
    uint8_t hdr[PAYLOAD_HDR];
};

struct ipub {
    irbus_key *key;
    irbus_client *c;
    struct pubstat *ps;
    char incident[IRBUS_ID_MAX + 1];
    const char *channel;
    unsigned window; /* 0: synchronous */
    unsigned n;      /* in flight */
    struct inflight fl[IRBUS_PIPELINE_MAX];
    int fd;      /* irbus_client_fd, for waiting with a finer timeout than 1 ms */
    int timeout; /* ms */
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
    p->timeout = c->timeout_ms;
    incident_of(c, p->incident, sizeof p->incident);
    if (strncmp(c->variant, "pipelined", 9) == 0) {
        p->window = c->variant[9] != '\0' ? (unsigned)atoi(c->variant + 9) : IRBUS_PIPELINE_MAX;
        if (p->window < 1 || p->window > IRBUS_PIPELINE_MAX) {
            fprintf(stderr, "irbus: variant %s: window 1..%d\n", c->variant, IRBUS_PIPELINE_MAX);
            return -1;
        }
    }
    if ((p->key = key_for(ROLE_PUB, idx)) == NULL || (p->c = connect_as(c, p->key)) == NULL ||
        (p->window > 0 && irbus_client_fd(p->c, &p->fd) != 0)) {
        return -1;
    }
    return 0;
}

/* Take one pipelined result, waiting up to timeout_ms: 1 took one, 0 none
 * came, -1 the client failed. A refused publish counts as failed. */
static int
take_result(struct ipub *p, int timeout_ms) {
    uint64_t token = 0;
    int status = 0, rc = irbus_publish_result(p->c, timeout_ms, &token, &status, NULL);
    uint64_t t = now_ns();

    if (rc == IRBUS_ETIMEOUT || rc == IRBUS_ENOTFOUND) {
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "irbus: publish_result: %s\n", irbus_strerror(rc));
        return -1;
    }
    for (unsigned i = 0; i < p->n; i++) {
        if (p->fl[i].token == token) {
            if (status == 0) {
                pub_acked_at(p->ps, p->fl[i].hdr, t);
            } else {
                fprintf(stderr, "irbus: publish: %s %s\n", irbus_strerror(status),
                        irbus_client_last_error(p->c));
                pub_failed(p->ps);
            }
            p->fl[i] = p->fl[--p->n];
            return 1;
        }
    }
    fprintf(stderr, "irbus: a result for a token never sent\n");
    return -1;
}

/* Take every result that is already there. */
static int
take_ready(struct ipub *p) {
    int r;

    while (p->n > 0 && (r = take_result(p, 0)) != 0) {
        if (r < 0) {
            return -1;
        }
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
    int rc;

    if (p->window == 0) {
        if ((rc = irbus_publish(p->c, &m, &r)) != 0) {
            fprintf(stderr, "irbus: publish: %s %s\n", irbus_strerror(rc),
                    irbus_client_last_error(p->c));
            pub_failed(p->ps);
            return -1;
        }
        pub_acked(p->ps, payload);
        return 0;
    }
    if (take_ready(p) != 0) {
        return -1;
    }
    while (p->n >= p->window) {
        if ((rc = take_result(p, p->timeout)) <= 0) {
            return -1;
        }
    }
    if ((rc = irbus_publish_send(p->c, &m, &p->fl[p->n].token)) != 0) {
        fprintf(stderr, "irbus: publish_send: %s\n", irbus_strerror(rc));
        pub_failed(p->ps);
        return -1;
    }
    memcpy(p->fl[p->n].hdr, payload, PAYLOAD_HDR);
    p->n++;
    return 0;
}

/* Paced: take results as they come until the next send is due. The client's
 * descriptor is edge-triggered: poll it only after the client said
 * nothing is there (take_ready). */
static int
pub_wait(void *pv, uint64_t until_ns) {
    struct ipub *p = pv;

    for (;;) {
        struct pollfd pfd = {p->fd, POLLIN, 0};
        struct timespec ts;
        uint64_t now;
        if (take_ready(p) != 0) {
            return -1;
        }
        now = now_ns();
        if (now >= until_ns) {
            return 0;
        }
        ts.tv_sec = (time_t)((until_ns - now) / 1000000000u);
        ts.tv_nsec = (long)((until_ns - now) % 1000000000u);
        if (p->n == 0) {
            while (nanosleep(&ts, &ts) != 0) {
            }
            return 0;
        }
        (void)ppoll(&pfd, 1, &ts, NULL);
    }
}

static int
pub_flush(void *pv, int timeout_ms) {
    struct ipub *p = pv;
    int r;

    while (p->n > 0) {
        if ((r = take_result(p, timeout_ms)) <= 0) {
            return -1;
        }
    }
    return 0;
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

const struct drv drv_irbus = {"irbus",   setup,    pub_open, pub_send,  pub_flush, pub_wait,
                              pub_close, sub_open, sub_next, sub_close, fini};
