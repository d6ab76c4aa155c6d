/*
 * test_sign.c - the signing construction: digests match the specification
 * computed independently; a signature fails after any single-byte change
 * of the signed bytes or of the signature; a signature by key A does not
 * verify as key B; a signature under another domain does not verify.
 * Batch signatures: every item of every batch size 1..256 verifies through
 * its proof; the tree matches one computed by hand; any changed byte of a
 * proof, another item, another key or a proof of another size fails; the
 * cache of verified triples never accepts a signature that was not checked,
 * and its shortcut through a path already verified accepts every item of
 * the batch and no changed proof or digest; no proof shows another item's
 * digest.
 */
#include "check.h"

#include "irbus.h"
#include "sign.h"
#include "wire.h"

#include <sodium.h>
#include <string.h>

static irbus_key *
key_from(uint8_t fill) {
    uint8_t seed[32];
    irbus_key *k = NULL;

    memset(seed, fill, sizeof seed);
    CHECK_EQ(irbus_key_from_seed(seed, &k), 0);
    return k;
}

static void
test_digest_spec(void) {
    static const uint8_t msg[] = {0x81, 0xa1, 0x76, 0x01};
    uint8_t want[32], got[32], buf[64];
    size_t dl = strlen(IRB_DOMAIN_ENVELOPE);

    /* BLAKE2b-256(domain || 0x00 || bytes), computed from one buffer. */
    memcpy(buf, IRB_DOMAIN_ENVELOPE, dl);
    buf[dl] = 0;
    memcpy(buf + dl + 1, msg, sizeof msg);
    crypto_generichash(want, 32, buf, dl + 1 + sizeof msg, NULL, 0);
    irb_digest(IRB_DOMAIN_ENVELOPE, msg, sizeof msg, got);
    CHECK(memcmp(got, want, 32) == 0);
    irb_digest(IRB_DOMAIN_RECEIPT, msg, sizeof msg, got);
    CHECK(memcmp(got, want, 32) != 0);
}

static void
test_flips(void) {
    uint8_t msg[200], sig[64];
    irbus_key *a = key_from(1), *b = key_from(2);
    size_t fails = 0;

    for (size_t i = 0; i < sizeof msg; i++) {
        msg[i] = (uint8_t)(i * 7);
    }
    CHECK_EQ(irb_sign(a, IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig), 0);
    CHECK_EQ(irb_verify(irbus_key_public(a), IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig), 0);
    for (size_t i = 0; i < sizeof msg; i++) {
        for (int bit = 0; bit < 8; bit++) {
            msg[i] ^= (uint8_t)(1 << bit);
            fails += irb_verify(irbus_key_public(a), IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig) ==
                     IRBUS_EBADSIG;
            msg[i] ^= (uint8_t)(1 << bit);
        }
    }
    CHECK_EQ(fails, sizeof msg * 8);
    fails = 0;
    for (size_t i = 0; i < sizeof sig; i++) {
        for (int bit = 0; bit < 8; bit++) {
            sig[i] ^= (uint8_t)(1 << bit);
            fails += irb_verify(irbus_key_public(a), IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig) ==
                     IRBUS_EBADSIG;
            sig[i] ^= (uint8_t)(1 << bit);
        }
    }
    CHECK_EQ(fails, sizeof sig * 8);
    /* Whole-byte replacement too, not only bit flips. */
    for (size_t i = 0; i < sizeof msg; i++) {
        uint8_t old = msg[i];
        msg[i] = (uint8_t)(old + 0x5a);
        CHECK_EQ(irb_verify(irbus_key_public(a), IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig),
                 IRBUS_EBADSIG);
        msg[i] = old;
    }
    /* Another key, another domain, a truncated or extended message. */
    CHECK_EQ(irb_verify(irbus_key_public(b), IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig),
             IRBUS_EBADSIG);
    CHECK_EQ(irb_verify(irbus_key_public(a), IRB_DOMAIN_RECEIPT, msg, sizeof msg, sig),
             IRBUS_EBADSIG);
    CHECK_EQ(irb_verify(irbus_key_public(a), IRB_DOMAIN_NOTICE, msg, sizeof msg, sig),
             IRBUS_EBADSIG);
    CHECK_EQ(irb_verify(irbus_key_public(a), IRB_DOMAIN_ENVELOPE, msg, sizeof msg - 1, sig),
             IRBUS_EBADSIG);
    irbus_key_destroy(&a);
    irbus_key_destroy(&b);
    CHECK(a == NULL && b == NULL);
}

static void
test_receipt_layout(void) {
    uint8_t hash[32], out[IRB_RECEIPT_BYTES_MAX];
    size_t n;

    memset(hash, 0xee, sizeof hash);
    n = irb_receipt_bytes("INC-1", 5, 0x0102030405060708ULL, hash, 0x1122334455667788ULL, out);
    CHECK_EQ(n, 1 + 5 + 8 + 32 + 8);
    CHECK(out[0] == 5 && memcmp(out + 1, "INC-1", 5) == 0);
    CHECK(out[6] == 0x01 && out[13] == 0x08);
    CHECK(out[14] == 0xee && out[45] == 0xee);
    CHECK(out[46] == 0x11 && out[53] == 0x88);
}

static void
test_chain(void) {
    uint8_t g[32], h1[32], h1b[32], d[32], sig[64], aud[3] = {1, 2, 3};

    memset(d, 1, sizeof d);
    memset(sig, 2, sizeof sig);
    irb_chain_genesis("INC-1", 5, g);
    irb_chain_next(g, 1, 1000, d, sig, NULL, 0, NULL, 0, h1);
    irb_chain_next(g, 1, 1000, d, sig, NULL, 0, aud, sizeof aud, h1b);
    CHECK(memcmp(h1, h1b, 32) != 0); /* the audience is bound into the chain */
    irb_chain_next(g, 1, 1000, d, sig, aud, sizeof aud, NULL, 0, h1b);
    CHECK(memcmp(h1, h1b, 32) != 0); /* and the proof */
    irb_chain_next(g, 2, 1000, d, sig, NULL, 0, NULL, 0, h1b);
    CHECK(memcmp(h1, h1b, 32) != 0);
    irb_chain_genesis("INC-2", 5, h1b);
    CHECK(memcmp(g, h1b, 32) != 0);
}

/* n items whose digests are all different. */
static void
items(uint8_t (*d)[32], size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t b[2] = {(uint8_t)(i >> 8), (uint8_t)i};
        irb_digest(IRB_DOMAIN_ENVELOPE, b, sizeof b, d[i]);
    }
}

/* n items, their tree, and key k's signature over its batch digest. */
static void
signed_batch(uint8_t (*d)[32], size_t n, struct irb_batch *b, const irbus_key *k, uint8_t sig[64]) {
    items(d, n);
    CHECK_EQ(irb_batch_build(b, d[0], NULL, n), 0);
    CHECK_EQ(irb_sign_digest(k, b->digest, sig), 0);
}

static void
node(const uint8_t *l, const uint8_t *r, uint8_t out[32]) {
    uint8_t b[64];

    memcpy(b, l, 32);
    memcpy(b + 32, r, 32);
    irb_digest(IRB_DOMAIN_NODE, b, 64, out);
}

static void
leaf(const uint8_t salt[IRB_SALT_BYTES], const uint8_t *d, uint8_t out[32]) {
    uint8_t b[IRB_SALT_BYTES + 32];

    memcpy(b, salt, IRB_SALT_BYTES);
    memcpy(b + IRB_SALT_BYTES, d, 32);
    irb_digest(IRB_DOMAIN_LEAF, b, sizeof b, out);
}

/* Three items, by hand: root = node(node(l0, l1), l2), l2 carried up,
 * each leaf li the salted digest of item i. */
static void
test_batch_spec(void) {
    static uint8_t d[3][32];
    static struct irb_batch b;
    uint8_t salts[3][IRB_SALT_BYTES], l[3][32], n01[32], root[32], bd[34], want[32];
    uint8_t proof[IRB_PROOF_MAX];

    items(d, 3);
    for (int i = 0; i < 3; i++) {
        memset(salts[i], 0x51 + i, IRB_SALT_BYTES);
        leaf(salts[i], d[i], l[i]);
    }
    CHECK_EQ(irb_batch_build(&b, d[0], salts[0], 3), 0);
    node(l[0], l[1], n01);
    node(n01, l[2], root);
    bd[0] = 0;
    bd[1] = 3;
    memcpy(bd + 2, root, 32);
    irb_digest(IRB_DOMAIN_BATCH, bd, sizeof bd, want);
    CHECK(memcmp(b.digest, want, 32) == 0);
    /* Item 2 has no sibling on the first level: its proof is its salt and
     * one node. */
    CHECK_EQ(irb_batch_proof(&b, 2, proof), 4 + 16 + 32);
    CHECK(proof[0] == 0 && proof[1] == 3 && proof[2] == 0 && proof[3] == 2);
    CHECK(memcmp(proof + 4, salts[2], 16) == 0 && memcmp(proof + 20, n01, 32) == 0);
    CHECK_EQ(irb_batch_proof(&b, 0, proof), 4 + 16 + 64);
    CHECK(memcmp(proof + 4, salts[0], 16) == 0);
    CHECK(memcmp(proof + 20, l[1], 32) == 0 && memcmp(proof + 52, l[2], 32) == 0);
    CHECK_EQ(irb_batch_build(&b, d[0], NULL, 0), IRBUS_EINVAL);
    CHECK_EQ(irb_batch_build(&b, d[0], NULL, IRB_BATCH_MAX + 1), IRBUS_EINVAL);
    /* Random salts: two builds of the same items differ, and both verify. */
    CHECK_EQ(irb_batch_build(&b, d[0], NULL, 3), 0);
    memcpy(want, b.digest, 32);
    CHECK_EQ(irb_batch_build(&b, d[0], NULL, 3), 0);
    CHECK(memcmp(want, b.digest, 32) != 0);
}

static void
test_batch_all_sizes(void) {
    static uint8_t d[IRB_BATCH_MAX][32];
    static struct irb_batch b;
    irbus_key *k = key_from(7), *other = key_from(8);
    const uint8_t *pk = irbus_key_public(k);
    uint8_t sig[64], proof[IRB_PROOF_MAX + 1], got[32];
    struct irb_seal_cache cache = {0};
    size_t bad = 0, checked = 0;

    items(d, IRB_BATCH_MAX);
    for (size_t n = 1; n <= IRB_BATCH_MAX; n++) {
        CHECK_EQ(irb_batch_build(&b, d[0], NULL, n), 0);
        CHECK_EQ(irb_sign_digest(k, b.digest, sig), 0);
        for (size_t i = 0; i < n; i++) {
            size_t len = irb_batch_proof(&b, i, proof);
            CHECK(len >= IRB_PROOF_MIN && len <= IRB_PROOF_MAX && (len - IRB_PROOF_MIN) % 32 == 0);
            CHECK_EQ(irb_proof_len(proof, len + 1), len); /* self-delimiting */
            CHECK_EQ(irb_proof_len(proof, len - 1), 0);
            CHECK_EQ(irb_batch_digest_of(d[i], proof, len, got), 0);
            if (memcmp(got, b.digest, 32) != 0 ||
                irb_verify_item(pk, d[i], sig, proof, len, i % 2 ? &cache : NULL) != 0) {
                bad++;
            }
            /* another item, the other key, a trailing byte */
            if (irb_verify_item(pk, d[(i + 1) % IRB_BATCH_MAX], sig, proof, len, &cache) == 0 ||
                irb_verify_item(irbus_key_public(other), d[i], sig, proof, len, &cache) == 0 ||
                irb_verify_item(pk, d[i], sig, proof, len + 1, &cache) == 0) {
                bad++;
            }
            checked++;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(checked, IRB_BATCH_MAX * (IRB_BATCH_MAX + 1) / 2);
    irbus_key_destroy(&k);
    irbus_key_destroy(&other);
}

/* Every single-byte change of a proof, and of the signature, fails, also
 * with the untouched triple in the cache. */
static void
test_batch_flips(void) {
    static uint8_t d[37][32];
    static struct irb_batch b;
    irbus_key *k = key_from(9);
    const uint8_t *pk = irbus_key_public(k);
    uint8_t sig[64], proof[IRB_PROOF_MAX];
    struct irb_seal_cache cache = {0};
    size_t len, accepted = 0;

    signed_batch(d, 37, &b, k, sig);
    /* No proof shows another item's digest: its siblings are salted. */
    for (size_t i = 0; i < 37; i++) {
        len = irb_batch_proof(&b, i, proof);
        for (size_t at = IRB_PROOF_MIN; at + 32 <= len; at += 32) {
            for (size_t j = 0; j < 37; j++) {
                accepted += memcmp(proof + at, d[j], 32) == 0;
            }
        }
    }
    CHECK_EQ(accepted, 0);
    len = irb_batch_proof(&b, 21, proof);
    CHECK_EQ(irb_verify_item(pk, d[21], sig, proof, len, &cache), 0);
    CHECK_EQ(cache.used, 1);
    for (size_t j = 0; j < len; j++) {
        for (int bit = 0; bit < 8; bit++) {
            proof[j] ^= (uint8_t)(1u << bit);
            accepted += irb_verify_item(pk, d[21], sig, proof, len, &cache) == 0;
            proof[j] ^= (uint8_t)(1u << bit);
        }
    }
    for (size_t j = 0; j < 64; j++) {
        sig[j] ^= 0x01;
        accepted += irb_verify_item(pk, d[21], sig, proof, len, &cache) == 0;
        sig[j] ^= 0x01;
    }
    CHECK_EQ(accepted, 0);
    /* a plain signature is not a batch signature, nor the reverse */
    CHECK_EQ(irb_verify_item(pk, b.digest, sig, NULL, 0, &cache), 0);
    CHECK_EQ(irb_verify_item(pk, d[21], sig, NULL, 0, &cache), IRBUS_EBADSIG);
    irbus_key_destroy(&k);
}

/* The cache's shortcut: with another item of the batch verified, each item
 * verifies through the path they share, and a change of any byte of its
 * proof or of its digest still fails (one bit per byte, the bit moving
 * along). Also the items in order, and backwards, through one entry. */
static void
test_batch_shared_paths(void) {
    static uint8_t d[37][32];
    static struct irb_batch b;
    irbus_key *k = key_from(10);
    const uint8_t *pk = irbus_key_public(k);
    uint8_t sig[64], proof[IRB_PROOF_MAX];
    struct irb_seal_cache cache = {0};
    size_t len, accepted = 0, good = 0;

    signed_batch(d, 37, &b, k, sig);
    for (size_t j = 0; j < 37; j++) {
        len = irb_batch_proof(&b, 21, proof);
        good += irb_verify_item(pk, d[21], sig, proof, len, &cache) == 0; /* e remembers 21 */
        len = irb_batch_proof(&b, j, proof);
        for (size_t at = 0; at < len; at++) {
            proof[at] ^= (uint8_t)(1u << (at % 8));
            accepted += irb_verify_item(pk, d[j], sig, proof, len, &cache) == 0;
            proof[at] ^= (uint8_t)(1u << (at % 8));
        }
        for (size_t at = 0; at < 32; at++) {
            d[j][at] ^= (uint8_t)(1u << (at % 8));
            accepted += irb_verify_item(pk, d[j], sig, proof, len, &cache) == 0;
            d[j][at] ^= (uint8_t)(1u << (at % 8));
        }
        good += irb_verify_item(pk, d[j], sig, proof, len, &cache) == 0;
    }
    CHECK_EQ(accepted, 0);
    CHECK_EQ(good, 2 * 37);
    CHECK_EQ(cache.used, 1); /* one Ed25519 verification for all of them */
    for (size_t j = 0; j < 37; j++) {
        len = irb_batch_proof(&b, j, proof);
        good += irb_verify_item(pk, d[j], sig, proof, len, &cache) == 0;
        len = irb_batch_proof(&b, 36 - j, proof);
        good += irb_verify_item(pk, d[36 - j], sig, proof, len, &cache) == 0;
    }
    CHECK_EQ(good, 4 * 37);
    CHECK_EQ(cache.used, 1);
    irbus_key_destroy(&k);
}

int
main(void) {
    CHECK_EQ(irbus_init(), 0);
    test_digest_spec();
    test_flips();
    test_receipt_layout();
    test_chain();
    test_batch_spec();
    test_batch_all_sizes();
    test_batch_flips();
    test_batch_shared_paths();
    return check_done("test_sign");
}
