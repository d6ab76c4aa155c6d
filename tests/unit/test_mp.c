/*
 * test_mp.c - the bounded reader and the writer: known encodings, limits,
 * UTF-8 validation, and writer overflow.
 */
#include "check.h"

#include "irbus.h"
#include "mp.h"

#include <string.h>

static void
test_prewalk(void) {
    static const uint8_t fixmap[] = {0x81, 0xa1, 'v', 0x01};
    static const uint8_t u64[] = {0xcf, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t u64_short[] = {0xcf, 1, 2, 3};
    static const uint8_t f64[] = {0xcb, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t bin8[] = {0xc4, 0x02, 0xaa, 0xbb};
    static const uint8_t bin8_short[] = {0xc4, 0x03, 0xaa, 0xbb};
    static const uint8_t empty_map[] = {0x80};
    static const uint8_t arr_limit[] = {0xdc, 0x04, 0x01}; /* 1025 entries */
    static const uint8_t map_limit[] = {0xde, 0x00, 0x41}; /* 65 pairs */
    static const uint8_t fixext[] = {0xd5, 0x01, 0x00, 0x00};
    static const uint8_t ext8[] = {0xc7, 0x00, 0x01};

    CHECK_EQ(irb_mp_prewalk(fixmap, sizeof fixmap), 0);
    CHECK_EQ(irb_mp_prewalk(fixmap, 3), IRBUS_ETRUNCATED);
    CHECK_EQ(irb_mp_prewalk(u64, sizeof u64), 0);
    CHECK_EQ(irb_mp_prewalk(u64_short, sizeof u64_short), IRBUS_ETRUNCATED);
    CHECK_EQ(irb_mp_prewalk(f64, sizeof f64), 0);
    CHECK_EQ(irb_mp_prewalk(bin8, sizeof bin8), 0);
    CHECK_EQ(irb_mp_prewalk(bin8_short, sizeof bin8_short), IRBUS_ETRUNCATED);
    CHECK_EQ(irb_mp_prewalk(empty_map, sizeof empty_map), 0);
    CHECK_EQ(irb_mp_prewalk(arr_limit, sizeof arr_limit), IRBUS_ECOUNT);
    CHECK_EQ(irb_mp_prewalk(map_limit, sizeof map_limit), IRBUS_ECOUNT);
    CHECK_EQ(irb_mp_prewalk(fixext, sizeof fixext), IRBUS_EMSGPACK);
    CHECK_EQ(irb_mp_prewalk(ext8, sizeof ext8), IRBUS_EMSGPACK);
    CHECK_EQ(irb_mp_prewalk(fixmap, 0), IRBUS_ETRUNCATED);
}

static void
test_reader(void) {
    static const uint8_t in[] = {0x93, 0xcd, 0x01, 0x00, 0xc3, 0xa3, 'a', 'b', 'c'};
    struct irb_mp_reader r = {in, sizeof in};
    uint32_t n;
    uint64_t u;
    int b;
    const char *s;
    size_t len;

    CHECK_EQ(irb_mp_peek(&r), IRB_MP_ARRAY);
    CHECK_EQ(irb_mp_read_map(&r, &n), IRBUS_ETYPE); /* wrong type: not advanced */
    CHECK_EQ(irb_mp_read_array(&r, &n), 0);
    CHECK_EQ(n, 3);
    CHECK_EQ(irb_mp_read_uint(&r, &u), 0);
    CHECK_EQ(u, 256);
    CHECK_EQ(irb_mp_read_bool(&r, &b), 0);
    CHECK_EQ(b, 1);
    CHECK_EQ(irb_mp_read_str(&r, &s, &len), 0);
    CHECK(len == 3 && memcmp(s, "abc", 3) == 0);
    CHECK_EQ(r.left, 0);
    CHECK_EQ(irb_mp_read_uint(&r, &u), IRBUS_ETRUNCATED);
}

static void
test_utf8(void) {
    CHECK(irb_utf8_valid("plain ascii", 11));
    CHECK(irb_utf8_valid("\xc3\xa9t\xc3\xa9", 6)); /* été */
    CHECK(irb_utf8_valid("\xe2\x80\x9c", 3));      /* U+201C */
    CHECK(irb_utf8_valid("\xf0\x9f\x94\x92", 4));  /* U+1F512 */
    CHECK(!irb_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!irb_utf8_valid("\xe0\x80\xaf", 3));     /* overlong '/' */
    CHECK(!irb_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!irb_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!irb_utf8_valid("\xe2\x80", 2));         /* truncated */
    CHECK(!irb_utf8_valid("\x80", 1));             /* lone continuation */
    CHECK(!irb_utf8_valid("\xff", 1));
}

static void
test_writer(void) {
    uint8_t buf[8];
    struct irb_mp_writer w;

    irb_mp_writer_init(&w, buf, sizeof buf);
    irb_mp_write_uint(&w, 0x7f);
    irb_mp_write_uint(&w, 0x80);
    CHECK(!w.overflow && w.len == 3 && buf[0] == 0x7f && buf[1] == 0xcc && buf[2] == 0x80);
    irb_mp_write_uint(&w, 0x100000000ULL); /* 9 bytes: does not fit */
    CHECK(w.overflow);
    irb_mp_writer_init(&w, buf, sizeof buf);
    irb_mp_write_str(&w, "abc", 3);
    irb_mp_write_bin(&w, (const uint8_t *)"z", 1);
    CHECK(!w.overflow && w.len == 7 && buf[0] == 0xa3 && buf[4] == 0xc4 && buf[5] == 1);
}

int
main(void) {
    test_prewalk();
    test_reader();
    test_utf8();
    test_writer();
    return check_done("test_mp");
}
