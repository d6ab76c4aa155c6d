/*
 * client.c - the connection to a broker: every irbus_* function from
 * "Connecting to a broker" in irbus.h to its end.
 *
 * Owns one DEALER socket (CURVE client, keys derived from the caller's
 * identity), the per-client buffers every frame is encoded into, the queue
 * of deliveries that arrived while a request waited for its answer, and the
 * credit book-keeping of each subscription. Every frame goes through the
 * codec in wire.c; every receipt, delivery and history record is verified
 * here before the caller sees it.
 *
 * Never: prints, exits or aborts; keeps the CURVE secret outside
 * sodium_malloc'd memory; hands the caller bytes that did not verify.
 *
 * A request is: sign (if it carries an envelope), encode, send, then read
 * frames until the one answering this request's id arrives or the timeout
 * passes. A pipelined publish stops after the send and keeps a slot with
 * its id; irbus_publish_result reads frames until some slot has its
 * answer. Frames met on the way are sorted the same way by every reader:
 * deliveries and notices are queued for irbus_receive, an answer to a
 * pipelined publish settles its slot (its receipt verified at once), and
 * answers to other ids (stale answers, the `ok` of a credit grant) and
 * undecodable frames are dropped.
 */
#include "keys.h"
#include "sign.h"
#include "wire.h"

#include <irbus.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define DEFAULT_TIMEOUT_MS 5000
/* Pipelined publishes are held for a batch signature only while at least
 * this many wait for their answers. */
#define HOLD_AT 8

/* A frame waiting for irbus_receive: the message it came in, taken over
 * from the socket without a copy. Owned by the client's queue until
 * irbus_receive takes it. */
struct queued {
    struct queued *next;
    zmq_msg_t msg;
};

/* Credit book-keeping of one subscription. */
struct sub_state {
    uint64_t sub;
    uint32_t window;   /* credit granted at subscribe */
    uint32_t consumed; /* deliveries handed out since the last grant */
    uint64_t bytes;    /* their envelope bytes */
};

/* A pipelined publish, from irbus_publish_send until irbus_publish_result
 * hands its answer out. Owned by the client's slot table. */
struct pipe_slot {
    uint64_t id;                  /* request id, the caller's token; 0: the slot is free */
    int settled;                  /* status is final and the slot is in the done queue */
    int status;                   /* 0, or what irbus_publish_result reports */
    int64_t deadline;             /* monotonic ms when it times out; -1: never */
    char log[IRBUS_ID_MAX + 1];   /* the incident its receipt must name */
    char msg[IRB_MAX_ERRMSG + 1]; /* the broker's text for an error */
    struct irbus_receipt r;       /* verified, when status is 0 */
    uint8_t *env;                 /* held, not yet sent: its envelope (owned) */
    size_t env_len;
};

/* Owned by the caller of irbus_client_new. */
struct irbus_client {
    const irbus_key *key; /* borrowed; outlives the client */
    uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES];
    void *ctx;
    void *sock;
    void *mon;          /* PAIR: ZeroMQ's disconnect events for sock */
    int reset_pending;  /* subscriptions were lost: irbus_receive says so once */
    int64_t reset_seen; /* when a call that does not wait last looked (check_reset_soon) */
    uint64_t ended_sub; /* the subscription the broker last ended (`ended`) */
    /* Subscriptions the broker ended whose `ended` irbus_receive has not
     * reported yet: their place is free, their queued deliveries still go
     * out. The oldest is forgotten when more end unreported. */
    uint64_t ending[IRB_MAX_SUBS];
    size_t nending;
    int timeout_ms;
    uint64_t next_id;    /* request ids: 1, 2, 3 ... */
    uint64_t last_seq;   /* last envelope sequence signed */
    uint8_t *out;        /* IRB_MAX_FRAME: the frame being sent */
    uint8_t *env;        /* IRB_MAX_ENV: the envelope being signed */
    struct irb_frame *f; /* decoded frame; borrows from `in` or a queued copy */
    struct irb_env *e;   /* decoded envelope; same */
    zmq_msg_t in;        /* the last frame read from the socket */
    int in_open;
    struct queued *qhead, *qtail;
    /* The deliver being handed out, a record at a time: its bytes (taken
     * off the queue), decoded in dl, and the next record to hand out. */
    struct queued *dlq;
    struct irb_frame *dl;
    uint32_t dl_next;
    struct sub_state subs[IRB_MAX_SUBS];
    size_t nsubs;
    uint64_t unreported; /* deliveries consumed and not yet reported, all subs */
    char last_error[IRB_MAX_ERRMSG + 1];
    uint8_t sig[IRB_SIG_BYTES]; /* the signature of env */
    /* Pipelined publishes: IRBUS_PIPELINE_MAX slots; npipe in use, of which
     * nwaiting still wait for their answer; the settled ones are queued in
     * done[] (a ring of slot numbers) in the order their answers came. */
    struct pipe_slot *pipe;
    size_t npipe, nwaiting;
    /* No waiting publish times out before this (monotonic ms; -1: none has
     * a deadline): pipe_expire looks at the slots only from then on. */
    int64_t expire_at;
    uint16_t done[IRBUS_PIPELINE_MAX];
    size_t done_head, ndone;
    /* Publishes held to be signed together (slot numbers, in order), the
     * tree their digests make, and the frame they are sent in. */
    uint16_t held[IRBUS_SIGN_BATCH_MAX];
    size_t nheld;
    struct irb_batch *tree;
    struct irb_frame *bf;
    /* Batch signatures already verified (receipts, deliveries, history). */
    struct irb_seal_cache seals;
};

/* Names of the enums whose lookups wire.c keeps private; the order is that
 * of the enums in wire.h, and the decode-after-encode check in
 * sign_submission catches any drift. */
static const char *const org_kind_names[] = {"entity", "ir_provider", "csirt", "regulator"};
static const char *const role_names[] = {"affected", "ir_provider", "csirt", "regulator"};
static const char *const state_names[] = {"open", "contained", "recovered", "closed"};
static const char *const regime_names[] = {"nis2", "nis2-tsp", "dora", "ccv", "none"};

#define NNAMES(a) (sizeof(a) / sizeof((a)[0]))

static int
lookup(const char *const *names, size_t n, const char *s) {
    if (s == NULL) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int
check_id(const char *s) {
    return s != NULL && irb_wire_check_id(s, strlen(s)) == 0 ? 0 : IRBUS_EINVAL;
}

static irb_str
str_of(const char *s) {
    return (irb_str){s, s != NULL ? strlen(s) : 0};
}

static uint64_t
now_realtime_us(void) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int64_t
now_monotonic_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: no deadline, wait forever). */
static long
remaining_ms(int64_t deadline) {
    int64_t left;

    if (deadline < 0) {
        return -1;
    }
    left = deadline - now_monotonic_ms();
    return left > 0 ? (long)left : 0;
}

static int64_t
deadline_after(int timeout_ms) {
    return timeout_ms < 0 ? -1 : now_monotonic_ms() + timeout_ms;
}

/* ---- messages ------------------------------------------------------------ */

void
irbus_message_destroy(irbus_message **mp) {
    irbus_message *m;

    if (mp == NULL || *mp == NULL) {
        return;
    }
    m = *mp;
    free(m); /* its fields live in the same allocation */
    *mp = NULL;
}

static void
copy_str(char *dst, size_t cap, const char *src, size_t len) {
    if (len >= cap) {
        len = cap - 1;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void
format_iso_ms(uint64_t ms, char *out, size_t cap) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char base[32];

    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, cap, "%llu", (unsigned long long)ms);
        return;
    }
    snprintf(out, cap, "%s.%03uZ", base, (unsigned)(ms % 1000));
}

/*
 * Build a message from a verified envelope (e, decoded from env_bytes).
 * Incident commands carry no channel or label: those stay "". A deadline
 * notice carries no payload of its own; it gets a one-line text/plain
 * payload "stage=<kind> due=<ISO 8601>" so that every reader can show it,
 * and the exact signed bytes are in env for those who want the fields.
 */
static int
message_from_env(const struct irb_env *e, const uint8_t *env_bytes, size_t env_len,
                 const uint8_t *sig, const irb_bin *proof, uint64_t sub, const irb_str *incident,
                 uint64_t seq, uint64_t btime, irbus_message **mp) {
    char text[96];
    const uint8_t *payload = NULL;
    size_t plen = 0, size;
    const char *name;
    irbus_message *m;
    uint8_t *at;

    if (e->kind == IRB_K_DEADLINE_REMINDER || e->kind == IRB_K_DEADLINE_MISSED) {
        char due[40];
        int n;
        format_iso_ms(e->due, due, sizeof due);
        n = snprintf(text, sizeof text, "stage=%s due=%s", irb_kind_name((enum irb_kind)e->stage),
                     due);
        plen = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
        payload = (const uint8_t *)text;
    } else if (e->present & IRB_BIT(IRB_EI_PAYLOAD)) {
        payload = e->payload.p;
        plen = e->payload.len;
    }
    /* One allocation: the message, then its `to` pointers, the envelope,
     * the payload (NUL-terminated, so never NULL) and the `to` names. */
    size = sizeof *m + e->nto * sizeof(char *) + env_len + plen + 1;
    for (uint32_t i = 0; i < e->nto; i++) {
        size += e->to[i].len + 1;
    }
    if ((m = malloc(size)) == NULL) {
        return IRBUS_ENOMEM;
    }
    memset(m, 0, sizeof *m);
    at = (uint8_t *)(m + 1);
    m->to = (char **)(void *)at;
    at += e->nto * sizeof(char *);
    m->env = at;
    memcpy(m->env, env_bytes, env_len);
    m->env_len = env_len;
    at += env_len;
    m->payload = at;
    if (plen > 0) {
        memcpy(m->payload, payload, plen);
    }
    m->payload[plen] = 0;
    m->payload_len = plen;
    at += plen + 1;
    m->nto = e->nto;
    for (uint32_t i = 0; i < e->nto; i++) {
        m->to[i] = (char *)at;
        copy_str(m->to[i], e->to[i].len + 1, e->to[i].p, e->to[i].len);
        at += e->to[i].len + 1;
    }
    m->sub = sub;
    copy_str(m->incident, sizeof m->incident, incident->p, incident->len);
    m->seq = seq;
    m->btime = btime;
    name = irb_kind_name((enum irb_kind)e->kind);
    copy_str(m->kind, sizeof m->kind, name, strlen(name));
    if (e->present & IRB_BIT(IRB_EI_CHANNEL)) {
        name = irb_channel_name((enum irb_channel)e->channel);
        copy_str(m->channel, sizeof m->channel, name, strlen(name));
    }
    if (e->present & IRB_BIT(IRB_EI_TLP)) {
        name = irb_tlp_name((enum irb_tlp)e->tlp);
        copy_str(m->tlp, sizeof m->tlp, name, strlen(name));
    }
    if (e->present & IRB_BIT(IRB_EI_PAP)) {
        name = irb_pap_name((enum irb_pap)e->pap);
        copy_str(m->pap, sizeof m->pap, name, strlen(name));
    }
    memcpy(m->sender, e->sender.p, sizeof m->sender);
    m->sender_seq = e->seq;
    m->ts = e->ts;
    if (payload == (const uint8_t *)text) {
        copy_str(m->ctype, sizeof m->ctype, "text/plain", 10);
    } else if (e->present & IRB_BIT(IRB_EI_CTYPE)) {
        copy_str(m->ctype, sizeof m->ctype, e->ctype.p, e->ctype.len);
    }
    if (e->present & IRB_BIT(IRB_EI_REF)) {
        m->ref = e->ref;
        memcpy(m->ref_hash, e->ref_hash.p, sizeof m->ref_hash);
    }
    memcpy(m->sig, sig, sizeof m->sig);
    if (proof != NULL && proof->len > 0 && proof->len <= sizeof m->proof) {
        memcpy(m->proof, proof->p, proof->len);
        m->proof_len = proof->len;
    }
    *mp = m;
    return 0;
}

/*
 * Verify a stored record (delivered live or from history): its envelope is
 * a published message or an incident command of this incident, signed by
 * its sender. Returns 0 or IRBUS_EBADSIG (anything that does not check out:
 * the caller must not see it).
 */
static int
verify_record(irbus_client *c, const irb_str *incident, const irb_bin *env, const irb_bin *sig,
              const irb_bin *proof) {
    struct irb_env *e = c->e;
    uint8_t d[IRB_DIGEST_BYTES];

    if (irb_wire_decode_env(env->p, env->len, e) != 0 ||
        irb_wire_check_class(IRB_T_DELIVER, (enum irb_kind)e->kind) != 0) {
        return IRBUS_EBADSIG;
    }
    if (!(e->present & IRB_BIT(IRB_EI_INCIDENT)) || e->incident.len != incident->len ||
        memcmp(e->incident.p, incident->p, incident->len) != 0) {
        return IRBUS_EBADSIG;
    }
    irb_digest(IRB_DOMAIN_ENVELOPE, env->p, env->len, d);
    return irb_verify_item(e->sender.p, d, sig->p, proof->p, proof->len, &c->seals);
}

/* ---- answers ------------------------------------------------------------- */

/* Interpret an answer that is not the expected type: an error frame gives
 * the broker's code, and its text into errbuf (IRB_MAX_ERRMSG + 1 bytes);
 * anything else is a protocol breach. */
static int
answer_error(const irbus_client *c, char *errbuf) {
    if (c->f->t == IRB_T_ERROR) {
        copy_str(errbuf, IRB_MAX_ERRMSG + 1, c->f->msg.p, c->f->msg.len);
        return -(int)c->f->code;
    }
    return IRBUS_EMSGTYPE;
}

/* Turn the answer in c->f to a signed submission into a receipt for log
 * `log`, verified with the broker's key. Returns 0 (*out filled),
 * IRBUS_EBADSIG, or as answer_error. */
static int receipt_verify(const struct irbus_receipt *r,
                          const uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES],
                          struct irb_seal_cache *seals);

static int
answer_receipt(irbus_client *c, const char *log, char *errbuf, struct irbus_receipt *out) {
    size_t loglen = strlen(log);

    if (c->f->t != IRB_T_RECEIPT) {
        return answer_error(c, errbuf);
    }
    /* The receipt must be for the log we wrote to, and signed by the
     * broker we meant to talk to. */
    if (c->f->incident.len != loglen || memcmp(c->f->incident.p, log, loglen) != 0) {
        return IRBUS_EBADSIG;
    }
    memset(out, 0, sizeof *out);
    copy_str(out->incident, sizeof out->incident, c->f->incident.p, c->f->incident.len);
    out->seq = c->f->seq;
    memcpy(out->hash, c->f->hash.p, sizeof out->hash);
    out->btime = c->f->btime;
    memcpy(out->sig, c->f->sig.p, sizeof out->sig);
    if (c->f->present & IRB_BIT(IRB_FI_PROOF)) {
        memcpy(out->proof, c->f->proof.p, c->f->proof.len);
        out->proof_len = c->f->proof.len;
    }
    return receipt_verify(out, c->broker_pk, &c->seals);
}

/* ---- pipelined publishes: the slots --------------------------------------- */

/* The slot of the pipelined publish with request id `id` that still waits
 * for its answer, or -1. */
static int
pipe_find(const irbus_client *c, uint64_t id) {
    if (c->nwaiting == 0 || id == 0) {
        return -1;
    }
    for (size_t i = 0; i < IRBUS_PIPELINE_MAX; i++) {
        if (c->pipe[i].id == id && !c->pipe[i].settled) {
            return (int)i;
        }
    }
    return -1;
}

/* Give waiting slot i its final status and queue it for
 * irbus_publish_result. */
static void
pipe_settle(irbus_client *c, size_t i, int status) {
    c->pipe[i].settled = 1;
    c->pipe[i].status = status;
    c->done[(c->done_head + c->ndone) % IRBUS_PIPELINE_MAX] = (uint16_t)i;
    c->ndone++;
    c->nwaiting--;
}

/* If the frame decoded in c->f answers a waiting pipelined publish, settle
 * that publish (its receipt is verified here). */
static void
pipe_answer(irbus_client *c) {
    struct pipe_slot *s;
    int i;

    if (!(c->f->present & IRB_BIT(IRB_FI_ID)) || (i = pipe_find(c, c->f->id)) < 0) {
        return;
    }
    s = &c->pipe[i];
    s->msg[0] = '\0';
    pipe_settle(c, (size_t)i, answer_receipt(c, s->log, s->msg, &s->r));
}

/* Settle with IRBUS_ETIMEOUT every waiting publish whose deadline has
 * passed. Returns the earliest deadline of those still waiting (-1: none). */
static int64_t
pipe_expire(irbus_client *c) {
    int64_t now, next = -1;

    if (c->nwaiting == 0 || c->expire_at < 0) {
        return -1;
    }
    now = now_monotonic_ms();
    if (now < c->expire_at) {
        return c->expire_at; /* maybe earlier than needed: then we look again */
    }
    for (size_t i = 0; i < IRBUS_PIPELINE_MAX; i++) {
        struct pipe_slot *s = &c->pipe[i];
        if (s->id == 0 || s->settled || s->deadline < 0) {
            continue;
        }
        if (s->deadline <= now) {
            pipe_settle(c, i, IRBUS_ETIMEOUT);
        } else if (next < 0 || s->deadline < next) {
            next = s->deadline;
        }
    }
    c->expire_at = next;
    return next;
}

/* The connection was lost: no waiting publish will be answered, and the
 * held ones, whose sequence numbers follow theirs, are settled the same
 * way (the caller sends them again if it wants them). */
static void
pipe_lost(irbus_client *c) {
    for (size_t i = 0; i < c->nheld; i++) {
        struct pipe_slot *s = &c->pipe[c->held[i]];
        free(s->env);
        s->env = NULL;
        c->nwaiting++;
        pipe_settle(c, c->held[i], IRBUS_ERESET);
    }
    c->nheld = 0;
    for (size_t i = 0; i < IRBUS_PIPELINE_MAX && c->nwaiting > 0; i++) {
        if (c->pipe[i].id != 0 && !c->pipe[i].settled && c->pipe[i].env == NULL) {
            pipe_settle(c, i, IRBUS_ERESET);
        }
    }
}

/* ---- the socket ---------------------------------------------------------- */

static void
in_close(irbus_client *c) {
    if (c->in_open) {
        zmq_msg_close(&c->in);
        c->in_open = 0;
    }
}

/* The frame type of raw bytes, if they decode; -1 otherwise. Decodes into
 * c->f. */
static int
frame_type(irbus_client *c, const uint8_t *p, size_t len) {
    if (irb_wire_decode(p, len, c->f) != 0) {
        return -1;
    }
    return c->f->t;
}

static void
queued_free(struct queued *q) {
    if (q != NULL) {
        zmq_msg_close(&q->msg);
        free(q);
    }
}

/* Drop every queued frame, and the deliver being handed out. */
static void
queue_clear(irbus_client *c) {
    while (c->qhead != NULL) {
        struct queued *q = c->qhead;
        c->qhead = q->next;
        queued_free(q);
    }
    c->qtail = NULL;
    queued_free(c->dlq);
    c->dlq = NULL;
}

/* Drain the socket monitor: if a connection was lost while subscriptions
 * existed, forget them and remember to say so (reset_pending); if it was
 * lost while pipelined publishes waited, settle them with IRBUS_ERESET. */
static void
check_reset(irbus_client *c) {
    zmq_msg_t ev;
    int lost = 0;

    for (;;) {
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            break;
        }
        /* Two frames: the event number (2 bytes) and its value (4 bytes),
         * then the endpoint. */
        if (zmq_msg_size(&ev) >= 2) {
            uint16_t event;
            memcpy(&event, zmq_msg_data(&ev), 2);
            lost |= event == ZMQ_EVENT_DISCONNECTED;
        }
        while (zmq_msg_more(&ev)) {
            zmq_msg_close(&ev);
            zmq_msg_init(&ev);
            if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
                break;
            }
        }
        zmq_msg_close(&ev);
    }
    if (!lost || (c->nsubs == 0 && c->nwaiting == 0 && c->nheld == 0)) {
        return;
    }
    if (c->nsubs > 0) {
        /* What the old connection delivered is stale: a restarted broker
         * numbers subscriptions afresh, so it could pass for a new one's.
         * The application subscribes again from what it has seen. */
        c->nsubs = 0;
        c->nending = 0;
        c->unreported = 0;
        c->reset_pending = 1;
        queue_clear(c);
    }
    /* Deliveries already here are dropped with the rest; an answer to a
     * pipelined publish is as good as ever (its receipt verifies or not),
     * so it settles its publish. The other publishes' answers are lost. */
    for (;;) {
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            break;
        }
        if (c->nwaiting > 0 && frame_type(c, zmq_msg_data(&ev), zmq_msg_size(&ev)) >= 0) {
            pipe_answer(c);
        }
        zmq_msg_close(&ev);
    }
    pipe_lost(c);
}

/* check_reset for the calls that come once per publish and need not wait
 * (irbus_publish_send, irbus_publish_result): at most once a millisecond.
 * Looking at the monitor costs a system call even when it holds nothing
 * (libzmq processes its commands first), about 7 % of a pipelined
 * publisher's time when done on every call. A loss is noticed by the first
 * such call in the next millisecond, long before ZeroMQ connects again
 * (ZMQ_RECONNECT_IVL, 100 ms), and at once by any call that waits: those
 * watch the monitor. A publish sent in between is settled IRBUS_ERESET
 * with the others, as one sent just before the monitor heard of the loss
 * always could be; ZeroMQ may still send it on the new connection, so
 * whether it was stored, history tells (irbus.h). */
static void
check_reset_soon(irbus_client *c) {
    int64_t now = now_monotonic_ms();

    if (now != c->reset_seen) {
        c->reset_seen = now;
        check_reset(c);
    }
}

/* read_frame's answer when watching the monitor and an event came. */
#define MONITOR_EVENT 1

/*
 * Read one frame into c->in, waiting until deadline. Returns 0 (bytes in
 * *p, *len, valid until the next read), IRBUS_ETIMEOUT, IRBUS_EIO (errno
 * set; EINTR when a signal interrupted the wait), or, with watch_monitor,
 * MONITOR_EVENT when the socket monitor has something to read first.
 */
static int
read_frame_watch(irbus_client *c, int64_t deadline, int watch_monitor, const uint8_t **p,
                 size_t *len) {
    for (;;) {
        zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};
        int n;

        in_close(c);
        if (zmq_msg_init(&c->in) != 0) {
            return IRBUS_EIO;
        }
        c->in_open = 1;
        if (zmq_msg_recv(&c->in, c->sock, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_more(&c->in)) {
                /* Multipart: not irbus. Drop every part. */
                while (zmq_msg_more(&c->in) && zmq_msg_recv(&c->in, c->sock, ZMQ_DONTWAIT) >= 0) {
                }
                continue;
            }
            *p = zmq_msg_data(&c->in);
            *len = zmq_msg_size(&c->in);
            return 0;
        }
        if (errno != EAGAIN) {
            return IRBUS_EIO;
        }
        n = zmq_poll(items, watch_monitor ? 2 : 1, remaining_ms(deadline));
        if (n < 0) {
            return IRBUS_EIO;
        }
        if (watch_monitor && (items[1].revents & ZMQ_POLLIN)) {
            return MONITOR_EVENT;
        }
        if (n == 0 && deadline >= 0 && remaining_ms(deadline) == 0) {
            return IRBUS_ETIMEOUT;
        }
    }
}

static int
read_frame(irbus_client *c, int64_t deadline, const uint8_t **p, size_t *len) {
    return read_frame_watch(c, deadline, 0, p, len);
}

/* Send c->out[0..len) before deadline. IRBUS_ETIMEOUT while no connection
 * is ready (ZMQ_IMMEDIATE: a request is never queued for a broker that is
 * not there, so one that timed out is not sent later behind our back). */
static int
send_frame(irbus_client *c, size_t len, int64_t deadline) {
    for (;;) {
        zmq_pollitem_t item = {c->sock, 0, ZMQ_POLLOUT, 0};
        int n;

        if (zmq_send(c->sock, c->out, len, ZMQ_DONTWAIT) >= 0) {
            return 0;
        }
        if (errno != EAGAIN && errno != EINTR) {
            return IRBUS_EIO;
        }
        n = zmq_poll(&item, 1, remaining_ms(deadline));
        if (n < 0 && errno != EINTR) {
            return IRBUS_EIO;
        }
        if (n <= 0 && deadline >= 0 && remaining_ms(deadline) == 0) {
            return IRBUS_ETIMEOUT;
        }
    }
}

/* Queue the frame just read (c->in, decoded in c->f as type t), taking its
 * message over. A deliver that comes while nothing is queued is handed out
 * from at once: c->f's decoding of it becomes c->dl's, so its records are
 * not decoded a second time. */
static int
enqueue(irbus_client *c, int t) {
    const void *p = zmq_msg_data(&c->in);
    struct queued *q = malloc(sizeof *q);

    if (q == NULL) {
        return IRBUS_ENOMEM;
    }
    q->next = NULL;
    if (zmq_msg_init(&q->msg) != 0 || zmq_msg_move(&q->msg, &c->in) != 0) {
        free(q);
        return IRBUS_ENOMEM;
    }
    /* A short message lives inside its zmq_msg_t, so moving it moves its
     * bytes, and c->f no longer points at them. */
    if (t == IRB_T_DELIVER && c->dlq == NULL && c->qhead == NULL && zmq_msg_data(&q->msg) == p) {
        struct irb_frame *f = c->dl;
        c->dl = c->f;
        c->f = f;
        c->dlq = q; /* c->dl borrows its bytes until its records are out */
        c->dl_next = 0;
        return 0;
    }
    if (c->qtail != NULL) {
        c->qtail->next = q;
    } else {
        c->qhead = q;
    }
    c->qtail = q;
    return 0;
}

static int
sub_find(irbus_client *c, uint64_t sub) {
    for (size_t i = 0; i < c->nsubs; i++) {
        if (c->subs[i].sub == sub) {
            return (int)i;
        }
    }
    return -1;
}

/* The broker ended subscription `sub`: free its place at once (a client
 * may subscribe again before it reads the news). */
static void
sub_ended(irbus_client *c, uint64_t sub) {
    int i = sub_find(c, sub);

    if (i < 0) {
        return;
    }
    c->unreported -= c->subs[i].consumed;
    c->subs[i] = c->subs[--c->nsubs];
    if (c->nending == IRB_MAX_SUBS) {
        memmove(c->ending, c->ending + 1, (IRB_MAX_SUBS - 1) * sizeof c->ending[0]);
        c->nending--;
    }
    c->ending[c->nending++] = sub;
}

/* Is `sub` ended but not yet reported? Remove it from the list if `take`. */
static int
sub_ending(irbus_client *c, uint64_t sub, int take) {
    for (size_t i = 0; i < c->nending; i++) {
        if (c->ending[i] == sub) {
            if (take) {
                c->ending[i] = c->ending[--c->nending];
            }
            return 1;
        }
    }
    return 0;
}

/* Frames the broker sends unasked, handed out by irbus_receive in order. */
static int
unsolicited(int t) {
    return t == IRB_T_DELIVER || t == IRB_T_NOTICE || t == IRB_T_ENDED;
}

/* Sort the frame just read (c->in, decoded in c->f as type t, -1 if it did
 * not decode) that is not the answer its reader waits for, as the module
 * comment says. Returns 0 or IRBUS_ENOMEM. */
static int
sort_frame(irbus_client *c, int t) {
    if (t == IRB_T_ENDED) {
        sub_ended(c, c->f->sub);
    }
    if (unsolicited(t)) {
        return enqueue(c, t);
    }
    if (t >= 0) {
        pipe_answer(c);
    }
    return 0;
}

/* Encode the frame in c->f with a new request id and send it before
 * deadline. Returns 0 (the id in *id), IRBUS_EINVAL (the frame does not fit
 * the frame limit), IRBUS_ETIMEOUT or IRBUS_EIO. */
static int
send_request(irbus_client *c, int64_t deadline, uint64_t *id) {
    long n;

    c->f->v = IRBUS_PROTOCOL_VERSION;
    c->f->id = c->next_id++;
    n = irb_wire_encode(c->f, c->out, IRB_MAX_FRAME);
    if (n < 0) {
        return IRBUS_EINVAL;
    }
    *id = c->f->id;
    return send_frame(c, (size_t)n, deadline);
}

/*
 * Sign the held pipelined publishes and send them in the order they were
 * held: one alone under a plain signature; two or more under one batch
 * signature, each with its proof (schema/protocol.md "Batch signatures").
 * Uses c->bf and c->out, never c->f or c->env, so a request can call it
 * before sending its own frame. A publish that cannot be sent settles with
 * the error, and so do those after it (their sequence numbers are above
 * its own, so sending them would only leave a gap).
 */
static void
pipe_seal(irbus_client *c) {
    uint8_t sig[IRB_SIG_BYTES], proof[IRB_PROOF_MAX];
    uint8_t d[IRBUS_SIGN_BATCH_MAX * IRB_DIGEST_BYTES];
    size_t n = c->nheld;
    int64_t deadline;
    int rc;

    if (n == 0) {
        return;
    }
    c->nheld = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pipe_slot *s = &c->pipe[c->held[i]];
        irb_digest(IRB_DOMAIN_ENVELOPE, s->env, s->env_len, d + i * IRB_DIGEST_BYTES);
    }
    if (n == 1) {
        rc = irb_sign_digest(c->key, d, sig);
    } else if ((rc = irb_batch_build(c->tree, d, NULL, n)) == 0) {
        rc = irb_sign_digest(c->key, c->tree->digest, sig);
    }
    deadline = deadline_after(c->timeout_ms);
    for (size_t i = 0; i < n; i++) {
        struct pipe_slot *s = &c->pipe[c->held[i]];
        struct irb_frame *f = c->bf;
        long len;
        if (rc == 0) {
            memset(f, 0, offsetof(struct irb_frame, records));
            f->v = IRBUS_PROTOCOL_VERSION;
            f->t = IRB_T_PUBLISH;
            f->id = s->id;
            f->env = (irb_bin){s->env, s->env_len};
            f->sig = (irb_bin){sig, sizeof sig};
            if (n > 1) {
                f->proof = (irb_bin){proof, irb_batch_proof(c->tree, i, proof)};
                f->present |= IRB_BIT(IRB_FI_PROOF);
            }
            len = irb_wire_encode(f, c->out, IRB_MAX_FRAME);
            rc = len < 0 ? IRBUS_EINVAL : send_frame(c, (size_t)len, deadline);
        }
        free(s->env);
        s->env = NULL;
        s->deadline = deadline_after(c->timeout_ms);
        if (s->deadline >= 0 && (c->expire_at < 0 || s->deadline < c->expire_at)) {
            c->expire_at = s->deadline;
        }
        c->nwaiting++;
        if (rc != 0) {
            pipe_settle(c, c->held[i], rc);
        }
    }
}

/* Seal the held publishes if the caller is about to wait, or if fewer than
 * HOLD_AT wait for an answer (see irbus_publish_send). */
static void
pipe_maybe_seal(irbus_client *c, int about_to_wait) {
    if (c->nheld > 0 && (about_to_wait || c->nwaiting < HOLD_AT)) {
        pipe_seal(c);
    }
}

/*
 * Send the frame in c->f (its id is set here) and wait for the frame that
 * answers it, which is left decoded in c->f (borrowing from c->in). Frames
 * met meanwhile are sorted as the module comment says.
 * Returns 0, or IRBUS_ETIMEOUT, IRBUS_EIO, IRBUS_ENOMEM, IRBUS_EINVAL (the
 * frame does not fit the frame limit).
 */
static int
request(irbus_client *c) {
    int64_t deadline = deadline_after(c->timeout_ms);
    uint64_t id;
    int rc;

    pipe_seal(c); /* held publishes first: their sequence numbers are lower */
    if ((rc = send_request(c, deadline, &id)) != 0) {
        return rc;
    }
    for (;;) {
        const uint8_t *p;
        size_t len;
        int t;

        rc = read_frame(c, deadline, &p, &len);
        if (rc == IRBUS_EIO && errno == EINTR) {
            continue; /* a signal: the answer is still on its way */
        }
        if (rc != 0) {
            return rc;
        }
        t = frame_type(c, p, len);
        if (t >= 0 && !unsolicited(t) && (c->f->present & IRB_BIT(IRB_FI_ID)) && c->f->id == id) {
            return 0;
        }
        if ((rc = sort_frame(c, t)) != 0) {
            return rc;
        }
    }
}

/* ---- construction -------------------------------------------------------- */

static int
set_opt_int(void *sock, int opt, int value) {
    return zmq_setsockopt(sock, opt, &value, sizeof value) == 0 ? 0 : IRBUS_EIO;
}

int
irbus_client_new(const irbus_key *key, const char *endpoint,
                 const uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES], irbus_client **cp) {
    uint8_t server_pk[32], own_pk[32];
    uint8_t *own_sk = NULL;
    int64_t maxmsg = IRB_MAX_FRAME;
    irbus_client *c = NULL;
    char monep[64];
    int rc;

    if (cp == NULL) {
        return IRBUS_EINVAL;
    }
    *cp = NULL;
    if (key == NULL || endpoint == NULL || endpoint[0] == '\0' || broker_pk == NULL) {
        return IRBUS_EINVAL;
    }
    if (irb_key_curve_public(broker_pk, server_pk) != 0 ||
        irb_key_curve_public(key->pk, own_pk) != 0) {
        return IRBUS_EINVAL;
    }
    if (!zmq_has("curve")) {
        errno = ENOTSUP;
        return IRBUS_EIO;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        return IRBUS_ENOMEM;
    }
    c->key = key;
    memcpy(c->broker_pk, broker_pk, sizeof c->broker_pk);
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->next_id = 1;
    c->out = malloc(IRB_MAX_FRAME);
    c->env = malloc(IRB_MAX_ENV);
    c->f = malloc(sizeof *c->f);
    c->dl = malloc(sizeof *c->dl);
    c->e = malloc(sizeof *c->e);
    c->pipe = calloc(IRBUS_PIPELINE_MAX, sizeof *c->pipe);
    c->tree = malloc(sizeof *c->tree);
    c->bf = malloc(sizeof *c->bf);
    own_sk = sodium_malloc(32);
    if (c->out == NULL || c->env == NULL || c->f == NULL || c->dl == NULL || c->e == NULL ||
        c->pipe == NULL || c->tree == NULL || c->bf == NULL || own_sk == NULL) {
        rc = IRBUS_ENOMEM;
        goto out;
    }
    if (irb_key_curve_secret(key, own_sk) != 0) {
        rc = IRBUS_EINVAL;
        goto out;
    }
    c->ctx = zmq_ctx_new();
    if (c->ctx == NULL) {
        rc = IRBUS_EIO;
        goto out;
    }
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (c->sock == NULL) {
        rc = IRBUS_EIO;
        goto out;
    }
    if (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, server_pk, 32) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, own_pk, 32) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, own_sk, 32) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        (rc = set_opt_int(c->sock, ZMQ_LINGER, 1000)) != 0 ||
        (rc = set_opt_int(c->sock, ZMQ_IMMEDIATE, 1)) != 0 ||
        /* No receive limit: what the broker sends is already bounded by the
         * credit window and its byte budget, and a full receive queue would
         * stop ZeroMQ reading heartbeats, so an application that pauses
         * would lose its connection and its subscriptions. */
        (rc = set_opt_int(c->sock, ZMQ_RCVHWM, 0)) != 0 ||
        (rc = set_opt_int(c->sock, ZMQ_HEARTBEAT_IVL, 10000)) != 0 ||
        (rc = set_opt_int(c->sock, ZMQ_HEARTBEAT_TIMEOUT, 30000)) != 0) {
        rc = IRBUS_EIO;
        goto out;
    }
    /* ZeroMQ reconnects by itself; the broker then sees a new connection
     * and has ended the old one's subscriptions. Its socket monitor is how
     * the client learns that a connection was lost. */
    snprintf(monep, sizeof monep, "inproc://irbus-monitor-%p", (void *)c);
    c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
    if (c->mon == NULL || zmq_socket_monitor(c->sock, monep, ZMQ_EVENT_DISCONNECTED) != 0 ||
        zmq_connect(c->mon, monep) != 0) {
        rc = IRBUS_EIO;
        goto out;
    }
    if (zmq_connect(c->sock, endpoint) != 0) {
        rc = IRBUS_EIO;
        goto out;
    }
    rc = 0;
out:
    sodium_free(own_sk); /* wipes it; libzmq keeps its own copy */
    if (rc != 0) {
        int saved = errno;
        irbus_client_destroy(&c);
        errno = saved;
        return rc;
    }
    *cp = c;
    return 0;
}

void
irbus_client_destroy(irbus_client **cp) {
    irbus_client *c;

    if (cp == NULL || *cp == NULL) {
        return;
    }
    c = *cp;
    in_close(c);
    queue_clear(c);
    if (c->mon != NULL) {
        zmq_close(c->mon);
    }
    if (c->sock != NULL) {
        zmq_close(c->sock);
    }
    if (c->ctx != NULL) {
        while (zmq_ctx_term(c->ctx) != 0 && errno == EINTR) {
        }
    }
    free(c->out);
    free(c->env);
    free(c->f);
    free(c->dl);
    free(c->e);
    for (size_t i = 0; c->pipe != NULL && i < IRBUS_PIPELINE_MAX; i++) {
        free(c->pipe[i].env); /* held, never sent */
    }
    free(c->pipe);
    free(c->tree);
    free(c->bf);
    free(c);
    *cp = NULL;
}

void
irbus_client_set_timeout(irbus_client *c, int timeout_ms) {
    if (c != NULL) {
        c->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
    }
}

int
irbus_client_fd(irbus_client *c, int *fd) {
    size_t len = sizeof *fd;

    if (c == NULL || fd == NULL) {
        return IRBUS_EINVAL;
    }
    return zmq_getsockopt(c->sock, ZMQ_FD, fd, &len) == 0 ? 0 : IRBUS_EIO;
}

const char *
irbus_client_last_error(const irbus_client *c) {
    return c != NULL ? c->last_error : "";
}

/* ---- signed requests ----------------------------------------------------- */

static int
receipt_verify(const struct irbus_receipt *r, const uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES],
               struct irb_seal_cache *seals) {
    uint8_t rb[IRB_RECEIPT_BYTES_MAX], d[IRB_DIGEST_BYTES];
    size_t ilen, n;

    if (r == NULL || broker_pk == NULL || r->proof_len > sizeof r->proof) {
        return IRBUS_EBADSIG;
    }
    ilen = strnlen(r->incident, sizeof r->incident);
    if (ilen == 0 || ilen > IRB_MAX_ID) {
        return IRBUS_EBADSIG;
    }
    n = irb_receipt_bytes(r->incident, ilen, r->seq, r->hash, r->btime, rb);
    irb_digest(IRB_DOMAIN_RECEIPT, rb, n, d);
    return irb_verify_item(broker_pk, d, r->sig, r->proof, r->proof_len, seals) == 0
               ? 0
               : IRBUS_EBADSIG;
}

int
irbus_receipt_verify(const struct irbus_receipt *r,
                     const uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES]) {
    return receipt_verify(r, broker_pk, NULL);
}

/*
 * Complete envelope e (version, sender, sequence, time), check it by
 * decoding its own encoding, and leave its bytes in c->env (*len of them).
 * Returns 0, IRBUS_EINVAL.
 */
static int
encode_submission(irbus_client *c, enum irb_type t, struct irb_env *e, size_t *len) {
    uint64_t now = now_realtime_us();
    long n;

    e->v = IRBUS_PROTOCOL_VERSION;
    e->sender = (irb_bin){c->key->pk, IRBUS_PUBLIC_KEY_BYTES};
    e->seq = now > c->last_seq ? now : c->last_seq + 1;
    e->ts = now / 1000;
    n = irb_wire_encode_env(e, c->env, IRB_MAX_ENV);
    if (n < 0) {
        return IRBUS_EINVAL;
    }
    /* One check covers every field: what the broker's decoder would
     * refuse, refuse here before signing anything. */
    if (irb_wire_decode_env(c->env, (size_t)n, c->e) != 0 ||
        irb_wire_check_class(t, (enum irb_kind)e->kind) != 0) {
        return IRBUS_EINVAL;
    }
    c->last_seq = e->seq;
    *len = (size_t)n;
    return 0;
}

/* Encode envelope e as encode_submission does, sign it, and make c->f a
 * frame of type t that carries it (in c->env, its signature in c->sig).
 * Returns 0, IRBUS_EINVAL. */
static int
sign_submission(irbus_client *c, enum irb_type t, struct irb_env *e) {
    size_t n;
    int rc;

    if ((rc = encode_submission(c, t, e, &n)) != 0 ||
        (rc = irb_sign(c->key, IRB_DOMAIN_ENVELOPE, c->env, n, c->sig)) != 0) {
        return rc;
    }
    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->t = (uint8_t)t;
    c->f->env = (irb_bin){c->env, n};
    c->f->sig = (irb_bin){c->sig, sizeof c->sig};
    return 0;
}

/* Sign envelope e, send it in a frame of type t, wait for the answer and
 * turn it into a verified receipt for log `log`. */
static int
signed_request(irbus_client *c, enum irb_type t, struct irb_env *e, const char *log,
               struct irbus_receipt *out) {
    struct irbus_receipt r;
    int rc;

    c->last_error[0] = '\0';
    if ((rc = sign_submission(c, t, e)) != 0 || (rc = request(c)) != 0 ||
        (rc = answer_receipt(c, log, c->last_error, &r)) != 0) {
        return rc;
    }
    if (out != NULL) {
        *out = r;
    }
    return 0;
}

/* Channel, labels and `to` of a publish-class envelope, from names;
 * IRBUS_EINVAL for a name or id the broker would refuse. channel NULL:
 * the kind has none (share.*). */
static int
fill_addressing(struct irb_env *e, const char *channel, const char *tlp, const char *pap,
                const char *const *to, size_t nto) {
    int v;

    if ((nto > 0 && to == NULL) || nto > IRB_MAX_TO) {
        return IRBUS_EINVAL;
    }
    if (channel != NULL) {
        if (tlp == NULL || (v = irb_channel_from_name(channel, strlen(channel))) < 0) {
            return IRBUS_EINVAL;
        }
        e->channel = (uint8_t)v;
        if ((v = irb_tlp_from_name(tlp, strlen(tlp))) < 0) {
            return IRBUS_EINVAL;
        }
        e->tlp = (uint8_t)v;
    }
    if (pap != NULL) {
        if ((v = irb_pap_from_name(pap, strlen(pap))) < 0) {
            return IRBUS_EINVAL;
        }
        e->pap = (uint8_t)v;
        e->present |= IRB_BIT(IRB_EI_PAP);
    }
    for (size_t i = 0; i < nto; i++) {
        if (check_id(to[i]) != 0) {
            return IRBUS_EINVAL;
        }
        e->to[i] = str_of(to[i]);
    }
    e->nto = (uint32_t)nto;
    if (nto > 0) {
        e->present |= IRB_BIT(IRB_EI_TO);
    }
    return 0;
}

/* The envelope of a publish: e borrows p's strings. Returns 0 or
 * IRBUS_EINVAL (the checks that need no encoding; sign_submission does the
 * rest). */
static int
publish_env(const struct irbus_publish *p, struct irb_env *e) {
    int kind;

    if (p == NULL || check_id(p->incident) != 0 || p->channel == NULL ||
        p->payload_len > IRB_MAX_PAYLOAD || (p->payload == NULL && p->payload_len > 0)) {
        return IRBUS_EINVAL;
    }
    memset(e, 0, sizeof *e);
    kind = p->kind == NULL ? IRB_K_MSG : irb_kind_from_name(p->kind, strlen(p->kind));
    /* Only kinds made of the fields struct irbus_publish carries: a message
     * or a stage report (forward and share.* have their own calls). */
    if (kind != IRB_K_MSG && (kind < IRB_K_NIS2_EARLY_WARNING || kind > IRB_K_FEEDBACK)) {
        return IRBUS_EINVAL;
    }
    e->kind = (uint8_t)kind;
    e->incident = str_of(p->incident);
    if (fill_addressing(e, p->channel, p->tlp, p->pap, p->to, p->nto) != 0) {
        return IRBUS_EINVAL;
    }
    e->ctype = str_of(p->ctype != NULL ? p->ctype : "application/octet-stream");
    e->payload = (irb_bin){p->payload_len > 0 ? p->payload : (const uint8_t *)"", p->payload_len};
    return 0;
}

int
irbus_publish(irbus_client *c, const struct irbus_publish *p, struct irbus_receipt *r) {
    struct irb_env e;

    if (c == NULL || publish_env(p, &e) != 0) {
        return IRBUS_EINVAL;
    }
    return signed_request(c, IRB_T_PUBLISH, &e, p->incident, r);
}

void
irbus_message_digest(const irbus_message *m, uint8_t out[32]) {
    irb_digest(IRB_DOMAIN_ENVELOPE, m->env, m->env_len, out);
}

/* A publish-class envelope that refers to record `ref` by its digest. */
static int
referring(irbus_client *c, enum irb_kind kind, const char *incident, uint64_t ref,
          const uint8_t *ref_hash, struct irb_env *e) {
    if (c == NULL || check_id(incident) != 0 || ref == 0 || ref_hash == NULL) {
        return IRBUS_EINVAL;
    }
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->incident = str_of(incident);
    e->ref = ref;
    e->ref_hash = (irb_bin){ref_hash, 32};
    return 0;
}

int
irbus_forward(irbus_client *c, const struct irbus_forward *f, struct irbus_receipt *r) {
    struct irb_env e;
    int rc;

    if (f == NULL || f->channel == NULL ||
        referring(c, IRB_K_FORWARD, f->incident, f->ref, f->ref_hash, &e) != 0) {
        return IRBUS_EINVAL;
    }
    if ((rc = fill_addressing(&e, f->channel, f->tlp, f->pap, f->to, f->nto)) != 0) {
        return rc;
    }
    return signed_request(c, IRB_T_PUBLISH, &e, f->incident, r);
}

static int
share(irbus_client *c, enum irb_kind kind, const char *incident, uint64_t ref,
      const uint8_t ref_hash[32], const char *const *to, size_t nto, struct irbus_receipt *r) {
    struct irb_env e;

    if (referring(c, kind, incident, ref, ref_hash, &e) != 0 || nto == 0 ||
        fill_addressing(&e, NULL, NULL, NULL, to, nto) != 0) {
        return IRBUS_EINVAL;
    }
    return signed_request(c, IRB_T_PUBLISH, &e, incident, r);
}

int
irbus_share_request(irbus_client *c, const char *incident, uint64_t ref, const uint8_t ref_hash[32],
                    const char *const *to, size_t nto, struct irbus_receipt *r) {
    return share(c, IRB_K_SHARE_REQUEST, incident, ref, ref_hash, to, nto, r);
}

int
irbus_share_grant(irbus_client *c, const char *incident, uint64_t ref, const uint8_t ref_hash[32],
                  const char *const *to, size_t nto, struct irbus_receipt *r) {
    return share(c, IRB_K_SHARE_GRANT, incident, ref, ref_hash, to, nto, r);
}

/* ---- pipelined publishes -------------------------------------------------- */

int
irbus_publish_send(irbus_client *c, const struct irbus_publish *p, uint64_t *token) {
    struct pipe_slot *s = NULL;
    struct irb_env e;
    size_t i, n;
    int rc;

    if (token != NULL) {
        *token = 0;
    }
    if (c == NULL || token == NULL || publish_env(p, &e) != 0) {
        return IRBUS_EINVAL;
    }
    /* A lost connection's publishes are settled first, which frees no slot
     * but keeps their answers from being taken for this one's. */
    check_reset_soon(c);
    if (c->npipe >= IRBUS_PIPELINE_MAX) {
        return IRBUS_ELIMIT;
    }
    c->last_error[0] = '\0';
    if ((rc = encode_submission(c, IRB_T_PUBLISH, &e, &n)) != 0) {
        return rc;
    }
    for (i = 0; s == NULL; i++) { /* npipe < IRBUS_PIPELINE_MAX: one is free */
        if (c->pipe[i].id == 0) {
            s = &c->pipe[i];
        }
    }
    if ((s->env = malloc(n)) == NULL) {
        return IRBUS_ENOMEM;
    }
    memcpy(s->env, c->env, n);
    s->env_len = n;
    s->id = c->next_id++;
    s->settled = 0;
    s->deadline = -1; /* set when it is sent */
    copy_str(s->log, sizeof s->log, p->incident, strlen(p->incident));
    c->held[c->nheld++] = (uint16_t)(i - 1);
    c->npipe++;
    *token = s->id;
    /* Held while HOLD_AT or more earlier publishes wait for their
     * answers: those that gather meanwhile share one signature. Below
     * that, each goes at once, signed alone: a publisher far from its
     * ceiling pays a signature per message for the shortest latency, one
     * near it signs once per batch. */
    if (c->nwaiting < HOLD_AT || c->nheld == IRBUS_SIGN_BATCH_MAX) {
        pipe_seal(c);
    }
    return 0;
}

int
irbus_publish_flush(irbus_client *c) {
    if (c == NULL) {
        return IRBUS_EINVAL;
    }
    pipe_seal(c);
    return 0;
}

/* Hand out the first settled publish and free its slot. */
static void
pipe_hand_out(irbus_client *c, uint64_t *token, int *status, struct irbus_receipt *r) {
    struct pipe_slot *s = &c->pipe[c->done[c->done_head]];

    c->done_head = (c->done_head + 1) % IRBUS_PIPELINE_MAX;
    c->ndone--;
    *token = s->id;
    *status = s->status;
    if (s->status == 0 && r != NULL) {
        *r = s->r;
    }
    copy_str(c->last_error, sizeof c->last_error, s->msg, strlen(s->msg));
    s->id = 0;
    s->settled = 0;
    s->msg[0] = '\0';
    c->npipe--;
}

int
irbus_publish_result(irbus_client *c, int timeout_ms, uint64_t *token, int *status,
                     struct irbus_receipt *r) {
    int64_t deadline;

    if (c == NULL || token == NULL || status == NULL) {
        return IRBUS_EINVAL;
    }
    check_reset_soon(c);
    deadline = deadline_after(timeout_ms);
    for (;;) {
        int64_t wake;
        const uint8_t *p;
        size_t len;
        int rc;

        /* Not sealed just because this call waits: the answers it waits
         * for are on their way, and as they come, fewer wait. */
        pipe_maybe_seal(c, 0);
        wake = pipe_expire(c);
        if (c->ndone > 0) {
            pipe_hand_out(c, token, status, r);
            return 0;
        }
        if (c->npipe == 0) {
            return IRBUS_ENOTFOUND;
        }
        /* Wake at the caller's deadline or when the oldest waiting publish
         * times out, whichever comes first. */
        if (wake < 0 || (deadline >= 0 && deadline < wake)) {
            wake = deadline;
        }
        rc = read_frame_watch(c, wake, 1, &p, &len);
        if (rc == MONITOR_EVENT) {
            check_reset(c);
            continue;
        }
        if (rc == IRBUS_ETIMEOUT) {
            if (deadline >= 0 && remaining_ms(deadline) == 0) {
                (void)pipe_expire(c); /* one may be due at the same moment */
                if (c->ndone == 0) {
                    return IRBUS_ETIMEOUT;
                }
            }
            continue;
        }
        if (rc != 0) {
            return rc;
        }
        if ((rc = sort_frame(c, frame_type(c, p, len))) != 0) {
            return rc;
        }
    }
}

/* ---- subscriptions and deliveries ---------------------------------------- */

int
irbus_subscribe(irbus_client *c, const char *incident, const char *channels, uint64_t from,
                uint32_t window, uint64_t *sub) {
    uint32_t set = 0;
    const char *s;
    int rc;

    if (c == NULL || check_id(incident) != 0 || channels == NULL || window < 1 ||
        window > IRB_MAX_CREDIT) {
        return IRBUS_EINVAL;
    }
    for (s = channels;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        int ch = irb_channel_from_name(s, len);
        if (ch < 0 || (set & (1u << ch)) != 0) {
            return IRBUS_EINVAL;
        }
        set |= 1u << ch;
        if (comma == NULL) {
            break;
        }
        s = comma + 1;
    }
    /* A lost connection ends the old subscriptions before this one starts
     * (irbus_receive still reports it). */
    check_reset(c);
    if (c->nsubs >= IRB_MAX_SUBS) {
        /* The broker may have ended some: take in what has arrived. */
        const uint8_t *p;
        size_t len;
        while ((rc = read_frame(c, deadline_after(0), &p, &len)) == 0) {
            if ((rc = sort_frame(c, frame_type(c, p, len))) != 0) {
                return rc;
            }
        }
        if (c->nsubs >= IRB_MAX_SUBS) {
            return IRBUS_ELIMIT;
        }
    }
    c->last_error[0] = '\0';
    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->t = IRB_T_SUBSCRIBE;
    c->f->incident = str_of(incident);
    c->f->channels = set;
    c->f->from = from;
    c->f->credit = window;
    if ((rc = request(c)) != 0) {
        return rc;
    }
    if (c->f->t != IRB_T_OK) {
        return answer_error(c, c->last_error);
    }
    if (!(c->f->present & IRB_BIT(IRB_FI_SUB))) {
        return IRBUS_EMISSING;
    }
    if (sub_find(c, c->f->sub) < 0) {
        c->subs[c->nsubs++] = (struct sub_state){c->f->sub, window, 0, 0};
    }
    if (sub != NULL) {
        *sub = c->f->sub;
    }
    return 0;
}

/* Report what subscription i consumed (a credit grant of as many
 * deliveries, with their bytes). Not waited for: its `ok` is dropped when
 * it arrives. If it cannot be sent now, the counts stay and the next
 * delivery tries again. */
static void
credit_report(irbus_client *c, struct sub_state *s) {
    long n;

    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->v = IRBUS_PROTOCOL_VERSION;
    c->f->t = IRB_T_CREDIT;
    c->f->id = c->next_id++;
    c->f->sub = s->sub;
    c->f->credit = s->consumed;
    c->f->bytes = s->bytes;
    n = irb_wire_encode(c->f, c->out, IRB_MAX_FRAME);
    if (n > 0 && zmq_send(c->sock, c->out, (size_t)n, ZMQ_DONTWAIT) >= 0) {
        c->unreported -= s->consumed;
        s->consumed = 0;
        s->bytes = 0;
    }
}

/* Count a delivery of `sub` against its credit and report consumption
 * (which tops the credit up) before the broker would stop: once half the
 * window or half the broker's per-subscription byte budget is used, or
 * once half of the deliveries the broker queues to a connection are
 * unreported across all subscriptions (schema/protocol.md 5.5). */
static void
credit_consumed(irbus_client *c, uint64_t sub, size_t envlen) {
    struct sub_state *s;
    int i = sub_find(c, sub);

    if (i < 0) {
        return;
    }
    s = &c->subs[i];
    s->consumed++;
    s->bytes += envlen;
    c->unreported++;
    if ((uint64_t)s->consumed * 2 >= s->window || s->bytes * 2 >= IRB_MAX_INFLIGHT_BYTES) {
        credit_report(c, s);
    }
    if (c->unreported * 2 >= IRB_MAX_QUEUED_DELIVERIES) {
        for (size_t k = 0; k < c->nsubs; k++) {
            if (c->subs[k].consumed > 0) {
                credit_report(c, &c->subs[k]);
            }
        }
    }
}

int
irbus_unsubscribe(irbus_client *c, uint64_t sub) {
    int i, rc;

    if (c == NULL) {
        return IRBUS_EINVAL;
    }
    if ((i = sub_find(c, sub)) < 0) {
        return IRBUS_ENOTFOUND;
    }
    c->last_error[0] = '\0';
    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->t = IRB_T_UNSUBSCRIBE;
    c->f->sub = sub;
    if ((rc = request(c)) != 0) {
        return rc;
    }
    if (c->f->t != IRB_T_OK) {
        return answer_error(c, c->last_error);
    }
    c->unreported -= c->subs[i].consumed;
    c->subs[i] = c->subs[--c->nsubs];
    return 0;
}

/* A delivery that is not for one of our subscriptions (one just ended). */
#define DROPPED 1

/* Turn the bytes of a notice or `ended` frame into what irbus_receive
 * reports (a verified message, or the end of a subscription), or DROPPED.
 * Anything else here is IRBUS_EBADSIG. */
static int
take_unsolicited(irbus_client *c, const uint8_t *p, size_t len, irbus_message **mp) {
    struct irb_frame *f = c->f;

    if (irb_wire_decode(p, len, f) != 0) {
        return IRBUS_EBADSIG;
    }
    if (f->t == IRB_T_NOTICE) {
        /* Signed by the broker itself, under the notice domain. */
        if (irb_wire_decode_full(p, len, f, c->e) != 0 || c->e->sender.len != 32 ||
            sodium_memcmp(c->e->sender.p, c->broker_pk, 32) != 0 ||
            irb_verify(c->broker_pk, IRB_DOMAIN_NOTICE, f->env.p, f->env.len, f->sig.p) != 0) {
            return IRBUS_EBADSIG;
        }
        return message_from_env(c->e, f->env.p, f->env.len, f->sig.p, NULL, 0, &c->e->incident, 0,
                                0, mp);
    }
    if (f->t == IRB_T_ENDED) {
        /* The broker ended a subscription (its key revoked, its party
         * removed): it is forgotten, and said once, with why. */
        sub_ended(c, f->sub);
        if (!sub_ending(c, f->sub, 1)) {
            return DROPPED; /* not ours, or lost with the connection */
        }
        c->ended_sub = f->sub;
        copy_str(c->last_error, sizeof c->last_error, f->msg.p, f->msg.len);
        return f->code >= 300 && f->code <= 399 ? -(int)f->code : IRBUS_EREVOKED;
    }
    return IRBUS_EBADSIG;
}

/* Hand out the next record of the deliver in c->dl as a verified message,
 * or DROPPED. */
static int
take_record(irbus_client *c, irbus_message **mp) {
    const struct irb_frame *f = c->dl;
    const struct irb_record *rec = &f->records[c->dl_next++];

    if (sub_find(c, f->sub) < 0 && !sub_ending(c, f->sub, 0)) {
        return DROPPED;
    }
    /* Every delivery used credit, whether or not it verifies. */
    credit_consumed(c, f->sub, rec->env.len);
    if (verify_record(c, &f->incident, &rec->env, &rec->sig, &rec->proof) != 0) {
        return IRBUS_EBADSIG;
    }
    return message_from_env(c->e, rec->env.p, rec->env.len, rec->sig.p, &rec->proof, f->sub,
                            &f->incident, rec->seq, rec->btime, mp);
}

/* take_queued's answer when nothing is queued. */
#define NONE_QUEUED 2

/* Hand out what is queued, in order: the records of a deliver one at a
 * time, a notice, an `ended`. Returns what irbus_receive reports, or
 * NONE_QUEUED. */
static int
take_queued(irbus_client *c, irbus_message **mp) {
    for (;;) {
        struct queued *q;
        int rc;

        if (c->dlq != NULL) {
            if (c->dl_next < c->dl->nrecords) {
                if ((rc = take_record(c, mp)) != DROPPED) {
                    return rc;
                }
                continue;
            }
            queued_free(c->dlq);
            c->dlq = NULL;
        }
        if ((q = c->qhead) == NULL) {
            return NONE_QUEUED;
        }
        c->qhead = q->next;
        if (c->qhead == NULL) {
            c->qtail = NULL;
        }
        if (irb_wire_decode(zmq_msg_data(&q->msg), zmq_msg_size(&q->msg), c->dl) == 0 &&
            c->dl->t == IRB_T_DELIVER) {
            c->dlq = q; /* c->dl borrows its bytes until its records are out */
            c->dl_next = 0;
            continue;
        }
        rc = take_unsolicited(c, zmq_msg_data(&q->msg), zmq_msg_size(&q->msg), mp);
        queued_free(q);
        if (rc != DROPPED) {
            return rc;
        }
    }
}

int
irbus_receive(irbus_client *c, int timeout_ms, irbus_message **mp) {
    int64_t deadline;
    int rc;

    if (c == NULL || mp == NULL) {
        return IRBUS_EINVAL;
    }
    *mp = NULL;
    /* The records left of the deliver being handed out came with it, before
     * any loss the monitor could report since: they go out without a look
     * at the monitor for each. */
    if (c->dlq == NULL || c->dl_next >= c->dl->nrecords) {
        check_reset(c);
    }
    pipe_maybe_seal(c, timeout_ms != 0);
    if (c->reset_pending) {
        c->reset_pending = 0;
        return IRBUS_ERESET;
    }
    if ((rc = take_queued(c, mp)) != NONE_QUEUED) {
        return rc;
    }
    deadline = deadline_after(timeout_ms);
    for (;;) {
        const uint8_t *p;
        size_t len;
        int t;

        rc = read_frame_watch(c, deadline, 1, &p, &len);
        if (rc == MONITOR_EVENT) {
            check_reset(c);
            if (c->reset_pending) {
                c->reset_pending = 0;
                return IRBUS_ERESET;
            }
            continue;
        }
        if (rc != 0) {
            return rc;
        }
        t = frame_type(c, p, len);
        if (unsolicited(t)) {
            /* Queued, as a deliver's records are handed out one at a
             * time and outlive the next read. */
            if ((rc = sort_frame(c, t)) != 0 || (rc = take_queued(c, mp)) != NONE_QUEUED) {
                return rc;
            }
        } else if (t >= 0) {
            pipe_answer(c); /* or a stale answer, or a credit grant's `ok` */
        }
    }
}

uint64_t
irbus_client_ended_sub(const irbus_client *c) {
    return c != NULL ? c->ended_sub : 0;
}

int
irbus_ack(irbus_client *c, const char *incident, uint64_t seq) {
    int rc;

    if (c == NULL || check_id(incident) != 0 || seq == 0) {
        return IRBUS_EINVAL;
    }
    c->last_error[0] = '\0';
    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->t = IRB_T_ACK;
    c->f->incident = str_of(incident);
    c->f->seq = seq;
    if ((rc = request(c)) != 0) {
        return rc;
    }
    return c->f->t == IRB_T_OK ? 0 : answer_error(c, c->last_error);
}

int
irbus_history(irbus_client *c, const char *incident, const char *channels, uint64_t from,
              uint64_t until, uint32_t limit, irbus_message ***msgs, size_t *n, uint64_t *next) {
    irbus_message **out = NULL;
    uint32_t set = 0, count = 0;
    irb_str inc;
    const char *s;
    int rc;

    if (msgs != NULL) {
        *msgs = NULL;
    }
    if (n != NULL) {
        *n = 0;
    }
    if (c == NULL || check_id(incident) != 0 || channels == NULL || limit < 1 ||
        limit > IRB_MAX_RECORDS || msgs == NULL || n == NULL) {
        return IRBUS_EINVAL;
    }
    for (s = channels;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        int ch = irb_channel_from_name(s, len);
        if (ch < 0 || (set & (1u << ch)) != 0) {
            return IRBUS_EINVAL;
        }
        set |= 1u << ch;
        if (comma == NULL) {
            break;
        }
        s = comma + 1;
    }
    c->last_error[0] = '\0';
    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->t = IRB_T_HISTORY;
    c->f->incident = str_of(incident);
    c->f->channels = set;
    from = from == 0 ? 1 : from;
    c->f->from = from;
    c->f->limit = limit;
    if (until != 0) {
        c->f->until = until;
        c->f->present |= IRB_BIT(IRB_FI_UNTIL);
    }
    if ((rc = request(c)) != 0) {
        return rc;
    }
    if (c->f->t != IRB_T_HISTORY_RESULT) {
        return answer_error(c, c->last_error);
    }
    inc = str_of(incident);
    if (c->f->incident.len != inc.len || memcmp(c->f->incident.p, inc.p, inc.len) != 0) {
        return IRBUS_EBADSIG;
    }
    /* Records must be what was asked: at most `limit`, inside from..until,
     * in increasing order, and `next` past the last of them. */
    if (c->f->nrecords > limit) {
        return IRBUS_EVALUE;
    }
    for (uint32_t i = 0; i < c->f->nrecords; i++) {
        uint64_t seq = c->f->records[i].seq;
        if (seq < from || (until != 0 && seq > until) ||
            (i > 0 && seq <= c->f->records[i - 1].seq) || c->f->next <= seq) {
            return IRBUS_EVALUE;
        }
    }
    out = calloc(c->f->nrecords > 0 ? c->f->nrecords : 1, sizeof *out);
    if (out == NULL) {
        return IRBUS_ENOMEM;
    }
    for (uint32_t i = 0; i < c->f->nrecords; i++) {
        const struct irb_record *rec = &c->f->records[i];
        if ((rc = verify_record(c, &inc, &rec->env, &rec->sig, &rec->proof)) != 0) {
            goto out;
        }
        if ((rc = message_from_env(c->e, rec->env.p, rec->env.len, rec->sig.p, &rec->proof, 0, &inc,
                                   rec->seq, rec->btime, &out[i])) != 0) {
            goto out;
        }
        count++;
    }
    if (next != NULL) {
        *next = c->f->next;
    }
    *msgs = out;
    *n = count;
    return 0;
out:
    for (uint32_t i = 0; i < count; i++) {
        irbus_message_destroy(&out[i]);
    }
    free(out);
    return rc;
}

/* ---- roster commands ----------------------------------------------------- */

int
irbus_admin_denials(irbus_client *c, char **report) {
    int rc;

    if (c == NULL || report == NULL) {
        return IRBUS_EINVAL;
    }
    *report = NULL;
    c->last_error[0] = '\0';
    memset(c->f, 0, offsetof(struct irb_frame, records));
    c->f->t = IRB_T_DENIALS;
    if ((rc = request(c)) != 0) {
        return rc;
    }
    if (c->f->t != IRB_T_DENIALS_RESULT) {
        return answer_error(c, c->last_error);
    }
    if ((*report = malloc(c->f->text.len + 1)) == NULL) {
        return IRBUS_ENOMEM;
    }
    memcpy(*report, c->f->text.p, c->f->text.len);
    (*report)[c->f->text.len] = '\0';
    return 0;
}

int
irbus_admin_org_add(irbus_client *c, const char *org, const char *kind, const char *name,
                    struct irbus_receipt *r) {
    struct irb_env e;
    int k = lookup(org_kind_names, NNAMES(org_kind_names), kind);

    if (c == NULL || check_id(org) != 0 || k < 0 || name == NULL) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_ORG_ADD;
    e.org = str_of(org);
    e.org_kind = (uint8_t)k;
    e.name = str_of(name);
    return signed_request(c, IRB_T_ADMIN, &e, IRB_SYSTEM_LOG, r);
}

int
irbus_admin_participant_add(irbus_client *c, const char *participant, const char *org,
                            const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], int automated,
                            const char *max_pap, struct irbus_receipt *r) {
    struct irb_env e;
    int v;

    if (c == NULL || check_id(participant) != 0 || check_id(org) != 0 || pk == NULL) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTICIPANT_ADD;
    e.participant = str_of(participant);
    e.org = str_of(org);
    e.key = (irb_bin){pk, IRBUS_PUBLIC_KEY_BYTES};
    e.automated = automated != 0;
    if (max_pap != NULL) {
        if ((v = irb_pap_from_name(max_pap, strlen(max_pap))) < 0) {
            return IRBUS_EINVAL;
        }
        e.max_pap = (uint8_t)v;
        e.present |= IRB_BIT(IRB_EI_MAX_PAP);
    }
    return signed_request(c, IRB_T_ADMIN, &e, IRB_SYSTEM_LOG, r);
}

int
irbus_admin_participant_revoke(irbus_client *c, const char *participant, struct irbus_receipt *r) {
    struct irb_env e;

    if (c == NULL || check_id(participant) != 0) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTICIPANT_REVOKE;
    e.participant = str_of(participant);
    return signed_request(c, IRB_T_ADMIN, &e, IRB_SYSTEM_LOG, r);
}

int
irbus_admin_participant_rotate(irbus_client *c, const char *participant,
                               const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], struct irbus_receipt *r) {
    struct irb_env e;

    if (c == NULL || check_id(participant) != 0 || pk == NULL) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTICIPANT_ROTATE;
    e.participant = str_of(participant);
    e.key = (irb_bin){pk, IRBUS_PUBLIC_KEY_BYTES};
    return signed_request(c, IRB_T_ADMIN, &e, IRB_SYSTEM_LOG, r);
}

/* ---- incident commands --------------------------------------------------- */

int
irbus_incident_open(irbus_client *c, const char *incident, const char *title, const char *regime,
                    struct irbus_receipt *r) {
    struct irb_env e;
    int v = lookup(regime_names, NNAMES(regime_names), regime);

    if (c == NULL || check_id(incident) != 0 || title == NULL || v < 0) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_INCIDENT_OPEN;
    e.incident = str_of(incident);
    e.title = str_of(title);
    e.regime = (uint8_t)v;
    return signed_request(c, IRB_T_INCIDENT, &e, incident, r);
}

int
irbus_incident_party_add(irbus_client *c, const char *incident, const char *org, const char *role,
                         const char *spoc, struct irbus_receipt *r) {
    struct irb_env e;
    int v = lookup(role_names, NNAMES(role_names), role);

    if (c == NULL || check_id(incident) != 0 || check_id(org) != 0 || v < 0 ||
        (spoc != NULL && check_id(spoc) != 0)) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTY_ADD;
    e.incident = str_of(incident);
    e.org = str_of(org);
    e.role = (uint8_t)v;
    if (spoc != NULL) {
        e.spoc = str_of(spoc);
        e.present |= IRB_BIT(IRB_EI_SPOC);
    }
    return signed_request(c, IRB_T_INCIDENT, &e, incident, r);
}

int
irbus_incident_party_remove(irbus_client *c, const char *incident, const char *org,
                            struct irbus_receipt *r) {
    struct irb_env e;

    if (c == NULL || check_id(incident) != 0 || check_id(org) != 0) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_PARTY_REMOVE;
    e.incident = str_of(incident);
    e.org = str_of(org);
    return signed_request(c, IRB_T_INCIDENT, &e, incident, r);
}

int
irbus_incident_spoc_handover(irbus_client *c, const char *incident, const char *org,
                             const char *spoc, struct irbus_receipt *r) {
    struct irb_env e;

    if (c == NULL || check_id(incident) != 0 || check_id(org) != 0 || check_id(spoc) != 0) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_SPOC_HANDOVER;
    e.incident = str_of(incident);
    e.org = str_of(org);
    e.spoc = str_of(spoc);
    return signed_request(c, IRB_T_INCIDENT, &e, incident, r);
}

int
irbus_incident_coord_add(irbus_client *c, const char *incident, const char *participant,
                         struct irbus_receipt *r) {
    struct irb_env e;

    if (c == NULL || check_id(incident) != 0 || check_id(participant) != 0) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_COORD_ADD;
    e.incident = str_of(incident);
    e.participant = str_of(participant);
    return signed_request(c, IRB_T_INCIDENT, &e, incident, r);
}

int
irbus_incident_state_set(irbus_client *c, const char *incident, const char *state,
                         struct irbus_receipt *r) {
    struct irb_env e;
    int v = lookup(state_names, NNAMES(state_names), state);

    if (c == NULL || check_id(incident) != 0 || v < 0) {
        return IRBUS_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = IRB_K_STATE_SET;
    e.incident = str_of(incident);
    e.state = (uint8_t)v;
    return signed_request(c, IRB_T_INCIDENT, &e, incident, r);
}
