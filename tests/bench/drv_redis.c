/*
 * drv_redis.c - Redis streams through hiredis: XADD to publish (the reply
 * is the acknowledgement; with appendonly yes and appendfsync always Redis
 * fsyncs the AOF before replying, once per event-loop pass for all
 * clients), XREAD BLOCK to subscribe. One stream per cell, bench:<cell>,
 * deleted by setup() unless the run verifies a stream left behind (W6).
 * Synchronous, like irbus_publish: one request in flight per connection.
 */
#include "drv.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rpub {
    redisContext *c;
    struct pubstat *ps;
    char key[160];
};

struct rsub {
    redisContext *c;
    char key[160];
    char last[64]; /* the last id read */
    redisReply *r; /* the current XREAD answer */
    size_t next;   /* next entry of r to hand out */
};

static redisContext *
connect_to(const struct cell *c) {
    redisContext *r = redisConnect(c->host, c->port);

    if (r == NULL || r->err) {
        fprintf(stderr, "redis: connect %s:%d: %s\n", c->host, c->port,
                r != NULL ? r->errstr : "out of memory");
        if (r != NULL) {
            redisFree(r);
        }
        return NULL;
    }
    return r;
}

static void
key_of(const struct cell *c, char *out, size_t cap) {
    snprintf(out, cap, "bench:%s", c->name);
}

/* Redis accepts connections while it loads its AOF and answers every
 * command -LOADING meanwhile: wait (up to 30 s) until PING says PONG, so
 * that W6 reads back what was restored, not a loading error. */
static int
wait_loaded(redisContext *r) {
    for (int i = 0; i < 600; i++) {
        redisReply *rep = redisCommand(r, "PING");
        int loading;
        if (rep == NULL) {
            fprintf(stderr, "redis: PING: %s\n", r->errstr);
            return -1;
        }
        loading = rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "LOADING", 7) == 0;
        freeReplyObject(rep);
        if (!loading) {
            return 0;
        }
        usleep(50000);
    }
    fprintf(stderr, "redis: still loading after 30 s\n");
    return -1;
}

static int
setup(const struct cell *c) {
    redisContext *r;
    redisReply *rep;
    char key[160];

    if ((r = connect_to(c)) == NULL) {
        return -1;
    }
    if (wait_loaded(r) != 0) {
        redisFree(r);
        return -1;
    }
    if (c->verify) {
        redisFree(r);
        return 0;
    }
    key_of(c, key, sizeof key);
    rep = redisCommand(r, "DEL %s", key);
    if (rep == NULL) {
        fprintf(stderr, "redis: DEL: %s\n", r->errstr);
        redisFree(r);
        return -1;
    }
    freeReplyObject(rep);
    redisFree(r);
    return 0;
}

static int
pub_open(const struct cell *c, unsigned idx, struct pubstat *ps, void **pp) {
    struct rpub *p = calloc(1, sizeof *p);

    (void)idx;
    if (p == NULL) {
        return -1;
    }
    *pp = p;
    p->ps = ps;
    key_of(c, p->key, sizeof p->key);
    return (p->c = connect_to(c)) != NULL ? 0 : -1;
}

static int
pub_send(void *pv, const uint8_t *payload, size_t len) {
    struct rpub *p = pv;
    redisReply *r = redisCommand(p->c, "XADD %s * d %b", p->key, payload, len);

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "redis: XADD: %s\n", r != NULL ? r->str : p->c->errstr);
        if (r != NULL) {
            freeReplyObject(r);
        }
        pub_failed(p->ps);
        return -1;
    }
    freeReplyObject(r);
    pub_acked(p->ps, payload);
    return 0;
}

static int
pub_flush(void *pv, int timeout_ms) {
    (void)pv;
    (void)timeout_ms;
    return 0;
}

static void
pub_close(void **pp) {
    struct rpub *p = *pp;

    if (p != NULL) {
        if (p->c != NULL) {
            redisFree(p->c);
        }
        free(p);
    }
    *pp = NULL;
}

static int
sub_open(const struct cell *c, unsigned idx, int from_start, void **sp) {
    struct rsub *s = calloc(1, sizeof *s);

    (void)idx;
    (void)from_start; /* the stream is fresh: new and all are the same */
    if (s == NULL) {
        return -1;
    }
    *sp = s;
    key_of(c, s->key, sizeof s->key);
    snprintf(s->last, sizeof s->last, "0-0");
    return (s->c = connect_to(c)) != NULL ? 0 : -1;
}

static int
sub_next(void *sv, int timeout_ms, const uint8_t **payload, size_t *len) {
    struct rsub *s = sv;
    redisReply *entries, *e;

    for (;;) {
        if (s->r != NULL) {
            entries = s->r->element[0]->element[1];
            if (s->next < entries->elements) {
                e = entries->element[s->next++];
                if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
                    e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements != 2) {
                    fprintf(stderr, "redis: unexpected XREAD entry\n");
                    return -1;
                }
                snprintf(s->last, sizeof s->last, "%s", e->element[0]->str);
                *payload = (const uint8_t *)e->element[1]->element[1]->str;
                *len = e->element[1]->element[1]->len;
                return 1;
            }
            freeReplyObject(s->r);
            s->r = NULL;
        }
        s->r = redisCommand(s->c, "XREAD COUNT 512 BLOCK %d STREAMS %s %s",
                            timeout_ms > 0 ? timeout_ms : 1, s->key, s->last);
        if (s->r == NULL) {
            fprintf(stderr, "redis: XREAD: %s\n", s->c->errstr);
            return -1;
        }
        if (s->r->type == REDIS_REPLY_NIL) {
            freeReplyObject(s->r);
            s->r = NULL;
            return 0;
        }
        if (s->r->type != REDIS_REPLY_ARRAY || s->r->elements != 1 ||
            s->r->element[0]->type != REDIS_REPLY_ARRAY || s->r->element[0]->elements != 2 ||
            s->r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "redis: unexpected XREAD reply\n");
            freeReplyObject(s->r);
            s->r = NULL;
            return -1;
        }
        s->next = 0;
    }
}

static void
sub_close(void **sp) {
    struct rsub *s = *sp;

    if (s != NULL) {
        if (s->r != NULL) {
            freeReplyObject(s->r);
        }
        if (s->c != NULL) {
            redisFree(s->c);
        }
        free(s);
    }
    *sp = NULL;
}

static void
fini(void) {
}

const struct drv drv_redis = {"redis",   setup,    pub_open, pub_send,  pub_flush, NULL,
                              pub_close, sub_open, sub_next, sub_close, fini};
