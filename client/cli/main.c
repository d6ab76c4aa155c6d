/*
 * main.c - the irbus command-line tool: initialise the library, pick a verb
 * from the table below and run it.
 *
 * The CLI includes only <irbus.h> and libc: whatever it needs, every other
 * application can do through the public API too. It is the only place that
 * prints errors and decides exit statuses; the library only returns codes.
 *
 * Exit statuses (the values of BSD sysexits.h, so scripts can tell failures
 * apart; documented in irbus(1)):
 *
 *    0  success
 *    1  any other failure (out of memory, crypto library, ...)
 *   64  usage error: unknown verb or option, missing or invalid argument
 *       (including values the library rejects as IRBUS_EINVAL)
 *   65  bad input data: a key file is malformed (IRBUS_EKEYFILE)
 *   66  cannot open or read an input file (IRBUS_EIO while reading)
 *   73  cannot create an output file, or it already exists
 *       (IRBUS_EIO while writing, errno EEXIST included)
 *   65  also: a signature or receipt does not verify (IRBUS_EBADSIG), the
 *       broker refused the submission as a replay, for its clock or its
 *       sender (IRBUS_EREPLAY, IRBUS_ECLOCK, IRBUS_ESENDER), or a frame
 *       could not be decoded (IRBUS_E 1xx)
 *   69  the broker did not answer in time (IRBUS_ETIMEOUT)
 *   75  the broker's store is full; try again later (IRBUS_ESTORAGEFULL)
 *   77  permission problem: a secret key file is accessible by group or
 *       others, owned by someone else, a symlink or not a regular file
 *       (IRBUS_EKEYPERM); or the broker refused the key or the request
 *       (a policy denial, IRBUS_E 3xx; IRBUS_EUNKNOWNKEY, IRBUS_EREVOKED)
 *   78  a client configuration file is malformed
 *
 * Adding a verb: write `int cmd_<verb>(int argc, char **argv)` (argv[0] is
 * the verb; `--help` prints its usage to stdout and returns 0), declare it
 * in cli.h and add one line to `verbs` below.
 */
#include "cli.h"

#include <irbus.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define IRBUS_CLI_VERSION "0.1.0"

struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help; /* one line for `irbus --help` */
};

static int cmd_help(int argc, char **argv);

static const struct verb verbs[] = {
    {"keygen", cmd_keygen, "create an identity key pair: PATH (secret) and PATH.pub"},
    {"key", cmd_key, "inspect key files: key show PATH"},
    {"pub", cmd_pub, "sign and publish a message to an incident channel"},
    {"sub", cmd_sub, "subscribe to incident channels and print messages"},
    {"history", cmd_history, "print stored messages of an incident"},
    {"ack", cmd_ack, "record that you have read an incident up to a sequence"},
    {"forward", cmd_forward, "re-share a stored message on a channel, as its label allows"},
    {"share", cmd_share, "share request|grant: ask for, or allow, a wider audience"},
    {"incident", cmd_incident, "incident commands: open, party-add, spoc, state, ..."},
    {"admin", cmd_admin, "roster commands (operators): org-add, participant-add, ..."},
    {"receipt", cmd_receipt,
     "verify saved receipts offline: receipt verify --broker-key K FILE..."},
    {"help", cmd_help, "show this help, or a verb's help: help VERB"},
};

#define NVERBS (sizeof verbs / sizeof verbs[0])

static const struct verb *
find_verb(const char *name) {
    for (size_t i = 0; i < NVERBS; i++) {
        if (strcmp(verbs[i].name, name) == 0) {
            return &verbs[i];
        }
    }
    return NULL;
}

static void
print_usage(FILE *f) {
    fprintf(f, "usage: irbus [--help | --version] VERB [ARGS...]\n"
               "\n"
               "The irbus incident-response message bus.\n"
               "\n"
               "Verbs:\n");
    for (size_t i = 0; i < NVERBS; i++) {
        fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].help);
    }
    fprintf(f, "\n"
               "Run 'irbus VERB --help' for a verb's arguments.\n"
               "Exit status: 0 success, 64 usage error, 65 bad input data or a\n"
               "signature that does not verify, 66 cannot open input, 69 broker\n"
               "unavailable (timeout), 73 cannot create output, 75 broker storage\n"
               "full (try later), 77 permission problem or refused by the broker,\n"
               "78 bad configuration file, 1 any other failure. See irbus(1).\n");
}

static int
cmd_help(int argc, char **argv) {
    const struct verb *v;
    char help_opt[] = "--help";
    char *sub[3];

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(stdout);
        return CLI_EX_OK;
    }
    if (argc > 2) {
        return cli_usage_error("help", "help takes at most one verb");
    }
    v = find_verb(argv[1]);
    if (v == NULL) {
        fprintf(stderr, "irbus: unknown verb '%s' — run 'irbus --help' for the list\n", argv[1]);
        return CLI_EX_USAGE;
    }
    if (v->run == cmd_help) {
        print_usage(stdout);
        return CLI_EX_OK;
    }
    sub[0] = argv[1];
    sub[1] = help_opt;
    sub[2] = NULL;
    return v->run(2, sub);
}

int
cli_usage_error(const char *verb, const char *message) {
    if (verb != NULL) {
        fprintf(stderr, "irbus: %s — run 'irbus %s --help' for usage\n", message, verb);
    } else {
        fprintf(stderr, "irbus: %s — run 'irbus --help' for usage\n", message);
    }
    return CLI_EX_USAGE;
}

int
cli_status(int err, enum cli_io io, int saved_errno) {
    switch (err) {
    case IRBUS_OK:
        return CLI_EX_OK;
    case IRBUS_EINVAL:
        return CLI_EX_USAGE;
    case IRBUS_EKEYFILE:
    case IRBUS_EBADSIG:
    case IRBUS_ESENDER:
    case IRBUS_EREPLAY:
    case IRBUS_ECLOCK:
    case IRBUS_ECORRUPT:
        return CLI_EX_DATAERR;
    case IRBUS_EKEYPERM:
    case IRBUS_EUNKNOWNKEY:
    case IRBUS_EREVOKED:
        return CLI_EX_NOPERM;
    case IRBUS_EEXIST:
        return CLI_EX_CANTCREAT;
    case IRBUS_ETIMEOUT:
        return CLI_EX_UNAVAILABLE;
    case IRBUS_ESTORAGEFULL:
        return CLI_EX_TEMPFAIL;
    case IRBUS_EIO:
        return io == CLI_WRITING || saved_errno == EEXIST ? CLI_EX_CANTCREAT : CLI_EX_NOINPUT;
    default:
        /* 1xx: a frame that could not be decoded. */
        if (err <= IRBUS_ETRUNCATED && err >= IRBUS_EVALUE) {
            return CLI_EX_DATAERR;
        }
        /* 3xx: a policy denial, whatever its rule. */
        if (err <= IRBUS_EDENIED && err > IRBUS_ENOTFOUND) {
            return CLI_EX_NOPERM;
        }
        return CLI_EX_FAIL;
    }
}

int
cli_fail_detail(int err, enum cli_io io, const char *what, const char *detail, const char *hint) {
    int saved = errno;
    int status;

    if (err == IRBUS_EIO) {
        fprintf(stderr, "irbus: %s: %s: %s", what, irbus_strerror(err), strerror(saved));
    } else {
        fprintf(stderr, "irbus: %s: %s", what, irbus_strerror(err));
    }
    if (detail != NULL && detail[0] != '\0') {
        fprintf(stderr, ": %s", detail);
    }
    if (hint != NULL) {
        fprintf(stderr, " — %s", hint);
    }
    fputc('\n', stderr);
    status = cli_status(err, io, saved);
    errno = saved;
    return status;
}

int
cli_fail(int err, enum cli_io io, const char *what, const char *hint) {
    return cli_fail_detail(err, io, what, NULL, hint);
}

int
main(int argc, char **argv) {
    const struct verb *v;
    int r, status;

    if ((r = irbus_init()) != 0) {
        return cli_fail(r, CLI_READING, "cannot initialise libirbus",
                        "the crypto library (libsodium) could not start; check the installation");
    }
    if (argc < 2) {
        print_usage(stderr);
        return CLI_EX_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(stdout);
        status = CLI_EX_OK;
        goto out;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("irbus %s (protocol %d)\n", IRBUS_CLI_VERSION, IRBUS_PROTOCOL_VERSION);
        status = CLI_EX_OK;
        goto out;
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "irbus: unknown option '%s' — run 'irbus --help' for usage\n", argv[1]);
        return CLI_EX_USAGE;
    }
    v = find_verb(argv[1]);
    if (v == NULL) {
        fprintf(stderr, "irbus: unknown verb '%s' — run 'irbus --help' for the list\n", argv[1]);
        return CLI_EX_USAGE;
    }
    status = v->run(argc - 1, argv + 1);
out:
    /* A full disk or closed pipe on stdout must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "irbus: cannot write to standard output: %s\n", strerror(errno));
        if (status == CLI_EX_OK) {
            status = CLI_EX_FAIL;
        }
    }
    return status;
}
