/*
 * store.c - LMDB behind store.h. Owns the environment and the one write
 * transaction of the current batch. Never uses MDB_NOSYNC or MDB_WRITEMAP:
 * a receipt must follow the fsync of its record.
 *
 * Store format 2. Databases (keys and values big-endian):
 *   meta     "format" -> u32 2. A store without it was written by an
 *            irbusd before format 2 and is refused (its records are laid
 *            out differently); so is any other number.
 *   index    log -> u64 seq || u32 len || u64 offset, one sorted duplicate
 *            per record of the log (MDB_DUPSORT | MDB_DUPFIXED): the
 *            record's value, as below, is `len` bytes of the stream from
 *            `offset`, or, when len > STREAM_MAX, the value under the
 *            record's key in `large` (offset 0)
 *   large    u8 len || log || u64 seq -> the value of a record over STREAM_MAX
 *   commands u8 len || log || u64 seq -> empty (index of command records)
 *   stream   u64 n -> bytes n * PART_MAX .. of one byte stream holding the
 *            values of records one after the other; every part but the
 *            last holds PART_MAX bytes
 *   heads    log -> u64 seq || hash[32]
 *   senders  pk[32] -> u64 seq
 *   acks     participant || 0x00 || incident -> u64 seq || u64 time
 *
 * A record's value: u64 btime || hash[32] || sig[64] || u16 metalen ||
 * meta || [u16 prooflen || proof] || env, where the top bit of the metalen
 * field says a batch signature's proof follows meta (records before batch
 * signatures never have it). It is at least 106 bytes.
 *
 * Why this layout (each choice measured as disk bytes per message by
 * tests/bench): LMDB splits a full page in half when a key goes into its
 * middle, and fills it only when told the key goes at the end (MDB_APPEND,
 * MDB_APPENDDUP).
 *  - A log's records come in sequence order, so its index entries are the
 *    sorted duplicates of one key, appended (MDB_APPENDDUP): 20 bytes each,
 *    no node header, full pages. An index keyed by (log, seq) took 73 bytes
 *    per record, its pages half full since each log's keys sit in the middle
 *    of the tree.
 *  - Values go into one byte stream whose parts are keyed by a number that
 *    only grows, so parts are appended and pages filled. A full part is
 *    8,176 bytes, exactly two overflow pages with their 16-byte header, and
 *    costs a 26-byte leaf node: 0.5 % beside the bytes it holds (parts small
 *    enough for a leaf node, two to a page, lost 1.8 % to page and node
 *    headers and branch pages). A 4 KiB value alone would take two overflow
 *    pages. The last part grows as records come, so a commit rewrites at
 *    most its two pages.
 *  - Values over STREAM_MAX stay whole (overflow pages waste at most part of
 *    their last page) and are read in place.
 */
#include "store.h"

#include "irbus.h"
#include "log.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct irb_store {
    MDB_env *env;
    MDB_dbi meta, index, large, commands, stream, heads, senders, acks;
    MDB_txn *wtxn;       /* the open batch, or NULL */
    uint64_t stream_end; /* bytes in the parts' byte stream */
    uint64_t batch_end;  /* stream_end when the batch began */
    uint8_t *whole;      /* STREAM_MAX bytes: a value read back from the stream */
    uint8_t *stage;      /* STREAM_MAX bytes: a value on its way to the stream */
    uint8_t *part;       /* PART_MAX bytes: the stream's last part, growing */
};

#define FORMAT    2u
#define KEY_MAX   (1 + 255 + 8)
#define HDR       106     /* btime, hash, sig, metalen */
#define HAS_PROOF 0x8000u /* in the metalen field */
#define ENTRY     20      /* an index entry: u64 seq || u32 len || u64 offset */
/* Values of at most this many bytes go to the stream. */
#define STREAM_MAX 32768
/* Bytes per part of the stream: two 4 KiB pages less the 16-byte header of
 * an overflow page, so a full part takes exactly two overflow pages. */
#define PART_MAX (2 * 4096 - 16)

static void
be64_put(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t
be64_get(const uint8_t *p) {
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static size_t
record_key(uint8_t *k, const char *log, size_t loglen, uint64_t seq) {
    k[0] = (uint8_t)loglen;
    memcpy(k + 1, log, loglen);
    be64_put(k + 1 + loglen, seq);
    return 1 + loglen + 8;
}

static int
map_rc(int rc) {
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return IRBUS_ENOTFOUND;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
        return IRBUS_ESTORAGEFULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
        return IRBUS_ECORRUPT;
    default:
        return IRBUS_EIO;
    }
}

/* Check the store's format in txn, or write it into a new store: 0, or
 * IRBUS_EVERSION with the reason in err. */
static int
format_check(struct irb_store *s, MDB_txn *txn, const char *dir, char *err, size_t errlen) {
    uint8_t v[4] = {0, 0, 0, (uint8_t)FORMAT};
    MDB_val key = {6, "format"}, val = {sizeof v, v};
    MDB_dbi old;
    int rc = mdb_get(txn, s->meta, &key, &val);

    if (rc == MDB_NOTFOUND) {
        if (mdb_dbi_open(txn, "records", 0, &old) == 0) {
            snprintf(err, errlen,
                     "the store in %s was written by an irbusd before store format %u and "
                     "cannot be read by this one",
                     dir, FORMAT);
            return IRBUS_EVERSION;
        }
        val.mv_size = sizeof v;
        val.mv_data = v;
        rc = mdb_put(txn, s->meta, &key, &val, 0);
    } else if (rc == 0) {
        const uint8_t *p = val.mv_data;
        uint32_t f = val.mv_size != 4
                         ? 0
                         : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (f != FORMAT) {
            snprintf(err, errlen, "the store in %s is in format %lu; this irbusd reads format %u",
                     dir, (unsigned long)f, FORMAT);
            return IRBUS_EVERSION;
        }
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot read the store's format: %s", mdb_strerror(rc));
        return map_rc(rc);
    }
    return 0;
}

/* Where the stream ends: where its last part does. */
static int
stream_end_find(struct irb_store *s, MDB_txn *txn, char *err, size_t errlen) {
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    s->stream_end = 0;
    if ((rc = mdb_cursor_open(txn, s->stream, &cur)) == 0) {
        rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
        if (rc == 0 && (key.mv_size != 8 || val.mv_size == 0 || val.mv_size > PART_MAX ||
                        be64_get(key.mv_data) > UINT64_MAX / PART_MAX - 1)) {
            rc = MDB_CORRUPTED;
        } else if (rc == 0) {
            s->stream_end = be64_get(key.mv_data) * PART_MAX + val.mv_size;
        }
        mdb_cursor_close(cur);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        snprintf(err, errlen, "cannot read the stream: %s", mdb_strerror(rc));
        return map_rc(rc);
    }
    return 0;
}

int
irb_store_open(const char *dir, uint64_t mapsize, struct irb_store **sp, char *err, size_t errlen) {
    struct irb_store *s = calloc(1, sizeof *s);
    MDB_txn *txn = NULL;
    int rc, dead = 0, code = 0;

    *sp = NULL;
    if (s == NULL || (s->whole = malloc(STREAM_MAX)) == NULL ||
        (s->stage = malloc(STREAM_MAX)) == NULL || (s->part = malloc(PART_MAX)) == NULL) {
        if (s != NULL) {
            free(s->whole);
            free(s->stage);
        }
        free(s);
        snprintf(err, errlen, "out of memory");
        return IRBUS_ENOMEM;
    }
    if ((rc = mdb_env_create(&s->env)) != 0 || (rc = mdb_env_set_maxdbs(s->env, 10)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, (size_t)mapsize)) != 0 ||
        (rc = mdb_env_set_maxreaders(s->env, 126)) != 0) {
        snprintf(err, errlen, "lmdb setup: %s", mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
        snprintf(err, errlen, "cannot open the store in %s: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_reader_check(s->env, &dead)) != 0) {
        snprintf(err, errlen, "reader check: %s", mdb_strerror(rc));
        goto fail;
    }
    if (dead > 0) {
        irb_info("stale_readers_cleared=%d", dead);
    }
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0 ||
        (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0) {
        snprintf(err, errlen, "cannot open databases: %s", mdb_strerror(rc));
        goto fail;
    }
    if ((code = format_check(s, txn, dir, err, errlen)) != 0) {
        goto fail;
    }
    if ((rc = mdb_dbi_open(txn, "index", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &s->index)) !=
            0 ||
        (rc = mdb_dbi_open(txn, "large", MDB_CREATE, &s->large)) != 0 ||
        (rc = mdb_dbi_open(txn, "commands", MDB_CREATE, &s->commands)) != 0 ||
        (rc = mdb_dbi_open(txn, "stream", MDB_CREATE, &s->stream)) != 0 ||
        (rc = mdb_dbi_open(txn, "heads", MDB_CREATE, &s->heads)) != 0 ||
        (rc = mdb_dbi_open(txn, "senders", MDB_CREATE, &s->senders)) != 0 ||
        (rc = mdb_dbi_open(txn, "acks", MDB_CREATE, &s->acks)) != 0) {
        snprintf(err, errlen, "cannot open databases: %s", mdb_strerror(rc));
        goto fail;
    }
    if ((code = stream_end_find(s, txn, err, errlen)) != 0) {
        goto fail;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc != 0) {
        snprintf(err, errlen, "cannot create databases: %s", mdb_strerror(rc));
        goto fail;
    }
    *sp = s;
    return 0;
fail:
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    mdb_env_close(s->env);
    free(s->whole);
    free(s->stage);
    free(s->part);
    free(s);
    if (code != 0) {
        return code;
    }
    return map_rc(rc) == IRBUS_ENOTFOUND ? IRBUS_EIO : map_rc(rc);
}

void
irb_store_close(struct irb_store **sp) {
    struct irb_store *s;

    if (sp == NULL || (s = *sp) == NULL) {
        return;
    }
    if (s->wtxn != NULL) {
        mdb_txn_abort(s->wtxn);
    }
    mdb_env_close(s->env);
    free(s->whole);
    free(s->stage);
    free(s->part);
    free(s);
    *sp = NULL;
}

int
irb_store_begin(struct irb_store *s) {
    if (s->wtxn != NULL) {
        return 0;
    }
    s->batch_end = s->stream_end;
    return map_rc(mdb_txn_begin(s->env, NULL, 0, &s->wtxn));
}

int
irb_store_in_batch(const struct irb_store *s) {
    return s->wtxn != NULL;
}

static int
put(struct irb_store *s, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl) {
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    int rc;

    if ((rc = irb_store_begin(s)) != 0) {
        return rc;
    }
    return map_rc(mdb_put(s->wtxn, dbi, &key, &val, 0));
}

/* Append len bytes to the stream: fill its last part, then add parts of
 * PART_MAX bytes (the last one maybe fewer). */
static int
stream_append(struct irb_store *s, const uint8_t *b, size_t len) {
    uint8_t *part = s->part;

    while (len > 0) {
        uint64_t n = s->stream_end / PART_MAX;
        size_t at = (size_t)(s->stream_end % PART_MAX), take;
        uint8_t k[8];
        MDB_val key = {sizeof k, k}, val;
        int rc;
        be64_put(k, n);
        if (at > 0) { /* the last part is not full: it grows */
            if ((rc = mdb_get(s->wtxn, s->stream, &key, &val)) != 0 || val.mv_size != at) {
                return rc == 0 || rc == MDB_NOTFOUND ? IRBUS_ECORRUPT : map_rc(rc);
            }
            memcpy(part, val.mv_data, at);
        }
        take = PART_MAX - at < len ? PART_MAX - at : len;
        memcpy(part + at, b, take);
        val.mv_size = at + take;
        val.mv_data = part;
        if ((rc = mdb_put(s->wtxn, s->stream, &key, &val, at > 0 ? 0 : MDB_APPEND)) != 0) {
            return rc == MDB_KEYEXIST ? IRBUS_ECORRUPT : map_rc(rc);
        }
        s->stream_end += take;
        b += take;
        len -= take;
    }
    return 0;
}

/* Part n of the stream, in place: 0 or IRBUS_ECORRUPT (missing, or longer
 * than a part) or IRBUS_EIO. */
static int
part_get(struct irb_store *s, MDB_txn *txn, uint64_t n, MDB_val *val) {
    uint8_t k[8];
    MDB_val key = {sizeof k, k};
    int rc;

    be64_put(k, n);
    if ((rc = mdb_get(txn, s->stream, &key, val)) != 0) {
        return rc == MDB_NOTFOUND ? IRBUS_ECORRUPT : map_rc(rc);
    }
    return val->mv_size > PART_MAX ? IRBUS_ECORRUPT : 0;
}

/* Read len bytes of the stream from offset into out. */
static int
stream_read(struct irb_store *s, MDB_txn *txn, uint64_t offset, size_t len, uint8_t *out) {
    size_t have = 0;

    while (have < len) {
        uint64_t at = offset + have;
        size_t in = (size_t)(at % PART_MAX), take;
        MDB_val val;
        int rc;
        if ((rc = part_get(s, txn, at / PART_MAX, &val)) != 0) {
            return rc;
        }
        if (val.mv_size <= in) {
            return IRBUS_ECORRUPT;
        }
        take = val.mv_size - in < len - have ? val.mv_size - in : len - have;
        memcpy(out + have, (const uint8_t *)val.mv_data + in, take);
        have += take;
    }
    return 0;
}

/* The length of a record's value. */
static size_t
value_len(const struct irb_stored *r) {
    return HDR + r->metalen + (r->prooflen > 0 ? 2 + r->prooflen : 0) + r->envlen;
}

/* Write a record's value (HDR || meta || [prooflen || proof] || env) at p. */
static void
value_put(uint8_t *p, const struct irb_stored *r) {
    unsigned ml = (unsigned)r->metalen | (r->prooflen > 0 ? HAS_PROOF : 0);

    be64_put(p, r->btime);
    memcpy(p + 8, r->hash, 32);
    memcpy(p + 40, r->sig, 64);
    p[104] = (uint8_t)(ml >> 8);
    p[105] = (uint8_t)ml;
    p += HDR;
    memcpy(p, r->meta, r->metalen);
    p += r->metalen;
    if (r->prooflen > 0) {
        p[0] = (uint8_t)(r->prooflen >> 8);
        p[1] = (uint8_t)r->prooflen;
        memcpy(p + 2, r->proof, r->prooflen);
        p += 2 + r->prooflen;
    }
    memcpy(p, r->env, r->envlen);
}

static void
be32_put(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Append entry e to log's index: its seq must be above the log's last
 * one (LMDB's MDB_APPENDDUP compares whole entries, so it would take a
 * repeated seq with a later offset), else IRBUS_EEXIST. */
static int
index_append(struct irb_store *s, const char *log, size_t loglen, const uint8_t e[ENTRY]) {
    MDB_cursor *cur;
    MDB_val key = {loglen, (void *)log}, last;
    int rc;

    if ((rc = mdb_cursor_open(s->wtxn, s->index, &cur)) != 0) {
        return map_rc(rc);
    }
    rc = mdb_cursor_get(cur, &key, &last, MDB_SET_KEY);
    if (rc == 0) {
        rc = mdb_cursor_get(cur, &key, &last, MDB_LAST_DUP);
    }
    if (rc == 0 && (last.mv_size != ENTRY || be64_get(last.mv_data) >= be64_get(e))) {
        rc = last.mv_size != ENTRY ? MDB_CORRUPTED : MDB_KEYEXIST;
    } else if (rc == 0 || rc == MDB_NOTFOUND) {
        MDB_val val = {ENTRY, (void *)e};
        key.mv_size = loglen;
        key.mv_data = (void *)log;
        rc = mdb_cursor_put(cur, &key, &val, MDB_APPENDDUP);
    }
    mdb_cursor_close(cur);
    return rc == MDB_KEYEXIST ? IRBUS_EEXIST : map_rc(rc);
}

int
irb_store_put_record(struct irb_store *s, const struct irb_stored *r, int is_command) {
    uint8_t k[KEY_MAX], e[ENTRY];
    size_t kl, vl;
    MDB_val key, val;
    int rc, streamed;

    if (r->loglen == 0 || r->loglen > 255 || r->metalen >= HAS_PROOF || r->prooflen > 65535) {
        return IRBUS_EINVAL;
    }
    if ((rc = irb_store_begin(s)) != 0) {
        return rc;
    }
    kl = record_key(k, r->log, r->loglen, r->seq);
    vl = value_len(r);
    streamed = vl <= STREAM_MAX;
    be64_put(e, r->seq);
    be32_put(e + 8, (uint32_t)vl);
    be64_put(e + 12, streamed ? s->stream_end : 0);
    if ((rc = index_append(s, r->log, r->loglen, e)) != 0) {
        return rc;
    }
    if (streamed) {
        value_put(s->stage, r);
        rc = stream_append(s, s->stage, vl);
    } else {
        key.mv_size = kl;
        key.mv_data = k;
        val.mv_size = vl;
        /* MDB_RESERVE: LMDB gives the space and the value is written in
         * place, without a staging copy. */
        rc = mdb_put(s->wtxn, s->large, &key, &val, MDB_RESERVE | MDB_NOOVERWRITE);
        if (rc == 0) {
            value_put(val.mv_data, r);
        }
        rc = rc == MDB_KEYEXIST ? IRBUS_ECORRUPT : map_rc(rc);
    }
    if (rc == 0 && is_command) {
        rc = put(s, s->commands, k, kl, "", 0);
    }
    return rc;
}

int
irb_store_put_head(struct irb_store *s, const char *log, size_t loglen, uint64_t seq,
                   const uint8_t hash[32]) {
    uint8_t v[40];

    be64_put(v, seq);
    memcpy(v + 8, hash, 32);
    return put(s, s->heads, log, loglen, v, sizeof v);
}

int
irb_store_put_sender(struct irb_store *s, const uint8_t pk[32], uint64_t seq) {
    uint8_t v[8];

    be64_put(v, seq);
    return put(s, s->senders, pk, 32, v, sizeof v);
}

static size_t
ack_key(uint8_t *k, const char *participant, const char *incident) {
    size_t a = strlen(participant), b = strlen(incident);

    memcpy(k, participant, a);
    k[a] = 0;
    memcpy(k + a + 1, incident, b);
    return a + 1 + b;
}

int
irb_store_put_ack(struct irb_store *s, const char *participant, const char *incident, uint64_t seq,
                  uint64_t when) {
    uint8_t k[2 * 65 + 1], v[16];
    size_t kl;

    if (strlen(participant) > 64 || strlen(incident) > 64) {
        return IRBUS_EINVAL;
    }
    kl = ack_key(k, participant, incident);
    be64_put(v, seq);
    be64_put(v + 8, when);
    return put(s, s->acks, k, kl, v, sizeof v);
}

int
irb_store_commit(struct irb_store *s) {
    int rc;

    if (s->wtxn == NULL) {
        return 0;
    }
    rc = mdb_txn_commit(s->wtxn);
    s->wtxn = NULL;
    if (rc != 0) {
        s->stream_end = s->batch_end;
        irb_error("lmdb_commit_failed error=\"%s\"", mdb_strerror(rc));
        return rc == MDB_MAP_FULL ? IRBUS_ESTORAGEFULL : IRBUS_EIO;
    }
    return 0;
}

void
irb_store_abort(struct irb_store *s) {
    if (s->wtxn != NULL) {
        mdb_txn_abort(s->wtxn);
        s->wtxn = NULL;
        s->stream_end = s->batch_end;
    }
}

/* A read transaction, or the batch's write transaction if one is open. */
static int
rtxn_begin(struct irb_store *s, MDB_txn **txn) {
    if (s->wtxn != NULL) {
        *txn = s->wtxn;
        return 0;
    }
    return map_rc(mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn));
}

static void
rtxn_end(struct irb_store *s, MDB_txn *txn) {
    if (txn != s->wtxn) {
        mdb_txn_abort(txn);
    }
}

static int
get(struct irb_store *s, MDB_dbi dbi, const void *k, size_t kl, void *out, size_t outlen) {
    MDB_txn *txn;
    MDB_val key = {kl, (void *)k}, val;
    int rc;

    if ((rc = rtxn_begin(s, &txn)) != 0) {
        return rc;
    }
    rc = map_rc(mdb_get(txn, dbi, &key, &val));
    if (rc == 0) {
        if (val.mv_size != outlen) {
            rc = IRBUS_ECORRUPT;
        } else {
            memcpy(out, val.mv_data, outlen);
        }
    }
    rtxn_end(s, txn);
    return rc;
}

int
irb_store_get_head(struct irb_store *s, const char *log, size_t loglen, uint64_t *seq,
                   uint8_t hash[32]) {
    uint8_t v[40];
    int rc = get(s, s->heads, log, loglen, v, sizeof v);

    if (rc == 0) {
        *seq = be64_get(v);
        memcpy(hash, v + 8, 32);
    }
    return rc;
}

int
irb_store_get_sender(struct irb_store *s, const uint8_t pk[32], uint64_t *seq) {
    uint8_t v[8];
    int rc = get(s, s->senders, pk, 32, v, sizeof v);

    if (rc == 0) {
        *seq = be64_get(v);
    }
    return rc;
}

int
irb_store_get_ack(struct irb_store *s, const char *participant, const char *incident, uint64_t *seq,
                  uint64_t *when) {
    uint8_t k[2 * 65 + 1], v[16];
    int rc;

    if (strlen(participant) > 64 || strlen(incident) > 64) {
        return IRBUS_EINVAL;
    }
    rc = get(s, s->acks, k, ack_key(k, participant, incident), v, sizeof v);
    if (rc == 0) {
        *seq = be64_get(v);
        *when = be64_get(v + 8);
    }
    return rc;
}

int
irb_store_decode_value(const uint8_t *v, size_t len, struct irb_stored *r) {
    size_t ml, at;
    int proof;

    if (len < HDR) {
        return IRBUS_ECORRUPT;
    }
    ml = (size_t)v[104] << 8 | v[105];
    proof = (ml & HAS_PROOF) != 0;
    ml &= ~(size_t)HAS_PROOF;
    if (ml > len - HDR) {
        return IRBUS_ECORRUPT;
    }
    r->btime = be64_get(v);
    r->hash = v + 8;
    r->sig = v + 40;
    r->meta = v + HDR;
    r->metalen = ml;
    at = HDR + ml;
    r->proof = NULL;
    r->prooflen = 0;
    if (proof) {
        size_t pl;
        if (len - at < 2 || (pl = (size_t)v[at] << 8 | v[at + 1]) == 0 || pl > len - at - 2) {
            return IRBUS_ECORRUPT;
        }
        r->proof = v + at + 2;
        r->prooflen = pl;
        at += 2 + pl;
    }
    r->env = v + at;
    r->envlen = len - at;
    return 0;
}

/* The record an index entry of log points to: its value in place (large,
 * or within one part of the stream), or gathered from the parts it spans
 * into s->whole (valid until the next read). */
static int
entry_get(struct irb_store *s, MDB_txn *txn, const char *log, size_t loglen, const MDB_val *e,
          struct irb_stored *r) {
    const uint8_t *p = e->mv_data;
    size_t len;
    uint64_t offset;
    int rc;

    if (e->mv_size != ENTRY) {
        return IRBUS_ECORRUPT;
    }
    r->log = log;
    r->loglen = loglen;
    r->seq = be64_get(p);
    len = (size_t)p[8] << 24 | (size_t)p[9] << 16 | (size_t)p[10] << 8 | p[11];
    offset = be64_get(p + 12);
    if (len < HDR) {
        return IRBUS_ECORRUPT;
    }
    if (len > STREAM_MAX) {
        uint8_t k[KEY_MAX];
        MDB_val key = {record_key(k, log, loglen, r->seq), k}, val;
        if ((rc = mdb_get(txn, s->large, &key, &val)) != 0) {
            return rc == MDB_NOTFOUND ? IRBUS_ECORRUPT : map_rc(rc);
        }
        if (val.mv_size != len) {
            return IRBUS_ECORRUPT;
        }
        return irb_store_decode_value(val.mv_data, len, r);
    }
    if (offset > UINT64_MAX - len) {
        return IRBUS_ECORRUPT;
    }
    if (offset % PART_MAX + len <= PART_MAX) {
        /* within one part: read in place, no copy */
        size_t in = (size_t)(offset % PART_MAX);
        MDB_val val;
        if ((rc = part_get(s, txn, offset / PART_MAX, &val)) != 0) {
            return rc;
        }
        if (val.mv_size < in + len) {
            return IRBUS_ECORRUPT;
        }
        return irb_store_decode_value((const uint8_t *)val.mv_data + in, len, r);
    }
    if ((rc = stream_read(s, txn, offset, len, s->whole)) != 0) {
        return rc;
    }
    return irb_store_decode_value(s->whole, len, r);
}

/* Position cur at log's first index entry with a seq at least `from`; e
 * is then that entry. `want` holds the bound while LMDB looks. */
static int
entry_seek(MDB_cursor *cur, const char *log, size_t loglen, uint64_t from, uint8_t want[ENTRY],
           MDB_val *e) {
    MDB_val key = {loglen, (void *)log};

    memset(want, 0, ENTRY);
    be64_put(want, from);
    e->mv_size = ENTRY;
    e->mv_data = want;
    return mdb_cursor_get(cur, &key, e, MDB_GET_BOTH_RANGE);
}

/* Decode a records key; 0 if it belongs to log. */
static int
key_of_log(const MDB_val *k, const char *log, size_t loglen, uint64_t *seq) {
    const uint8_t *p = k->mv_data;

    if (k->mv_size != 1 + loglen + 8 || p[0] != loglen || memcmp(p + 1, log, loglen) != 0) {
        return -1;
    }
    *seq = be64_get(p + 1 + loglen);
    return 0;
}

/* A scan goes on while its result is GO_ON. */
#define GO_ON 1

/* The callback's answer as a scan's result: 0 goes on, 1 stops the scan
 * (0), a negative code aborts it. */
static int
visit(irb_store_visit_fn fn, void *ctx, const struct irb_stored *r) {
    int rc = fn(ctx, r);

    return rc == 0 ? GO_ON : rc > 0 ? 0 : rc;
}

int
irb_store_scan(struct irb_store *s, const char *log, size_t loglen, uint64_t from, uint64_t until,
               irb_store_visit_fn fn, void *ctx) {
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint8_t want[ENTRY];
    MDB_val key, e;
    int rc, mrc;

    if (loglen == 0 || loglen > 255) {
        return IRBUS_EINVAL;
    }
    if ((rc = rtxn_begin(s, &txn)) != 0) {
        return rc;
    }
    if ((rc = map_rc(mdb_cursor_open(txn, s->index, &cur))) == 0) {
        rc = GO_ON;
        mrc = entry_seek(cur, log, loglen, from, want, &e);
        while (mrc == 0 && rc == GO_ON) {
            struct irb_stored r;
            if ((rc = entry_get(s, txn, log, loglen, &e, &r)) == 0) {
                rc = until != 0 && r.seq > until ? 0 : visit(fn, ctx, &r);
            }
            if (rc == GO_ON) {
                mrc = mdb_cursor_get(cur, &key, &e, MDB_NEXT_DUP);
            }
        }
        if (rc == GO_ON) {
            rc = mrc == MDB_NOTFOUND ? 0 : map_rc(mrc);
        }
        mdb_cursor_close(cur);
    }
    rtxn_end(s, txn);
    return rc;
}

int
irb_store_scan_commands(struct irb_store *s, const char *log, size_t loglen, irb_store_visit_fn fn,
                        void *ctx) {
    MDB_txn *txn;
    MDB_cursor *cur = NULL, *icur = NULL;
    uint8_t k[KEY_MAX], want[ENTRY];
    MDB_val key, val, e;
    int rc, mrc = 0, op = MDB_SET_RANGE;

    if (loglen == 0 || loglen > 255) {
        return IRBUS_EINVAL;
    }
    if ((rc = rtxn_begin(s, &txn)) != 0) {
        return rc;
    }
    if ((rc = map_rc(mdb_cursor_open(txn, s->commands, &cur))) != 0 ||
        (rc = map_rc(mdb_cursor_open(txn, s->index, &icur))) != 0) {
        goto out;
    }
    key.mv_size = record_key(k, log, loglen, 0);
    key.mv_data = k;
    rc = GO_ON;
    while (rc == GO_ON && (mrc = mdb_cursor_get(cur, &key, &val, (MDB_cursor_op)op)) == 0) {
        struct irb_stored r;
        uint64_t seq;
        op = MDB_NEXT;
        if (key_of_log(&key, log, loglen, &seq) != 0) {
            rc = 0;
            break;
        }
        /* the command's record: its index entry must exist */
        if ((mrc = entry_seek(icur, log, loglen, seq, want, &e)) != 0 || e.mv_size != ENTRY ||
            be64_get(e.mv_data) != seq) {
            rc = mrc == 0 || mrc == MDB_NOTFOUND ? IRBUS_ECORRUPT : map_rc(mrc);
            break;
        }
        if ((rc = entry_get(s, txn, log, loglen, &e, &r)) == 0) {
            rc = visit(fn, ctx, &r);
        }
    }
    if (rc == GO_ON) {
        rc = mrc == MDB_NOTFOUND ? 0 : map_rc(mrc);
    }
out:
    if (icur != NULL) {
        mdb_cursor_close(icur);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    rtxn_end(s, txn);
    return rc;
}

int
irb_store_scan_heads(struct irb_store *s, irb_store_visit_fn fn, void *ctx) {
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    MDB_val key, val;
    int rc;

    if ((rc = rtxn_begin(s, &txn)) != 0) {
        return rc;
    }
    if ((rc = map_rc(mdb_cursor_open(txn, s->heads, &cur))) != 0) {
        rtxn_end(s, txn);
        return rc;
    }
    for (int op = MDB_FIRST;; op = MDB_NEXT) {
        struct irb_stored r;
        int mrc = mdb_cursor_get(cur, &key, &val, (MDB_cursor_op)op);
        if (mrc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (mrc != 0 || val.mv_size != 40 || key.mv_size == 0 || key.mv_size > 255) {
            rc = mrc != 0 ? map_rc(mrc) : IRBUS_ECORRUPT;
            break;
        }
        memset(&r, 0, sizeof r);
        r.log = key.mv_data;
        r.loglen = key.mv_size;
        r.seq = be64_get(val.mv_data);
        r.hash = (const uint8_t *)val.mv_data + 8;
        if ((rc = fn(ctx, &r)) != 0) {
            rc = rc > 0 ? 0 : rc;
            break;
        }
    }
    mdb_cursor_close(cur);
    rtxn_end(s, txn);
    return rc;
}
