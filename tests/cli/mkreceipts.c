/*
 * mkreceipts.c - writes receipt files for cli_receipts.sh, signed the way
 * irbusd signs the receipts of one commit (schema/protocol.md 7.6): a new
 * broker key in DIR/broker (and DIR/broker.pub), and
 *   DIR/batch-N.json  (N = 1..3) three receipts under one batch signature,
 *                     each with its proof
 *   DIR/alone.json    a receipt signed alone (no proof)
 * in the layout `irbus pub` saves. The script alters copies of them.
 * Usage: mkreceipts DIR
 */
#include "irbus.h"
#include "sign.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

static void
hex(const uint8_t *b, size_t n, char *out) {
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
}

static int
write_receipt(const char *path, uint64_t seq, const uint8_t hash[32], uint64_t btime,
              const uint8_t sig[64], const uint8_t *proof, size_t plen, const uint8_t pk[32]) {
    char h[65], s[129], k[65], p[2 * IRB_PROOF_MAX + 1];
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        perror(path);
        return -1;
    }
    hex(hash, 32, h);
    hex(sig, 64, s);
    hex(pk, 32, k);
    hex(proof, plen, p);
    fprintf(f,
            "{\"incident\": \"INC-1\", \"seq\": %llu, \"btime\": %llu, \"hash\": \"%s\", "
            "\"sig\": \"%s\", \"broker_key\": \"%s\"",
            (unsigned long long)seq, (unsigned long long)btime, h, s, k);
    if (plen > 0) {
        fprintf(f, ", \"proof\": \"%s\"", p);
    }
    fprintf(f, "}\n");
    return fclose(f) == 0 ? 0 : -1;
}

int
main(int argc, char **argv) {
    static struct irb_batch tree;
    irbus_key *key = NULL;
    uint8_t hash[3][32], d[3 * 32], sig[64], proof[IRB_PROOF_MAX], rb[IRB_RECEIPT_BYTES_MAX];
    const uint64_t btime = 1795435200123ULL;
    char path[4096];
    int rc = 1;

    if (argc != 2 || irbus_init() != 0) {
        fprintf(stderr, "usage: mkreceipts DIR\n");
        return 64;
    }
    snprintf(path, sizeof path, "%s/broker", argv[1]);
    if (irbus_key_generate(&key) != 0 || irbus_key_save(key, path, "test broker") != 0) {
        fprintf(stderr, "mkreceipts: cannot write %s\n", path);
        goto out;
    }
    for (int i = 0; i < 3; i++) {
        size_t n;
        memset(hash[i], 0x10 + i, 32);
        n = irb_receipt_bytes("INC-1", 5, (uint64_t)i + 1, hash[i], btime, rb);
        irb_digest(IRB_DOMAIN_RECEIPT, rb, n, d + 32 * i);
    }
    if (irb_batch_build(&tree, d, NULL, 3) != 0 || irb_sign_digest(key, tree.digest, sig) != 0) {
        goto out;
    }
    for (int i = 0; i < 3; i++) {
        size_t plen = irb_batch_proof(&tree, (size_t)i, proof);
        snprintf(path, sizeof path, "%s/batch-%d.json", argv[1], i + 1);
        if (write_receipt(path, (uint64_t)i + 1, hash[i], btime, sig, proof, plen,
                          irbus_key_public(key)) != 0) {
            goto out;
        }
    }
    snprintf(path, sizeof path, "%s/alone.json", argv[1]);
    if (irb_sign_digest(key, d, sig) != 0 ||
        write_receipt(path, 1, hash[0], btime, sig, NULL, 0, irbus_key_public(key)) != 0) {
        goto out;
    }
    rc = 0;
out:
    irbus_key_destroy(&key);
    return rc;
}
