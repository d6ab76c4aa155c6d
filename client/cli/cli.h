/*
 * cli.h - the irbus command-line tool's verbs and shared helpers.
 *
 * The CLI is the API's first customer: it includes only <irbus.h> and libc.
 * Each verb is a function `int cmd_<verb>(int argc, char **argv)` where
 * argv[0] is the verb itself; it returns the process exit status (see the
 * table at the top of main.c). Verbs are listed in main.c's table.
 */
#ifndef IRB_CLI_H
#define IRB_CLI_H

/* Exit statuses (sysexits.h values; the table is in main.c). */
#define CLI_EX_OK        0
#define CLI_EX_FAIL      1
#define CLI_EX_USAGE     64
#define CLI_EX_DATAERR   65
#define CLI_EX_NOINPUT   66
#define CLI_EX_CANTCREAT 73
#define CLI_EX_NOPERM    77

/* Whether a failing call was reading input or writing output; it decides
 * the exit status of IRBUS_EIO (66 or 73). */
enum cli_io { CLI_READING, CLI_WRITING };

/*
 * Print "irbus: <what>: <irbus_strerror(err)>[: strerror(errno)] — <hint>"
 * to stderr and return the exit status for err. Call it right after the
 * failing irbus_* call: it reads errno for IRBUS_EIO.
 */
int cli_fail(int err, enum cli_io io, const char *what, const char *hint);

/* Print "irbus: <message>" and a pointer to --help; return CLI_EX_USAGE. */
int cli_usage_error(const char *verb, const char *message);

/* Verbs: key management (cmd_key.c). */
int cmd_keygen(int argc, char **argv);
int cmd_key(int argc, char **argv);

#endif
