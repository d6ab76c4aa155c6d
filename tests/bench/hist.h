/*
 * hist.h - a log-linear latency histogram (HdrHistogram's layout, without
 * its library): values are nanoseconds; below 2^HIST_SUB_BITS every value
 * has its own bucket, above it every power of two is split into
 * 2^HIST_SUB_BITS linear buckets, so any recorded value is reported within
 * 1/2^HIST_SUB_BITS (0.8 %) of itself. Fixed size, no allocation after
 * hist_new, merge by adding counts.
 *
 * One histogram is written by one thread at a time; the loader merges the
 * per-thread histograms after the threads have joined.
 */
#ifndef IRB_BENCH_HIST_H
#define IRB_BENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

/* Owned by whoever called hist_new; free with hist_destroy. */
struct hist {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint64_t b[HIST_BUCKETS];
};

/* A zeroed histogram, or NULL when out of memory. */
struct hist *hist_new(void);
/* Accepts NULL; sets *hp to NULL. */
void hist_destroy(struct hist **hp);
void hist_reset(struct hist *h);
/* Record one value (ns). */
void hist_record(struct hist *h, uint64_t v);
/* Add every count of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);
/* The value at quantile q (0 < q <= 1), as the upper edge of its bucket
 * clamped to the recorded maximum; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
/* Bucket index of v, and the largest value in bucket i (for tests). */
size_t hist_index(uint64_t v);
uint64_t hist_upper(size_t i);

#endif
