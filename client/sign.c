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
               const uint8_t *proof, size_t prooflen, const uint8_t *audience, size_t audience_len,
               uint8_t out[IRB_DIGEST_BYTES]) {
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
    if (prooflen > 0) {
        crypto_generichash_update(&st, proof, prooflen);
    }
    if (audience_len > 0) {
        crypto_generichash_update(&st, audience, audience_len);
    }
    crypto_generichash_final(&st, out, IRB_DIGEST_BYTES);
}

/* ---- batch signatures ---------------------------------------------------- */

static void
node_of(const uint8_t left[IRB_DIGEST_BYTES], const uint8_t right[IRB_DIGEST_BYTES],
        uint8_t out[IRB_DIGEST_BYTES]) {
    uint8_t pair[2 * IRB_DIGEST_BYTES];

    memcpy(pair, left, IRB_DIGEST_BYTES);
    memcpy(pair + IRB_DIGEST_BYTES, right, IRB_DIGEST_BYTES);
    irb_digest(IRB_DOMAIN_NODE, pair, sizeof pair, out);
}

static void
leaf_of(const uint8_t salt[IRB_SALT_BYTES], const uint8_t item[IRB_DIGEST_BYTES],
        uint8_t out[IRB_DIGEST_BYTES]) {
    uint8_t b[IRB_SALT_BYTES + IRB_DIGEST_BYTES];

    memcpy(b, salt, IRB_SALT_BYTES);
    memcpy(b + IRB_SALT_BYTES, item, IRB_DIGEST_BYTES);
    irb_digest(IRB_DOMAIN_LEAF, b, sizeof b, out);
}

static void
batch_digest(size_t n, const uint8_t root[IRB_DIGEST_BYTES], uint8_t out[IRB_DIGEST_BYTES]) {
    uint8_t b[2 + IRB_DIGEST_BYTES];

    b[0] = (uint8_t)(n >> 8);
    b[1] = (uint8_t)n;
    memcpy(b + 2, root, IRB_DIGEST_BYTES);
    irb_digest(IRB_DOMAIN_BATCH, b, sizeof b, out);
}

int
irb_batch_build(struct irb_batch *b, const uint8_t *d, const uint8_t *salts, size_t n) {
    size_t lv = 0, w = n, off = 0;

    if (n < 1 || n > IRB_BATCH_MAX) {
        return IRBUS_EINVAL;
    }
    b->n = n;
    if (salts != NULL) {
        memcpy(b->salt, salts, n * IRB_SALT_BYTES);
    } else {
        randombytes_buf(b->salt, n * IRB_SALT_BYTES);
    }
    for (size_t i = 0; i < n; i++) {
        leaf_of(b->salt[i], d + i * IRB_DIGEST_BYTES, b->node[i]);
    }
    for (;;) {
        b->off[lv] = off;
        b->width[lv] = w;
        if (w == 1) {
            break;
        }
        /* The next level: pairs hashed, a last node without a partner
         * carried up unchanged. */
        for (size_t j = 0; j < w; j += 2) {
            uint8_t *up = b->node[off + w + j / 2];
            if (j + 1 < w) {
                node_of(b->node[off + j], b->node[off + j + 1], up);
            } else {
                memcpy(up, b->node[off + j], IRB_DIGEST_BYTES);
            }
        }
        off += w;
        w = (w + 1) / 2;
        lv++;
    }
    b->nlevels = lv + 1;
    batch_digest(n, b->node[off], b->digest);
    return 0;
}

size_t
irb_batch_proof(const struct irb_batch *b, size_t i, uint8_t proof[IRB_PROOF_MAX]) {
    size_t len = 4 + IRB_SALT_BYTES;

    proof[0] = (uint8_t)(b->n >> 8);
    proof[1] = (uint8_t)b->n;
    proof[2] = (uint8_t)(i >> 8);
    proof[3] = (uint8_t)i;
    memcpy(proof + 4, b->salt[i], IRB_SALT_BYTES);
    for (size_t lv = 0; lv + 1 < b->nlevels; lv++, i /= 2) {
        size_t sib = i ^ 1;
        if (sib < b->width[lv]) {
            memcpy(proof + len, b->node[b->off[lv] + sib], IRB_DIGEST_BYTES);
            len += IRB_DIGEST_BYTES;
        }
    }
    return len;
}

size_t
irb_proof_len(const uint8_t *p, size_t len) {
    size_t n, i, need = 4 + IRB_SALT_BYTES;

    if (len < need) {
        return 0;
    }
    n = (size_t)p[0] << 8 | p[1];
    i = (size_t)p[2] << 8 | p[3];
    if (n < 1 || n > IRB_BATCH_MAX || i >= n) {
        return 0;
    }
    for (size_t w = n; w > 1; w = (w + 1) / 2, i /= 2) {
        if ((i ^ 1) < w) {
            need += IRB_DIGEST_BYTES;
        }
    }
    return need <= len ? need : 0;
}

int
irb_batch_digest_of(const uint8_t item[IRB_DIGEST_BYTES], const uint8_t *proof, size_t len,
                    uint8_t out[IRB_DIGEST_BYTES]) {
    uint8_t node[IRB_DIGEST_BYTES];
    const uint8_t *sib;
    size_t n, i;

    if (proof == NULL || irb_proof_len(proof, len) != len) {
        return IRBUS_EBADSIG;
    }
    n = (size_t)proof[0] << 8 | proof[1];
    i = (size_t)proof[2] << 8 | proof[3];
    sib = proof + 4 + IRB_SALT_BYTES;
    leaf_of(proof + 4, item, node);
    for (size_t w = n; w > 1; w = (w + 1) / 2, i /= 2) {
        if ((i ^ 1) >= w) {
            continue; /* carried up */
        }
        if (i & 1) {
            node_of(sib, node, node);
        } else {
            node_of(node, sib, node);
        }
        sib += IRB_DIGEST_BYTES;
    }
    batch_digest(n, node, out);
    return 0;
}

/* The entry of the cache for (pk, sig) over a batch of n items, or NULL. */
static struct irb_seal *
seal_find(struct irb_seal_cache *cache, const uint8_t *pk, const uint8_t *sig, size_t n) {
    for (unsigned k = 0; cache != NULL && k < cache->used; k++) {
        struct irb_seal *e = &cache->s[k];
        if (((size_t)e->proof[0] << 8 | e->proof[1]) == n && memcmp(e->t, pk, 32) == 0 &&
            memcmp(e->t + 32 + IRB_DIGEST_BYTES, sig, IRB_SIG_BYTES) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Does item i's path, at level lv (node idx, computed node, and the
 * siblings from sib to the end of its proof), meet the verified path of
 * entry e? */
static int
path_meets(const struct irb_seal *e, size_t lv, size_t idx, const uint8_t *node, const uint8_t *sib,
           const uint8_t *end) {
    size_t tail = (size_t)(end - sib);

    return (e->i >> lv) == idx && tail <= e->prooflen - IRB_PROOF_MIN &&
           memcmp(e->path[lv], node, IRB_DIGEST_BYTES) == 0 &&
           memcmp(e->proof + e->prooflen - tail, sib, tail) == 0;
}

int
irb_verify_item(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], const uint8_t item[IRB_DIGEST_BYTES],
                const uint8_t sig[IRB_SIG_BYTES], const uint8_t *proof, size_t prooflen,
                struct irb_seal_cache *cache) {
    uint8_t path[IRB_TREE_LEVELS][IRB_DIGEST_BYTES], digest[IRB_DIGEST_BYTES];
    const uint8_t *sib, *end = proof + prooflen;
    struct irb_seal *e;
    size_t n, i, lv = 0, idx;

    if (prooflen == 0) {
        return irb_verify_digest(pk, item, sig);
    }
    if (proof == NULL || irb_proof_len(proof, prooflen) != prooflen) {
        return IRBUS_EBADSIG;
    }
    n = (size_t)proof[0] << 8 | proof[1];
    i = idx = (size_t)proof[2] << 8 | proof[3];
    sib = proof + IRB_PROOF_MIN;
    e = seal_find(cache, pk, sig, n);
    leaf_of(proof + 4, item, path[0]);
    for (size_t w = n;; w = (w + 1) / 2, idx /= 2) {
        if (e != NULL && path_meets(e, lv, idx, path[lv], sib, end)) {
            /* The rest of the way is e's, which led to a verified
             * signature; e now remembers this item. */
            memcpy(e->path, path, lv * IRB_DIGEST_BYTES);
            memcpy(e->proof, proof, prooflen);
            e->prooflen = prooflen;
            e->i = i;
            return 0;
        }
        if (w <= 1) {
            break;
        }
        if ((idx ^ 1) >= w) {
            memcpy(path[lv + 1], path[lv], IRB_DIGEST_BYTES); /* carried up */
        } else {
            if (idx & 1) {
                node_of(sib, path[lv], path[lv + 1]);
            } else {
                node_of(path[lv], sib, path[lv + 1]);
            }
            sib += IRB_DIGEST_BYTES;
        }
        lv++;
    }
    batch_digest(n, path[lv], digest);
    if (irb_verify_digest(pk, digest, sig) != 0) {
        return IRBUS_EBADSIG;
    }
    if (cache != NULL) {
        e = &cache->s[cache->next];
        memcpy(e->t, pk, 32);
        memcpy(e->t + 32, digest, IRB_DIGEST_BYTES);
        memcpy(e->t + 32 + IRB_DIGEST_BYTES, sig, IRB_SIG_BYTES);
        memcpy(e->path, path, (lv + 1) * IRB_DIGEST_BYTES);
        memcpy(e->proof, proof, prooflen);
        e->prooflen = prooflen;
        e->i = i;
        if (cache->used < IRB_SEAL_CACHE) {
            cache->used++;
        }
        cache->next = (cache->next + 1) % IRB_SEAL_CACHE;
    }
    return 0;
}
