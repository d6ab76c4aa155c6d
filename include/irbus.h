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
    IRBUS_ECOUNT = -104,        /**< a map or array count exceeds its documented limit */
    IRBUS_EDEPTH = -105,        /**< nesting deeper than the limit */
    IRBUS_ETYPE = -106,         /**< a field or key has the wrong msgpack type */
    IRBUS_EDUPFIELD = -107,     /**< a map key appears twice */
    IRBUS_EMISSING = -108,      /**< a required field is missing */
    IRBUS_EUNKNOWNFIELD = -109, /**< a field not defined for this message type */
    IRBUS_EUTF8 = -110,         /**< a string is not valid UTF-8 */
    IRBUS_EFORMAT = -111,       /**< an id or content type does not match its format */
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
    IRBUS_EDENIED = -300,    /**< the policy does not allow this request (any other rule) */
    IRBUS_ENOTMEMBER = -301, /**< not a member of the incident */
    IRBUS_ECHANNEL = -302,   /**< the channel matrix does not allow this role here */
    IRBUS_ENOTSPOC = -303,   /**< only the organisation's SPOC may speak for it here */
    IRBUS_ENOSPOC = -304,   /**< the organisation has no SPOC: it cannot speak cross-organisation */
    IRBUS_EAUDIENCE = -305, /**< `to` names someone outside the incident for this label */
    IRBUS_EFORWARD = -306,  /**< the referenced message's label does not allow this forward */
    IRBUS_ECLOSED = -307,   /**< the incident is closed */
    IRBUS_ECOORD = -308,    /**< only a coordinator may do this */
    IRBUS_EHANDOVER = -309, /**< SPOC handover rule: by the SPOC or a coordinator, to the org */
    IRBUS_EOPERATOR = -310, /**< roster commands need an operator key */
    IRBUS_EGRANT = -311,    /**< only the referenced message's sender may grant wider sharing */

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
    IRBUS_ERESET = -607,   /**< the connection was lost: subscriptions ended, answers owed lost */
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

/* ------------------------------------------------------------------------
 * Connecting to a broker
 *
 * A client is one DEALER connection to irbusd over CURVE, authenticated
 * with the caller's identity key. Every request waits for its answer (with
 * the client's timeout), except pipelined publishes (irbus_publish_send);
 * deliveries that arrive meanwhile are queued inside the client, never
 * dropped: their number is bounded by the credit the client has granted.
 *
 * Every receipt is verified against the broker's public key and every
 * delivered or historical message against its sender's signature before
 * the caller sees it; one that does not verify is reported as
 * IRBUS_EBADSIG and not returned.
 *
 * Sequence numbers: the client numbers its signed submissions
 * max(last + 1, wall clock in microseconds), so numbers keep increasing
 * across restarts of the program without any state on disk, as long as the
 * clock does not step back by more than the time between two runs.
 * ------------------------------------------------------------------------ */

/** A connection to one broker. Owned by the caller of irbus_client_new. */
typedef struct irbus_client irbus_client;

/** The longest id (incident, organisation, participant), in bytes. */
#define IRBUS_ID_MAX 64

/**
 * The longest proof of a batch signature, in bytes (schema/protocol.md,
 * "Batch signatures": one signature over a tree of up to 256 items, and per
 * item its salt and the path from it to the tree's root).
 */
#define IRBUS_PROOF_MAX 276

/**
 * A receipt: the broker's signed statement that it stored a submission as
 * record `seq` of log `incident` ("_system" for roster commands) at broker
 * time `btime` (ms since the epoch, UTC), with chain hash `hash`. Keep it:
 * it proves what was accepted when, and pins all history before it. The
 * broker signs the receipts of one commit together: then `sig` is over the
 * tree of their digests and `proof` (proof_len bytes) leads from this one to
 * it; proof_len 0: `sig` is over this receipt alone. Either way
 * irbus_receipt_verify checks it on its own.
 */
struct irbus_receipt {
    char incident[IRBUS_ID_MAX + 1];
    uint64_t seq;
    uint8_t hash[32];
    uint64_t btime;
    uint8_t sig[64];
    size_t proof_len;
    uint8_t proof[IRBUS_PROOF_MAX];
};

/**
 * A message read from an incident (delivered live or from history),
 * verified. Owned by the caller; free with irbus_message_destroy. It is one
 * allocation: to, payload and env point into it, so never free or
 * reallocate them on their own. Strings are NUL-terminated. payload is
 * never NULL; a NUL byte follows its payload_len bytes (not counted), but
 * the payload may hold NULs of its own.
 */
typedef struct irbus_message {
    uint64_t sub; /**< subscription that delivered it; 0 for history */
    char incident[IRBUS_ID_MAX + 1];
    uint64_t seq;     /**< the record's sequence in the incident's log */
    uint64_t btime;   /**< broker time it was stored, ms since the epoch */
    char kind[32];    /**< envelope kind, e.g. "msg", "party.add" */
    char channel[16]; /**< "" for incident commands */
    char tlp[16];     /**< "" for incident commands */
    char pap[8];      /**< "" when absent */
    size_t nto;
    char **to;           /**< the nto named recipients (`to`), NUL-terminated */
    uint8_t sender[32];  /**< the signer's Ed25519 public key */
    uint64_t sender_seq; /**< the sender's own sequence number */
    uint64_t ts;         /**< the sender's clock, ms since the epoch */
    char ctype[65];      /**< content type, "" when absent */
    uint8_t *payload;    /**< the payload (a deadline notice: "stage=... due=...") */
    size_t payload_len;
    uint64_t ref;         /**< forward, share.*: the record referred to; 0 otherwise */
    uint8_t ref_hash[32]; /**< its envelope digest, when ref is not 0 */
    uint8_t *env;         /**< the exact signed envelope bytes */
    size_t env_len;
    uint8_t sig[64];  /**< the sender's signature: over env, or over its batch (proof) */
    size_t proof_len; /**< 0: sig is over env alone; else the batch proof's length */
    uint8_t proof[IRBUS_PROOF_MAX]; /**< leads from env's digest to what sig signs */
} irbus_message;

/** Free a message. Accepts NULL; sets *mp to NULL. */
IRBUS_EXPORT void irbus_message_destroy(irbus_message **mp);

/**
 * Connect to a broker.
 *
 * @param key        the caller's identity; borrowed, must outlive the client.
 * @param endpoint   a ZeroMQ endpoint, e.g. "tcp://127.0.0.1:7400".
 * @param broker_pk  the broker's Ed25519 public key (its ".pub" file).
 * @param[out] cp    the client; the caller owns it (irbus_client_destroy).
 * @return 0, IRBUS_EINVAL, IRBUS_ENOMEM, IRBUS_EIO (ZeroMQ refused the
 *         endpoint or options; errno set). Connecting is asynchronous: an
 *         unreachable broker or a refused key shows as IRBUS_ETIMEOUT on the
 *         first request.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_client_new(const irbus_key *key, const char *endpoint,
                                                  const uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES],
                                                  irbus_client **cp);

/**
 * Close the connection and free the client. Accepts NULL; sets *cp to NULL.
 * Publishes irbus_publish_send still holds unsent are dropped (call
 * irbus_publish_flush, then collect their answers, to have them stored).
 */
IRBUS_EXPORT void irbus_client_destroy(irbus_client **cp);

/** Set how long a request waits for its answer, in ms (default 5000). */
IRBUS_EXPORT void irbus_client_set_timeout(irbus_client *c, int timeout_ms);

/**
 * A file descriptor that becomes readable when the client may have input
 * (ZeroMQ's ZMQ_FD: edge-triggered; after it fires, call irbus_receive with
 * timeout 0 until it returns IRBUS_ETIMEOUT, and irbus_publish_result with
 * timeout 0 until it returns IRBUS_ETIMEOUT or IRBUS_ENOTFOUND). It fires
 * for input not yet read: what one call reads and keeps for another (a
 * delivery during a request, a pipelined answer during irbus_receive, a
 * delivery during irbus_publish_result) does not make it fire again, so a
 * client that both subscribes and pipelines publishes should not wait on
 * it without a timeout.
 *
 * @return 0 or IRBUS_EIO.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_client_fd(irbus_client *c, int *fd);

/** What to publish. Strings are NUL-terminated; `to` may be NULL when nto is 0. */
struct irbus_publish {
    const char *incident;
    const char *channel;   /**< status, coordination, findings, notifications, internal */
    const char *tlp;       /**< CLEAR, GREEN, AMBER, AMBER+STRICT, RED */
    const char *pap;       /**< NULL, or CLEAR, GREEN, AMBER, RED */
    const char *kind;      /**< NULL for "msg", or a stage kind such as "nis2.early_warning" */
    const char *const *to; /**< organisations (AMBER, AMBER+STRICT) or participants (RED) */
    size_t nto;
    const char *ctype; /**< content type, e.g. "text/plain" */
    const void *payload;
    size_t payload_len;
};

/**
 * Sign and publish a message; wait for its receipt and verify it.
 *
 * @param[out] r  the verified receipt (may be NULL if not wanted).
 * @return 0; IRBUS_EINVAL (a field the broker would refuse: bad id, unknown
 *         channel or label, payload over the limit); IRBUS_ETIMEOUT; IRBUS_EBADSIG
 *         (the receipt does not verify); or the broker's error as its
 *         negative code (IRBUS_EDENIED, IRBUS_ENOTFOUND, IRBUS_EREPLAY,
 *         IRBUS_ECLOCK, IRBUS_ESTORAGEFULL, ...); the broker's message is
 *         available from irbus_client_last_error.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_publish(irbus_client *c, const struct irbus_publish *p,
                                               struct irbus_receipt *r);

/*
 * Pipelined publishing. irbus_publish waits one round trip and one commit
 * per message; the broker commits everything that arrived meanwhile with
 * one fsync, so a publisher that keeps several publishes in flight gets as
 * many receipts per commit. Each publish is signed, and its receipt
 * verified with the broker's key, as irbus_publish does.
 *
 * Batch signatures (schema/protocol.md): while eight or more earlier
 * publishes wait for their answers, irbus_publish_send holds new ones (up
 * to IRBUS_SIGN_BATCH_MAX) and signs them together, one Ed25519 signature
 * over the tree of their digests, each sent with its proof. Every message
 * stays verifiable on its own (irbus_message's sig and proof). Held
 * publishes go out when the batch is full, when fewer than eight wait
 * (checked by irbus_publish_send and irbus_publish_result as answers come
 * in), before any request and before irbus_receive waits, or at
 * irbus_publish_flush. A publish sent while fewer wait goes at
 * once, signed alone: a publisher far below its ceiling keeps the shortest
 * latency, one near it signs once per batch. The broker likewise signs the receipts of one commit
 * together, so a pipelined publisher verifies one signature per commit.
 *
 * irbus_publish_send signs and sends; irbus_publish_result hands out the
 * answers, each exactly once, in the order they arrived (the broker answers
 * refusals at once and receipts after the commit, so that order is not the
 * order of sending). Deliveries that arrive meanwhile are queued for
 * irbus_receive; answers to pipelined publishes that arrive during any
 * other call (irbus_publish, irbus_history, irbus_receive, ...) are kept
 * for irbus_publish_result.
 */

/**
 * How many pipelined publishes a client holds at most: sent, and their
 * answer not yet returned by irbus_publish_result. The broker keeps room
 * for about 232 answers per connection (schema/protocol.md, section 11);
 * a client that stays within this limit and calls irbus_publish_result
 * never makes it drop one.
 */
#define IRBUS_PIPELINE_MAX 128

/** The most publishes irbus_publish_send holds to sign them together. */
#define IRBUS_SIGN_BATCH_MAX 64

/**
 * Send a publish without waiting for its answer: signed and sent at once if
 * fewer than eight publishes wait for their answers, otherwise held to be
 * signed with the next ones (see above).
 *
 * @param[out] token  identifies this publish in irbus_publish_result:
 *                    never 0, never used twice by one client.
 * @return 0 (sent or held: its outcome comes from irbus_publish_result,
 *         also when it could not be sent: IRBUS_ETIMEOUT when no connection
 *         to the broker was ready within the client's timeout, IRBUS_EIO);
 *         IRBUS_EINVAL (as irbus_publish, or token NULL); IRBUS_ELIMIT
 *         (IRBUS_PIPELINE_MAX publishes are held: collect an answer with
 *         irbus_publish_result first; nothing was sent); IRBUS_ENOMEM.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_publish_send(irbus_client *c, const struct irbus_publish *p,
                                                    uint64_t *token);

/**
 * Sign and send the publishes irbus_publish_send holds, now. For a caller
 * that waits on irbus_client_fd rather than in irbus_publish_result.
 * @return 0 (nothing held, or all sent); IRBUS_EINVAL. A batch that cannot
 *         be sent settles its publishes with the error, for
 *         irbus_publish_result.
 */
IRBUS_EXPORT int irbus_publish_flush(irbus_client *c);

/**
 * Wait up to timeout_ms (0: do not wait, -1: forever) for the answer to a
 * pipelined publish, and hand it out.
 *
 * @param[out] token   the publish's token from irbus_publish_send.
 * @param[out] status  0: stored, *r is its verified receipt; IRBUS_EBADSIG:
 *                     the receipt does not verify; the broker's error as its
 *                     negative code (IRBUS_EDENIED, IRBUS_ENOTFOUND, ...; its
 *                     text is then in irbus_client_last_error); IRBUS_ERESET:
 *                     the connection was lost before the answer came;
 *                     IRBUS_ETIMEOUT: no answer within the client's timeout
 *                     (irbus_client_set_timeout) after sending, and a late
 *                     one is ignored. After IRBUS_ERESET or IRBUS_ETIMEOUT the
 *                     message may or may not have been stored: history tells.
 * @param[out] r       the receipt when status is 0 (may be NULL).
 * @return 0 (an answer was handed out); IRBUS_ETIMEOUT (none within
 *         timeout_ms); IRBUS_ENOTFOUND (no pipelined publish is held);
 *         IRBUS_EINVAL; IRBUS_ENOMEM (a delivery could not be queued);
 *         IRBUS_EIO (errno set; EINTR when a signal interrupted the wait).
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_publish_result(irbus_client *c, int timeout_ms,
                                                      uint64_t *token, int *status,
                                                      struct irbus_receipt *r);

/**
 * The broker's text for the last error answer this client received (empty
 * if none). Valid until the next call on the client.
 */
IRBUS_EXPORT const char *irbus_client_last_error(const irbus_client *c);

/** Subscribe `from`: only messages stored after the subscription. */
#define IRBUS_FROM_NEW 0
/** Subscribe `from`: the whole history, then live. */
#define IRBUS_FROM_START 1

/**
 * Subscribe to channels of an incident: history from `from` (a sequence
 * number, IRBUS_FROM_START or IRBUS_FROM_NEW), then live delivery without a
 * gap or a duplicate. The client grants the broker `window` deliveries of
 * credit (1..65536) and tops it up as irbus_receive hands messages out:
 * once half the window is used, or once 4 MiB of envelopes have been
 * handed out (the broker keeps at most 8 MiB in flight per subscription).
 *
 * @param channels  comma-separated channel names, e.g. "status,findings".
 * @param[out] sub  the subscription number (may be NULL).
 * @return 0, IRBUS_EINVAL, IRBUS_ETIMEOUT, or the broker's error
 *         (IRBUS_ENOTFOUND, IRBUS_EDENIED, IRBUS_ELIMIT, ...).
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_subscribe(irbus_client *c, const char *incident,
                                                 const char *channels, uint64_t from,
                                                 uint32_t window, uint64_t *sub);

/**
 * End a subscription. Waits for the broker's answer; deliveries of the
 * subscription that were already on their way are discarded by
 * irbus_receive.
 *
 * @return 0, IRBUS_EINVAL, IRBUS_ENOTFOUND (not a subscription of this
 *         client), IRBUS_ETIMEOUT, IRBUS_EIO, or the broker's error.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_unsubscribe(irbus_client *c, uint64_t sub);

/**
 * Wait up to timeout_ms (0: do not wait, -1: forever) for the next delivered
 * message of any subscription.
 *
 * @param[out] mp  the message; the caller owns it.
 * @return 0, IRBUS_ETIMEOUT, IRBUS_EBADSIG (a delivery that does not verify;
 *         it is dropped and the next call continues), IRBUS_ENOMEM, IRBUS_EIO,
 *         IRBUS_ERESET: the connection was lost and ZeroMQ made a new one, so
 *         the broker ended every subscription; the client has forgotten
 *         them too, and reports this once. Deliveries not yet handed out
 *         when the client notices the loss are dropped; irbus_receive
 *         looks for it between delivers, so the records left of the one it
 *         is handing out may come first. Subscribe again from the sequence
 *         after the last message received to continue without a gap or a
 *         duplicate.
 *         IRBUS_ENOTMEMBER or IRBUS_EREVOKED: the broker ended one
 *         subscription, after the deliveries it had sent for it, because
 *         this participant is no longer a member of its incident (its
 *         party was removed) or its key was revoked or replaced; the client
 *         has forgotten it (its place is free), irbus_client_ended_sub
 *         says which one and irbus_client_last_error why. Once per ended
 *         subscription; the others go on.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_receive(irbus_client *c, int timeout_ms, irbus_message **mp);

/**
 * The subscription that irbus_receive last reported ended by the broker
 * (IRBUS_ENOTMEMBER, IRBUS_EREVOKED), or 0 if none has been.
 */
IRBUS_EXPORT uint64_t irbus_client_ended_sub(const irbus_client *c);

/**
 * Record at the broker that this participant has processed the incident up
 * to and including `seq` (the read receipt). Waits for the answer.
 *
 * @return 0, IRBUS_EINVAL, IRBUS_ETIMEOUT, or the broker's error.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_ack(irbus_client *c, const char *incident, uint64_t seq);

/**
 * Read stored messages of an incident: those the caller may see among
 * sequences from..until (until 0: up to the latest), at most `limit`
 * (1..256).
 *
 * @param[out] msgs   array of *n messages; free each with
 *                    irbus_message_destroy and the array with free().
 * @param[out] next   the sequence to ask for next.
 * @return 0, IRBUS_EINVAL, IRBUS_ETIMEOUT, IRBUS_EBADSIG, IRBUS_ENOMEM, or the
 *         broker's error.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_history(irbus_client *c, const char *incident,
                                               const char *channels, uint64_t from, uint64_t until,
                                               uint32_t limit, irbus_message ***msgs, size_t *n,
                                               uint64_t *next);

/**
 * The envelope digest of a message (BLAKE2b-256 under "irbus/1/envelope" of
 * its exact signed bytes): what `ref_hash` of a forward or a share binds to.
 */
IRBUS_EXPORT void irbus_message_digest(const irbus_message *m, uint8_t out[32]);

/** What to forward: record `ref` of the incident, re-shared on `channel`
 * under its own labels and `to` (schema/policy.md section 3). */
struct irbus_forward {
    const char *incident;
    uint64_t ref;            /**< sequence of the record forwarded */
    const uint8_t *ref_hash; /**< its digest (irbus_message_digest), 32 bytes */
    const char *channel;
    const char *tlp;
    const char *pap;       /**< NULL, or a PAP label */
    const char *const *to; /**< organisations, or participants for RED */
    size_t nto;
};

/**
 * Forward a stored message. Whoever may see the forward may then read
 * record `ref` through it (live: fetch it with irbus_history).
 *
 * @return as irbus_publish; notably IRBUS_ENOTFOUND (no record `ref` that
 *         the caller may see), IRBUS_EVALUE (`ref_hash` does not match, or
 *         `ref` is not a message), IRBUS_EFORWARD (its label forbids this
 *         audience and no grant covers it).
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_forward(irbus_client *c, const struct irbus_forward *f,
                                               struct irbus_receipt *r);

/**
 * Ask the sender of record `ref` to allow sharing it with `to`
 * (organisations or participants, at least one). Seen only by the caller
 * and that sender.
 *
 * @return as irbus_forward.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_share_request(irbus_client *c, const char *incident,
                                                     uint64_t ref, const uint8_t ref_hash[32],
                                                     const char *const *to, size_t nto,
                                                     struct irbus_receipt *r);

/**
 * As the sender of record `ref`, allow forwarding it to `to` beyond what
 * its label allows (schema/policy.md section 3.2). Seen by whoever may see
 * `ref`; it cannot be withdrawn.
 *
 * @return as irbus_forward, and IRBUS_EGRANT when the caller did not send
 *         `ref`.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_share_grant(irbus_client *c, const char *incident,
                                                   uint64_t ref, const uint8_t ref_hash[32],
                                                   const char *const *to, size_t nto,
                                                   struct irbus_receipt *r);

/**
 * Verify a receipt with the broker's public key.
 * @return 0 or IRBUS_EBADSIG.
 */
IRBUS_EXPORT IRBUS_NODISCARD int
irbus_receipt_verify(const struct irbus_receipt *r,
                     const uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES]);

/* ------------------------------------------------------------------------
 * Roster commands (operators only: the key must be an admin key of the
 * broker's configuration). Each is signed, recorded in the broker's system
 * log, and answered with a receipt for log "_system". Errors as for
 * irbus_publish, plus IRBUS_EEXIST and IRBUS_ENOTFOUND.
 * ------------------------------------------------------------------------ */

/**
 * The broker's recent policy denials, for an operator: a count per rule,
 * then the last 256 denials, oldest first, one line each
 * ("TIME participant=ID code=N rule=NAME incident=ID"). The text is for
 * people; its layout may change.
 *
 * @param[out] report  NUL-terminated text; the caller frees it with free().
 * @return 0, IRBUS_EINVAL, IRBUS_ETIMEOUT, IRBUS_ENOMEM, IRBUS_EOPERATOR (not
 *         an operator key), or another broker error.
 */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_admin_denials(irbus_client *c, char **report);
/** Add an organisation; kind is entity, ir_provider, csirt or regulator. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_admin_org_add(irbus_client *c, const char *org,
                                                     const char *kind, const char *name,
                                                     struct irbus_receipt *r);
/** Add a participant to an organisation. max_pap: NULL (no limit) or a PAP label. */
IRBUS_EXPORT IRBUS_NODISCARD int
irbus_admin_participant_add(irbus_client *c, const char *participant, const char *org,
                            const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], int automated,
                            const char *max_pap, struct irbus_receipt *r);
/** Revoke a participant: its key is refused at once, open connections included. */
IRBUS_EXPORT IRBUS_NODISCARD int
irbus_admin_participant_revoke(irbus_client *c, const char *participant, struct irbus_receipt *r);
/** Replace a participant's key; the old key is refused from then on. */
IRBUS_EXPORT IRBUS_NODISCARD int
irbus_admin_participant_rotate(irbus_client *c, const char *participant,
                               const uint8_t pk[IRBUS_PUBLIC_KEY_BYTES], struct irbus_receipt *r);

/* ------------------------------------------------------------------------
 * Incident commands. Each is signed and recorded in the incident's own log;
 * answered with a receipt. Errors as for irbus_publish, plus IRBUS_EEXIST,
 * IRBUS_ENOTFOUND, IRBUS_ESTATE.
 * ------------------------------------------------------------------------ */

/** Open an incident; the caller becomes its coordinator. regime: nis2,
 * nis2-tsp, dora, ccv or none. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_incident_open(irbus_client *c, const char *incident,
                                                     const char *title, const char *regime,
                                                     struct irbus_receipt *r);
/** Add a party organisation with its role (affected, ir_provider, csirt,
 * regulator) and its SPOC (NULL: none yet). Coordinators only. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_incident_party_add(irbus_client *c, const char *incident,
                                                          const char *org, const char *role,
                                                          const char *spoc,
                                                          struct irbus_receipt *r);
/** Remove a party organisation. Coordinators only. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_incident_party_remove(irbus_client *c, const char *incident,
                                                             const char *org,
                                                             struct irbus_receipt *r);
/** Hand an organisation's SPOC role to another of its participants. The
 * current SPOC or a coordinator. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_incident_spoc_handover(irbus_client *c, const char *incident,
                                                              const char *org, const char *spoc,
                                                              struct irbus_receipt *r);
/** Add a coordinator. Coordinators only. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_incident_coord_add(irbus_client *c, const char *incident,
                                                          const char *participant,
                                                          struct irbus_receipt *r);
/** Change the lifecycle state: open, contained, recovered, closed. Coordinators only. */
IRBUS_EXPORT IRBUS_NODISCARD int irbus_incident_state_set(irbus_client *c, const char *incident,
                                                          const char *state,
                                                          struct irbus_receipt *r);

#ifdef __cplusplus
}
#endif
#endif /* IRBUS_H */
