/*
 * cmd_key.c - the key verbs: `irbus keygen` creates an identity key pair,
 * `irbus key show` prints a key file's fingerprint and public key.
 *
 * Only <irbus.h>: the secret never leaves the library's key object, and
 * this file prints only public values.
 */
#include "cli.h"

#include <irbus.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
keygen_usage(FILE *f) {
    fprintf(f, "usage: irbus keygen --out PATH [--comment TEXT]\n"
               "\n"
               "Create a new identity key pair. The secret key is written to PATH\n"
               "(mode 0600) and the public key to PATH.pub (mode 0644). Existing\n"
               "files and symlinks are never overwritten.\n"
               "\n"
               "  --out PATH       where to write the secret key file\n"
               "  --comment TEXT   a label stored in both files: 1 to 64 printable\n"
               "                   ASCII characters\n"
               "  --help           show this help\n");
}

static void
key_usage(FILE *f) {
    fprintf(f, "usage: irbus key show PATH\n"
               "\n"
               "Show a key file's fingerprint and Ed25519 public key (hex). PATH may\n"
               "be a public key file (PATH.pub) or a secret key file; a secret key\n"
               "file must have mode 0600 (or stricter) and belong to you.\n"
               "\n"
               "  --help           show this help\n");
}

/* Match "--name VALUE" or "--name=VALUE"; advances *i past a separate VALUE.
 * Returns 1 and sets *value, 0 if argv[*i] is not this option, -1 if the
 * value is missing. */
static int
take_option(int argc, char **argv, int *i, const char *name, const char **value) {
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0) {
        return 0;
    }
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static void
hex_encode(const uint8_t *bytes, size_t len, char *out) {
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

int
cmd_keygen(int argc, char **argv) {
    const char *out = NULL, *comment = NULL;
    char fp[IRBUS_FINGERPRINT_SIZE];
    char what[512];
    irbus_key *key = NULL;
    const char *hint;
    int r, status;

    for (int i = 1; i < argc; i++) {
        int t;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            keygen_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = take_option(argc, argv, &i, "--out", &out)) != 0 ||
            (t = take_option(argc, argv, &i, "--comment", &comment)) != 0) {
            if (t < 0) {
                return cli_usage_error("keygen", "an option needs a value");
            }
            continue;
        }
        snprintf(what, sizeof what, "keygen: unexpected argument '%s'", argv[i]);
        return cli_usage_error("keygen", what);
    }
    if (out == NULL || out[0] == '\0') {
        return cli_usage_error("keygen", "keygen needs --out PATH");
    }

    if ((r = irbus_key_generate(&key)) != 0) {
        return cli_fail(r, CLI_WRITING, "cannot generate a key", NULL);
    }
    r = irbus_key_save(key, out, comment);
    if (r != 0) {
        int saved = errno;
        snprintf(what, sizeof what, "cannot write %s and %s.pub", out, out);
        if (r == IRBUS_EINVAL) {
            hint = "the comment must be 1 to 64 printable ASCII characters";
        } else if (saved == EEXIST) {
            hint = "a file or symlink is already there; choose another --out path or "
                   "remove the old files (nothing was overwritten)";
        } else {
            hint = "check that the directory exists and that you may write to it "
                   "(nothing was left behind)";
        }
        errno = saved;
        status = cli_fail(r, CLI_WRITING, what, hint);
        irbus_key_destroy(&key);
        return status;
    }
    irbus_fingerprint(irbus_key_public(key), fp);
    irbus_key_destroy(&key);
    printf("wrote %s (secret, mode 0600)\n", out);
    printf("wrote %s.pub\n", out);
    printf("fingerprint %s\n", fp);
    return CLI_EX_OK;
}

static int
key_show(const char *path) {
    uint8_t pk[IRBUS_PUBLIC_KEY_BYTES];
    char fp[IRBUS_FINGERPRINT_SIZE];
    char hex[2 * IRBUS_PUBLIC_KEY_BYTES + 1];
    char what[512];
    irbus_key *key = NULL;
    const char *kind = "public";
    const char *hint = NULL;
    int r;

    snprintf(what, sizeof what, "cannot load %s", path);
    /* A public file first: it needs no permission checks. Only if the text
     * is not a public key file is it tried as a secret one. */
    r = irbus_pubkey_load(path, pk);
    if (r == IRBUS_EKEYFILE) {
        r = irbus_key_load(path, &key);
        if (r == 0) {
            memcpy(pk, irbus_key_public(key), sizeof pk);
            irbus_key_destroy(&key);
            kind = "secret";
        } else if (r == IRBUS_EKEYPERM) {
            hint = "this secret key file is readable by others or not yours: run "
                   "'chmod 600' on it, and replace the key if others may have read it";
        }
    }
    if (r != 0) {
        switch (r) {
        case IRBUS_EKEYFILE:
            hint = "it is not a valid irbus public or secret key file (see irbus(1))";
            break;
        case IRBUS_EKEYPERM:
            if (hint == NULL) {
                hint = "give the path of the key file itself, not a symlink, directory "
                       "or device";
            }
            break;
        case IRBUS_EIO:
            hint = "check the path and that you may read the file";
            break;
        default:
            break;
        }
        return cli_fail(r, CLI_READING, what, hint);
    }
    irbus_fingerprint(pk, fp);
    hex_encode(pk, sizeof pk, hex);
    printf("file        %s\n", path);
    printf("kind        %s key file\n", kind);
    printf("fingerprint %s\n", fp);
    printf("public      %s\n", hex);
    return CLI_EX_OK;
}

int
cmd_key(int argc, char **argv) {
    const char *path = NULL;
    char msg[512];

    if (argc < 2) {
        key_usage(stderr);
        return CLI_EX_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        key_usage(stdout);
        return CLI_EX_OK;
    }
    if (strcmp(argv[1], "show") != 0) {
        snprintf(msg, sizeof msg, "key: unknown subcommand '%s'", argv[1]);
        return cli_usage_error("key", msg);
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            key_usage(stdout);
            return CLI_EX_OK;
        }
        if (strcmp(argv[i], "--") == 0 && i + 1 < argc && path == NULL && i + 2 == argc) {
            path = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            snprintf(msg, sizeof msg, "key show: unknown option '%s'", argv[i]);
            return cli_usage_error("key", msg);
        }
        if (path != NULL) {
            return cli_usage_error("key", "key show takes exactly one PATH");
        }
        path = argv[i];
    }
    if (path == NULL) {
        return cli_usage_error("key", "key show needs a PATH");
    }
    return key_show(path);
}
