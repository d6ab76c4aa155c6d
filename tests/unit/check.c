#include "check.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int check_failures;
int check_count;

void
check_fail(const char *file, int line, const char *expr) {
    check_failures++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
}

void
check_fail_int(const char *file, int line, const char *expr, long long got, long long want) {
    check_failures++;
    fprintf(stderr, "%s:%d: check failed: %s (got %lld, want %lld)\n", file, line, expr, got, want);
}

int
check_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures == 0 && check_count > 0 ? 0 : 1;
}

uint8_t *
check_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

uint8_t *
check_unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex), o = 0;
    uint8_t *out = malloc(n / 2 + 1);
    int hi = -1;

    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)hex[i], v;
        if (isspace(c)) {
            continue;
        }
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        } else {
            free(out);
            return NULL;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        free(out);
        return NULL;
    }
    *len = o;
    return out;
}

long
check_status_kib(const char *path, const char *field) {
    FILE *f = fopen(path, "r");
    char line[256];
    size_t fl = strlen(field);
    long kib = -1;

    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            kib = strtol(line + fl + 1, NULL, 10);
        }
    }
    fclose(f);
    return kib;
}

long
check_peak_rss_kib(void) {
    return check_status_kib("/proc/self/status", "VmHWM");
}
