/*
 * gen_vectors.c - writes schema/vectors/ from vectors_build():
 *   NAME.hex       the frame, lowercase hex, 64 digits a line
 *   NAME.json      its decoded meaning (frame, envelope, who signed)
 *   INDEX          the valid vectors' names, in build order
 *   malformed/NAME.hex and malformed/INDEX ("NAME CODE reason").
 * Usage: irb_gen_vectors DIR   (run by hand; test_vectors checks the result)
 */
#include "vectors.h"

#include "irbus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *outdir;
static FILE *index_valid, *index_bad;

static int
write_hex(const char *path, const uint8_t *b, size_t n) {
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        perror(path);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%02x%s", b[i], (i % 32 == 31 || i + 1 == n) ? "\n" : "");
    }
    return fclose(f) != 0;
}

static int
on_valid(void *ctx, const char *name, const uint8_t *b, size_t n) {
    static char meaning[65536];
    char path[1024];
    long m;
    FILE *f;

    (void)ctx;
    snprintf(path, sizeof path, "%s/%s.hex", outdir, name);
    if (write_hex(path, b, n) != 0) {
        return 1;
    }
    m = vectors_meaning(b, n, meaning, sizeof meaning);
    if (m < 0) {
        fprintf(stderr, "%s: does not decode: %s\n", name, irbus_strerror((int)m));
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s.json", outdir, name);
    if ((f = fopen(path, "w")) == NULL || fputs(meaning, f) < 0 || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    fprintf(index_valid, "%s\n", name);
    return 0;
}

static int
on_bad(void *ctx, const char *name, const uint8_t *b, size_t n, int code, const char *why) {
    char path[1024];

    (void)ctx;
    snprintf(path, sizeof path, "%s/malformed/%s.hex", outdir, name);
    if (write_hex(path, b, n) != 0) {
        return 1;
    }
    fprintf(index_bad, "%s %d %s\n", name, -code, why);
    return 0;
}

int
main(int argc, char **argv) {
    struct vec_sink sink = {NULL, on_valid, on_bad};
    char path[1024];
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 64;
    }
    if (irbus_init() != 0) {
        return 1;
    }
    outdir = argv[1];
    snprintf(path, sizeof path, "%s/malformed", outdir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/INDEX", outdir);
    index_valid = fopen(path, "w");
    snprintf(path, sizeof path, "%s/malformed/INDEX", outdir);
    index_bad = fopen(path, "w");
    if (index_valid == NULL || index_bad == NULL) {
        perror("INDEX");
        return 1;
    }
    rc = vectors_build(&sink);
    if (fclose(index_valid) != 0 || fclose(index_bad) != 0 || rc != 0) {
        fprintf(stderr, "failed: %d\n", rc);
        return 1;
    }
    return 0;
}
