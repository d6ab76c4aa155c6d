/*
 * zap.c - see zap.h. The thread owns its REP socket; it reads the roster
 * only through irb_roster_zap_lookup (locked).
 */
#include "zap.h"

#include "irbus.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_PARTS    7 /* version, id, domain, address, routing id, mechanism, credentials */

static int
send_part(void *sock, const void *data, size_t len, int more) {
    return zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0) < 0 ? -1 : 0;
}

/* Metadata: u8 name length, name, u32be value length, value. */
static size_t
metadata(uint8_t *out, const uint8_t pk[32]) {
    static const char hex[] = "0123456789abcdef";
    size_t n = 0, nl = strlen(IRB_ZAP_KEY_PROPERTY);

    out[n++] = (uint8_t)nl;
    memcpy(out + n, IRB_ZAP_KEY_PROPERTY, nl);
    n += nl;
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = 64;
    for (int i = 0; i < 32; i++) {
        out[n++] = (uint8_t)hex[pk[i] >> 4];
        out[n++] = (uint8_t)hex[pk[i] & 15];
    }
    return n;
}

/* Answer one request. Returns -1 when the socket is gone. */
static int
handle(struct irb_zap *z) {
    zmq_msg_t parts[ZAP_PARTS];
    size_t n = 0;
    int more = 1, rc = -1;
    char user[IRB_USER_MAX] = "";
    const char *status = "400", *text = "unknown key";
    uint8_t pk[32], meta[128];
    size_t metalen = 0;

    while (more) {
        zmq_msg_t extra;
        zmq_msg_t *m = n < ZAP_PARTS ? &parts[n] : &extra;
        size_t ml = sizeof more;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, z->sock, 0) < 0) {
            zmq_msg_close(m);
            goto out;
        }
        zmq_getsockopt(z->sock, ZMQ_RCVMORE, &more, &ml);
        if (m == &extra) {
            zmq_msg_close(m); /* more parts than a ZAP request has: ignored */
        } else {
            n++;
        }
    }
    if (n < ZAP_PARTS - 1) {
        irb_warn("zap_malformed parts=%zu", n);
        rc = 0; /* cannot even echo the request id: drop it */
        goto out;
    }
    if (n == ZAP_PARTS && zmq_msg_size(&parts[5]) == 5 &&
        memcmp(zmq_msg_data(&parts[5]), "CURVE", 5) == 0 && zmq_msg_size(&parts[6]) == 32) {
        int r = irb_roster_zap_lookup(z->roster, zmq_msg_data(&parts[6]), user, pk);
        if (r == 0) {
            status = "200";
            text = "OK";
            metalen = metadata(meta, pk);
        } else {
            text = r == IRBUS_EREVOKED ? "key revoked" : "unknown key";
            irb_warn("auth_denied reason=\"%s\" address=\"%.*s\"", text,
                     (int)zmq_msg_size(&parts[3]), (const char *)zmq_msg_data(&parts[3]));
        }
    } else {
        text = "CURVE required";
        irb_warn("auth_denied reason=\"%s\"", text);
    }
    if (send_part(z->sock, "1.0", 3, 1) != 0 ||
        send_part(z->sock, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), 1) != 0 ||
        send_part(z->sock, status, 3, 1) != 0 || send_part(z->sock, text, strlen(text), 1) != 0 ||
        send_part(z->sock, user, strlen(user), 1) != 0 ||
        send_part(z->sock, meta, metalen, 0) != 0) {
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n && i < ZAP_PARTS; i++) {
        zmq_msg_close(&parts[i]);
    }
    return rc;
}

static void *
zap_main(void *arg) {
    struct irb_zap *z = arg;

    while (handle(z) == 0) {
    }
    if (!atomic_load(&z->stopping)) {
        irb_error("zap_handler_stopped errno=%d", errno);
    }
    zmq_close(z->sock);
    atomic_store(&z->alive, 0);
    return NULL;
}

int
irb_zap_start(struct irb_zap *z, void *zctx, struct irb_roster *roster) {
    int linger = 0;

    z->roster = roster;
    atomic_store(&z->stopping, 0);
    z->sock = zmq_socket(zctx, ZMQ_REP);
    if (z->sock == NULL) {
        return IRBUS_EIO;
    }
    zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
        zmq_close(z->sock);
        return IRBUS_EIO;
    }
    atomic_store(&z->alive, 1);
    if (pthread_create(&z->thread, NULL, zap_main, z) != 0) {
        atomic_store(&z->alive, 0);
        zmq_close(z->sock);
        return IRBUS_EIO;
    }
    return 0;
}

void
irb_zap_stop(struct irb_zap *z) {
    atomic_store(&z->stopping, 1);
}

void
irb_zap_join(struct irb_zap *z) {
    atomic_store(&z->stopping, 1);
    pthread_join(z->thread, NULL);
}
