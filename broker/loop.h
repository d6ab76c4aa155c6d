/*
 * loop.h - the broker context and its event loop: one thread owns the
 * ROUTER socket, the roster, the incidents and the store; the ZAP thread
 * only reads the roster under its lock.
 */
#ifndef IRB_LOOP_H
#define IRB_LOOP_H

#include "config.h"
#include "incident.h"
#include "roster.h"
#include "store.h"
#include "wire.h"
#include "zap.h"

#include <signal.h>

struct irb_sub {
    uint64_t id;
    struct irb_incident *in;
    uint32_t channels;
    uint64_t next;       /* next sequence to look at */
    uint64_t credit;     /* deliveries the subscriber still accepts */
    uint64_t inflight;   /* envelope bytes pushed and not yet reported consumed */
    uint64_t inflight_n; /* deliveries pushed and not yet reported consumed */
};

/* A ZeroMQ routing id: where an answer goes. Answers are addressed by
 * value, never through a connection pointer, so dropping a connection
 * cannot leave a dangling reference in the open batch. */
struct irb_peer {
    uint8_t rid[8];
    size_t len;
};

/* Connections with state in the broker; a connection without subscriptions
 * is forgotten after IRB_CONN_IDLE_MS without a message. */
#define IRB_MAX_CONNS    4096
#define IRB_CONN_IDLE_MS 60000
/* Frames the ROUTER queues to one connection (ZMQ_SNDHWM), and how many of
 * them deliveries may take: the rest is kept for answers, so a client that
 * reports its consumption never loses an answer to a full queue. */
#define IRB_CONN_SNDHWM     1000
#define IRB_CONN_DELIVERIES IRB_MAX_QUEUED_DELIVERIES

/* One client connection, keyed by its broker-assigned routing id and bound
 * to the ZAP user and key it authenticated with. Owned by the broker. */
struct irb_conn {
    struct irb_peer peer;
    char user[IRB_USER_MAX];
    uint8_t pk[32];
    struct irb_sub subs[IRB_MAX_SUBS];
    size_t nsubs;
    uint64_t queued;  /* sum of its subscriptions' inflight_n */
    uint64_t last_ms; /* monotonic time of its last message */
};

/* Denials: counted per code (300 + index) and the last IRB_DENIALS_KEPT
 * kept for the operator (schema/policy.md section 6). */
#define IRB_DENIALS_KEPT 256
#define IRB_DENIAL_CODES 12
struct irb_denial {
    uint64_t when; /* broker time, ms since the epoch */
    int code;
    char user[IRB_USER_MAX];
    char incident[IRB_MAX_ID + 1];
};
struct irb_denials {
    struct irb_denial recent[IRB_DENIALS_KEPT]; /* ring: entry total % KEPT is next */
    uint64_t total;
    uint64_t count[IRB_DENIAL_CODES];
};

struct irb_loop; /* the loop's private state: open batch, received messages,
                  * verification threads (loop.c) */

/* Everything the broker owns; one per process, passed explicitly. */
struct irb_broker {
    struct irb_config cfg;
    irbus_key *key;
    void *zctx;
    void *router;
    struct irb_zap zap;
    struct irb_roster roster;
    struct irb_incidents incidents;
    struct irb_incident system; /* the "_system" log: roster changes */
    struct irb_store *store;
    struct irb_conn **conns;
    size_t nconns, capconns;
    uint64_t next_sub;        /* subscription ids are unique for the broker's life */
    uint64_t answers_dropped; /* answers lost to a client that does not read */
    struct irb_denials denials;
    volatile sig_atomic_t *stop;
    uint8_t *out;          /* IRB_MAX_FRAME bytes for encoding answers */
    struct irb_env *e;     /* decode scratch for recovery */
    struct irb_loop *loop; /* owned by irb_broker_run while it runs */
};

/* Rebuild roster and incidents from the store and verify chain tails.
 * Returns 0 or a negative code with a reason logged. */
int irb_broker_recover(struct irb_broker *b);
/* Run until *stop is set or a fatal error: starts cfg.verify_threads
 * verification threads and joins them before returning. Returns 0,
 * IRBUS_EIO (a commit failed: stop, nothing unacknowledged is lost) or
 * IRBUS_EINTERNAL (the ZAP handler stopped, or out of memory). */
int irb_broker_run(struct irb_broker *b);

#endif
