/*
 * fuzz_frame.c - the frame decoder on arbitrary bytes. Whatever decodes must
 * re-encode to bytes that decode to the same frame and envelope (canonical
 * form is a fixed point); nothing may crash or read out of bounds.
 */
#include "irbus.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct irb_frame f1, f2;
static struct irb_env e1, e2;
static uint8_t out1[IRB_MAX_FRAME], out2[IRB_MAX_FRAME], env1[IRB_MAX_ENV];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    long n1, n2, m;
    int rc = irb_wire_decode_full(data, size, &f1, &e1);

    if (rc != 0) {
        if (rc > IRBUS_ETRUNCATED || rc < IRBUS_EVALUE) {
            abort(); /* only decoding errors may come out of the decoder */
        }
        return 0;
    }
    n1 = irb_wire_encode(&f1, out1, sizeof out1);
    if (n1 < 0) {
        abort();
    }
    if (irb_wire_decode_full(out1, (size_t)n1, &f2, &e2) != 0) {
        abort();
    }
    n2 = irb_wire_encode(&f2, out2, sizeof out2);
    if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0) {
        abort();
    }
    if (f1.present & IRB_BIT(IRB_FI_ENV)) {
        m = irb_wire_encode_env(&e1, env1, sizeof env1);
        if (m < 0 || irb_wire_decode_env(env1, (size_t)m, &e2) != 0) {
            abort();
        }
    }
    return 0;
}
