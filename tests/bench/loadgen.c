/*
 * loadgen.c - one load generator for irbus and its peers (tests/bench/README.md).
 *
 * Open-loop pacing: publisher i of P sends its k-th message at the intended
 * time t0 + (k + i/P) * P/rate, whether or not earlier ones have been
 * acknowledged (a synchronous system that falls behind sends late, and the
 * delay counts against it: latency is measured from the intended time, so
 * there is no coordinated omission). With rate 0 each publisher sends as
 * soon as its previous message is acknowledged, and latency is measured
 * from the actual send. Subscribers run as threads of this process and
 * read the intended time from the payload's header.
 *
 * Prints one CSV line (header with -H) per run; run.sh collects them.
 * Usage: see usage() below.
 */
#include "drv.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PUBS 64
#define MAX_SUBS 64

uint64_t
now_ns(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_until(uint64_t t) {
    struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

void
pub_acked(struct pubstat *ps, const uint8_t *p) {
    pub_acked_at(ps, p, now_ns());
}

void
pub_acked_at(struct pubstat *ps, const uint8_t *p, uint64_t t) {
    struct payload_hdr h;

    memcpy(&h, p, sizeof h);
    pthread_mutex_lock(&ps->mu);
    hist_record(ps->ack, t > h.intended_ns ? t - h.intended_ns : 0);
    ps->acked++;
    ps->last_ack_ns = t;
    if (ps->cap_acked_seqs > 0) {
        if (ps->nacked_seqs == ps->cap_acked_seqs) {
            uint32_t *n = realloc(ps->acked_seqs, 2 * ps->cap_acked_seqs * sizeof *n);
            if (n != NULL) {
                ps->acked_seqs = n;
                ps->cap_acked_seqs *= 2;
            }
        }
        if (ps->nacked_seqs < ps->cap_acked_seqs) {
            ps->acked_seqs[ps->nacked_seqs++] = h.seq;
        }
    }
    pthread_mutex_unlock(&ps->mu);
}

void
pub_failed(struct pubstat *ps) {
    pthread_mutex_lock(&ps->mu);
    ps->errors++;
    pthread_mutex_unlock(&ps->mu);
}

/* ---- the run -------------------------------------------------------------- */

static const struct drv *drv;
static struct cell cell;
static pthread_barrier_t start_line;
static uint64_t t0; /* first intended send */
static atomic_int pubs_done;
static atomic_ullong target; /* deliveries each subscriber waits for */
static int record_acked;
static int idle_ms = 3000;

struct pubthr {
    unsigned idx;
    pthread_t th;
    struct pubstat ps;
    void *p;
    int ok;
};

struct subthr {
    unsigned idx;
    pthread_t th;
    struct hist *del;
    uint64_t got, dups, bad;
    uint64_t first_ns, last_ns;
    uint32_t last_seq[MAX_PUBS];
    uint8_t seen_any[MAX_PUBS];
    void *s;
    int ok;
    int from_start;
    int barrier; /* takes part in start_line */
    /* verify mode: bitmaps of seqs seen per publisher */
    uint8_t *seen[MAX_PUBS];
    uint32_t seen_cap[MAX_PUBS];
};

static struct pubthr pubs[MAX_PUBS];
static struct subthr subs[MAX_SUBS];

static void *
pub_main(void *arg) {
    struct pubthr *pt = arg;
    uint64_t n = cell.count / cell.pubs + (pt->idx < cell.count % cell.pubs ? 1 : 0);
    double interval = cell.rate > 0 ? 1e9 * cell.pubs / cell.rate : 0;
    uint8_t *buf = malloc(cell.size);
    uint64_t deadline;
    int rc = drv->pub_open(&cell, pt->idx, &pt->ps, &pt->p);

    pthread_barrier_wait(&start_line); /* everyone connected */
    pthread_barrier_wait(&start_line); /* t0 is set */
    if (rc != 0 || buf == NULL) {
        free(buf);
        return NULL;
    }
    for (size_t i = PAYLOAD_HDR; i < cell.size; i++) {
        buf[i] = (uint8_t)(i * 131 + pt->idx);
    }
    deadline = t0 + (uint64_t)(cell.max_secs * 1e9);
    sleep_until(t0); /* every publisher starts at t0, paced or not */
    for (uint64_t k = 0; k < n; k++) {
        struct payload_hdr h;
        uint64_t now = now_ns();
        if (now > deadline) {
            break;
        }
        if (interval > 0) {
            h.intended_ns = t0 + (uint64_t)(((double)k + (double)pt->idx / cell.pubs) * interval);
            if (now < h.intended_ns) {
                if (drv->pub_wait == NULL) {
                    sleep_until(h.intended_ns);
                } else if (drv->pub_wait(pt->p, h.intended_ns) != 0) {
                    break;
                }
            }
        } else {
            h.intended_ns = now;
        }
        h.pub = pt->idx;
        h.seq = (uint32_t)k;
        memcpy(buf, &h, sizeof h);
        pt->ps.sent++;
        if (drv->pub_send(pt->p, buf, cell.size) != 0) {
            break; /* the driver counted the failure */
        }
    }
    pt->ok = drv->pub_flush(pt->p, cell.timeout_ms * 4) == 0;
    /* An asynchronous library may count a message complete just before it
     * runs the callback that tells us; give the callback a moment. */
    for (int i = 0; i < 200; i++) {
        uint64_t done;
        pthread_mutex_lock(&pt->ps.mu);
        done = pt->ps.acked + pt->ps.errors;
        pthread_mutex_unlock(&pt->ps.mu);
        if (done >= pt->ps.sent) {
            break;
        }
        usleep(10000);
    }
    free(buf);
    return NULL;
}

static void
sub_take(struct subthr *st, const uint8_t *p, size_t len) {
    struct payload_hdr h;
    uint64_t t = now_ns();

    if (len < PAYLOAD_HDR) {
        st->bad++;
        return;
    }
    memcpy(&h, p, sizeof h);
    if (h.pub >= MAX_PUBS) {
        st->bad++;
        return;
    }
    if (st->seen[h.pub] != NULL) { /* verify mode */
        if (h.seq < st->seen_cap[h.pub]) {
            st->seen[h.pub][h.seq] = 1;
        }
    }
    if (st->seen_any[h.pub] && h.seq <= st->last_seq[h.pub]) {
        st->dups++;
        return;
    }
    st->seen_any[h.pub] = 1;
    st->last_seq[h.pub] = h.seq;
    if (st->got == 0) {
        st->first_ns = t;
    }
    st->got++;
    st->last_ns = t;
    hist_record(st->del, t > h.intended_ns ? t - h.intended_ns : 0);
}

static void *
sub_main(void *arg) {
    struct subthr *st = arg;
    uint64_t idle_since = 0;
    int rc = drv->sub_open(&cell, st->idx, st->from_start, &st->s);

    if (st->barrier) {
        pthread_barrier_wait(&start_line);
        pthread_barrier_wait(&start_line);
    }
    if (rc != 0) {
        return NULL;
    }
    for (;;) {
        const uint8_t *p;
        size_t len;
        int r = drv->sub_next(st->s, 200, &p, &len);
        if (r < 0) {
            break;
        }
        if (r == 1) {
            sub_take(st, p, len);
            idle_since = 0;
        }
        if (atomic_load(&pubs_done)) {
            if (st->got >= atomic_load(&target)) {
                st->ok = 1;
                break;
            }
            if (r == 0) {
                uint64_t now = now_ns();
                if (idle_since == 0) {
                    idle_since = now;
                } else if (now - idle_since > (uint64_t)idle_ms * 1000000u) {
                    st->ok = 1; /* the count tells what is missing */
                    break;
                }
            }
        }
    }
    return NULL;
}

/* ---- broker process figures ------------------------------------------------ */

/* utime + stime of a process, in microseconds; -1 if unreadable. */
static long long
proc_cpu_us(int pid) {
    char path[64], buf[1024], *p;
    unsigned long long ut, st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if ((f = fopen(path, "r")) == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if ((p = strrchr(buf, ')')) == NULL) {
        return -1;
    }
    /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (long long)((ut + st) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static long proc_status_kib(int pid, const char *field);

static long
proc_hwm_kib(int pid) {
    return proc_status_kib(pid, "VmHWM:");
}

/* One field of /proc/PID/status in KiB (e.g. "RssAnon:"), or -1. */
static long
proc_status_kib(int pid, const char *field) {
    char path[64], line[256];
    size_t fl = strlen(field);
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if ((f = fopen(path, "r")) == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, fl) == 0) {
            kib = strtol(line + fl, NULL, 10);
        }
    }
    fclose(f);
    return kib;
}

/* The broker's peak anonymous RSS during a cell, sampled every 20 ms:
 * VmHWM also counts the resident pages of memory-mapped files, which for
 * irbus is LMDB's map (page cache the kernel may take back at any time),
 * while Redis and NATS hold their data in anonymous memory. Both are
 * reported. */
static int anon_pid;
static atomic_int anon_stop;
static atomic_long anon_peak;

static void *
anon_main(void *arg) {
    (void)arg;
    while (!atomic_load(&anon_stop)) {
        long kib = proc_status_kib(anon_pid, "RssAnon:");
        if (kib > atomic_load(&anon_peak)) {
            atomic_store(&anon_peak, kib);
        }
        usleep(20000);
    }
    return NULL;
}

/* Reset the peak RSS so VmHWM covers this cell only (clear_refs 5). */
static void
proc_hwm_reset(int pid) {
    char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/clear_refs", pid);
    if ((f = fopen(path, "w")) != NULL) {
        fputs("5", f);
        fclose(f);
    }
}

/* Bytes allocated on disk under a directory (st_blocks, not st_size). */
static long long
disk_bytes(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    long long sum = 0;
    char path[4096];
    struct stat st;

    if (d == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            sum += disk_bytes(path);
        } else {
            sum += (long long)st.st_blocks * 512;
        }
    }
    closedir(d);
    return sum;
}

/* ---- main ------------------------------------------------------------------- */

static int kill_pid, kill_after_ms;

static void *
killer_main(void *arg) {
    (void)arg;
    usleep((useconds_t)kill_after_ms * 1000);
    if (kill(kill_pid, SIGKILL) != 0) {
        perror("loadgen: kill");
    }
    return NULL;
}

static const char csv_header[] =
    "system,variant,cell,size,pubs,subs,rate,sent,acked,errors,delivered,expected,dups,"
    "elapsed_s,msgs_per_s,mb_per_s,deliv_per_s,ack_p50_us,ack_p99_us,ack_p999_us,del_p50_us,"
    "del_p99_us,del_p999_us,cpu_us_per_msg,rss_kib,disk_b_per_msg,rss_anon_kib,status\n";

_Noreturn static void
usage(void) {
    fprintf(stderr,
            "usage: loadgen -S SYSTEM [-V VARIANT] -C CELL [options]\n"
            "  -S irbus|redis|nats|mqtt   -V variant (nats: sync|async; mqtt: qos1|qos2)\n"
            "  -C name of the cell (names the stream/incident/topic)\n"
            "  -h HOST -P PORT            the broker (default 127.0.0.1)\n"
            "  -K DIR                     irbus: directory for keys (op.pub is written there)\n"
            "  -B FILE                    irbus: the broker's public key file\n"
            "  -s SIZE -p PUBS -n SUBS -N COUNT -r RATE(msg/s, 0: max) -T MAX_SECONDS\n"
            "  -L                         late joiner: subscribers read from the start after\n"
            "                             publishing ends\n"
            "  -x PID                     the broker's pid (CPU, peak RSS, kill)\n"
            "  -D DIR                     the broker's data directory (bytes on disk)\n"
            "  -k MS -a FILE              kill -9 the broker MS ms in; write acked ids to FILE\n"
            "  -v FILE                    verify: every id in FILE is in the stream\n"
            "  -t MS                      per-request timeout (default 10000)\n"
            "  -H                         print the CSV header first\n"
            "  -G                         irbus: write the operator key to -K DIR and exit\n");
    exit(2);
}

static const struct drv *
find_drv(const char *s) {
    if (strcmp(s, "irbus") == 0) {
        return &drv_irbus;
    }
    if (strcmp(s, "redis") == 0) {
        return &drv_redis;
    }
    if (strcmp(s, "nats") == 0) {
        return &drv_nats;
    }
    if (strcmp(s, "mqtt") == 0) {
        return &drv_mqtt;
    }
    return NULL;
}

int irb_bench_irbus_keygen(const char *dir);

static double
us(uint64_t ns) {
    return (double)ns / 1000.0;
}

static int
verify(const char *file) {
    FILE *f = fopen(file, "r");
    unsigned pub, seq;
    uint64_t nacked = 0, missing = 0;
    uint32_t maxseq[MAX_PUBS] = {0};
    struct subthr *st = &subs[0];

    if (f == NULL) {
        perror(file);
        return 1;
    }
    while (fscanf(f, "%u %u", &pub, &seq) == 2) {
        if (pub < MAX_PUBS && seq + 1 > maxseq[pub]) {
            maxseq[pub] = seq + 1;
        }
    }
    for (unsigned i = 0; i < MAX_PUBS; i++) {
        if (maxseq[i] > 0) {
            st->seen[i] = calloc(maxseq[i], 1);
            st->seen_cap[i] = maxseq[i];
        }
    }
    st->del = hist_new();
    atomic_store(&pubs_done, 1);
    atomic_store(&target, UINT64_MAX);
    st->from_start = 1;
    sub_main(st);
    if (st->s != NULL) {
        drv->sub_close(&st->s);
    }
    rewind(f);
    while (fscanf(f, "%u %u", &pub, &seq) == 2) {
        nacked++;
        if (pub >= MAX_PUBS || st->seen[pub] == NULL || !st->seen[pub][seq]) {
            missing++;
        }
    }
    fclose(f);
    for (unsigned i = 0; i < MAX_PUBS; i++) {
        free(st->seen[i]);
        st->seen[i] = NULL;
    }
    hist_destroy(&st->del);
    printf("verify,%s,%s,%s,acked=%llu,read=%llu,lost=%llu\n", cell.system, cell.variant, cell.name,
           (unsigned long long)nacked, (unsigned long long)(st->got + st->dups),
           (unsigned long long)missing);
    return missing == 0 && nacked > 0 ? 0 : 3;
}

int
main(int argc, char **argv) {
    int opt, header = 0, pid = 0, keygen = 0;
    const char *data = NULL, *acked_file = NULL, *verify_file = NULL;
    long long cpu0 = -1, cpu1 = -1, disk0 = 0, disk1 = 0;
    struct hist *ack = NULL, *del = NULL;
    uint64_t sent = 0, acked = 0, errors = 0, delivered = 0, dups = 0, last_ack = 0;
    uint64_t del_first = UINT64_MAX, del_last = 0, expected, replay_t0 = 0;
    pthread_t killer, anon;
    double elapsed, mps, dps;
    long rss;
    int ok = 1;

    memset(&cell, 0, sizeof cell);
    cell.variant = "default";
    cell.host = "127.0.0.1";
    cell.size = 256;
    cell.pubs = 1;
    cell.subs = 1;
    cell.count = 1000;
    cell.max_secs = 60;
    cell.timeout_ms = 10000;
    signal(SIGPIPE, SIG_IGN);
    while ((opt = getopt(argc, argv, "S:V:C:h:P:K:B:s:p:n:N:r:T:Lx:D:k:a:v:t:HGI:")) != -1) {
        switch (opt) {
        case 'S':
            cell.system = optarg;
            break;
        case 'V':
            cell.variant = optarg;
            break;
        case 'C':
            cell.name = optarg;
            break;
        case 'h':
            cell.host = optarg;
            break;
        case 'P':
            cell.port = atoi(optarg);
            break;
        case 'K':
            cell.keydir = optarg;
            break;
        case 'B':
            cell.broker_pk = optarg;
            break;
        case 's':
            cell.size = (size_t)strtoul(optarg, NULL, 10);
            break;
        case 'p':
            cell.pubs = (unsigned)atoi(optarg);
            break;
        case 'n':
            cell.subs = (unsigned)atoi(optarg);
            break;
        case 'N':
            cell.count = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            cell.rate = atof(optarg);
            break;
        case 'T':
            cell.max_secs = atof(optarg);
            break;
        case 'L':
            cell.late = 1;
            break;
        case 'x':
            pid = atoi(optarg);
            break;
        case 'D':
            data = optarg;
            break;
        case 'k':
            kill_after_ms = atoi(optarg);
            break;
        case 'a':
            acked_file = optarg;
            break;
        case 'v':
            verify_file = optarg;
            break;
        case 't':
            cell.timeout_ms = atoi(optarg);
            break;
        case 'H':
            header = 1;
            break;
        case 'G':
            keygen = 1;
            break;
        case 'I':
            idle_ms = atoi(optarg);
            break;
        default:
            usage();
        }
    }
    if (header && cell.system == NULL) {
        fputs(csv_header, stdout);
        return 0;
    }
    if (keygen) {
        return cell.keydir != NULL && irb_bench_irbus_keygen(cell.keydir) == 0 ? 0 : 1;
    }
    if (cell.system == NULL || cell.name == NULL || (drv = find_drv(cell.system)) == NULL ||
        cell.pubs < 1 || cell.pubs > MAX_PUBS || cell.subs > MAX_SUBS || cell.size < PAYLOAD_HDR ||
        cell.port <= 0) {
        usage();
    }
    cell.verify = verify_file != NULL;
    if (header) {
        fputs(csv_header, stdout);
        fflush(stdout);
    }
    if (drv->setup(&cell) != 0) {
        fprintf(stderr, "loadgen: %s setup failed\n", cell.system);
        return 1;
    }
    if (verify_file != NULL) {
        int rc = verify(verify_file);
        drv->fini();
        return rc;
    }
    if ((ack = hist_new()) == NULL || (del = hist_new()) == NULL) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    record_acked = acked_file != NULL;
    if (pid > 0) {
        proc_hwm_reset(pid);
        cpu0 = proc_cpu_us(pid);
    }
    if (data != NULL) {
        disk0 = disk_bytes(data);
    }
    /* Live subscribers connect and subscribe before the first send. */
    pthread_barrier_init(&start_line, NULL, cell.pubs + (cell.late ? 0 : cell.subs) + 1);
    for (unsigned i = 0; i < cell.subs; i++) {
        subs[i].idx = i;
        subs[i].del = hist_new();
        subs[i].from_start = cell.late;
        subs[i].barrier = !cell.late;
    }
    if (!cell.late) {
        for (unsigned i = 0; i < cell.subs; i++) {
            pthread_create(&subs[i].th, NULL, sub_main, &subs[i]);
        }
    }
    for (unsigned i = 0; i < cell.pubs; i++) {
        pubs[i].idx = i;
        pthread_mutex_init(&pubs[i].ps.mu, NULL);
        pubs[i].ps.ack = hist_new();
        if (record_acked) {
            pubs[i].ps.cap_acked_seqs = 4096;
            pubs[i].ps.acked_seqs = malloc(4096 * sizeof(uint32_t));
        }
        pthread_create(&pubs[i].th, NULL, pub_main, &pubs[i]);
    }
    pthread_barrier_wait(&start_line);
    t0 = now_ns() + 20000000u; /* 20 ms after everyone is connected */
    pthread_barrier_wait(&start_line);
    if (kill_after_ms > 0 && pid > 0) {
        kill_pid = pid;
        pthread_create(&killer, NULL, killer_main, NULL);
    }
    if (pid > 0 && kill_after_ms == 0) {
        anon_pid = pid;
        atomic_store(&anon_peak, proc_status_kib(pid, "RssAnon:"));
        pthread_create(&anon, NULL, anon_main, NULL);
    }
    for (unsigned i = 0; i < cell.pubs; i++) {
        pthread_join(pubs[i].th, NULL);
        sent += pubs[i].ps.sent;
        acked += pubs[i].ps.acked;
        errors += pubs[i].ps.errors;
        if (pubs[i].ps.last_ack_ns > last_ack) {
            last_ack = pubs[i].ps.last_ack_ns;
        }
        hist_merge(ack, pubs[i].ps.ack);
        if (!pubs[i].ok && kill_after_ms == 0) {
            ok = 0;
        }
    }
    atomic_store(&target, acked);
    atomic_store(&pubs_done, 1);
    if (cell.late) {
        replay_t0 = now_ns();
        for (unsigned i = 0; i < cell.subs; i++) {
            pthread_create(&subs[i].th, NULL, sub_main, &subs[i]);
        }
    }
    for (unsigned i = 0; i < cell.subs; i++) {
        pthread_join(subs[i].th, NULL);
        delivered += subs[i].got;
        dups += subs[i].dups;
        hist_merge(del, subs[i].del);
        if (subs[i].got > 0 && subs[i].first_ns < del_first) {
            del_first = subs[i].first_ns;
        }
        if (subs[i].last_ns > del_last) {
            del_last = subs[i].last_ns;
        }
        if (!subs[i].ok) {
            ok = 0;
        }
    }
    if (kill_after_ms > 0 && pid > 0) {
        pthread_join(killer, NULL);
    }
    if (pid > 0 && kill_after_ms == 0) {
        cpu1 = proc_cpu_us(pid);
        rss = proc_hwm_kib(pid);
        atomic_store(&anon_stop, 1);
        pthread_join(anon, NULL);
    } else {
        rss = -1;
    }
    if (data != NULL) {
        disk1 = disk_bytes(data);
    }
    expected = acked * cell.subs;
    elapsed = last_ack > t0 ? (double)(last_ack - t0) / 1e9 : 0;
    mps = elapsed > 0 ? (double)acked / elapsed : 0;
    if (cell.late) {
        dps = del_last > replay_t0 ? (double)delivered / ((double)(del_last - replay_t0) / 1e9) : 0;
    } else {
        dps = del_last > t0 ? (double)delivered / ((double)(del_last - t0) / 1e9) : 0;
    }
    if (acked == 0 || (cell.subs > 0 && delivered < expected && kill_after_ms == 0)) {
        ok = 0;
    }
    printf("%s,%s,%s,%zu,%u,%u,%.0f,%llu,%llu,%llu,%llu,%llu,%llu,%.3f,%.0f,%.2f,%.0f,"
           "%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%ld,%.0f,%ld,%s\n",
           cell.system, cell.variant, cell.name, cell.size, cell.pubs, cell.subs, cell.rate,
           (unsigned long long)sent, (unsigned long long)acked, (unsigned long long)errors,
           (unsigned long long)delivered, (unsigned long long)expected, (unsigned long long)dups,
           elapsed, mps, mps * (double)cell.size / 1e6, dps, us(hist_quantile(ack, 0.5)),
           us(hist_quantile(ack, 0.99)), us(hist_quantile(ack, 0.999)),
           cell.late ? 0.0 : us(hist_quantile(del, 0.5)),
           cell.late ? 0.0 : us(hist_quantile(del, 0.99)),
           cell.late ? 0.0 : us(hist_quantile(del, 0.999)),
           cpu0 >= 0 && cpu1 >= 0 && acked > 0 ? (double)(cpu1 - cpu0) / (double)acked : -1.0, rss,
           data != NULL && acked > 0 ? (double)(disk1 - disk0) / (double)acked : -1.0,
           pid > 0 && kill_after_ms == 0 ? atomic_load(&anon_peak) : -1L, ok ? "ok" : "FAIL");
    fflush(stdout);
    if (acked_file != NULL) {
        FILE *f = fopen(acked_file, "w");
        if (f == NULL) {
            perror(acked_file);
            return 1;
        }
        for (unsigned i = 0; i < cell.pubs; i++) {
            for (uint64_t k = 0; k < pubs[i].ps.nacked_seqs; k++) {
                fprintf(f, "%u %u\n", i, pubs[i].ps.acked_seqs[k]);
            }
        }
        if (fclose(f) != 0) {
            return 1;
        }
    }
    for (unsigned i = 0; i < cell.pubs; i++) {
        if (pubs[i].p != NULL) {
            drv->pub_close(&pubs[i].p);
        }
        hist_destroy(&pubs[i].ps.ack);
        free(pubs[i].ps.acked_seqs);
        pthread_mutex_destroy(&pubs[i].ps.mu);
    }
    for (unsigned i = 0; i < cell.subs; i++) {
        if (subs[i].s != NULL) {
            drv->sub_close(&subs[i].s);
        }
        hist_destroy(&subs[i].del);
    }
    hist_destroy(&ack);
    hist_destroy(&del);
    drv->fini();
    return ok ? 0 : 1;
}
