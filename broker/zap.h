/*
 * zap.h - the ZAP handler (ZeroMQ RFC 27): a thread that answers libzmq's
 * authentication requests for CURVE connections from the roster. It must be
 * bound before any CURVE socket binds: without a handler, libzmq accepts
 * every key. The broker exits if the thread stops.
 *
 * Accepted peers get User-Id = participant id (or admin:<fingerprint>) and
 * the metadata property X-Ed25519 = hex of the identity key they used.
 */
#ifndef IRB_ZAP_H
#define IRB_ZAP_H

#include "roster.h"

#include <pthread.h>
#include <stdatomic.h>

#define IRB_ZAP_KEY_PROPERTY "X-Ed25519"

struct irb_zap {
    void *sock;
    pthread_t thread;
    struct irb_roster *roster;
    atomic_int stopping; /* set by irb_zap_stop before the context shuts down */
    atomic_int alive;    /* cleared by the thread when it ends */
};

/* Bind inproc://zeromq.zap.01 in zctx and start the thread. 0 or IRBUS_EIO. */
int irb_zap_start(struct irb_zap *z, void *zctx, struct irb_roster *roster);
/* Stop: call after zmq_ctx_shutdown (which ends the thread's recv). */
void irb_zap_join(struct irb_zap *z);
/* Say that the context is about to shut down, so the handler's end is an
 * expected one and not logged as a failure. Call before zmq_ctx_shutdown. */
void irb_zap_stop(struct irb_zap *z);

#endif
