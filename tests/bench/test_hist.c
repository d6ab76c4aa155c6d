/*
 * test_hist.c - the log-linear histogram: every value lands in a bucket
 * whose range holds it, within 1/128 of itself, and quantiles of a known
 * distribution come out where they must.
 */
#include "hist.h"

#include <stdio.h>
#include <stdlib.h>

static int failures;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int
main(void) {
    struct hist *h = hist_new(), *g = hist_new();
    uint64_t v;

    CHECK(h != NULL && g != NULL);
    if (h == NULL || g == NULL) {
        return 1;
    }
    for (v = 1; v < ((uint64_t)1 << 62); v += v / 3 + 1) {
        size_t i = hist_index(v);
        CHECK(i < HIST_BUCKETS);
        CHECK(hist_upper(i) >= v);
        CHECK(i == 0 || hist_upper(i - 1) < v);
        CHECK((double)(hist_upper(i) - v) <= (double)v / 128.0 + 1.0);
    }
    CHECK(hist_index(UINT64_MAX) == HIST_BUCKETS - 1);
    CHECK(hist_upper(HIST_BUCKETS - 1) == UINT64_MAX);
    CHECK(hist_quantile(h, 0.5) == 0);
    /* 1..100000 ns, once each. */
    for (v = 1; v <= 100000; v++) {
        hist_record(v <= 50000 ? h : g, v);
    }
    hist_merge(h, g);
    CHECK(h->count == 100000 && h->min == 1 && h->max == 100000);
    CHECK(hist_quantile(h, 0.5) >= 50000 && hist_quantile(h, 0.5) <= 50000 + 50000 / 128);
    CHECK(hist_quantile(h, 0.99) >= 99000 && hist_quantile(h, 0.99) <= 99000 + 99000 / 128);
    CHECK(hist_quantile(h, 1.0) == 100000);
    hist_reset(g);
    CHECK(g->count == 0);
    hist_destroy(&h);
    hist_destroy(&g);
    CHECK(h == NULL);
    if (failures == 0) {
        printf("test_hist: ok\n");
    }
    return failures == 0 ? 0 : 1;
}
