/*
 * drv_nats.c - NATS JetStream through nats.c: one file-storage stream per
 * cell (B-<cell>, subject bench.<cell>), created by setup(). Variant "sync"
 * publishes with js_Publish (one PubAck per round trip); "async" with
 * js_PublishAsync, the PubAck arriving in a callback on the library's
 * thread. A PubAck on this server version means the message is in the
 * page cache (tests/bench/README.md). Subscribers are ordered push
 * consumers (no acks, flow control by the library), read synchronously.
 */
#include "drv.h"

#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct npub {
    natsConnection *nc;
    jsCtx *js;
    struct pubstat *ps;
    char subj[160];
    int async;
};

struct nsub {
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    natsMsg *m;
};

static void
names(const struct cell *c, char *stream, size_t scap, char *subj, size_t jcap) {
    snprintf(stream, scap, "B-%s", c->name);
    snprintf(subj, jcap, "bench.%s", c->name);
}

static natsConnection *
connect_to(const struct cell *c) {
    char url[128];
    natsConnection *nc = NULL;
    natsStatus s;

    snprintf(url, sizeof url, "nats://%s:%d", c->host, c->port);
    if ((s = natsConnection_ConnectTo(&nc, url)) != NATS_OK) {
        fprintf(stderr, "nats: connect %s: %s\n", url, natsStatus_GetText(s));
        return NULL;
    }
    return nc;
}

static int
setup(const struct cell *c) {
    natsConnection *nc;
    jsCtx *js = NULL;
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    char stream[160], subj[160];
    const char *subjects[1];
    natsStatus s;
    int rc = -1;

    if ((nc = connect_to(c)) == NULL) {
        return -1;
    }
    names(c, stream, sizeof stream, subj, sizeof subj);
    if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
        goto out;
    }
    if (c->verify) {
        rc = 0;
        goto out;
    }
    (void)js_DeleteStream(js, stream, NULL, &jerr); /* absent is fine */
    jsStreamConfig_Init(&sc);
    subjects[0] = subj;
    sc.Name = stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    jerr = 0;
    if ((s = js_AddStream(&si, js, &sc, NULL, &jerr)) != NATS_OK) {
        fprintf(stderr, "nats: add stream %s: %s (%d)\n", stream, natsStatus_GetText(s), (int)jerr);
        goto out;
    }
    jsStreamInfo_Destroy(si);
    rc = 0;
out:
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}

static void
on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
    struct npub *p = closure;

    (void)js;
    (void)pae;
    if (pa != NULL && natsMsg_GetDataLength(msg) >= PAYLOAD_HDR) {
        pub_acked(p->ps, (const uint8_t *)natsMsg_GetData(msg));
    } else {
        pub_failed(p->ps);
    }
    natsMsg_Destroy(msg);
}

static int
pub_open(const struct cell *c, unsigned idx, struct pubstat *ps, void **pp) {
    struct npub *p = calloc(1, sizeof *p);
    char stream[160];
    jsOptions o;

    (void)idx;
    if (p == NULL) {
        return -1;
    }
    *pp = p;
    p->ps = ps;
    p->async = strcmp(c->variant, "async") == 0;
    names(c, stream, sizeof stream, p->subj, sizeof p->subj);
    if ((p->nc = connect_to(c)) == NULL) {
        return -1;
    }
    jsOptions_Init(&o);
    o.Wait = c->timeout_ms;
    if (p->async) {
        o.PublishAsync.AckHandler = on_ack;
        o.PublishAsync.AckHandlerClosure = p;
        o.PublishAsync.MaxPending = 4096;
        o.PublishAsync.StallWait = c->timeout_ms;
    }
    return natsConnection_JetStream(&p->js, p->nc, &o) == NATS_OK ? 0 : -1;
}

static int
pub_send(void *pv, const uint8_t *payload, size_t len) {
    struct npub *p = pv;
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    if (p->async) {
        s = js_PublishAsync(p->js, p->subj, payload, (int)len, NULL);
    } else {
        s = js_Publish(&pa, p->js, p->subj, payload, (int)len, NULL, &jerr);
    }
    if (s != NATS_OK) {
        fprintf(stderr, "nats: publish: %s (%d)\n", natsStatus_GetText(s), (int)jerr);
        pub_failed(p->ps);
        return -1;
    }
    if (!p->async) {
        jsPubAck_Destroy(pa);
        pub_acked(p->ps, payload);
    }
    return 0;
}

static int
pub_flush(void *pv, int timeout_ms) {
    struct npub *p = pv;
    jsPubOptions po;
    natsStatus s;

    if (!p->async) {
        return 0;
    }
    jsPubOptions_Init(&po);
    po.MaxWait = timeout_ms;
    if ((s = js_PublishAsyncComplete(p->js, &po)) != NATS_OK) {
        fprintf(stderr, "nats: publish async complete: %s\n", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

static void
pub_close(void **pp) {
    struct npub *p = *pp;

    if (p != NULL) {
        jsCtx_Destroy(p->js);
        natsConnection_Destroy(p->nc);
        free(p);
    }
    *pp = NULL;
}

static int
sub_open(const struct cell *c, unsigned idx, int from_start, void **sp) {
    struct nsub *s = calloc(1, sizeof *s);
    char stream[160], subj[160];
    jsSubOptions so;
    jsErrCode jerr = 0;
    natsStatus st;

    (void)idx;
    (void)from_start; /* the stream is fresh: new and all are the same */
    if (s == NULL) {
        return -1;
    }
    *sp = s;
    names(c, stream, sizeof stream, subj, sizeof subj);
    if ((s->nc = connect_to(c)) == NULL ||
        natsConnection_JetStream(&s->js, s->nc, NULL) != NATS_OK) {
        return -1;
    }
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverAll;
    if ((st = js_SubscribeSync(&s->sub, s->js, subj, NULL, &so, &jerr)) != NATS_OK) {
        fprintf(stderr, "nats: subscribe: %s (%d)\n", natsStatus_GetText(st), (int)jerr);
        return -1;
    }
    /* No client-side drops: a slow reader must be seen as slow, not lossy. */
    if (natsSubscription_SetPendingLimits(s->sub, -1, -1) != NATS_OK) {
        return -1;
    }
    return 0;
}

static int
sub_next(void *sv, int timeout_ms, const uint8_t **payload, size_t *len) {
    struct nsub *s = sv;
    natsStatus st;

    natsMsg_Destroy(s->m);
    s->m = NULL;
    st = natsSubscription_NextMsg(&s->m, s->sub, timeout_ms);
    if (st == NATS_TIMEOUT) {
        return 0;
    }
    if (st != NATS_OK) {
        fprintf(stderr, "nats: next: %s\n", natsStatus_GetText(st));
        return -1;
    }
    *payload = (const uint8_t *)natsMsg_GetData(s->m);
    *len = (size_t)natsMsg_GetDataLength(s->m);
    return 1;
}

static void
sub_close(void **sp) {
    struct nsub *s = *sp;

    if (s != NULL) {
        natsMsg_Destroy(s->m);
        if (s->sub != NULL) {
            natsSubscription_Unsubscribe(s->sub);
            natsSubscription_Destroy(s->sub);
        }
        jsCtx_Destroy(s->js);
        natsConnection_Destroy(s->nc);
        free(s);
    }
    *sp = NULL;
}

static void
fini(void) {
    nats_Close();
}

const struct drv drv_nats = {"nats",    setup,    pub_open, pub_send,  pub_flush, NULL,
                             pub_close, sub_open, sub_next, sub_close, fini};
