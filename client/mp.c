/*
 * mp.c - bounded msgpack reading and fixed-buffer writing (see mp.h).
 * Never allocates on the read side; never trusts a count or a length.
 */
#include "mp.h"

#include "irbus.h"

#include <string.h>

/* Big-endian loads. */
static uint64_t
be(const uint8_t *p, size_t n) {
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/*
 * Decode the header of the value at p (left bytes available).
 * On success: *hdr = bytes of the header, *body = bytes of payload that
 * follow it (str/bin/float/int bodies are folded into hdr for scalars),
 * *items = values contained (arrays: n, maps: 2n), *type = its type.
 */
struct mp_head {
    enum irb_mp_type type;
    size_t hdr;     /* header bytes, including fixed-size scalar bodies */
    uint64_t body;  /* str/bin payload bytes after the header */
    uint64_t count; /* array entries or map pairs */
};

static int
mp_head(const uint8_t *p, size_t left, struct mp_head *h) {
    uint8_t b;
    size_t need;

    if (left < 1) {
        return IRBUS_ETRUNCATED;
    }
    b = p[0];
    memset(h, 0, sizeof *h);
    h->hdr = 1;
    if (b <= 0x7f) {
        h->type = IRB_MP_UINT;
        return 0;
    }
    if (b >= 0xe0) {
        h->type = IRB_MP_NINT;
        return 0;
    }
    if (b >= 0x80 && b <= 0x8f) {
        h->type = IRB_MP_MAP;
        h->count = b & 0x0f;
        return 0;
    }
    if (b >= 0x90 && b <= 0x9f) {
        h->type = IRB_MP_ARRAY;
        h->count = b & 0x0f;
        return 0;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        h->type = IRB_MP_STR;
        h->body = b & 0x1f;
        return 0;
    }
    switch (b) {
    case 0xc0:
        h->type = IRB_MP_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        h->type = IRB_MP_BOOL;
        return 0;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        h->type = IRB_MP_UINT;
        h->hdr = 1 + ((size_t)1 << (b - 0xcc));
        break;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        h->type = IRB_MP_NINT;
        h->hdr = 1 + ((size_t)1 << (b - 0xd0));
        break;
    case 0xca:
        h->type = IRB_MP_FLOAT;
        h->hdr = 5;
        break;
    case 0xcb:
        h->type = IRB_MP_FLOAT;
        h->hdr = 9;
        break;
    case 0xd9:
    case 0xda:
    case 0xdb:
        h->type = IRB_MP_STR;
        h->hdr = 1 + ((size_t)1 << (b - 0xd9));
        break;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        h->type = IRB_MP_BIN;
        h->hdr = 1 + ((size_t)1 << (b - 0xc4));
        break;
    case 0xdc:
    case 0xdd:
        h->type = IRB_MP_ARRAY;
        h->hdr = 1 + ((size_t)2 << (b - 0xdc));
        break;
    case 0xde:
    case 0xdf:
        h->type = IRB_MP_MAP;
        h->hdr = 1 + ((size_t)2 << (b - 0xde));
        break;
    default: /* 0xc1 (never used) and the extension types */
        h->type = IRB_MP_INVALID;
        return IRBUS_EMSGPACK;
    }
    need = h->hdr;
    if (left < need) {
        return IRBUS_ETRUNCATED;
    }
    if (h->type == IRB_MP_STR || h->type == IRB_MP_BIN) {
        h->body = be(p + 1, need - 1);
    } else if (h->type == IRB_MP_ARRAY || h->type == IRB_MP_MAP) {
        h->count = be(p + 1, need - 1);
    }
    return 0;
}

int
irb_mp_prewalk(const uint8_t *buf, size_t len) {
    /* need[d]: values still expected at depth d; depth 0 is the top level. */
    uint64_t need[IRB_MP_MAX_DEPTH + 1];
    int d = 0;
    const uint8_t *p = buf;
    size_t left = len;
    struct mp_head h;
    int rc;

    need[0] = 1;
    while (d >= 0) {
        if (need[d] == 0) {
            d--;
            continue;
        }
        need[d]--;
        if ((rc = mp_head(p, left, &h)) != 0) {
            return rc;
        }
        p += h.hdr;
        left -= h.hdr;
        if (h.type == IRB_MP_STR || h.type == IRB_MP_BIN) {
            if (h.body > left) {
                return IRBUS_ETRUNCATED;
            }
            p += h.body;
            left -= (size_t)h.body;
        } else if (h.type == IRB_MP_ARRAY || h.type == IRB_MP_MAP) {
            uint64_t limit = h.type == IRB_MP_ARRAY ? IRB_MP_MAX_ARRAY : IRB_MP_MAX_MAP;
            uint64_t values = h.type == IRB_MP_ARRAY ? h.count : 2 * h.count;
            if (h.count > limit) {
                return IRBUS_ECOUNT;
            }
            if (values > left) { /* every value takes at least one byte */
                return IRBUS_ETRUNCATED;
            }
            if (d + 1 > IRB_MP_MAX_DEPTH) { /* empty containers count too */
                return IRBUS_EDEPTH;
            }
            if (values > 0) {
                need[++d] = values;
            }
        }
    }
    return left == 0 ? 0 : IRBUS_ETRAILING;
}

enum irb_mp_type
irb_mp_peek(const struct irb_mp_reader *r) {
    struct mp_head h;

    if (mp_head(r->p, r->left, &h) != 0) {
        return IRB_MP_INVALID;
    }
    return h.type;
}

/* Read a header of the wanted type; advance past the header only. */
static int
read_head(struct irb_mp_reader *r, enum irb_mp_type want, struct mp_head *h) {
    int rc = mp_head(r->p, r->left, h);

    if (rc != 0) {
        return rc;
    }
    if (h->type != want) {
        return IRBUS_ETYPE;
    }
    r->p += h->hdr;
    r->left -= h->hdr;
    return 0;
}

int
irb_mp_read_map(struct irb_mp_reader *r, uint32_t *n) {
    struct mp_head h;
    int rc = read_head(r, IRB_MP_MAP, &h);

    if (rc == 0) {
        if (h.count > IRB_MP_MAX_MAP) {
            return IRBUS_ECOUNT;
        }
        if (2 * h.count > r->left) {
            return IRBUS_ETRUNCATED;
        }
        *n = (uint32_t)h.count;
    }
    return rc;
}

int
irb_mp_read_array(struct irb_mp_reader *r, uint32_t *n) {
    struct mp_head h;
    int rc = read_head(r, IRB_MP_ARRAY, &h);

    if (rc == 0) {
        if (h.count > IRB_MP_MAX_ARRAY) {
            return IRBUS_ECOUNT;
        }
        if (h.count > r->left) {
            return IRBUS_ETRUNCATED;
        }
        *n = (uint32_t)h.count;
    }
    return rc;
}

int
irb_mp_read_uint(struct irb_mp_reader *r, uint64_t *v) {
    const uint8_t *start = r->p;
    struct mp_head h;
    int rc = read_head(r, IRB_MP_UINT, &h);

    if (rc == 0) {
        *v = h.hdr == 1 ? start[0] : be(start + 1, h.hdr - 1);
    }
    return rc;
}

int
irb_mp_read_bool(struct irb_mp_reader *r, int *v) {
    const uint8_t *start = r->p;
    struct mp_head h;
    int rc = read_head(r, IRB_MP_BOOL, &h);

    if (rc == 0) {
        *v = start[0] == 0xc3;
    }
    return rc;
}

static int
read_body(struct irb_mp_reader *r, enum irb_mp_type want, const uint8_t **b, size_t *len) {
    struct mp_head h;
    int rc = read_head(r, want, &h);

    if (rc != 0) {
        return rc;
    }
    if (h.body > r->left) {
        return IRBUS_ETRUNCATED;
    }
    *b = r->p;
    *len = (size_t)h.body;
    r->p += h.body;
    r->left -= (size_t)h.body;
    return 0;
}

int
irb_mp_read_str(struct irb_mp_reader *r, const char **s, size_t *len) {
    const uint8_t *b;
    int rc = read_body(r, IRB_MP_STR, &b, len);

    if (rc == 0) {
        *s = (const char *)b;
    }
    return rc;
}

int
irb_mp_read_bin(struct irb_mp_reader *r, const uint8_t **b, size_t *len) {
    return read_body(r, IRB_MP_BIN, b, len);
}

int
irb_utf8_valid(const char *str, size_t len) {
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0;

    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i - 1 < n) {
            return 0;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

/* msgpack-c write callback: append into the fixed buffer or flag overflow. */
static int
writer_cb(void *data, const char *buf, size_t len) {
    struct irb_mp_writer *w = data;

    if (w->overflow || len > w->cap - w->len) {
        w->overflow = 1;
        return -1;
    }
    memcpy(w->buf + w->len, buf, len);
    w->len += len;
    return 0;
}

void
irb_mp_writer_init(struct irb_mp_writer *w, uint8_t *buf, size_t cap) {
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = 0;
    msgpack_packer_init(&w->pk, w, writer_cb);
}

void
irb_mp_write_map(struct irb_mp_writer *w, uint32_t n) {
    (void)msgpack_pack_map(&w->pk, n);
}

void
irb_mp_write_array(struct irb_mp_writer *w, uint32_t n) {
    (void)msgpack_pack_array(&w->pk, n);
}

void
irb_mp_write_uint(struct irb_mp_writer *w, uint64_t v) {
    (void)msgpack_pack_uint64(&w->pk, v);
}

void
irb_mp_write_bool(struct irb_mp_writer *w, int v) {
    (void)(v ? msgpack_pack_true(&w->pk) : msgpack_pack_false(&w->pk));
}

void
irb_mp_write_str(struct irb_mp_writer *w, const char *s, size_t len) {
    if (msgpack_pack_str(&w->pk, len) == 0 && len > 0) {
        (void)msgpack_pack_str_body(&w->pk, s, len);
    }
}

void
irb_mp_write_cstr(struct irb_mp_writer *w, const char *s) {
    irb_mp_write_str(w, s, strlen(s));
}

void
irb_mp_write_bin(struct irb_mp_writer *w, const uint8_t *b, size_t len) {
    if (msgpack_pack_bin(&w->pk, len) == 0 && len > 0) {
        (void)msgpack_pack_bin_body(&w->pk, b, len);
    }
}
