/*
 * cli.h - the irbus command-line tool's verbs and shared helpers.
 *
 * The CLI is the API's first customer: it includes only <irbus.h>, libc and
 * jansson (JSON output and receipt files).
 * Each verb is a function `int cmd_<verb>(int argc, char **argv)` where
 * argv[0] is the verb itself; it returns the process exit status (see the
 * table at the top of main.c). Verbs are listed in main.c's table.
 */
#ifndef IRB_CLI_H
#define IRB_CLI_H

#include <irbus.h>

#include <stddef.h>
#include <stdint.h>

/* Exit statuses (sysexits.h values; the table is in main.c). */
#define CLI_EX_OK          0
#define CLI_EX_FAIL        1
#define CLI_EX_USAGE       64
#define CLI_EX_DATAERR     65
#define CLI_EX_NOINPUT     66
#define CLI_EX_UNAVAILABLE 69
#define CLI_EX_CANTCREAT   73
#define CLI_EX_TEMPFAIL    75
#define CLI_EX_NOPERM      77
#define CLI_EX_CONFIG      78

/* Whether a failing call was reading input or writing output; it decides
 * the exit status of IRBUS_EIO (66 or 73). */
enum cli_io { CLI_READING, CLI_WRITING };

/*
 * Print "irbus: <what>: <irbus_strerror(err)>[: strerror(errno)] — <hint>"
 * to stderr and return the exit status for err. Call it right after the
 * failing irbus_* call: it reads errno for IRBUS_EIO.
 */
int cli_fail(int err, enum cli_io io, const char *what, const char *hint);
/* The same with a detail after the reason (the broker's message):
 * "irbus: <what>: <reason>: <detail> — <hint>". */
int cli_fail_detail(int err, enum cli_io io, const char *what, const char *detail,
                    const char *hint);
/* The exit status for an IRBUS_E* code (the table in main.c). */
int cli_status(int err, enum cli_io io, int saved_errno);

/* Print "irbus: <message>" and a pointer to --help; return CLI_EX_USAGE. */
int cli_usage_error(const char *verb, const char *message);

/* Verbs: key management (cmd_key.c). */
int cmd_keygen(int argc, char **argv);
int cmd_key(int argc, char **argv);
/* Verbs that talk to a broker (cmd_pub.c, cmd_sub.c, cmd_admin.c,
 * cmd_incident.c). */
int cmd_pub(int argc, char **argv);
int cmd_sub(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_ack(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_incident(int argc, char **argv);
int cmd_receipt(int argc, char **argv);
/* Forwarding and share grants (cmd_share.c). */
int cmd_forward(int argc, char **argv);
int cmd_share(int argc, char **argv);

/* ---- shared by the broker verbs (common.c) ---- */

/* Largest payload the protocol carries (schema/protocol.md "Limits"). */
#define CLI_MAX_PAYLOAD 1048576
#define CLI_PATH_MAX    4096
/* Default broker endpoint. */
#define CLI_DEFAULT_BROKER "tcp://127.0.0.1:7400"

/*
 * Connection settings of one run, and the connection. Each setting comes
 * from, in order: its flag, its environment variable, the client
 * configuration file, the default. Owned by the verb that declares it;
 * cli_conn_close releases everything.
 */
struct cli_conn {
    /* From flags (NULL when not given). */
    const char *broker, *broker_key, *key, *config, *receipts;
    int timeout_ms; /* 0: library default */
    /* Resolved. */
    char endpoint[CLI_PATH_MAX];
    char broker_key_path[CLI_PATH_MAX];
    char key_path[CLI_PATH_MAX];
    char receipts_dir[CLI_PATH_MAX];
    uint8_t broker_pk[IRBUS_PUBLIC_KEY_BYTES];
    irbus_key *id;
    irbus_client *client;
};

/* Help text for the connection options, for every broker verb's usage. */
extern const char cli_conn_help[];

/* "--help" or "-h". */
int cli_is_help(const char *arg);

/* Match "--name VALUE" or "--name=VALUE" at argv[*i], advancing *i past a
 * separate VALUE. Returns 1 and sets *value, 0 if argv[*i] is another
 * argument, -1 if the value is missing. */
int cli_take_option(int argc, char **argv, int *i, const char *name, const char **value);

/* Take a connection option at argv[*i]. Returns 1 if taken, 0 if argv[*i]
 * is not one, or -1 after printing a usage error (exit CLI_EX_USAGE). */
int cli_conn_option(const char *verb, int argc, char **argv, int *i, struct cli_conn *cc);

/* Resolve the settings, load the keys and connect. Returns CLI_EX_OK or
 * the exit status after printing why not. */
int cli_conn_open(struct cli_conn *cc, const char *verb);
void cli_conn_close(struct cli_conn *cc);

/* Report a failed request: the library's reason, the broker's message and
 * what to do. Returns the exit status. */
int cli_request_fail(struct cli_conn *cc, const char *what, int err);

/* Print "accepted incident=... seq=... btime=... hash=..." and save the
 * receipt under the receipts directory. Returns the exit status. */
int cli_receipt_done(struct cli_conn *cc, const char *verb, const struct irbus_receipt *r);

/* Print one message: a header line and its text, or one JSON object. */
void cli_print_message(const irbus_message *m, int json);

/* ms since the epoch -> "2026-11-22T08:00:00.123Z". */
void cli_format_time(uint64_t ms, char *out, size_t cap);
void cli_hex(const uint8_t *bytes, size_t len, char *out);
/* A decimal number without sign or junk; 0 on success, -1 otherwise. */
int cli_parse_u64(const char *s, uint64_t *out);

#endif
