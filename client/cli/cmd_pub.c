/*
 * cmd_pub.c - `irbus pub`: sign and publish one message to an incident
 * channel, print the broker's receipt and keep it in the receipts
 * directory.
 */
#include "cli.h"

#include <irbus.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TO 64

static void
pub_usage(FILE *f) {
    fprintf(f,
            "usage: irbus pub --incident ID --channel CH --tlp LABEL [--pap LABEL]\n"
            "                 [--to ID]... [--kind KIND] [--ctype TYPE]\n"
            "                 [--data TEXT | --file PATH] [connection options]\n"
            "\n"
            "Sign a message with your key and publish it. The payload is TEXT, the\n"
            "contents of PATH, or standard input (at most 1 MiB). On success prints\n"
            "  accepted incident=ID seq=N btime=ISO8601 hash=HEX\n"
            "and saves the broker's signed receipt as DIR/ID/N.json.\n"
            "\n"
            "  --incident ID    the incident\n"
            "  --channel CH     status, coordination, findings, notifications, internal\n"
            "  --tlp LABEL      CLEAR, GREEN, AMBER, AMBER+STRICT or RED\n"
            "  --pap LABEL      CLEAR, GREEN, AMBER or RED (optional)\n"
            "  --to ID          an addressee, repeatable: organisations for AMBER and\n"
            "                   AMBER+STRICT, participants for RED (required for both)\n"
            "  --kind KIND      msg (default) or a stage such as nis2.early_warning\n"
            "  --ctype TYPE     content type (default text/plain)\n"
            "  --data TEXT      the payload\n"
            "  --file PATH      read the payload from PATH ('-': standard input)\n"
            "  --help           show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

/* Read all of f, at most CLI_MAX_PAYLOAD bytes. Returns 0, or -1 with errno
 * (EFBIG when too large). */
static int
read_all(FILE *f, uint8_t **out, size_t *len) {
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);

    if (buf == NULL) {
        return -1;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            uint8_t *nb;
            if (cap > CLI_MAX_PAYLOAD) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            cap *= 2;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        int saved = errno;
        free(buf);
        errno = saved != 0 ? saved : EIO;
        return -1;
    }
    if (n > CLI_MAX_PAYLOAD) {
        free(buf);
        errno = EFBIG;
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

int
cmd_pub(int argc, char **argv) {
    struct cli_conn cc;
    struct irbus_publish p;
    struct irbus_receipt r;
    const char *to[MAX_TO];
    const char *data = NULL, *file = NULL;
    uint8_t *buf = NULL;
    char msg[512];
    int rc, status;

    memset(&cc, 0, sizeof cc);
    memset(&p, 0, sizeof p);
    p.ctype = "text/plain";
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int t;

        if (cli_is_help(argv[i])) {
            pub_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = cli_conn_option("pub", argc, argv, &i, &cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--incident", &p.incident)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--channel", &p.channel)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--tlp", &p.tlp)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--pap", &p.pap)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--kind", &p.kind)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--ctype", &p.ctype)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--data", &data)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--file", &file)) != 0) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "pub: %s needs a value", argv[i]);
                return cli_usage_error("pub", msg);
            }
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--to", &v)) != 0) {
            if (t < 0) {
                return cli_usage_error("pub", "pub: --to needs a value");
            }
            if (p.nto >= MAX_TO) {
                return cli_usage_error("pub", "pub: at most 64 --to addressees");
            }
            to[p.nto++] = v;
            continue;
        }
        snprintf(msg, sizeof msg, "pub: unexpected argument '%s'", argv[i]);
        return cli_usage_error("pub", msg);
    }
    if (p.incident == NULL || p.channel == NULL || p.tlp == NULL) {
        return cli_usage_error("pub", "pub needs --incident, --channel and --tlp");
    }
    if (data != NULL && file != NULL) {
        return cli_usage_error("pub", "pub takes --data or --file, not both");
    }
    p.to = p.nto > 0 ? to : NULL;

    if (data != NULL) {
        p.payload = data;
        p.payload_len = strlen(data);
    } else {
        FILE *f = stdin;
        size_t len = 0;
        if (file != NULL && strcmp(file, "-") != 0) {
            f = fopen(file, "rb");
            if (f == NULL) {
                snprintf(msg, sizeof msg, "pub: cannot read %s", file);
                return cli_fail(IRBUS_EIO, CLI_READING, msg, "check the path");
            }
        }
        rc = read_all(f, &buf, &len);
        if (f != stdin) {
            fclose(f);
        }
        if (rc != 0) {
            if (errno == EFBIG) {
                return cli_usage_error("pub", "pub: the payload is larger than 1 MiB (1048576 "
                                              "bytes)");
            }
            snprintf(msg, sizeof msg, "pub: cannot read the payload from %s",
                     file != NULL ? file : "standard input");
            return cli_fail(IRBUS_EIO, CLI_READING, msg, NULL);
        }
        p.payload = buf;
        p.payload_len = len;
    }

    if ((status = cli_conn_open(&cc, "pub")) != CLI_EX_OK) {
        goto out;
    }
    rc = irbus_publish(cc.client, &p, &r);
    if (rc != 0) {
        status = cli_request_fail(&cc, "pub", rc);
        goto out;
    }
    status = cli_receipt_done(&cc, "pub", &r);
out:
    cli_conn_close(&cc);
    free(buf);
    return status;
}
