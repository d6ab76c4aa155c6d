/*
 * drv_mqtt.c - Mosquitto through libmosquitto (MQTT 3.1.1): variant qos1
 * or qos2. Publishing is asynchronous by nature: mosquitto_publish queues
 * the message and returns its mid; the PUBACK (QoS 1) or PUBCOMP (QoS 2)
 * arrives in on_publish on the library's network thread. Mosquitto keeps
 * messages in memory and writes its persistence file only at exit, on
 * SIGUSR1 or every autosave_interval, so its acknowledgement is a memory
 * acknowledgement. Subscribers use persistent sessions (clean_session
 * false) at the publishers' QoS; MQTT has no replay from the start of a
 * topic, so the late-joiner workload does not apply.
 *
 * mid -> payload header: mids are 16-bit, so a table of 65536 slots keyed
 * by mid. The publisher fills a slot after mosquitto_publish returns; the
 * PUBACK may come first, so whichever of the two comes second records the
 * acknowledgement (with the time the PUBACK arrived). The table's mutex is
 * never held across a libmosquitto call.
 */
#include "drv.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS       65536
#define MAX_PENDING 4096

struct slot {
    uint8_t hdr[PAYLOAD_HDR];
    uint64_t ack_ns;
    uint8_t sent, acked;
};

struct mpub {
    struct mosquitto *m;
    struct pubstat *ps;
    int qos;
    char topic[160];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int connected;
    uint64_t outstanding;
    struct slot *slots;
};

struct qmsg {
    struct qmsg *next;
    size_t len;
    uint8_t bytes[];
};

struct msub {
    struct mosquitto *m;
    int qos;
    char topic[160];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int connected, subscribed;
    struct qmsg *head, *tail, *cur;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
lib_init(void) {
    mosquitto_lib_init();
}

static void
topic_of(const struct cell *c, char *out, size_t cap) {
    snprintf(out, cap, "bench/%s", c->name);
}

static int
qos_of(const struct cell *c) {
    return strcmp(c->variant, "qos2") == 0 ? 2 : 1;
}

static struct timespec
deadline_after(int ms) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static int
setup(const struct cell *c) {
    (void)c;
    pthread_once(&init_once, lib_init);
    return 0;
}

/* ---- publishers ----------------------------------------------------------- */

static void
pub_on_connect(struct mosquitto *m, void *obj, int rc) {
    struct mpub *p = obj;

    (void)m;
    pthread_mutex_lock(&p->mu);
    p->connected = rc == 0 ? 1 : -1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void
pub_on_publish(struct mosquitto *m, void *obj, int mid) {
    struct mpub *p = obj;
    struct slot *s = &p->slots[mid & (SLOTS - 1)];
    uint8_t hdr[PAYLOAD_HDR];
    int done = 0;

    (void)m;
    pthread_mutex_lock(&p->mu);
    if (s->sent) {
        memcpy(hdr, s->hdr, sizeof hdr);
        s->sent = 0;
        done = 1;
    } else {
        s->acked = 1;
        s->ack_ns = now_ns();
    }
    if (done) {
        pub_acked(p->ps, hdr); /* before flush can see outstanding reach 0 */
        p->outstanding--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
}

static int
wait_flag(pthread_mutex_t *mu, pthread_cond_t *cv, const int *flag, int ms) {
    struct timespec dl = deadline_after(ms);
    int v;

    pthread_mutex_lock(mu);
    while (*flag == 0) {
        if (pthread_cond_timedwait(cv, mu, &dl) == ETIMEDOUT) {
            break;
        }
    }
    v = *flag;
    pthread_mutex_unlock(mu);
    return v;
}

static int
pub_open(const struct cell *c, unsigned idx, struct pubstat *ps, void **pp) {
    struct mpub *p = calloc(1, sizeof *p);
    char id[64];
    int rc;

    if (p == NULL) {
        return -1;
    }
    *pp = p;
    pthread_once(&init_once, lib_init);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->ps = ps;
    p->qos = qos_of(c);
    topic_of(c, p->topic, sizeof p->topic);
    if ((p->slots = calloc(SLOTS, sizeof *p->slots)) == NULL) {
        return -1;
    }
    snprintf(id, sizeof id, "bpub%u-%.40s", idx, c->name);
    if ((p->m = mosquitto_new(id, true, p)) == NULL) {
        return -1;
    }
    mosquitto_connect_callback_set(p->m, pub_on_connect);
    mosquitto_publish_callback_set(p->m, pub_on_publish);
    if ((rc = mosquitto_connect(p->m, c->host, c->port, 60)) != MOSQ_ERR_SUCCESS ||
        (rc = mosquitto_loop_start(p->m)) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt: connect: %s\n", mosquitto_strerror(rc));
        return -1;
    }
    if (wait_flag(&p->mu, &p->cv, &p->connected, c->timeout_ms) != 1) {
        fprintf(stderr, "mqtt: no CONNACK\n");
        return -1;
    }
    return 0;
}

static int
pub_send(void *pv, const uint8_t *payload, size_t len) {
    struct mpub *p = pv;
    struct slot *s;
    uint64_t ack_ns;
    int mid = 0, rc;

    pthread_mutex_lock(&p->mu);
    /* At most MAX_PENDING unacknowledged, like JetStream's MaxPending: the
     * library's queue stays bounded and mids never wrap onto a live slot. */
    for (int waited = 0; p->outstanding >= MAX_PENDING && waited < 30; waited++) {
        struct timespec dl = deadline_after(1000);
        (void)pthread_cond_timedwait(&p->cv, &p->mu, &dl);
    }
    if (p->outstanding >= MAX_PENDING) {
        pthread_mutex_unlock(&p->mu);
        fprintf(stderr, "mqtt: no acknowledgement for 30 s\n");
        pub_failed(p->ps);
        return -1;
    }
    p->outstanding++;
    pthread_mutex_unlock(&p->mu);
    rc = mosquitto_publish(p->m, &mid, p->topic, (int)len, payload, p->qos, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt: publish: %s\n", mosquitto_strerror(rc));
        pthread_mutex_lock(&p->mu);
        p->outstanding--;
        pthread_mutex_unlock(&p->mu);
        pub_failed(p->ps);
        return -1;
    }
    s = &p->slots[mid & (SLOTS - 1)];
    pthread_mutex_lock(&p->mu);
    if (s->acked) { /* the PUBACK beat us here */
        s->acked = 0;
        ack_ns = s->ack_ns;
        pub_acked_at(p->ps, payload, ack_ns);
        p->outstanding--;
        pthread_cond_broadcast(&p->cv);
    } else {
        memcpy(s->hdr, payload, PAYLOAD_HDR);
        s->sent = 1;
    }
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int
pub_flush(void *pv, int timeout_ms) {
    struct mpub *p = pv;
    struct timespec dl = deadline_after(timeout_ms);
    int rc = 0;

    pthread_mutex_lock(&p->mu);
    while (p->outstanding > 0) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) == ETIMEDOUT) {
            fprintf(stderr, "mqtt: %llu messages never acknowledged\n",
                    (unsigned long long)p->outstanding);
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static void
pub_close(void **pp) {
    struct mpub *p = *pp;

    if (p != NULL) {
        if (p->m != NULL) {
            mosquitto_disconnect(p->m);
            mosquitto_loop_stop(p->m, false);
            mosquitto_destroy(p->m);
        }
        free(p->slots);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
    }
    *pp = NULL;
}

/* ---- subscribers ---------------------------------------------------------- */

static void
sub_on_connect(struct mosquitto *m, void *obj, int rc) {
    struct msub *s = obj;

    if (rc == 0) {
        rc = mosquitto_subscribe(m, NULL, s->topic, s->qos);
    }
    pthread_mutex_lock(&s->mu);
    s->connected = rc == 0 ? 1 : -1;
    if (rc != 0) {
        s->subscribed = -1;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void
sub_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted) {
    struct msub *s = obj;

    (void)m;
    (void)mid;
    pthread_mutex_lock(&s->mu);
    s->subscribed = n == 1 && granted[0] == s->qos ? 1 : -1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void
sub_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    struct msub *s = obj;
    struct qmsg *q = malloc(sizeof *q + (size_t)msg->payloadlen);

    (void)m;
    if (q == NULL) {
        return;
    }
    q->next = NULL;
    q->len = (size_t)msg->payloadlen;
    memcpy(q->bytes, msg->payload, q->len);
    pthread_mutex_lock(&s->mu);
    if (s->tail != NULL) {
        s->tail->next = q;
    } else {
        s->head = q;
    }
    s->tail = q;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static int
sub_open(const struct cell *c, unsigned idx, int from_start, void **sp) {
    struct msub *s = calloc(1, sizeof *s);
    char id[64];
    int rc;

    (void)from_start;
    if (s == NULL) {
        return -1;
    }
    *sp = s;
    pthread_once(&init_once, lib_init);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->qos = qos_of(c);
    topic_of(c, s->topic, sizeof s->topic);
    snprintf(id, sizeof id, "bsub%u-%.40s", idx, c->name);
    if ((s->m = mosquitto_new(id, false, s)) == NULL) {
        return -1;
    }
    mosquitto_connect_callback_set(s->m, sub_on_connect);
    mosquitto_subscribe_callback_set(s->m, sub_on_subscribe);
    mosquitto_message_callback_set(s->m, sub_on_message);
    if ((rc = mosquitto_connect(s->m, c->host, c->port, 60)) != MOSQ_ERR_SUCCESS ||
        (rc = mosquitto_loop_start(s->m)) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt: connect: %s\n", mosquitto_strerror(rc));
        return -1;
    }
    if (wait_flag(&s->mu, &s->cv, &s->subscribed, c->timeout_ms) != 1) {
        fprintf(stderr, "mqtt: no SUBACK\n");
        return -1;
    }
    return 0;
}

static int
sub_next(void *sv, int timeout_ms, const uint8_t **payload, size_t *len) {
    struct msub *s = sv;
    struct timespec dl = deadline_after(timeout_ms);

    free(s->cur);
    s->cur = NULL;
    pthread_mutex_lock(&s->mu);
    while (s->head == NULL) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) {
            break;
        }
    }
    if ((s->cur = s->head) != NULL) {
        s->head = s->cur->next;
        if (s->head == NULL) {
            s->tail = NULL;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (s->cur == NULL) {
        return 0;
    }
    *payload = s->cur->bytes;
    *len = s->cur->len;
    return 1;
}

static void
sub_close(void **sp) {
    struct msub *s = *sp;

    if (s != NULL) {
        if (s->m != NULL) {
            mosquitto_disconnect(s->m);
            mosquitto_loop_stop(s->m, false);
            mosquitto_destroy(s->m);
        }
        free(s->cur);
        while (s->head != NULL) {
            struct qmsg *q = s->head;
            s->head = q->next;
            free(q);
        }
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
    }
    *sp = NULL;
}

static void
fini(void) {
    mosquitto_lib_cleanup();
}

const struct drv drv_mqtt = {"mqtt",    setup,    pub_open, pub_send,  pub_flush, NULL,
                             pub_close, sub_open, sub_next, sub_close, fini};
