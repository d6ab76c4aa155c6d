/*
 * error.c - irbus_strerror: one sentence per error code. The same table is
 * in schema/protocol.md ("Error codes"); a test checks every code has text.
 */
#include "irbus.h"

#include <stddef.h>

struct err_text {
    int code;
    const char *text;
};

static const struct err_text err_table[] = {
    {IRBUS_OK, "success"},
    {IRBUS_ETRUNCATED, "frame truncated: it ends inside a value"},
    {IRBUS_EMSGPACK, "invalid msgpack byte in frame"},
    {IRBUS_ETRAILING, "trailing bytes after the frame's value"},
    {IRBUS_ETOOBIG, "frame larger than the frame size limit"},
    {IRBUS_ECOUNT, "map or array count exceeds its documented limit"},
    {IRBUS_EDEPTH, "nesting deeper than the limit"},
    {IRBUS_ETYPE, "field or key has the wrong type"},
    {IRBUS_EDUPFIELD, "field appears twice"},
    {IRBUS_EMISSING, "required field missing"},
    {IRBUS_EUNKNOWNFIELD, "field not defined for this message type"},
    {IRBUS_EUTF8, "string is not valid UTF-8"},
    {IRBUS_EFORMAT, "id or content type does not match its format"},
    {IRBUS_ELENGTH, "string or binary value has a length out of bounds"},
    {IRBUS_EVERSION, "unsupported protocol version"},
    {IRBUS_EMSGTYPE, "unknown message type or envelope kind"},
    {IRBUS_EVALUE, "value outside its range or enumeration"},
    {IRBUS_EBADSIG, "signature does not verify"},
    {IRBUS_ESENDER, "envelope sender is not the authenticated participant"},
    {IRBUS_EREPLAY, "sequence number not above the last one accepted (replay)"},
    {IRBUS_ECLOCK, "timestamp outside the acceptance window (check the clock)"},
    {IRBUS_EUNKNOWNKEY, "key not in the roster"},
    {IRBUS_EREVOKED, "key revoked"},
    {IRBUS_EDENIED, "denied by policy"},
    {IRBUS_ENOTMEMBER, "denied: not a member of this incident"},
    {IRBUS_ECHANNEL, "denied: the channel matrix does not allow this role here"},
    {IRBUS_ENOTSPOC, "denied: only the organisation's SPOC may speak for it here"},
    {IRBUS_ENOSPOC, "denied: the organisation has no SPOC in this incident, so it cannot speak "
                    "cross-organisation"},
    {IRBUS_EAUDIENCE, "denied: `to` names someone outside the incident, or the wrong kind of id "
                      "for the label"},
    {IRBUS_EFORWARD, "denied: the referenced message's label does not allow this forward"},
    {IRBUS_ECLOSED, "denied: the incident is closed"},
    {IRBUS_ECOORD, "denied: only a coordinator of the incident may do this"},
    {IRBUS_EHANDOVER, "denied: only the current SPOC or a coordinator hands over the SPOC role, "
                      "to a participant of that organisation"},
    {IRBUS_EOPERATOR, "denied: roster commands need an operator key"},
    {IRBUS_EGRANT, "denied: only the sender of the referenced message may grant wider sharing"},
    {IRBUS_ENOTFOUND, "not found"},
    {IRBUS_EEXIST, "already exists"},
    {IRBUS_ESTATE, "request not allowed in the current state"},
    {IRBUS_ELIMIT, "per-connection limit reached"},
    {IRBUS_ESTORAGEFULL, "storage full: nothing was stored"},
    {IRBUS_EINTERNAL, "internal broker error: nothing was stored"},
    {IRBUS_ECORRUPT, "stored history does not verify"},
    {IRBUS_EINVAL, "invalid argument"},
    {IRBUS_ENOMEM, "out of memory"},
    {IRBUS_EIO, "input/output error"},
    {IRBUS_EKEYFILE, "key file malformed"},
    {IRBUS_EKEYPERM, "key file permissions too open, or not a regular file"},
    {IRBUS_ETIMEOUT, "timed out"},
    {IRBUS_ECRYPTO, "crypto library failed to initialise"},
    {IRBUS_ERESET, "the connection to the broker was lost: every subscription ended; subscribe "
                   "again from the sequence after the last one received"},
};

const char *
irbus_strerror(int err) {
    int code = err > 0 ? -err : err;

    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++) {
        if (err_table[i].code == code) {
            return err_table[i].text;
        }
    }
    return "unknown error";
}
