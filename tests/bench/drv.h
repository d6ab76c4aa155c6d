/*
 * drv.h - the interface every system's driver implements, so that one load
 * generator paces, builds payloads and keeps histograms the same way for
 * all of them (loadgen.c). A driver only connects, publishes, waits for the
 * system's acknowledgement and receives; it never times anything itself
 * except by calling pub_acked() when an acknowledgement arrives.
 *
 * Every payload starts with a 16-byte header (struct payload_hdr, host
 * byte order: producer and consumers are threads of one process): the
 * intended send time (CLOCK_MONOTONIC, ns), the publisher's index and its
 * message number. The rest is filler.
 */
#ifndef IRB_BENCH_DRV_H
#define IRB_BENCH_DRV_H

#include "hist.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct payload_hdr {
    uint64_t intended_ns;
    uint32_t pub;
    uint32_t seq;
};
#define PAYLOAD_HDR 16

/* What one cell of the matrix asks for; filled by loadgen's arguments. */
struct cell {
    const char *system;  /* irbus, redis, nats, mqtt */
    const char *variant; /* nats: sync|async; mqtt: qos1|qos2; others: a label */
    const char *name;    /* unique per cell: names the incident/stream/topic */
    const char *host;
    int port;
    const char *keydir;    /* irbus, -G: where the operator key is written */
    const char *broker_pk; /* irbus: path of the broker's .pub */
    size_t size;
    unsigned pubs, subs;
    uint64_t count;  /* messages in total, over all publishers */
    double rate;     /* messages/s in total; 0: as fast as acknowledgements allow */
    int late;        /* subscribers start after publishing ends, from the start */
    double max_secs; /* publishing stops after this long */
    int timeout_ms;  /* per-request timeout of the drivers */
    int verify;      /* reading back what a killed broker left: setup keeps it */
};

/* One publisher's results; written by its thread and, for asynchronous
 * drivers, by the library's callback thread (under `mu`). */
struct pubstat {
    pthread_mutex_t mu;
    struct hist *ack; /* publish -> ack, from the intended send time */
    uint64_t sent, acked, errors;
    uint64_t last_ack_ns;
    uint32_t *acked_seqs; /* when recording acknowledged ids (W6) */
    uint64_t nacked_seqs, cap_acked_seqs;
};

/* Record an acknowledgement of the message whose payload starts with hdr
 * bytes p (at least PAYLOAD_HDR). Thread-safe. */
void pub_acked(struct pubstat *ps, const uint8_t *p);
/* The same, for an acknowledgement that arrived at t_ns (CLOCK_MONOTONIC). */
void pub_acked_at(struct pubstat *ps, const uint8_t *p, uint64_t t_ns);
/* Record a failed publish. Thread-safe. */
void pub_failed(struct pubstat *ps);
uint64_t now_ns(void);

/* The operations; `void *` is the driver's own state. Every function
 * returns 0 or -1 (with a message on stderr). */
struct drv {
    const char *system;
    /* Once per cell, before anything connects: create the stream,
     * incident, topic or participants the cell uses. */
    int (*setup)(const struct cell *c);
    int (*pub_open)(const struct cell *c, unsigned idx, struct pubstat *ps, void **pp);
    /* Publish one payload. Synchronous drivers wait for the acknowledgement
     * and call pub_acked before returning; asynchronous ones return at once
     * and call it from their callback. -1: the system refused or is gone. */
    int (*pub_send)(void *p, const uint8_t *payload, size_t len);
    /* Wait until every message sent has been acknowledged or failed. */
    int (*pub_flush)(void *p, int timeout_ms);
    /* Optional (NULL: the load generator sleeps): pass the time until
     * until_ns (CLOCK_MONOTONIC), the next intended send, taking
     * acknowledgements as they arrive. For a driver that collects them on
     * the publisher's own thread, so a paced publisher records each when it
     * comes, not at its next send. */
    int (*pub_wait)(void *p, uint64_t until_ns);
    void (*pub_close)(void **pp);
    int (*sub_open)(const struct cell *c, unsigned idx, int from_start, void **sp);
    /* Next message's payload (borrowed until the next call): 1 got one, 0
     * timeout, -1 error. */
    int (*sub_next)(void *s, int timeout_ms, const uint8_t **payload, size_t *len);
    void (*sub_close)(void **sp);
    /* After everything is closed: release the library's global state. */
    void (*fini)(void);
};

extern const struct drv drv_irbus, drv_redis, drv_nats, drv_mqtt;

#endif
