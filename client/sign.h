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

#endif

/*
 * The hash chain of a log (schema/protocol.md "Record chain"):
 *   h(0) = BLAKE2b-256("irbus/1/genesis" || 0x00 || log name)
 *   h(n) = BLAKE2b-256("irbus/1/record" || 0x00 || h(n-1) || u64be seq ||
 *                      u64be btime || envelope digest || sig || audience)
 * audience is the record's resolved audience bytes (may be empty).
 */
#define IRB_DOMAIN_GENESIS "irbus/1/genesis"
void irb_chain_genesis(const char *log, size_t len, uint8_t out[IRB_DIGEST_BYTES]);
void irb_chain_next(const uint8_t prev[IRB_DIGEST_BYTES], uint64_t seq, uint64_t btime,
                    const uint8_t env_digest[IRB_DIGEST_BYTES], const uint8_t sig[IRB_SIG_BYTES],
                    const uint8_t *audience, size_t audience_len, uint8_t out[IRB_DIGEST_BYTES]);
