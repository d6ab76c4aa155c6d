/*
 * 45-reset.c - a subscriber whose connection is lost (here: the broker is
 * killed with SIGKILL and started again) learns it: irbus_receive reports
 * IRBUS_ERESET once, the old subscription is forgotten on both sides, and
 * subscribing again from the sequence after the last one received gives
 * every later message exactly once, in order.
 * Usage: 45-reset IRBUSD
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct broker br;

static void
publish_n(irbus_key *k, int first, int n) {
    irbus_client *c = connect_as(&br, k);
    char text[32];

    CHECK(c != NULL);
    irbus_client_set_timeout(c, 10000);
    for (int i = first; c != NULL && i < first + n; i++) {
        struct irbus_publish m = {"INC-R", "status", "GREEN",      NULL, NULL,
                                  NULL,    0,        "text/plain", text, 0};
        struct irbus_receipt r;
        m.payload_len = (size_t)snprintf(text, sizeof text, "message %d", i);
        CHECK_EQ(irbus_publish(c, &m, &r), 0);
    }
    irbus_client_destroy(&c);
}

/* Receive until a timeout or another error; check each is the next
 * message. Returns the last code. */
static int
receive_in_order(irbus_client *c, int *next, uint64_t *last_seq) {
    irbus_message *m = NULL;
    char want[32];
    int rc;

    while ((rc = irbus_receive(c, 1500, &m)) == 0) {
        if (strcmp(m->kind, "msg") == 0) {
            int n = snprintf(want, sizeof want, "message %d", *next);
            CHECK_EQ(m->payload_len, (size_t)n);
            CHECK(m->payload_len == (size_t)n && memcmp(m->payload, want, (size_t)n) == 0);
            (*next)++;
        }
        CHECK(m->seq > *last_seq);
        *last_seq = m->seq;
        irbus_message_destroy(&m);
    }
    return rc;
}

int
main(int argc, char **argv) {
    irbus_key *op, *pubk, *subk;
    irbus_client *s;
    uint64_t last = 0;
    int next = 0, rc;

    if (harness_begin(&br, argc, argv, NULL) != 0) {
        return 64;
    }
    op = make_key(&br, "op", 0xa0);
    pubk = make_key(&br, "pub", 1);
    subk = make_key(&br, "sub", 2);
    CHECK_EQ(roster_setup(&br, op, "acme", "Acme", 2, (const char *const[]){"pub@acme", "sub@acme"},
                          (irbus_key *const[]){pubk, subk}),
             0);
    {
        irbus_client *c = connect_as(&br, pubk);
        CHECK(c != NULL);
        CHECK_EQ(irbus_incident_open(c, "INC-R", "reset", "none", NULL), 0);
        CHECK_EQ(irbus_incident_party_add(c, "INC-R", "acme", "affected", NULL, NULL), 0);
        irbus_client_destroy(&c);
    }

    s = connect_as(&br, subk);
    CHECK(s != NULL);
    irbus_client_set_timeout(s, 10000);
    CHECK_EQ(irbus_subscribe(s, "INC-R", "status", IRBUS_FROM_START, 64, NULL), 0);
    publish_n(pubk, 0, 10);
    CHECK_EQ(receive_in_order(s, &next, &last), IRBUS_ETIMEOUT);
    CHECK_EQ(next, 10);

    /* The connection is lost: the broker dies and comes back. */
    broker_stop(&br, SIGKILL);
    CHECK_EQ(broker_start(&br), 0);
    publish_n(pubk, 10, 10);
    rc = receive_in_order(s, &next, &last);
    CHECK_EQ(rc, IRBUS_ERESET);
    CHECK_EQ(next, 10); /* nothing of the old subscription after the loss */
    CHECK_EQ(irbus_receive(s, 500, &(irbus_message *){NULL}), IRBUS_ETIMEOUT); /* said once */

    /* Subscribing again from after the last one seen continues exactly. */
    CHECK_EQ(irbus_subscribe(s, "INC-R", "status", last + 1, 64, NULL), 0);
    publish_n(pubk, 20, 5);
    CHECK_EQ(receive_in_order(s, &next, &last), IRBUS_ETIMEOUT);
    CHECK_EQ(next, 25);
    printf("reset: reported once after the broker's restart; resumed from seq %llu, all 25 "
           "messages once, in order\n",
           (unsigned long long)last);
    irbus_client_destroy(&s);
    irbus_key_destroy(&op);
    irbus_key_destroy(&pubk);
    irbus_key_destroy(&subk);
    broker_cleanup(&br);
    return check_done("45-reset");
}
