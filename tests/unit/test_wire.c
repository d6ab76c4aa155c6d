/*
 * test_wire.c - the codec against bytes worked out by hand from
 * schema/protocol.md (independent of the vector builder), identifier
 * formats, encoder overflow, and class checks.
 */
#include "check.h"

#include "irbus.h"
#include "wire.h"

#include <string.h>

static struct irb_frame f;
static struct irb_env e;

static void
test_ok_bytes(void) {
    /* {"v":1,"t":"ok","id":7} in canonical order. */
    static const uint8_t want[] = {0x83, 0xa1, 'v',  0x01, 0xa1, 't', 0xa2,
                                   'o',  'k',  0xa2, 'i',  'd',  0x07};
    uint8_t out[64];
    long n;

    memset(&f, 0, sizeof f);
    f.v = 1;
    f.t = IRB_T_OK;
    f.id = 7;
    n = irb_wire_encode(&f, out, sizeof out);
    CHECK_EQ(n, (long)sizeof want);
    CHECK(n == (long)sizeof want && memcmp(out, want, sizeof want) == 0);
    /* Any key order decodes to the same frame. */
    {
        static const uint8_t shuffled[] = {0x83, 0xa2, 'i', 'd',  0x07, 0xa1, 't',
                                           0xa2, 'o',  'k', 0xa1, 'v',  0x01};
        CHECK_EQ(irb_wire_decode(shuffled, sizeof shuffled, &f), 0);
        CHECK(f.t == IRB_T_OK && f.id == 7);
        n = irb_wire_encode(&f, out, sizeof out);
        CHECK(n == (long)sizeof want && memcmp(out, want, sizeof want) == 0);
    }
    /* Too small a buffer. */
    CHECK_EQ(irb_wire_encode(&f, out, 5), IRBUS_ETOOBIG);
}

static void
test_ack_bytes(void) {
    /* {"v":1,"t":"ack","id":300,"incident":"I-1","seq":2}
     * id 300 is uint16 (0xcd 0x01 0x2c). */
    static const uint8_t want[] = {0x85, 0xa1, 'v',  0x01, 0xa1, 't',  0xa3, 'a',  'c',
                                   'k',  0xa2, 'i',  'd',  0xcd, 0x01, 0x2c, 0xa8, 'i',
                                   'n',  'c',  'i',  'd',  'e',  'n',  't',  0xa3, 'I',
                                   '-',  '1',  0xa3, 's',  'e',  'q',  0x02};
    uint8_t out[64];

    CHECK_EQ(irb_wire_decode(want, sizeof want, &f), 0);
    CHECK(f.t == IRB_T_ACK && f.id == 300 && f.seq == 2);
    CHECK(f.incident.len == 3 && memcmp(f.incident.p, "I-1", 3) == 0);
    CHECK_EQ(irb_wire_encode(&f, out, sizeof out), (long)sizeof want);
    CHECK(memcmp(out, want, sizeof want) == 0);
}

static void
test_ids(void) {
    CHECK_EQ(irb_wire_check_id("acme", 4), 0);
    CHECK_EQ(irb_wire_check_id("alice@ncsc.nl", 13), 0);
    CHECK_EQ(irb_wire_check_id("INC-2026_01.x", 13), 0);
    CHECK_EQ(irb_wire_check_id("", 0), IRBUS_ELENGTH);
    CHECK_EQ(irb_wire_check_id("-x", 2), IRBUS_EFORMAT);
    CHECK_EQ(irb_wire_check_id("_system", 7), IRBUS_EFORMAT);
    CHECK_EQ(irb_wire_check_id("a b", 3), IRBUS_EFORMAT);
    CHECK_EQ(irb_wire_check_id("a/b", 3), IRBUS_EFORMAT);
    CHECK_EQ(irb_wire_check_id("\xc3\xa9", 2), IRBUS_EFORMAT);
    CHECK_EQ(
        irb_wire_check_id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64),
        0);
    CHECK_EQ(
        irb_wire_check_id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65),
        IRBUS_ELENGTH);
}

static void
test_classes(void) {
    CHECK_EQ(irb_wire_check_class(IRB_T_PUBLISH, IRB_K_MSG), 0);
    CHECK_EQ(irb_wire_check_class(IRB_T_PUBLISH, IRB_K_ORG_ADD), IRBUS_EMSGTYPE);
    CHECK_EQ(irb_wire_check_class(IRB_T_ADMIN, IRB_K_ORG_ADD), 0);
    CHECK_EQ(irb_wire_check_class(IRB_T_ADMIN, IRB_K_PARTY_ADD), IRBUS_EMSGTYPE);
    CHECK_EQ(irb_wire_check_class(IRB_T_INCIDENT, IRB_K_PARTY_ADD), 0);
    CHECK_EQ(irb_wire_check_class(IRB_T_INCIDENT, IRB_K_DEADLINE_MISSED), IRBUS_EMSGTYPE);
    CHECK_EQ(irb_wire_check_class(IRB_T_NOTICE, IRB_K_DEADLINE_MISSED), 0);
    CHECK_EQ(irb_wire_check_class(IRB_T_NOTICE, IRB_K_MSG), IRBUS_EMSGTYPE);
    CHECK_EQ(irb_wire_check_class(IRB_T_DELIVER, IRB_K_SPOC_HANDOVER), 0);
    CHECK_EQ(irb_wire_check_class(IRB_T_DELIVER, IRB_K_ORG_ADD), IRBUS_EMSGTYPE);
}

static void
test_names(void) {
    for (int k = 0; k < IRB_K_COUNT; k++) {
        const char *n = irb_kind_name((enum irb_kind)k);
        CHECK(n != NULL && irb_kind_from_name(n, strlen(n)) == k);
    }
    CHECK_EQ(irb_tlp_from_name("AMBER+STRICT", 12), IRB_TLP_AMBER_STRICT);
    CHECK_EQ(irb_tlp_from_name("amber", 5), -1); /* labels are capitals */
    CHECK_EQ(irb_pap_from_name("WHITE", 5), -1);
    CHECK_EQ(irb_channel_from_name("internal", 8), IRB_CH_INTERNAL);
    CHECK(irb_kind_name(IRB_K_COUNT) == NULL);
    /* Every error code has its own text. */
    for (int code = 100; code < 700; code++) {
        const char *t = irbus_strerror(-code);
        if (strcmp(t, "unknown error") != 0) {
            CHECK(strcmp(irbus_strerror(code), t) == 0);
        }
    }
    CHECK(strcmp(irbus_strerror(-IRBUS_EBADSIG), "signature does not verify") == 0);
}

static void
test_dump_escapes(void) {
    static const char title[] = "a\"b\\c\x01";
    char out[512];
    long n;

    memset(&e, 0, sizeof e);
    e.v = 1;
    e.kind = IRB_K_INCIDENT_OPEN;
    e.incident = (irb_str){"I-1", 3};
    e.title = (irb_str){title, sizeof title - 1};
    e.present = IRB_BIT(IRB_EI_V) | IRB_BIT(IRB_EI_KIND) | IRB_BIT(IRB_EI_TITLE);
    n = irb_wire_dump_env(&e, out, sizeof out);
    CHECK(n > 0);
    CHECK(strstr(out, "\"title\": \"a\\\"b\\\\c\\u0001\"") != NULL);
    CHECK_EQ(irb_wire_dump_env(&e, out, 10), IRBUS_ETOOBIG);
}

/* A frame with records encoded in pieces (head, each record, tail) is the
 * frame irb_wire_encode gives, byte for byte, on both sides of msgpack's
 * fixarray and array16 limits, with and without proofs and a tail. */
static void
test_pieces(void) {
    static const uint32_t counts[] = {1, 15, 16, 17, IRB_MAX_RECORDS};
    static uint8_t whole[1 << 20], pieces[1 << 20], env[300], sig[64], proof[IRB_MAX_PROOF];
    uint8_t tail[64];
    long n, m, k;

    for (size_t i = 0; i < sizeof env; i++) {
        env[i] = (uint8_t)(i * 7);
    }
    memset(sig, 0x5a, sizeof sig);
    memset(proof, 0xa5, sizeof proof);
    for (int history = 0; history < 2; history++) {
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            memset(&f, 0, sizeof f);
            f.v = 1;
            if (history) {
                f.t = IRB_T_HISTORY_RESULT;
                f.id = 77;
                f.next = 123456;
            } else {
                f.t = IRB_T_DELIVER;
                f.sub = 9;
            }
            f.incident = (irb_str){"INC-7", 5};
            f.nrecords = counts[c];
            for (uint32_t r = 0; r < f.nrecords; r++) {
                struct irb_record *rec = &f.records[r];
                rec->seq = 1000 + r;
                rec->btime = (uint64_t)1795435200000 + r;
                rec->env = (irb_bin){env, 1 + (r * 37) % sizeof env};
                rec->sig = (irb_bin){sig, sizeof sig};
                rec->proof = r % 3 == 0 ? (irb_bin){proof, IRB_MIN_PROOF + 32 * (r % 9)}
                                        : (irb_bin){NULL, 0};
            }
            n = irb_wire_encode(&f, whole, sizeof whole);
            CHECK(n > 0);
            m = irb_wire_encode_head(&f, pieces, sizeof pieces);
            CHECK(m > 0);
            for (uint32_t r = 0; r < f.nrecords && m > 0; r++) {
                k = irb_wire_encode_record(&f.records[r], pieces + m, sizeof pieces - (size_t)m);
                CHECK(k > 0);
                m = k > 0 ? m + k : -1;
            }
            k = irb_wire_encode_tail(&f, tail, sizeof tail);
            CHECK(k == (history ? 10 : 0)); /* "next": 5 bytes, then a uint32: 5 */
            if (m > 0 && k >= 0 && (size_t)(m + k) <= sizeof pieces) {
                memcpy(pieces + m, tail, (size_t)k);
                m += k;
            }
            CHECK_EQ(m, n);
            CHECK(m == n && n > 0 && memcmp(pieces, whole, (size_t)n) == 0);
            CHECK_EQ(irb_wire_decode(pieces, (size_t)m, &f), 0);
            CHECK_EQ(f.nrecords, counts[c]);
        }
    }
    /* Too small a buffer for each piece; a type without records. */
    CHECK_EQ(irb_wire_encode_head(&f, pieces, 8), IRBUS_ETOOBIG);
    CHECK_EQ(irb_wire_encode_record(&f.records[0], pieces, 8), IRBUS_ETOOBIG);
    CHECK_EQ(irb_wire_encode_tail(&f, pieces, 2), IRBUS_ETOOBIG);
    f.nrecords = IRB_MAX_RECORDS + 1;
    CHECK_EQ(irb_wire_encode_head(&f, pieces, sizeof pieces), IRBUS_EINVAL);
    memset(&f, 0, sizeof f);
    f.v = 1;
    f.t = IRB_T_OK;
    CHECK_EQ(irb_wire_encode_head(&f, pieces, sizeof pieces), IRBUS_EINVAL);
    CHECK_EQ(irb_wire_encode_tail(&f, pieces, sizeof pieces), IRBUS_EINVAL);
}

int
main(void) {
    test_ok_bytes();
    test_ack_bytes();
    test_ids();
    test_classes();
    test_names();
    test_dump_escapes();
    test_pieces();
    return check_done("test_wire");
}
