/*
 * keys.c - identity keys: generation, key files, fingerprints and the CURVE
 * keys that derive from the Ed25519 identity (schema/keys.md).
 *
 * Owns the irbus_key structure and the only code that reads or writes key
 * files. The 64-byte Ed25519 secret lives in sodium_malloc'd memory, made
 * read-only once filled; every temporary that holds secret bytes (the seed,
 * its base64 text, the key-file buffer) is wiped on every path. The parser
 * is pure so the fuzz target and the loaders share it.
 *
 * Never: follows a symlink when opening a key file, overwrites an existing
 * file, loads a secret file that group or others can access, or lets a
 * secret file pass where a public one is expected.
 *
 * Called by applications (irbus_key_*), the client, the broker and the CLI.
 */
#include "keys.h"

#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_SECRET     "irbus-secret-key-v1"
#define HDR_PUBLIC     "irbus-public-key-v1"
#define PFX_COMMENT    "comment: "
#define PFX_SEED       "seed: "
#define PFX_PUBLIC     "public: "
#define KEY_BYTES      32
#define KEY_B64_LEN    44 /* standard base64 of 32 bytes, with one '=' */
#define KEY_B64_SIZE   (KEY_B64_LEN + 1)
#define ED_SECRET_SIZE crypto_sign_SECRETKEYBYTES

int
irbus_init(void) {
    if (sodium_init() < 0) {
        return IRBUS_ECRYPTO;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Key objects
 * ------------------------------------------------------------------------ */

static int
key_alloc(irbus_key **keyp) {
    irbus_key *k = calloc(1, sizeof *k);

    if (k == NULL) {
        return IRBUS_ENOMEM;
    }
    k->sk = sodium_malloc(ED_SECRET_SIZE);
    if (k->sk == NULL) {
        free(k);
        return IRBUS_ENOMEM;
    }
    *keyp = k;
    return 0;
}

int
irbus_key_generate(irbus_key **keyp) {
    irbus_key *k = NULL;
    int r;

    if (keyp == NULL) {
        return IRBUS_EINVAL;
    }
    *keyp = NULL;
    if ((r = key_alloc(&k)) != 0) {
        return r;
    }
    crypto_sign_keypair(k->pk, k->sk);
    sodium_mprotect_readonly(k->sk);
    *keyp = k;
    return 0;
}

int
irbus_key_from_seed(const uint8_t seed[32], irbus_key **keyp) {
    irbus_key *k = NULL;
    int r;

    if (keyp == NULL) {
        return IRBUS_EINVAL;
    }
    *keyp = NULL;
    if (seed == NULL) {
        return IRBUS_EINVAL;
    }
    if ((r = key_alloc(&k)) != 0) {
        return r;
    }
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    sodium_mprotect_readonly(k->sk);
    *keyp = k;
    return 0;
}

const uint8_t *
irbus_key_public(const irbus_key *key) {
    if (key == NULL) {
        return NULL;
    }
    return key->pk;
}

void
irbus_key_destroy(irbus_key **keyp) {
    if (keyp == NULL || *keyp == NULL) {
        return;
    }
    /* sodium_free makes the region writable, wipes it and unmaps it. */
    sodium_free((*keyp)->sk);
    sodium_memzero(*keyp, sizeof **keyp);
    free(*keyp);
    *keyp = NULL;
}

void
irbus_fingerprint(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], char out[IRBUS_FINGERPRINT_SIZE]) {
    static const char hex[] = "0123456789abcdef";
    uint8_t fp[IRB_DIGEST_BYTES];
    size_t o = 0;

    if (out == NULL) {
        return;
    }
    if (pk == NULL) {
        out[0] = '\0';
        return;
    }
    irb_digest(IRB_DOMAIN_FINGERPRINT, pk, IRBUS_PUBLIC_KEY_BYTES, fp);
    memcpy(out, "irb1:", 5);
    o = 5;
    for (size_t i = 0; i < 16; i++) {
        if (i > 0 && i % 2 == 0) {
            out[o++] = '-';
        }
        out[o++] = hex[fp[i] >> 4];
        out[o++] = hex[fp[i] & 0x0f];
    }
    out[o] = '\0';
}

/* ------------------------------------------------------------------------
 * CURVE keys (RFC 7748 birational map from Ed25519 to X25519)
 * ------------------------------------------------------------------------ */

int
irb_key_curve_public(const uint8_t ed_pk[IRBUS_PUBLIC_KEY_BYTES], uint8_t curve_pk[32]) {
    if (ed_pk == NULL || curve_pk == NULL) {
        return IRBUS_EINVAL;
    }
    if (crypto_sign_ed25519_pk_to_curve25519(curve_pk, ed_pk) != 0) {
        return IRBUS_EINVAL;
    }
    return 0;
}

int
irb_key_curve_secret(const irbus_key *key, uint8_t curve_sk[32]) {
    if (key == NULL || key->sk == NULL || curve_sk == NULL) {
        return IRBUS_EINVAL;
    }
    if (crypto_sign_ed25519_sk_to_curve25519(curve_sk, key->sk) != 0) {
        sodium_memzero(curve_sk, 32);
        return IRBUS_EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Key-file text
 * ------------------------------------------------------------------------ */

static int
comment_valid(const char *s, size_t len) {
    if (len < 1 || len > IRB_KEY_COMMENT_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/*
 * Take the next line from [*pos, end): it must end in '\n'. Returns its
 * start and length (without the '\n'), or NULL if no complete line is left.
 */
static const char *
next_line(const char **pos, const char *end, size_t *len) {
    const char *start = *pos;
    const char *nl;

    if (start >= end) {
        return NULL;
    }
    nl = memchr(start, '\n', (size_t)(end - start));
    if (nl == NULL) {
        return NULL;
    }
    *len = (size_t)(nl - start);
    *pos = nl + 1;
    return start;
}

static int
line_is(const char *line, size_t len, const char *want) {
    return len == strlen(want) && memcmp(line, want, len) == 0;
}

static int
has_prefix(const char *line, size_t len, const char *pfx) {
    size_t n = strlen(pfx);

    return len >= n && memcmp(line, pfx, n) == 0;
}

/*
 * Decode a "<prefix><44 chars of base64>" line into 32 bytes. The text must
 * be the canonical encoding: decoding then re-encoding gives it back, which
 * rules out non-zero padding bits and missing or extra padding.
 */
static int
decode_key_line(const char *line, size_t len, const char *pfx, uint8_t out[KEY_BYTES]) {
    size_t plen = strlen(pfx);
    const char *b64 = line + plen;
    char again[KEY_B64_SIZE];
    size_t bin_len = 0;
    const char *b64_end = NULL;
    int r = IRBUS_EKEYFILE;

    if (!has_prefix(line, len, pfx) || len - plen != KEY_B64_LEN) {
        return IRBUS_EKEYFILE;
    }
    if (sodium_base642bin(out, KEY_BYTES, b64, KEY_B64_LEN, NULL, &bin_len, &b64_end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != KEY_BYTES || b64_end != b64 + KEY_B64_LEN) {
        goto out;
    }
    sodium_bin2base64(again, sizeof again, out, KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
    if (sodium_memcmp(again, b64, KEY_B64_LEN) != 0) {
        goto out;
    }
    r = 0;
out:
    sodium_memzero(again, sizeof again);
    if (r != 0) {
        sodium_memzero(out, KEY_BYTES);
    }
    return r;
}

int
irb_keyfile_parse(const char *buf, size_t len, struct irb_keyfile *out) {
    const char *pos = buf, *end, *line;
    uint8_t derived_pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t derived_sk[crypto_sign_SECRETKEYBYTES];
    size_t n = 0;
    int r = IRBUS_EKEYFILE;

    if (out == NULL) {
        return IRBUS_EKEYFILE;
    }
    sodium_memzero(out, sizeof *out);
    sodium_memzero(derived_sk, sizeof derived_sk);
    if (buf == NULL || len == 0 || len > IRB_KEYFILE_MAX) {
        goto out;
    }
    end = buf + len;
    /* Only printable ASCII and '\n': no CR, NUL, tabs or UTF-8 anywhere. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c != '\n' && (c < 0x20 || c > 0x7e)) {
            goto out;
        }
    }

    if ((line = next_line(&pos, end, &n)) == NULL) {
        goto out;
    }
    if (line_is(line, n, HDR_SECRET)) {
        out->secret = 1;
    } else if (line_is(line, n, HDR_PUBLIC)) {
        out->secret = 0;
    } else {
        goto out;
    }

    if ((line = next_line(&pos, end, &n)) == NULL) {
        goto out;
    }
    if (has_prefix(line, n, PFX_COMMENT)) {
        size_t plen = strlen(PFX_COMMENT);
        if (!comment_valid(line + plen, n - plen)) {
            goto out;
        }
        memcpy(out->comment, line + plen, n - plen);
        out->comment[n - plen] = '\0';
        if ((line = next_line(&pos, end, &n)) == NULL) {
            goto out;
        }
    }

    if (out->secret) {
        if (decode_key_line(line, n, PFX_SEED, out->seed) != 0) {
            goto out;
        }
        if ((line = next_line(&pos, end, &n)) == NULL) {
            goto out;
        }
    }

    if (decode_key_line(line, n, PFX_PUBLIC, out->pk) != 0) {
        goto out;
    }
    if (pos != end) {
        goto out;
    }

    if (out->secret) {
        crypto_sign_seed_keypair(derived_pk, derived_sk, out->seed);
        if (sodium_memcmp(derived_pk, out->pk, sizeof derived_pk) != 0) {
            goto out;
        }
    }
    r = 0;
out:
    sodium_memzero(derived_sk, sizeof derived_sk);
    if (r != 0) {
        sodium_memzero(out, sizeof *out);
    }
    return r;
}

/*
 * Format a key file into buf (cap bytes). seed is NULL for a public file.
 * Returns the length, or 0 if it does not fit (it always does for valid
 * comments: the longest file is well under IRB_KEYFILE_MAX).
 */
static size_t
keyfile_format(char *buf, size_t cap, const uint8_t *seed, const uint8_t pk[KEY_BYTES],
               const char *comment) {
    char b64[KEY_B64_SIZE];
    size_t o = 0;
    int ok = 1;

#define PUT(s, n)                                                                                  \
    do {                                                                                           \
        if (ok && o + (n) <= cap) {                                                                \
            memcpy(buf + o, (s), (n));                                                             \
            o += (n);                                                                              \
        } else {                                                                                   \
            ok = 0;                                                                                \
        }                                                                                          \
    } while (0)
#define PUTS(s) PUT((s), strlen(s))

    PUTS(seed != NULL ? HDR_SECRET "\n" : HDR_PUBLIC "\n");
    if (comment != NULL) {
        PUTS(PFX_COMMENT);
        PUTS(comment);
        PUTS("\n");
    }
    if (seed != NULL) {
        sodium_bin2base64(b64, sizeof b64, seed, KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
        PUTS(PFX_SEED);
        PUT(b64, KEY_B64_LEN);
        PUTS("\n");
    }
    sodium_bin2base64(b64, sizeof b64, pk, KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
    PUTS(PFX_PUBLIC);
    PUT(b64, KEY_B64_LEN);
    PUTS("\n");

#undef PUTS
#undef PUT

    sodium_memzero(b64, sizeof b64);
    return ok ? o : 0;
}

/* ------------------------------------------------------------------------
 * Key-file I/O
 * ------------------------------------------------------------------------ */

/*
 * Create path exclusively (never through a symlink), give it exactly
 * @p mode whatever the umask, write all of data, fsync and close. On
 * failure the file, if this call created it, is removed; returns IRBUS_EIO
 * with errno from the failing call.
 */
static int
write_new_file(const char *path, mode_t mode, const char *data, size_t len) {
    int fd, saved;
    size_t off = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        return IRBUS_EIO;
    }
    if (fchmod(fd, mode) != 0) {
        goto fail;
    }
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    saved = errno;
    if (fd >= 0) {
        close(fd);
    }
    unlink(path);
    errno = saved;
    return IRBUS_EIO;
}

int
irbus_key_save(const irbus_key *key, const char *path, const char *comment) {
    char *sec = NULL;
    char pub[IRB_KEYFILE_MAX];
    char *pub_path = NULL;
    uint8_t seed[KEY_BYTES];
    size_t sec_len, pub_len, plen;
    int r, saved;

    sodium_memzero(seed, sizeof seed);
    if (key == NULL || key->sk == NULL || path == NULL || path[0] == '\0') {
        return IRBUS_EINVAL;
    }
    if (comment != NULL && !comment_valid(comment, strlen(comment))) {
        return IRBUS_EINVAL;
    }
    plen = strlen(path);
    pub_path = malloc(plen + sizeof ".pub");
    sec = sodium_malloc(IRB_KEYFILE_MAX);
    if (pub_path == NULL || sec == NULL) {
        r = IRBUS_ENOMEM;
        goto out;
    }
    memcpy(pub_path, path, plen);
    memcpy(pub_path + plen, ".pub", sizeof ".pub");

    crypto_sign_ed25519_sk_to_seed(seed, key->sk);
    sec_len = keyfile_format(sec, IRB_KEYFILE_MAX, seed, key->pk, comment);
    pub_len = keyfile_format(pub, sizeof pub, NULL, key->pk, comment);
    if (sec_len == 0 || pub_len == 0) {
        r = IRBUS_EINVAL; /* unreachable with a valid comment */
        goto out;
    }

    if ((r = write_new_file(path, 0600, sec, sec_len)) != 0) {
        goto out;
    }
    if ((r = write_new_file(pub_path, 0644, pub, pub_len)) != 0) {
        saved = errno;
        unlink(path);
        errno = saved;
        goto out;
    }
    r = 0;
out:
    saved = errno;
    sodium_memzero(seed, sizeof seed);
    sodium_free(sec); /* wipes */
    free(pub_path);
    errno = saved;
    return r;
}

/*
 * Open, check and read a key file into a sodium_malloc'd buffer and parse
 * it. want_secret selects the permission rules and which kind of file is
 * accepted. out is the caller's (sodium_malloc'd) and wiped on failure.
 *
 * A symlink (O_NOFOLLOW fails with ELOOP and lstat says it is a link) or a
 * file that is not regular is IRBUS_EKEYPERM, not IRBUS_EIO: the file
 * exists and could be read, but irbus refuses it on principle, and
 * following it is exactly what an attacker who can plant links wants.
 *
 * When a secret file is wanted, the text is parsed before the mode is
 * judged: only a well-formed secret key file is refused for its mode or
 * owner (IRBUS_EKEYPERM). Anything else is IRBUS_EKEYFILE whatever its
 * mode, so a .pub or a garbled file given by mistake is reported as what it
 * is, not as "too open", and on a regular file IRBUS_EKEYPERM always means
 * "this is a secret key and others may have read it". Reading an over-open
 * file exposes nothing that the file system did not already expose.
 */
static int
keyfile_read(const char *path, int want_secret, struct irb_keyfile *out) {
    char *buf = NULL;
    struct stat st;
    size_t len = 0;
    int fd = -1, r, saved, bad_mode;

    sodium_memzero(out, sizeof *out);
    /* O_NONBLOCK so a FIFO cannot hang the open; fstat then refuses it. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        saved = errno;
        if (saved == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
            r = IRBUS_EKEYPERM;
        } else {
            r = IRBUS_EIO;
        }
        errno = saved;
        return r;
    }
    if (fstat(fd, &st) != 0) {
        r = IRBUS_EIO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = IRBUS_EKEYPERM;
        goto out;
    }
    bad_mode =
        want_secret && ((st.st_mode & 077) != 0 || (st.st_uid != geteuid() && st.st_uid != 0));
    if (st.st_size > IRB_KEYFILE_MAX) {
        r = IRBUS_EKEYFILE;
        goto out;
    }
    /* One byte more than the limit, to notice a file that grew. */
    buf = sodium_malloc(IRB_KEYFILE_MAX + 1);
    if (buf == NULL) {
        r = IRBUS_ENOMEM;
        goto out;
    }
    while (len < IRB_KEYFILE_MAX + 1) {
        ssize_t n = read(fd, buf + len, IRB_KEYFILE_MAX + 1 - len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            r = IRBUS_EIO;
            goto out;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    if (len > IRB_KEYFILE_MAX) {
        r = IRBUS_EKEYFILE;
    } else {
        r = irb_keyfile_parse(buf, len, out);
    }
    if (r == 0 && out->secret != want_secret) {
        r = IRBUS_EKEYFILE; /* the wrong kind of file, whatever its mode */
    } else if (r == 0 && bad_mode) {
        r = IRBUS_EKEYPERM;
    }
out:
    saved = errno;
    if (r != 0) {
        sodium_memzero(out, sizeof *out);
    }
    sodium_free(buf); /* wipes; accepts NULL */
    close(fd);
    errno = saved;
    return r;
}

int
irbus_key_load(const char *path, irbus_key **keyp) {
    struct irb_keyfile *kf = NULL;
    irbus_key *k = NULL;
    int r;

    if (keyp == NULL) {
        return IRBUS_EINVAL;
    }
    *keyp = NULL;
    if (path == NULL) {
        return IRBUS_EINVAL;
    }
    kf = sodium_malloc(sizeof *kf);
    if (kf == NULL) {
        return IRBUS_ENOMEM;
    }
    if ((r = keyfile_read(path, 1, kf)) != 0) {
        goto out;
    }
    if ((r = irbus_key_from_seed(kf->seed, &k)) != 0) {
        goto out;
    }
    /* irb_keyfile_parse checked this already; keep the invariant local. */
    if (sodium_memcmp(k->pk, kf->pk, sizeof k->pk) != 0) {
        irbus_key_destroy(&k);
        r = IRBUS_EKEYFILE;
        goto out;
    }
    *keyp = k;
    r = 0;
out : {
    int saved = errno;
    sodium_free(kf); /* wipes the seed */
    errno = saved;
}
    return r;
}

int
irbus_pubkey_load(const char *path, uint8_t pk[IRBUS_PUBLIC_KEY_BYTES]) {
    struct irb_keyfile *kf = NULL;
    int r;

    if (path == NULL || pk == NULL) {
        return IRBUS_EINVAL;
    }
    /* sodium_malloc'd: a secret file handed here by mistake is parsed (and
     * rejected) in guarded, wiped memory. */
    kf = sodium_malloc(sizeof *kf);
    if (kf == NULL) {
        return IRBUS_ENOMEM;
    }
    if ((r = keyfile_read(path, 0, kf)) != 0) {
        goto out;
    }
    memcpy(pk, kf->pk, IRBUS_PUBLIC_KEY_BYTES);
    r = 0;
out : {
    int saved = errno;
    sodium_free(kf);
    errno = saved;
}
    return r;
}
