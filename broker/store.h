/*
 * store.h - the durable store: one LMDB environment holding every log
 * (incidents and the broker's "_system" log), the chain heads, the highest
 * sequence accepted from each sender, and the read receipts (acks).
 *
 * Only store.c includes lmdb.h; values never escape a transaction: readers
 * get copies or callbacks that run inside the read transaction.
 *
 * Writes are batched: irb_store_batch_* put into one write transaction and
 * irb_store_commit makes it durable (default LMDB sync: fsync on commit).
 * Nothing is acknowledged before irb_store_commit returned 0.
 */
#ifndef IRB_STORE_H
#define IRB_STORE_H

#include <stddef.h>
#include <stdint.h>

struct irb_store; /* owned by the broker context */

/* A stored record, as the callbacks see it: borrowed pointers valid only
 * during the callback. */
struct irb_stored {
    const char *log;
    size_t loglen;
    uint64_t seq;
    uint64_t btime;
    const uint8_t *hash; /* 32: the chain hash h(seq) */
    const uint8_t *sig;  /* 64 */
    const uint8_t *meta; /* the resolved audience bytes bound into the chain */
    size_t metalen;
    const uint8_t *env;
    size_t envlen;
    const uint8_t *proof; /* a batch signature's proof, or NULL */
    size_t prooflen;      /* 0 for a plain signature */
};

/* Open (creating) the store in dir with the given map size. Clears stale
 * reader slots. Returns 0, or IRBUS_EIO / IRBUS_ECORRUPT, or IRBUS_EVERSION
 * for a store in another format (one written by an earlier irbusd), with a
 * reason in err. */
int irb_store_open(const char *dir, uint64_t mapsize, struct irb_store **sp, char *err,
                   size_t errlen);
void irb_store_close(struct irb_store **sp);

/* Batches. begin is idempotent; puts fail with IRBUS_ESTORAGEFULL (the map
 * is full: the whole batch is void, call irb_store_abort) or IRBUS_EIO. A
 * log's records are put in increasing seq: a record whose seq is not above
 * the log's last one is IRBUS_EEXIST (nothing of it is stored). */
int irb_store_begin(struct irb_store *s);
int irb_store_put_record(struct irb_store *s, const struct irb_stored *r, int is_command);
int irb_store_put_head(struct irb_store *s, const char *log, size_t loglen, uint64_t seq,
                       const uint8_t hash[32]);
int irb_store_put_sender(struct irb_store *s, const uint8_t pk[32], uint64_t seq);
int irb_store_put_ack(struct irb_store *s, const char *participant, const char *incident,
                      uint64_t seq, uint64_t when);
/* Commit: 0; IRBUS_ESTORAGEFULL (nothing stored); IRBUS_EIO: the commit or
 * its fsync failed, which is fatal for the broker (it cannot be retried
 * safely). */
int irb_store_commit(struct irb_store *s);
void irb_store_abort(struct irb_store *s);
int irb_store_in_batch(const struct irb_store *s);

/* Reads (each its own read transaction unless inside a batch, where they see
 * the batch). Return 0, IRBUS_ENOTFOUND, or IRBUS_EIO. */
int irb_store_get_head(struct irb_store *s, const char *log, size_t loglen, uint64_t *seq,
                       uint8_t hash[32]);
int irb_store_get_sender(struct irb_store *s, const uint8_t pk[32], uint64_t *seq);
int irb_store_get_ack(struct irb_store *s, const char *participant, const char *incident,
                      uint64_t *seq, uint64_t *when);

/* Visit records of a log with from <= seq <= until in order; the callback
 * returns 0 to continue, 1 to stop, or a negative code to abort. */
typedef int (*irb_store_visit_fn)(void *ctx, const struct irb_stored *r);
int irb_store_scan(struct irb_store *s, const char *log, size_t loglen, uint64_t from,
                   uint64_t until, irb_store_visit_fn fn, void *ctx);
/* Visit the command records of a log (incident commands, roster changes). */
int irb_store_scan_commands(struct irb_store *s, const char *log, size_t loglen,
                            irb_store_visit_fn fn, void *ctx);
/* Visit every log's head: fn gets a record with only log, seq, hash set. */
int irb_store_scan_heads(struct irb_store *s, irb_store_visit_fn fn, void *ctx);

/* Decode a stored record value (untrusted if the files were tampered with):
 * 0 or IRBUS_ECORRUPT. Exposed for the fuzz target. */
int irb_store_decode_value(const uint8_t *v, size_t len, struct irb_stored *r);

#endif
