/*
 * cmd_sub.c - reading an incident: `irbus sub` (history then live
 * delivery), `irbus history` (stored messages, page by page) and
 * `irbus ack` (the read receipt).
 *
 * Every message printed has been verified by the library against its
 * sender's signature; one that does not verify is reported and skipped.
 */
#include "cli.h"

#include <irbus.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALL_CHANNELS   "status,coordination,findings,notifications,internal"
#define DEFAULT_WINDOW 256
#define DEFAULT_IDLE   2000

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void
sub_usage(FILE *f) {
    fprintf(f,
            "usage: irbus sub --incident ID --channels LIST [--from N|all|new]\n"
            "                 [--follow] [--idle MS] [--json] [--ack] [connection options]\n"
            "\n"
            "Subscribe to channels of an incident and print each message: first the\n"
            "stored ones from --from, then new ones as they arrive, without a gap or\n"
            "a duplicate. Without --follow it stops after --idle ms without a message;\n"
            "with --follow it runs until interrupted (SIGINT or SIGTERM).\n"
            "\n"
            "  --incident ID    the incident\n"
            "  --channels LIST  comma-separated: status, coordination, findings,\n"
            "                   notifications, internal (or 'all': those you may read)\n"
            "  --from WHERE     a sequence number, 'all' (default: the whole history)\n"
            "                   or 'new' (only messages stored from now on)\n"
            "  --follow         keep running and print messages as they arrive\n"
            "  --idle MS        without --follow, stop after MS ms of silence (2000)\n"
            "  --window N       deliveries in flight, 1 to 65536 (256)\n"
            "  --json           one JSON object per line instead of text\n"
            "  --ack            record each message as read after printing it\n"
            "  --help           show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

static void
history_usage(FILE *f) {
    fprintf(f,
            "usage: irbus history --incident ID [--channels LIST] [--from N] [--until N]\n"
            "                     [--limit N] [--json] [connection options]\n"
            "\n"
            "Print the stored messages of an incident that you may see, oldest first.\n"
            "\n"
            "  --incident ID    the incident\n"
            "  --channels LIST  comma-separated channels (default, or 'all': those of the\n"
            "                   five you may read)\n"
            "  --from N         first sequence number (default 1)\n"
            "  --until N        last sequence number (default: the latest)\n"
            "  --limit N        print at most N messages (default: all)\n"
            "  --json           one JSON object per line instead of text\n"
            "  --help           show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

static void
ack_usage(FILE *f) {
    fprintf(f,
            "usage: irbus ack --incident ID --seq N [connection options]\n"
            "\n"
            "Record at the broker that you have processed the incident up to and\n"
            "including sequence N (your read receipt).\n"
            "\n"
            "  --incident ID    the incident\n"
            "  --seq N          the last sequence number you processed\n"
            "  --help           show this help\n"
            "\n"
            "%s",
            cli_conn_help);
}

/* "all" (or the default): the channels of the five this participant may
 * read in the incident (the broker refuses a request naming one it may
 * not read, 302), found by asking for one record of each. Returns the list
 * to use (s itself, or buf), or NULL with *rc set on another error. */
static const char *
channels_arg(irbus_client *c, const char *incident, const char *s, char *buf, size_t cap, int *rc) {
    static const char *const names[] = {"status", "coordination", "findings", "notifications",
                                        "internal"};
    size_t n = 0;

    if (strcmp(s, "all") != 0 && strcmp(s, ALL_CHANNELS) != 0) {
        return s;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        irbus_message **msgs = NULL;
        size_t got = 0;
        uint64_t next = 0;
        int r = irbus_history(c, incident, names[i], 1, 1, 1, &msgs, &got, &next);
        for (size_t k = 0; k < got; k++) {
            irbus_message_destroy(&msgs[k]);
        }
        free(msgs);
        if (r == IRBUS_ECHANNEL) {
            continue;
        }
        if (r != 0) {
            *rc = r;
            return NULL;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n > 0 ? "," : "", names[i]);
    }
    return buf;
}

static int
install_signals(void) {
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a wait in progress returns, and the loop checks. */
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        return -1;
    }
    return 0;
}

int
cmd_sub(int argc, char **argv) {
    struct cli_conn cc;
    const char *incident = NULL, *channels = NULL, *from_s = "all", *idle_s = NULL,
               *window_s = NULL;
    int follow = 0, json = 0, ack = 0, dropped = 0, rc, status;
    uint64_t from, idle = DEFAULT_IDLE, window = DEFAULT_WINDOW, sub = 0, last_seq = 0;
    char msg[512], chanbuf[sizeof ALL_CHANNELS];
    const char *chans = NULL;

    memset(&cc, 0, sizeof cc);
    for (int i = 1; i < argc; i++) {
        int t;

        if (cli_is_help(argv[i])) {
            sub_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = cli_conn_option("sub", argc, argv, &i, &cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if (strcmp(argv[i], "--follow") == 0) {
            follow = 1;
            continue;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(argv[i], "--ack") == 0) {
            ack = 1;
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--incident", &incident)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--channels", &channels)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--from", &from_s)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--idle", &idle_s)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--window", &window_s)) != 0) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "sub: %s needs a value", argv[i]);
                return cli_usage_error("sub", msg);
            }
            continue;
        }
        snprintf(msg, sizeof msg, "sub: unexpected argument '%s'", argv[i]);
        return cli_usage_error("sub", msg);
    }
    if (incident == NULL || channels == NULL) {
        return cli_usage_error("sub", "sub needs --incident and --channels");
    }
    if (strcmp(from_s, "all") == 0) {
        from = IRBUS_FROM_START;
    } else if (strcmp(from_s, "new") == 0) {
        from = IRBUS_FROM_NEW;
    } else if (cli_parse_u64(from_s, &from) != 0 || from == 0) {
        return cli_usage_error("sub", "sub: --from takes a sequence number (1 or more), "
                                      "'all' or 'new'");
    }
    if (idle_s != NULL && (cli_parse_u64(idle_s, &idle) != 0 || idle > 86400000)) {
        return cli_usage_error("sub", "sub: --idle takes milliseconds");
    }
    if (window_s != NULL &&
        (cli_parse_u64(window_s, &window) != 0 || window < 1 || window > 65536)) {
        return cli_usage_error("sub", "sub: --window takes 1 to 65536");
    }
    if (install_signals() != 0) {
        return cli_fail(IRBUS_EIO, CLI_READING, "sub: cannot install signal handlers", NULL);
    }

    if ((status = cli_conn_open(&cc, "sub")) != CLI_EX_OK) {
        goto out;
    }
    if ((chans = channels_arg(cc.client, incident, channels, chanbuf, sizeof chanbuf, &rc)) ==
        NULL) {
        status = cli_request_fail(&cc, "sub", rc);
        goto out;
    }
    rc = irbus_subscribe(cc.client, incident, chans, from, (uint32_t)window, &sub);
    if (rc != 0) {
        status = cli_request_fail(&cc, "sub", rc);
        goto out;
    }
    /* The loop: wait for a delivery (in slices when following, so a
     * signal is noticed), print it, ack it if asked, repeat. */
    while (!stop_requested) {
        irbus_message *m = NULL;

        rc = irbus_receive(cc.client, follow ? 1000 : (int)idle, &m);
        if (rc == IRBUS_ETIMEOUT) {
            if (follow) {
                continue;
            }
            break;
        }
        if (rc == IRBUS_EIO && errno == EINTR) {
            continue;
        }
        if (rc == IRBUS_ERESET) {
            /* The broker ended the subscription with the connection: take it
             * up again after the last message printed, so nothing is missed
             * or printed twice. */
            uint64_t again = last_seq != 0 ? last_seq + 1 : from;
            fprintf(stderr,
                    "irbus: sub: the connection to the broker was lost; subscribing again from "
                    "#%llu\n",
                    (unsigned long long)again);
            while (!stop_requested &&
                   (rc = irbus_subscribe(cc.client, incident, chans, again, (uint32_t)window,
                                         &sub)) == IRBUS_ETIMEOUT) {
            }
            if (rc != 0 && !stop_requested) {
                status = cli_request_fail(&cc, "sub", rc);
                goto out;
            }
            continue;
        }
        if (rc == IRBUS_EBADSIG) {
            fprintf(stderr, "irbus: sub: dropped a delivery whose signature does not verify "
                            "— tell the broker's operator\n");
            dropped++;
            continue;
        }
        if (rc != 0) {
            status = cli_request_fail(&cc, "sub", rc);
            goto out;
        }
        cli_print_message(m, json);
        if (m->seq != 0) {
            last_seq = m->seq;
        }
        if (ack && m->seq != 0) {
            rc = irbus_ack(cc.client, m->incident, m->seq);
            if (rc != 0) {
                snprintf(msg, sizeof msg, "sub: ack of %s #%llu", m->incident,
                         (unsigned long long)m->seq);
                status = cli_request_fail(&cc, msg, rc);
                irbus_message_destroy(&m);
                goto out;
            }
        }
        irbus_message_destroy(&m);
    }
    status = dropped > 0 ? CLI_EX_DATAERR : CLI_EX_OK;
out:
    cli_conn_close(&cc);
    return status;
}

int
cmd_history(int argc, char **argv) {
    struct cli_conn cc;
    const char *incident = NULL, *channels = ALL_CHANNELS, *from_s = NULL, *until_s = NULL,
               *limit_s = NULL;
    uint64_t from = 1, until = 0, limit = 0, printed = 0;
    int json = 0, rc = 0, status;
    char msg[512], chanbuf[sizeof ALL_CHANNELS];
    const char *chans = NULL;

    memset(&cc, 0, sizeof cc);
    for (int i = 1; i < argc; i++) {
        int t;

        if (cli_is_help(argv[i])) {
            history_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = cli_conn_option("history", argc, argv, &i, &cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--incident", &incident)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--channels", &channels)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--from", &from_s)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--until", &until_s)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--limit", &limit_s)) != 0) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "history: %s needs a value", argv[i]);
                return cli_usage_error("history", msg);
            }
            continue;
        }
        snprintf(msg, sizeof msg, "history: unexpected argument '%s'", argv[i]);
        return cli_usage_error("history", msg);
    }
    if (incident == NULL) {
        return cli_usage_error("history", "history needs --incident");
    }
    if ((from_s != NULL && (cli_parse_u64(from_s, &from) != 0 || from == 0)) ||
        (until_s != NULL && (cli_parse_u64(until_s, &until) != 0 || until == 0)) ||
        (limit_s != NULL && (cli_parse_u64(limit_s, &limit) != 0 || limit == 0))) {
        return cli_usage_error("history", "history: --from, --until and --limit take numbers "
                                          "of 1 or more");
    }
    if (until != 0 && until < from) {
        return cli_usage_error("history", "history: --until is before --from");
    }

    if ((status = cli_conn_open(&cc, "history")) != CLI_EX_OK) {
        goto out;
    }
    if ((chans = channels_arg(cc.client, incident, channels, chanbuf, sizeof chanbuf, &rc)) ==
        NULL) {
        status = cli_request_fail(&cc, "history", rc);
        goto out;
    }
    /* Page through: each answer says where to continue; stop when it no
     * longer moves forward, passes --until, or --limit is reached. */
    for (;;) {
        irbus_message **msgs = NULL;
        uint64_t next = 0;
        uint32_t page = 256;
        size_t n = 0;

        if (limit != 0 && limit - printed < page) {
            page = (uint32_t)(limit - printed);
        }
        rc = irbus_history(cc.client, incident, chans, from, until, page, &msgs, &n, &next);
        if (rc != 0) {
            status = cli_request_fail(&cc, "history", rc);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            cli_print_message(msgs[i], json);
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        printed += n;
        if ((limit != 0 && printed >= limit) || next <= from || (until != 0 && next > until)) {
            break;
        }
        from = next;
    }
    status = CLI_EX_OK;
out:
    cli_conn_close(&cc);
    return status;
}

int
cmd_ack(int argc, char **argv) {
    struct cli_conn cc;
    const char *incident = NULL, *seq_s = NULL;
    uint64_t seq = 0;
    int rc, status;
    char msg[512];

    memset(&cc, 0, sizeof cc);
    for (int i = 1; i < argc; i++) {
        int t;

        if (cli_is_help(argv[i])) {
            ack_usage(stdout);
            return CLI_EX_OK;
        }
        if ((t = cli_conn_option("ack", argc, argv, &i, &cc)) != 0) {
            if (t < 0) {
                return CLI_EX_USAGE;
            }
            continue;
        }
        if ((t = cli_take_option(argc, argv, &i, "--incident", &incident)) != 0 ||
            (t = cli_take_option(argc, argv, &i, "--seq", &seq_s)) != 0) {
            if (t < 0) {
                snprintf(msg, sizeof msg, "ack: %s needs a value", argv[i]);
                return cli_usage_error("ack", msg);
            }
            continue;
        }
        snprintf(msg, sizeof msg, "ack: unexpected argument '%s'", argv[i]);
        return cli_usage_error("ack", msg);
    }
    if (incident == NULL || seq_s == NULL) {
        return cli_usage_error("ack", "ack needs --incident and --seq");
    }
    if (cli_parse_u64(seq_s, &seq) != 0 || seq == 0) {
        return cli_usage_error("ack", "ack: --seq takes a sequence number of 1 or more");
    }
    if ((status = cli_conn_open(&cc, "ack")) != CLI_EX_OK) {
        goto out;
    }
    rc = irbus_ack(cc.client, incident, seq);
    if (rc != 0) {
        status = cli_request_fail(&cc, "ack", rc);
        goto out;
    }
    printf("acked incident=%s seq=%llu\n", incident, (unsigned long long)seq);
    status = CLI_EX_OK;
out:
    cli_conn_close(&cc);
    return status;
}
