/*
 * 32-pipeline.c - pipelined publishing against the real broker.
 *
 * 1,000 publishes with the pipeline kept full all get receipts that verify,
 * with distinct sequence numbers that increase in the order of sending and
 * leave no gap; a refusal in the middle of a pipeline comes back with its
 * own token and disturbs none of the others; deliveries, a synchronous
 * publish, history and an ack on the same client while publishes are in
 * flight lose nothing; kill -9 of the broker with publishes in flight
 * reports each of them IRBUS_ERESET (well before the client's timeout),
 * every publish that got a receipt is in the history after the restart,
 * and none sent while the broker was stopped is; 1,000 more beside a
 * replay of thousands of records on the same connection all get their
 * receipts. The broker never logs `answer_dropped`.
 * Usage: 32-pipeline IRBUSD
 */
#include "check.h"
#include "harness.h"

#include "irbus.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define INCIDENT "INC-P"
#define MAX_SEQ  4096

static struct broker br;
/* read_history: which stored records came with a batch proof */
static unsigned char batched[MAX_SEQ];

/* What became of one pipelined publish. */
struct outcome {
    uint64_t token;
    int status; /* 1 until its result arrives */
    struct irbus_receipt r;
    char text[32];
};

static long
ms_since(const struct timespec *t0) {
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Take one result and record it against the publish whose token it
 * carries; every token must be one of ours, reported once. Returns
 * irbus_publish_result's code. */
static int
collect(irbus_client *c, struct outcome *o, size_t n, int timeout_ms) {
    struct irbus_receipt r;
    uint64_t token = 0;
    int status = 0, rc;

    memset(&r, 0, sizeof r);
    rc = irbus_publish_result(c, timeout_ms, &token, &status, &r);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (o[i].token == token) {
            CHECK_EQ(o[i].status, 1); /* not reported before */
            o[i].status = status;
            o[i].r = r;
            return 0;
        }
    }
    CHECK(!"a result for a token never handed out");
    return 0;
}

/* Publish o[i].text to incident inc(i) for i in [from, to), keeping the
 * pipeline full: a send refused with IRBUS_ELIMIT waits for one result. */
static void
send_range(irbus_client *c, struct outcome *o, size_t from, size_t to, const char *phase,
           size_t bad) {
    for (size_t i = from; i < to; i++) {
        struct irbus_publish m = {i == bad ? "INC-NOPE" : INCIDENT,
                                  "status",
                                  "GREEN",
                                  NULL,
                                  NULL,
                                  NULL,
                                  0,
                                  "text/plain",
                                  o[i].text,
                                  0};
        int rc;
        m.payload_len = (size_t)snprintf(o[i].text, sizeof o[i].text, "%s %zu", phase, i);
        o[i].status = 1;
        while ((rc = irbus_publish_send(c, &m, &o[i].token)) == IRBUS_ELIMIT) {
            CHECK_EQ(collect(c, o, to, 10000), 0);
        }
        CHECK_EQ(rc, 0);
        CHECK(o[i].token != 0);
    }
}

/* Collect every result still due. */
static void
drain(irbus_client *c, struct outcome *o, size_t n) {
    int rc;

    while ((rc = collect(c, o, n, 10000)) == 0) {
    }
    CHECK_EQ(rc, IRBUS_ENOTFOUND);
}

/* Receipts of o[0..n) except `bad` verify, are for the incident, and
 * number the records one after another in the order they were sent. */
static void
check_receipts(const struct outcome *o, size_t n, size_t bad) {
    uint64_t prev = 0;
    size_t ok = 0;

    for (size_t i = 0; i < n; i++) {
        if (i == bad) {
            continue;
        }
        CHECK_EQ(o[i].status, 0);
        if (o[i].status != 0) {
            continue;
        }
        CHECK_EQ(irbus_receipt_verify(&o[i].r, br.pk), 0);
        CHECK(strcmp(o[i].r.incident, INCIDENT) == 0);
        if (prev != 0) {
            CHECK_EQ(o[i].r.seq, prev + 1);
        }
        prev = o[i].r.seq;
        ok++;
    }
    CHECK_EQ(ok, n - (bad < n ? 1 : 0));
}

/* 1 when every thread of process pid is stopped (state T). */
static int
all_stopped(pid_t pid) {
    char path[64], file[400], buf[512], *p;
    struct dirent *de;
    int stopped = 1;
    DIR *d;

    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    if ((d = opendir(path)) == NULL) {
        return 0;
    }
    while (stopped && (de = readdir(d)) != NULL) {
        FILE *f;
        size_t n;
        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(file, sizeof file, "%s/%s/stat", path, de->d_name);
        if ((f = fopen(file, "r")) == NULL) {
            continue; /* a thread that just ended */
        }
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        stopped = (p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'T';
    }
    closedir(d);
    return stopped;
}

/* Stop the broker (SIGSTOP) and wait until none of its threads runs. */
static void
broker_freeze(pid_t pid) {
    kill(pid, SIGSTOP);
    for (int i = 0; i < 500; i++) {
        if (all_stopped(pid)) {
            return;
        }
        usleep(2000);
    }
    CHECK(!"the broker did not stop");
}

/* The incident's stored payloads by sequence number, read back with
 * history (every record verified by the library). */
static char **
read_history(irbus_client *c) {
    char **stored = calloc(MAX_SEQ, sizeof *stored);
    uint64_t from = 1, next = 0;

    CHECK(stored != NULL);
    for (;;) {
        irbus_message **msgs = NULL;
        size_t n = 0;
        CHECK_EQ(irbus_history(c, INCIDENT, "status", from, 0, 256, &msgs, &n, &next), 0);
        for (size_t i = 0; i < n; i++) {
            if (stored != NULL && msgs[i]->seq < MAX_SEQ) {
                stored[msgs[i]->seq] = strndup((char *)msgs[i]->payload, msgs[i]->payload_len);
                batched[msgs[i]->seq] = msgs[i]->proof_len > 0;
            }
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
        if (n == 0) {
            return stored;
        }
        from = next;
    }
}

/* Receive until nothing comes for 2 s; every message's sequence above the
 * one before. Returns how many came; *last is the last sequence. */
static int
receive_all(irbus_client *c, uint64_t *last) {
    irbus_message *m = NULL;
    int n = 0, rc;

    *last = 0;
    while ((rc = irbus_receive(c, 2000, &m)) == 0) {
        CHECK(m->seq > *last);
        *last = m->seq;
        n++;
        irbus_message_destroy(&m);
    }
    CHECK_EQ(rc, IRBUS_ETIMEOUT);
    return n;
}

static int
count_log_lines(const char *what) {
    char path[400], line[1024];
    int n = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/irbusd.log", br.dir);
    if ((f = fopen(path, "r")) == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        n += strstr(line, what) != NULL;
    }
    fclose(f);
    return n;
}

int
main(int argc, char **argv) {
    static struct outcome a[1000], b[101], d[200], k[400];
    irbus_key *op, *pubk;
    irbus_client *c;
    struct irbus_publish sync = {INCIDENT, "status", "GREEN",      NULL,   NULL,
                                 NULL,     0,        "text/plain", "sync", 4};
    struct irbus_receipt sr;
    struct timespec t0;
    char **stored;
    size_t nk, stopped_from, reset = 0, present = 0;
    uint64_t sub = 0, last = 0;
    long noticed_ms;
    int got = 0;

    if (harness_begin(&br, argc, argv, NULL) != 0) {
        return 64;
    }
    op = make_key(&br, "op", 0xa0);
    pubk = make_key(&br, "pub", 1);
    CHECK_EQ(roster_setup(&br, op, "acme", "Acme", 1, (const char *const[]){"pub@acme"},
                          (irbus_key *const[]){pubk}),
             0);
    c = connect_as(&br, pubk);
    CHECK(c != NULL);
    if (c == NULL) {
        goto out;
    }
    irbus_client_set_timeout(c, 20000);
    CHECK_EQ(irbus_incident_open(c, INCIDENT, "pipeline", "none", NULL), 0);
    CHECK_EQ(irbus_incident_party_add(c, INCIDENT, "acme", "affected", NULL, NULL), 0);

    /* 1,000 with the pipeline full. */
    send_range(c, a, 0, 1000, "a", SIZE_MAX);
    drain(c, a, 1000);
    check_receipts(a, 1000, SIZE_MAX);

    /* A refusal in the middle: its own token, its own code and text. */
    send_range(c, b, 0, 101, "b", 50);
    drain(c, b, 101);
    CHECK_EQ(b[50].status, IRBUS_ENOTFOUND);
    check_receipts(b, 101, 50);
    CHECK_EQ(b[51].r.seq, b[49].r.seq + 1);
    CHECK_EQ(b[0].r.seq, a[999].r.seq + 1);

    /* Deliveries and synchronous calls on the same client while publishes
     * are in flight: nothing is lost, every answer goes where it belongs. */
    CHECK_EQ(irbus_subscribe(c, INCIDENT, "status", IRBUS_FROM_NEW, 1000, &sub), 0);
    send_range(c, d, 0, 100, "d", SIZE_MAX);
    CHECK_EQ(irbus_publish(c, &sync, &sr), 0);
    CHECK_EQ(irbus_receipt_verify(&sr, br.pk), 0);
    {
        irbus_message **msgs = NULL;
        size_t n = 0;
        CHECK_EQ(irbus_history(c, INCIDENT, "status", a[0].r.seq, 0, 10, &msgs, &n, NULL), 0);
        CHECK_EQ(n, 10);
        for (size_t i = 0; i < n; i++) {
            irbus_message_destroy(&msgs[i]);
        }
        free(msgs);
    }
    CHECK_EQ(irbus_ack(c, INCIDENT, a[999].r.seq), 0);
    send_range(c, d, 100, 200, "d", SIZE_MAX);
    drain(c, d, 200);
    for (size_t i = 0; i < 200; i++) {
        CHECK_EQ(d[i].status, 0);
        CHECK_EQ(irbus_receipt_verify(&d[i].r, br.pk), 0);
        CHECK(d[i].r.seq != sr.seq);
    }
    /* The 200 and the synchronous one, delivered once each, in order. */
    CHECK_EQ(receive_all(c, &last), 201);
    CHECK_EQ(irbus_unsubscribe(c, sub), 0);

    /* kill -9 with publishes in flight. The broker is stopped first, so
     * those sent after that cannot have been stored. */
    nk = 272;
    send_range(c, k, 0, nk, "k", SIZE_MAX);
    CHECK_EQ(collect(c, k, nk, 10000), 0); /* so that at least one can follow */
    broker_freeze(br.pid);
    while (collect(c, k, nk, 0) == 0) { /* what was answered before the stop */
    }
    stopped_from = nk;
    while (nk < sizeof k / sizeof k[0]) {
        struct irbus_publish mk = {INCIDENT, "status", "GREEN",      NULL,       NULL,
                                   NULL,     0,        "text/plain", k[nk].text, 0};
        mk.payload_len = (size_t)snprintf(k[nk].text, sizeof k[nk].text, "k %zu", nk);
        k[nk].status = 1;
        if (irbus_publish_send(c, &mk, &k[nk].token) != 0) {
            break; /* the pipeline is full */
        }
        nk++;
    }
    CHECK(nk > stopped_from);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    broker_stop(&br, SIGKILL);
    drain(c, k, nk);
    noticed_ms = ms_since(&t0);
    CHECK(noticed_ms < 10000); /* the loss was noticed, not timed out */
    for (size_t i = 0; i < nk; i++) {
        CHECK(k[i].status == 0 || k[i].status == IRBUS_ERESET);
        if (i >= stopped_from) {
            CHECK_EQ(k[i].status, IRBUS_ERESET);
        }
        reset += k[i].status == IRBUS_ERESET;
    }

    /* After the restart: every receipted publish is there with its text;
     * none sent to the stopped broker is. The same client goes on. */
    CHECK_EQ(broker_start(&br), 0);
    stored = read_history(c);
    if (stored != NULL) {
        /* Sent with the pipeline full, nearly all were signed in batches
         * (only a publish sent while none waits goes alone), and the
         * broker signed most receipts with others of their commit; the
         * synchronous publish is signed alone. */
        size_t nb = 0, nr = 0;
        for (size_t i = 0; i < 1000; i++) {
            nb += a[i].r.seq < MAX_SEQ && batched[a[i].r.seq];
            nr += a[i].r.proof_len > 0;
        }
        CHECK(nb >= 900);
        CHECK(nr >= 500);
        CHECK(sr.seq < MAX_SEQ && stored[sr.seq] != NULL && !batched[sr.seq]);
        printf("batches: %zu of 1,000 pipelined publishes signed in batches, %zu receipts "
               "signed with others of their commit\n",
               nb, nr);
        const struct {
            struct outcome *o;
            size_t n;
        } all[] = {{a, 1000}, {b, 101}, {d, 200}, {k, nk}};
        for (size_t s = 0; s < sizeof all / sizeof all[0]; s++) {
            for (size_t i = 0; i < all[s].n; i++) {
                const struct outcome *o = &all[s].o[i];
                if (o->status == 0) {
                    CHECK(o->r.seq < MAX_SEQ && stored[o->r.seq] != NULL &&
                          strcmp(stored[o->r.seq], o->text) == 0);
                    present++;
                }
            }
        }
        for (size_t i = stopped_from; i < nk; i++) {
            size_t found = 0;
            for (size_t q = 0; q < MAX_SEQ; q++) {
                found += stored[q] != NULL && strcmp(stored[q], k[i].text) == 0;
            }
            CHECK_EQ(found, 0);
        }
        for (size_t q = 0; q < MAX_SEQ; q++) {
            free(stored[q]);
        }
        free(stored);
    }
    send_range(c, k, 0, 10, "after", SIZE_MAX);
    drain(c, k, 10);
    for (size_t i = 0; i < 10; i++) {
        CHECK_EQ(k[i].status, 0);
    }

    /* A subscription replaying thousands of records on the same connection
     * while 1,000 more are pipelined: the deliveries the broker queues
     * (at most 768 unreported) leave room for every answer. */
    for (int round = 0; round < 3; round++) {
        send_range(c, a, 0, 1000, "e", SIZE_MAX);
        drain(c, a, 1000);
    }
    CHECK_EQ(irbus_subscribe(c, INCIDENT, "status", IRBUS_FROM_START, 65536, &sub), 0);
    send_range(c, a, 0, 1000, "f", SIZE_MAX);
    drain(c, a, 1000);
    check_receipts(a, 1000, SIZE_MAX);
    got = receive_all(c, &last);
    CHECK_EQ(last, a[999].r.seq);
    CHECK(got > 5000);

    CHECK_EQ(count_log_lines("answer_dropped"), 0);
    printf("pipeline: 1,000 receipts in order; refusal at 50 of 101 alone; 200 with deliveries "
           "and sync calls; kill -9: %zu reset (%zu sent while stopped) within %ld ms, %zu "
           "receipted all present; 1,000 beside a replay of %d\n",
           reset, nk - stopped_from, noticed_ms, present, got);
out:
    irbus_client_destroy(&c);
    irbus_key_destroy(&op);
    irbus_key_destroy(&pubk);
    broker_cleanup(&br);
    return check_done("32-pipeline");
}
