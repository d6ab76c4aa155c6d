/*
 * cmd_share.c - `irbus forward` and `irbus share`: re-share a stored
 * message (schema/policy.md section 3), ask its sender to allow a wider
 * audience, or, as its sender, allow it. The record is named by its
 * sequence number; the CLI reads it from history (on each channel the
 * caller may read) to bind the request to its digest.
 */
#include "cli.h"

#include <irbus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TO 64

static void
forward_usage(FILE *f) {
    fprintf(f,
            "usage: irbus forward --incident ID --ref N --channel CH --tlp LABEL\n"
            "                     [--pap LABEL] [--to ID]... [connection options]\n"
            "\n"
            "Forward record N of the incident on channel CH under your own labels and\n"
            "addressees. Its label decides how far it may go (schema/policy.md): RED\n"
            "only by its sender, AMBER+STRICT inside your organisation, AMBER to your\n"
            "organisation and its clients, unless its sender granted more (irbus share\n"
            "grant). Whoever may see the forward may then read record N. On success\n"
            "prints the accepted line and saves the receipt, as irbus pub does.\n"
            "\n"
            "  --incident ID    the incident\n"
            "  --ref N          the record to forward\n"
            "  --channel CH     where to forward it\n"
            "  --tlp LABEL      the forward's label\n"
            "  --pap LABEL      the forward's PAP (the stricter of it and the record's applies)\n"
            "  --to ID          an addressee, repeatable (as for irbus pub)\n"
            "  --help           show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

static void
share_usage(FILE *f) {
    fprintf(f,
            "usage: irbus share request --incident ID --ref N --to ID... [connection options]\n"
            "       irbus share grant   --incident ID --ref N --to ID... [connection options]\n"
            "\n"
            "request: ask the sender of record N to allow sharing it with the\n"
            "organisations or participants named by --to; only you and that sender\n"
            "see the request.\n"
            "grant: as the sender of record N, allow forwarding it to them beyond\n"
            "what its label allows; everyone who may see record N sees the grant.\n"
            "A grant cannot be withdrawn. Each prints the accepted line and saves the\n"
            "receipt, as irbus pub does.\n"
            "\n"
            "%s",
            cli_conn_help);
}

/* The digest of record `ref`, read from history on the first channel that
 * has it for the caller. 0 or an IRBUS_E code (IRBUS_ENOTFOUND: no channel
 * the caller may read shows it). */
static int
ref_digest(irbus_client *c, const char *incident, uint64_t ref, uint8_t out[32]) {
    static const char *const channels[] = {"status", "coordination", "findings", "notifications",
                                           "internal"};
    int rc = IRBUS_ENOTFOUND;

    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        irbus_message **msgs = NULL;
        size_t n = 0;
        uint64_t next = 0;
        int r = irbus_history(c, incident, channels[i], ref, ref, 1, &msgs, &n, &next);
        if (r == 0 && n == 1 && msgs[0]->seq == ref) {
            irbus_message_digest(msgs[0], out);
            rc = 0;
        } else if (r != 0 && r != IRBUS_ECHANNEL) {
            rc = r;
        }
        for (size_t k = 0; k < n; k++) {
            irbus_message_destroy(&msgs[k]);
        }
        free(msgs);
        if (rc == 0 || (r != 0 && r != IRBUS_ECHANNEL)) {
            break;
        }
    }
    return rc;
}

struct share_args {
    const char *incident, *ref_text, *channel, *tlp, *pap;
    const char *to[MAX_TO];
    size_t nto;
    uint64_t ref;
};

/* Parse options from argv[first]; 0, or a CLI exit status. */
static int
parse(const char *verb, int argc, char **argv, int first, struct cli_conn *cc, struct share_args *a,
      int with_labels) {
    char msg[512];

    for (int i = first; i < argc; i++) {
        const char *v = NULL;
        int t;

        if ((t = cli_conn_option(verb, argc, argv, &i, cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--incident", &a->incident)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--ref", &a->ref_text)) != 0 ||
            (with_labels && (t = cli_take_option(argc, argv, &i, "--channel", &a->channel)) != 0) ||
            (with_labels && (t = cli_take_option(argc, argv, &i, "--tlp", &a->tlp)) != 0) ||
            (with_labels && (t = cli_take_option(argc, argv, &i, "--pap", &a->pap)) != 0)) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "%s: %s needs a value", verb, argv[i]);
                return cli_usage_error(verb, msg);
            }
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--to", &v)) != 0) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "%s: --to needs a value", verb);
                return cli_usage_error(verb, msg);
            }
            if (a->nto >= MAX_TO) {
                snprintf(msg, sizeof msg, "%s: at most 64 --to addressees", verb);
                return cli_usage_error(verb, msg);
            }
            a->to[a->nto++] = v;
            continue;
        }
        snprintf(msg, sizeof msg, "%s: unexpected argument '%s'", verb, argv[i]);
        return cli_usage_error(verb, msg);
    }
    if (a->incident == NULL || a->ref_text == NULL || cli_parse_u64(a->ref_text, &a->ref) != 0 ||
        a->ref == 0) {
        snprintf(msg, sizeof msg, "%s needs --incident and --ref N (N >= 1)", verb);
        return cli_usage_error(verb, msg);
    }
    return 0;
}

/* Connect, find the digest of the record, run the request, report. */
static int
run(struct cli_conn *cc, const char *what, const struct share_args *a, int kind) {
    struct irbus_receipt r;
    uint8_t hash[32];
    int rc, status;

    if ((status = cli_conn_open(cc, what)) != CLI_EX_OK) {
        return status;
    }
    if ((rc = ref_digest(cc->client, a->incident, a->ref, hash)) != 0) {
        return cli_request_fail(cc, what, rc);
    }
    if (kind == 0) {
        struct irbus_forward f = {a->incident, a->ref, hash,  a->channel,
                                  a->tlp,      a->pap, a->to, a->nto};
        rc = irbus_forward(cc->client, &f, &r);
    } else if (kind == 1) {
        rc = irbus_share_request(cc->client, a->incident, a->ref, hash, a->to, a->nto, &r);
    } else {
        rc = irbus_share_grant(cc->client, a->incident, a->ref, hash, a->to, a->nto, &r);
    }
    if (rc != 0) {
        return cli_request_fail(cc, what, rc);
    }
    return cli_receipt_done(cc, what, &r);
}

int
cmd_forward(int argc, char **argv) {
    struct cli_conn cc;
    struct share_args a;
    int status;

    memset(&cc, 0, sizeof cc);
    memset(&a, 0, sizeof a);
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            forward_usage(stdout);
            return CLI_EX_OK;
        }
    }
    if ((status = parse("forward", argc, argv, 1, &cc, &a, 1)) != 0) {
        return status;
    }
    if (a.channel == NULL || a.tlp == NULL) {
        return cli_usage_error("forward", "forward needs --channel and --tlp");
    }
    status = run(&cc, "forward", &a, 0);
    cli_conn_close(&cc);
    return status;
}

int
cmd_share(int argc, char **argv) {
    struct cli_conn cc;
    struct share_args a;
    int status, kind;

    memset(&cc, 0, sizeof cc);
    memset(&a, 0, sizeof a);
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            share_usage(stdout);
            return CLI_EX_OK;
        }
    }
    if (argc < 2 || (strcmp(argv[1], "request") != 0 && strcmp(argv[1], "grant") != 0)) {
        return cli_usage_error("share", "share needs 'request' or 'grant'");
    }
    kind = strcmp(argv[1], "request") == 0 ? 1 : 2;
    if ((status = parse("share", argc, argv, 2, &cc, &a, 0)) != 0) {
        return status;
    }
    if (a.nto == 0) {
        return cli_usage_error("share", "share needs at least one --to");
    }
    status = run(&cc, kind == 1 ? "share request" : "share grant", &a, kind);
    cli_conn_close(&cc);
    return status;
}
