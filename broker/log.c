/*
 * log.c - the broker's event log (see log.h). Lines are written with one
 * write(2) so lines from the ZAP thread and the main loop never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum irb_log_level threshold = IRB_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
irb_log_set_level(enum irb_log_level level) {
    threshold = level;
}

int
irb_log_level_from_name(const char *name) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void
irb_log_at(enum irb_log_level level, const char *func, const char *fmt, ...) {
    char line[2048];
    struct timeval tv;
    struct tm tm;
    size_t n;
    int m;
    va_list ap;

    if (level < threshold) {
        return;
    }
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    m = snprintf(line + n, sizeof line - n, ".%03ldZ level=%s func=%s ", (long)(tv.tv_usec / 1000),
                 level_names[level], func);
    if (m > 0) {
        n += (size_t)m;
    }
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (m > 0) {
        n += (size_t)m;
    }
    if (n > sizeof line - 2) {
        n = sizeof line - 2;
    }
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nowhere left to report it */
    }
}
