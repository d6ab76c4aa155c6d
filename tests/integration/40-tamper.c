/*
 * 40-tamper.c - a broker that finds its history altered refuses to serve it:
 * one byte of a stored message changed in the LMDB file (as someone with
 * access to the files could) makes that incident answer 502 to reads and
 * publishes after a restart, while other incidents keep working; an altered
 * system log (the roster) stops the broker from starting at all, and so
 * does a store in an earlier irbusd's format (exit 71).
 * Usage: 40-tamper IRBUSD
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"

#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct broker br;

static int
publish(irbus_client *c, const char *incident, const char *text) {
    struct irbus_publish m = {incident, "status", "GREEN",      NULL, NULL,
                              NULL,     0,        "text/plain", text, strlen(text)};
    struct irbus_receipt r;

    return irbus_publish(c, &m, &r);
}

/* Change one byte of every occurrence of `needle` in the store's data file
 * (LMDB copies pages on write, so older copies of a record may linger in
 * free pages; the live one is among them). Returns how many were changed. */
static int
alter(const char *needle) {
    char path[400];
    uint8_t *data;
    size_t len, nl = strlen(needle);
    FILE *f;
    int n = 0;

    snprintf(path, sizeof path, "%s/store/data.mdb", br.data);
    if ((data = check_read_file(path, &len)) == NULL) {
        return 0;
    }
    for (size_t i = 0; i + nl <= len; i++) {
        if (memcmp(data + i, needle, nl) == 0) {
            data[i + nl - 1] ^= 0x01;
            n++;
        }
    }
    if (n > 0 &&
        ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)) {
        n = 0;
    }
    free(data);
    return n;
}

static int
history_rc(irbus_client *c, const char *incident) {
    irbus_message **msgs = NULL;
    size_t n = 0;
    uint64_t next = 0;
    int rc = irbus_history(c, incident, "status", 1, 0, 100, &msgs, &n, &next);

    for (size_t i = 0; i < n; i++) {
        irbus_message_destroy(&msgs[i]);
    }
    free(msgs);
    return rc;
}

/* 1 if the broker's log holds `needle`. */
static int
log_has(const char *needle) {
    char log[400];
    uint8_t *text;
    size_t len;
    int found;

    snprintf(log, sizeof log, "%s/irbusd.log", br.dir);
    if ((text = check_read_file(log, &len)) == NULL || len == 0) {
        free(text);
        return 0;
    }
    text[len - 1] = 0;
    found = strstr((char *)text, needle) != NULL;
    free(text);
    return found;
}

int
main(int argc, char **argv) {
    irbus_key *op, *k;
    irbus_client *c;
    char text[64];

    if (harness_begin(&br, argc, argv, NULL) != 0) {
        return 64;
    }
    op = make_key(&br, "op", 0xa0);
    k = make_key(&br, "p", 7);
    CHECK_EQ(
        roster_setup(&br, op, "acme", "Acme Roster Org", 1, (const char *const[]){"p@acme"}, &k),
        0);
    c = connect_as(&br, k);
    CHECK(c != NULL);
    for (int i = 0; i < 2; i++) {
        const char *inc = i == 0 ? "INC-A" : "INC-B";
        CHECK_EQ(irbus_incident_open(c, inc, "tamper", "none", NULL), 0);
        CHECK_EQ(irbus_incident_party_add(c, inc, "acme", "affected", NULL, NULL), 0);
        for (int j = 0; j < 5; j++) {
            snprintf(text, sizeof text, "%s message %d as sent", inc, j);
            CHECK_EQ(publish(c, inc, text), 0);
        }
    }
    irbus_client_destroy(&c);
    broker_stop(&br, SIGTERM);

    /* One byte of one message of INC-A, changed on disk. */
    CHECK(alter("INC-A message 3 as sent") > 0);
    CHECK_EQ(broker_start(&br), 0);
    c = connect_as(&br, k);
    CHECK(c != NULL);
    CHECK_EQ(history_rc(c, "INC-A"), IRBUS_ECORRUPT);
    CHECK_EQ(publish(c, "INC-A", "after the tampering"), IRBUS_ECORRUPT);
    CHECK_EQ(history_rc(c, "INC-B"), 0);
    CHECK_EQ(publish(c, "INC-B", "still served"), 0);
    irbus_client_destroy(&c);
    broker_stop(&br, SIGTERM);
    printf("altered message: its incident answers 502, the other is served\n");

    /* The roster's log altered: the broker refuses to start. */
    CHECK(alter("Acme Roster Org") > 0);
    CHECK_EQ(broker_start(&br), -1);
    CHECK(log_has("chain_does_not_verify log=_system"));
    printf("altered roster log: irbusd refuses to start\n");

    /* A store of an earlier irbusd's format (a "records" database, no
     * format mark): refused with exit 71 and a message that says so. */
    {
        char store[400], cmd[900];
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi dbi;
        snprintf(store, sizeof store, "%s/store", br.data);
        snprintf(cmd, sizeof cmd, "rm -f %s/data.mdb %s/lock.mdb", store, store);
        CHECK_EQ(system(cmd), 0);
        CHECK_EQ(mdb_env_create(&env), 0);
        CHECK_EQ(mdb_env_set_maxdbs(env, 8), 0);
        CHECK_EQ(mdb_env_open(env, store, 0, 0600), 0);
        CHECK_EQ(mdb_txn_begin(env, NULL, 0, &txn), 0);
        CHECK_EQ(mdb_dbi_open(txn, "records", MDB_CREATE, &dbi), 0);
        CHECK_EQ(mdb_txn_commit(txn), 0);
        mdb_env_close(env);
        CHECK_EQ(broker_start(&br), -1);
        CHECK_EQ(br.exited, 71);
        CHECK(log_has("before store format 2"));
        printf("store of an earlier format: irbusd refuses it, exit 71\n");
    }
    irbus_key_destroy(&k);
    irbus_key_destroy(&op);
    broker_cleanup(&br);
    return check_done("40-tamper");
}
