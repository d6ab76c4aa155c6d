/*
 * fuzz_record.c - a stored record value on arbitrary bytes, decoded the way
 * the broker reads it back from LMDB (irb_store_scan, then recovery):
 * irb_store_decode_value splits it, irb_meta_decode reads the meta part and
 * irb_wire_decode_env the envelope part. The files may have been tampered
 * with, so nothing may crash or read outside the value; what decodes must
 * lie inside the value and within the documented limits, and meta, whose
 * encoding is canonical, must re-encode to exactly the stored bytes (into a
 * heap block of IRB_META_MAX bytes, the size callers give the encoder).
 */
#include "policy.h"
#include "store.h"
#include "wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_record: invariant failed: %s\n", #c);                            \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

static struct irb_env e1, e2;
static uint8_t env1[IRB_MAX_ENV], env2[IRB_MAX_ENV];

/* [p, p + len) lies inside [b, b + blen). */
static int
inside(const void *p, size_t len, const uint8_t *b, size_t blen) {
    const uint8_t *q = p;

    if (len == 0) {
        return 1; /* an empty range may point anywhere (or be NULL) */
    }
    return q >= b && q <= b + blen && len <= (size_t)(b + blen - q);
}

static void
check_meta(const uint8_t *b, size_t len) {
    struct irb_meta m;
    uint8_t *out;
    size_t n;
    int rc = irb_meta_decode(b, len, &m);

    CHECK(rc == 0 || rc == IRBUS_ECORRUPT);
    if (rc != 0) {
        return;
    }
    CHECK(m.channel < IRB_CH_COUNT && m.tlp <= IRB_TLP_RED && m.pap <= IRB_PAP_RED &&
          m.cls < IRB_MC_COUNT);
    /* recovery copies the sender into a char[IRB_MAX_ID + 1] */
    CHECK(m.sender.len <= IRB_MAX_ID && inside(m.sender.p, m.sender.len, b, len));
    CHECK(m.org.len <= IRB_MAX_ID && inside(m.org.p, m.org.len, b, len));
    CHECK(m.nto <= IRB_MAX_TO);
    for (uint32_t i = 0; i < m.nto; i++) {
        CHECK(m.to[i].len <= IRB_MAX_ID && inside(m.to[i].p, m.to[i].len, b, len));
    }
    CHECK(m.naud <= IRB_MAX_AUD);
    for (uint32_t i = 0; i < m.naud; i++) {
        CHECK(m.aud[i].len <= IRB_MAX_ID && inside(m.aud[i].p, m.aud[i].len, b, len));
    }
    CHECK(len <= IRB_META_MAX);
    if (b[0] != 2) {
        return; /* version 1 is read, never written */
    }
    out = malloc(IRB_META_MAX);
    if (out == NULL) {
        return;
    }
    n = irb_meta_encode(&m, out);
    CHECK(n == len && memcmp(out, b, len) == 0);
    free(out);
}

static void
check_env(const uint8_t *b, size_t len) {
    long n1, n2;
    int rc = irb_wire_decode_env(b, len, &e1);

    if (rc != 0) {
        CHECK(rc <= IRBUS_ETRUNCATED && rc >= IRBUS_EVALUE); /* decoding errors only */
        return;
    }
    CHECK(e1.kind < IRB_K_COUNT);
    CHECK((e1.present & IRB_BIT(IRB_EI_SENDER)) && e1.sender.len == 32); /* verify reads 32 */
    CHECK(inside(e1.sender.p, e1.sender.len, b, len));
    CHECK(!(e1.present & IRB_BIT(IRB_EI_INCIDENT)) ||
          (e1.incident.len >= 1 && e1.incident.len <= IRB_MAX_ID));
    CHECK(inside(e1.incident.p, e1.incident.len, b, len));
    CHECK(inside(e1.payload.p, e1.payload.len, b, len) && e1.payload.len <= IRB_MAX_PAYLOAD);
    CHECK(inside(e1.ctype.p, e1.ctype.len, b, len) && e1.ctype.len <= IRB_MAX_CTYPE);
    CHECK(inside(e1.org.p, e1.org.len, b, len) && e1.org.len <= IRB_MAX_ID);
    CHECK(inside(e1.participant.p, e1.participant.len, b, len) && e1.participant.len <= IRB_MAX_ID);
    CHECK(inside(e1.spoc.p, e1.spoc.len, b, len) && e1.spoc.len <= IRB_MAX_ID);
    CHECK(inside(e1.name.p, e1.name.len, b, len) && e1.name.len <= IRB_MAX_TEXT);
    CHECK(inside(e1.title.p, e1.title.len, b, len) && e1.title.len <= IRB_MAX_TEXT);
    CHECK(inside(e1.key.p, e1.key.len, b, len) && inside(e1.ref_hash.p, e1.ref_hash.len, b, len));
    CHECK(e1.nto <= IRB_MAX_TO);
    for (uint32_t i = 0; i < e1.nto; i++) {
        CHECK(e1.to[i].len >= 1 && e1.to[i].len <= IRB_MAX_ID);
        CHECK(inside(e1.to[i].p, e1.to[i].len, b, len));
    }
    /* What decoded re-encodes to a canonical form that is a fixed point. */
    n1 = irb_wire_encode_env(&e1, env1, sizeof env1);
    CHECK(n1 > 0);
    CHECK(irb_wire_decode_env(env1, (size_t)n1, &e2) == 0);
    n2 = irb_wire_encode_env(&e2, env2, sizeof env2);
    CHECK(n2 == n1 && memcmp(env1, env2, (size_t)n1) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct irb_stored r;
    int rc;

    memset(&r, 0, sizeof r);
    rc = irb_store_decode_value(data, size, &r);
    CHECK(rc == 0 || rc == IRBUS_ECORRUPT);
    if (rc != 0) {
        return 0;
    }
    CHECK(r.hash == data + 8 && r.sig == data + 40);
    CHECK(inside(r.meta, r.metalen, data, size) && inside(r.env, r.envlen, data, size));
    CHECK(r.metalen < 32768 && r.prooflen < 65536);
    CHECK(106 + r.metalen + (r.prooflen > 0 ? 2 + r.prooflen : 0) + r.envlen == size);
    if (r.prooflen > 0) {
        CHECK(r.proof == r.meta + r.metalen + 2 && inside(r.proof, r.prooflen, data, size));
        CHECK(r.env == r.proof + r.prooflen);
    } else {
        CHECK(r.proof == NULL && r.env == r.meta + r.metalen);
    }
    check_meta(r.meta, r.metalen);
    check_env(r.env, r.envlen);
    return 0;
}
