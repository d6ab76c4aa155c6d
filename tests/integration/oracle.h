/*
 * oracle.h - an independent model of schema/policy.md, for the property
 * test 55-oracle.c: given a roster and one incident, it answers the code of
 * every request and whether a participant may see a stored record.
 *
 * It is written from the policy text alone and shares no code with the
 * broker's policy module (broker/policy.c): its purpose is to disagree with
 * the broker wherever one of the two misreads the text. It knows nothing of
 * the wire: ids are indices into the model, records are indices into the
 * incident's list, and answers are the IRBUS_E* codes of include/irbus.h.
 *
 * Owner: the caller owns every structure here; the oracle keeps no state.
 */
#ifndef IRB_ORACLE_H
#define IRB_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#define ORA_MAX_ORGS    16
#define ORA_MAX_TO      8
#define ORA_MAX_COORDS  16
#define ORA_MAX_RECORDS 160
#define ORA_ID_LEN      64

/* Organisation kinds (roster) and party roles (incident), in wire order. */
enum ora_org_kind { ORA_ENTITY, ORA_KIND_IR_PROVIDER, ORA_KIND_CSIRT, ORA_KIND_REGULATOR };
enum ora_role { ORA_AFFECTED, ORA_IR_PROVIDER, ORA_CSIRT, ORA_REGULATOR, ORA_NROLES };
/* Channels, TLP and PAP labels, in wire order (schema/protocol.md section 4). */
enum ora_channel {
    ORA_STATUS,
    ORA_COORDINATION,
    ORA_FINDINGS,
    ORA_NOTIFICATIONS,
    ORA_INTERNAL,
    ORA_NCHANNELS
};
#define ORA_ALL_CHANNELS ((1u << ORA_NCHANNELS) - 1)
enum ora_tlp { ORA_CLEAR, ORA_GREEN, ORA_AMBER, ORA_AMBER_STRICT, ORA_RED, ORA_NTLP };
#define ORA_PAP_NONE (-1) /* no `pap`: counts as CLEAR */
enum ora_pap { ORA_PAP_CLEAR, ORA_PAP_GREEN, ORA_PAP_AMBER, ORA_PAP_RED, ORA_NPAP };
/* Kind groups of policy.md section 1.1. */
enum ora_group { ORA_G_MSG, ORA_G_STAGE, ORA_G_REQUEST, ORA_G_CCV, ORA_NGROUPS };
/* What a stored record is (the `class` of its meta bytes, section 5). */
enum ora_class {
    ORA_C_MESSAGE,
    ORA_C_COMMAND,
    ORA_C_FORWARD,
    ORA_C_SHARE_REQUEST,
    ORA_C_SHARE_GRANT
};
enum ora_state { ORA_OPEN, ORA_CONTAINED, ORA_RECOVERED, ORA_CLOSED };
enum ora_cmd_type {
    ORA_CMD_OPEN,
    ORA_CMD_PARTY_ADD,
    ORA_CMD_PARTY_REMOVE,
    ORA_CMD_HANDOVER,
    ORA_CMD_COORD_ADD,
    ORA_CMD_STATE_SET
};

/* An entry of `to`: an organisation, a participant, or an id the roster
 * does not know. */
enum ora_id_type { ORA_ID_ORG, ORA_ID_PART, ORA_ID_GHOST };
struct ora_id {
    int type;
    int idx; /* organisation or participant index; unused for a ghost */
};

struct ora_org {
    char id[ORA_ID_LEN + 1];
    int kind;
};

struct ora_part {
    char id[ORA_ID_LEN + 1];
    int org;
    int automated;
    int max_pap; /* ORA_PAP_NONE: none given (an automated one then counts as CLEAR) */
    int revoked;
};

/*
 * Where schema/policy.md can be read more than one way, which reading the
 * model takes. The first of each list is the default; 55-oracle prints the
 * readings it runs with and takes others from IRB_ORACLE_READINGS.
 *
 * share.grant, "with ref's channel, label, PAP and audience: seen by
 * whoever may see ref":
 *   ORA_GRANT_AS_REF     whoever sees ref itself, on its channel (not
 *                        through a forward);
 *   ORA_GRANT_WITH_REF   whoever may see ref by section 2, through a
 *                        forward of ref included (the letter of "may see");
 *   ORA_GRANT_AS_STORED  section 2 applied to the grant's own record: ref's
 *                        channel, label, PAP and audience, the grant's `to`.
 * share.request, "RED on ref's channel with audience {ref's sender}: seen by
 * the requester and ref's sender":
 *   ORA_REQUEST_AS_SAID   the requester and ref's sender, while members;
 *   ORA_REQUEST_AS_STORED section 2 applied to the request's own record
 *                         (ref's sender must also pass the channel rule);
 *   ORA_REQUEST_RED_TO_SENDER  the same, its `to` taken to be {ref's sender}
 *                         (a RED record addressed to ref's sender).
 */
enum ora_grant_reading { ORA_GRANT_AS_REF, ORA_GRANT_WITH_REF, ORA_GRANT_AS_STORED };
enum ora_request_reading { ORA_REQUEST_AS_SAID, ORA_REQUEST_AS_STORED, ORA_REQUEST_RED_TO_SENDER };
/*
 * Section 3.1, the grant paragraph ("whatever the label order"):
 *   ORA_FORWARD_GRANTS_WIDEN  only once a grant for ref exists;
 *   ORA_FORWARD_ALWAYS_WIDE   also without any grant (then AMBER inside the
 *                             forwarder's organisation is enough for an
 *                             AMBER+STRICT record).
 */
enum ora_forward_reading { ORA_FORWARD_GRANTS_WIDEN, ORA_FORWARD_ALWAYS_WIDE };

/* The roster, and the readings the model takes. parts is owned by whoever
 * filled it (the driver). */
struct ora_roster {
    struct ora_org orgs[ORA_MAX_ORGS];
    int norgs;
    struct ora_part *parts;
    int nparts;
    int grant_reading;
    int request_reading;
    int forward_reading;
};

struct ora_party {
    int present;
    int role;
    int spoc; /* participant index, or -1: none */
};

/* A stored record as the policy sees it: what section 5 keeps in the meta
 * bytes, plus the index of the referenced record. */
struct ora_record {
    uint64_t seq;
    int cls;
    int cmd;   /* ORA_CMD_* for commands */
    int group; /* ORA_G_* for messages */
    int channel;
    int tlp;
    int pap; /* effective PAP (a forward: the stricter of its own and ref's) */
    int sender;
    int sender_org;
    int nto;
    struct ora_id to[ORA_MAX_TO];
    unsigned aud_orgs; /* AMBER, AMBER+STRICT: bit per organisation */
    int naud_parts;    /* RED: the participants */
    int aud_parts[ORA_MAX_TO];
    int ref; /* index of the referenced record (classes forward, share.*), else -1 */
};

/* One incident. Owned by the driver; the oracle reads it and, through
 * ora_store and ora_apply, appends to it. */
struct ora_incident {
    int exists;
    int state;
    struct ora_party party[ORA_MAX_ORGS];
    int ncoords;
    int coords[ORA_MAX_COORDS];
    int nrecords;
    struct ora_record rec[ORA_MAX_RECORDS];
};

/* A publish-class request: message (msg or a stage, request or ccv kind),
 * forward, share.request or share.grant. */
struct ora_request {
    int cls;
    int sender;
    int group;   /* messages */
    int channel; /* messages and forwards */
    int tlp;
    int pap;
    int nto;
    struct ora_id to[ORA_MAX_TO];
    int ref;     /* forward, share.*: record index, or -1 for a sequence that does not exist */
    int hash_ok; /* ref_hash is the digest of the record */
};

/* An incident command. */
struct ora_command {
    int type;
    int sender;
    int org;         /* party.add, party.remove, spoc.handover */
    int role;        /* party.add */
    int spoc;        /* party.add (-1: none), spoc.handover; ORA_NOBODY: no participant */
    int participant; /* coord.add; ORA_NOBODY: no participant */
    int state;       /* state.set */
};
#define ORA_NOBODY (-2) /* an id that is no participant at all */

/* Names, for messages. */
const char *ora_channel_name(int ch);
const char *ora_tlp_name(int tlp);
const char *ora_pap_name(int pap); /* NULL for ORA_PAP_NONE */
const char *ora_role_name(int role);
const char *ora_state_name(int state);

/* A member *now*: not revoked, and its organisation a party or itself a
 * coordinator. */
int ora_member(const struct ora_roster *r, const struct ora_incident *in, int p);
int ora_is_coord(const struct ora_incident *in, int p);
/* The role of p's organisation in the incident, or -1 if it is no party. */
int ora_role_of(const struct ora_roster *r, const struct ora_incident *in, int p);
/* p is the SPOC of its organisation's party. */
int ora_is_spoc(const struct ora_roster *r, const struct ora_incident *in, int p);

/* The expected answer to a publish-class request (0 or IRBUS_E*). */
int ora_publish(const struct ora_roster *r, const struct ora_incident *in,
                const struct ora_request *q);
/* Append the record the request stores as sequence seq (after the broker
 * accepted it): its resolved audience (section 1.3), fixed now. */
void ora_store(const struct ora_roster *r, struct ora_incident *in, const struct ora_request *q,
               uint64_t seq);
/* The expected answer to an incident command. */
int ora_command(const struct ora_roster *r, const struct ora_incident *in,
                const struct ora_command *c);
/* Apply an accepted command, stored as sequence seq. */
void ora_apply(const struct ora_roster *r, struct ora_incident *in, const struct ora_command *c,
               uint64_t seq);

/* The channels p may ask for in subscribe and history (section 2.4), as a
 * mask of 1 << ORA_*; 0 if p is not a member. */
unsigned ora_readable(const struct ora_roster *r, const struct ora_incident *in, int p);
/* The expected answer to subscribe or history on the channels of mask. */
int ora_read_check(const struct ora_roster *r, const struct ora_incident *in, int p, unsigned mask);
/* p may see record i (section 2), on any channel. */
int ora_may_see(const struct ora_roster *r, const struct ora_incident *in, int p, int i);
/* Record i is among what history, replay or live delivery give p on the
 * channels of mask: seen directly on its own channel, or through a forward
 * on the forward's channel. */
int ora_in_view(const struct ora_roster *r, const struct ora_incident *in, int p, int i,
                unsigned mask);

#endif
