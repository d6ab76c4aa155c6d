/*
 * vectors.h - the builder of schema/vectors/: every frame type and envelope
 * kind, signed with keys from fixed seeds, plus malformed frames with the
 * error each must produce. irb_gen_vectors writes them; test_vectors checks
 * the committed files against a fresh build and against the codec.
 */
#ifndef IRB_VECTORS_H
#define IRB_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct vec_sink {
    void *ctx;
    /* A valid frame: its name and bytes. */
    int (*valid)(void *ctx, const char *name, const uint8_t *bytes, size_t len);
    /* A malformed frame: name, bytes, the expected error, a description. */
    int (*malformed)(void *ctx, const char *name, const uint8_t *bytes, size_t len, int code,
                     const char *why);
};

/* Build every vector into the sink. Returns 0 or the first non-zero result
 * of a sink callback, or a negative IRBUS_E* code. */
int vectors_build(const struct vec_sink *sink);

/* The fixed seeds: seed i is 32 bytes (i*32 + 0) .. (i*32 + 31). */
enum { VEC_ALICE, VEC_BROKER, VEC_ADMIN, VEC_BOB, VEC_NKEYS };
extern const char *const vec_key_names[VEC_NKEYS];
void vectors_seed(int which, uint8_t seed[32]);

#endif

/* The decoded meaning of a valid vector as text: the frame as JSON, the
 * envelope(s) it carries as JSON, and which fixed key's signature verifies.
 * Returns the length or a negative IRBUS_E* code (decode errors included). */
long vectors_meaning(const uint8_t *bytes, size_t len, char *out, size_t cap);
