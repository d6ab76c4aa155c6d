/*
 * keys.h - identity keys inside libirbus and the broker (internal).
 *
 * Owns: the irbus_key structure, key-file parsing and writing, fingerprints,
 * and the derivation of CURVE transport keys from the Ed25519 identity.
 * Never: keeps a secret outside sodium_malloc'd memory, or leaves a
 * temporary copy of one unwiped.
 */
#ifndef IRB_KEYS_H
#define IRB_KEYS_H

#include "irbus.h"

#include <stddef.h>
#include <stdint.h>

/* Owned by whoever created it (irbus_key_generate/from_seed/load). */
struct irbus_key {
    uint8_t pk[IRBUS_PUBLIC_KEY_BYTES]; /* Ed25519 public key */
    uint8_t *sk;                        /* 64-byte Ed25519 secret, sodium_malloc'd */
};

/* Domain of the fingerprint digest (schema/keys.md "Fingerprints"). */
#define IRB_DOMAIN_FINGERPRINT "irbus/1/fingerprint"

/* Largest key file accepted, in bytes. */
#define IRB_KEYFILE_MAX 1024
/* Longest comment, in bytes (printable ASCII). */
#define IRB_KEY_COMMENT_MAX 64

/* Result of parsing a key file. For a secret file it holds the seed, so the
 * caller allocates it with sodium_malloc and frees it with sodium_free,
 * which wipes it. */
struct irb_keyfile {
    int secret;                         /* 1: secret file, 0: public file */
    uint8_t seed[32];                   /* secret files only */
    uint8_t pk[IRBUS_PUBLIC_KEY_BYTES]; /* the public line */
    char comment[IRB_KEY_COMMENT_MAX + 1];
};

/*
 * Parse key-file text (schema/protocol.md "Key files"). For a secret file
 * the public line must match the key derived from the seed. Pure: no I/O,
 * used by irbus_key_load, irbus_pubkey_load and the fuzz target.
 * Returns 0 or IRBUS_EKEYFILE (out is wiped on failure).
 */
int irb_keyfile_parse(const char *buf, size_t len, struct irb_keyfile *out);

/* Derive the CURVE (X25519) transport keys from the identity.
 * curve_sk must point at 32 bytes of memory the caller wipes.
 * Return 0 or IRBUS_EINVAL (a public key that is not a valid point). */
int irb_key_curve_public(const uint8_t ed_pk[IRBUS_PUBLIC_KEY_BYTES], uint8_t curve_pk[32]);
int irb_key_curve_secret(const irbus_key *key, uint8_t curve_sk[32]);

#endif
