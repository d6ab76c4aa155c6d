/*
 * 50-policy.c - schema/policy.md, cell by cell, through the real broker.
 *
 * The tables below are the specification's tables written again in C: the
 * publish matrix (section 1.1), the read matrix (section 2.4), which record
 * each actor sees on each channel (sections 1.3, 2.1, 2.2) including
 * coordination addressed to an organisation following its SPOC, PAP for
 * automated participants (2.3), forwarding by label of `ref` and of the
 * forward (3.1) with share requests and grants (3.2), incident commands
 * (4), addressing (1.2) and the closed incident. Every answer is printed as
 * it is checked ("ok" or "FAIL", then the cell), so a failure names its
 * cell. Nothing here reads the broker's policy code.
 *
 * The actors: a coordinator `c` whose organisation is not a party; for each
 * role a party with a SPOC and a member (`as`/`am` affected, `is`/`im`
 * ir_provider, `cs`/`cm` csirt, `rs`/`rm` regulator); for each role a party
 * without a SPOC and one member (`na`, `ni`, `nc`, `nr`); an outsider `x`;
 * coordinators who are also in a party (`ds`, `dm`, `dn`) for actors with
 * two classes; automated participants for PAP.
 * Usage: 50-policy IRBUSD
 */
#include "check.h"
#include "harness.h"
#include "policy_cells.h"

#include "irbus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pc_world W;

/* The parties of most incidents below. */
#define STD_PARTIES                                                                                \
    "aff:affected:s@aff irp:ir_provider:s@irp cst:csirt:s@cst reg:regulator:s@reg nsa:affected "   \
    "nsi:ir_provider nsc:csirt nsr:regulator"

enum { R_NONE = -1, R_AFF, R_IRP, R_CST, R_REG };

/* An actor's classes in an incident (policy.md section 1.1, "Actor
 * classes"). */
struct who {
    const char *name;
    int member;   /* a member of the incident */
    int coord;    /* a coordinator */
    int role;     /* its party's role, R_NONE if its organisation is not a party */
    int spoc;     /* the SPOC of its party */
    int has_spoc; /* its party has a SPOC */
    const char *what;
};

static const struct who std_who[] = {
    {"c", 1, 1, R_NONE, 0, 0, "coord"},
    {"as", 1, 0, R_AFF, 1, 1, "spoc affected"},
    {"am", 1, 0, R_AFF, 0, 1, "member affected"},
    {"is", 1, 0, R_IRP, 1, 1, "spoc ir_provider"},
    {"im", 1, 0, R_IRP, 0, 1, "member ir_provider"},
    {"cs", 1, 0, R_CST, 1, 1, "spoc csirt"},
    {"cm", 1, 0, R_CST, 0, 1, "member csirt"},
    {"rs", 1, 0, R_REG, 1, 1, "spoc regulator"},
    {"rm", 1, 0, R_REG, 0, 1, "member regulator"},
    {"na", 1, 0, R_AFF, 0, 0, "member affected, party without SPOC"},
    {"ni", 1, 0, R_IRP, 0, 0, "member ir_provider, party without SPOC"},
    {"nc", 1, 0, R_CST, 0, 0, "member csirt, party without SPOC"},
    {"nr", 1, 0, R_REG, 0, 0, "member regulator, party without SPOC"},
    {"x", 0, 0, R_NONE, 0, 0, "outsider"},
    /* Only INC-PUB makes these coordinators and their organisations parties. */
    {"ds", 1, 1, R_AFF, 1, 1, "coord + spoc affected"},
    {"dm", 1, 1, R_AFF, 0, 1, "coord + member affected"},
    {"dn", 1, 1, R_CST, 0, 0, "coord + member csirt, party without SPOC"},
};
#define NSTD 14 /* std_who[0..13]: the actors of every incident */
#define NWHO (sizeof std_who / sizeof std_who[0])

/* ---- section 1.1: the publish matrix ------------------------------------- */

/* Columns: coord, spoc affected, member affected, spoc ir_provider, member
 * ir_provider, spoc csirt, member csirt, spoc regulator, member regulator.
 * "-" is the specification's "–". */
static const struct {
    const char *channel, *group;
    const char *cell[9];
} publish_matrix[] = {
    {"status", "msg", {"yes", "-", "-", "-", "-", "-", "-", "-", "-"}},
    {"coordination", "msg", {"yes", "yes", "spoc", "yes", "spoc", "yes", "spoc", "yes", "spoc"}},
    {"coordination", "ccv", {"-", "-", "-", "yes", "spoc", "-", "-", "-", "-"}},
    {"findings", "msg", {"-", "yes", "has-spoc", "yes", "has-spoc", "yes", "has-spoc", "-", "-"}},
    {"notifications", "msg", {"-", "yes", "spoc", "-", "-", "yes", "spoc", "yes", "spoc"}},
    {"notifications", "stage", {"-", "yes", "spoc", "-", "-", "-", "-", "-", "-"}},
    {"notifications", "request", {"-", "-", "-", "-", "-", "yes", "spoc", "yes", "spoc"}},
    {"internal", "msg", {"yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"}},
};

static const char *const channels[] = {"status", "coordination", "findings", "notifications",
                                       "internal"};
#define NCHANNELS 5

/* Every kind of each kind group (policy.md section 1.1, "Kind groups"). */
static const struct {
    const char *kind, *group;
} kinds[] = {
    {"msg", "msg"},
    {"forward", "msg"},
    {"nis2.early_warning", "stage"},
    {"nis2.notification", "stage"},
    {"nis2.intermediate", "stage"},
    {"nis2.progress", "stage"},
    {"nis2.final", "stage"},
    {"dora.initial", "stage"},
    {"dora.intermediate", "stage"},
    {"dora.final", "stage"},
    {"report.request", "request"},
    {"feedback", "request"},
    {"ccv.confirmation", "ccv"},
    {"ccv.triage", "ccv"},
};

/* One cell of the matrix for one class. */
static int
matrix_code(const char *cell, int has_spoc) {
    if (strcmp(cell, "yes") == 0) {
        return 0;
    }
    if (strcmp(cell, "spoc") == 0) {
        return has_spoc ? IRBUS_ENOTSPOC : IRBUS_ENOSPOC;
    }
    if (strcmp(cell, "has-spoc") == 0) {
        return has_spoc ? 0 : IRBUS_ENOSPOC;
    }
    return IRBUS_ECHANNEL;
}

/* Combine the answers of an actor's classes: allowed if any class is;
 * else the first of 303, 304, 302 that applies. */
static int
combine(const int *codes, size_t n) {
    static const int order[] = {IRBUS_ENOTSPOC, IRBUS_ENOSPOC, IRBUS_ECHANNEL};

    for (size_t i = 0; i < n; i++) {
        if (codes[i] == 0) {
            return 0;
        }
    }
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++) {
            if (codes[i] == order[k]) {
                return order[k];
            }
        }
    }
    return IRBUS_ECHANNEL;
}

static int
spec_publish(const struct who *w, const char *channel, const char *group) {
    const char *const *row = NULL;
    int codes[2];
    size_t n = 0;

    if (!w->member) {
        return IRBUS_ENOTMEMBER;
    }
    for (size_t i = 0; i < sizeof publish_matrix / sizeof publish_matrix[0]; i++) {
        if (strcmp(publish_matrix[i].channel, channel) == 0 &&
            strcmp(publish_matrix[i].group, group) == 0) {
            row = publish_matrix[i].cell;
        }
    }
    if (w->coord) {
        codes[n++] = matrix_code(row != NULL ? row[0] : "-", 1);
    }
    if (w->role != R_NONE) {
        codes[n++] =
            matrix_code(row != NULL ? row[1 + 2 * w->role + (w->spoc ? 0 : 1)] : "-", w->has_spoc);
    }
    return combine(codes, n);
}

/* ---- section 2.4: who may subscribe to and read each channel -------------- */

static const struct {
    const char *channel;
    const char *cell[9];
} read_matrix[] = {
    {"status", {"yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"}},
    {"coordination", {"yes", "yes", "-", "yes", "-", "yes", "-", "yes", "-"}},
    {"findings", {"-", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"}},
    {"notifications", {"yes", "yes", "yes", "-", "-", "yes", "yes", "yes", "yes"}},
    {"internal", {"yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"}},
};

static int
spec_read(const struct who *w, const char *channel) {
    const char *const *row = NULL;

    if (!w->member) {
        return IRBUS_ENOTMEMBER;
    }
    for (size_t i = 0; i < NCHANNELS; i++) {
        if (strcmp(read_matrix[i].channel, channel) == 0) {
            row = read_matrix[i].cell;
        }
    }
    if (w->coord && strcmp(row[0], "yes") == 0) {
        return 0;
    }
    if (w->role != R_NONE && strcmp(row[1 + 2 * w->role + (w->spoc ? 0 : 1)], "yes") == 0) {
        return 0;
    }
    return IRBUS_ECHANNEL;
}

static struct pc_actor *
A(const char *name) {
    return pc_get(&W, name);
}

/* ---- the roster ------------------------------------------------------------ */

static void
roster(void) {
    static const char *const orgs[][2] = {
        {"cco", "csirt"},     {"aff", "entity"}, {"irp", "ir_provider"}, {"cst", "csirt"},
        {"reg", "regulator"}, {"nsa", "entity"}, {"nsi", "ir_provider"}, {"nsc", "csirt"},
        {"nsr", "regulator"}, {"out", "entity"}, {"dua", "entity"},      {"dnx", "csirt"},
    };
    static const char *const people[][3] = {
        {"c", "c@cco", "cco"},   {"as", "s@aff", "aff"}, {"am", "m@aff", "aff"},
        {"is", "s@irp", "irp"},  {"im", "m@irp", "irp"}, {"cs", "s@cst", "cst"},
        {"cm", "m@cst", "cst"},  {"rs", "s@reg", "reg"}, {"rm", "m@reg", "reg"},
        {"na", "m@nsa", "nsa"},  {"ni", "m@nsi", "nsi"}, {"nc", "m@nsc", "nsc"},
        {"nr", "m@nsr", "nsr"},  {"x", "x@out", "out"},  {"ds", "s@dua", "dua"},
        {"dm", "m@dua", "dua"},  {"dn", "m@dnx", "dnx"}, {"v", "v@aff", "aff"},
        {"vd", "vd@dua", "dua"},
    };

    for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++) {
        pc_org(&W, orgs[i][0], orgs[i][1]);
    }
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        pc_add(&W, people[i][0], people[i][1], people[i][2], 0, NULL);
    }
    /* Automated participants of the affected organisation (section 2.3),
     * and a person with a max_pap that does not limit it. */
    pc_add(&W, "b0", "b0@aff", "aff", 1, NULL);
    pc_add(&W, "bg", "bg@aff", "aff", 1, "GREEN");
    pc_add(&W, "ba", "ba@aff", "aff", 1, "AMBER");
    pc_add(&W, "br", "br@aff", "aff", 1, "RED");
    pc_add(&W, "h", "h@aff", "aff", 0, "CLEAR");
    /* Revoked participants: of a party (aff) and of an organisation that is
     * not yet a party (dua). */
    CHECK_EQ(irbus_admin_participant_revoke(W.opc, "v@aff", NULL), 0);
    CHECK_EQ(irbus_admin_participant_revoke(W.opc, "vd@dua", NULL), 0);
    irbus_client_destroy(&A("v")->c);
    irbus_client_destroy(&A("vd")->c);
}

/* ---- part 1 and 2: the publish and read matrices on INC-PUB ---------------- */

static void
publish_matrix_cells(void) {
    const char *inc = "INC-PUB";
    uint8_t hash[32];
    uint64_t ref = 0;
    size_t cells = 0;

    printf("== section 1.1: publish matrix (channel x kind x actor class) ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, STD_PARTIES " dua:affected:s@dua dnx:csirt", NULL, NULL), 0);
    CHECK_EQ(irbus_incident_coord_add(A("c")->c, inc, "s@dua", NULL), 0);
    CHECK_EQ(irbus_incident_coord_add(A("c")->c, inc, "m@dua", NULL), 0);
    CHECK_EQ(irbus_incident_coord_add(A("c")->c, inc, "m@dnx", NULL), 0);
    /* What every forward cell forwards: a CLEAR status message, which every
     * member may see and whose label allows any forward (section 3.1). */
    pc_cell(&W, pc_publish(A("c"), inc, "status", "CLEAR", NULL, NULL, NULL, &ref), 0,
            "setup: CLEAR status record to forward");
    CHECK_EQ(pc_digest(A("c"), inc, ref, hash), 0);

    for (size_t wi = 0; wi < NWHO; wi++) {
        const struct who *w = &std_who[wi];
        struct pc_actor *a = A(w->name);
        for (size_t ch = 0; ch < NCHANNELS; ch++) {
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                int want = spec_publish(w, channels[ch], kinds[k].group), got;
                if (strcmp(kinds[k].kind, "forward") == 0) {
                    got = pc_forward(a, inc, ref, hash, channels[ch], "GREEN", NULL, NULL, NULL);
                } else {
                    got = pc_publish(a, inc, channels[ch], "GREEN", NULL,
                                     strcmp(kinds[k].kind, "msg") == 0 ? NULL : kinds[k].kind, NULL,
                                     NULL);
                }
                pc_cell(&W, got, want, "publish %s %s (%s) by %s [%s]", channels[ch], kinds[k].kind,
                        kinds[k].group, w->name, w->what);
                cells++;
            }
        }
    }
    printf("publish matrix: %zu cells\n", cells);

    /* Rule 2 before rule 3: an unknown incident is 400 for everybody. */
    pc_cell(&W, pc_publish(A("c"), "INC-NONE", "status", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ENOTFOUND, "publish on an unknown incident by c");
    pc_cell(&W, pc_publish(A("x"), "INC-NONE", "status", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ENOTFOUND, "publish on an unknown incident by x [outsider]");
}

static void
read_matrix_cells(void) {
    const char *inc = "INC-PUB";

    printf("== section 2.4: subscribe, history, ack ==\n");
    for (size_t wi = 0; wi < NWHO; wi++) {
        const struct who *w = &std_who[wi];
        struct pc_actor *a = A(w->name);
        for (size_t ch = 0; ch < NCHANNELS; ch++) {
            int want = spec_read(w, channels[ch]);
            uint64_t sub = 0;
            irbus_message **msgs = NULL;
            size_t n = 0;
            uint64_t next;
            int rc = irbus_subscribe(a->c, inc, channels[ch], IRBUS_FROM_NEW, 16, &sub);
            pc_cell(&W, rc, want, "subscribe %s by %s [%s]", channels[ch], w->name, w->what);
            if (rc == 0) {
                CHECK_EQ(irbus_unsubscribe(a->c, sub), 0);
            }
            rc = irbus_history(a->c, inc, channels[ch], 1, 0, 4, &msgs, &n, &next);
            pc_cell(&W, rc, want, "history %s by %s [%s]", channels[ch], w->name, w->what);
            for (size_t i = 0; i < n; i++) {
                irbus_message_destroy(&msgs[i]);
            }
            free(msgs);
        }
        pc_cell(&W, irbus_ack(a->c, inc, 1), w->member ? 0 : IRBUS_ENOTMEMBER, "ack 1 by %s [%s]",
                w->name, w->what);
    }
    /* Each channel asked for must be allowed. */
    {
        static const struct {
            const char *who, *channels;
            int want;
        } multi[] = {
            {"am", "status,coordination", IRBUS_ECHANNEL},
            {"is", "status,findings,notifications", IRBUS_ECHANNEL},
            {"c", "status,coordination,findings,notifications,internal", IRBUS_ECHANNEL},
            {"c", "status,coordination,notifications,internal", 0},
            {"rm", "status,findings,notifications,internal", 0},
            {"as", "status,coordination,findings,notifications,internal", 0},
        };
        for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++) {
            uint64_t sub = 0;
            int rc = irbus_subscribe(A(multi[i].who)->c, inc, multi[i].channels, IRBUS_FROM_NEW, 16,
                                     &sub);
            pc_cell(&W, rc, multi[i].want, "subscribe %s by %s", multi[i].channels, multi[i].who);
            if (rc == 0) {
                CHECK_EQ(irbus_unsubscribe(A(multi[i].who)->c, sub), 0);
            }
        }
    }
    pc_cell(&W, irbus_subscribe(A("c")->c, "INC-NONE", "status", 0, 16, NULL), IRBUS_ENOTFOUND,
            "subscribe to an unknown incident by c");
    pc_cell(&W, irbus_subscribe(A("x")->c, "INC-NONE", "status", 0, 16, NULL), IRBUS_ENOTFOUND,
            "subscribe to an unknown incident by x [outsider]");
}

/* ---- part 3: who sees which record (sections 1.3, 2.1, 2.2) on INC-READ ---- */

/* A record to publish and the actors (of std_who[0..12]) who may see it:
 * the sender, and whoever the channel rule, the label rule and the
 * resolved audience allow. "*" is every member. */
struct row {
    const char *tag, *by, *channel, *tlp, *kind, *to, *readers;
    uint64_t seq;
};

static struct row read_rows[] = {
    /* status: every member reads it; the label decides. */
    {"S1", "c", "status", "GREEN", NULL, "", "*", 0},
    {"S2", "c", "status", "CLEAR", NULL, "aff", "*", 0},
    /* AMBER with an empty `to`: every party at publish time + the sender's. */
    {"S3", "c", "status", "AMBER", NULL, "", "*", 0},
    {"S4", "c", "status", "AMBER", NULL, "aff", "c as am", 0},
    {"S5", "c", "status", "AMBER+STRICT", NULL, "irp nsr", "c is im nr", 0},
    {"S6", "c", "status", "RED", NULL, "m@cst m@nsa", "c cm na", 0},
    {"S7", "c", "status", "RED", NULL, "s@reg", "c rs", 0},
    /* coordination: coordinators; SPOCs when `to` is empty, when addressed,
     * or for their own organisation's records. */
    {"C1", "c", "coordination", "GREEN", NULL, "", "c as is cs rs", 0},
    {"C2", "c", "coordination", "GREEN", NULL, "aff", "c as", 0},
    {"C3", "c", "coordination", "AMBER", NULL, "irp", "c is", 0},
    /* The coordinator's organisation is not a party: not in this audience. */
    {"C4", "as", "coordination", "AMBER", NULL, "", "as is cs rs", 0},
    /* RED: no exception for coordinators. */
    {"C5", "as", "coordination", "RED", NULL, "s@irp", "as is", 0},
    {"C6", "is", "coordination", "GREEN", NULL, "cst", "c is cs", 0},
    {"C7", "cs", "coordination", "AMBER+STRICT", NULL, "reg", "cs rs", 0},
    /* Names a member who may not read coordination (not its SPOC). */
    {"C8", "c", "coordination", "RED", NULL, "m@aff", "c", 0},
    {"C9", "rs", "coordination", "RED", NULL, "c@cco", "rs c", 0},
    /* Addressed to an organisation without a SPOC: nobody there reads it. */
    {"C10", "c", "coordination", "GREEN", NULL, "nsa", "c", 0},
    {"C11", "c", "coordination", "AMBER", NULL, "aff irp", "c as is", 0},
    /* findings: affected, ir_provider, csirt; regulators when addressed. */
    {"F1", "am", "findings", "GREEN", NULL, "", "as am is im cs cm na ni nc", 0},
    {"F2", "is", "findings", "GREEN", NULL, "reg", "as am is im cs cm na ni nc rs rm", 0},
    {"F3", "cm", "findings", "AMBER", NULL, "", "as am is im cs cm na ni nc", 0},
    {"F4", "as", "findings", "AMBER", NULL, "irp", "as am is im", 0},
    /* AMBER+STRICT: exactly `to`, not the sender's colleagues. */
    {"F5", "im", "findings", "AMBER+STRICT", NULL, "cst", "im cs cm", 0},
    {"F6", "is", "findings", "RED", NULL, "m@aff s@reg", "is am rs", 0},
    {"F7", "cs", "findings", "AMBER", NULL, "nsr", "cs cm nr", 0},
    {"F8", "as", "findings", "CLEAR", NULL, "nsa", "as am is im cs cm na ni nc", 0},
    {"F9", "cs", "findings", "GREEN", NULL, "nsr", "as am is im cs cm na ni nc nr", 0},
    /* notifications: affected, csirt, regulator and coordinators. */
    {"N1", "as", "notifications", "GREEN", NULL, "", "c as am cs cm rs rm na nc nr", 0},
    {"N2", "as", "notifications", "AMBER", NULL, "reg", "as am rs rm", 0},
    {"N3", "as", "notifications", "GREEN", "nis2.early_warning", "", "c as am cs cm rs rm na nc nr",
     0},
    {"N4", "rs", "notifications", "RED", "report.request", "s@aff", "rs as", 0},
    {"N5", "cs", "notifications", "AMBER", NULL, "", "as am cs cm rs rm na nc nr", 0},
    {"N6", "cs", "notifications", "AMBER+STRICT", "feedback", "aff", "cs as am", 0},
    {"N7", "rs", "notifications", "GREEN", NULL, "nsa", "c as am cs cm rs rm na nc nr", 0},
    {"N8", "as", "notifications", "AMBER", "dora.initial", "", "as am cs cm rs rm na nc nr", 0},
    /* internal: the sender's organisation only, then the label. */
    {"I1", "am", "internal", "GREEN", NULL, "", "as am", 0},
    {"I2", "c", "internal", "GREEN", NULL, "", "c", 0},
    {"I3", "im", "internal", "AMBER", NULL, "", "is im", 0},
    {"I4", "im", "internal", "RED", NULL, "s@irp", "im is", 0},
    {"I5", "na", "internal", "GREEN", NULL, "", "na", 0},
    {"I6", "cs", "internal", "AMBER+STRICT", NULL, "cst", "cs cm", 0},
    {"I7", "rs", "internal", "GREEN", NULL, "aff", "rs rm", 0},
    {"I8", "is", "internal", "RED", NULL, "s@aff", "is", 0},
    {"I9", "cm", "internal", "AMBER+STRICT", NULL, "aff", "cm", 0},
};
#define NROWS (sizeof read_rows / sizeof read_rows[0])

static uint64_t
row_seq(const char *tag) {
    for (size_t i = 0; i < NROWS; i++) {
        if (strcmp(read_rows[i].tag, tag) == 0) {
            return read_rows[i].seq;
        }
    }
    return 0;
}

/* The sequences `name` should read on `channel`: the rows that name it,
 * then (on status) the extra records everybody reads. */
static size_t
expected(const char *name, const char *channel, const uint64_t *all, size_t nall, uint64_t *out) {
    size_t n = 0;

    for (size_t i = 0; i < NROWS; i++) {
        if (strcmp(read_rows[i].channel, channel) == 0 && pc_list_has(read_rows[i].readers, name)) {
            out[n++] = read_rows[i].seq;
        }
    }
    if (strcmp(channel, "status") == 0) {
        for (size_t i = 0; i < nall; i++) {
            out[n++] = all[i];
        }
    }
    return n;
}

/* The channels `w` may read, comma-separated. */
static void
readable(const struct who *w, char *out, size_t cap) {
    out[0] = 0;
    for (size_t ch = 0; ch < NCHANNELS; ch++) {
        if (spec_read(w, channels[ch]) == 0) {
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s%s", l > 0 ? "," : "", channels[ch]);
        }
    }
}

static void
visibility_cells(void) {
    const char *inc = "INC-READ";
    uint64_t cmds[16], want[256], marker = 0, live_sub[NSTD];
    size_t ncmds = 0;
    static struct pc_seen seen;

    printf("== sections 1.3, 2.1, 2.2: who sees which record (live, history, replay) ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, STD_PARTIES, cmds, &ncmds), 0);
    /* Live subscriptions first, to every channel each actor may read. */
    for (size_t wi = 0; wi < NSTD; wi++) {
        char chans[96];
        live_sub[wi] = 0;
        if (!std_who[wi].member) {
            continue;
        }
        readable(&std_who[wi], chans, sizeof chans);
        CHECK_EQ(irbus_subscribe(A(std_who[wi].name)->c, inc, chans, IRBUS_FROM_NEW, 4096,
                                 &live_sub[wi]),
                 0);
    }
    for (size_t i = 0; i < NROWS; i++) {
        struct row *r = &read_rows[i];
        pc_cell(&W, pc_publish(A(r->by), inc, r->channel, r->tlp, NULL, r->kind, r->to, &r->seq), 0,
                "publish row %s: %s %s %s to [%s] by %s", r->tag, r->channel,
                r->kind ? r->kind : "msg", r->tlp, r->to, r->by);
    }
    pc_cell(&W, pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &marker), 0,
            "publish the marker (status GREEN by c)");

    for (size_t wi = 0; wi < NSTD; wi++) {
        const struct who *w = &std_who[wi];
        struct pc_actor *a = A(w->name);
        char chans[96];
        uint64_t rsub = 0;
        if (!w->member) {
            pc_cell(&W,
                    irbus_history(a->c, inc, "status", 1, 0, 4, &(irbus_message **){NULL},
                                  &(size_t){0}, NULL),
                    IRBUS_ENOTMEMBER, "history status by %s [%s]", w->name, w->what);
            continue;
        }
        readable(w, chans, sizeof chans);
        /* live */
        seen.n = 0;
        CHECK(pc_collect(a, inc, marker, 10000, 300, &seen));
        for (size_t ch = 0; ch < NCHANNELS; ch++) {
            size_t n;
            if (spec_read(w, channels[ch]) != 0) {
                continue;
            }
            n = expected(w->name, channels[ch], &marker, 1, want);
            pc_cell_set(&W, &seen, channels[ch], want, n, "live %s seen by %s [%s]", channels[ch],
                        w->name, w->what);
        }
        /* history, one channel at a time */
        for (size_t ch = 0; ch < NCHANNELS; ch++) {
            uint64_t all[17];
            size_t n;
            int rc;
            if (spec_read(w, channels[ch]) != 0) {
                continue;
            }
            memcpy(all, cmds, ncmds * sizeof cmds[0]);
            all[ncmds] = marker;
            n = expected(w->name, channels[ch], all, ncmds + 1, want);
            seen.n = 0;
            rc = pc_history(a, inc, channels[ch], 1, &seen);
            CHECK_EQ(rc, 0);
            pc_cell_set(&W, &seen, NULL, want, n, "history %s seen by %s [%s]", channels[ch],
                        w->name, w->what);
        }
        /* replay: a new subscription from 1 */
        seen.n = 0;
        CHECK_EQ(irbus_subscribe(a->c, inc, chans, IRBUS_FROM_START, 4096, &rsub), 0);
        CHECK(pc_collect(a, inc, marker, 10000, 200, &seen));
        for (size_t ch = 0; ch < NCHANNELS; ch++) {
            uint64_t all[17];
            size_t n;
            if (spec_read(w, channels[ch]) != 0) {
                continue;
            }
            memcpy(all, cmds, ncmds * sizeof cmds[0]);
            all[ncmds] = marker;
            n = expected(w->name, channels[ch], all, ncmds + 1, want);
            pc_cell_set(&W, &seen, channels[ch], want, n, "replay %s seen by %s [%s]", channels[ch],
                        w->name, w->what);
        }
        if (rsub != 0) {
            CHECK_EQ(irbus_unsubscribe(a->c, rsub), 0);
        }
    }

    /* SPOC handover: what was addressed to the organisation's SPOC follows
     * the new SPOC, live and in history (section 2.1). */
    printf("== section 2.1: coordination follows the SPOC across a handover ==\n");
    {
        uint64_t c12, c13, c14, c15, m2, rsub = 0;
        uint64_t am_want[] = {row_seq("C1"), row_seq("C2"), row_seq("C4"), row_seq("C8"),
                              row_seq("C11")};
        int rc;

        pc_cell(&W, irbus_incident_spoc_handover(A("as")->c, inc, "aff", "m@aff", NULL), 0,
                "spoc.handover aff -> m@aff by the SPOC as");
        seen.n = 0;
        pc_cell(&W, pc_history(A("am"), inc, "coordination", 1, &seen), 0,
                "history coordination by am, the new SPOC");
        pc_cell_set(&W, &seen, NULL, am_want, 5,
                    "history coordination seen by am after becoming SPOC (to aff, to nobody, "
                    "from aff, RED naming am)");
        pc_cell(&W, pc_history(A("as"), inc, "coordination", 1, &seen), IRBUS_ECHANNEL,
                "history coordination by as, the former SPOC");
        pc_cell(&W, irbus_subscribe(A("as")->c, inc, "coordination", 1, 16, NULL), IRBUS_ECHANNEL,
                "subscribe coordination by as, the former SPOC");
        rc = irbus_subscribe(A("am")->c, inc, "coordination", IRBUS_FROM_START, 4096, &rsub);
        pc_cell(&W, rc, 0, "subscribe coordination from 1 by am, the new SPOC");

        pc_publish(A("c"), inc, "coordination", "GREEN", NULL, NULL, "aff", &c12);
        pc_publish(A("c"), inc, "coordination", "GREEN", NULL, NULL, "", &c13);
        pc_publish(A("c"), inc, "coordination", "RED", NULL, NULL, "s@aff", &c14);
        pc_publish(A("c"), inc, "coordination", "GREEN", NULL, NULL, "aff", &c15);
        pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &m2);
        CHECK(c12 && c13 && c14 && c15 && m2);
        {
            uint64_t w2[] = {row_seq("C1"),  row_seq("C2"), row_seq("C4"), row_seq("C8"),
                             row_seq("C11"), c12,           c13,           c15};
            seen.n = 0;
            CHECK(pc_collect(A("am"), inc, c15, 10000, 300, &seen));
            pc_cell_set(&W, &seen, "coordination", w2, 8,
                        "replay+live coordination seen by am, the new SPOC (not RED to s@aff)");
            if (rsub != 0) {
                CHECK_EQ(irbus_unsubscribe(A("am")->c, rsub), 0);
            }
        }
        {
            /* The former SPOC's subscription from before the handover. */
            struct pc_seen only;
            uint64_t none[1] = {0};
            seen.n = 0;
            /* still a member: its subscription goes on (section 2.4) */
            CHECK(pc_collect(A("as"), inc, m2, 10000, 300, &seen));
            pc_cell_read(&W, &seen, m2, 1,
                         "status marker on the former SPOC's subscription after the handover");
            only.n = 0;
            for (size_t i = 0; i < seen.n; i++) {
                if (seen.seq[i] != c14) {
                    only.seq[only.n] = seen.seq[i];
                    memcpy(only.channel[only.n], seen.channel[i], sizeof only.channel[0]);
                    memcpy(only.kind[only.n], seen.kind[i], sizeof only.kind[0]);
                    only.n++;
                }
            }
            pc_cell_set(&W, &only, "coordination", none, 0,
                        "live coordination seen by as after handing over (its old subscription)");
            /* section 2.1: the channel rule and the label rule must both allow */
            pc_cell_read(&W, &seen, c14, 0,
                         "RED naming the former SPOC as on coordination, after the handover");
        }
        {
            uint64_t w3[] = {c13};
            seen.n = 0;
            CHECK(pc_collect(A("is"), inc, m2, 10000, 300, &seen));
            pc_cell_set(&W, &seen, "coordination", w3, 1,
                        "live coordination seen by is after aff's handover");
        }
        {
            uint64_t w4[] = {c12, c13, c14, c15};
            seen.n = 0;
            CHECK(pc_collect(A("c"), inc, m2, 10000, 300, &seen));
            pc_cell_set(&W, &seen, "coordination", w4, 4,
                        "live coordination seen by c after aff's handover");
        }
        /* A coordinator hands it back. */
        pc_cell(&W, irbus_incident_spoc_handover(A("c")->c, inc, "aff", "s@aff", NULL), 0,
                "spoc.handover aff -> s@aff by the coordinator c");
        {
            uint64_t w5[] = {row_seq("C1"),
                             row_seq("C2"),
                             row_seq("C4"),
                             row_seq("C5"),
                             row_seq("C11"),
                             c12,
                             c13,
                             c14,
                             c15};
            seen.n = 0;
            pc_cell(&W, pc_history(A("as"), inc, "coordination", 1, &seen), 0,
                    "history coordination by as, SPOC again");
            pc_cell_set(&W, &seen, NULL, w5, 9, "history coordination seen by as, SPOC again");
            pc_cell(&W, pc_history(A("am"), inc, "coordination", 1, &seen), IRBUS_ECHANNEL,
                    "history coordination by am, no longer SPOC");
        }
    }
    for (size_t wi = 0; wi < NSTD; wi++) {
        if (live_sub[wi] != 0) {
            CHECK_EQ(irbus_unsubscribe(A(std_who[wi].name)->c, live_sub[wi]), 0);
        }
    }
}

/* ---- part 4: PAP for automated participants (section 2.3) on INC-PAP ------- */

static void
pap_cells(void) {
    const char *inc = "INC-PAP";
    static const char *const who[] = {"c", "as", "am", "b0", "bg", "ba", "br", "h"};
    static const char *const what[] = {"coord",
                                       "spoc affected",
                                       "member affected",
                                       "automated, no max_pap (= CLEAR)",
                                       "automated, max_pap GREEN",
                                       "automated, max_pap AMBER",
                                       "automated, max_pap RED",
                                       "not automated, max_pap CLEAR (no limit)"};
    struct prow {
        const char *tag, *by, *channel, *pap, *fwd_of, *readers;
        uint64_t seq;
    } rows[] = {
        {"P0", "c", "status", NULL, NULL, "*", 0},
        {"P1", "c", "status", "CLEAR", NULL, "*", 0},
        {"P2", "c", "status", "GREEN", NULL, "c as am bg ba br h", 0},
        {"P3", "c", "status", "AMBER", NULL, "c as am ba br h", 0},
        {"P4", "c", "status", "RED", NULL, "c as am br h", 0},
        /* A stored forward's PAP is the stricter of its own and ref's. */
        {"F1", "c", "status", "CLEAR", "P3", "c as am ba br h", 0},
        {"F2", "c", "status", "RED", "P0", "c as am br h", 0},
        {"F3", "c", "status", NULL, "P1", "*", 0},
        {"F4", "c", "status", "AMBER", "P2", "c as am ba br h", 0},
        /* The sender always sees its own record. */
        {"Q1", "b0", "internal", "RED", NULL, "as am b0 br h", 0},
        {"Q2", "bg", "internal", "AMBER", NULL, "as am bg ba br h", 0},
        {"Q3", "am", "internal", "GREEN", NULL, "as am bg ba br h", 0},
    };
    const size_t nrows = sizeof rows / sizeof rows[0], nwho = sizeof who / sizeof who[0];
    uint64_t cmds[4], marker = 0, subs[8], want[64];
    size_t ncmds = 0;
    static struct pc_seen seen;

    printf("== section 2.3: PAP and automated participants ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, "aff:affected:s@aff", cmds, &ncmds), 0);
    for (size_t i = 0; i < nwho; i++) {
        subs[i] = 0;
        CHECK_EQ(
            irbus_subscribe(A(who[i])->c, inc, "status,internal", IRBUS_FROM_NEW, 4096, &subs[i]),
            0);
    }
    for (size_t i = 0; i < nrows; i++) {
        if (rows[i].fwd_of == NULL) {
            pc_cell(&W,
                    pc_publish(A(rows[i].by), inc, rows[i].channel, "GREEN", rows[i].pap, NULL,
                               NULL, &rows[i].seq),
                    0, "publish PAP row %s: %s GREEN pap %s by %s", rows[i].tag, rows[i].channel,
                    rows[i].pap ? rows[i].pap : "(none)", rows[i].by);
        } else {
            uint8_t h[32];
            uint64_t ref = 0;
            for (size_t k = 0; k < nrows; k++) {
                if (strcmp(rows[k].tag, rows[i].fwd_of) == 0) {
                    ref = rows[k].seq;
                }
            }
            CHECK_EQ(pc_digest(A("c"), inc, ref, h), 0);
            pc_cell(&W,
                    pc_forward(A(rows[i].by), inc, ref, h, rows[i].channel, "GREEN", rows[i].pap,
                               NULL, &rows[i].seq),
                    0, "forward PAP row %s: %s with pap %s by %s", rows[i].tag, rows[i].fwd_of,
                    rows[i].pap ? rows[i].pap : "(none)", rows[i].by);
        }
    }
    pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, &marker);
    CHECK(marker != 0);
    for (size_t i = 0; i < nwho; i++) {
        static const char *const chans[] = {"status", "internal"};
        struct pc_actor *a = A(who[i]);
        seen.n = 0;
        CHECK(pc_collect(a, inc, marker, 10000, 300, &seen));
        for (int pass = 0; pass < 2; pass++) {
            for (size_t ch = 0; ch < 2; ch++) {
                size_t n = 0;
                for (size_t k = 0; k < nrows; k++) {
                    if (strcmp(rows[k].channel, chans[ch]) == 0 &&
                        pc_list_has(rows[k].readers, who[i])) {
                        want[n++] = rows[k].seq;
                    }
                }
                if (ch == 0) {
                    want[n++] = marker;
                    for (size_t k = 0; pass == 1 && k < ncmds; k++) {
                        want[n++] = cmds[k];
                    }
                }
                if (pass == 0) {
                    pc_cell_set(&W, &seen, chans[ch], want, n, "live %s seen by %s [%s]", chans[ch],
                                who[i], what[i]);
                } else {
                    struct pc_seen h;
                    h.n = 0;
                    CHECK_EQ(pc_history(a, inc, chans[ch], 1, &h), 0);
                    pc_cell_set(&W, &h, NULL, want, n, "history %s seen by %s [%s]", chans[ch],
                                who[i], what[i]);
                }
            }
        }
        if (subs[i] != 0) {
            CHECK_EQ(irbus_unsubscribe(a->c, subs[i]), 0);
        }
    }
}

/* ---- part 5: incident and roster commands (section 4) on INC-CMD ---------- */

static void
command_cells(void) {
    const char *inc = "INC-CMD";
    int handovers = 0, rc;
    static struct pc_seen seen;

    printf("== section 4: incident and roster commands ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, STD_PARTIES, NULL, NULL), 0);
    /* Coordinators only: 308. */
    {
        static const char *const not_coords[] = {"as", "im", "na", "rs"};
        for (size_t i = 0; i < 4; i++) {
            irbus_client *cl = A(not_coords[i])->c;
            pc_cell(&W, irbus_incident_party_add(cl, inc, "dua", "affected", NULL, NULL),
                    IRBUS_ECOORD, "party.add by %s (not a coordinator)", not_coords[i]);
            pc_cell(&W, irbus_incident_party_remove(cl, inc, "nsi", NULL), IRBUS_ECOORD,
                    "party.remove by %s (not a coordinator)", not_coords[i]);
            pc_cell(&W, irbus_incident_coord_add(cl, inc, "m@aff", NULL), IRBUS_ECOORD,
                    "coord.add by %s (not a coordinator)", not_coords[i]);
            pc_cell(&W, irbus_incident_state_set(cl, inc, "contained", NULL), IRBUS_ECOORD,
                    "state.set by %s (not a coordinator)", not_coords[i]);
        }
    }
    /* Section 4: who sends a command is checked before anything else of
     * it; an outsider is a non-coordinator like any other. */
    pc_cell(&W, irbus_incident_party_add(A("x")->c, inc, "out", "affected", NULL, NULL),
            IRBUS_ECOORD, "party.add by x [outsider]");

    /* SPOC handover: 309. */
    pc_cell(&W, irbus_incident_spoc_handover(A("am")->c, inc, "aff", "m@aff", NULL),
            IRBUS_EHANDOVER, "spoc.handover aff -> m@aff by am (member, not the SPOC)");
    pc_cell(&W, irbus_incident_spoc_handover(A("is")->c, inc, "aff", "m@aff", NULL),
            IRBUS_EHANDOVER, "spoc.handover aff -> m@aff by is (another party's SPOC)");
    pc_cell(&W, irbus_incident_spoc_handover(A("as")->c, inc, "aff", "s@irp", NULL),
            IRBUS_EHANDOVER, "spoc.handover aff -> s@irp (another organisation) by the SPOC as");
    pc_cell(&W, irbus_incident_spoc_handover(A("as")->c, inc, "aff", "v@aff", NULL),
            IRBUS_EHANDOVER, "spoc.handover aff -> v@aff (revoked) by the SPOC as");
    pc_cell(&W, irbus_incident_spoc_handover(A("as")->c, inc, "aff", "zz@aff", NULL),
            IRBUS_ENOTFOUND, "spoc.handover aff -> zz@aff (no such participant) by the SPOC as");
    pc_cell(&W, irbus_incident_spoc_handover(A("na")->c, inc, "nsa", "m@nsa", NULL),
            IRBUS_EHANDOVER, "spoc.handover nsa -> m@nsa by na (party without SPOC, not coord)");
    pc_cell(&W, irbus_incident_spoc_handover(A("c")->c, inc, "aff", "x@out", NULL), IRBUS_EHANDOVER,
            "spoc.handover aff -> x@out (outsider) by c");
    rc = irbus_incident_spoc_handover(A("c")->c, inc, "aff", "m@aff", NULL);
    handovers += rc == 0;
    pc_cell(&W, rc, 0, "spoc.handover aff -> m@aff by the coordinator c");
    pc_cell(&W, irbus_incident_spoc_handover(A("as")->c, inc, "aff", "s@aff", NULL),
            IRBUS_EHANDOVER, "spoc.handover aff -> s@aff by as (no longer the SPOC)");
    rc = irbus_incident_spoc_handover(A("am")->c, inc, "aff", "s@aff", NULL);
    handovers += rc == 0;
    pc_cell(&W, rc, 0, "spoc.handover aff -> s@aff by am (the current SPOC)");
    rc = irbus_incident_spoc_handover(A("c")->c, inc, "nsa", "m@nsa", NULL);
    handovers += rc == 0;
    pc_cell(&W, rc, 0, "spoc.handover nsa -> m@nsa by c (a party that had no SPOC)");
    /* The handovers are signed records in the incident's log: audited. */
    seen.n = 0;
    CHECK_EQ(pc_history(A("rm"), inc, "status", 1, &seen), 0);
    {
        int n = 0;
        for (size_t i = 0; i < seen.n; i++) {
            n += strcmp(seen.kind[i], "spoc.handover") == 0;
        }
        pc_cell(&W, n == handovers && handovers == 3 ? 0 : IRBUS_ENOTFOUND, 0,
                "audit: the %d handovers are records every member reads on status (rm sees %d)",
                handovers, n);
    }

    /* party.add with a SPOC: 309 unless a participant of the organisation,
     * not revoked. */
    pc_cell(&W, irbus_incident_party_add(A("c")->c, inc, "dua", "affected", "s@aff", NULL),
            IRBUS_EHANDOVER, "party.add dua spoc s@aff (another organisation) by c");
    pc_cell(&W, irbus_incident_party_add(A("c")->c, inc, "dua", "affected", "vd@dua", NULL),
            IRBUS_EHANDOVER, "party.add dua spoc vd@dua (revoked) by c");
    pc_cell(&W, irbus_incident_party_add(A("c")->c, inc, "dua", "affected", "s@dua", NULL), 0,
            "party.add dua spoc s@dua by c");
    /* The new coordinator must be a participant, not revoked: 400. */
    pc_cell(&W, irbus_incident_coord_add(A("c")->c, inc, "zz@aff", NULL), IRBUS_ENOTFOUND,
            "coord.add zz@aff (no such participant) by c");
    pc_cell(&W, irbus_incident_coord_add(A("c")->c, inc, "v@aff", NULL), IRBUS_ENOTFOUND,
            "coord.add v@aff (revoked) by c");
    /* A coordinator added by a coordinator may then do what coordinators do. */
    pc_cell(&W, irbus_incident_coord_add(A("c")->c, inc, "m@aff", NULL), 0, "coord.add m@aff by c");
    pc_cell(&W, irbus_incident_state_set(A("am")->c, inc, "contained", NULL), 0,
            "state.set contained by am (now a coordinator)");
    pc_cell(&W, irbus_incident_party_remove(A("am")->c, inc, "dua", NULL), 0,
            "party.remove dua by am (now a coordinator)");

    /* Roster commands need an operator key: 310. */
    {
        irbus_client *p = A("as")->c;
        pc_cell(&W, irbus_admin_org_add(p, "zzz", "entity", "Z", NULL), IRBUS_EOPERATOR,
                "org.add by the participant as");
        pc_cell(&W,
                irbus_admin_participant_add(p, "zz@out", "out", irbus_key_public(A("as")->key), 0,
                                            NULL, NULL),
                IRBUS_EOPERATOR, "participant.add by the participant as");
        pc_cell(&W, irbus_admin_participant_revoke(p, "vd@dua", NULL), IRBUS_EOPERATOR,
                "participant.revoke by the participant as");
        pc_cell(&W,
                irbus_admin_participant_rotate(p, "vd@dua", irbus_key_public(A("as")->key), NULL),
                IRBUS_EOPERATOR, "participant.rotate by the participant as");
        pc_cell(&W, irbus_admin_org_add(A("c")->c, "zzz", "entity", "Z", NULL), IRBUS_EOPERATOR,
                "org.add by the coordinator c (a participant)");
        pc_cell(&W, irbus_admin_org_add(W.opc, "late", "entity", "Late", NULL), 0,
                "org.add by the operator");
    }
}

/* ---- part 6: addressing (section 1.2) on INC-ADR ------------------------- */

static void
addressing_cells(void) {
    const char *inc = "INC-ADR";
    static const struct {
        const char *by, *channel, *tlp, *to;
        int want;
        const char *why;
    } cases[] = {
        {"c", "status", "GREEN", "zzz", IRBUS_EAUDIENCE, "no such organisation"},
        {"c", "status", "GREEN", "out", IRBUS_EAUDIENCE, "an organisation that is not a party"},
        {"c", "status", "GREEN", "cco", IRBUS_EAUDIENCE, "the coordinator's own, not a party"},
        {"c", "status", "GREEN", "s@aff", IRBUS_EAUDIENCE, "a participant id, not an organisation"},
        {"c", "status", "CLEAR", "aff out", IRBUS_EAUDIENCE, "one party, one not"},
        {"c", "status", "CLEAR", "aff irp", 0, "two parties"},
        {"c", "status", "AMBER", "out", IRBUS_EAUDIENCE, "not a party"},
        {"c", "status", "AMBER", "aff nsr", 0, "parties"},
        {"c", "status", "AMBER+STRICT", "out", IRBUS_EAUDIENCE, "not a party"},
        {"c", "status", "AMBER+STRICT", "aff out", IRBUS_EAUDIENCE, "one party, one not"},
        {"c", "status", "AMBER+STRICT", "aff irp", 0, "parties"},
        {"c", "status", "RED", "x@out", IRBUS_EAUDIENCE, "a participant who is not a member"},
        {"c", "status", "RED", "aff", IRBUS_EAUDIENCE, "an organisation id"},
        {"c", "status", "RED", "v@aff", IRBUS_EAUDIENCE, "a revoked participant of a party"},
        {"c", "status", "RED", "zz@aff", IRBUS_EAUDIENCE, "no such participant"},
        {"c", "status", "RED", "s@aff x@out", IRBUS_EAUDIENCE, "one member, one not"},
        {"c", "status", "RED", "s@aff m@irp", 0, "members"},
        {"c", "status", "RED", "c@cco", 0, "a coordinator (a member)"},
        {"c", "status", "RED", "m@nsa", 0, "a member of a party without SPOC"},
        {"as", "coordination", "GREEN", "zzz", IRBUS_EAUDIENCE, "no such organisation"},
        {"as", "findings", "RED", "m@dua", IRBUS_EAUDIENCE, "a participant of a non-party"},
        /* Rule 5 before rule 6; rule 3 before both. */
        {"am", "status", "GREEN", "out", IRBUS_ECHANNEL, "channel before addressing"},
        {"x", "status", "GREEN", "out", IRBUS_ENOTMEMBER, "membership before addressing"},
    };

    printf("== section 1.2: addressing ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, STD_PARTIES, NULL, NULL), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_cell(&W,
                pc_publish(A(cases[i].by), inc, cases[i].channel, cases[i].tlp, NULL, NULL,
                           cases[i].to, NULL),
                cases[i].want, "publish %s %s to [%s] by %s (%s)", cases[i].channel, cases[i].tlp,
                cases[i].to, cases[i].by, cases[i].why);
    }
    /* A removed party is no longer in the incident. */
    CHECK_EQ(irbus_incident_party_remove(A("c")->c, inc, "nsr", NULL), 0);
    pc_cell(&W, pc_publish(A("c"), inc, "status", "RED", NULL, NULL, "m@nsr", NULL),
            IRBUS_EAUDIENCE, "publish status RED to [m@nsr] (party removed) by c");
    pc_cell(&W, pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, "nsr", NULL),
            IRBUS_EAUDIENCE, "publish status GREEN to [nsr] (party removed) by c");
    pc_cell(&W, pc_publish(A("nr"), inc, "internal", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ENOTMEMBER, "publish internal by nr (its party removed)");
}

/* ---- part 7: a closed incident (rule 4, section 4) on INC-CLS ------------- */

static void
closed_cells(void) {
    const char *inc = "INC-CLS";
    uint64_t rc0 = 0;
    uint8_t h[32];
    static struct pc_seen seen;

    printf("== closed incident ==\n");
    CHECK_EQ(pc_incident(A("c"), inc, STD_PARTIES, NULL, NULL), 0);
    CHECK_EQ(pc_publish(A("c"), inc, "status", "CLEAR", NULL, NULL, NULL, &rc0), 0);
    CHECK_EQ(pc_digest(A("c"), inc, rc0, h), 0);
    pc_cell(&W, irbus_incident_state_set(A("c")->c, inc, "closed", NULL), 0,
            "state.set closed by c");
    pc_cell(&W, pc_publish(A("c"), inc, "status", "GREEN", NULL, NULL, NULL, NULL), IRBUS_ECLOSED,
            "publish status by c on a closed incident");
    pc_cell(&W, pc_publish(A("as"), inc, "coordination", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ECLOSED, "publish coordination by as on a closed incident");
    pc_cell(&W, pc_publish(A("am"), inc, "coordination", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ECLOSED,
            "publish coordination by am (else 303) on a closed incident: rule 4 "
            "before 5");
    pc_cell(&W, pc_publish(A("am"), inc, "status", "GREEN", NULL, NULL, NULL, NULL), IRBUS_ECLOSED,
            "publish status by am (else 302) on a closed incident: rule 4 before 5");
    pc_cell(&W, pc_publish(A("x"), inc, "status", "GREEN", NULL, NULL, NULL, NULL),
            IRBUS_ENOTMEMBER, "publish by x [outsider] on a closed incident: rule 3 before 4");
    pc_cell(&W, pc_forward(A("c"), inc, rc0, h, "status", "GREEN", NULL, NULL, NULL), IRBUS_ECLOSED,
            "forward by c on a closed incident");
    pc_cell(&W, irbus_incident_party_add(A("c")->c, inc, "dua", "affected", NULL, NULL),
            IRBUS_ESTATE, "party.add by c on a closed incident");
    pc_cell(&W, irbus_incident_spoc_handover(A("c")->c, inc, "aff", "m@aff", NULL), IRBUS_ESTATE,
            "spoc.handover by c on a closed incident");
    pc_cell(&W, irbus_incident_state_set(A("c")->c, inc, "open", NULL), IRBUS_ESTATE,
            "state.set open by c on a closed incident");
    pc_cell(&W, irbus_incident_party_add(A("as")->c, inc, "dua", "affected", NULL, NULL),
            IRBUS_ECOORD, "party.add by as (not a coordinator) on a closed incident");
    seen.n = 0;
    pc_cell(&W, pc_history(A("am"), inc, "status", 1, &seen), 0,
            "history status by am on a closed incident");
    pc_cell_read(&W, &seen, rc0, 1, "history on a closed incident still holds its records");
    pc_cell(&W, irbus_subscribe(A("am")->c, inc, "status", 1, 16, NULL), 0,
            "subscribe status by am on a closed incident");
}

/* ---- part 8: forwarding and share grants (section 3) on INC-FWD ----------- */

/* The refs, all on findings, sent by cs (csirt SPOC): their labels. */
enum { REF_C, REF_G, REF_A, REF_S, REF_R, NREF };
static const char *const ref_label[NREF] = {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"};

/* Forwards by `is` (ir_provider SPOC; its clients: the affected parties aff
 * and nsa), of each ref. */
static const struct {
    const char *channel, *tlp, *to;
    int want[NREF];
} fwd_cases[] = {
    /* A CLEAR forward of a GREEN record would let it leave the community. */
    {"findings", "CLEAR", "", {0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "GREEN", "", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "GREEN", "aff", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    /* AMBER with empty `to`: every party, beyond irp and its clients. */
    {"findings", "AMBER", "", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "AMBER", "aff", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "AMBER", "aff nsa", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "AMBER", "irp", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    /* cst is not a client of irp (even though it sent ref). */
    {"findings", "AMBER", "cst", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "AMBER+STRICT", "irp", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"findings", "AMBER+STRICT", "aff", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "AMBER+STRICT", "irp aff", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "AMBER+STRICT", "reg", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "RED", "m@irp", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"findings", "RED", "s@irp", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"findings", "RED", "s@aff", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"findings", "RED", "m@irp s@cst", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    /* internal: the audience is the forwarder's organisation, whatever the
     * forward's label. */
    {"internal", "GREEN", "", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"internal", "CLEAR", "", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"internal", "AMBER", "", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"internal", "AMBER+STRICT", "aff", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"internal", "RED", "m@irp", {0, 0, 0, 0, IRBUS_EFORWARD}},
    {"coordination", "AMBER", "aff", {0, 0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    {"coordination", "GREEN", "", {0, 0, IRBUS_EFORWARD, IRBUS_EFORWARD, IRBUS_EFORWARD}},
    /* Checked as a msg on its channel first (section 1). */
    {"notifications",
     "GREEN",
     "",
     {IRBUS_ECHANNEL, IRBUS_ECHANNEL, IRBUS_ECHANNEL, IRBUS_ECHANNEL, IRBUS_ECHANNEL}},
    {"findings",
     "AMBER",
     "out",
     {IRBUS_EAUDIENCE, IRBUS_EAUDIENCE, IRBUS_EAUDIENCE, IRBUS_EAUDIENCE, IRBUS_EAUDIENCE}},
    {"findings",
     "RED",
     "x@out",
     {IRBUS_EAUDIENCE, IRBUS_EAUDIENCE, IRBUS_EAUDIENCE, IRBUS_EAUDIENCE, IRBUS_EAUDIENCE}},
};

static void
forward_cells(void) {
    const char *inc = "INC-FWD";
    uint64_t ref[NREF] = {0}, cmds[16], v5 = 0, v17 = 0;
    uint8_t hash[NREF][32], zero[32];
    size_t ncmds = 0;
    static struct pc_seen seen;
    static const char *const ref_to[NREF] = {"", "", "irp", "irp", "s@irp"};
    struct pc_actor *is = A("is"), *cs = A("cs");

    printf("== section 3: forwarding, share requests and grants ==\n");
    memset(zero, 0, sizeof zero);
    CHECK_EQ(pc_incident(A("c"), inc, STD_PARTIES, cmds, &ncmds), 0);
    for (int k = 0; k < NREF; k++) {
        pc_cell(&W, pc_publish(cs, inc, "findings", ref_label[k], NULL, NULL, ref_to[k], &ref[k]),
                0, "setup: ref %s on findings to [%s] by cs", ref_label[k], ref_to[k]);
        CHECK_EQ(pc_digest(cs, inc, ref[k], hash[k]), 0);
    }
    {
        uint64_t w[] = {ref[REF_C], ref[REF_G]};
        seen.n = 0;
        CHECK_EQ(pc_history(A("as"), inc, "findings", 1, &seen), 0);
        pc_cell_set(&W, &seen, NULL, w, 2, "history findings seen by as before any forward");
    }

    for (size_t i = 0; i < sizeof fwd_cases / sizeof fwd_cases[0]; i++) {
        for (int k = 0; k < NREF; k++) {
            uint64_t s = 0;
            int got = pc_forward(is, inc, ref[k], hash[k], fwd_cases[i].channel, fwd_cases[i].tlp,
                                 NULL, fwd_cases[i].to, &s);
            int want = fwd_cases[i].want[k];
            pc_cell(&W, got, want, "forward %s ref by is as %s %s to [%s]", ref_label[k],
                    fwd_cases[i].channel, fwd_cases[i].tlp, fwd_cases[i].to);
            if (k == REF_A && strcmp(fwd_cases[i].channel, "findings") == 0 &&
                strcmp(fwd_cases[i].tlp, "AMBER") == 0 && strcmp(fwd_cases[i].to, "aff") == 0) {
                v5 = s;
            }
            if (k == REF_A && strcmp(fwd_cases[i].channel, "coordination") == 0 &&
                strcmp(fwd_cases[i].tlp, "AMBER") == 0) {
                v17 = s;
            }
        }
    }

    printf("-- other forwarders --\n");
    pc_cell(
        &W,
        pc_forward(A("im"), inc, ref[REF_A], hash[REF_A], "findings", "AMBER", NULL, "aff", NULL),
        0, "forward AMBER ref by im (member ir_provider) as findings AMBER to [aff]");
    pc_cell(&W,
            pc_forward(A("im"), inc, ref[REF_A], hash[REF_A], "coordination", "AMBER", NULL, "aff",
                       NULL),
            IRBUS_ENOTSPOC, "forward AMBER ref by im (member ir_provider) on coordination");
    pc_cell(
        &W,
        pc_forward(A("im"), inc, ref[REF_R], hash[REF_R], "findings", "RED", NULL, "m@irp", NULL),
        IRBUS_ENOTFOUND, "forward RED ref by im, who may not see it");
    /* cm (csirt; its clients: the affected parties) sees the AMBER ref. */
    pc_cell(
        &W,
        pc_forward(A("cm"), inc, ref[REF_A], hash[REF_A], "findings", "AMBER", NULL, "aff", NULL),
        0, "forward AMBER ref by cm as findings AMBER to [aff] (cst's client)");
    pc_cell(&W,
            pc_forward(A("cm"), inc, ref[REF_A], hash[REF_A], "findings", "AMBER+STRICT", NULL,
                       "irp", NULL),
            IRBUS_EFORWARD,
            "forward AMBER ref by cm as findings AMBER+STRICT to [irp] (not a "
            "client of cst)");
    /* as sees the AMBER ref through a forward to aff; aff (affected) has no
     * clients. */
    pc_cell(&W,
            pc_forward(A("as"), inc, ref[REF_A], hash[REF_A], "findings", "AMBER+STRICT", NULL,
                       "aff", NULL),
            v5 != 0 ? 0 : IRBUS_ENOTFOUND,
            "forward AMBER ref (seen through a forward) by as as findings AMBER+STRICT to [aff]");
    pc_cell(
        &W,
        pc_forward(A("as"), inc, ref[REF_A], hash[REF_A], "findings", "AMBER", NULL, "irp", NULL),
        v5 != 0 ? IRBUS_EFORWARD : IRBUS_ENOTFOUND,
        "forward AMBER ref by as as findings AMBER to [irp] (affected has no clients)");

    printf("-- what may be forwarded (checks 1-3) --\n");
    {
        uint8_t h[32];
        uint64_t stage = 0, fw = 0;
        CHECK_EQ(pc_digest(is, inc, cmds[1], h), 0);
        pc_cell(&W, pc_forward(is, inc, cmds[1], h, "findings", "GREEN", NULL, "", NULL),
                IRBUS_EVALUE, "forward of a command record (party.add) by is");
        pc_cell(&W, pc_forward(is, inc, ref[REF_C], zero, "findings", "GREEN", NULL, "", NULL),
                IRBUS_EVALUE, "forward with a wrong ref_hash by is");
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_C], hash[REF_C], "findings", "GREEN", NULL, "", &fw), 0,
                "forward CLEAR ref by is (to forward again)");
        if (fw != 0 && pc_digest(is, inc, fw, h) == 0) {
            pc_cell(&W, pc_forward(is, inc, fw, h, "findings", "GREEN", NULL, "", NULL),
                    IRBUS_EVALUE, "forward of a forward record by is");
        }
        pc_cell(&W,
                pc_publish(A("as"), inc, "notifications", "GREEN", NULL, "nis2.early_warning", "",
                           &stage),
                0, "setup: nis2.early_warning GREEN by as");
        if (stage != 0 && pc_digest(cs, inc, stage, h) == 0) {
            pc_cell(&W, pc_forward(cs, inc, stage, h, "findings", "GREEN", NULL, "", NULL), 0,
                    "forward of a stage record (a message) by cs");
        }
        pc_cell(
            &W,
            pc_forward(A("as"), inc, ref[REF_R], hash[REF_R], "findings", "GREEN", NULL, "", NULL),
            IRBUS_ENOTFOUND, "forward of a RED ref as may not see, with its true hash");
        pc_cell(&W, pc_forward(A("as"), inc, ref[REF_R], zero, "findings", "GREEN", NULL, "", NULL),
                IRBUS_ENOTFOUND, "forward of a RED ref as may not see, with a wrong hash");
        pc_cell(&W, pc_forward(A("as"), inc, 999999, zero, "findings", "GREEN", NULL, "", NULL),
                IRBUS_ENOTFOUND, "forward of a record that does not exist");
    }

    printf("-- what the forwards made visible --\n");
    seen.n = 0;
    CHECK_EQ(pc_history(A("as"), inc, "findings", 1, &seen), 0);
    pc_cell_read(&W, &seen, ref[REF_A], 1, "as reads the AMBER ref on findings");
    pc_cell_read(&W, &seen, v5, 1, "as reads the forward of the AMBER ref to aff on findings");
    pc_cell_read(&W, &seen, ref[REF_S], 0,
                 "as does not read the AMBER+STRICT ref (no forward to aff yet)");
    pc_cell_read(&W, &seen, ref[REF_R], 0, "as does not read the RED ref");
    seen.n = 0;
    CHECK_EQ(pc_history(A("as"), inc, "coordination", 1, &seen), 0);
    pc_cell_read(&W, &seen, v17 != 0 ? ref[REF_A] : 0, 1,
                 "as reads the AMBER ref on coordination, through the forward there");
    seen.n = 0;
    CHECK_EQ(pc_history(A("rs"), inc, "findings", 1, &seen), 0);
    pc_cell_read(&W, &seen, ref[REF_A], 0, "rs (regulator) does not read the AMBER ref");

    printf("-- share requests and grants (section 3.2) --\n");
    {
        uint64_t sr = 0, g1 = 0, f = 0;
        uint8_t h[32];
        pc_cell(&W, pc_share(is, 0, inc, ref[REF_S], hash[REF_S], "aff", &sr), 0,
                "share.request AMBER+STRICT ref to [aff] by is");
        pc_cell(&W, pc_share(is, 0, inc, ref[REF_S], hash[REF_S], "s@aff", NULL), 0,
                "share.request AMBER+STRICT ref to [s@aff] by is");
        pc_cell(&W, pc_share(is, 0, inc, ref[REF_S], hash[REF_S], "out", NULL), IRBUS_EAUDIENCE,
                "share.request to [out] (not a party) by is");
        pc_cell(&W, pc_share(A("as"), 0, inc, ref[REF_S], hash[REF_S], "aff", NULL),
                IRBUS_ENOTFOUND, "share.request by as, who may not see ref");
        pc_cell(&W, pc_share(is, 0, inc, ref[REF_S], zero, "aff", NULL), IRBUS_EVALUE,
                "share.request with a wrong ref_hash by is");
        /* Seen by the requester and ref's sender only. */
        {
            static const char *const r[] = {"is", "cs", "im", "cm", "as"};
            for (size_t i = 0; i < 5; i++) {
                seen.n = 0;
                CHECK_EQ(pc_history(A(r[i]), inc, "findings", 1, &seen), 0);
                pc_cell_read(&W, &seen, sr, i < 2, "share.request on findings, by %s", r[i]);
            }
        }
        pc_cell(&W, pc_share(cs, 1, inc, ref[REF_S], hash[REF_S], "aff", &g1), 0,
                "share.grant AMBER+STRICT ref to [aff] by its sender cs");
        pc_cell(&W, pc_share(is, 1, inc, ref[REF_S], hash[REF_S], "aff", NULL), IRBUS_EGRANT,
                "share.grant by is, who sees ref but did not send it");
        pc_cell(&W, pc_share(A("as"), 1, inc, ref[REF_S], hash[REF_S], "aff", NULL),
                IRBUS_ENOTFOUND, "share.grant by as, who may not see ref (check 1 before 311)");
        pc_cell(&W, pc_share(cs, 1, inc, ref[REF_S], hash[REF_S], "out", NULL), IRBUS_EAUDIENCE,
                "share.grant to [out] (not a party) by cs");
        pc_cell(&W, pc_share(cs, 1, inc, ref[REF_S], zero, "aff", NULL), IRBUS_EVALUE,
                "share.grant with a wrong ref_hash by cs");
        /* Seen by whoever may see ref. */
        {
            static const char *const r[] = {"is", "im", "cs", "cm", "as"};
            static const int see[] = {1, 1, 1, 0, 0};
            for (size_t i = 0; i < 5; i++) {
                seen.n = 0;
                CHECK_EQ(pc_history(A(r[i]), inc, "findings", 1, &seen), 0);
                pc_cell_read(&W, &seen, g1, see[i], "share.grant on findings, by %s", r[i]);
            }
        }
        if (g1 != 0 && pc_digest(is, inc, g1, h) == 0) {
            pc_cell(&W, pc_forward(is, inc, g1, h, "findings", "AMBER+STRICT", NULL, "irp", NULL),
                    IRBUS_EVALUE, "forward of a share.grant record by is");
        }
        if (sr != 0 && pc_digest(is, inc, sr, h) == 0) {
            pc_cell(&W, pc_forward(is, inc, sr, h, "findings", "RED", NULL, "s@irp", NULL),
                    IRBUS_EVALUE, "forward of a share.request record by is");
        }
        /* The grant widens the label rule. */
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "AMBER+STRICT", NULL,
                           "aff", &f),
                0, "forward AMBER+STRICT ref as AMBER+STRICT to [aff] by is, after the grant");
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "AMBER+STRICT", NULL,
                           "aff reg", NULL),
                IRBUS_EFORWARD, "forward AMBER+STRICT ref to [aff reg] by is (reg not granted)");
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "GREEN", NULL, "", NULL),
                IRBUS_EFORWARD,
                "forward AMBER+STRICT ref as GREEN by is (a grant never allows "
                "CLEAR or GREEN)");
        pc_cell(
            &W,
            pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "RED", NULL, "m@aff", NULL), 0,
            "forward AMBER+STRICT ref as RED to [m@aff] by is (granted organisation)");
        seen.n = 0;
        CHECK_EQ(pc_history(A("am"), inc, "findings", 1, &seen), 0);
        pc_cell_read(&W, &seen, f != 0 ? ref[REF_S] : 0, 1,
                     "am reads the AMBER+STRICT ref through the granted forward");
        seen.n = 0;
        CHECK_EQ(pc_history(A("na"), inc, "findings", 1, &seen), 0);
        pc_cell_read(&W, &seen, ref[REF_S], 0,
                     "na (nsa, not granted) does not read the AMBER+STRICT ref");

        /* A grant naming a participant (m@reg: rs must not see ref on findings,
         * see the end). */
        pc_cell(&W, pc_share(cs, 1, inc, ref[REF_S], hash[REF_S], "m@reg", NULL), 0,
                "share.grant AMBER+STRICT ref to [m@reg] by cs");
        pc_cell(
            &W,
            pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "RED", NULL, "m@reg", NULL), 0,
            "forward AMBER+STRICT ref as RED to [m@reg] by is (named in a grant)");
        pc_cell(
            &W,
            pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "RED", NULL, "s@reg", NULL),
            IRBUS_EFORWARD, "forward AMBER+STRICT ref as RED to [s@reg] by is (not named)");
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_S], hash[REF_S], "findings", "AMBER+STRICT", NULL,
                           "reg", NULL),
                IRBUS_EFORWARD,
                "forward AMBER+STRICT ref to [reg] by is (a participant, not reg, is granted)");

        /* RED: never, except with a grant. */
        pc_cell(&W, pc_share(cs, 1, inc, ref[REF_R], hash[REF_R], "m@irp", NULL), 0,
                "share.grant RED ref to [m@irp] by cs");
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_R], hash[REF_R], "findings", "RED", NULL, "m@irp", &f),
                0, "forward RED ref as RED to [m@irp] by is, after the grant");
        pc_cell(
            &W,
            pc_forward(is, inc, ref[REF_R], hash[REF_R], "findings", "RED", NULL, "s@aff", NULL),
            IRBUS_EFORWARD, "forward RED ref as RED to [s@aff] by is (not granted)");
        seen.n = 0;
        CHECK_EQ(pc_history(A("im"), inc, "findings", 1, &seen), 0);
        pc_cell_read(&W, &seen, f != 0 ? ref[REF_R] : 0, 1,
                     "im reads the RED ref through the granted forward");

        /* AMBER: a grant adds an organisation that is not a client. */
        pc_cell(&W, pc_share(cs, 1, inc, ref[REF_A], hash[REF_A], "reg", NULL), 0,
                "share.grant AMBER ref to [reg] by cs");
        pc_cell(&W,
                pc_forward(is, inc, ref[REF_A], hash[REF_A], "findings", "AMBER", NULL, "reg", &f),
                0, "forward AMBER ref as AMBER to [reg] by is, after the grant");
        seen.n = 0;
        CHECK_EQ(pc_history(A("rs"), inc, "findings", 1, &seen), 0);
        pc_cell_read(&W, &seen, f != 0 ? ref[REF_A] : 0, 1,
                     "rs (regulator, addressed by the forward) reads the AMBER ref through it");
    }

    /* Last, because whoever may see a forward may see ref through it. */
    printf("-- the ref's sender may forward it under any label --\n");
    {
        uint64_t f1 = 0, f2 = 0;
        pc_cell(&W,
                pc_forward(cs, inc, ref[REF_R], hash[REF_R], "findings", "GREEN", NULL, "", &f1), 0,
                "forward RED ref by its sender cs as findings GREEN");
        pc_cell(
            &W,
            pc_forward(cs, inc, ref[REF_S], hash[REF_S], "coordination", "GREEN", NULL, "", &f2), 0,
            "forward AMBER+STRICT ref by its sender cs as coordination GREEN");
        pc_cell(
            &W,
            pc_forward(cs, inc, ref[REF_A], hash[REF_A], "notifications", "CLEAR", NULL, "", NULL),
            0, "forward AMBER ref by its sender cs as notifications CLEAR");
        pc_cell(&W,
                pc_forward(cs, inc, ref[REF_R], hash[REF_R], "findings", "AMBER", NULL, "", NULL),
                0, "forward RED ref by its sender cs as findings AMBER");
        seen.n = 0;
        CHECK_EQ(pc_history(A("na"), inc, "findings", 1, &seen), 0);
        pc_cell_read(&W, &seen, f1 != 0 ? ref[REF_R] : 0, 1,
                     "na reads the RED ref on findings through its sender's GREEN forward");
        seen.n = 0;
        CHECK_EQ(pc_history(A("rs"), inc, "coordination", 1, &seen), 0);
        pc_cell_read(&W, &seen, f2 != 0 ? ref[REF_S] : 0, 1,
                     "rs reads the AMBER+STRICT ref on coordination through its sender's GREEN "
                     "forward there");
        seen.n = 0;
        CHECK_EQ(pc_history(A("rs"), inc, "findings", 1, &seen), 0);
        pc_cell_read(&W, &seen, ref[REF_S], 0,
                     "rs does not read the AMBER+STRICT ref on findings (the forward is on "
                     "coordination)");
    }
}

int
main(int argc, char **argv) {
    if (pc_begin(&W, argc, argv) != 0) {
        return 64;
    }
    roster();
    publish_matrix_cells();
    read_matrix_cells();
    visibility_cells();
    pap_cells();
    command_cells();
    addressing_cells();
    closed_cells();
    forward_cells();
    pc_end(&W, "50-policy");
    return check_done("50-policy");
}
