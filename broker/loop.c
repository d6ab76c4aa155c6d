/*
 * loop.c - irbusd's event loop.
 *
 * One iteration, narrated:
 *   1. wait up to 200 ms for the ROUTER socket;
 *   2. read what is there (at most 256 messages): each is decoded, its
 *      sender taken from ZAP's User-Id, checked, and either answered at once
 *      (errors, subscribe, history) or appended to the open batch (publish,
 *      ack); roster and incident commands commit alone, after the batch;
 *   3. commit the batch (one LMDB transaction, one fsync): everything that
 *      arrived while the previous commit was syncing goes into this one;
 *      only then are receipts sent;
 *   4. push deliveries to every subscription with credit, from the log.
 * The log is the only buffer: a subscriber without credit costs nothing.
 */
#include "loop.h"

#include "irbus.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define BATCH_MAX 256

static uint64_t
now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the open batch ----------------------------------------------------- */

struct pending {
    struct irb_conn *c;
    uint64_t id;
    int receipt; /* 1: receipt for (log, seq, hash, btime); 0: ok */
    struct irb_incident *in;
    uint64_t seq, btime;
    uint8_t hash[32];
};

struct saved_head {
    struct irb_incident *in;
    uint64_t head;
    uint8_t hash[32];
};

struct sender_seq {
    uint8_t pk[32];
    uint64_t seq;
};

static struct {
    struct pending p[BATCH_MAX];
    size_t np;
    struct saved_head h[BATCH_MAX];
    size_t nh;
    struct sender_seq s[BATCH_MAX];
    size_t ns;
} batch;

static int
batch_full(void) {
    return batch.np >= BATCH_MAX;
}

/* ---- sending ------------------------------------------------------------ */

/* Send an encoded frame to a connection. 0, or -EAGAIN (its queue is full:
 * try later), or -EHOSTUNREACH (gone). */
static int
send_to(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f) {
    long n = irb_wire_encode(f, b->out, IRB_MAX_FRAME);

    if (n < 0) {
        irb_error("encode_failed type=%s rc=%ld", irb_type_name((enum irb_type)f->t), n);
        return -EINVAL;
    }
    if (zmq_send(b->router, c->rid, c->ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(b->router, b->out, (size_t)n, ZMQ_DONTWAIT) < 0) {
        return -errno;
    }
    return 0;
}

static void
send_error(struct irb_broker *b, struct irb_conn *c, uint64_t id, int code, const char *msg) {
    struct irb_frame f;

    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_ERROR;
    f.id = id;
    f.code = (uint64_t)(code < 0 ? -code : code);
    f.msg.p = msg;
    f.msg.len = strlen(msg);
    (void)send_to(b, c, &f);
}

static void
send_ok(struct irb_broker *b, struct irb_conn *c, uint64_t id, uint64_t sub) {
    struct irb_frame f;

    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_OK;
    f.id = id;
    if (sub != 0) {
        f.sub = sub;
        f.present = IRB_BIT(IRB_FI_SUB);
    }
    (void)send_to(b, c, &f);
}

static void
send_receipt(struct irb_broker *b, const struct pending *p) {
    struct irb_frame f;
    uint8_t rb[IRB_RECEIPT_BYTES_MAX], sig[64];
    size_t rl = irb_receipt_bytes(p->in->id, strlen(p->in->id), p->seq, p->hash, p->btime, rb);

    if (irb_sign(b->key, IRB_DOMAIN_RECEIPT, rb, rl, sig) != 0) {
        send_error(b, p->c, p->id, IRBUS_EINTERNAL, "cannot sign the receipt");
        return;
    }
    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_RECEIPT;
    f.id = p->id;
    f.incident = (irb_str){p->in->id, strlen(p->in->id)};
    f.seq = p->seq;
    f.hash = (irb_bin){p->hash, 32};
    f.btime = p->btime;
    f.sig = (irb_bin){sig, 64};
    (void)send_to(b, p->c, &f);
}

/* ---- commit ------------------------------------------------------------- */

/* The batch cannot be stored: abort its transaction, undo the in-memory
 * heads it advanced, and answer every request in it with the error. */
static void
batch_fail(struct irb_broker *b, int rc) {
    irb_store_abort(b->store);
    for (size_t i = batch.nh; i-- > 0;) { /* undo in reverse order */
        batch.h[i].in->head = batch.h[i].head;
        memcpy(batch.h[i].in->hash, batch.h[i].hash, 32);
    }
    for (size_t i = 0; i < batch.np; i++) {
        send_error(b, batch.p[i].c, batch.p[i].id, rc,
                   rc == IRBUS_ESTORAGEFULL ? "storage full: nothing was stored; tell the operator"
                                            : "the store failed: nothing was stored");
    }
    irb_warn("batch_failed records=%zu rc=%d", batch.np, rc);
    batch.np = batch.nh = batch.ns = 0;
}

/* Commit the batch and answer it. Returns 0, IRBUS_ESTORAGEFULL (answered
 * with errors, state rolled back), or IRBUS_EIO (fatal: stop the broker). */
static int
flush(struct irb_broker *b) {
    int rc;

    if (batch.np == 0 && !irb_store_in_batch(b->store)) {
        return 0;
    }
    rc = irb_store_commit(b->store);
    if (rc != 0) {
        batch_fail(b, rc == IRBUS_ESTORAGEFULL ? rc : IRBUS_EINTERNAL);
        return rc == IRBUS_ESTORAGEFULL ? rc : IRBUS_EIO;
    }
    for (size_t i = 0; i < batch.np; i++) {
        if (batch.p[i].receipt) {
            send_receipt(b, &batch.p[i]);
        } else {
            send_ok(b, batch.p[i].c, batch.p[i].id, 0);
        }
    }
    batch.np = batch.nh = batch.ns = 0;
    return 0;
}

/* ---- connections -------------------------------------------------------- */

static void
conn_drop(struct irb_broker *b, size_t i) {
    free(b->conns[i]);
    b->conns[i] = b->conns[--b->nconns];
}

/* Find or create the connection for a routing id, bound to its ZAP user and
 * key; a routing id that now carries another user starts afresh. */
static struct irb_conn *
conn_get(struct irb_broker *b, const uint8_t *rid, size_t ridlen, const char *user,
         const uint8_t pk[32]) {
    struct irb_conn *c;

    for (size_t i = 0; i < b->nconns; i++) {
        c = b->conns[i];
        if (c->ridlen == ridlen && memcmp(c->rid, rid, ridlen) == 0) {
            if (strcmp(c->user, user) == 0 && memcmp(c->pk, pk, 32) == 0) {
                return c;
            }
            conn_drop(b, i);
            break;
        }
    }
    if (b->nconns == b->capconns) {
        size_t nc = b->capconns ? b->capconns * 2 : 64;
        struct irb_conn **v = realloc(b->conns, nc * sizeof *v);
        if (v == NULL) {
            return NULL;
        }
        b->conns = v;
        b->capconns = nc;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    memcpy(c->rid, rid, ridlen);
    c->ridlen = ridlen;
    snprintf(c->user, sizeof c->user, "%s", user);
    memcpy(c->pk, pk, 32);
    c->next_sub = 1;
    b->conns[b->nconns++] = c;
    return c;
}

/* The participant behind a connection, if it is still valid (not revoked,
 * key not rotated away). */
static const struct irb_participant *
conn_participant(const struct irb_broker *b, const struct irb_conn *c) {
    const struct irb_participant *p = irb_roster_participant(&b->roster, c->user, strlen(c->user));

    if (p == NULL || p->revoked || memcmp(p->pk, c->pk, 32) != 0) {
        return NULL;
    }
    return p;
}

/* ---- records ------------------------------------------------------------ */

static uint64_t
sender_last(struct irb_broker *b, const uint8_t pk[32]) {
    uint64_t seq = 0;

    for (size_t i = batch.ns; i-- > 0;) {
        if (memcmp(batch.s[i].pk, pk, 32) == 0) {
            return batch.s[i].seq;
        }
    }
    if (irb_store_get_sender(b->store, pk, &seq) != 0) {
        seq = 0;
    }
    return seq;
}

/* Append a verified, allowed envelope to log `in` in the open batch and
 * queue its receipt. */
static int
append(struct irb_broker *b, struct irb_conn *c, uint64_t id, struct irb_incident *in,
       const struct irb_frame *f, const struct irb_env *e, const uint8_t digest[32],
       const struct irb_meta *m, int is_command) {
    uint8_t meta[IRB_META_MAX], hash[32];
    size_t ml = irb_meta_encode(m, meta);
    uint64_t btime = now_ms(), seq = in->head + 1;
    struct irb_stored r;
    struct pending *p;
    int rc;

    irb_chain_next(in->hash, seq, btime, digest, f->sig.p, meta, ml, hash);
    r = (struct irb_stored){in->id,   strlen(in->id), seq, btime,    hash,
                            f->sig.p, meta,           ml,  f->env.p, f->env.len};
    if ((rc = irb_store_put_record(b->store, &r, is_command)) != 0 ||
        (rc = irb_store_put_head(b->store, in->id, strlen(in->id), seq, hash)) != 0 ||
        (rc = irb_store_put_sender(b->store, e->sender.p, e->seq)) != 0) {
        return rc;
    }
    batch.h[batch.nh].in = in;
    batch.h[batch.nh].head = in->head;
    memcpy(batch.h[batch.nh].hash, in->hash, 32);
    batch.nh++;
    memcpy(batch.s[batch.ns].pk, e->sender.p, 32);
    batch.s[batch.ns].seq = e->seq;
    batch.ns++;
    in->head = seq;
    memcpy(in->hash, hash, 32);
    p = &batch.p[batch.np++];
    p->c = c;
    p->id = id;
    p->receipt = 1;
    p->in = in;
    p->seq = seq;
    p->btime = btime;
    memcpy(p->hash, hash, 32);
    return 0;
}

/* Checks every signed submission passes: sender, signature, clock, replay. */
static int
check_signed(struct irb_broker *b, const uint8_t pk[32], const struct irb_frame *f,
             const struct irb_env *e, uint8_t digest[32], const char **why) {
    uint64_t now = now_ms(), last;

    if (memcmp(e->sender.p, pk, 32) != 0) {
        *why = "the envelope's sender is not the key this connection authenticated with";
        return IRBUS_ESENDER;
    }
    irb_digest(IRB_DOMAIN_ENVELOPE, f->env.p, f->env.len, digest);
    if (irb_verify_digest(pk, digest, f->sig.p) != 0) {
        *why = "the signature does not verify over the envelope bytes";
        return IRBUS_EBADSIG;
    }
    if (e->ts + b->cfg.clock_window_ms < now || e->ts > now + b->cfg.clock_window_ms) {
        *why = "the timestamp is outside the broker's window; check this machine's clock";
        return IRBUS_ECLOCK;
    }
    last = sender_last(b, pk);
    if (e->seq <= last) {
        *why = "sequence number not above the last one accepted from this key (replay)";
        return IRBUS_EREPLAY;
    }
    return 0;
}

static void
fill_meta(struct irb_meta *m, const struct irb_env *e, const struct irb_participant *p,
          int is_command) {
    memset(m, 0, sizeof *m);
    m->is_command = (uint8_t)is_command;
    m->channel = is_command ? IRB_CH_STATUS : e->channel;
    m->tlp = is_command ? IRB_TLP_GREEN : e->tlp;
    m->sender = (irb_str){p->id, strlen(p->id)};
    m->org = (irb_str){p->org, strlen(p->org)};
    if (!is_command) {
        m->nto = e->nto;
        memcpy(m->to, e->to, sizeof(irb_str) * e->nto);
    }
}

static const char *
org_of(void *ctx, const char *participant, size_t len) {
    const struct irb_participant *p = irb_roster_participant(ctx, participant, len);

    return p != NULL ? p->org : NULL;
}

static void
drop_subs_of(struct irb_broker *b, irb_str participant) {
    for (size_t i = 0; i < b->nconns; i++) {
        struct irb_conn *c = b->conns[i];
        if (strlen(c->user) == participant.len &&
            memcmp(c->user, participant.p, participant.len) == 0) {
            c->nsubs = 0;
        }
    }
}

/* ---- handlers ----------------------------------------------------------- */

static void
denied(struct irb_broker *b, struct irb_conn *c, uint64_t id, const char *rule) {
    char msg[160];

    irb_warn("denied participant=%s rule=%s", c->user, rule);
    snprintf(msg, sizeof msg, "denied by policy rule %s", rule);
    send_error(b, c, id, IRBUS_EDENIED, msg);
}

static int
handle_signed(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f,
              const struct irb_env *e) {
    const struct irb_participant *p = NULL;
    const struct irb_admin *a = NULL;
    struct irb_incident *in = NULL;
    struct irb_meta m;
    uint8_t digest[32];
    const char *why = "", *rule = "";
    int rc, created = 0;

    if (f->t == IRB_T_ADMIN) {
        a = irb_roster_admin_by_user(&b->roster, c->user);
        if (a == NULL) {
            denied(b, c, f->id, "roster_commands_need_an_operator_key");
            return 0;
        }
    } else if ((p = conn_participant(b, c)) == NULL) {
        send_error(b, c, f->id, IRBUS_EREVOKED, "this key is revoked or not a participant");
        return 0;
    }
    if ((rc = check_signed(b, c->pk, f, e, digest, &why)) != 0) {
        irb_warn("refused participant=%s code=%d reason=\"%s\"", c->user, -rc, why);
        send_error(b, c, f->id, rc, why);
        return 0;
    }
    if (f->t == IRB_T_PUBLISH) {
        in = irb_incident_find(&b->incidents, e->incident.p, e->incident.len);
        if (in == NULL || in->head == 0) {
            send_error(b, c, f->id, IRBUS_ENOTFOUND, "no such incident");
            return 0;
        }
        if (in->corrupt) {
            send_error(b, c, f->id, IRBUS_ECORRUPT, "this incident's history does not verify");
            return 0;
        }
        if (e->kind != IRB_K_MSG && e->kind > IRB_K_FEEDBACK) {
            send_error(b, c, f->id, IRBUS_EMSGTYPE, "kind not accepted on publish");
            return 0;
        }
        if (e->kind == IRB_K_FORWARD || e->kind == IRB_K_SHARE_REQUEST ||
            e->kind == IRB_K_SHARE_GRANT) {
            denied(b, c, f->id, "forwarding_not_enabled");
            return 0;
        }
        if (irb_policy_publish(in, p, e, &rule) != 0) {
            denied(b, c, f->id, rule);
            return 0;
        }
        fill_meta(&m, e, p, 0);
        if (batch_full() && (rc = flush(b)) == IRBUS_EIO) {
            return rc;
        }
        if ((rc = append(b, c, f->id, in, f, e, digest, &m, 0)) != 0) {
            /* The whole transaction is void: answer everything in it. */
            batch_fail(b, rc);
            send_error(b, c, f->id, rc, "storage full: nothing was stored; tell the operator");
        }
        return 0;
    }

    /* Roster and incident commands: commit what is pending, then this one
     * alone, and change state only once it is durable. */
    if ((rc = flush(b)) == IRBUS_EIO) {
        return rc;
    }
    if (f->t == IRB_T_ADMIN) {
        static const struct irb_participant operator_ = {"operator", "operator", {0}, {0},
                                                         0,          0,          0,   0};
        if ((rc = irb_roster_check(&b->roster, e)) != 0) {
            send_error(b, c, f->id, rc, irbus_strerror(rc));
            return 0;
        }
        fill_meta(&m, e, &operator_, 1);
        m.sender = (irb_str){c->user, strlen(c->user)};
        in = &b->system;
    } else {
        in = irb_incident_find(&b->incidents, e->incident.p, e->incident.len);
        if (e->kind == IRB_K_INCIDENT_OPEN && in == NULL) {
            if ((rc = irb_incident_create(&b->incidents, e->incident.p, e->incident.len, &in)) !=
                0) {
                send_error(b, c, f->id, rc, "out of memory");
                return 0;
            }
            created = 1;
        }
        if (in == NULL || (in->head == 0 && e->kind != IRB_K_INCIDENT_OPEN)) {
            send_error(b, c, f->id, IRBUS_ENOTFOUND, "no such incident");
            return 0;
        }
        if (in->corrupt) {
            send_error(b, c, f->id, IRBUS_ECORRUPT, "this incident's history does not verify");
            return 0;
        }
        if (irb_policy_command(in, p, e, &rule) != 0) {
            denied(b, c, f->id, rule);
            return 0;
        }
        if ((rc = irb_incident_check(in, e, org_of, &b->roster)) != 0) {
            send_error(b, c, f->id, rc, irbus_strerror(rc));
            return 0;
        }
        fill_meta(&m, e, p, 1);
    }
    (void)created;
    if ((rc = append(b, c, f->id, in, f, e, digest, &m, 1)) != 0) {
        batch_fail(b, rc);
        send_error(b, c, f->id, rc, "storage full: nothing was stored; tell the operator");
        return 0;
    }
    rc = flush(b);
    if (rc != 0) {
        return rc == IRBUS_EIO ? rc : 0;
    }
    if (f->t == IRB_T_ADMIN) {
        if (irb_roster_apply(&b->roster, e) != 0) {
            irb_error("roster_apply_failed kind=%s", irb_kind_name((enum irb_kind)e->kind));
            return IRBUS_EINTERNAL;
        }
        if (e->kind == IRB_K_PARTICIPANT_REVOKE || e->kind == IRB_K_PARTICIPANT_ROTATE) {
            drop_subs_of(b, e->participant);
        }
        irb_info("roster_changed kind=%s by=%s", irb_kind_name((enum irb_kind)e->kind), c->user);
    } else {
        irb_incident_apply(in, e, p->id);
        irb_info("incident_changed incident=%s kind=%s by=%s", in->id,
                 irb_kind_name((enum irb_kind)e->kind), p->id);
    }
    return 0;
}

/* Find an incident the participant may read, or answer why not. */
static struct irb_incident *
readable(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f,
         const struct irb_participant **pp) {
    const struct irb_participant *p = conn_participant(b, c);
    struct irb_incident *in;
    const char *rule = "";

    if (p == NULL) {
        send_error(b, c, f->id, IRBUS_EREVOKED, "this key is revoked or not a participant");
        return NULL;
    }
    in = irb_incident_find(&b->incidents, f->incident.p, f->incident.len);
    if (in == NULL || in->head == 0) {
        send_error(b, c, f->id, IRBUS_ENOTFOUND, "no such incident");
        return NULL;
    }
    if (in->corrupt) {
        send_error(b, c, f->id, IRBUS_ECORRUPT, "this incident's history does not verify");
        return NULL;
    }
    if (irb_policy_read(in, p, &rule) != 0) {
        denied(b, c, f->id, rule);
        return NULL;
    }
    *pp = p;
    return in;
}

struct hist {
    struct irb_broker *b;
    const struct irb_incident *in;
    const struct irb_participant *p;
    uint32_t channels;
    uint64_t limit;
    struct irb_frame *out;
    uint8_t *buf; /* copies of env and sig, valid after the read transaction */
    size_t used, cap;
    uint64_t next;
};

static int
wanted(const struct irb_incident *in, const struct irb_participant *p, uint32_t channels,
       const struct irb_stored *r) {
    struct irb_meta m;

    if (irb_meta_decode(r->meta, r->metalen, &m) != 0) {
        return 0;
    }
    return (channels & (1u << m.channel)) != 0 && irb_policy_visible(in, p, &m);
}

static int
hist_cb(void *ctx, const struct irb_stored *r) {
    struct hist *h = ctx;
    struct irb_record *rec;

    if (h->out->nrecords >= h->limit) {
        return 1;
    }
    if (wanted(h->in, h->p, h->channels, r)) {
        if (h->used + r->envlen + 64 + 64 > h->cap) {
            return 1; /* the frame is full: `next` says where to go on */
        }
        rec = &h->out->records[h->out->nrecords++];
        memset(rec, 0, sizeof *rec);
        rec->seq = r->seq;
        rec->btime = r->btime;
        memcpy(h->buf + h->used, r->env, r->envlen);
        rec->env = (irb_bin){h->buf + h->used, r->envlen};
        h->used += r->envlen;
        memcpy(h->buf + h->used, r->sig, 64);
        rec->sig = (irb_bin){h->buf + h->used, 64};
        h->used += 64;
    }
    h->next = r->seq + 1;
    return 0;
}

static void
handle_history(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f) {
    const struct irb_participant *p = NULL;
    struct irb_incident *in = readable(b, c, f, &p);
    struct irb_frame *out;
    struct hist h;
    uint64_t from = f->from > 0 ? f->from : 1;
    uint64_t until = (f->present & IRB_BIT(IRB_FI_UNTIL)) && f->until < in->head ? f->until : 0;
    int rc;

    if (in == NULL) {
        return;
    }
    out = calloc(1, sizeof *out);
    memset(&h, 0, sizeof h);
    h.cap = IRB_MAX_FRAME - 64 * 1024;
    h.buf = malloc(h.cap);
    if (out == NULL || h.buf == NULL) {
        send_error(b, c, f->id, IRBUS_EINTERNAL, "out of memory");
        goto done;
    }
    h.b = b;
    h.in = in;
    h.p = p;
    h.channels = f->channels;
    h.limit = f->limit;
    h.out = out;
    h.next = from;
    rc = irb_store_scan(b->store, in->id, strlen(in->id), from, until ? until : in->head, hist_cb,
                        &h);
    if (rc != 0) {
        send_error(b, c, f->id, rc, "cannot read the history");
        goto done;
    }
    out->v = 1;
    out->t = IRB_T_HISTORY_RESULT;
    out->id = f->id;
    out->incident = (irb_str){in->id, strlen(in->id)};
    out->next = h.next;
    (void)send_to(b, c, out);
done:
    free(h.buf);
    free(out);
}

static void
handle_request(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f) {
    const struct irb_participant *p = NULL;
    struct irb_incident *in;
    struct irb_sub *s;

    switch (f->t) {
    case IRB_T_SUBSCRIBE:
        if ((in = readable(b, c, f, &p)) == NULL) {
            return;
        }
        if (c->nsubs >= IRB_MAX_SUBS) {
            send_error(b, c, f->id, IRBUS_ELIMIT, "at most 64 subscriptions per connection");
            return;
        }
        s = &c->subs[c->nsubs++];
        s->id = c->next_sub++;
        s->in = in;
        s->channels = f->channels;
        s->next = f->from == 0 ? in->head + 1 : f->from;
        s->credit = f->credit;
        send_ok(b, c, f->id, s->id);
        return;
    case IRB_T_CREDIT:
    case IRB_T_UNSUBSCRIBE:
        for (size_t i = 0; i < c->nsubs; i++) {
            if (c->subs[i].id == f->sub) {
                if (f->t == IRB_T_CREDIT) {
                    /* Outstanding credit is capped, so a subscriber cannot make
                     * the broker queue without bound. */
                    c->subs[i].credit += f->credit;
                    if (c->subs[i].credit > IRB_MAX_CREDIT) {
                        c->subs[i].credit = IRB_MAX_CREDIT;
                    }
                } else {
                    c->subs[i] = c->subs[--c->nsubs];
                }
                send_ok(b, c, f->id, 0);
                return;
            }
        }
        send_error(b, c, f->id, IRBUS_ENOTFOUND, "no such subscription on this connection");
        return;
    case IRB_T_ACK:
        if ((in = readable(b, c, f, &p)) == NULL) {
            return;
        }
        if (f->seq > in->head) {
            send_error(b, c, f->id, IRBUS_EVALUE, "ack beyond the incident's last sequence");
            return;
        }
        if (batch_full() && flush(b) == IRBUS_EIO) {
            return;
        }
        if (irb_store_put_ack(b->store, p->id, in->id, f->seq, now_ms()) != 0) {
            batch_fail(b, IRBUS_ESTORAGEFULL);
            send_error(b, c, f->id, IRBUS_ESTORAGEFULL, "storage full: the ack was not recorded");
            return;
        }
        batch.p[batch.np] = (struct pending){c, f->id, 0, in, f->seq, 0, {0}};
        batch.np++;
        return;
    case IRB_T_HISTORY:
        handle_history(b, c, f);
        return;
    default:
        send_error(b, c, f->id, IRBUS_EMSGTYPE, "a client does not send this frame type");
        return;
    }
}

/* Read one message from the ROUTER and handle it. Returns 1 if there was
 * one, 0 if none, IRBUS_EIO on a fatal store error. */
static int
receive_one(struct irb_broker *b) {
    zmq_msg_t rid, body;
    const char *user, *keyhex;
    uint8_t pk[32];
    struct irb_conn *c;
    int more = 0, rc = 1, drc;
    size_t ml = sizeof more;

    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&rid, b->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
        return 0;
    }
    if (zmq_msg_recv(&body, b->router, 0) < 0) {
        goto out;
    }
    zmq_getsockopt(b->router, ZMQ_RCVMORE, &more, &ml);
    user = zmq_msg_gets(&body, "User-Id");
    keyhex = zmq_msg_gets(&body, IRB_ZAP_KEY_PROPERTY);
    if (user == NULL || keyhex == NULL || strlen(keyhex) != 64 || zmq_msg_size(&rid) > 8) {
        goto drain;
    }
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(keyhex + 2 * i, "%2x", &v) != 1) {
            goto drain;
        }
        pk[i] = (uint8_t)v;
    }
    c = conn_get(b, zmq_msg_data(&rid), zmq_msg_size(&rid), user, pk);
    if (c == NULL) {
        goto drain;
    }
    if (more) {
        send_error(b, c, 0, IRBUS_EMSGPACK, "a message is exactly one part");
        goto drain;
    }
    drc = irb_wire_decode_full(zmq_msg_data(&body), zmq_msg_size(&body), b->f, b->e);
    if (drc != 0) {
        irb_warn("malformed participant=%s code=%d", user, -drc);
        send_error(b, c, 0, drc, irbus_strerror(drc));
        goto drain;
    }
    if (b->f->t == IRB_T_PUBLISH || b->f->t == IRB_T_ADMIN || b->f->t == IRB_T_INCIDENT) {
        if (handle_signed(b, c, b->f, b->e) == IRBUS_EIO) {
            rc = IRBUS_EIO;
        }
    } else {
        handle_request(b, c, b->f);
    }
drain:
    while (more) { /* discard any further parts */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, b->router, 0) < 0) {
            zmq_msg_close(&extra);
            break;
        }
        zmq_getsockopt(b->router, ZMQ_RCVMORE, &more, &ml);
        zmq_msg_close(&extra);
    }
out:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
    return rc;
}

/* ---- delivery ----------------------------------------------------------- */

struct pump {
    struct irb_broker *b;
    struct irb_conn *c;
    const struct irb_participant *p;
    struct irb_sub *s;
    int gone;
};

static int
pump_cb(void *ctx, const struct irb_stored *r) {
    struct pump *pu = ctx;
    struct irb_frame f;
    int rc;

    if (pu->s->credit == 0) {
        return 1;
    }
    if (wanted(pu->s->in, pu->p, pu->s->channels, r)) {
        memset(&f, 0, offsetof(struct irb_frame, records));
        f.v = 1;
        f.t = IRB_T_DELIVER;
        f.sub = pu->s->id;
        f.incident = (irb_str){pu->s->in->id, strlen(pu->s->in->id)};
        f.seq = r->seq;
        f.btime = r->btime;
        f.env = (irb_bin){r->env, r->envlen};
        f.sig = (irb_bin){r->sig, 64};
        rc = send_to(pu->b, pu->c, &f);
        if (rc == -EAGAIN) {
            return 1; /* its queue is full: resume from this record later */
        }
        if (rc != 0) {
            pu->gone = 1;
            return 1;
        }
        pu->s->credit--;
    }
    pu->s->next = r->seq + 1;
    return 0;
}

static void
pump(struct irb_broker *b) {
    for (size_t i = 0; i < b->nconns;) {
        struct pump pu = {b, b->conns[i], NULL, NULL, 0};
        pu.p = conn_participant(b, pu.c);
        if (pu.p == NULL) {
            pu.c->nsubs = 0; /* revoked or rotated away: nothing more is delivered */
        }
        for (size_t k = 0; k < pu.c->nsubs && !pu.gone; k++) {
            pu.s = &pu.c->subs[k];
            if (pu.s->credit > 0 && pu.s->next <= pu.s->in->head) {
                (void)irb_store_scan(b->store, pu.s->in->id, strlen(pu.s->in->id), pu.s->next,
                                     pu.s->in->head, pump_cb, &pu);
            }
        }
        if (pu.gone) {
            irb_info("connection_gone participant=%s", pu.c->user);
            conn_drop(b, i);
            continue;
        }
        i++;
    }
}

int
irb_broker_run(struct irb_broker *b) {
    zmq_pollitem_t item = {b->router, 0, ZMQ_POLLIN, 0};
    int rc = 0;

    while (!*b->stop) {
        if (!atomic_load(&b->zap.alive)) {
            irb_error("zap_handler_gone action=exit");
            return IRBUS_EINTERNAL;
        }
        if (zmq_poll(&item, 1, 200) < 0) {
            if (errno == EINTR) {
                continue;
            }
            irb_error("poll_failed errno=%d", errno);
            return IRBUS_EIO;
        }
        for (int n = 0; n < BATCH_MAX && (rc = receive_one(b)) == 1; n++) {
        }
        if (rc == IRBUS_EIO || flush(b) == IRBUS_EIO) {
            irb_error("store_commit_failed action=exit");
            return IRBUS_EIO;
        }
        pump(b);
    }
    return 0;
}
