/*
 * cmd_incident.c - `irbus incident`: incident commands (open, parties,
 * SPOC handover, coordinators, lifecycle state). Each is signed, recorded
 * in the incident's own log and answered with a receipt that is printed
 * and saved like a publication's.
 */
#include "cli.h"

#include <irbus.h>

#include <stdio.h>
#include <string.h>

#define MAX_POS 4

static void
incident_usage(FILE *f) {
    fprintf(f,
            "usage: irbus incident open ID --title TEXT [--regime REGIME]\n"
            "       irbus incident party-add ID ORG ROLE [--spoc PARTICIPANT]\n"
            "       irbus incident party-remove ID ORG\n"
            "       irbus incident spoc ID ORG PARTICIPANT\n"
            "       irbus incident coord-add ID PARTICIPANT\n"
            "       irbus incident state ID STATE\n"
            "       (each with [connection options])\n"
            "\n"
            "Change an incident. The receipt is printed and saved as DIR/ID/N.json.\n"
            "\n"
            "  open ID --title TEXT      open an incident; you become its coordinator\n"
            "    --regime REGIME         nis2 (default), nis2-tsp, dora, ccv or none\n"
            "  party-add ID ORG ROLE     add an organisation as affected, ir_provider,\n"
            "                            csirt or regulator (coordinators only)\n"
            "    --spoc PARTICIPANT      its single point of contact\n"
            "  party-remove ID ORG       remove a party (coordinators only)\n"
            "  spoc ID ORG PARTICIPANT   hand ORG's SPOC role to PARTICIPANT (the\n"
            "                            current SPOC or a coordinator)\n"
            "  coord-add ID PARTICIPANT  add a coordinator (coordinators only)\n"
            "  state ID STATE            open, contained, recovered or closed\n"
            "  --help                    show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

int
cmd_incident(int argc, char **argv) {
    struct cli_conn cc;
    struct irbus_receipt r;
    const char *pos[MAX_POS], *title = NULL, *regime = NULL, *spoc = NULL, *sub;
    int npos = 0, rc, status;
    char msg[512], what[64];

    memset(&cc, 0, sizeof cc);
    if (argc < 2) {
        incident_usage(stderr);
        return CLI_EX_USAGE;
    }
    if (cli_is_help(argv[1])) {
        incident_usage(stdout);
        return CLI_EX_OK;
    }
    sub = argv[1];
    for (int i = 2; i < argc; i++) {
        int t;

        if (cli_is_help(argv[i])) {
            incident_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = cli_conn_option("incident", argc, argv, &i, &cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--title", &title)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--regime", &regime)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--spoc", &spoc)) != 0) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "incident: %s needs a value", argv[i]);
                return cli_usage_error("incident", msg);
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            snprintf(msg, sizeof msg, "incident: unknown option '%s'", argv[i]);
            return cli_usage_error("incident", msg);
        }
        if (npos == MAX_POS) {
            return cli_usage_error("incident", "incident: too many arguments");
        }
        pos[npos++] = argv[i];
    }

#define NEED(n, text)                                                                              \
    do {                                                                                           \
        if (npos != (n)) {                                                                         \
            return cli_usage_error("incident", "incident " text);                                  \
        }                                                                                          \
    } while (0)

    if (strcmp(sub, "open") == 0) {
        NEED(1, "open needs ID (and --title TEXT)");
        if (title == NULL) {
            return cli_usage_error("incident", "incident open needs --title TEXT");
        }
    } else if (strcmp(sub, "party-add") == 0) {
        NEED(3, "party-add needs ID ORG ROLE");
    } else if (strcmp(sub, "party-remove") == 0) {
        NEED(2, "party-remove needs ID ORG");
    } else if (strcmp(sub, "spoc") == 0) {
        NEED(3, "spoc needs ID ORG PARTICIPANT");
    } else if (strcmp(sub, "coord-add") == 0) {
        NEED(2, "coord-add needs ID PARTICIPANT");
    } else if (strcmp(sub, "state") == 0) {
        NEED(2, "state needs ID STATE");
    } else {
        snprintf(msg, sizeof msg, "incident: unknown subcommand '%s'", sub);
        return cli_usage_error("incident", msg);
    }
#undef NEED
    if ((title != NULL || regime != NULL) && strcmp(sub, "open") != 0) {
        return cli_usage_error("incident", "incident: --title and --regime belong to open");
    }
    if (spoc != NULL && strcmp(sub, "party-add") != 0) {
        return cli_usage_error("incident", "incident: --spoc belongs to party-add");
    }

    if ((status = cli_conn_open(&cc, "incident")) != CLI_EX_OK) {
        goto out;
    }
    if (strcmp(sub, "open") == 0) {
        rc = irbus_incident_open(cc.client, pos[0], title, regime != NULL ? regime : "nis2", &r);
    } else if (strcmp(sub, "party-add") == 0) {
        rc = irbus_incident_party_add(cc.client, pos[0], pos[1], pos[2], spoc, &r);
    } else if (strcmp(sub, "party-remove") == 0) {
        rc = irbus_incident_party_remove(cc.client, pos[0], pos[1], &r);
    } else if (strcmp(sub, "spoc") == 0) {
        rc = irbus_incident_spoc_handover(cc.client, pos[0], pos[1], pos[2], &r);
    } else if (strcmp(sub, "coord-add") == 0) {
        rc = irbus_incident_coord_add(cc.client, pos[0], pos[1], &r);
    } else {
        rc = irbus_incident_state_set(cc.client, pos[0], pos[1], &r);
    }
    snprintf(what, sizeof what, "incident %s", sub);
    if (rc != 0) {
        status = cli_request_fail(&cc, what, rc);
        goto out;
    }
    status = cli_receipt_done(&cc, what, &r);
out:
    cli_conn_close(&cc);
    return status;
}
