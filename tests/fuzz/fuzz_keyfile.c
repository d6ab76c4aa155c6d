/*
 * fuzz_keyfile.c - irb_keyfile_parse on arbitrary bytes. It must return 0
 * or IRBUS_EKEYFILE, never read outside the buffer, and leave nothing
 * allocated. The parse result lives in sodium_malloc'd memory, as in the
 * loaders, so guard pages catch a write past the struct.
 */
#include "keys.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int initialised;
    struct irb_keyfile *kf;
    int r;

    if (!initialised) {
        if (sodium_init() < 0) {
            abort();
        }
        initialised = 1;
    }
    kf = sodium_malloc(sizeof *kf);
    if (kf == NULL) {
        return 0;
    }
    r = irb_keyfile_parse((const char *)data, size, kf);
    /* The parser's whole contract: success or IRBUS_EKEYFILE. */
    if (r != 0 && r != IRBUS_EKEYFILE) {
        abort();
    }
    if (r == 0 && kf->secret != 0 && kf->secret != 1) {
        abort();
    }
    sodium_free(kf);
    return 0;
}
