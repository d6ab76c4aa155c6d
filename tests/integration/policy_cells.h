/*
 * policy_cells.h - the fixture of the table-driven policy tests
 * (50-policy, 52-leak): one broker, a roster of named actors with their
 * own connections, and small helpers that publish, forward, read history
 * and collect live deliveries, each answer compared as one named "cell"
 * that is printed as it is checked, so a failure names the cell.
 *
 * Written from schema/policy.md alone: nothing here knows how the broker
 * implements the policy. Actors are referred to by short names ("as": the
 * SPOC of the affected party); `to` lists and reader lists are strings of
 * space-separated names or ids.
 */
#ifndef IRB_POLICY_CELLS_H
#define IRB_POLICY_CELLS_H

#include "harness.h"
#include "irbus.h"

#include <stddef.h>
#include <stdint.h>

#define PC_MAX_ACTORS 48
#define PC_MAX_SEQS   2048
#define PC_NAME_MAX   16

/* A participant of the roster with its own connection. Owned by the world. */
struct pc_actor {
    char name[PC_NAME_MAX];    /* short name used in the tables */
    char id[IRBUS_ID_MAX + 1]; /* participant id */
    char org[IRBUS_ID_MAX + 1];
    irbus_key *key;
    irbus_client *c;
};

/* One broker and everyone who talks to it. */
struct pc_world {
    struct broker br;
    irbus_key *op; /* operator key (admin) */
    irbus_client *opc;
    struct pc_actor a[PC_MAX_ACTORS];
    size_t n;
    uint8_t next_seed;
    int cells, cells_failed;
};

/* A set of (sequence, channel) pairs read from the broker. */
struct pc_seen {
    uint64_t seq[PC_MAX_SEQS];
    char channel[PC_MAX_SEQS][16]; /* "" for records without a channel */
    char kind[PC_MAX_SEQS][32];
    size_t n;
};

/* Start the broker (harness_begin) and connect the operator. Returns 0, or
 * 64 for a usage error. */
int pc_begin(struct pc_world *w, int argc, char **argv);
/* Close every connection, stop the broker, report the cells. */
void pc_end(struct pc_world *w, const char *test);

/* Roster commands as the operator. */
int pc_org(struct pc_world *w, const char *org, const char *kind);
/* Add participant `id` of `org` (automated, max_pap as in the roster) and
 * connect it; `name` is how the tables call it. NULL on failure (a failed
 * check). */
struct pc_actor *pc_add(struct pc_world *w, const char *name, const char *id, const char *org,
                        int automated, const char *max_pap);
/* The actor named `name` (a failed check and NULL if there is none). */
struct pc_actor *pc_get(struct pc_world *w, const char *name);
/* A new connection for `a` (the old one is closed): "after reconnect". */
void pc_reconnect(struct pc_world *w, struct pc_actor *a);

/* Compare one answer code with the table's; print the cell. `label` is a
 * printf format. Returns 1 if they agree. */
int pc_cell(struct pc_world *w, int got, int want, const char *label, ...)
    __attribute__((format(printf, 4, 5)));
/* Compare the sequences of `got` (only those on `channel` when channel is
 * not NULL) with `want` (n numbers; zeros are ignored: records whose
 * publish failed). Prints the cell and, on failure, what is missing and
 * what is extra. */
int pc_cell_set(struct pc_world *w, const struct pc_seen *got, const char *channel,
                const uint64_t *want, size_t n, const char *label, ...)
    __attribute__((format(printf, 6, 7)));
/* 1 if `seq` is in `got`. */
int pc_seen_has(const struct pc_seen *got, uint64_t seq);
/* A cell on one record: whether `seq` is in `got` ("read" or "not read")
 * against `want_read`. seq 0 (a setup step failed) counts as not read. */
int pc_cell_read(struct pc_world *w, const struct pc_seen *got, uint64_t seq, int want_read,
                 const char *label, ...) __attribute__((format(printf, 5, 6)));

/* Publish (kind NULL: msg; pap NULL: none; to: space-separated ids, NULL or
 * "" for none). *seq receives the record's sequence (0 on failure). Returns
 * 0 or the error. */
int pc_publish(struct pc_actor *a, const char *incident, const char *channel, const char *tlp,
               const char *pap, const char *kind, const char *to, uint64_t *seq);
/* Forward record `ref` whose envelope digest the caller gives in `hash`. */
int pc_forward(struct pc_actor *a, const char *incident, uint64_t ref, const uint8_t hash[32],
               const char *channel, const char *tlp, const char *pap, const char *to,
               uint64_t *seq);
/* share.request (grant 0) or share.grant (grant 1). */
int pc_share(struct pc_actor *a, int grant, const char *incident, uint64_t ref,
             const uint8_t hash[32], const char *to, uint64_t *seq);
/* The envelope digest of record `seq`, read through `a`'s history. Returns
 * 0 or an error (the record is not visible to a). */
int pc_digest(struct pc_actor *a, const char *incident, uint64_t seq, uint8_t out[32]);

/* Every record `a` may read on `channels` from `from` on (history, paged
 * through `next`), added to *out with the channel asked for when one
 * channel is asked, else the record's own. Returns 0 or the error. */
int pc_history(struct pc_actor *a, const char *incident, const char *channels, uint64_t from,
               struct pc_seen *out);
/* Receive on a's connection until record `marker` of `incident` has
 * arrived or timeout_ms passed, then drain_ms more; every delivery of
 * `incident` is added to *out (those of other incidents are dropped).
 * Returns 1 if the marker arrived. */
int pc_collect(struct pc_actor *a, const char *incident, uint64_t marker, int timeout_ms,
               int drain_ms, struct pc_seen *out);
/* Open `incident` as `opener`; then add each "org:role[:spoc-id]" of the
 * space-separated `parties`. The sequences of these command records are
 * appended to cmds (*ncmds of them; cmds may be NULL). Returns 0 or the
 * first error. */
int pc_incident(struct pc_actor *opener, const char *incident, const char *parties, uint64_t *cmds,
                size_t *ncmds);
/* The name of an answer code for the printed cells: "302 ECHANNEL". */
const char *pc_code_name(int code);

/* Split `s` (NULL: empty) on spaces into at most max words, copied into
 * buf (cap bytes); out[i] point into buf. Returns the number of words. */
size_t pc_split(char *buf, size_t cap, const char *s, const char **out, size_t max);
/* 1 if the space-separated list `list` holds `word` ("*" holds anything). */
int pc_list_has(const char *list, const char *word);

#endif
