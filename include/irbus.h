/*
 * irbus.h - the public API of libirbus, the client library of the irbus
 * incident-response message bus.
 *
 * This header is the contract. Every function documents its parameters,
 * the complete list of errors it can return, who owns returned data and for
 * how long, and its thread rules. Constants never change meaning once
 * released; error numbers are never reused (schema/protocol.md, "Error
 * codes", is the same table).
 *
 * Conventions
 * - Functions return int: 0 on success, a negative IRBUS_E* code on failure.
 *   The code on the wire is the same number without its sign.
 * - Handles are opaque. Constructors fill an out-parameter; destructors take
 *   a pointer to the handle, accept NULL and set the caller's pointer to NULL.
 * - The library never exits, aborts or prints.
 * - Unless a function says otherwise, one handle is used by one thread at a
 *   time; different handles may be used by different threads concurrently.
 * - irbus_init() must be called once before any other function (it
 *   initialises libsodium); it is safe to call it more than once.
 */
#ifndef IRBUS_H
#define IRBUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define IRBUS_EXPORT    __attribute__((visibility("default")))
#define IRBUS_NODISCARD __attribute__((warn_unused_result))
#else
#define IRBUS_EXPORT
#define IRBUS_NODISCARD
#endif

/** Protocol version spoken by this library (schema/protocol.md). */
#define IRBUS_PROTOCOL_VERSION 1

/*
 * Error codes. Grouped by hundreds: 1xx the frame could not be decoded,
 * 2xx authentication and integrity, 3xx policy, 4xx request and state,
 * 5xx broker and storage, 6xx local to the client (never on the wire).
 */
enum irbus_error {
    IRBUS_OK = 0,

    /* 1xx: decoding (schema/protocol.md "Decoding rules") */
    IRBUS_ETRUNCATED = -100,    /**< the frame ends inside a value */
    IRBUS_EMSGPACK = -101,      /**< a byte that is not valid msgpack here (0xc1, ext types) */
    IRBUS_ETRAILING = -102,     /**< bytes follow the top-level value */
    IRBUS_ETOOBIG = -103,       /**< the frame exceeds the frame size limit */
    IRBUS_ECOUNT = -104,        /**< a map or array count exceeds its limit or the bytes left */
    IRBUS_EDEPTH = -105,        /**< nesting deeper than the limit */
    IRBUS_ETYPE = -106,         /**< a field or key has the wrong msgpack type */
    IRBUS_EDUPFIELD = -107,     /**< a map key appears twice */
    IRBUS_EMISSING = -108,      /**< a required field is missing */
    IRBUS_EUNKNOWNFIELD = -109, /**< a field not defined for this message type */
    IRBUS_EUTF8 = -110,         /**< a string is not valid UTF-8 */
    IRBUS_EFORMAT = -111,       /**< an id, channel or kind does not match its format */
    IRBUS_ELENGTH = -112,       /**< a string or binary value has a length out of bounds */
    IRBUS_EVERSION = -113,      /**< unsupported protocol version */
    IRBUS_EMSGTYPE = -114,      /**< unknown message type or envelope kind */
    IRBUS_EVALUE = -115,        /**< a value outside its range or enumeration */

    /* 2xx: authentication and integrity */
    IRBUS_EBADSIG = -200,     /**< a signature does not verify */
    IRBUS_ESENDER = -201,     /**< envelope sender differs from the authenticated participant */
    IRBUS_EREPLAY = -202,     /**< sequence number not above the last one accepted */
    IRBUS_ECLOCK = -203,      /**< timestamp outside the acceptance window */
    IRBUS_EUNKNOWNKEY = -204, /**< key not in the roster */
    IRBUS_EREVOKED = -205,    /**< key revoked */

    /* 3xx: policy */
    IRBUS_EDENIED = -300, /**< the policy does not allow this request */

    /* 4xx: request and state */
    IRBUS_ENOTFOUND = -400, /**< no such incident, organisation, participant or subscription */
    IRBUS_EEXIST = -401,    /**< already exists */
    IRBUS_ESTATE = -402,    /**< request not allowed in the current state */
    IRBUS_ELIMIT = -403,    /**< a per-connection limit was reached */

    /* 5xx: broker and storage */
    IRBUS_ESTORAGEFULL = -500, /**< the store is full; nothing was stored */
    IRBUS_EINTERNAL = -501,    /**< the broker failed; nothing was stored */
    IRBUS_ECORRUPT = -502,     /**< stored history does not verify */

    /* 6xx: local to the client, never sent on the wire */
    IRBUS_EINVAL = -600,   /**< an argument is invalid */
    IRBUS_ENOMEM = -601,   /**< out of memory */
    IRBUS_EIO = -602,      /**< a file or socket operation failed; errno tells more */
    IRBUS_EKEYFILE = -603, /**< a key file is malformed */
    IRBUS_EKEYPERM = -604, /**< a secret key file is readable by group or others, or a symlink */
    IRBUS_ETIMEOUT = -605, /**< no answer within the timeout */
    IRBUS_ECRYPTO = -606,  /**< the crypto library failed to initialise */
};

/**
 * Describe an error code.
 *
 * @param err  an IRBUS_E* code (negative) or its wire number (positive).
 * @return a static, NUL-terminated English sentence; never NULL (unknown
 *         codes give "unknown error"). Thread-safe.
 */
IRBUS_EXPORT const char *irbus_strerror(int err);

/**
 * Initialise the library (libsodium). Call once before anything else; later
 * calls do nothing. Thread-safe after the first call has returned.
 *
 * @return 0, or IRBUS_ECRYPTO if libsodium could not initialise.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_init(void);

/* ------------------------------------------------------------------------
 * Identity keys
 *
 * An identity is an Ed25519 key pair. The CURVE transport keys derive from
 * it, so a participant has one key and one fingerprint. Key files are text
 * (schema/keys.md).
 * ------------------------------------------------------------------------ */

/** Length of an Ed25519 public key, in bytes. */
#define IRBUS_PUBLIC_KEY_BYTES 32
/** Length of a fingerprint string, excluding its NUL terminator. */
#define IRBUS_FINGERPRINT_LEN 44
/** Buffer size that holds any fingerprint with its terminator. */
#define IRBUS_FINGERPRINT_SIZE (IRBUS_FINGERPRINT_LEN + 1)

/**
 * An identity key pair. The secret half lives in sodium_malloc'd memory
 * (guarded, locked) and is wiped when the key is destroyed. Owned by the
 * caller of irbus_key_generate() or irbus_key_load().
 */
typedef struct irbus_key irbus_key;

/**
 * Generate a new identity key pair.
 *
 * @param[out] keyp  receives the key; the caller owns it and frees it with
 *                   irbus_key_destroy().
 * @return 0, IRBUS_EINVAL (keyp NULL), IRBUS_ENOMEM.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_key_generate(irbus_key **keyp);

/**
 * Create a key pair from a 32-byte seed (deterministic; for tests and
 * vectors). The seed is copied; the caller wipes its own copy.
 *
 * @return 0, IRBUS_EINVAL, IRBUS_ENOMEM.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_key_from_seed(const uint8_t seed[32], irbus_key **keyp);

/**
 * Write the secret key file at @p path (created with mode 0600, O_EXCL and
 * O_NOFOLLOW: an existing file or symlink is never overwritten) and the
 * public key file at "<path>.pub" (mode 0644, same rules).
 *
 * @param comment  optional label written into both files (NULL for none);
 *                 at most 64 printable ASCII characters.
 * @return 0, IRBUS_EINVAL (bad argument or comment), IRBUS_EIO (errno set:
 *         EEXIST if either file exists; nothing is left behind on failure).
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_key_save(const irbus_key *key, const char *path,
                                                const char *comment);

/**
 * Load a secret key file. The file must be a regular file, not a symlink,
 * owned by the caller's user or root, with no group or other permission
 * bits; its public line must match the key derived from its seed.
 *
 * @param[out] keyp  receives the key on success (caller owns it).
 * @return 0, IRBUS_EINVAL, IRBUS_EIO (cannot open or read; errno set),
 *         IRBUS_EKEYPERM (mode & 077, symlink, or not a regular file),
 *         IRBUS_EKEYFILE (malformed, truncated, wrong version, or the public
 *         line does not match the seed), IRBUS_ENOMEM.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_key_load(const char *path, irbus_key **keyp);

/**
 * Load a public key file (the ".pub" file; a secret key file is refused so
 * that nobody hands a secret around by mistake).
 *
 * @param[out] pk  receives the 32-byte Ed25519 public key.
 * @return 0, IRBUS_EINVAL, IRBUS_EIO (errno set), IRBUS_EKEYPERM (a symlink
 *         or not a regular file), IRBUS_EKEYFILE (malformed, or a secret key
 *         file), IRBUS_ENOMEM.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_pubkey_load(const char *path,
                                                   uint8_t pk[IRBUS_PUBLIC_KEY_BYTES]);

/**
 * The key's Ed25519 public key.
 *
 * @return a pointer to 32 bytes, valid until the key is destroyed.
 */
IRBUS_EXPORT const uint8_t *irbus_key_public(const irbus_key *key);

/**
 * Format the fingerprint of a public key into @p out
 * (IRBUS_FINGERPRINT_SIZE bytes): "irb1:" followed by eight groups of four
 * lowercase hex digits joined by '-' (schema/keys.md, "Fingerprints").
 * Thread-safe.
 */
IRBUS_EXPORT void irbus_fingerprint(const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES],
                                    char out[IRBUS_FINGERPRINT_SIZE]);

/** Destroy a key, wiping its secret. Accepts NULL; sets *keyp to NULL. */
IRBUS_EXPORT void irbus_key_destroy(irbus_key **keyp);

#ifdef __cplusplus
}
#endif
#endif /* IRBUS_H */
