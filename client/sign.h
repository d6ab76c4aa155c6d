/*
 * sign.h - the signing construction of schema/protocol.md ("Signatures").
 *
 * Every signature in irbus is pure Ed25519 over a 32-byte digest:
 *
 *     digest = BLAKE2b-256(domain || 0x00 || bytes)      (unkeyed)
 *     sig    = Ed25519-sign(secret key, digest)
 *
 * The domain string names what is signed, so a signature made for one
 * purpose never verifies for another. Hashing once lets the same digest
 * serve as the chain link and the signed message (PERFORMANCE.md lever a).
 * Signatures are malleable: never index or deduplicate on their bytes.
 */
#ifndef IRB_SIGN_H
#define IRB_SIGN_H

#include "irbus.h"

#include <stddef.h>
#include <stdint.h>

#define IRB_DIGEST_BYTES 32
#define IRB_SIG_BYTES    64

/* Domain strings (schema/protocol.md). Never change or reuse one. */
#define IRB_DOMAIN_ENVELOPE "irbus/1/envelope"
#define IRB_DOMAIN_RECEIPT  "irbus/1/receipt"
#define IRB_DOMAIN_RECORD   "irbus/1/record"
#define IRB_DOMAIN_NOTICE   "irbus/1/notice"

/* digest = BLAKE2b-256(domain || 0x00 || bytes). */
void irb_digest(const char *domain, const uint8_t *bytes, size_t len,
                uint8_t out[IRB_DIGEST_BYTES]);

/* Sign a digest with the key's secret. Returns 0 or IRBUS_EINVAL. */
int irb_sign_digest(const irbus_key *key, const uint8_t digest[IRB_DIGEST_BYTES],
                    uint8_t sig[IRB_SIG_BYTES]);

/* Verify a signature over a digest. Returns 0 or IRBUS_EBADSIG. */
int irb_verify_digest(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES],
                      const uint8_t digest[IRB_DIGEST_BYTES], const uint8_t sig[IRB_SIG_BYTES]);

/* Digest then sign / verify. Same returns as above. */
int irb_sign(const irbus_key *key, const char *domain, const uint8_t *bytes, size_t len,
             uint8_t sig[IRB_SIG_BYTES]);
int irb_verify(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], const char *domain, const uint8_t *bytes,
               size_t len, const uint8_t sig[IRB_SIG_BYTES]);

/*
 * Batch signatures (schema/protocol.md "Batch signatures"): one Ed25519
 * signature over the root of a hash tree of up to IRB_BATCH_MAX item
 * digests, and per item a proof that leads from its digest to that root.
 *
 *   leaf(i)      = BLAKE2b-256("irbus/1/leaf" || 0x00 || salt(i) || d(i))
 *   node         = BLAKE2b-256("irbus/1/node" || 0x00 || left || right)
 *   batch digest = BLAKE2b-256("irbus/1/batch" || 0x00 || u16be n || root)
 *   proof(i)     = u16be n || u16be i || salt(i) || the siblings on the way
 *                  up, bottom first (a node without a sibling on its level is
 *                  carried up)
 *
 * salt(i) is 16 random bytes per item: a proof shows its reader the other
 * items' leaves, and without their salts a leaf cannot confirm a guess of
 * an item the reader may not see. A proof's length follows from n and i,
 * so it is self-delimiting.
 */
#define IRB_DOMAIN_LEAF  "irbus/1/leaf"
#define IRB_DOMAIN_NODE  "irbus/1/node"
#define IRB_DOMAIN_BATCH "irbus/1/batch"
#define IRB_BATCH_MAX    256
#define IRB_SALT_BYTES   16
#define IRB_PROOF_MIN    (4 + IRB_SALT_BYTES)
#define IRB_PROOF_MAX    (4 + IRB_SALT_BYTES + 8 * IRB_DIGEST_BYTES)

/* Every level of one tree; levels[0] holds the items. */
struct irb_batch {
    size_t n;                  /* items */
    size_t nlevels;            /* levels, the root's included */
    size_t off[10], width[10]; /* each level's first node and size */
    uint8_t node[2 * IRB_BATCH_MAX][IRB_DIGEST_BYTES];
    uint8_t salt[IRB_BATCH_MAX][IRB_SALT_BYTES];
    uint8_t digest[IRB_DIGEST_BYTES]; /* the batch digest, to sign */
};

/* Build the tree of n items (d: n digests one after the other),
 * 1 <= n <= IRB_BATCH_MAX, and its batch digest. salts: n salts one after
 * the other, or NULL for random ones (fixed salts are for test vectors).
 * Returns 0 or IRBUS_EINVAL. */
int irb_batch_build(struct irb_batch *b, const uint8_t *d, const uint8_t *salts, size_t n);

/* Write item i's proof; returns its length. */
size_t irb_batch_proof(const struct irb_batch *b, size_t i, uint8_t proof[IRB_PROOF_MAX]);

/* The length of the proof that starts at p (len bytes available), or 0 if
 * those bytes do not start a well-formed proof. */
size_t irb_proof_len(const uint8_t *p, size_t len);

/* The batch digest an item's proof leads to. Returns 0 or IRBUS_EBADSIG
 * (the proof is malformed or not exactly its own length). */
int irb_batch_digest_of(const uint8_t item[IRB_DIGEST_BYTES], const uint8_t *proof, size_t len,
                        uint8_t out[IRB_DIGEST_BYTES]);

/* Batch signatures that verified, so that the items of one batch cost one
 * Ed25519 verification. Each entry holds the triple (key, batch digest,
 * signature), keyed on all three (a stored signature is always one that
 * verifies), and the last item verified under it: its index, proof and the
 * nodes of its path (path[0] its leaf, path[l] its node at level l, up to
 * the root). A later item of the batch whose path meets that one is
 * verified once its node equals the stored node and its remaining siblings
 * equal the stored ones: exactly what hashing on to the root would show,
 * so neighbours cost a leaf and a node or two, not the whole path. One per
 * verifying thread. */
#define IRB_SEAL_CACHE  8
#define IRB_TREE_LEVELS 9 /* levels of a tree of IRB_BATCH_MAX items, root included */
struct irb_seal {
    uint8_t t[32 + IRB_DIGEST_BYTES + IRB_SIG_BYTES];
    size_t i, prooflen;
    uint8_t proof[IRB_PROOF_MAX];
    uint8_t path[IRB_TREE_LEVELS][IRB_DIGEST_BYTES];
};
struct irb_seal_cache {
    struct irb_seal s[IRB_SEAL_CACHE];
    unsigned used, next; /* entries filled; the one to replace next */
};

/* Verify an item's signature: plain (prooflen 0: sig over the item digest)
 * or batch (sig over the batch digest its proof leads to). cache may be
 * NULL. Returns 0 or IRBUS_EBADSIG. */
int irb_verify_item(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], const uint8_t item[IRB_DIGEST_BYTES],
                    const uint8_t sig[IRB_SIG_BYTES], const uint8_t *proof, size_t prooflen,
                    struct irb_seal_cache *cache);

/*
 * The hash chain of a log (schema/protocol.md "Record chain"):
 *   h(0) = BLAKE2b-256("irbus/1/genesis" || 0x00 || log name)
 *   h(n) = BLAKE2b-256("irbus/1/record" || 0x00 || h(n-1) || u64be seq ||
 *                      u64be btime || envelope digest || sig || proof ||
 *                      audience)
 * proof is the batch proof of a batch-signed record (empty for a plain
 * signature, so such a link is what it was before batch signatures);
 * audience is the record's resolved audience bytes (may be empty).
 */
#define IRB_DOMAIN_GENESIS "irbus/1/genesis"
void irb_chain_genesis(const char *log, size_t len, uint8_t out[IRB_DIGEST_BYTES]);
void irb_chain_next(const uint8_t prev[IRB_DIGEST_BYTES], uint64_t seq, uint64_t btime,
                    const uint8_t env_digest[IRB_DIGEST_BYTES], const uint8_t sig[IRB_SIG_BYTES],
                    const uint8_t *proof, size_t prooflen, const uint8_t *audience,
                    size_t audience_len, uint8_t out[IRB_DIGEST_BYTES]);

#endif
