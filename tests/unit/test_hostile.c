/*
 * test_hostile.c - hostile input against the decoder: amplification bombs,
 * nesting beyond the limit, truncation at every byte offset of every valid
 * vector, oversized values, and single-byte mutations. Every input must get
 * its error code, nothing may crash, and the process's peak memory must stay
 * small (msgpack-c's own unpacker reserves 16 GiB for the 5-byte map32 bomb).
 */
#include "check.h"
#include "vectors.h"

#include "irbus.h"
#include "mp.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Peak RSS allowed, KiB. The largest buffer this test makes itself is about
 * 2 MiB; the libraries need a few MiB more. AddressSanitizer's shadow memory
 * and quarantine add their own, so a sanitized build gets more room; either
 * way a decoder that believed a bomb's count would need gigabytes. */
#if defined(__SANITIZE_ADDRESS__)
#define PEAK_RSS_LIMIT_KIB (256 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PEAK_RSS_LIMIT_KIB (256 * 1024)
#endif
#endif
#ifndef PEAK_RSS_LIMIT_KIB
#define PEAK_RSS_LIMIT_KIB (32 * 1024)
#endif

static struct irb_frame frame;
static struct irb_env env;
static long vectors_seen, prefixes_seen, mutations_seen;

static int
is_decode_error(int rc) {
    return rc == 0 || (rc <= IRBUS_ETRUNCATED && rc >= IRBUS_EVALUE);
}

static int
on_valid(void *ctx, const char *name, const uint8_t *b, size_t n) {
    uint8_t *copy;

    (void)ctx;
    vectors_seen++;
    /* Every proper prefix, including the empty one, is truncated. Copies
     * are exact-size heap buffers so ASan sees any read past the end. */
    for (size_t cut = 0; cut < n; cut++) {
        int rc;
        copy = malloc(cut > 0 ? cut : 1);
        memcpy(copy, b, cut);
        rc = irb_wire_decode_full(copy, cut, &frame, &env);
        if (rc != IRBUS_ETRUNCATED) {
            fprintf(stderr, "%s cut at %zu: %d\n", name, cut, rc);
        }
        CHECK_EQ(rc, IRBUS_ETRUNCATED);
        free(copy);
        prefixes_seen++;
    }
    /* The envelope inside, truncated at every offset, too. */
    if (irb_wire_decode(b, n, &frame) == 0 && (frame.present & IRB_BIT(IRB_FI_ENV))) {
        size_t el = frame.env.len;
        uint8_t *eb = malloc(el);
        memcpy(eb, frame.env.p, el);
        for (size_t cut = 0; cut < el; cut++) {
            CHECK_EQ(irb_wire_decode_env(eb, cut, &env), IRBUS_ETRUNCATED);
        }
        free(eb);
    }
    /* Every byte replaced by a few values: an answer, never a crash. */
    copy = malloc(n);
    for (size_t i = 0; i < n; i++) {
        static const uint8_t subs[] = {0x00, 0xc1, 0xdf, 0xff, 0x7f, 0x80, 0xa0, 0xc4};
        for (size_t s = 0; s < sizeof subs; s++) {
            int rc;
            memcpy(copy, b, n);
            copy[i] = subs[s];
            rc = irb_wire_decode_full(copy, n, &frame, &env);
            if (!is_decode_error(rc)) {
                fprintf(stderr, "%s byte %zu=%02x: unexpected %d\n", name, i, subs[s], rc);
                CHECK(0);
            }
            mutations_seen++;
        }
    }
    free(copy);
    return 0;
}

static int
on_bad(void *ctx, const char *name, const uint8_t *b, size_t n, int code, const char *why) {
    (void)ctx;
    (void)name;
    (void)why;
    CHECK_EQ(irb_wire_decode_full(b, n, &frame, &env), code);
    return 0;
}

static void
test_bombs(void) {
    static const uint8_t map32[] = {0xdf, 0x10, 0x00, 0x00, 0x00};
    static const uint8_t map32max[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t array32[] = {0xdd, 0x10, 0x00, 0x00, 0x00};
    static const uint8_t array32_1m[] = {0xdd, 0x00, 0x10, 0x00, 0x00};
    static const uint8_t bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t str32[] = {0xdb, 0x20, 0x00, 0x00, 0x00};
    static const uint8_t map16_within[] = {0xde, 0x00, 0x40};

    CHECK_EQ(irb_wire_decode(map32, sizeof map32, &frame), IRBUS_ECOUNT);
    CHECK_EQ(irb_wire_decode(map32max, sizeof map32max, &frame), IRBUS_ECOUNT);
    CHECK_EQ(irb_wire_decode(array32, sizeof array32, &frame), IRBUS_ECOUNT);
    CHECK_EQ(irb_wire_decode(array32_1m, sizeof array32_1m, &frame), IRBUS_ECOUNT);
    CHECK_EQ(irb_wire_decode(bin32, sizeof bin32, &frame), IRBUS_ETRUNCATED);
    CHECK_EQ(irb_wire_decode(str32, sizeof str32, &frame), IRBUS_ETRUNCATED);
    CHECK_EQ(irb_wire_decode(map16_within, sizeof map16_within, &frame), IRBUS_ETRUNCATED);
}

static void
test_nesting(void) {
    static uint8_t deep[200000];
    size_t n;

    /* Exactly the limit passes the pre-walk (then fails the schema: not a
     * map); one more is EDEPTH; a very deep input is EDEPTH without
     * recursion. */
    for (n = 0; n < IRB_MP_MAX_DEPTH - 1; n++) {
        deep[n] = 0x91;
    }
    deep[n++] = 0x90;
    CHECK_EQ(irb_mp_prewalk(deep, n), 0);
    CHECK_EQ(irb_wire_decode(deep, n, &frame), IRBUS_ETYPE);
    deep[n - 1] = 0x91;
    deep[n++] = 0x90;
    CHECK_EQ(irb_mp_prewalk(deep, n), IRBUS_EDEPTH);
    memset(deep, 0x91, sizeof deep);
    CHECK_EQ(irb_wire_decode(deep, sizeof deep, &frame), IRBUS_EDEPTH);
    /* Maps nest too: {"v": {"v": ...}} */
    for (n = 0; n + 3 < sizeof deep; n += 3) {
        deep[n] = 0x81;
        deep[n + 1] = 0xa1;
        deep[n + 2] = 'v';
    }
    CHECK_EQ(irb_wire_decode(deep, n, &frame), IRBUS_EDEPTH);
}

static void
test_oversized(void) {
    size_t big = IRB_MAX_FRAME + 1;
    uint8_t *b = calloc(1, big + 64);
    struct irb_mp_writer w;
    char msg[IRB_MAX_ERRMSG + 1];

    /* One byte over the frame limit, whatever it holds. */
    CHECK_EQ(irb_wire_decode(b, big, &frame), IRBUS_ETOOBIG);

    /* An error message one byte over its limit. */
    memset(msg, 'x', sizeof msg);
    irb_mp_writer_init(&w, b, big);
    irb_mp_write_map(&w, 5);
    irb_mp_write_cstr(&w, "v");
    irb_mp_write_uint(&w, 1);
    irb_mp_write_cstr(&w, "t");
    irb_mp_write_cstr(&w, "error");
    irb_mp_write_cstr(&w, "id");
    irb_mp_write_uint(&w, 1);
    irb_mp_write_cstr(&w, "code");
    irb_mp_write_uint(&w, 101);
    irb_mp_write_cstr(&w, "msg");
    irb_mp_write_str(&w, msg, sizeof msg);
    CHECK_EQ(irb_wire_decode(b, w.len, &frame), IRBUS_ELENGTH);

    /* A payload one byte over its limit, inside an envelope that is itself
     * within the envelope limit. */
    {
        uint8_t *payload = calloc(1, IRB_MAX_PAYLOAD + 1);
        irb_mp_writer_init(&w, b, big + 64);
        irb_mp_write_map(&w, 1);
        irb_mp_write_cstr(&w, "payload");
        irb_mp_write_bin(&w, payload, IRB_MAX_PAYLOAD + 1);
        CHECK(!w.overflow);
        CHECK_EQ(irb_wire_decode_env(b, w.len, &env), IRBUS_ELENGTH);
        free(payload);
    }

    /* An envelope over the envelope limit. */
    CHECK_EQ(irb_wire_decode_env(b, IRB_MAX_ENV + 1, &env), IRBUS_ETOOBIG);
    free(b);
}

int
main(void) {
    struct vec_sink sink = {NULL, on_valid, on_bad};
    long peak;

    CHECK_EQ(irbus_init(), 0);
    test_bombs();
    test_nesting();
    test_oversized();
    peak = check_peak_rss_kib();
    printf("after bombs, nesting and oversized input: peak RSS %ld KiB\n", peak);
    CHECK(peak > 0 && peak < PEAK_RSS_LIMIT_KIB);
    CHECK_EQ(vectors_build(&sink), 0);
    CHECK(vectors_seen > 30);
    peak = check_peak_rss_kib();
    printf("%ld vectors, %ld truncations, %ld mutations; peak RSS %ld KiB (limit %d)\n",
           vectors_seen, prefixes_seen, mutations_seen, peak, PEAK_RSS_LIMIT_KIB);
    CHECK(peak > 0 && peak < PEAK_RSS_LIMIT_KIB);
    return check_done("test_hostile");
}
