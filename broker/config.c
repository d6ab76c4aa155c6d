/*
 * config.c - the config file parser. Hand-written rather than libinih:
 * the format is flat (no sections, no continuation lines), every error must
 * name its line, and the parser must be pure for its fuzz target; it is
 * smaller than the glue inih would need.
 */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
irb_config_defaults(struct irb_config *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "%s", IRB_DEFAULT_LISTEN);
    snprintf(c->data, sizeof c->data, "%s", IRB_DEFAULT_DATA);
    c->mapsize = (uint64_t)1 << 30;
    c->clock_window_ms = 300000;
    c->log_level = IRB_LOG_INFO;
    c->verify_threads = IRB_VERIFY_AUTO;
}

static int
parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out) {
    char *end;
    unsigned long long x;

    if (*v < '0' || *v > '9') {
        return -1;
    }
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno != 0 || *end != 0 || x < min || x > max) {
        return -1;
    }
    *out = x;
    return 0;
}

static int
set_string(char *dst, size_t cap, const char *v) {
    size_t n = strlen(v);

    if (n == 0 || n >= cap) {
        return -1;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

/* Apply one key = value; returns 0, or -1 with a reason in why. */
static int
apply(struct irb_config *c, const char *k, const char *v, const char **why) {
    uint64_t u;

    if (strcmp(k, "listen") == 0) {
        *why = "listen needs a ZeroMQ endpoint such as tcp://127.0.0.1:7400";
        return strncmp(v, "tcp://", 6) != 0 && strncmp(v, "ipc://", 6) != 0
                   ? -1
                   : set_string(c->listen, sizeof c->listen, v);
    }
    if (strcmp(k, "data") == 0) {
        *why = "data needs a directory path";
        return set_string(c->data, sizeof c->data, v);
    }
    if (strcmp(k, "key") == 0) {
        *why = "key needs the path of the broker's secret key file";
        return set_string(c->key, sizeof c->key, v);
    }
    if (strcmp(k, "admin_key") == 0) {
        *why = c->nadmin >= IRB_CONFIG_MAX_ADMINS ? "too many admin_key lines (at most 16)"
                                                  : "admin_key needs the path of a .pub file";
        if (c->nadmin >= IRB_CONFIG_MAX_ADMINS ||
            set_string(c->admin_keys[c->nadmin], IRB_CONFIG_PATH_MAX, v) != 0) {
            return -1;
        }
        c->nadmin++;
        return 0;
    }
    if (strcmp(k, "mapsize_mb") == 0) {
        *why = "mapsize_mb needs a whole number from 1 to 1048576";
        if (parse_u64(v, 1, 1048576, &u) != 0) {
            return -1;
        }
        c->mapsize = u << 20;
        return 0;
    }
    if (strcmp(k, "mapsize_kb") == 0) { /* for tests that fill the store */
        *why = "mapsize_kb needs a whole number from 64 to 1073741824";
        if (parse_u64(v, 64, 1073741824, &u) != 0) {
            return -1;
        }
        c->mapsize = u << 10;
        return 0;
    }
    if (strcmp(k, "clock_window_s") == 0) {
        *why = "clock_window_s needs a whole number of seconds from 1 to 86400";
        if (parse_u64(v, 1, 86400, &u) != 0) {
            return -1;
        }
        c->clock_window_ms = u * 1000;
        return 0;
    }
    if (strcmp(k, "log_level") == 0) {
        int l = irb_log_level_from_name(v);
        *why = "log_level is one of debug, info, warn, error";
        if (l < 0) {
            return -1;
        }
        c->log_level = l;
        return 0;
    }
    if (strcmp(k, "verify_threads") == 0) {
        *why = "verify_threads is auto or a whole number from 0 to 16";
        if (strcmp(v, "auto") == 0) {
            c->verify_threads = IRB_VERIFY_AUTO;
            return 0;
        }
        if (parse_u64(v, 0, IRB_VERIFY_MAX, &u) != 0) {
            return -1;
        }
        c->verify_threads = (uint32_t)u;
        return 0;
    }
    *why = "unknown key (known: listen, data, key, admin_key, mapsize_mb, mapsize_kb, "
           "clock_window_s, log_level, verify_threads)";
    return -1;
}

static char *
trim(char *s) {
    char *e;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
        *--e = 0;
    }
    return s;
}

int
irb_config_parse(const char *text, size_t len, struct irb_config *c, char *err, size_t errlen) {
    char line[2048];
    size_t pos = 0;
    int lineno = 0;

    while (pos < len) {
        size_t start = pos, n;
        char *l, *eq, *k, *v;
        const char *why = "";

        while (pos < len && text[pos] != '\n') {
            pos++;
        }
        n = pos - start;
        pos++; /* past the newline */
        lineno++;
        if (n >= sizeof line) {
            snprintf(err, errlen, "line %d: longer than %zu bytes", lineno, sizeof line - 1);
            return -1;
        }
        memcpy(line, text + start, n);
        line[n] = 0;
        if (memchr(line, 0, n) != NULL) {
            snprintf(err, errlen, "line %d: contains a NUL byte", lineno);
            return -1;
        }
        l = trim(line);
        if (*l == 0 || *l == '#') {
            continue;
        }
        eq = strchr(l, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "line %d: expected 'key = value'", lineno);
            return -1;
        }
        *eq = 0;
        k = trim(l);
        v = trim(eq + 1);
        if (apply(c, k, v, &why) != 0) {
            snprintf(err, errlen, "line %d: %s: %s", lineno, k, why);
            return -1;
        }
    }
    return 0;
}

int
irb_config_load(const char *path, struct irb_config *c, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;
    char inner[512];
    int rc;

    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    buf = malloc(65537);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    n = fread(buf, 1, 65537, f);
    fclose(f);
    if (n > 65536) {
        free(buf);
        snprintf(err, errlen, "%s: larger than 64 KiB", path);
        return -1;
    }
    rc = irb_config_parse(buf, n, c, inner, sizeof inner);
    free(buf);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, inner);
    }
    return rc;
}
