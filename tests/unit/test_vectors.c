/*
 * test_vectors.c - schema/vectors/ against the codec:
 *  - every valid vector decodes to its recorded meaning (NAME.json), its
 *    signatures verify with the fixed keys, and it re-encodes byte for byte
 *    (the frame and the envelope it carries);
 *  - every malformed vector gives the error recorded in malformed/INDEX;
 *  - a fresh build of the vectors equals the committed files, so the files
 *    are neither stale nor hand-edited out of step with the builder.
 */
#include "check.h"
#include "vectors.h"

#include "irbus.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VDIR IRB_SOURCE_DIR "/schema/vectors"

static uint8_t *
load_hex(const char *path, size_t *n) {
    size_t tlen;
    uint8_t *text = check_read_file(path, &tlen), *bytes;

    if (text == NULL) {
        return NULL;
    }
    bytes = check_unhex((const char *)text, n);
    free(text);
    return bytes;
}

static struct irb_frame frame;
static struct irb_env env;
static uint8_t out[IRB_MAX_FRAME];
static char meaning[65536];

static void
check_valid(const char *name) {
    char path[1024];
    size_t n, jlen;
    uint8_t *b;
    char *json;
    long m;

    snprintf(path, sizeof path, VDIR "/%s.hex", name);
    b = load_hex(path, &n);
    snprintf(path, sizeof path, VDIR "/%s.json", name);
    json = (char *)check_read_file(path, &jlen);
    CHECK(b != NULL && json != NULL);
    if (b == NULL || json == NULL) {
        fprintf(stderr, "vector %s: missing files\n", name);
        goto out;
    }
    m = vectors_meaning(b, n, meaning, sizeof meaning);
    CHECK(m > 0);
    if (m > 0 && strcmp(meaning, json) != 0) {
        check_fail(__FILE__, __LINE__, name);
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", meaning, json);
    }
    CHECK(strstr(json, "signed_by\": \"none\"") == NULL);

    CHECK_EQ(irb_wire_decode_full(b, n, &frame, &env), 0);
    m = irb_wire_encode(&frame, out, sizeof out);
    CHECK_EQ(m, (long)n);
    CHECK(m == (long)n && memcmp(out, b, n) == 0);
    if (frame.present & IRB_BIT(IRB_FI_ENV)) {
        m = irb_wire_encode_env(&env, out, sizeof out);
        CHECK_EQ(m, (long)frame.env.len);
        CHECK(m == (long)frame.env.len && memcmp(out, frame.env.p, frame.env.len) == 0);
    }
out:
    free(b);
    free(json);
}

static int
check_malformed_index(void) {
    char line[512], name[128], path[1024];
    int code, count = 0;
    FILE *f = fopen(VDIR "/malformed/INDEX", "r");

    CHECK(f != NULL);
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        size_t n;
        uint8_t *b;
        int rc;

        CHECK(sscanf(line, "%127s %d", name, &code) == 2);
        snprintf(path, sizeof path, VDIR "/malformed/%s.hex", name);
        b = load_hex(path, &n);
        CHECK(b != NULL);
        if (b == NULL) {
            continue;
        }
        rc = irb_wire_decode_full(b, n, &frame, &env);
        if (rc != -code) {
            fprintf(stderr, "malformed %s: got %d, want %d\n", name, rc, -code);
        }
        CHECK_EQ(rc, -code);
        free(b);
        count++;
    }
    fclose(f);
    return count;
}

/* Fresh build versus committed files. */
static int built_valid, built_bad;

static int
cmp_file(const char *path, const uint8_t *b, size_t n) {
    size_t m;
    uint8_t *c = load_hex(path, &m);
    int same = c != NULL && m == n && (n == 0 || memcmp(c, b, n) == 0);

    free(c);
    return same;
}

static int
on_valid(void *ctx, const char *name, const uint8_t *b, size_t n) {
    char path[1024];

    (void)ctx;
    snprintf(path, sizeof path, VDIR "/%s.hex", name);
    if (!cmp_file(path, b, n)) {
        fprintf(stderr, "vector %s differs from a fresh build (run irb_gen_vectors)\n", name);
        check_fail(__FILE__, __LINE__, name);
    }
    built_valid++;
    return 0;
}

static int
on_bad(void *ctx, const char *name, const uint8_t *b, size_t n, int code, const char *why) {
    char path[1024];

    (void)ctx;
    (void)why;
    snprintf(path, sizeof path, VDIR "/malformed/%s.hex", name);
    if (!cmp_file(path, b, n)) {
        fprintf(stderr, "malformed %s differs from a fresh build\n", name);
        check_fail(__FILE__, __LINE__, name);
    }
    CHECK_EQ(irb_wire_decode_full(b, n, &frame, &env), code);
    built_bad++;
    return 0;
}

int
main(void) {
    char name[128];
    int nvalid = 0, nbad;
    struct vec_sink sink = {NULL, on_valid, on_bad};
    FILE *f;

    CHECK_EQ(irbus_init(), 0);
    f = fopen(VDIR "/INDEX", "r");
    CHECK(f != NULL);
    while (f != NULL && fscanf(f, "%127s", name) == 1) {
        check_valid(name);
        nvalid++;
    }
    if (f != NULL) {
        fclose(f);
    }
    nbad = check_malformed_index();
    CHECK_EQ(vectors_build(&sink), 0);
    CHECK_EQ(built_valid, nvalid);
    CHECK_EQ(built_bad, nbad);
    /* Every frame type and every envelope kind has a vector. */
    CHECK(nvalid >= IRB_T_COUNT + IRB_K_COUNT - 6);
    printf("%d valid vectors, %d malformed\n", nvalid, nbad);
    return check_done("test_vectors");
}
