/*
 * 25-sync-failure.c - a commit whose fsync fails is never acknowledged and
 * stops the broker: with an LD_PRELOAD shim that makes fsync and fdatasync
 * fail with EIO (as a dying disk does), a publish gets no receipt, irbusd
 * exits with status 74, and after a restart on a healthy disk the log ends
 * at the last receipted record, its chain intact, and the next publish
 * continues the sequence without a gap.
 * Usage: 25-sync-failure IRBUSD SHIM
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct broker br;

static int
publish(irbus_client *c, const char *text, struct irbus_receipt *r) {
    struct irbus_publish m = {"INC-S", "status", "GREEN",      NULL, NULL,
                              NULL,    0,        "text/plain", text, strlen(text)};

    return irbus_publish(c, &m, r);
}

/* Start the broker with the shim preloaded; only the child sees it. */
static int
start_with_shim(const char *shim, const char *trigger) {
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    int rc;

    /* An ASan build wants its runtime first in the library list. */
    snprintf(opts, sizeof opts, "%s%sverify_asan_link_order=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    setenv("LD_PRELOAD", shim, 1);
    setenv("IRB_FAIL_SYNC_FILE", trigger, 1);
    rc = broker_start(&br);
    unsetenv("LD_PRELOAD");
    if (asan != NULL) {
        setenv("ASAN_OPTIONS", asan, 1);
    } else {
        unsetenv("ASAN_OPTIONS");
    }
    return rc;
}

int
main(int argc, char **argv) {
    irbus_key *op, *k;
    irbus_client *c;
    struct irbus_receipt r, last;
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next = 0;
    char trigger[400], text[64];
    FILE *t;

    if (argc < 3) {
        fprintf(stderr, "usage: %s IRBUSD SHIM\n", argv[0]);
        return 64;
    }
    CHECK_EQ(irbus_init(), 0);
    CHECK_EQ(broker_init(&br, argv[1], NULL), 0);
    snprintf(trigger, sizeof trigger, "%s/fail-sync", br.dir);
    CHECK_EQ(start_with_shim(argv[2], trigger), 0);
    op = make_key(&br, "op", 0xa0);
    k = make_key(&br, "p", 7);
    CHECK_EQ(roster_setup(&br, op, "acme", "Acme", 1, (const char *const[]){"p@acme"}, &k), 0);
    c = connect_as(&br, k);
    CHECK(c != NULL);
    irbus_client_set_timeout(c, 3000);
    CHECK_EQ(irbus_incident_open(c, "INC-S", "sync failure", "none", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, "INC-S", "acme", "affected", NULL, NULL), 0);
    memset(&last, 0, sizeof last);
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof text, "before %d", i);
        CHECK_EQ(publish(c, text, &last), 0);
    }

    /* The disk starts failing: no receipt, and the broker stops with 74. */
    t = fopen(trigger, "w");
    CHECK(t != NULL);
    if (t != NULL) {
        fclose(t);
    }
    memset(&r, 0, sizeof r);
    CHECK(publish(c, "while the disk fails", &r) != 0);
    CHECK_EQ(r.seq, 0);
    CHECK_EQ(broker_wait_exit(&br, 10000), 74);
    irbus_client_destroy(&c);

    /* A healthy disk again: the log ends at the last receipt. */
    CHECK_EQ(unlink(trigger), 0);
    CHECK_EQ(start_with_shim(argv[2], trigger), 0);
    c = connect_as(&br, k);
    CHECK(c != NULL);
    irbus_client_set_timeout(c, 3000);
    CHECK_EQ(irbus_history(c, "INC-S", "status", last.seq, 0, 10, &msgs, &n, &next), 0);
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK_EQ(msgs[0]->seq, last.seq);
        CHECK(memcmp(msgs[0]->payload, "before 4", 8) == 0);
    }
    CHECK_EQ(next, last.seq + 1);
    for (size_t i = 0; i < n; i++) {
        irbus_message_destroy(&msgs[i]);
    }
    free(msgs);
    CHECK_EQ(publish(c, "after", &r), 0);
    CHECK_EQ(r.seq, last.seq + 1);
    CHECK_EQ(irbus_receipt_verify(&r, br.pk), 0);
    printf("fsync failure: no receipt, exit 74, log ends at seq %llu, next is %llu\n",
           (unsigned long long)last.seq, (unsigned long long)r.seq);
    irbus_client_destroy(&c);
    irbus_key_destroy(&k);
    irbus_key_destroy(&op);
    broker_cleanup(&br);
    return check_done("25-sync-failure");
}
