/*
 * cmd_admin.c - `irbus admin`: roster commands for operators (organisations
 * and participants). Each is signed with the operator's key, recorded in
 * the broker's system log "_system", and answered with a receipt that is
 * printed and saved like a publication's.
 */
#include "cli.h"

#include <irbus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POS 4

static void
admin_usage(FILE *f) {
    fprintf(f,
            "usage: irbus admin org-add ORG KIND NAME\n"
            "       irbus admin participant-add ID ORG PUBKEYFILE [--automated]\n"
            "                                   [--max-pap LABEL]\n"
            "       irbus admin revoke ID\n"
            "       irbus admin rotate ID PUBKEYFILE\n"
            "       irbus admin denials\n"
            "       (each with [connection options])\n"
            "\n"
            "Change the broker's roster. Only keys listed as admin keys in the\n"
            "broker's configuration may. Each change is recorded in the broker's\n"
            "system log; the receipt is printed and saved as DIR/_system/N.json.\n"
            "\n"
            "  org-add ORG KIND NAME     add an organisation; KIND is entity,\n"
            "                            ir_provider, csirt or regulator\n"
            "  participant-add ID ORG PUBKEYFILE\n"
            "                            add a participant with the key in PUBKEYFILE\n"
            "                            (a .pub file) to organisation ORG\n"
            "    --automated             the participant is a bot or pipeline\n"
            "    --max-pap LABEL         the strictest PAP it may act on (CLEAR, GREEN,\n"
            "                            AMBER, RED)\n"
            "  revoke ID                 refuse the participant's key from now on,\n"
            "                            open connections included\n"
            "  rotate ID PUBKEYFILE      replace the participant's key\n"
            "  denials                   list the broker's recent policy denials: a count\n"
            "                            per rule and the last 256, oldest first\n"
            "  --help                    show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

static int
load_pub(const char *path, uint8_t pk[IRBUS_PUBLIC_KEY_BYTES]) {
    char what[512];
    int r = irbus_pubkey_load(path, pk);

    if (r == 0) {
        return CLI_EX_OK;
    }
    snprintf(what, sizeof what, "admin: cannot load the public key %s", path);
    return cli_fail(r, CLI_READING, what,
                    r == IRBUS_EKEYFILE ? "give the participant's public key file (.pub)"
                                        : "check the path and that you may read the file");
}

static int
list_denials(struct cli_conn *cc) {
    char *report = NULL;
    int rc = irbus_admin_denials(cc->client, &report);

    if (rc != 0) {
        return cli_request_fail(cc, "admin denials", rc);
    }
    fputs(report, stdout);
    free(report);
    return CLI_EX_OK;
}

int
cmd_admin(int argc, char **argv) {
    struct cli_conn cc;
    struct irbus_receipt r;
    const char *pos[MAX_POS], *max_pap = NULL, *sub;
    uint8_t pk[IRBUS_PUBLIC_KEY_BYTES];
    int npos = 0, automated = 0, rc, status;
    char msg[512], what[64];

    memset(&cc, 0, sizeof cc);
    if (argc < 2) {
        admin_usage(stderr);
        return CLI_EX_USAGE;
    }
    if (cli_is_help(argv[1])) {
        admin_usage(stdout);
        return CLI_EX_OK;
    }
    sub = argv[1];
    for (int i = 2; i < argc; i++) {
        int t;

        if (cli_is_help(argv[i])) {
            admin_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = cli_conn_option("admin", argc, argv, &i, &cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if (strcmp(argv[i], "--automated") == 0) {
            automated = 1;
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--max-pap", &max_pap)) != 0) {
            if (t < 0) {
                return cli_usage_error("admin", "admin: --max-pap needs a value");
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            snprintf(msg, sizeof msg, "admin: unknown option '%s'", argv[i]);
            return cli_usage_error("admin", msg);
        }
        if (npos == MAX_POS) {
            return cli_usage_error("admin", "admin: too many arguments");
        }
        pos[npos++] = argv[i];
    }

#define NEED(n, text)                                                                              \
    do {                                                                                           \
        if (npos != (n)) {                                                                         \
            return cli_usage_error("admin", "admin " text);                                        \
        }                                                                                          \
    } while (0)

    if (strcmp(sub, "org-add") == 0) {
        NEED(3, "org-add needs ORG KIND NAME");
    } else if (strcmp(sub, "participant-add") == 0) {
        NEED(3, "participant-add needs ID ORG PUBKEYFILE");
        if ((status = load_pub(pos[2], pk)) != CLI_EX_OK) {
            return status;
        }
    } else if (strcmp(sub, "revoke") == 0) {
        NEED(1, "revoke needs ID");
    } else if (strcmp(sub, "rotate") == 0) {
        NEED(2, "rotate needs ID PUBKEYFILE");
        if ((status = load_pub(pos[1], pk)) != CLI_EX_OK) {
            return status;
        }
    } else if (strcmp(sub, "denials") == 0) {
        NEED(0, "denials takes no arguments");
    } else {
        snprintf(msg, sizeof msg, "admin: unknown subcommand '%s'", sub);
        return cli_usage_error("admin", msg);
    }
#undef NEED
    if ((automated || max_pap != NULL) && strcmp(sub, "participant-add") != 0) {
        return cli_usage_error("admin", "admin: --automated and --max-pap belong to "
                                        "participant-add");
    }

    if ((status = cli_conn_open(&cc, "admin")) != CLI_EX_OK) {
        goto out;
    }
    if (strcmp(sub, "denials") == 0) {
        status = list_denials(&cc);
        goto out;
    }
    if (strcmp(sub, "org-add") == 0) {
        rc = irbus_admin_org_add(cc.client, pos[0], pos[1], pos[2], &r);
    } else if (strcmp(sub, "participant-add") == 0) {
        rc = irbus_admin_participant_add(cc.client, pos[0], pos[1], pk, automated, max_pap, &r);
    } else if (strcmp(sub, "revoke") == 0) {
        rc = irbus_admin_participant_revoke(cc.client, pos[0], &r);
    } else {
        rc = irbus_admin_participant_rotate(cc.client, pos[0], pk, &r);
    }
    snprintf(what, sizeof what, "admin %s", sub);
    if (rc != 0) {
        status = cli_request_fail(&cc, what, rc);
        goto out;
    }
    status = cli_receipt_done(&cc, what, &r);
out:
    cli_conn_close(&cc);
    return status;
}
