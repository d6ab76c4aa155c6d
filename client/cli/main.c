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
 *   77  permission problem: a secret key file is accessible by group or
 *       others, owned by someone else, a symlink or not a regular file
 *       (IRBUS_EKEYPERM)
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
        fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].help);
    }
    fprintf(f, "\n"
               "Run 'irbus VERB --help' for a verb's arguments.\n"
               "Exit status: 0 success, 64 usage error, 65 bad input data,\n"
               "66 cannot open input, 73 cannot create output, 77 permission\n"
               "problem, 1 any other failure. See irbus(1).\n");
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
cli_fail(int err, enum cli_io io, const char *what, const char *hint) {
    int saved = errno;
    int status;

    if (err == IRBUS_EIO) {
        fprintf(stderr, "irbus: %s: %s: %s", what, irbus_strerror(err), strerror(saved));
    } else {
        fprintf(stderr, "irbus: %s: %s", what, irbus_strerror(err));
    }
    if (hint != NULL) {
        fprintf(stderr, " — %s", hint);
    }
    fputc('\n', stderr);

    switch (err) {
    case IRBUS_EINVAL:
        status = CLI_EX_USAGE;
        break;
    case IRBUS_EKEYFILE:
        status = CLI_EX_DATAERR;
        break;
    case IRBUS_EKEYPERM:
        status = CLI_EX_NOPERM;
        break;
    case IRBUS_EEXIST:
        status = CLI_EX_CANTCREAT;
        break;
    case IRBUS_EIO:
        if (io == CLI_WRITING || saved == EEXIST) {
            status = CLI_EX_CANTCREAT;
        } else {
            status = CLI_EX_NOINPUT;
        }
        break;
    default:
        status = CLI_EX_FAIL;
        break;
    }
    errno = saved;
    return status;
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
