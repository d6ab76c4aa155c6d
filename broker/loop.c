/*
 * loop.c - irbusd's event loop.
 *
 * One iteration, narrated:
 *   1. wait up to 200 ms for the ROUTER socket;
 *   2. read what is there, at most BATCH_MAX messages, each into its own
 *      slot: routing id, ZAP User-Id and key, decoded frame (the decoded
 *      fields borrow from the message, which the slot keeps open);
 *   3. verify the Ed25519 signature of every signed submission in the slots,
 *      spread over the verification threads and this one: verification is
 *      the costliest step and the only one that needs no shared state;
 *   4. handle the slots in arrival order: sender, signature result, clock
 *      window, replay, policy; answer errors, subscribe and history at once,
 *      append publishes and acks to the open batch; roster and incident
 *      commands commit alone, after what is pending;
 *   5. commit the batch (one LMDB transaction, one fsync): everything that
 *      arrived while the previous commit was syncing goes into this one;
 *      only then are receipts sent;
 *   6. push deliveries to every subscription with credit, from the log, and
 *      forget connections idle without subscriptions.
 * The log is the only buffer: a subscriber without credit costs nothing.
 * Nothing on this path allocates per message: slots, batch and the encode
 * buffer are allocated once when the loop starts.
 */
#include "loop.h"

#include "irbus.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "sign.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH_MAX 128 /* messages read per iteration, so records per commit */
_Static_assert(BATCH_MAX <= IRB_BATCH_MAX, "one receipt tree per batch");

static uint64_t
now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
mono_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- loop state ---------------------------------------------------------- */

/* An answer owed once the batch commits. */
struct pending {
    struct irb_peer to;
    uint64_t id;
    int receipt; /* 1: receipt for (log, seq, hash, btime); 0: ok */
    struct irb_incident *in;
    uint64_t seq, btime;
    uint8_t hash[32];
    /* a forward or grant: what the policy keeps of it once committed */
    uint8_t share_cls;
    uint64_t share_ref;
    uint8_t *share_meta; /* owned; NULL when none */
    size_t share_len;
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

/* One received message, kept open until the iteration ends. */
struct slot {
    zmq_msg_t body;
    struct irb_peer from;
    char user[IRB_USER_MAX];
    uint8_t pk[32];
    int multipart; /* more than one body part: refused */
    int drc;       /* decode result */
    int sigrc;     /* signature: 0 verified, IRBUS_EBADSIG, or 1 not checked */
    uint8_t digest[32];
    struct irb_frame f;
    struct irb_env e;
};

/* The verification threads. The loop thread publishes a list of slots, cut
 * into units, and a new generation; every thread (the loop's too) takes
 * units off the list by an atomic index until none is left; the loop waits
 * until each thread has reported that it found the list empty.
 *
 * A unit is a run of slots under one batch signature (a publisher's batch
 * arrives together), cut where its envelopes pass UNIT_BYTES, or a slot
 * alone. A thread verifies a batch signature once (its cache), so a batch
 * of small messages costs one Ed25519 verification, not one for each
 * thread that meets some of its items, and no thread is woken for it; a
 * batch of large ones is still spread, since hashing the envelopes is then
 * the greater cost. */
#define UNIT_BYTES (64u << 10)
_Static_assert(BATCH_MAX <= UINT8_MAX, "a unit's first slot fits its index");
struct verifier;
/* A verifying thread, with the batch signatures it has verified. */
struct worker {
    struct verifier *v;
    struct irb_seal_cache seals;
};

struct verifier {
    pthread_t th[IRB_VERIFY_MAX];
    struct worker w[IRB_VERIFY_MAX + 1]; /* the last one is the loop thread's */
    size_t nth;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;
    size_t finished;
    int quit;
    struct slot **work;
    uint8_t unit[BATCH_MAX + 1]; /* unit k: work[unit[k]] .. work[unit[k + 1] - 1] */
    size_t nunits;
    atomic_size_t next;
};

/* The records of a deliver or history result, encoded one by one as they
 * are read from the store, so that a record's bytes are copied once, from
 * the store into the frame (they live only as long as the read
 * transaction). The fields before them are encoded last, in the room kept
 * in front (irb_wire_encode_head), those after them behind. */
#define HEAD_ROOM 512 /* > any head: its fixed fields and an incident id */
#define TAIL_ROOM 64  /* > any tail: history's `next` */
/* Encoded records in one frame: the frame stays 1 KiB below IRB_MAX_FRAME,
 * which a client's ZMQ_MAXMSGSIZE applies to the frame as sent, CURVE's
 * framing included. A record of the largest envelope fits alone. */
#define RECORDS_CAP (IRB_MAX_FRAME - HEAD_ROOM - TAIL_ROOM - 1024)
_Static_assert(IRB_MAX_ENV + 64 + IRB_MAX_PROOF + 64 <= RECORDS_CAP, "one record fits");
struct records {
    uint8_t *buf; /* IRB_MAX_FRAME; records from buf + HEAD_ROOM */
    size_t used;  /* bytes of encoded records */
    uint32_t n;
};

struct irb_loop {
    struct pending p[BATCH_MAX];
    size_t np;
    size_t nshares; /* pending entries that carry a share */
    struct saved_head h[BATCH_MAX];
    size_t nh;
    struct sender_seq s[BATCH_MAX];
    size_t ns;
    struct slot *slots; /* BATCH_MAX */
    struct slot *work[BATCH_MAX];
    struct verifier v;
    uint8_t rd[BATCH_MAX][32]; /* the batch's receipt digests */
    struct irb_batch tree;     /* and their tree, when there are two or more */
    struct irb_frame rf;       /* a frame with records: its other fields */
    struct records recs;       /* and its records, encoded (pump, history) */
};

static int
batch_full(const struct irb_loop *l) {
    return l->np >= BATCH_MAX;
}

/* ---- signature verification ---------------------------------------------- */

/* A publish may carry a batch signature (schema/protocol.md "Batch
 * signatures"): the items of one batch cost one Ed25519 verification per
 * thread that meets them, through the thread's cache. */
static void
verify_slot(struct slot *s, struct irb_seal_cache *seals) {
    irb_digest(IRB_DOMAIN_ENVELOPE, s->f.env.p, s->f.env.len, s->digest);
    s->sigrc =
        irb_verify_item(s->pk, s->digest, s->f.sig.p, s->f.proof.p, s->f.proof.len, seals) == 0
            ? 0
            : IRBUS_EBADSIG;
}

static void
verify_some(struct worker *w) {
    struct verifier *v = w->v;
    size_t k;

    while ((k = atomic_fetch_add(&v->next, 1)) < v->nunits) {
        for (size_t i = v->unit[k]; i < v->unit[k + 1]; i++) {
            verify_slot(v->work[i], &w->seals);
        }
    }
}

/* Do slots a and b carry the same batch signature of the same key? */
static int
same_seal(const struct slot *a, const struct slot *b) {
    return a->f.proof.len > 0 && b->f.proof.len > 0 && memcmp(a->pk, b->pk, 32) == 0 &&
           memcmp(a->f.sig.p, b->f.sig.p, 64) == 0;
}

/* Cut work[0..n) into units (see struct verifier). */
static void
units_make(struct verifier *v, struct slot **work, size_t n) {
    size_t bytes = 0;

    v->nunits = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = work[i]->f.env.len;
        if (i == 0 || !same_seal(work[i - 1], work[i]) || bytes + len > UNIT_BYTES) {
            v->unit[v->nunits++] = (uint8_t)i;
            bytes = 0;
        }
        bytes += len;
    }
    v->unit[v->nunits] = (uint8_t)n;
}

static void *
verifier_main(void *arg) {
    struct worker *w = arg;
    struct verifier *v = w->v;
    uint64_t seen = 0;

    pthread_mutex_lock(&v->mu);
    for (;;) {
        while (!v->quit && v->gen == seen) {
            pthread_cond_wait(&v->go, &v->mu);
        }
        if (v->quit) {
            break;
        }
        seen = v->gen;
        pthread_mutex_unlock(&v->mu);
        verify_some(w);
        pthread_mutex_lock(&v->mu);
        v->finished++;
        pthread_cond_signal(&v->done);
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* Verify every slot in work[0..n); returns when all are done. */
static void
verify_all(struct verifier *v, struct slot **work, size_t n) {
    struct worker *self = &v->w[IRB_VERIFY_MAX];

    units_make(v, work, n);
    if (v->nth == 0 || v->nunits < 2) {
        for (size_t i = 0; i < n; i++) {
            verify_slot(work[i], &self->seals);
        }
        return;
    }
    pthread_mutex_lock(&v->mu);
    v->work = work;
    atomic_store(&v->next, 0);
    v->finished = 0;
    v->gen++;
    pthread_cond_broadcast(&v->go);
    pthread_mutex_unlock(&v->mu);
    verify_some(self);
    pthread_mutex_lock(&v->mu);
    while (v->finished < v->nth) {
        pthread_cond_wait(&v->done, &v->mu);
    }
    pthread_mutex_unlock(&v->mu);
}

static size_t
verify_threads(uint32_t configured) {
    long cpus;

    if (configured != IRB_VERIFY_AUTO) {
        return configured;
    }
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus <= 1) {
        return 0;
    }
    return cpus - 1 > IRB_VERIFY_MAX ? IRB_VERIFY_MAX : (size_t)(cpus - 1);
}

static int
verifier_start(struct verifier *v, size_t n) {
    if (pthread_mutex_init(&v->mu, NULL) != 0) {
        return -1;
    }
    if (pthread_cond_init(&v->go, NULL) != 0) {
        pthread_mutex_destroy(&v->mu);
        return -1;
    }
    if (pthread_cond_init(&v->done, NULL) != 0) {
        pthread_cond_destroy(&v->go);
        pthread_mutex_destroy(&v->mu);
        return -1;
    }
    for (size_t i = 0; i <= IRB_VERIFY_MAX; i++) {
        v->w[i].v = v;
    }
    for (v->nth = 0; v->nth < n; v->nth++) {
        if (pthread_create(&v->th[v->nth], NULL, verifier_main, &v->w[v->nth]) != 0) {
            irb_warn("verify_thread_not_started index=%zu", v->nth);
            break; /* run with the threads we have */
        }
    }
    return 0;
}

static void
verifier_stop(struct verifier *v) {
    pthread_mutex_lock(&v->mu);
    v->quit = 1;
    pthread_cond_broadcast(&v->go);
    pthread_mutex_unlock(&v->mu);
    for (size_t i = 0; i < v->nth; i++) {
        pthread_join(v->th[i], NULL);
    }
    pthread_cond_destroy(&v->done);
    pthread_cond_destroy(&v->go);
    pthread_mutex_destroy(&v->mu);
}

/* ---- sending ------------------------------------------------------------ */

/* Send the bytes of an encoded frame to a peer. 0, or -EAGAIN (its queue
 * is full: try later), or -EHOSTUNREACH (gone). */
static int
send_bytes(struct irb_broker *b, const struct irb_peer *to, const uint8_t *p, size_t n) {
    if (zmq_send(b->router, to->rid, to->len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(b->router, p, n, ZMQ_DONTWAIT) < 0) {
        return -errno;
    }
    return 0;
}

/* Encode frame f and send it. As send_bytes, or -EINVAL. */
static int
send_to(struct irb_broker *b, const struct irb_peer *to, const struct irb_frame *f) {
    long n = irb_wire_encode(f, b->out, IRB_MAX_FRAME);

    if (n < 0) {
        irb_error("encode_failed type=%s rc=%ld", irb_type_name((enum irb_type)f->t), n);
        return -EINVAL;
    }
    return send_bytes(b, to, b->out, (size_t)n);
}

static void
records_reset(struct records *rs) {
    rs->used = 0;
    rs->n = 0;
}

/* Encode stored record r as the next of rs: 0, or IRBUS_ETOOBIG when the
 * frame has no room left for it. */
static int
records_add(struct records *rs, const struct irb_stored *r) {
    struct irb_record rec = {.seq = r->seq,
                             .btime = r->btime,
                             .env = {r->env, r->envlen},
                             .sig = {r->sig, 64},
                             .proof = {r->proof, r->prooflen}};
    long n;

    if (rs->n == IRB_MAX_RECORDS ||
        (n = irb_wire_encode_record(&rec, rs->buf + HEAD_ROOM + rs->used, RECORDS_CAP - rs->used)) <
            0) {
        return IRBUS_ETOOBIG;
    }
    rs->used += (size_t)n;
    rs->n++;
    return 0;
}

/* Send frame f (all but its records) with the records of rs. As send_to. */
static int
send_records(struct irb_broker *b, const struct irb_peer *to, struct irb_frame *f,
             struct records *rs) {
    uint8_t head[HEAD_ROOM];
    uint8_t *end = rs->buf + HEAD_ROOM + rs->used;
    long hl, tl;

    f->nrecords = rs->n;
    if ((hl = irb_wire_encode_head(f, head, sizeof head)) < 0 ||
        (tl = irb_wire_encode_tail(f, end, TAIL_ROOM)) < 0) {
        irb_error("encode_failed type=%s records=%u", irb_type_name((enum irb_type)f->t), rs->n);
        return -EINVAL;
    }
    memcpy(rs->buf + HEAD_ROOM - hl, head, (size_t)hl);
    return send_bytes(b, to, rs->buf + HEAD_ROOM - hl, (size_t)hl + rs->used + (size_t)tl);
}

/* Send an answer. Deliveries leave room for answers in every connection's
 * queue (IRB_CONN_DELIVERIES), so a full queue here means the client sent
 * more requests than it reads answers: the answer is lost, and said so. */
static void
answer_sent(struct irb_broker *b, const struct irb_frame *f, int rc) {
    if (rc == -EAGAIN) {
        b->answers_dropped++;
        irb_warn("answer_dropped type=%s id=%llu reason=client_not_reading total=%llu",
                 irb_type_name((enum irb_type)f->t), (unsigned long long)f->id,
                 (unsigned long long)b->answers_dropped);
    }
}

static void
send_answer(struct irb_broker *b, const struct irb_peer *to, const struct irb_frame *f) {
    answer_sent(b, f, send_to(b, to, f));
}

static void
send_error(struct irb_broker *b, const struct irb_peer *to, uint64_t id, int code,
           const char *msg) {
    struct irb_frame f;

    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_ERROR;
    f.id = id;
    f.code = (uint64_t)(code < 0 ? -code : code);
    f.msg.p = msg;
    f.msg.len = strlen(msg);
    send_answer(b, to, &f);
}

static void
send_ok(struct irb_broker *b, const struct irb_peer *to, uint64_t id, uint64_t sub) {
    struct irb_frame f;

    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_OK;
    f.id = id;
    if (sub != 0) {
        f.sub = sub;
        f.present = IRB_BIT(IRB_FI_SUB);
    }
    send_answer(b, to, &f);
}

/* Send p's receipt, signed by sig: over its own digest (proof NULL), or a
 * batch signature with p's proof. */
static void
send_receipt(struct irb_broker *b, const struct pending *p, const uint8_t sig[64],
             const uint8_t *proof, size_t prooflen) {
    struct irb_frame f;

    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_RECEIPT;
    f.id = p->id;
    f.incident = (irb_str){p->in->id, strlen(p->in->id)};
    f.seq = p->seq;
    f.hash = (irb_bin){p->hash, 32};
    f.btime = p->btime;
    f.sig = (irb_bin){(uint8_t *)sig, 64};
    if (prooflen > 0) {
        f.proof = (irb_bin){(uint8_t *)proof, prooflen};
        f.present |= IRB_BIT(IRB_FI_PROOF);
    }
    send_answer(b, &p->to, &f);
}

/* Sign the receipts of a committed batch: one signature over the tree of
 * their digests when there are two or more (schema/protocol.md "Batch
 * signatures"), so a batch costs the broker one signature and a client
 * that holds several of its receipts one verification. */
static void
send_receipts(struct irb_broker *b) {
    struct irb_loop *l = b->loop;
    uint8_t sig[64], proof[IRB_PROOF_MAX];
    size_t n = 0, k = 0;

    for (size_t i = 0; i < l->np; i++) {
        const struct pending *p = &l->p[i];
        uint8_t rb[IRB_RECEIPT_BYTES_MAX];
        size_t rl;
        if (p->receipt) {
            rl = irb_receipt_bytes(p->in->id, strlen(p->in->id), p->seq, p->hash, p->btime, rb);
            irb_digest(IRB_DOMAIN_RECEIPT, rb, rl, l->rd[n++]);
        }
    }
    if (n == 0) {
        return;
    }
    if ((n == 1 ? irb_sign_digest(b->key, l->rd[0], sig)
                : (irb_batch_build(&l->tree, l->rd[0], NULL, n) != 0
                       ? IRBUS_EINVAL
                       : irb_sign_digest(b->key, l->tree.digest, sig))) != 0) {
        for (size_t i = 0; i < l->np; i++) {
            if (l->p[i].receipt) {
                send_error(b, &l->p[i].to, l->p[i].id, IRBUS_EINTERNAL, "cannot sign the receipt");
            }
        }
        return;
    }
    for (size_t i = 0; i < l->np; i++) {
        if (l->p[i].receipt) {
            size_t pl = n == 1 ? 0 : irb_batch_proof(&l->tree, k++, proof);
            send_receipt(b, &l->p[i], sig, proof, pl);
        }
    }
}

/* ---- commit ------------------------------------------------------------- */

/* The batch cannot be stored: abort its transaction, undo the in-memory
 * heads it advanced, and answer every request in it with the error. */
static const char *
store_failed_text(int rc) {
    return rc == IRBUS_ESTORAGEFULL ? "storage full: nothing was stored; tell the operator"
                                    : "the store failed: nothing was stored";
}

static void
batch_fail(struct irb_broker *b, int rc) {
    struct irb_loop *l = b->loop;

    irb_store_abort(b->store);
    for (size_t i = l->nh; i-- > 0;) { /* undo in reverse order */
        l->h[i].in->head = l->h[i].head;
        memcpy(l->h[i].in->hash, l->h[i].hash, 32);
    }
    for (size_t i = 0; i < l->np; i++) {
        send_error(b, &l->p[i].to, l->p[i].id, rc, store_failed_text(rc));
        free(l->p[i].share_meta);
    }
    irb_warn("batch_failed records=%zu rc=%d", l->np, rc);
    l->np = l->nh = l->ns = l->nshares = 0;
}

/* Commit the batch. Returns 0, IRBUS_ESTORAGEFULL (answered with errors,
 * state rolled back), or IRBUS_EIO (fatal: stop the broker). */
static int
commit_batch(struct irb_broker *b) {
    int rc = irb_store_commit(b->store);

    if (rc != 0) {
        batch_fail(b, rc == IRBUS_ESTORAGEFULL ? rc : IRBUS_EINTERNAL);
        return rc == IRBUS_ESTORAGEFULL ? rc : IRBUS_EIO;
    }
    return 0;
}

/* Answer a committed batch: receipts and oks, and keep what the policy
 * needs of its forwards and grants. */
static void
answer_batch(struct irb_broker *b) {
    struct irb_loop *l = b->loop;

    for (size_t i = 0; i < l->np; i++) {
        struct pending *p = &l->p[i];
        if (p->share_meta != NULL) {
            /* Room was reserved at append (IRB_MAX_SHARES); only memory can
             * fail here, and a forward the policy does not know of shows
             * less, never more. */
            if (irb_incident_add_share(p->in, p->share_cls, p->share_ref, p->seq, p->share_meta,
                                       p->share_len) != 0) {
                irb_error("share_not_kept incident=%s seq=%llu reason=out_of_memory", p->in->id,
                          (unsigned long long)p->seq);
            }
            free(p->share_meta);
        }
        if (!p->receipt) {
            send_ok(b, &p->to, p->id, 0);
        }
    }
    send_receipts(b);
    l->np = l->nh = l->ns = l->nshares = 0;
}

/* Commit the batch and answer it. Returns as commit_batch. */
static int
flush(struct irb_broker *b) {
    int rc;

    if (b->loop->np == 0 && !irb_store_in_batch(b->store)) {
        return 0;
    }
    if ((rc = commit_batch(b)) != 0) {
        return rc;
    }
    answer_batch(b);
    return 0;
}

/* ---- connections -------------------------------------------------------- */

static void
conn_drop(struct irb_broker *b, size_t i) {
    free(b->conns[i]);
    b->conns[i] = b->conns[--b->nconns];
}

/* Find or create the connection for a routing id, bound to its ZAP user and
 * key; a routing id that now carries another user starts afresh. NULL when
 * IRB_MAX_CONNS connections hold state, or out of memory. */
static struct irb_conn *
conn_get(struct irb_broker *b, const struct slot *s) {
    struct irb_conn *c;

    for (size_t i = 0; i < b->nconns; i++) {
        c = b->conns[i];
        if (c->peer.len == s->from.len && memcmp(c->peer.rid, s->from.rid, s->from.len) == 0) {
            if (strcmp(c->user, s->user) == 0 && memcmp(c->pk, s->pk, 32) == 0) {
                c->last_ms = mono_ms();
                return c;
            }
            conn_drop(b, i);
            break;
        }
    }
    if (b->nconns >= IRB_MAX_CONNS) {
        return NULL;
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
    c->peer = s->from;
    snprintf(c->user, sizeof c->user, "%s", s->user);
    memcpy(c->pk, s->pk, 32);
    c->last_ms = mono_ms();
    b->conns[b->nconns++] = c;
    return c;
}

/* End subscription k of c. */
static void
sub_end(struct irb_conn *c, size_t k) {
    c->queued -= c->subs[k].inflight_n;
    c->subs[k] = c->subs[--c->nsubs];
}

/* Forget connections that hold no subscription and have been silent for
 * IRB_CONN_IDLE_MS: ZeroMQ does not tell a ROUTER that a peer left, and a
 * connection without subscriptions is rebuilt from its next message. */
static void
conn_sweep(struct irb_broker *b) {
    uint64_t now = mono_ms();

    for (size_t i = 0; i < b->nconns;) {
        if (b->conns[i]->nsubs == 0 && now - b->conns[i]->last_ms > IRB_CONN_IDLE_MS) {
            conn_drop(b, i);
            continue;
        }
        i++;
    }
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
    const struct irb_loop *l = b->loop;

    for (size_t i = l->ns; i-- > 0;) {
        if (memcmp(l->s[i].pk, pk, 32) == 0) {
            return l->s[i].seq;
        }
    }
    if (irb_store_get_sender(b->store, pk, &seq) != 0) {
        seq = 0;
    }
    return seq;
}

/* Append a verified, allowed envelope with meta m to log `in` in the open
 * batch and queue its receipt; `share` (a forward's or grant's entry for
 * the policy) is kept once the batch commits. */
static int
append(struct irb_broker *b, const struct irb_peer *to, uint64_t id, struct irb_incident *in,
       const struct irb_frame *f, const struct irb_env *e, const uint8_t digest[32],
       const struct irb_meta *m, const struct irb_meta *share) {
    struct irb_loop *l = b->loop;
    uint8_t meta[IRB_META_MAX], hash[32];
    size_t ml = irb_meta_encode(m, meta);
    uint64_t btime = now_ms(), seq = in->head + 1;
    struct irb_stored r;
    struct pending *p;
    uint8_t *sm = NULL;
    size_t sl = 0;
    int rc;

    if (share != NULL) {
        /* kept in memory once committed (flush) */
        if ((sm = malloc(IRB_META_MAX)) == NULL) {
            return IRBUS_EINTERNAL;
        }
        sl = irb_meta_encode(share, sm);
    }
    irb_chain_next(in->hash, seq, btime, digest, f->sig.p, f->proof.p, f->proof.len, meta, ml,
                   hash);
    r = (struct irb_stored){.log = in->id,
                            .loglen = strlen(in->id),
                            .seq = seq,
                            .btime = btime,
                            .hash = hash,
                            .sig = f->sig.p,
                            .proof = f->proof.len > 0 ? f->proof.p : NULL,
                            .prooflen = f->proof.len,
                            .meta = meta,
                            .metalen = ml,
                            .env = f->env.p,
                            .envlen = f->env.len};
    /* Commands, forwards and grants are indexed: recovery rebuilds the
     * incident and its shares from them. */
    if ((rc = irb_store_put_record(
             b->store, &r, m->cls != IRB_MC_MESSAGE && m->cls != IRB_MC_SHARE_REQUEST)) != 0 ||
        (rc = irb_store_put_head(b->store, in->id, strlen(in->id), seq, hash)) != 0 ||
        (rc = irb_store_put_sender(b->store, e->sender.p, e->seq)) != 0) {
        free(sm);
        return rc;
    }
    l->h[l->nh].in = in;
    l->h[l->nh].head = in->head;
    memcpy(l->h[l->nh].hash, in->hash, 32);
    l->nh++;
    memcpy(l->s[l->ns].pk, e->sender.p, 32);
    l->s[l->ns].seq = e->seq;
    l->ns++;
    in->head = seq;
    memcpy(in->hash, hash, 32);
    p = &l->p[l->np++];
    p->to = *to;
    p->id = id;
    p->receipt = 1;
    p->in = in;
    p->seq = seq;
    p->btime = btime;
    memcpy(p->hash, hash, 32);
    p->share_meta = sm;
    p->share_len = sl;
    p->share_cls = share != NULL ? share->cls : 0;
    p->share_ref = share != NULL ? share->ref : 0;
    l->nshares += share != NULL;
    return 0;
}

/* Checks every signed submission passes: sender, signature (verified in
 * advance by verify_all), clock, replay. */
static int
check_signed(struct irb_broker *b, const struct slot *s, const char **why) {
    uint64_t now = now_ms(), last;

    if (memcmp(s->e.sender.p, s->pk, 32) != 0) {
        *why = "the envelope's sender is not the key this connection authenticated with";
        return IRBUS_ESENDER;
    }
    if (s->sigrc != 0) {
        *why = "the signature does not verify over the envelope bytes";
        return IRBUS_EBADSIG;
    }
    if (s->e.ts + b->cfg.clock_window_ms < now || s->e.ts > now + b->cfg.clock_window_ms) {
        *why = "the timestamp is outside the broker's window; check this machine's clock";
        return IRBUS_ECLOCK;
    }
    last = sender_last(b, s->pk);
    if (s->e.seq <= last) {
        *why = "sequence number not above the last one accepted from this key (replay)";
        return IRBUS_EREPLAY;
    }
    return 0;
}

/* The meta of a command record: on status, GREEN, seen by every member. */
static void
command_meta(struct irb_meta *m, const char *sender, const char *org) {
    memset(m, 0, sizeof *m);
    m->cls = IRB_MC_COMMAND;
    m->channel = IRB_CH_STATUS;
    m->tlp = IRB_TLP_GREEN;
    m->sender = (irb_str){sender, strlen(sender)};
    m->org = (irb_str){org, strlen(org)};
}

/* For irb_incident_check: a revoked participant may hold no role. */
static const char *
org_of(void *ctx, const char *participant, size_t len) {
    const struct irb_participant *p = irb_roster_participant(ctx, participant, len);

    if (p == NULL) {
        return NULL;
    }
    return p->revoked ? "" : p->org;
}

/* Tell a client that the broker ended one of its subscriptions, and why
 * (schema/protocol.md: `ended`): it frees the client's place for it, and a
 * subscriber learns it will receive nothing more rather than hearing
 * nothing. */
static void
send_ended(struct irb_broker *b, struct irb_conn *c, const struct irb_sub *s, int code,
           const char *rule) {
    struct irb_frame f;
    char msg[160];

    irb_info("subscription_ended participant=%s incident=%s sub=%llu rule=%s", c->user, s->in->id,
             (unsigned long long)s->id, rule);
    snprintf(msg, sizeof msg, "subscription to %s ended: rule %s", s->in->id, rule);
    memset(&f, 0, offsetof(struct irb_frame, records));
    f.v = 1;
    f.t = IRB_T_ENDED;
    f.sub = s->id;
    f.code = (uint64_t)-code;
    f.msg = (irb_str){msg, strlen(msg)};
    send_answer(b, &c->peer, &f);
}

/* End the subscriptions on `in` (on every incident when NULL) of
 * connections whose participant is no longer a member of the incident
 * (revoked, key rotated away, party removed). Called as soon as the change
 * is applied: a party removed and added again at once must not keep them. */
static void
end_lost_subs(struct irb_broker *b, const struct irb_incident *in) {
    for (size_t i = 0; i < b->nconns; i++) {
        struct irb_conn *c = b->conns[i];
        const struct irb_participant *p = conn_participant(b, c);
        for (size_t k = 0; k < c->nsubs;) {
            struct irb_sub *s = &c->subs[k];
            const char *rule = "key_revoked_or_rotated";
            if ((in == NULL || s->in == in) &&
                (p == NULL || irb_policy_check(&(struct irb_policy_q){IRB_ACT_READ, &b->roster,
                                                                      s->in, p, NULL, NULL, 0, 0},
                                               &rule) != 0)) {
                send_ended(b, c, s, p == NULL ? IRBUS_EREVOKED : IRBUS_ENOTMEMBER, rule);
                sub_end(c, k);
                continue;
            }
            k++;
        }
    }
}

/* ---- handlers ----------------------------------------------------------- */

/* A denial: answered with its code and the rule's name, logged at warning
 * level, counted, and kept in the list of recent denials. */
static void
denied(struct irb_broker *b, struct irb_conn *c, uint64_t id, int code, const char *incident) {
    const char *rule = irb_policy_rule_name(code);
    struct irb_denials *d = &b->denials;
    struct irb_denial *x = &d->recent[d->total % IRB_DENIALS_KEPT];
    size_t k = (size_t)(-code - 300);
    char msg[IRB_MAX_ERRMSG];

    d->total++;
    if (k < IRB_DENIAL_CODES) {
        d->count[k]++;
    }
    x->when = now_ms();
    x->code = -code;
    snprintf(x->user, sizeof x->user, "%s", c->user);
    snprintf(x->incident, sizeof x->incident, "%s", incident != NULL ? incident : "");
    irb_warn("denied participant=%s code=%d rule=%s incident=%s count=%llu", c->user, -code, rule,
             incident != NULL ? incident : "-",
             (unsigned long long)(k < IRB_DENIAL_CODES ? d->count[k] : d->total));
    snprintf(msg, sizeof msg, "rule %s", rule); /* irbus_strerror(code) says the rest */
    send_error(b, &c->peer, id, code, msg);
}

/* The record a forward or share refers to, read from the log. */
struct ref_rec {
    int found;
    uint8_t digest[32];
    uint8_t meta[IRB_META_MAX];
    size_t metalen;
};

static int
ref_cb(void *ctx, const struct irb_stored *r) {
    struct ref_rec *rr = ctx;

    if (r->metalen > sizeof rr->meta) {
        return IRBUS_ECORRUPT;
    }
    memcpy(rr->meta, r->meta, r->metalen);
    rr->metalen = r->metalen;
    irb_digest(IRB_DOMAIN_ENVELOPE, r->env, r->envlen, rr->digest);
    rr->found = 1;
    return 1;
}

/* Find record e->ref for participant p and check it may be referred to:
 * 0 with its meta in *rm (borrowing from rr), or an answer already sent
 * (returns 1). The answer for a record p may not see is the one for a
 * record that does not exist. */
static int
find_ref(struct irb_broker *b, struct irb_conn *c, uint64_t id, struct irb_incident *in,
         const struct irb_participant *p, const struct irb_env *e, struct ref_rec *rr,
         struct irb_meta *rm) {
    const char *rule = "";
    char msg[128];

    memset(rr, 0, offsetof(struct ref_rec, meta));
    if (e->ref <= in->head &&
        irb_store_scan(b->store, in->id, strlen(in->id), e->ref, e->ref, ref_cb, rr) != 0) {
        send_error(b, &c->peer, id, IRBUS_EINTERNAL, "cannot read the history");
        return 1;
    }
    if (!rr->found || irb_meta_decode(rr->meta, rr->metalen, rm) != 0 ||
        irb_policy_check(&(struct irb_policy_q){IRB_ACT_SEE, &b->roster, in, p, NULL, rm,
                                                (1u << IRB_CH_COUNT) - 1, e->ref},
                         &rule) != 0) {
        snprintf(msg, sizeof msg, "no record %llu in this incident that you may see",
                 (unsigned long long)e->ref);
        send_error(b, &c->peer, id, IRBUS_ENOTFOUND, msg);
        return 1;
    }
    if (rm->cls != IRB_MC_MESSAGE) {
        send_error(b, &c->peer, id, IRBUS_EVALUE,
                   "only a message can be forwarded or shared, not a command, forward or share");
        return 1;
    }
    if (sodium_memcmp(rr->digest, e->ref_hash.p, 32) != 0) {
        send_error(b, &c->peer, id, IRBUS_EVALUE,
                   "ref_hash is not the envelope digest of record ref");
        return 1;
    }
    return 0;
}

/* A publish-class submission, signature and replay checked: policy, then
 * into the open batch. Returns 0, or IRBUS_EIO (a commit failed: fatal). */
static int
handle_publish(struct irb_broker *b, struct irb_conn *c, const struct slot *s,
               const struct irb_participant *p) {
    const struct irb_frame *f = &s->f;
    const struct irb_env *e = &s->e;
    struct irb_policy_q q = {IRB_ACT_PUBLISH, &b->roster, NULL, p, e, NULL, 0, 0};
    struct irb_meta m, rm, g;
    const struct irb_meta *share = NULL;
    struct ref_rec *rr = NULL;
    struct irb_incident *in;
    const char *rule = "";
    int rc, referring = e->kind == IRB_K_FORWARD || e->kind == IRB_K_SHARE_REQUEST ||
                        e->kind == IRB_K_SHARE_GRANT;

    in = irb_incident_find(&b->incidents, e->incident.p, e->incident.len);
    if (in == NULL || in->head == 0) {
        send_error(b, &c->peer, f->id, IRBUS_ENOTFOUND, "no such incident");
        return 0;
    }
    if (in->corrupt) {
        send_error(b, &c->peer, f->id, IRBUS_ECORRUPT, "this incident's history does not verify");
        return 0;
    }
    if (e->kind > IRB_K_FEEDBACK) {
        send_error(b, &c->peer, f->id, IRBUS_EMSGTYPE, "kind not accepted on publish");
        return 0;
    }
    q.in = in;
    if ((rc = irb_policy_check(&q, &rule)) != 0) {
        denied(b, c, f->id, rc, in->id);
        return 0;
    }
    if (referring) {
        if ((rr = malloc(sizeof *rr)) == NULL) {
            send_error(b, &c->peer, f->id, IRBUS_EINTERNAL, "out of memory");
            return 0;
        }
        if (find_ref(b, c, f->id, in, p, e, rr, &rm) != 0) {
            goto out;
        }
        q.act = IRB_ACT_REFER;
        q.m = &rm;
        q.seq = e->ref;
        if ((rc = irb_policy_check(&q, &rule)) != 0) {
            denied(b, c, f->id, rc, in->id);
            goto out;
        }
        if (e->kind != IRB_K_SHARE_REQUEST && in->nshares + b->loop->nshares >= IRB_MAX_SHARES) {
            send_error(b, &c->peer, f->id, IRBUS_ELIMIT,
                       "this incident holds the most forwards and grants it can (4096)");
            goto out;
        }
    }
    irb_policy_meta(in, p, e, referring ? &rm : NULL, e->ref, &m);
    if (e->kind == IRB_K_FORWARD) {
        share = &m;
    } else if (e->kind == IRB_K_SHARE_GRANT) {
        irb_policy_grant_entry(e, &m, &g);
        share = &g;
    }
    if (batch_full(b->loop) && (rc = flush(b)) == IRBUS_EIO) {
        free(rr);
        return rc;
    }
    if ((rc = append(b, &c->peer, f->id, in, f, e, s->digest, &m, share)) != 0) {
        /* The whole transaction is void: answer everything in it. */
        batch_fail(b, rc);
        send_error(b, &c->peer, f->id, rc, store_failed_text(rc));
    }
out:
    free(rr);
    return 0;
}

static int
handle_signed(struct irb_broker *b, struct irb_conn *c, const struct slot *s) {
    const struct irb_frame *f = &s->f;
    const struct irb_env *e = &s->e;
    const uint8_t *digest = s->digest;
    const struct irb_participant *p = NULL;
    const struct irb_admin *a = NULL;
    struct irb_incident *in = NULL;
    struct irb_meta m;
    const char *why = "", *rule = "";
    int rc;

    if (f->t == IRB_T_ADMIN) {
        a = irb_roster_admin_by_user(&b->roster, c->user);
        if (a == NULL) {
            denied(b, c, f->id, IRBUS_EOPERATOR, NULL);
            return 0;
        }
    } else if ((p = conn_participant(b, c)) == NULL) {
        send_error(b, &c->peer, f->id, IRBUS_EREVOKED, "this key is revoked or not a participant");
        return 0;
    }
    if ((rc = check_signed(b, s, &why)) != 0) {
        irb_warn("refused participant=%s code=%d reason=\"%s\"", c->user, -rc, why);
        send_error(b, &c->peer, f->id, rc, why);
        return 0;
    }
    if (f->t == IRB_T_PUBLISH) {
        return handle_publish(b, c, s, p);
    }

    /* Roster and incident commands: commit what is pending, then this one
     * alone, and change state only once it is durable. */
    if ((rc = flush(b)) == IRBUS_EIO) {
        return rc;
    }
    if (f->t == IRB_T_ADMIN) {
        if ((rc = irb_roster_check(&b->roster, e)) != 0) {
            send_error(b, &c->peer, f->id, rc, irbus_strerror(rc));
            return 0;
        }
        command_meta(&m, c->user, "operator");
        in = &b->system;
    } else {
        in = irb_incident_find(&b->incidents, e->incident.p, e->incident.len);
        if (e->kind == IRB_K_INCIDENT_OPEN && in == NULL) {
            if ((rc = irb_incident_create(&b->incidents, e->incident.p, e->incident.len, &in)) !=
                0) {
                send_error(b, &c->peer, f->id, rc, "out of memory");
                return 0;
            }
        }
        if (in == NULL || (in->head == 0 && e->kind != IRB_K_INCIDENT_OPEN)) {
            send_error(b, &c->peer, f->id, IRBUS_ENOTFOUND, "no such incident");
            return 0;
        }
        if (in->corrupt) {
            send_error(b, &c->peer, f->id, IRBUS_ECORRUPT,
                       "this incident's history does not verify");
            return 0;
        }
        if ((rc = irb_policy_check(
                 &(struct irb_policy_q){IRB_ACT_COMMAND, &b->roster, in, p, e, NULL, 0, 0},
                 &rule)) != 0) {
            denied(b, c, f->id, rc, in->id);
            return 0;
        }
        if ((rc = irb_incident_check(in, e, org_of, &b->roster)) != 0) {
            if (rc == IRBUS_EHANDOVER) {
                denied(b, c, f->id, rc, in->id);
            } else {
                send_error(b, &c->peer, f->id, rc, irbus_strerror(rc));
            }
            return 0;
        }
        command_meta(&m, p->id, p->org);
    }
    if ((rc = append(b, &c->peer, f->id, in, f, e, digest, &m, NULL)) != 0) {
        batch_fail(b, rc);
        send_error(b, &c->peer, f->id, rc, store_failed_text(rc));
        return 0;
    }
    /* Durable first, then the new state, then the receipt: whoever holds
     * the receipt finds the change in force (a participant just added can
     * connect: the ZAP thread already knows its key). */
    rc = commit_batch(b);
    if (rc != 0) {
        return rc == IRBUS_EIO ? rc : 0;
    }
    if (f->t == IRB_T_ADMIN) {
        if (irb_roster_apply(&b->roster, e) != 0) {
            /* out of memory: the record is durable and a restart applies
             * it; the receipt says what was stored */
            irb_error("roster_apply_failed kind=%s", irb_kind_name((enum irb_kind)e->kind));
            answer_batch(b);
            return IRBUS_EINTERNAL;
        }
        if (e->kind == IRB_K_PARTICIPANT_REVOKE || e->kind == IRB_K_PARTICIPANT_ROTATE) {
            end_lost_subs(b, NULL);
        }
        irb_info("roster_changed kind=%s by=%s", irb_kind_name((enum irb_kind)e->kind), c->user);
    } else {
        irb_incident_apply(in, e, p->id);
        irb_info("incident_changed incident=%s kind=%s by=%s", in->id,
                 irb_kind_name((enum irb_kind)e->kind), p->id);
        if (e->kind == IRB_K_PARTY_REMOVE) {
            end_lost_subs(b, in);
        }
    }
    answer_batch(b);
    return 0;
}

/* Find an incident the participant may read, or answer why not. */
static struct irb_incident *
readable(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f,
         const struct irb_participant **pp) {
    const struct irb_participant *p = conn_participant(b, c);
    struct irb_incident *in;
    const char *rule = "";
    int rc;

    if (p == NULL) {
        send_error(b, &c->peer, f->id, IRBUS_EREVOKED, "this key is revoked or not a participant");
        return NULL;
    }
    in = irb_incident_find(&b->incidents, f->incident.p, f->incident.len);
    if (in == NULL || in->head == 0) {
        send_error(b, &c->peer, f->id, IRBUS_ENOTFOUND, "no such incident");
        return NULL;
    }
    if (in->corrupt) {
        send_error(b, &c->peer, f->id, IRBUS_ECORRUPT, "this incident's history does not verify");
        return NULL;
    }
    /* ack names no channels: membership is enough */
    if ((rc = irb_policy_check(&(struct irb_policy_q){IRB_ACT_READ, &b->roster, in, p, NULL, NULL,
                                                      f->t == IRB_T_ACK ? 0 : f->channels, 0},
                               &rule)) != 0) {
        denied(b, c, f->id, rc, in->id);
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
    struct records *out;
    uint64_t next;
};

/* May p be shown stored record r on `channels` (replay, live, history)? */
static int
wanted(const struct irb_broker *b, const struct irb_incident *in, const struct irb_participant *p,
       uint32_t channels, const struct irb_stored *r) {
    struct irb_meta m;
    const char *rule;

    if (irb_meta_decode(r->meta, r->metalen, &m) != 0) {
        return 0;
    }
    return irb_policy_check(
               &(struct irb_policy_q){IRB_ACT_SEE, &b->roster, in, p, NULL, &m, channels, r->seq},
               &rule) == 0;
}

static int
hist_cb(void *ctx, const struct irb_stored *r) {
    struct hist *h = ctx;

    if (h->out->n >= h->limit) {
        return 1;
    }
    if (wanted(h->b, h->in, h->p, h->channels, r) && records_add(h->out, r) != 0) {
        return 1; /* the frame is full: `next` says where to go on */
    }
    h->next = r->seq + 1;
    return 0;
}

static void
handle_history(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f) {
    const struct irb_participant *p = NULL;
    struct irb_incident *in = readable(b, c, f, &p);
    struct irb_frame *out = &b->loop->rf;
    struct hist h;
    uint64_t from = f->from > 0 ? f->from : 1, until;
    int rc;

    if (in == NULL) {
        return;
    }
    until = (f->present & IRB_BIT(IRB_FI_UNTIL)) && f->until < in->head ? f->until : 0;
    records_reset(&b->loop->recs);
    h = (struct hist){b, in, p, f->channels, f->limit, &b->loop->recs, from};
    rc = irb_store_scan(b->store, in->id, strlen(in->id), from, until ? until : in->head, hist_cb,
                        &h);
    if (rc != 0) {
        send_error(b, &c->peer, f->id, rc, "cannot read the history");
        return;
    }
    memset(out, 0, offsetof(struct irb_frame, records));
    out->v = 1;
    out->t = IRB_T_HISTORY_RESULT;
    out->id = f->id;
    out->incident = (irb_str){in->id, strlen(in->id)};
    out->next = h.next;
    answer_sent(b, out, send_records(b, &c->peer, out, &b->loop->recs));
}

/* The operator's list of recent denials: counts per rule, then the last
 * IRB_DENIALS_KEPT, oldest first, one line each (schema/policy.md 6). */
static void
handle_denials(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f) {
    const struct irb_denials *d = &b->denials;
    uint64_t kept = d->total < IRB_DENIALS_KEPT ? d->total : IRB_DENIALS_KEPT;
    struct irb_frame out;
    char *text;
    size_t n = 0;

    if (irb_roster_admin_by_user(&b->roster, c->user) == NULL) {
        denied(b, c, f->id, IRBUS_EOPERATOR, NULL);
        return;
    }
    if ((text = malloc(IRB_MAX_REPORT)) == NULL) {
        send_error(b, &c->peer, f->id, IRBUS_EINTERNAL, "out of memory");
        return;
    }
#define ADD(...)                                                                                   \
    do {                                                                                           \
        int w_ = n < IRB_MAX_REPORT ? snprintf(text + n, IRB_MAX_REPORT - n, __VA_ARGS__) : 0;     \
        n = w_ > 0 && (size_t)w_ < IRB_MAX_REPORT - n ? n + (size_t)w_ : n;                        \
    } while (0)
    ADD("denials total=%llu since the broker started\n", (unsigned long long)d->total);
    for (int k = 0; k < IRB_DENIAL_CODES; k++) {
        if (d->count[k] > 0) {
            ADD("count code=%d rule=%s n=%llu\n", 300 + k, irb_policy_rule_name(-(300 + k)),
                (unsigned long long)d->count[k]);
        }
    }
    for (uint64_t i = d->total - kept; i < d->total; i++) {
        const struct irb_denial *x = &d->recent[i % IRB_DENIALS_KEPT];
        time_t secs = (time_t)(x->when / 1000);
        struct tm tm;
        char when[32] = "?";
        if (gmtime_r(&secs, &tm) != NULL) {
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        }
        ADD("%s.%03uZ participant=%s code=%d rule=%s incident=%s\n", when,
            (unsigned)(x->when % 1000), x->user, x->code, irb_policy_rule_name(-x->code),
            x->incident[0] ? x->incident : "-");
    }
#undef ADD
    memset(&out, 0, offsetof(struct irb_frame, records));
    out.v = 1;
    out.t = IRB_T_DENIALS_RESULT;
    out.id = f->id;
    out.text = (irb_str){text, n};
    send_answer(b, &c->peer, &out);
    free(text);
}

/* Requests other than signed submissions. Subscribe and history first
 * commit what is pending, so that they start from, and show, only durable
 * records: a record is visible once its receipt can be sent. Returns 0 or
 * IRBUS_EIO (a commit failed: fatal). */
static int
handle_request(struct irb_broker *b, struct irb_conn *c, const struct irb_frame *f) {
    const struct irb_participant *p = NULL;
    struct irb_incident *in;
    struct irb_sub *s;
    uint64_t acked = 0, when = 0;
    int rc;

    if ((f->t == IRB_T_SUBSCRIBE || f->t == IRB_T_HISTORY) && flush(b) == IRBUS_EIO) {
        return IRBUS_EIO;
    }
    switch (f->t) {
    case IRB_T_SUBSCRIBE:
        if ((in = readable(b, c, f, &p)) == NULL) {
            return 0;
        }
        if (c->nsubs >= IRB_MAX_SUBS) {
            send_error(b, &c->peer, f->id, IRBUS_ELIMIT, "at most 64 subscriptions per connection");
            return 0;
        }
        s = &c->subs[c->nsubs++];
        s->id = b->next_sub++;
        s->in = in;
        s->channels = f->channels;
        s->next = f->from == 0 ? in->head + 1 : f->from;
        s->credit = f->credit;
        s->inflight = 0;
        s->inflight_n = 0;
        send_ok(b, &c->peer, f->id, s->id);
        return 0;
    case IRB_T_CREDIT:
    case IRB_T_UNSUBSCRIBE:
        for (size_t i = 0; i < c->nsubs; i++) {
            if (c->subs[i].id == f->sub) {
                if (f->t == IRB_T_CREDIT) {
                    /* Outstanding credit is capped, so a subscriber cannot make
                     * the broker queue without bound; a grant of n reports n
                     * deliveries and `bytes` bytes consumed. */
                    uint64_t n =
                        f->credit < c->subs[i].inflight_n ? f->credit : c->subs[i].inflight_n;
                    c->subs[i].credit += f->credit;
                    if (c->subs[i].credit > IRB_MAX_CREDIT) {
                        c->subs[i].credit = IRB_MAX_CREDIT;
                    }
                    c->subs[i].inflight -=
                        f->bytes < c->subs[i].inflight ? f->bytes : c->subs[i].inflight;
                    c->subs[i].inflight_n -= n;
                    c->queued -= n;
                } else {
                    sub_end(c, i);
                }
                send_ok(b, &c->peer, f->id, 0);
                return 0;
            }
        }
        send_error(b, &c->peer, f->id, IRBUS_ENOTFOUND, "no such subscription on this connection");
        return 0;
    case IRB_T_ACK:
        if ((in = readable(b, c, f, &p)) == NULL) {
            return 0;
        }
        if (f->seq > in->head) {
            send_error(b, &c->peer, f->id, IRBUS_EVALUE, "ack beyond the incident's last sequence");
            return 0;
        }
        if (batch_full(b->loop) && flush(b) == IRBUS_EIO) {
            return IRBUS_EIO;
        }
        /* The read position only moves forward: an older ack is answered
         * but does not lower it. */
        if (irb_store_get_ack(b->store, p->id, in->id, &acked, &when) == 0 && acked >= f->seq) {
            send_ok(b, &c->peer, f->id, 0);
            return 0;
        }
        if ((rc = irb_store_put_ack(b->store, p->id, in->id, f->seq, now_ms())) != 0) {
            batch_fail(b, rc);
            send_error(b, &c->peer, f->id, rc, store_failed_text(rc));
            return 0;
        }
        b->loop->p[b->loop->np++] =
            (struct pending){.to = c->peer, .id = f->id, .in = in, .seq = f->seq};
        return 0;
    case IRB_T_HISTORY:
        handle_history(b, c, f);
        return 0;
    case IRB_T_DENIALS:
        handle_denials(b, c, f);
        return 0;
    default:
        send_error(b, &c->peer, f->id, IRBUS_EMSGTYPE, "a client does not send this frame type");
        return 0;
    }
}

/* Read one message into a slot: routing id, authenticated user and key,
 * decoded frame. Returns 1 if the slot holds a message to handle, 0 if the
 * message was unusable (no ZAP metadata: dropped), -1 if none was waiting. */
static int
receive_one(struct irb_broker *b, struct slot *s) {
    zmq_msg_t rid;
    const char *user, *keyhex, *hexend = NULL;
    int more = 0, rc = 0;
    size_t ml = sizeof more, pklen = 0;

    zmq_msg_init(&rid);
    if (zmq_msg_recv(&rid, b->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&rid);
        return -1;
    }
    zmq_msg_init(&s->body);
    if (zmq_msg_recv(&s->body, b->router, 0) < 0) {
        goto out;
    }
    zmq_getsockopt(b->router, ZMQ_RCVMORE, &more, &ml);
    s->multipart = more;
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
    user = zmq_msg_gets(&s->body, "User-Id");
    keyhex = zmq_msg_gets(&s->body, IRB_ZAP_KEY_PROPERTY);
    if (user == NULL || keyhex == NULL || strlen(keyhex) != 64 ||
        zmq_msg_size(&rid) > sizeof s->from.rid ||
        snprintf(s->user, sizeof s->user, "%s", user) >= (int)sizeof s->user) {
        goto out;
    }
    if (sodium_hex2bin(s->pk, 32, keyhex, 64, NULL, &pklen, &hexend) != 0 || pklen != 32 ||
        hexend != keyhex + 64) {
        goto out;
    }
    s->from.len = zmq_msg_size(&rid);
    memcpy(s->from.rid, zmq_msg_data(&rid), s->from.len);
    s->sigrc = 1;
    s->drc = s->multipart ? 0
                          : irb_wire_decode_full(zmq_msg_data(&s->body), zmq_msg_size(&s->body),
                                                 &s->f, &s->e);
    rc = 1;
out:
    zmq_msg_close(&rid);
    if (rc != 1) {
        zmq_msg_close(&s->body);
    }
    return rc;
}

static int
is_signed(const struct slot *s) {
    return !s->multipart && s->drc == 0 &&
           (s->f.t == IRB_T_PUBLISH || s->f.t == IRB_T_ADMIN || s->f.t == IRB_T_INCIDENT);
}

/* Handle one received message. Returns 0, or IRBUS_EIO on a fatal store
 * error. */
static int
handle_slot(struct irb_broker *b, const struct slot *s) {
    struct irb_conn *c = conn_get(b, s);

    if (c == NULL) {
        irb_warn("connection_refused participant=%s reason=too_many_connections", s->user);
        send_error(b, &s->from, 0, IRBUS_ELIMIT,
                   "the broker holds too many connections; try again later");
        return 0;
    }
    if (s->multipart) {
        send_error(b, &c->peer, 0, IRBUS_EMSGPACK, "a message is exactly one part");
        return 0;
    }
    if (s->drc != 0) {
        irb_warn("malformed participant=%s code=%d", s->user, -s->drc);
        send_error(b, &c->peer, 0, s->drc, irbus_strerror(s->drc));
        return 0;
    }
    if (is_signed(s)) {
        return handle_signed(b, c, s) == IRBUS_EIO ? IRBUS_EIO : 0;
    }
    return handle_request(b, c, &s->f);
}

/* Steps 2-4 of the iteration: read, verify, handle. Returns 0 or IRBUS_EIO. */
static int
receive_batch(struct irb_broker *b) {
    struct irb_loop *l = b->loop;
    size_t n = 0, nwork = 0;
    int r, rc = 0;

    while (n < BATCH_MAX && (r = receive_one(b, &l->slots[n])) >= 0) {
        n += (size_t)r;
    }
    for (size_t i = 0; i < n; i++) {
        struct slot *s = &l->slots[i];
        /* Only a signature that can matter is checked: the sender must be
         * the authenticated key, or the request is refused anyway. */
        if (is_signed(s) && memcmp(s->e.sender.p, s->pk, 32) == 0) {
            l->work[nwork++] = s;
        }
    }
    verify_all(&l->v, l->work, nwork);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            rc = handle_slot(b, &l->slots[i]);
        }
        zmq_msg_close(&l->slots[i].body);
    }
    return rc;
}

/* ---- delivery ----------------------------------------------------------- */

/* One `deliver` frame carries the records a subscription may take now: at
 * most IRB_MAX_RECORDS, and while their bytes stay within IRB_DELIVER_BYTES
 * (the first always goes). */
struct pump {
    struct irb_broker *b;
    struct irb_conn *c;
    const struct irb_participant *p;
    struct irb_sub *s;
    struct irb_frame *f;  /* the deliver being filled: its fields */
    struct records *recs; /* and its records */
    size_t used;          /* their envelopes', signatures' and proofs' bytes */
    uint64_t bytes;       /* their envelope bytes */
    uint64_t next;        /* where the subscription goes on once f is sent */
    int gone;
};

static int
pump_cb(void *ctx, const struct irb_stored *r) {
    struct pump *pu = ctx;
    const struct irb_sub *s = pu->s;
    uint64_t n = pu->recs->n;

    if (wanted(pu->b, s->in, pu->p, s->channels, r)) {
        /* Each record takes one credit and one of the connection's queued
         * deliveries; the byte budget bounds what a subscriber that stops
         * reading leaves queued in the broker, whatever its credit. */
        if (n == s->credit || n == IRB_MAX_RECORDS || pu->c->queued + n >= IRB_CONN_DELIVERIES ||
            (s->inflight + pu->bytes != 0 &&
             s->inflight + pu->bytes + r->envlen > IRB_MAX_INFLIGHT_BYTES) ||
            (n > 0 && pu->used + r->envlen + 64 + r->prooflen > IRB_DELIVER_BYTES)) {
            return 1;
        }
        if (records_add(pu->recs, r) != 0) {
            /* Only when the frame is full: the first record always fits
             * (IRB_MAX_ENV is well below IRB_MAX_FRAME). */
            return 1;
        }
        pu->used += r->envlen + 64 + r->prooflen;
        pu->bytes += r->envlen;
    }
    pu->next = r->seq + 1;
    return 0;
}

/* Push what subscription pu->s may take now, a frame at a time, until its
 * credit, its byte budget, the connection's queue or the log runs out. */
static void
pump_sub(struct pump *pu) {
    struct irb_sub *s = pu->s;
    struct irb_frame *f = pu->f;
    int rc;

    while (s->credit > 0 && s->inflight < IRB_MAX_INFLIGHT_BYTES &&
           pu->c->queued < IRB_CONN_DELIVERIES && s->next <= s->in->head) {
        records_reset(pu->recs);
        pu->used = 0;
        pu->bytes = 0;
        pu->next = s->next;
        (void)irb_store_scan(pu->b->store, s->in->id, strlen(s->in->id), s->next, s->in->head,
                             pump_cb, pu);
        if (pu->recs->n > 0) {
            memset(f, 0, offsetof(struct irb_frame, records));
            f->v = 1;
            f->t = IRB_T_DELIVER;
            f->sub = s->id;
            f->incident = (irb_str){s->in->id, strlen(s->in->id)};
            rc = send_records(pu->b, &pu->c->peer, f, pu->recs);
            if (rc == -EAGAIN) {
                return; /* its queue is full: resume from s->next later */
            }
            if (rc != 0) {
                pu->gone = 1;
                return;
            }
            s->credit -= pu->recs->n;
            s->inflight += pu->bytes;
            s->inflight_n += pu->recs->n;
            pu->c->queued += pu->recs->n;
        }
        if (pu->next == s->next) {
            return; /* nothing read: the store failed, try again later */
        }
        s->next = pu->next;
    }
}

static void
pump(struct irb_broker *b) {
    for (size_t i = 0; i < b->nconns;) {
        struct pump pu = {b, b->conns[i], NULL, NULL, &b->loop->rf, &b->loop->recs, 0, 0, 0, 0};
        pu.p = conn_participant(b, pu.c);
        if (pu.p == NULL) {
            /* revoked or rotated away: nothing more is delivered */
            pu.c->nsubs = 0;
            pu.c->queued = 0;
        }
        for (size_t k = 0; k < pu.c->nsubs && !pu.gone; k++) {
            pu.s = &pu.c->subs[k];
            pump_sub(&pu);
        }
        if (pu.gone) {
            irb_info("connection_gone participant=%s", pu.c->user);
            conn_drop(b, i);
            continue;
        }
        i++;
    }
}

static void
loop_free(struct irb_loop **lp) {
    struct irb_loop *l = *lp;

    if (l != NULL) {
        free(l->recs.buf);
        free(l->slots);
        free(l);
        *lp = NULL;
    }
}

int
irb_broker_run(struct irb_broker *b) {
    zmq_pollitem_t item = {b->router, 0, ZMQ_POLLIN, 0};
    uint64_t swept = mono_ms();
    int rc = 0;

    b->loop = calloc(1, sizeof *b->loop);
    if (b->loop == NULL || (b->loop->slots = calloc(BATCH_MAX, sizeof(struct slot))) == NULL ||
        (b->loop->recs.buf = malloc(IRB_MAX_FRAME)) == NULL ||
        verifier_start(&b->loop->v, verify_threads(b->cfg.verify_threads)) != 0) {
        irb_error("loop_start_failed reason=out_of_memory");
        loop_free(&b->loop);
        return IRBUS_EINTERNAL;
    }
    if (b->next_sub == 0) {
        /* Unique across restarts too (unless the clock goes back): a client
         * must never take a delivery meant for a subscription of the broker's
         * previous life for one of this life's. */
        b->next_sub = now_ms() << 16;
    }
    irb_info("loop_started verify_threads=%zu batch_max=%d", b->loop->v.nth, BATCH_MAX);
    while (!*b->stop) {
        if (!atomic_load(&b->zap.alive)) {
            irb_error("zap_handler_gone action=exit");
            rc = IRBUS_EINTERNAL;
            break;
        }
        if (zmq_poll(&item, 1, 200) < 0) {
            if (errno == EINTR) {
                continue;
            }
            irb_error("poll_failed errno=%d", errno);
            rc = IRBUS_EIO;
            break;
        }
        if (receive_batch(b) == IRBUS_EIO || flush(b) == IRBUS_EIO) {
            irb_error("store_commit_failed action=exit");
            rc = IRBUS_EIO;
            break;
        }
        pump(b);
        if (mono_ms() - swept > 1000) {
            conn_sweep(b);
            swept = mono_ms();
        }
    }
    verifier_stop(&b->loop->v);
    loop_free(&b->loop);
    return rc;
}
