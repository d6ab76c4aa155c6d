/*
 * mp.h - the bounded msgpack reader and the fixed-buffer writer.
 *
 * Untrusted bytes never reach msgpack-c's unpacker (a 5-byte map32 header
 * makes it reserve 16 GiB). irb_mp_prewalk() walks a whole frame first,
 * checking every count and length against the documented limits and the
 * bytes left, and the nesting depth, without allocating anything; the
 * schema decoder (wire.c) then reads values in place through the
 * irb_mp_read_* cursor. Strings and binaries are borrowed pointers into the
 * caller's buffer.
 *
 * The writer encodes with msgpack-c's packer (shortest forms, msgpack spec
 * 2013) into a caller-owned fixed buffer: no allocation.
 */
#ifndef IRB_MP_H
#define IRB_MP_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* Limits applied to every frame before any schema is consulted. */
#define IRB_MP_MAX_DEPTH 8    /* containers nested at most this deep */
#define IRB_MP_MAX_ARRAY 1024 /* entries in one array */
#define IRB_MP_MAX_MAP   64   /* entries (key/value pairs) in one map */

/* Types as the schema reader sees them. */
enum irb_mp_type {
    IRB_MP_NIL,
    IRB_MP_BOOL,
    IRB_MP_UINT, /* non-negative integer */
    IRB_MP_NINT, /* negative integer */
    IRB_MP_FLOAT,
    IRB_MP_STR,
    IRB_MP_BIN,
    IRB_MP_ARRAY,
    IRB_MP_MAP,
    IRB_MP_INVALID /* 0xc1 and extension types */
};

/* A read cursor over borrowed bytes. */
struct irb_mp_reader {
    const uint8_t *p;
    size_t left;
};

/*
 * Check that buf holds exactly one well-formed msgpack value within the
 * limits above. Returns 0, IRBUS_ETRUNCATED (ends inside a value, or a
 * count or length that the bytes left cannot hold), IRBUS_EMSGPACK (0xc1 or
 * an extension type), IRBUS_ECOUNT (a count above its limit), IRBUS_EDEPTH,
 * IRBUS_ETRAILING (bytes after the value).
 */
int irb_mp_prewalk(const uint8_t *buf, size_t len);

/* Type of the next value (does not advance). IRB_MP_INVALID at the end. */
enum irb_mp_type irb_mp_peek(const struct irb_mp_reader *r);

/* Readers: each returns 0 and advances, or IRBUS_ETYPE (other type, not
 * advanced) or IRBUS_ETRUNCATED. Counts are bounded by the prewalk limits. */
int irb_mp_read_map(struct irb_mp_reader *r, uint32_t *n);
int irb_mp_read_array(struct irb_mp_reader *r, uint32_t *n);
int irb_mp_read_uint(struct irb_mp_reader *r, uint64_t *v);
int irb_mp_read_bool(struct irb_mp_reader *r, int *v);
/* Raw string bytes; UTF-8 validity is checked with irb_utf8_valid. */
int irb_mp_read_str(struct irb_mp_reader *r, const char **s, size_t *len);
int irb_mp_read_bin(struct irb_mp_reader *r, const uint8_t **b, size_t *len);

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int irb_utf8_valid(const char *s, size_t len);

/* Fixed-buffer writer. Owned by the caller; buf is borrowed. After encoding,
 * overflow != 0 means the buffer was too small and len is meaningless. */
struct irb_mp_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
    msgpack_packer pk;
};

void irb_mp_writer_init(struct irb_mp_writer *w, uint8_t *buf, size_t cap);
void irb_mp_write_map(struct irb_mp_writer *w, uint32_t n);
void irb_mp_write_array(struct irb_mp_writer *w, uint32_t n);
void irb_mp_write_uint(struct irb_mp_writer *w, uint64_t v);
void irb_mp_write_bool(struct irb_mp_writer *w, int v);
void irb_mp_write_str(struct irb_mp_writer *w, const char *s, size_t len);
void irb_mp_write_cstr(struct irb_mp_writer *w, const char *s);
void irb_mp_write_bin(struct irb_mp_writer *w, const uint8_t *b, size_t len);

#endif
