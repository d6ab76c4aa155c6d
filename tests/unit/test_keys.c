/*
 * test_keys.c - identity keys, key files, fingerprints and CURVE derivation
 * (client/keys.c, schema/keys.md).
 *
 * Everything happens in a private mkdtemp directory that is removed at the
 * end. The golden values for seed 00..1f are the worked example of
 * schema/keys.md; the fingerprint is also recomputed here from the spec with
 * crypto_generichash directly, and the CURVE keys with an independent
 * derivation (SHA-512 of the seed, clamped), so a change in keys.c that
 * also changed the goldens would still be caught.
 */
#include "check.h"
#include "keys.h"
#include "sign.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Worked example of schema/keys.md: seed = 00 01 02 ... 1f. */
static const char GOLDEN_PK_HEX[] =
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
static const char GOLDEN_FP[] = "irb1:95a3-1f9a-fe31-3c86-ad37-1714-bf1e-29fd";
static const char GOLDEN_CURVE_PK_HEX[] =
    "4701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01";
static const char GOLDEN_CURVE_SK_HEX[] =
    "3894eea49c580aef816935762be049559d6d1440dede12e6a125f1841fff8e6f";
static const char GOLDEN_SECRET_FILE[] = "irbus-secret-key-v1\n"
                                         "comment: alice@example.org\n"
                                         "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
                                         "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n";
static const char GOLDEN_PUBLIC_FILE[] = "irbus-public-key-v1\n"
                                         "comment: alice@example.org\n"
                                         "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n";
static const char GOLDEN_SECRET_NOCOMMENT[] =
    "irbus-secret-key-v1\n"
    "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n";

static char tmpdir[1024];

/* tmpdir/name, in one of two rotating buffers (a call may use two paths). */
static const char *
tpath(const char *name) {
    static char buf[2][2048];
    static int which;
    int n;

    which ^= 1;
    n = snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    if (n < 0 || (size_t)n >= sizeof buf[which]) {
        fprintf(stderr, "test_keys: path too long: %s/%s\n", tmpdir, name);
        abort();
    }
    return buf[which];
}

static void
golden_seed(uint8_t seed[32]) {
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)i;
    }
}

static int
hex_eq(const uint8_t *bytes, size_t len, const char *hex) {
    char buf[129];

    if (len * 2 + 1 > sizeof buf) {
        return 0;
    }
    sodium_bin2hex(buf, sizeof buf, bytes, len);
    return strcmp(buf, hex) == 0;
}

/* Write bytes to a fresh file with exactly the given mode. */
static int
write_file(const char *path, const void *data, size_t len, mode_t mode) {
    int fd;
    ssize_t w;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        return -1;
    }
    w = len > 0 ? write(fd, data, len) : 0;
    if (fchmod(fd, mode) != 0 || w != (ssize_t)len) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* irbus_key_load on these bytes written with mode 0600. */
static int
load_secret_bytes(const void *data, size_t len) {
    const char *p = tpath("candidate");
    irbus_key *k = NULL;
    int r;

    if (write_file(p, data, len, 0600) != 0) {
        return 1;
    }
    r = irbus_key_load(p, &k);
    if (r == 0 && k == NULL) {
        r = 2;
    }
    if (r != 0 && k != NULL) {
        r = 3; /* a failed load must not hand out a key */
    }
    irbus_key_destroy(&k);
    return r;
}

/* irbus_pubkey_load on these bytes written with mode 0644. */
static int
load_public_bytes(const void *data, size_t len) {
    const char *p = tpath("candidate.pub");
    uint8_t pk[IRBUS_PUBLIC_KEY_BYTES];

    if (write_file(p, data, len, 0644) != 0) {
        return 1;
    }
    return irbus_pubkey_load(p, pk);
}

static int
same_file_text(const char *path, const char *want) {
    size_t len = 0;
    uint8_t *got = check_read_file(path, &len);
    int same = got != NULL && len == strlen(want) && memcmp(got, want, len) == 0;

    free(got);
    return same;
}

static mode_t
file_mode(const char *path) {
    struct stat st;

    if (lstat(path, &st) != 0) {
        return (mode_t)-1;
    }
    return st.st_mode & 07777;
}

static int
exists(const char *path) {
    struct stat st;

    return lstat(path, &st) == 0;
}

/* ------------------------------------------------------------------------ */

static void
test_golden(void) {
    uint8_t seed[32], fp_hand[32], cpk[32], csk[32], csk_hand[64], base[32];
    uint8_t buf[64];
    char fp[IRBUS_FINGERPRINT_SIZE], fp_text[IRBUS_FINGERPRINT_SIZE];
    crypto_generichash_state st;
    irbus_key *k = NULL;
    size_t o = 0;

    golden_seed(seed);
    CHECK_EQ(irbus_key_from_seed(seed, &k), 0);
    if (k == NULL) {
        return;
    }
    CHECK(hex_eq(irbus_key_public(k), 32, GOLDEN_PK_HEX));
    /* Independently: libsodium's own seed keypair. */
    crypto_sign_seed_keypair(buf, csk_hand, seed);
    CHECK(memcmp(buf, irbus_key_public(k), 32) == 0);
    sodium_memzero(csk_hand, sizeof csk_hand);

    irbus_fingerprint(irbus_key_public(k), fp);
    CHECK_EQ(strlen(fp), IRBUS_FINGERPRINT_LEN);
    CHECK(strcmp(fp, GOLDEN_FP) == 0);

    /* The fingerprint by hand, from the spec text. */
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)"irbus/1/fingerprint", 19);
    crypto_generichash_update(&st, (const uint8_t *)"", 1); /* the 0x00 byte */
    crypto_generichash_update(&st, irbus_key_public(k), 32);
    crypto_generichash_final(&st, fp_hand, 32);
    memcpy(fp_text, "irb1:", 5);
    o = 5;
    for (int i = 0; i < 16; i += 2) {
        if (i > 0) {
            fp_text[o++] = '-';
        }
        snprintf(fp_text + o, sizeof fp_text - o, "%02x%02x", fp_hand[i], fp_hand[i + 1]);
        o += 4;
    }
    fp_text[o] = '\0';
    CHECK(strcmp(fp_text, fp) == 0);
    CHECK(strcmp(fp_text, GOLDEN_FP) == 0);

    /* CURVE keys: goldens, plus an independent derivation of the secret
     * (RFC 8032 secret scalar: SHA-512(seed)[0..31], clamped). */
    CHECK_EQ(irb_key_curve_public(irbus_key_public(k), cpk), 0);
    CHECK(hex_eq(cpk, 32, GOLDEN_CURVE_PK_HEX));
    CHECK_EQ(irb_key_curve_secret(k, csk), 0);
    CHECK(hex_eq(csk, 32, GOLDEN_CURVE_SK_HEX));
    crypto_hash_sha512(csk_hand, seed, 32);
    csk_hand[0] &= 248;
    csk_hand[31] &= 127;
    csk_hand[31] |= 64;
    CHECK(memcmp(csk_hand, csk, 32) == 0);
    CHECK_EQ(crypto_scalarmult_base(base, csk), 0);
    CHECK(memcmp(base, cpk, 32) == 0);
    sodium_memzero(csk, sizeof csk);
    sodium_memzero(csk_hand, sizeof csk_hand);

    /* The exact file text of schema/keys.md. */
    CHECK_EQ(irbus_key_save(k, tpath("golden"), "alice@example.org"), 0);
    CHECK(same_file_text(tpath("golden"), GOLDEN_SECRET_FILE));
    CHECK(same_file_text(tpath("golden.pub"), GOLDEN_PUBLIC_FILE));
    CHECK_EQ(irbus_key_save(k, tpath("golden-nc"), NULL), 0);
    CHECK(same_file_text(tpath("golden-nc"), GOLDEN_SECRET_NOCOMMENT));
    irbus_key_destroy(&k);
    CHECK(k == NULL);
}

static void
test_parse_direct(void) {
    struct irb_keyfile *kf = sodium_malloc(sizeof *kf);
    uint8_t seed[32];

    if (kf == NULL) {
        CHECK(kf != NULL);
        return;
    }
    golden_seed(seed);
    CHECK_EQ(irb_keyfile_parse(GOLDEN_SECRET_FILE, strlen(GOLDEN_SECRET_FILE), kf), 0);
    CHECK_EQ(kf->secret, 1);
    CHECK(memcmp(kf->seed, seed, 32) == 0);
    CHECK(hex_eq(kf->pk, 32, GOLDEN_PK_HEX));
    CHECK(strcmp(kf->comment, "alice@example.org") == 0);

    CHECK_EQ(irb_keyfile_parse(GOLDEN_PUBLIC_FILE, strlen(GOLDEN_PUBLIC_FILE), kf), 0);
    CHECK_EQ(kf->secret, 0);
    CHECK(hex_eq(kf->pk, 32, GOLDEN_PK_HEX));

    CHECK_EQ(irb_keyfile_parse(GOLDEN_SECRET_NOCOMMENT, strlen(GOLDEN_SECRET_NOCOMMENT), kf), 0);
    CHECK_EQ(kf->comment[0], '\0');

    /* Failure wipes the output. */
    CHECK_EQ(irb_keyfile_parse(GOLDEN_SECRET_FILE, strlen(GOLDEN_SECRET_FILE) - 1, kf),
             IRBUS_EKEYFILE);
    CHECK(sodium_is_zero((const unsigned char *)kf, sizeof *kf));
    CHECK_EQ(irb_keyfile_parse("", 0, kf), IRBUS_EKEYFILE);
    sodium_free(kf);
}

static void
test_round_trip(void) {
    irbus_key *a = NULL, *b = NULL, *c = NULL;
    uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], sig[IRB_SIG_BYTES];
    static const uint8_t msg[] = "incident 42";

    CHECK_EQ(irbus_key_generate(&a), 0);
    CHECK_EQ(irbus_key_generate(&c), 0);
    if (a == NULL || c == NULL) {
        goto out;
    }
    CHECK(memcmp(irbus_key_public(a), irbus_key_public(c), 32) != 0);
    CHECK_EQ(irbus_key_save(a, tpath("rt"), "round trip"), 0);
    CHECK_EQ(irbus_key_load(tpath("rt"), &b), 0);
    if (b == NULL) {
        goto out;
    }
    CHECK(memcmp(irbus_key_public(a), irbus_key_public(b), 32) == 0);
    /* The loaded secret is the same secret: it signs for the original key. */
    CHECK_EQ(irb_sign(b, IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig), 0);
    CHECK_EQ(irb_verify(irbus_key_public(a), IRB_DOMAIN_ENVELOPE, msg, sizeof msg, sig), 0);
    CHECK_EQ(irbus_pubkey_load(tpath("rt.pub"), pk), 0);
    CHECK(memcmp(pk, irbus_key_public(a), 32) == 0);
out:
    irbus_key_destroy(&a);
    irbus_key_destroy(&b);
    irbus_key_destroy(&c);
}

static void
test_args(void) {
    irbus_key *k = NULL, *none = NULL;
    uint8_t seed[32], pk[32];
    char c64[65], c65[66];

    golden_seed(seed);
    CHECK_EQ(irbus_key_generate(NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_from_seed(NULL, &k), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_from_seed(seed, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_load(NULL, &k), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_load(tpath("x"), NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_pubkey_load(NULL, pk), IRBUS_EINVAL);
    CHECK(irbus_key_public(NULL) == NULL);
    irbus_key_destroy(NULL);
    irbus_key_destroy(&none);
    CHECK(none == NULL);

    CHECK_EQ(irbus_key_from_seed(seed, &k), 0);
    if (k == NULL) {
        return;
    }
    CHECK_EQ(irbus_key_save(NULL, tpath("a1"), NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, NULL, NULL), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, "", NULL), IRBUS_EINVAL);
    memset(c64, 'c', 64);
    c64[64] = '\0';
    memset(c65, 'c', 65);
    c65[65] = '\0';
    CHECK_EQ(irbus_key_save(k, tpath("c65"), c65), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, tpath("c0"), ""), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, tpath("cnl"), "two\nlines"), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, tpath("ctab"), "a\tb"), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, tpath("cdel"), "a\x7f"), IRBUS_EINVAL);
    CHECK_EQ(irbus_key_save(k, tpath("cutf"), "caf\xc3\xa9"), IRBUS_EINVAL);
    CHECK(!exists(tpath("c65")) && !exists(tpath("c65.pub")) && !exists(tpath("cnl")));
    /* The edges that are allowed: 64 characters, a single space, '~'. */
    CHECK_EQ(irbus_key_save(k, tpath("c64"), c64), 0);
    CHECK_EQ(load_secret_bytes("", 0), IRBUS_EKEYFILE);
    {
        irbus_key *l = NULL;
        CHECK_EQ(irbus_key_load(tpath("c64"), &l), 0);
        irbus_key_destroy(&l);
    }
    CHECK_EQ(irbus_key_save(k, tpath("csp"), " "), 0);
    CHECK_EQ(irbus_key_save(k, tpath("ctilde"), "~ !"), 0);
    irbus_key_destroy(&k);
}

static void
test_modes_and_overwrite(void) {
    irbus_key *k = NULL, *l = NULL;
    mode_t old = umask(0);

    CHECK_EQ(irbus_key_generate(&k), 0);
    if (k == NULL) {
        umask(old);
        return;
    }
    /* Exact modes whatever the umask. */
    CHECK_EQ(irbus_key_save(k, tpath("m0"), NULL), 0);
    CHECK_EQ(file_mode(tpath("m0")), 0600);
    CHECK_EQ(file_mode(tpath("m0.pub")), 0644);
    umask(077);
    CHECK_EQ(irbus_key_save(k, tpath("m1"), NULL), 0);
    CHECK_EQ(file_mode(tpath("m1")), 0600);
    CHECK_EQ(file_mode(tpath("m1.pub")), 0644);
    umask(old);

    /* Never overwrite: both files exist. */
    errno = 0;
    CHECK_EQ(irbus_key_save(k, tpath("m0"), "again"), IRBUS_EIO);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(irbus_key_load(tpath("m0"), &l), 0);
    irbus_key_destroy(&l);

    /* Only the .pub exists: fail, and leave no secret file behind. */
    CHECK_EQ(write_file(tpath("p1.pub"), "x", 1, 0644), 0);
    errno = 0;
    CHECK_EQ(irbus_key_save(k, tpath("p1"), NULL), IRBUS_EIO);
    CHECK_EQ(errno, EEXIST);
    CHECK(!exists(tpath("p1")));
    CHECK(same_file_text(tpath("p1.pub"), "x"));

    /* A dangling symlink at the secret path: not followed, target not made. */
    CHECK_EQ(symlink(tpath("victim"), tpath("s1")), 0);
    errno = 0;
    CHECK_EQ(irbus_key_save(k, tpath("s1"), NULL), IRBUS_EIO);
    CHECK_EQ(errno, EEXIST);
    CHECK(!exists(tpath("victim")));
    CHECK(!exists(tpath("s1.pub")));

    /* A symlink to an existing file: the file is untouched. */
    CHECK_EQ(write_file(tpath("victim2"), "keep", 4, 0644), 0);
    CHECK_EQ(symlink(tpath("victim2"), tpath("s2")), 0);
    CHECK_EQ(irbus_key_save(k, tpath("s2"), NULL), IRBUS_EIO);
    CHECK(same_file_text(tpath("victim2"), "keep"));
    CHECK(!exists(tpath("s2.pub")));

    /* A dangling symlink at the .pub path: fail, secret removed again. */
    CHECK_EQ(symlink(tpath("victim3"), tpath("s3.pub")), 0);
    CHECK_EQ(irbus_key_save(k, tpath("s3"), NULL), IRBUS_EIO);
    CHECK(!exists(tpath("s3")));
    CHECK(!exists(tpath("victim3")));

    /* A directory that does not exist: EIO with ENOENT. */
    errno = 0;
    CHECK_EQ(irbus_key_save(k, tpath("nodir/k"), NULL), IRBUS_EIO);
    CHECK_EQ(errno, ENOENT);

    /* Loading something that is not there. */
    errno = 0;
    CHECK_EQ(irbus_key_load(tpath("missing"), &l), IRBUS_EIO);
    CHECK_EQ(errno, ENOENT);
    CHECK(l == NULL);

    irbus_key_destroy(&k);
}

static void
test_permissions(void) {
    static const mode_t bad[] = {0640, 0604, 0660, 0644, 0610, 0601, 0620, 0602, 0700 | 070};
    static const mode_t good[] = {0600, 0400, 0700};
    irbus_key *k = NULL, *l = NULL;
    uint8_t seed[32], pk[32];
    const char *p = tpath("perm");

    golden_seed(seed);
    CHECK_EQ(irbus_key_from_seed(seed, &k), 0);
    CHECK_EQ(irbus_key_save(k, p, NULL), 0);
    irbus_key_destroy(&k);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(chmod(p, bad[i]), 0);
        CHECK_EQ(irbus_key_load(p, &l), IRBUS_EKEYPERM);
        CHECK(l == NULL);
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK_EQ(chmod(p, good[i]), 0);
        CHECK_EQ(irbus_key_load(p, &l), 0);
        irbus_key_destroy(&l);
    }
    CHECK_EQ(chmod(p, 0600), 0);

    /* Owned by someone else (only root can arrange that). */
    if (geteuid() == 0) {
        CHECK_EQ(chown(p, 65534, 65534), 0);
        CHECK_EQ(irbus_key_load(p, &l), IRBUS_EKEYPERM);
        CHECK(l == NULL);
        CHECK_EQ(chown(p, 0, 0), 0);
        CHECK_EQ(irbus_key_load(p, &l), 0);
        irbus_key_destroy(&l);
    }

    /* IRBUS_EKEYPERM means "a secret key that others may have read": a
     * malformed file that is also too open is reported as malformed. */
    CHECK_EQ(write_file(tpath("open-bad"), "irbus-secret-key-v1\n", 20, 0644), 0);
    CHECK_EQ(irbus_key_load(tpath("open-bad"), &l), IRBUS_EKEYFILE);
    CHECK(l == NULL);

    /* Symlinks are refused as IRBUS_EKEYPERM (O_NOFOLLOW's ELOOP, then lstat
     * confirms the link), for secret and public files alike. */
    CHECK_EQ(symlink(p, tpath("perm-link")), 0);
    CHECK_EQ(irbus_key_load(tpath("perm-link"), &l), IRBUS_EKEYPERM);
    CHECK(l == NULL);
    CHECK_EQ(symlink(tpath("perm.pub"), tpath("perm-link.pub")), 0);
    CHECK_EQ(irbus_pubkey_load(tpath("perm-link.pub"), pk), IRBUS_EKEYPERM);

    /* Not a regular file: a directory and a FIFO (which must not block). */
    CHECK_EQ(mkdir(tpath("adir"), 0700), 0);
    CHECK_EQ(irbus_key_load(tpath("adir"), &l), IRBUS_EKEYPERM);
    CHECK_EQ(irbus_pubkey_load(tpath("adir"), pk), IRBUS_EKEYPERM);
    rmdir(tpath("adir"));
    CHECK_EQ(mkfifo(tpath("fifo"), 0600), 0);
    CHECK_EQ(irbus_key_load(tpath("fifo"), &l), IRBUS_EKEYPERM);
    CHECK_EQ(irbus_pubkey_load(tpath("fifo"), pk), IRBUS_EKEYPERM);

    /* Public files may be world-readable. */
    CHECK_EQ(irbus_pubkey_load(tpath("perm.pub"), pk), 0);
    CHECK(hex_eq(pk, 32, GOLDEN_PK_HEX));
}

static void
test_truncation(void) {
    size_t n = strlen(GOLDEN_SECRET_FILE), m = strlen(GOLDEN_PUBLIC_FILE);
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        if (load_secret_bytes(GOLDEN_SECRET_FILE, i) != IRBUS_EKEYFILE) {
            fprintf(stderr, "secret truncated at %zu not rejected\n", i);
            bad++;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(load_secret_bytes(GOLDEN_SECRET_FILE, n), 0);
    bad = 0;
    for (size_t i = 0; i < m; i++) {
        if (load_public_bytes(GOLDEN_PUBLIC_FILE, i) != IRBUS_EKEYFILE) {
            fprintf(stderr, "public truncated at %zu not rejected\n", i);
            bad++;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(load_public_bytes(GOLDEN_PUBLIC_FILE, m), 0);
}

/*
 * Every change of one byte in the header, seed or public line (including
 * the prefixes and the '\n's) must be rejected: either the text is no
 * longer well-formed, or it decodes to a different seed/public key and no
 * longer matches. Through the file loader with 8 single-bit flips per
 * byte, and through the parser with all 255 other values.
 */
static void
test_flips(void) {
    char buf[sizeof GOLDEN_SECRET_FILE];
    size_t n = strlen(GOLDEN_SECRET_FILE);
    const char *seed_line = strstr(GOLDEN_SECRET_FILE, "seed: ");
    size_t from = (size_t)(seed_line - GOLDEN_SECRET_FILE);
    struct irb_keyfile *kf = sodium_malloc(sizeof *kf);
    int bad_load = 0, bad_parse = 0;

    if (kf == NULL) {
        CHECK(kf != NULL);
        return;
    }
    /* Header line, then seed line to the end; the comment line is free text. */
    for (size_t i = 0; i < n; i++) {
        if (i >= strlen("irbus-secret-key-v1\n") && i < from) {
            continue;
        }
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, GOLDEN_SECRET_FILE, n);
            buf[i] = (char)(buf[i] ^ (1 << bit));
            if (load_secret_bytes(buf, n) != IRBUS_EKEYFILE) {
                fprintf(stderr, "flip at %zu bit %d accepted\n", i, bit);
                bad_load++;
            }
        }
        for (int v = 0; v < 256; v++) {
            if ((char)v == GOLDEN_SECRET_FILE[i]) {
                continue;
            }
            memcpy(buf, GOLDEN_SECRET_FILE, n);
            buf[i] = (char)v;
            if (irb_keyfile_parse(buf, n, kf) != IRBUS_EKEYFILE) {
                fprintf(stderr, "byte %zu = 0x%02x accepted\n", i, v);
                bad_parse++;
            }
        }
    }
    CHECK_EQ(bad_load, 0);
    CHECK_EQ(bad_parse, 0);
    sodium_free(kf);
}

static void
test_malformed(void) {
    static const char *const secret_bad[] = {
        /* wrong header */
        "irbus-secret-key-v2\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "IRBUS-SECRET-KEY-V1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* public header with a seed line */
        "irbus-public-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* extra line at the end, in the middle, blank lines */
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
        "extra: 1\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "extra: 1\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
        "\n",
        "\n"
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* CRLF line endings, and a lone CR */
        "irbus-secret-key-v1\r\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\r\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\r\n",
        /* no final newline */
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
        /* lines out of order */
        "irbus-secret-key-v1\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "comment: late\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* two comments, an empty comment, a 65-character comment, a tab */
        "irbus-secret-key-v1\n"
        "comment: a\n"
        "comment: b\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "comment: \n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "comment: 12345678901234567890123456789012345678901234567890123456789012345\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "comment: a\tb\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* missing public line, missing seed line */
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "irbus-secret-key-v1\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* base64: non-canonical padding bits (last char 8 -> 9), missing
         * padding, URL-safe alphabet, spaces around the value */
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbh=\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "seed:  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        "irbus-secret-key-v1\n"
        "seed: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= \n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
        /* a valid seed with another key's public line */
        "irbus-secret-key-v1\n"
        "seed: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n",
    };
    char big[IRB_KEYFILE_MAX + 2];
    size_t n = strlen(GOLDEN_SECRET_FILE);
    irbus_key *k = NULL;
    uint8_t pk[32];

    for (size_t i = 0; i < sizeof secret_bad / sizeof secret_bad[0]; i++) {
        int r = load_secret_bytes(secret_bad[i], strlen(secret_bad[i]));
        if (r != IRBUS_EKEYFILE) {
            fprintf(stderr, "malformed case %zu: got %d\n", i, r);
        }
        CHECK_EQ(r, IRBUS_EKEYFILE);
    }
    /* A NUL inside the file. */
    memcpy(big, GOLDEN_SECRET_FILE, n);
    big[5] = '\0';
    CHECK_EQ(load_secret_bytes(big, n), IRBUS_EKEYFILE);

    /* Oversize: a valid file padded past the limit, and exactly at the
     * limit plus one. */
    memcpy(big, GOLDEN_SECRET_FILE, n);
    memset(big + n, 'a', sizeof big - n);
    CHECK_EQ(load_secret_bytes(big, IRB_KEYFILE_MAX + 1), IRBUS_EKEYFILE);
    CHECK_EQ(load_secret_bytes(big, sizeof big), IRBUS_EKEYFILE);
    CHECK_EQ(load_public_bytes(big, IRB_KEYFILE_MAX + 1), IRBUS_EKEYFILE);
    memset(big, 'a', sizeof big);
    CHECK_EQ(irb_keyfile_parse(big, sizeof big, NULL), IRBUS_EKEYFILE);

    /* The wrong kind of file for the loader. A .pub as a secret key is
     * IRBUS_EKEYFILE whatever its mode (0644 here, as saved). */
    CHECK_EQ(load_public_bytes(GOLDEN_SECRET_FILE, n), IRBUS_EKEYFILE);
    CHECK_EQ(load_secret_bytes(GOLDEN_PUBLIC_FILE, strlen(GOLDEN_PUBLIC_FILE)), IRBUS_EKEYFILE);
    CHECK_EQ(irbus_key_load(tpath("golden.pub"), &k), IRBUS_EKEYFILE);
    CHECK(k == NULL);
    CHECK_EQ(irbus_pubkey_load(tpath("golden"), pk), IRBUS_EKEYFILE);
}

static void
test_curve(void) {
    irbus_key *a = NULL, *b = NULL;
    uint8_t a_cpk[32], a_csk[32], b_cpk[32], b_csk[32], base[32];
    uint8_t nonce[crypto_box_NONCEBYTES];
    static const uint8_t msg[] = "page the on-call";
    uint8_t ct[sizeof msg + crypto_box_MACBYTES], pt[sizeof msg];
    uint8_t small_order[32] = {1}; /* the identity point */

    CHECK_EQ(irbus_key_generate(&a), 0);
    CHECK_EQ(irbus_key_generate(&b), 0);
    if (a == NULL || b == NULL) {
        goto out;
    }
    CHECK_EQ(irb_key_curve_public(irbus_key_public(a), a_cpk), 0);
    CHECK_EQ(irb_key_curve_secret(a, a_csk), 0);
    CHECK_EQ(irb_key_curve_public(irbus_key_public(b), b_cpk), 0);
    CHECK_EQ(irb_key_curve_secret(b, b_csk), 0);
    CHECK_EQ(crypto_scalarmult_base(base, a_csk), 0);
    CHECK(memcmp(base, a_cpk, 32) == 0);
    CHECK_EQ(crypto_scalarmult_base(base, b_csk), 0);
    CHECK(memcmp(base, b_cpk, 32) == 0);

    randombytes_buf(nonce, sizeof nonce);
    CHECK_EQ(crypto_box_easy(ct, msg, sizeof msg, nonce, b_cpk, a_csk), 0);
    CHECK_EQ(crypto_box_open_easy(pt, ct, sizeof ct, nonce, a_cpk, b_csk), 0);
    CHECK(memcmp(pt, msg, sizeof msg) == 0);
    /* With the wrong sender key it must not open. */
    CHECK(crypto_box_open_easy(pt, ct, sizeof ct, nonce, b_cpk, b_csk) != 0);

    CHECK_EQ(irb_key_curve_public(small_order, base), IRBUS_EINVAL);
    CHECK_EQ(irb_key_curve_secret(NULL, base), IRBUS_EINVAL);
out:
    sodium_memzero(a_csk, sizeof a_csk);
    sodium_memzero(b_csk, sizeof b_csk);
    irbus_key_destroy(&a);
    irbus_key_destroy(&b);
}

static void
remove_tmpdir(void) {
    DIR *d = opendir(tmpdir);
    struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (unlink(tpath(e->d_name)) != 0) {
            rmdir(tpath(e->d_name));
        }
    }
    closedir(d);
    CHECK_EQ(rmdir(tmpdir), 0);
}

int
main(void) {
    const char *base = getenv("TMPDIR");

    if (irbus_init() != 0) {
        fprintf(stderr, "irbus_init failed\n");
        return 1;
    }
    if (base == NULL || base[0] == '\0') {
        base = "/tmp";
    }
    if (snprintf(tmpdir, sizeof tmpdir, "%s/irbus-test-keys-XXXXXX", base) >= (int)sizeof tmpdir ||
        mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_golden();
    test_parse_direct();
    test_round_trip();
    test_args();
    test_modes_and_overwrite();
    test_permissions();
    test_truncation();
    test_flips();
    test_malformed();
    test_curve();

    remove_tmpdir();
    return check_done("test_keys");
}
