/*
 * harness.h - integration tests against the real irbusd: start and stop it
 * in a temporary data directory on an ipc:// endpoint, create keys, and talk
 * to it both through libirbus and through a raw CURVE DEALER socket that
 * sends exactly the bytes a test builds (forged, replayed, malformed).
 */
#ifndef IRB_HARNESS_H
#define IRB_HARNESS_H

#include "irbus.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct broker {
    const char *exe;
    char dir[256];      /* temporary directory */
    char data[300];     /* data directory */
    char endpoint[320]; /* ipc://dir/sock */
    char config[300];   /* config file */
    pid_t pid;
    int exited;     /* how a broker that broker_start saw end ended: its exit
                     * status (128 + signal if killed); -1 when it did not */
    uint8_t pk[32]; /* broker's public key */
};

/* The start of a test's main: usage (64 if IRBUSD is missing), library
 * initialised, broker initialised with extra_config and started (failures
 * are failed checks). Returns 0 or 64. */
int harness_begin(struct broker *b, int argc, char **argv, const char *extra_config);
/* Create the directory and config (extra lines appended), an operator key
 * (dir/op) listed as admin_key. Returns 0 or -1. */
int broker_init(struct broker *b, const char *exe, const char *extra_config);
/* Start irbusd and wait until it answers (its key file exists and the
 * socket accepts). Returns 0 or -1 (b->exited says how it ended if it did). */
int broker_start(struct broker *b);
/* Wait up to timeout_ms for the broker to exit by itself: its exit status
 * (128 + signal if killed), or -1 if it is still running. */
int broker_wait_exit(struct broker *b, int timeout_ms);
/* 1 if the broker is still running; 0 if it has exited (reaped, pid
 * cleared, and how it ended printed to stderr). */
int broker_alive(struct broker *b);
/* Stop with a signal (SIGTERM or SIGKILL) and reap it. */
void broker_stop(struct broker *b, int sig);
/* One field of the running broker's /proc/PID/status in KiB ("VmRSS" for the
 * current resident set, "RssAnon" for its anonymous part: heap and stacks,
 * without the pages of the LMDB map, which are page cache), or -1. */
long broker_status_kib(const struct broker *b, const char *field);
void broker_cleanup(struct broker *b);

/* A key from a one-byte seed; written to dir/name and dir/name.pub. */
irbus_key *make_key(struct broker *b, const char *name, uint8_t seed);
irbus_client *connect_as(struct broker *b, irbus_key *k);
/* As operator op: add organisation org (kind entity, display name `name`)
 * and the n participants ids[i] with keys[i]. Returns 0 or the first
 * error. */
int roster_setup(struct broker *b, irbus_key *op, const char *org, const char *name, size_t n,
                 const char *const ids[], irbus_key *const keys[]);

/* Raw access: a DEALER with k's CURVE keys. */
void *raw_connect(struct broker *b, irbus_key *k);
/* Socket options of a raw connection; 0 leaves libzmq's default. */
struct raw_opts {
    int rcvhwm;               /* ZMQ_RCVHWM: messages queued before libzmq stops reading */
    int heartbeat_ivl_ms;     /* ZMQ_HEARTBEAT_IVL: send PINGs this often */
    int heartbeat_timeout_ms; /* ZMQ_HEARTBEAT_TIMEOUT */
};
void *raw_connect_opts(struct broker *b, irbus_key *k, const struct raw_opts *o);
void raw_close(void *s);
/* Send bytes; wait for one frame (any type) up to timeout_ms; decode into f
 * (bytes kept in buf). Returns 0, or -1 on timeout. */
int raw_call(void *s, const uint8_t *bytes, size_t len, uint8_t *buf, size_t cap,
             struct irb_frame *f, int timeout_ms);
/* Build a signed publish frame: returns its length in out. */
size_t build_publish(irbus_key *signer, const uint8_t sender[32], const char *incident,
                     const char *channel, const char *text, uint64_t seq, uint64_t ts, uint8_t *out,
                     size_t cap);
/* Build n (2..16) publish frames of one batch signature (schema/protocol.md
 * "Batch signatures"): envelopes with sequences seq, seq+1, ... and texts
 * "TEXT i", all signed by signer with one signature; frame i goes to
 * out + i * cap, its length to len[i]. Returns 0 or -1. */
int build_batch(irbus_key *signer, const uint8_t sender[32], const char *incident,
                const char *channel, const char *text, size_t n, uint64_t seq, uint64_t ts,
                uint8_t *out, size_t cap, size_t *len);
uint64_t wall_ms(void);

#endif
