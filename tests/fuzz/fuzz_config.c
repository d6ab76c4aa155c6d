/*
 * fuzz_config.c - irb_config_parse on arbitrary bytes, on top of the
 * embedded defaults, as irbusd does. On success every field must hold a
 * value the broker can use (an endpoint it may bind, NUL-terminated paths,
 * counts and sizes within their documented limits); on failure the message
 * must name a line of the input. The parser is pure, so a second parse with
 * a tiny error buffer must give the same result and a truncated message.
 * The config and the error buffers are heap blocks of their exact size, so
 * ASan catches a write past either.
 */
#include "config.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ERRLEN       512 /* as irb_config_load */
#define SHORT_ERRLEN 12

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_config: invariant failed: %s\n", #c);                            \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

/* A non-empty string NUL-terminated inside its buffer. */
static int
is_cstr(const char *s, size_t cap) {
    return memchr(s, 0, cap) != NULL;
}

static void
check_config(const struct irb_config *c) {
    CHECK(is_cstr(c->listen, sizeof c->listen));
    CHECK(strncmp(c->listen, "tcp://", 6) == 0 || strncmp(c->listen, "ipc://", 6) == 0);
    CHECK(is_cstr(c->data, sizeof c->data) && c->data[0] != 0);
    CHECK(is_cstr(c->key, sizeof c->key)); /* "" = the default key path */
    CHECK(c->nadmin <= IRB_CONFIG_MAX_ADMINS);
    for (size_t i = 0; i < IRB_CONFIG_MAX_ADMINS; i++) {
        if (i < c->nadmin) {
            CHECK(is_cstr(c->admin_keys[i], IRB_CONFIG_PATH_MAX) && c->admin_keys[i][0] != 0);
        } else {
            CHECK(c->admin_keys[i][0] == 0); /* untouched beyond nadmin */
        }
    }
    /* mapsize_kb 64..2^30 or mapsize_mb 1..2^20: 64 KiB..1 TiB, whole KiB. */
    CHECK(c->mapsize >= (uint64_t)64 << 10 && c->mapsize <= (uint64_t)1 << 40);
    CHECK(c->mapsize % 1024 == 0);
    CHECK(c->clock_window_ms >= 1000 && c->clock_window_ms <= 86400000 &&
          c->clock_window_ms % 1000 == 0);
    CHECK(c->log_level >= IRB_LOG_DEBUG && c->log_level <= IRB_LOG_ERROR);
    CHECK(c->verify_threads == IRB_VERIFY_AUTO || c->verify_threads <= IRB_VERIFY_MAX);
}

/* "line N: ..." with 1 <= N <= the number of lines of the input. */
static void
check_error(const char *err, size_t errlen, size_t nlines) {
    unsigned long n;
    char *end;

    CHECK(is_cstr(err, errlen));
    CHECK(err[0] != 0);
    CHECK(strncmp(err, "line ", 5) == 0);
    if (errlen < 32) {
        return; /* too short to hold the whole number */
    }
    n = strtoul(err + 5, &end, 10);
    CHECK(end != err + 5 && *end == ':');
    CHECK(n >= 1 && n <= nlines);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct irb_config *c = malloc(sizeof *c), *c2 = malloc(sizeof *c2), *d = malloc(sizeof *d);
    char *err = malloc(ERRLEN), *err2 = malloc(SHORT_ERRLEN);
    size_t nlines = 1;
    int rc, rc2;

    if (c == NULL || c2 == NULL || d == NULL || err == NULL || err2 == NULL) {
        goto out;
    }
    for (size_t i = 0; i < size; i++) {
        nlines += data[i] == '\n';
    }
    irb_config_defaults(c);
    irb_config_defaults(c2);
    irb_config_defaults(d);
    check_config(d);
    memset(err, 0x55, ERRLEN); /* no accidental terminator */
    memset(err2, 0x55, SHORT_ERRLEN);

    rc = irb_config_parse((const char *)data, size, c, err, ERRLEN);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        check_config(c);
        /* No assignment at all leaves the defaults exactly as they were. */
        if (memchr(data, '=', size) == NULL) {
            CHECK(memcmp(c, d, sizeof *c) == 0);
        }
    } else {
        check_error(err, ERRLEN, nlines);
    }

    /* Pure: same input, same outcome; a short buffer only truncates. */
    rc2 = irb_config_parse((const char *)data, size, c2, err2, SHORT_ERRLEN);
    CHECK(rc2 == rc);
    if (rc == 0) {
        CHECK(memcmp(c, c2, sizeof *c) == 0);
    } else {
        check_error(err2, SHORT_ERRLEN, nlines);
        CHECK(strncmp(err, err2, SHORT_ERRLEN - 1) == 0);
    }
out:
    free(c);
    free(c2);
    free(d);
    free(err);
    free(err2);
    return 0;
}
