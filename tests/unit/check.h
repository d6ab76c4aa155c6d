/*
 * check.h - the smallest test harness that reports where a check failed.
 * A failed CHECK prints file:line and the expression, counts the failure,
 * and the test continues; check_done() gives the exit status.
 */
#ifndef IRB_CHECK_H
#define IRB_CHECK_H

#include <stddef.h>
#include <stdint.h>

extern int check_failures;
extern int check_count;

void check_fail(const char *file, int line, const char *expr);
void check_fail_int(const char *file, int line, const char *expr, long long got, long long want);
/* Prints a summary; returns the process exit status (0 if nothing failed). */
int check_done(const char *name);
/* Reads a whole file into a malloc'd buffer; NULL on error. */
uint8_t *check_read_file(const char *path, size_t *len);
/* Parses hex (whitespace ignored) into a malloc'd buffer; NULL on error. */
uint8_t *check_unhex(const char *hex, size_t *len);
/* A "Field: N kB" line of a /proc/PID/status file, in KiB; -1 if absent. */
long check_status_kib(const char *path, const char *field);
/* Peak resident set of this process, in KiB (VmHWM). */
long check_peak_rss_kib(void);

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(expr)) {                                                                             \
            check_fail(__FILE__, __LINE__, #expr);                                                 \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        long long got_ = (long long)(got), want_ = (long long)(want);                              \
        check_count++;                                                                             \
        if (got_ != want_) {                                                                       \
            check_fail_int(__FILE__, __LINE__, #got " == " #want, got_, want_);                    \
        }                                                                                          \
    } while (0)

#endif
