/*
 * hist.c - see hist.h.
 */
#include "hist.h"

#include <stdlib.h>
#include <string.h>

#define SUB ((uint64_t)1 << HIST_SUB_BITS)

struct hist *
hist_new(void) {
    struct hist *h = calloc(1, sizeof *h);

    if (h != NULL) {
        h->min = UINT64_MAX;
    }
    return h;
}

void
hist_destroy(struct hist **hp) {
    if (hp != NULL) {
        free(*hp);
        *hp = NULL;
    }
}

void
hist_reset(struct hist *h) {
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

size_t
hist_index(uint64_t v) {
    unsigned e;

    if (v < SUB) {
        return (size_t)v;
    }
    e = 63u - (unsigned)__builtin_clzll(v); /* v >= SUB, so e >= HIST_SUB_BITS */
    return (size_t)(((uint64_t)(e - HIST_SUB_BITS + 1) << HIST_SUB_BITS) |
                    ((v >> (e - HIST_SUB_BITS)) & (SUB - 1)));
}

uint64_t
hist_upper(size_t i) {
    uint64_t band = (uint64_t)i >> HIST_SUB_BITS, sub = (uint64_t)i & (SUB - 1);
    unsigned shift;

    if (band == 0) {
        return (uint64_t)i;
    }
    shift = (unsigned)band - 1; /* the bucket width is 2^shift */
    return ((SUB | sub) << shift) + (((uint64_t)1 << shift) - 1);
}

void
hist_record(struct hist *h, uint64_t v) {
    h->b[hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min) {
        h->min = v;
    }
    if (v > h->max) {
        h->max = v;
    }
}

void
hist_merge(struct hist *dst, const struct hist *src) {
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        dst->b[i] += src->b[i];
    }
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->count > 0 && src->min < dst->min) {
        dst->min = src->min;
    }
    if (src->max > dst->max) {
        dst->max = src->max;
    }
}

uint64_t
hist_quantile(const struct hist *h, double q) {
    uint64_t want, seen = 0;

    if (h->count == 0) {
        return 0;
    }
    want = (uint64_t)(q * (double)h->count + 0.999999);
    if (want < 1) {
        want = 1;
    }
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= want) {
            uint64_t u = hist_upper(i);
            return u < h->max ? u : h->max;
        }
    }
    return h->max;
}
