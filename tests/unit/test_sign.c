/*
 * test_sign.c - the signing construction: digests match the specification
 * computed independently; a signature fails after any single-byte change
 * of the signed bytes or of the signature; a signature by key A does not
 * verify as key B; a signature under another domain does not verify.
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
    irb_chain_next(g, 1, 1000, d, sig, NULL, 0, h1);
    irb_chain_next(g, 1, 1000, d, sig, aud, sizeof aud, h1b);
    CHECK(memcmp(h1, h1b, 32) != 0); /* the audience is bound into the chain */
    irb_chain_next(g, 2, 1000, d, sig, NULL, 0, h1b);
    CHECK(memcmp(h1, h1b, 32) != 0);
    irb_chain_genesis("INC-2", 5, h1b);
    CHECK(memcmp(g, h1b, 32) != 0);
}

int
main(void) {
    CHECK_EQ(irbus_init(), 0);
    test_digest_spec();
    test_flips();
    test_receipt_layout();
    test_chain();
    return check_done("test_sign");
}
