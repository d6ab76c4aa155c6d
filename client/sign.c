/*
 * sign.c - digests and Ed25519 signatures (schema/protocol.md "Signatures").
 * Owns nothing; callers hold the keys. Never signs raw structures: only
 * bytes, under a domain string.
 */
#include "sign.h"

#include "keys.h"

#include <sodium.h>
#include <string.h>

void
irb_digest(const char *domain, const uint8_t *bytes, size_t len, uint8_t out[IRB_DIGEST_BYTES]) {
    crypto_generichash_state st;
    static const uint8_t zero = 0;

    crypto_generichash_init(&st, NULL, 0, IRB_DIGEST_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain));
    crypto_generichash_update(&st, &zero, 1);
    if (len > 0) {
        crypto_generichash_update(&st, bytes, len);
    }
    crypto_generichash_final(&st, out, IRB_DIGEST_BYTES);
    sodium_memzero(&st, sizeof st);
}

int
irb_sign_digest(const irbus_key *key, const uint8_t digest[IRB_DIGEST_BYTES],
                uint8_t sig[IRB_SIG_BYTES]) {
    if (key == NULL || key->sk == NULL) {
        return IRBUS_EINVAL;
    }
    crypto_sign_detached(sig, NULL, digest, IRB_DIGEST_BYTES, key->sk);
    return 0;
}

int
irb_verify_digest(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], const uint8_t digest[IRB_DIGEST_BYTES],
                  const uint8_t sig[IRB_SIG_BYTES]) {
    if (crypto_sign_verify_detached(sig, digest, IRB_DIGEST_BYTES, pk) != 0) {
        return IRBUS_EBADSIG;
    }
    return 0;
}

int
irb_sign(const irbus_key *key, const char *domain, const uint8_t *bytes, size_t len,
         uint8_t sig[IRB_SIG_BYTES]) {
    uint8_t d[IRB_DIGEST_BYTES];

    irb_digest(domain, bytes, len, d);
    return irb_sign_digest(key, d, sig);
}

int
irb_verify(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], const char *domain, const uint8_t *bytes,
           size_t len, const uint8_t sig[IRB_SIG_BYTES]) {
    uint8_t d[IRB_DIGEST_BYTES];

    irb_digest(domain, bytes, len, d);
    return irb_verify_digest(pk, d, sig);
}

void
irb_chain_genesis(const char *log, size_t len, uint8_t out[IRB_DIGEST_BYTES]) {
    irb_digest(IRB_DOMAIN_GENESIS, (const uint8_t *)log, len, out);
}

void
irb_chain_next(const uint8_t prev[IRB_DIGEST_BYTES], uint64_t seq, uint64_t btime,
               const uint8_t env_digest[IRB_DIGEST_BYTES], const uint8_t sig[IRB_SIG_BYTES],
               const uint8_t *audience, size_t audience_len, uint8_t out[IRB_DIGEST_BYTES]) {
    static const char domain[] = IRB_DOMAIN_RECORD;
    crypto_generichash_state st;
    uint8_t be[16];

    for (int i = 0; i < 8; i++) {
        be[i] = (uint8_t)(seq >> (56 - 8 * i));
        be[8 + i] = (uint8_t)(btime >> (56 - 8 * i));
    }
    crypto_generichash_init(&st, NULL, 0, IRB_DIGEST_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)domain, sizeof domain); /* includes NUL */
    crypto_generichash_update(&st, prev, IRB_DIGEST_BYTES);
    crypto_generichash_update(&st, be, sizeof be);
    crypto_generichash_update(&st, env_digest, IRB_DIGEST_BYTES);
    crypto_generichash_update(&st, sig, IRB_SIG_BYTES);
    if (audience_len > 0) {
        crypto_generichash_update(&st, audience, audience_len);
    }
    crypto_generichash_final(&st, out, IRB_DIGEST_BYTES);
}
