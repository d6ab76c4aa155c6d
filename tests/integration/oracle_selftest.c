/*
 * oracle_selftest.c - the oracle (oracle.c) against the plain sentences of
 * schema/policy.md and of the policy issue, before it is trusted to judge
 * the broker: if the model itself misreads "RED reaches only the named", the
 * property test would only compare two mistakes.
 */
#include "oracle_selftest.h"

#include "check.h"
#include "oracle.h"

#include "irbus.h"

#include <stdio.h>
#include <string.h>

enum { E1, E2, I1, C1, R1, NORG };
enum { E1A, E1B, E2A, I1A, I1B, C1A, R1A, BOT, OUT, NPART };

static struct ora_part parts[NPART];
static struct ora_roster roster;
static struct ora_incident inc;
static uint64_t next_seq;

static void
part(int p, const char *id, int org, int automated, int max_pap) {
    memset(&parts[p], 0, sizeof parts[p]);
    strcpy(parts[p].id, id);
    parts[p].org = org;
    parts[p].automated = automated;
    parts[p].max_pap = max_pap;
}

static int
command(int type, int sender, int org, int role, int spoc) {
    struct ora_command c = {type, sender, org, role, spoc, spoc, 0};
    int rc = ora_command(&roster, &inc, &c);

    if (rc == 0) {
        ora_apply(&roster, &inc, &c, ++next_seq);
    }
    return rc;
}

/* Publish a message or forward; returns the code, and the record's index
 * in *idx when stored. */
static int
publish(int cls, int sender, int channel, int group, int tlp, int pap, int ref, int nto,
        const struct ora_id *to, int *idx) {
    struct ora_request q = {cls, sender, group, channel, tlp, pap, nto, {{0, 0}}, ref, 1};
    int rc;

    for (int i = 0; i < nto; i++) {
        q.to[i] = to[i];
    }
    rc = ora_publish(&roster, &inc, &q);
    if (rc == 0) {
        ora_store(&roster, &inc, &q, ++next_seq);
        if (idx != NULL) {
            *idx = inc.nrecords - 1;
        }
    }
    return rc;
}

static int
msg(int sender, int channel, int tlp, int pap, int nto, const struct ora_id *to, int *idx) {
    return publish(ORA_C_MESSAGE, sender, channel, ORA_G_MSG, tlp, pap, -1, nto, to, idx);
}

static void
setup(void) {
    static const int kinds[NORG] = {ORA_ENTITY, ORA_ENTITY, ORA_KIND_IR_PROVIDER, ORA_KIND_CSIRT,
                                    ORA_KIND_REGULATOR};
    static const char *const ids[NORG] = {"e1", "e2", "i1", "c1", "r1"};

    memset(&roster, 0, sizeof roster);
    for (int o = 0; o < NORG; o++) {
        strcpy(roster.orgs[o].id, ids[o]);
        roster.orgs[o].kind = kinds[o];
    }
    roster.norgs = NORG;
    part(E1A, "a@e1", E1, 0, ORA_PAP_NONE);
    part(E1B, "b@e1", E1, 0, ORA_PAP_NONE);
    part(E2A, "a@e2", E2, 0, ORA_PAP_NONE);
    part(I1A, "a@i1", I1, 0, ORA_PAP_NONE);
    part(I1B, "b@i1", I1, 0, ORA_PAP_NONE);
    part(C1A, "a@c1", C1, 0, ORA_PAP_NONE);
    part(R1A, "a@r1", R1, 0, ORA_PAP_NONE);
    part(BOT, "bot@e1", E1, 1, ORA_PAP_GREEN);
    part(OUT, "x@c1", C1, 0, ORA_PAP_NONE); /* the coordinator */
    roster.parts = parts;
    roster.nparts = NPART;
    memset(&inc, 0, sizeof inc);
    next_seq = 0;
    CHECK_EQ(command(ORA_CMD_OPEN, OUT, 0, 0, -1), 0);
    CHECK_EQ(command(ORA_CMD_PARTY_ADD, OUT, E1, ORA_AFFECTED, E1A), 0);
    CHECK_EQ(command(ORA_CMD_PARTY_ADD, OUT, I1, ORA_IR_PROVIDER, I1A), 0);
    CHECK_EQ(command(ORA_CMD_PARTY_ADD, OUT, R1, ORA_REGULATOR, -1), 0);
}

#define ORG(o)                                                                                     \
    { ORA_ID_ORG, (o) }
#define PART(p)                                                                                    \
    { ORA_ID_PART, (p) }

/* TLP:RED to one participant is not visible to a colleague, not even after
 * the colleague becomes SPOC, nor to a coordinator it does not name. */
static void
red_stays_with_the_named(void) {
    const struct ora_id to[] = {PART(E1A)};
    int r = -1;

    setup();
    CHECK_EQ(msg(I1A, ORA_FINDINGS, ORA_RED, ORA_PAP_NONE, 1, to, &r), 0);
    CHECK(ora_in_view(&roster, &inc, E1A, r, ORA_ALL_CHANNELS));
    CHECK(ora_in_view(&roster, &inc, I1A, r, ORA_ALL_CHANNELS)); /* its sender */
    CHECK(!ora_may_see(&roster, &inc, E1B, r));
    CHECK(!ora_may_see(&roster, &inc, I1B, r));
    CHECK(!ora_may_see(&roster, &inc, OUT, r));
    CHECK_EQ(command(ORA_CMD_HANDOVER, E1A, E1, 0, E1B), 0);
    CHECK(!ora_may_see(&roster, &inc, E1B, r));
    CHECK(ora_may_see(&roster, &inc, E1A, r));
    /* Nor can anybody but its sender forward it. */
    CHECK_EQ(
        publish(ORA_C_FORWARD, E1A, ORA_FINDINGS, ORA_G_MSG, ORA_RED, ORA_PAP_NONE, r, 1, to, NULL),
        IRBUS_EFORWARD);
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_FINDINGS, ORA_G_MSG, ORA_GREEN, ORA_PAP_NONE, r, 0,
                     NULL, NULL),
             0);
}

/* AMBER+STRICT reaches exactly the organisations named; a late-joining
 * party sees GREEN history but not AMBER addressed to others. */
static void
amber_audience_is_fixed(void) {
    const struct ora_id to_e1[] = {ORG(E1)};
    int strict = -1, amber = -1, green = -1;

    setup();
    CHECK_EQ(msg(I1A, ORA_FINDINGS, ORA_AMBER_STRICT, ORA_PAP_NONE, 1, to_e1, &strict), 0);
    CHECK_EQ(msg(I1A, ORA_FINDINGS, ORA_AMBER, ORA_PAP_NONE, 1, to_e1, &amber), 0);
    CHECK_EQ(msg(I1A, ORA_FINDINGS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, &green), 0);
    CHECK(ora_may_see(&roster, &inc, E1B, strict));
    CHECK(!ora_may_see(&roster, &inc, I1B, strict)); /* the sender's organisation is not named */
    CHECK(ora_may_see(&roster, &inc, I1B, amber));   /* AMBER adds it */
    CHECK_EQ(command(ORA_CMD_PARTY_ADD, OUT, E2, ORA_AFFECTED, E2A), 0);
    CHECK(ora_may_see(&roster, &inc, E2A, green));
    CHECK(!ora_may_see(&roster, &inc, E2A, amber));
    CHECK(!ora_may_see(&roster, &inc, E2A, strict));
    /* A regulator reads findings only where it is addressed. */
    CHECK_EQ(command(ORA_CMD_HANDOVER, OUT, R1, 0, R1A), 0);
    CHECK(!ora_may_see(&roster, &inc, R1A, green));
    CHECK_EQ(ora_read_check(&roster, &inc, R1A, 1u << ORA_FINDINGS), 0);
}

/* A message to an organisation on `coordination` reaches its SPOC as it is
 * now. */
static void
coordination_follows_the_spoc(void) {
    const struct ora_id to_e1[] = {ORG(E1)}, to_e1a[] = {PART(E1A)};
    int r = -1, red = -1;

    setup();
    CHECK_EQ(msg(OUT, ORA_COORDINATION, ORA_AMBER, ORA_PAP_NONE, 1, to_e1, &r), 0);
    CHECK(ora_may_see(&roster, &inc, E1A, r));
    CHECK(!ora_may_see(&roster, &inc, E1B, r));
    CHECK_EQ(ora_read_check(&roster, &inc, E1B, 1u << ORA_COORDINATION), IRBUS_ECHANNEL);
    CHECK_EQ(command(ORA_CMD_HANDOVER, I1A, E1, 0, E1B), IRBUS_EHANDOVER); /* not its SPOC */
    CHECK_EQ(command(ORA_CMD_HANDOVER, E1A, E1, 0, I1B), IRBUS_EHANDOVER); /* not of E1 */
    CHECK_EQ(msg(OUT, ORA_COORDINATION, ORA_RED, ORA_PAP_NONE, 1, to_e1a, &red), 0);
    CHECK(ora_may_see(&roster, &inc, E1A, red));
    CHECK_EQ(command(ORA_CMD_HANDOVER, E1A, E1, 0, E1B), 0);
    CHECK(ora_may_see(&roster, &inc, E1B, r));
    CHECK(!ora_may_see(&roster, &inc, E1A, r));
    /* "a RED record naming it is no exception" */
    CHECK(!ora_may_see(&roster, &inc, E1A, red));
    CHECK(!ora_may_see(&roster, &inc, E1B, red));
    /* Who may hand over, and to whom (section 4). */
    CHECK_EQ(command(ORA_CMD_HANDOVER, E1A, E1, 0, E1A), IRBUS_EHANDOVER);
    CHECK_EQ(command(ORA_CMD_HANDOVER, OUT, E1, 0, ORA_NOBODY), IRBUS_ENOTFOUND);
    CHECK_EQ(command(ORA_CMD_HANDOVER, OUT, E2, 0, E2A), IRBUS_ENOTFOUND); /* no party */
    CHECK_EQ(command(ORA_CMD_HANDOVER, I1A, E2, 0, E2A), IRBUS_EHANDOVER);
}

/* The channel matrix: SPOC cells, has-spoc cells, a coordinator's classes. */
static void
channel_matrix(void) {
    setup();
    CHECK_EQ(msg(E1B, ORA_COORDINATION, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), IRBUS_ENOTSPOC);
    CHECK_EQ(msg(E1B, ORA_FINDINGS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), 0);
    CHECK_EQ(msg(R1A, ORA_NOTIFICATIONS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), IRBUS_ENOSPOC);
    CHECK_EQ(msg(R1A, ORA_FINDINGS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), IRBUS_ECHANNEL);
    CHECK_EQ(msg(OUT, ORA_FINDINGS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), IRBUS_ECHANNEL);
    CHECK_EQ(msg(E1A, ORA_STATUS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), IRBUS_ECHANNEL);
    CHECK_EQ(publish(ORA_C_MESSAGE, E1B, ORA_NOTIFICATIONS, ORA_G_STAGE, ORA_GREEN, ORA_PAP_NONE,
                     -1, 0, NULL, NULL),
             IRBUS_ENOTSPOC);
    CHECK_EQ(publish(ORA_C_MESSAGE, E1A, ORA_FINDINGS, ORA_G_STAGE, ORA_GREEN, ORA_PAP_NONE, -1, 0,
                     NULL, NULL),
             IRBUS_ECHANNEL);
    CHECK_EQ(publish(ORA_C_MESSAGE, I1B, ORA_COORDINATION, ORA_G_CCV, ORA_GREEN, ORA_PAP_NONE, -1,
                     0, NULL, NULL),
             IRBUS_ENOTSPOC);
    /* A coordinator who is also a SPOC may do what either may. */
    CHECK_EQ(command(ORA_CMD_COORD_ADD, OUT, 0, 0, E1A), 0);
    CHECK_EQ(msg(E1A, ORA_STATUS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), 0);
    CHECK_EQ(msg(E1A, ORA_FINDINGS, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), 0);
    CHECK_EQ(msg(C1A, ORA_INTERNAL, ORA_GREEN, ORA_PAP_NONE, 0, NULL, NULL), IRBUS_ENOTMEMBER);
}

/* PAP limits automated participants only; forwards carry the stricter PAP. */
static void
pap_limits_automation(void) {
    const struct ora_id to_c1[] = {ORG(C1)};
    int amber = -1, green = -1, fwd = -1;

    setup();
    CHECK_EQ(msg(OUT, ORA_STATUS, ORA_GREEN, ORA_PAP_AMBER, 0, NULL, &amber), 0);
    CHECK_EQ(msg(OUT, ORA_STATUS, ORA_GREEN, ORA_PAP_GREEN, 0, NULL, &green), 0);
    CHECK(!ora_may_see(&roster, &inc, BOT, amber));
    CHECK(ora_may_see(&roster, &inc, BOT, green));
    CHECK(ora_may_see(&roster, &inc, E1B, amber));
    CHECK_EQ(publish(ORA_C_FORWARD, E1A, ORA_INTERNAL, ORA_G_MSG, ORA_GREEN, ORA_PAP_NONE, amber, 0,
                     NULL, &fwd),
             0);
    CHECK(!ora_may_see(&roster, &inc, BOT, fwd));
    CHECK_EQ(msg(OUT, ORA_STATUS, ORA_GREEN, ORA_PAP_NONE, 1, to_c1, NULL), IRBUS_EAUDIENCE);
}

/* AMBER may go to the forwarder's clients; a grant widens it. */
static void
forwarding_and_grants(void) {
    const struct ora_id to_e1[] = {ORG(E1)}, to_r1[] = {ORG(R1)}, to_r1a[] = {PART(R1A)};
    struct ora_request grant = {ORA_C_SHARE_GRANT, E1A, 0, 0, 0, ORA_PAP_NONE, 1, {ORG(R1)}, 0, 1};
    int r = -1;

    setup();
    CHECK_EQ(msg(E1A, ORA_FINDINGS, ORA_AMBER, ORA_PAP_NONE, 0, NULL, &r), 0);
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_FINDINGS, ORA_G_MSG, ORA_AMBER, ORA_PAP_NONE, r, 1,
                     to_e1, NULL),
             0); /* E1 is I1's client */
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_NOTIFICATIONS, ORA_G_MSG, ORA_AMBER, ORA_PAP_NONE, r,
                     1, to_r1, NULL),
             IRBUS_ECHANNEL);
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_COORDINATION, ORA_G_MSG, ORA_AMBER_STRICT,
                     ORA_PAP_NONE, r, 1, to_r1, NULL),
             IRBUS_EFORWARD);
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_COORDINATION, ORA_G_MSG, ORA_GREEN, ORA_PAP_NONE, r, 0,
                     NULL, NULL),
             IRBUS_EFORWARD);
    grant.ref = r;
    CHECK_EQ(ora_publish(&roster, &inc, &grant), 0);
    grant.sender = I1A;
    CHECK_EQ(ora_publish(&roster, &inc, &grant), IRBUS_EGRANT);
    grant.sender = E1A;
    ora_store(&roster, &inc, &grant, ++next_seq);
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_COORDINATION, ORA_G_MSG, ORA_AMBER_STRICT,
                     ORA_PAP_NONE, r, 1, to_r1, NULL),
             0);
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_COORDINATION, ORA_G_MSG, ORA_GREEN, ORA_PAP_NONE, r, 0,
                     NULL, NULL),
             IRBUS_EFORWARD);
    /* R1 sees the record through the forward, on coordination, once it
     * has a SPOC to read coordination for it. */
    CHECK(!ora_may_see(&roster, &inc, R1A, r));
    /* A RED forward to a participant of a granted organisation; naming it
     * does not let it read coordination without being its SPOC. */
    CHECK_EQ(publish(ORA_C_FORWARD, I1A, ORA_COORDINATION, ORA_G_MSG, ORA_RED, ORA_PAP_NONE, r, 1,
                     to_r1a, NULL),
             0);
    CHECK(!ora_may_see(&roster, &inc, R1A, r));
    CHECK_EQ(command(ORA_CMD_HANDOVER, OUT, R1, 0, R1A), 0);
    CHECK(ora_may_see(&roster, &inc, R1A, r));
    CHECK(ora_in_view(&roster, &inc, R1A, r, 1u << ORA_COORDINATION));
    CHECK(!ora_in_view(&roster, &inc, R1A, r, 1u << ORA_FINDINGS));
}

void
oracle_selftest(void) {
    int before = check_failures;

    red_stays_with_the_named();
    amber_audience_is_fixed();
    coordination_follows_the_spoc();
    channel_matrix();
    pap_limits_automation();
    forwarding_and_grants();
    if (check_failures != before) {
        fprintf(stderr, "55-oracle: the oracle disagrees with the policy's own sentences\n");
    }
}
