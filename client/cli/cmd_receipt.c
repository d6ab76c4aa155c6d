/*
 * cmd_receipt.c - `irbus receipt verify`: check saved receipts offline with
 * the broker's public key, so a sender can later prove what the broker
 * accepted, and when, without asking the broker.
 *
 * A receipt file names the broker key it was checked against on arrival;
 * that is a claim of the file, not evidence, so the key to trust comes from
 * --broker-key (or $IRBUS_BROKER_KEY) and the file's claim must match it.
 */
#include "cli.h"

#include <irbus.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
receipt_usage(FILE *f) {
    fprintf(f, "usage: irbus receipt verify --broker-key BROKER.pub FILE...\n"
               "\n"
               "Verify receipts saved by pub, incident and admin (FILE is one of the\n"
               "JSON files under the receipts directory) with the broker's public key:\n"
               "the broker's signature over (incident, seq, record hash, broker time).\n"
               "Prints one line per file: valid or INVALID, with what it proves.\n"
               "\n"
               "  --broker-key PATH  the broker's public key file ($IRBUS_BROKER_KEY)\n"
               "  --help             show this help\n"
               "\n"
               "Exit status: 0 if every receipt verifies, 65 if one does not or a file\n"
               "is not a receipt, 66 if a file cannot be read.\n");
}

/* Hex of exactly `len` bytes into out; 0 or -1. */
static int
unhex(const char *s, uint8_t *out, size_t len) {
    if (s == NULL || strlen(s) != 2 * len) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* Read one receipt file. CLI_EX_OK, CLI_EX_NOINPUT, or CLI_EX_DATAERR with
 * the reason in why. */
static int
load_receipt(const char *path, struct irbus_receipt *r, uint8_t claimed_pk[32], const char **why) {
    json_error_t jerr;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    const char *incident = NULL, *hash = NULL, *sig = NULL, *bk = NULL, *proof = NULL;
    json_int_t seq = 0, btime = 0;
    int rc = CLI_EX_DATAERR;

    if (o == NULL) {
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            *why = strerror(errno);
            return CLI_EX_NOINPUT;
        }
        fclose(f);
        *why = "not a JSON file";
        return CLI_EX_DATAERR;
    }
    memset(r, 0, sizeof *r);
    *why = "not a receipt: it needs incident, seq, btime, hash, sig and broker_key";
    if (json_unpack(o, "{s:s, s:I, s:I, s:s, s:s, s:s, s?s}", "incident", &incident, "seq", &seq,
                    "btime", &btime, "hash", &hash, "sig", &sig, "broker_key", &bk, "proof",
                    &proof) != 0 ||
        seq <= 0 || btime < 0 || strlen(incident) == 0 || strlen(incident) > IRBUS_ID_MAX ||
        unhex(hash, r->hash, sizeof r->hash) != 0 || unhex(sig, r->sig, sizeof r->sig) != 0 ||
        unhex(bk, claimed_pk, 32) != 0) {
        goto out;
    }
    if (proof != NULL) {
        /* a receipt signed with the others of its commit */
        size_t pl = strlen(proof) / 2;
        if (pl == 0 || pl > sizeof r->proof || unhex(proof, r->proof, pl) != 0) {
            *why = "its proof is not 20 to 276 bytes of hex";
            goto out;
        }
        r->proof_len = pl;
    }
    memcpy(r->incident, incident, strlen(incident) + 1);
    r->seq = (uint64_t)seq;
    r->btime = (uint64_t)btime;
    rc = CLI_EX_OK;
out:
    json_decref(o);
    return rc;
}

static int
receipt_verify(int argc, char **argv) {
    const char *keypath = getenv("IRBUS_BROKER_KEY");
    uint8_t pk[32], claimed[32];
    char fp[IRBUS_FINGERPRINT_SIZE], when[40], hash[65];
    int nfiles = 0, status = CLI_EX_OK, err;

    /* Options anywhere; the file names are gathered at argv[2..2+nfiles). */
    for (int i = 2; i < argc; i++) {
        int t = cli_take_option(argc, argv, &i, "--broker-key", &keypath);
        if (t < 0) {
            return cli_usage_error("receipt", "--broker-key needs a value");
        }
        if (t > 0) {
            continue;
        }
        if (argv[i][0] == '-') {
            return cli_usage_error("receipt", "unknown option");
        }
        argv[2 + nfiles++] = argv[i];
    }
    if (keypath == NULL) {
        return cli_usage_error("receipt", "--broker-key (or IRBUS_BROKER_KEY) is required");
    }
    if (nfiles == 0) {
        return cli_usage_error("receipt", "name at least one receipt file");
    }
    if ((err = irbus_pubkey_load(keypath, pk)) != 0) {
        char what[CLI_PATH_MAX + 32];
        snprintf(what, sizeof what, "receipt: broker key %s", keypath);
        return cli_fail(err, CLI_READING, what, "pass the broker's .pub file");
    }
    irbus_fingerprint(pk, fp);
    for (int i = 2; i < 2 + nfiles; i++) {
        struct irbus_receipt r;
        const char *why = "";
        int rc;

        rc = load_receipt(argv[i], &r, claimed, &why);
        if (rc != CLI_EX_OK) {
            fprintf(stderr, "irbus: receipt: %s: %s\n", argv[i], why);
            status = status == CLI_EX_OK ? rc : status;
            continue;
        }
        cli_hex(r.hash, sizeof r.hash, hash);
        cli_format_time(r.btime, when, sizeof when);
        if (irbus_receipt_verify(&r, pk) != 0 || memcmp(claimed, pk, 32) != 0) {
            printf("INVALID %s: not signed by broker %s%s\n", argv[i], fp,
                   memcmp(claimed, pk, 32) != 0 ? " (the file names another broker key)" : "");
            status = CLI_EX_DATAERR;
            continue;
        }
        printf("valid %s: broker %s accepted incident=%s seq=%llu at %s, record hash=%s\n", argv[i],
               fp, r.incident, (unsigned long long)r.seq, when, hash);
    }
    return status;
}

int
cmd_receipt(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        receipt_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EX_USAGE : CLI_EX_OK;
    }
    if (strcmp(argv[1], "verify") == 0) {
        for (int i = 2; i < argc; i++) {
            if (cli_is_help(argv[i])) {
                receipt_usage(stdout);
                return CLI_EX_OK;
            }
        }
        return receipt_verify(argc, argv);
    }
    return cli_usage_error("receipt", "the only receipt verb is verify");
}
