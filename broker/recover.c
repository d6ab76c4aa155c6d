/*
 * recover.c - start-up: rebuild the roster and the incidents from the
 * store's command records, and verify the tail of every chain (hashes and
 * signatures). A chain that does not verify is marked and not served;
 * a system log that does not verify stops the broker.
 */
#include "irbus.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAIL_RECORDS 64

struct replay {
    struct irb_broker *b;
    struct irb_incident *in;
    struct irb_env *e;
};

/* A forward or grant found in the index: what the policy keeps of it (as
 * handle_publish keeps it when it commits). */
static int
keep_share(struct irb_incident *in, const struct irb_meta *m, const struct irb_env *e,
           const struct irb_stored *r) {
    struct irb_meta g;
    uint8_t *buf;
    size_t n;
    int rc;

    if (m->cls == IRB_MC_FORWARD) {
        return irb_incident_add_share(in, m->cls, m->ref, r->seq, r->meta, r->metalen) == 0
                   ? 0
                   : IRBUS_ECORRUPT;
    }
    irb_policy_grant_entry(e, m, &g);
    if ((buf = malloc(IRB_META_MAX)) == NULL) {
        return IRBUS_ENOMEM;
    }
    n = irb_meta_encode(&g, buf);
    rc = irb_incident_add_share(in, g.cls, g.ref, r->seq, buf, n);
    free(buf);
    return rc == 0 ? 0 : IRBUS_ECORRUPT;
}

static int
replay_cb(void *ctx, const struct irb_stored *r) {
    struct replay *rp = ctx;
    struct irb_meta m;
    char opener[IRB_MAX_ID + 1];

    if (irb_wire_decode_env(r->env, r->envlen, rp->e) != 0 ||
        irb_meta_decode(r->meta, r->metalen, &m) != 0) {
        return IRBUS_ECORRUPT;
    }
    if (rp->in == &rp->b->system) {
        return irb_roster_apply(&rp->b->roster, rp->e) == 0 ? 0 : IRBUS_ECORRUPT;
    }
    if (m.cls == IRB_MC_FORWARD || m.cls == IRB_MC_SHARE_GRANT) {
        return keep_share(rp->in, &m, rp->e, r);
    }
    if (m.cls != IRB_MC_COMMAND) {
        return IRBUS_ECORRUPT;
    }
    memcpy(opener, m.sender.p, m.sender.len);
    opener[m.sender.len] = 0;
    irb_incident_apply(rp->in, rp->e, opener);
    return 0;
}

struct tail {
    struct irb_env *e;
    uint8_t prev[32];
    uint64_t expect;
    int have_prev;
    struct irb_seal_cache seals; /* batch signatures verified once */
};

static int
tail_cb(void *ctx, const struct irb_stored *r) {
    struct tail *t = ctx;
    uint8_t digest[32], h[32];

    if (!t->have_prev) { /* the record before the tail: its hash is our start */
        memcpy(t->prev, r->hash, 32);
        t->have_prev = 1;
        t->expect = r->seq + 1;
        return 0;
    }
    if (r->seq != t->expect || irb_wire_decode_env(r->env, r->envlen, t->e) != 0) {
        return IRBUS_ECORRUPT;
    }
    irb_digest(IRB_DOMAIN_ENVELOPE, r->env, r->envlen, digest);
    irb_chain_next(t->prev, r->seq, r->btime, digest, r->sig, r->proof, r->prooflen, r->meta,
                   r->metalen, h);
    if (memcmp(h, r->hash, 32) != 0 ||
        irb_verify_item(t->e->sender.p, digest, r->sig, r->proof, r->prooflen, &t->seals) != 0) {
        return IRBUS_ECORRUPT;
    }
    memcpy(t->prev, h, 32);
    t->expect++;
    return 0;
}

static int
verify_tail(struct irb_broker *b, struct irb_incident *in) {
    struct tail t;
    uint64_t from;
    int rc;

    memset(&t, 0, sizeof t);
    t.e = b->e;
    if (in->head <= TAIL_RECORDS) {
        irb_chain_genesis(in->id, strlen(in->id), t.prev);
        t.have_prev = 1;
        t.expect = 1;
        from = 1;
    } else {
        from = in->head - TAIL_RECORDS;
    }
    rc = irb_store_scan(b->store, in->id, strlen(in->id), from, in->head, tail_cb, &t);
    if (rc == 0 && (t.expect != in->head + 1 || memcmp(t.prev, in->hash, 32) != 0)) {
        rc = IRBUS_ECORRUPT;
    }
    return rc;
}

static int
heads_cb(void *ctx, const struct irb_stored *r) {
    struct irb_broker *b = ctx;
    struct irb_incident *in;
    int rc;

    if (r->loglen == strlen(IRB_SYSTEM_LOG) && memcmp(r->log, IRB_SYSTEM_LOG, r->loglen) == 0) {
        in = &b->system;
    } else if ((rc = irb_incident_create(&b->incidents, r->log, r->loglen, &in)) != 0) {
        return rc;
    }
    in->head = r->seq;
    memcpy(in->hash, r->hash, 32);
    return 0;
}

static int
recover_log(struct irb_broker *b, struct irb_incident *in) {
    struct replay rp = {b, in, b->e};
    int rc = verify_tail(b, in);

    if (rc != 0) {
        irb_error("chain_does_not_verify log=%s head=%llu", in->id, (unsigned long long)in->head);
        in->corrupt = 1;
        return rc;
    }
    rc = irb_store_scan_commands(b->store, in->id, strlen(in->id), replay_cb, &rp);
    if (rc != 0) {
        irb_error("command_replay_failed log=%s rc=%d", in->id, rc);
        in->corrupt = 1;
    }
    return rc;
}

int
irb_broker_recover(struct irb_broker *b) {
    int rc;

    memset(&b->system, 0, sizeof b->system);
    snprintf(b->system.id, sizeof b->system.id, "%s", IRB_SYSTEM_LOG);
    irb_chain_genesis(b->system.id, strlen(b->system.id), b->system.hash);
    if ((rc = irb_store_scan_heads(b->store, heads_cb, b)) != 0) {
        irb_error("cannot read the log heads rc=%d", rc);
        return rc;
    }
    if (b->system.head > 0 && recover_log(b, &b->system) != 0) {
        return IRBUS_ECORRUPT; /* the roster cannot be trusted: refuse to start */
    }
    for (size_t i = 0; i < b->incidents.n; i++) {
        (void)recover_log(b, b->incidents.v[i]);
    }
    irb_info("recovered incidents=%zu participants=%zu system_records=%llu", b->incidents.n,
             b->roster.nparts, (unsigned long long)b->system.head);
    return 0;
}
