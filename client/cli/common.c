/*
 * common.c - what every broker verb shares: connection settings (flags,
 * environment, the client configuration file), connecting, reporting a
 * failed request, saving receipts, and printing messages.
 *
 * Only <irbus.h>, libc and jansson. Never prints a secret: the identity key
 * stays inside the library's key object.
 */
#include "cli.h"

#include <irbus.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char cli_conn_help[] =
    "Connection (flag, else environment, else config file, else default):\n"
    "  --broker ENDPOINT    broker endpoint ($IRBUS_BROKER, `broker =`;\n"
    "                       default " CLI_DEFAULT_BROKER ")\n"
    "  --broker-key FILE    the broker's public key file ($IRBUS_BROKER_KEY,\n"
    "                       `broker_key =`)\n"
    "  --key FILE           your secret key file ($IRBUS_KEY, `key =`)\n"
    "  --config FILE        client config file ($IRBUS_CONFIG; default\n"
    "                       ~/.config/irbus/client.conf if it exists)\n"
    "  --receipts DIR       where receipts are saved ($IRBUS_RECEIPTS,\n"
    "                       `receipts =`; default ~/.local/share/irbus/receipts)\n"
    "  --timeout MS         how long to wait for each answer (default 5000)\n";

int
cli_is_help(const char *arg) {
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int
cli_take_option(int argc, char **argv, int *i, const char *name, const char **value) {
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0) {
        return 0;
    }
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int
cli_parse_u64(const char *s, uint64_t *out) {
    unsigned long long v;
    char *end;

    if (s == NULL || !isdigit((unsigned char)s[0])) {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int
cli_conn_option(const char *verb, int argc, char **argv, int *i, struct cli_conn *cc) {
    static const char *const names[] = {"--broker", "--broker-key", "--key",
                                        "--config", "--receipts",   "--timeout"};
    const char **slots[] = {&cc->broker, &cc->broker_key, &cc->key,
                            &cc->config, &cc->receipts,   NULL};
    char msg[256];

    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *value = NULL;
        int t = cli_take_option(argc, argv, i, names[k], &value);
        if (t == 0) {
            continue;
        }
        if (t < 0 || value[0] == '\0') {
            snprintf(msg, sizeof msg, "%s: %s needs a value", verb, names[k]);
            cli_usage_error(verb, msg);
            return -1;
        }
        if (slots[k] != NULL) {
            *slots[k] = value;
        } else {
            uint64_t ms;
            if (cli_parse_u64(value, &ms) != 0 || ms < 1 || ms > 3600000) {
                snprintf(msg, sizeof msg, "%s: --timeout takes milliseconds, 1 to 3600000", verb);
                cli_usage_error(verb, msg);
                return -1;
            }
            cc->timeout_ms = (int)ms;
        }
        return 1;
    }
    return 0;
}

/* ---- settings ------------------------------------------------------------ */

/* "~/x" -> "$HOME/x"; anything else as is. Returns -1 if it does not fit
 * or HOME is needed and unset. */
static int
expand_path(const char *in, char *out, size_t cap) {
    int n;

    if (in[0] == '~' && in[1] == '/') {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] == '\0') {
            return -1;
        }
        n = snprintf(out, cap, "%s/%s", home, in + 2);
    } else {
        n = snprintf(out, cap, "%s", in);
    }
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

struct conf {
    char broker[CLI_PATH_MAX];
    char broker_key[CLI_PATH_MAX];
    char key[CLI_PATH_MAX];
    char receipts[CLI_PATH_MAX];
};

static char *
trim(char *s) {
    char *end;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
        *--end = '\0';
    }
    return s;
}

/*
 * Read the client configuration: `name = value` lines, `#` comments, blank
 * lines. Returns CLI_EX_OK, or an exit status after printing the file and
 * line of the problem. `required`: the file was named explicitly, so its
 * absence is an error.
 */
static int
conf_load(const char *path, int required, struct conf *cf) {
    static const char *const names[] = {"broker", "broker_key", "key", "receipts"};
    char *slots[] = {cf->broker, cf->broker_key, cf->key, cf->receipts};
    char line[CLI_PATH_MAX + 64];
    unsigned lineno = 0;
    FILE *f;

    f = fopen(path, "r");
    if (f == NULL) {
        if (!required && errno == ENOENT) {
            return CLI_EX_OK;
        }
        fprintf(stderr,
                "irbus: cannot read config file %s: %s — check the path given by "
                "--config or IRBUS_CONFIG\n",
                path, strerror(errno));
        return CLI_EX_NOINPUT;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *s, *eq, *name, *value;
        size_t k;

        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            fprintf(stderr, "irbus: %s:%u: line too long — keep each setting on one line\n", path,
                    lineno);
            fclose(f);
            return CLI_EX_CONFIG;
        }
        s = trim(line);
        if (s[0] == '\0' || s[0] == '#') {
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            fprintf(stderr, "irbus: %s:%u: expected 'name = value' — fix or remove the line\n",
                    path, lineno);
            fclose(f);
            return CLI_EX_CONFIG;
        }
        *eq = '\0';
        name = trim(s);
        value = trim(eq + 1);
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            if (strcmp(name, names[k]) == 0) {
                break;
            }
        }
        if (k == sizeof names / sizeof names[0]) {
            fprintf(stderr,
                    "irbus: %s:%u: unknown setting '%s' — the settings are broker, "
                    "broker_key, key and receipts\n",
                    path, lineno, name);
            fclose(f);
            return CLI_EX_CONFIG;
        }
        if (value[0] == '\0') {
            fprintf(stderr, "irbus: %s:%u: '%s' has no value — give one or remove the line\n", path,
                    lineno, name);
            fclose(f);
            return CLI_EX_CONFIG;
        }
        snprintf(slots[k], CLI_PATH_MAX, "%s", value);
    }
    if (ferror(f)) {
        fprintf(stderr, "irbus: cannot read config file %s: %s\n", path, strerror(errno));
        fclose(f);
        return CLI_EX_NOINPUT;
    }
    fclose(f);
    return CLI_EX_OK;
}

/* flag, else environment, else config, else default (may be NULL). */
static const char *
pick(const char *flag, const char *env, const char *conf, const char *def) {
    const char *e = env != NULL ? getenv(env) : NULL;

    if (flag != NULL) {
        return flag;
    }
    if (e != NULL && e[0] != '\0') {
        return e;
    }
    if (conf != NULL && conf[0] != '\0') {
        return conf;
    }
    return def;
}

static int
resolve(struct cli_conn *cc, const char *verb) {
    static struct conf cf; /* big; one per process */
    char confpath[CLI_PATH_MAX], defreceipts[CLI_PATH_MAX] = "";
    const char *home = getenv("HOME");
    const char *p, *env;
    int status;

    memset(&cf, 0, sizeof cf);
    env = getenv("IRBUS_CONFIG");
    if (cc->config != NULL) {
        status = conf_load(cc->config, 1, &cf);
    } else if (env != NULL && env[0] != '\0') {
        status = conf_load(env, 1, &cf);
    } else if (home != NULL && home[0] != '\0') {
        snprintf(confpath, sizeof confpath, "%s/.config/irbus/client.conf", home);
        status = conf_load(confpath, 0, &cf);
    } else {
        status = CLI_EX_OK;
    }
    if (status != CLI_EX_OK) {
        return status;
    }
    if (home != NULL && home[0] != '\0') {
        snprintf(defreceipts, sizeof defreceipts, "%s/.local/share/irbus/receipts", home);
    }

    p = pick(cc->broker, "IRBUS_BROKER", cf.broker, CLI_DEFAULT_BROKER);
    snprintf(cc->endpoint, sizeof cc->endpoint, "%s", p);

    p = pick(cc->broker_key, "IRBUS_BROKER_KEY", cf.broker_key, NULL);
    if (p == NULL) {
        fprintf(stderr,
                "irbus: %s: no broker key — give --broker-key FILE (the broker's .pub file), "
                "set IRBUS_BROKER_KEY, or put 'broker_key = FILE' in the config file\n",
                verb);
        return CLI_EX_USAGE;
    }
    if (expand_path(p, cc->broker_key_path, sizeof cc->broker_key_path) != 0) {
        fprintf(stderr, "irbus: %s: broker key path too long or HOME unset: %s\n", verb, p);
        return CLI_EX_USAGE;
    }

    p = pick(cc->key, "IRBUS_KEY", cf.key, NULL);
    if (p == NULL) {
        fprintf(stderr,
                "irbus: %s: no key — give --key FILE (your secret key file), set IRBUS_KEY, "
                "or put 'key = FILE' in the config file; 'irbus keygen' makes one\n",
                verb);
        return CLI_EX_USAGE;
    }
    if (expand_path(p, cc->key_path, sizeof cc->key_path) != 0) {
        fprintf(stderr, "irbus: %s: key path too long or HOME unset: %s\n", verb, p);
        return CLI_EX_USAGE;
    }

    p = pick(cc->receipts, "IRBUS_RECEIPTS", cf.receipts, defreceipts[0] ? defreceipts : NULL);
    if (p != NULL && expand_path(p, cc->receipts_dir, sizeof cc->receipts_dir) != 0) {
        fprintf(stderr, "irbus: %s: receipts path too long or HOME unset: %s\n", verb, p);
        return CLI_EX_USAGE;
    }
    return CLI_EX_OK;
}

int
cli_conn_open(struct cli_conn *cc, const char *verb) {
    char what[CLI_PATH_MAX + 64];
    int r, status;

    if ((status = resolve(cc, verb)) != CLI_EX_OK) {
        return status;
    }
    r = irbus_pubkey_load(cc->broker_key_path, cc->broker_pk);
    if (r != 0) {
        snprintf(what, sizeof what, "%s: cannot load the broker key %s", verb, cc->broker_key_path);
        return cli_fail(r, CLI_READING, what,
                        r == IRBUS_EKEYFILE
                            ? "give the broker's public key file (.pub), as its operator "
                              "published it"
                            : "check the path and that you may read the file");
    }
    r = irbus_key_load(cc->key_path, &cc->id);
    if (r != 0) {
        snprintf(what, sizeof what, "%s: cannot load your key %s", verb, cc->key_path);
        return cli_fail(r, CLI_READING, what,
                        r == IRBUS_EKEYPERM
                            ? "a secret key file must be yours, a regular file, mode 0600: "
                              "run 'chmod 600' on it, and replace the key if others may "
                              "have read it"
                        : r == IRBUS_EKEYFILE ? "give your secret key file (not the .pub)"
                                              : "check the path and that you may read the file");
    }
    r = irbus_client_new(cc->id, cc->endpoint, cc->broker_pk, &cc->client);
    if (r != 0) {
        snprintf(what, sizeof what, "%s: cannot connect to %s", verb, cc->endpoint);
        return cli_fail(r, CLI_READING, what,
                        "give a ZeroMQ endpoint such as tcp://host:7400 or ipc:///path");
    }
    if (cc->timeout_ms > 0) {
        irbus_client_set_timeout(cc->client, cc->timeout_ms);
    }
    return CLI_EX_OK;
}

void
cli_conn_close(struct cli_conn *cc) {
    irbus_client_destroy(&cc->client);
    irbus_key_destroy(&cc->id);
}

int
cli_request_fail(struct cli_conn *cc, const char *what, int err) {
    char hint[CLI_PATH_MAX + 128];
    const char *h = NULL;

    if (err <= IRBUS_EDENIED && err > IRBUS_ENOTFOUND) {
        h = "the broker's policy does not allow this for your key (the rule is named above; "
            "schema/policy.md has them all); check your role in the incident";
    }
    switch (err) {
    case IRBUS_ETIMEOUT:
        snprintf(hint, sizeof hint, "is irbusd running at %s, and is your key in its roster?",
                 cc->endpoint);
        h = hint;
        break;
    case IRBUS_EINVAL:
        h = "check the arguments (ids, channel, labels, sizes); run with --help";
        break;
    case IRBUS_EUNKNOWNKEY:
        h = "your key is not in the broker's roster; ask an operator to add it";
        break;
    case IRBUS_EREVOKED:
        h = "your key has been revoked; ask an operator for a new one";
        break;
    case IRBUS_EBADSIG:
        h = "an answer did not verify; check that --broker-key is this broker's public key, "
            "and tell the broker's operator";
        break;
    case IRBUS_EREPLAY:
    case IRBUS_ECLOCK:
        h = "check that your system clock is right (NTP) and try again";
        break;
    case IRBUS_ESENDER:
        h = "the signing key differs from the connection's key; use one key for both";
        break;
    case IRBUS_ENOTFOUND:
        h = "check the incident, organisation or participant id";
        break;
    case IRBUS_EEXIST:
        h = "it is already there; nothing was changed";
        break;
    case IRBUS_ESTATE:
        h = "the incident's current state does not allow this";
        break;
    case IRBUS_ELIMIT:
        h = "a per-connection limit was reached; use fewer subscriptions or smaller requests";
        break;
    case IRBUS_ESTORAGEFULL:
        h = "nothing was stored; try again later and tell the broker's operator";
        break;
    case IRBUS_EINTERNAL:
    case IRBUS_ECORRUPT:
        h = "tell the broker's operator";
        break;
    case IRBUS_EIO:
        h = "the connection failed; try again";
        break;
    default:
        if (err <= IRBUS_ETRUNCATED && err >= IRBUS_EVALUE) {
            h = "the broker refused the request as malformed; check that client and broker "
                "versions match";
        }
        break;
    }
    return cli_fail_detail(err, CLI_READING, what,
                           cc->client != NULL ? irbus_client_last_error(cc->client) : NULL, h);
}

/* ---- receipts ------------------------------------------------------------ */

void
cli_hex(const uint8_t *bytes, size_t len, char *out) {
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

void
cli_format_time(uint64_t ms, char *out, size_t cap) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char base[32];

    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, cap, "%llu", (unsigned long long)ms);
        return;
    }
    snprintf(out, cap, "%s.%03uZ", base, (unsigned)(ms % 1000));
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int
make_dirs(const char *path) {
    char buf[CLI_PATH_MAX];
    struct stat st;
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
            return -1;
        }
        if (stat(buf, &st) != 0) {
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        buf[i] = i < len ? '/' : '\0';
    }
    return 0;
}

static int
save_receipt(struct cli_conn *cc, const struct irbus_receipt *r, char *path, size_t cap) {
    char hash[65], sig[129], bk[65], when[40], fp[IRBUS_FINGERPRINT_SIZE];
    char proof[2 * IRBUS_PROOF_MAX + 1];
    json_t *o;
    char *text;
    size_t len;
    ssize_t w;
    int fd, n;

    if (cc->receipts_dir[0] == '\0') {
        errno = ENOENT;
        snprintf(path, cap, "(no receipts directory: HOME is unset)");
        return -1;
    }
    /* Incident ids never contain '/' or start with '.'; "_system" is the
     * roster's log. Anything else is not a directory name we make. */
    if (r->incident[0] == '\0' || r->incident[0] == '.' || strchr(r->incident, '/') != NULL) {
        errno = EINVAL;
        snprintf(path, cap, "%s", cc->receipts_dir);
        return -1;
    }
    n = snprintf(path, cap, "%s/%s", cc->receipts_dir, r->incident);
    if (n < 0 || (size_t)n >= cap || make_dirs(path) != 0) {
        return -1;
    }
    n = snprintf(path, cap, "%s/%s/%llu.json", cc->receipts_dir, r->incident,
                 (unsigned long long)r->seq);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    cli_hex(r->hash, sizeof r->hash, hash);
    cli_hex(r->sig, sizeof r->sig, sig);
    cli_hex(cc->broker_pk, sizeof cc->broker_pk, bk);
    cli_format_time(r->btime, when, sizeof when);
    irbus_fingerprint(cc->broker_pk, fp);
    o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "incident", r->incident, "seq",
                  (json_int_t)r->seq, "btime", (json_int_t)r->btime, "btime_utc", when, "hash",
                  hash, "sig", sig, "broker_fingerprint", fp, "broker_key", bk);
    if (o != NULL && r->proof_len > 0 && r->proof_len <= sizeof r->proof) {
        /* signed with the other receipts of its commit: the path to them */
        cli_hex(r->proof, r->proof_len, proof);
        if (json_object_set_new(o, "proof", json_string(proof)) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    if (o == NULL) {
        errno = ENOMEM;
        return -1;
    }
    text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(text);
        return -1;
    }
    len = strlen(text);
    w = write(fd, text, len);
    if (w != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        int saved = errno != 0 ? errno : EIO;
        close(fd);
        unlink(path);
        free(text);
        errno = saved;
        return -1;
    }
    free(text);
    return close(fd);
}

int
cli_receipt_done(struct cli_conn *cc, const char *verb, const struct irbus_receipt *r) {
    char hash[65], when[40], path[CLI_PATH_MAX + 128], what[CLI_PATH_MAX + 200];

    cli_hex(r->hash, sizeof r->hash, hash);
    cli_format_time(r->btime, when, sizeof when);
    printf("accepted incident=%s seq=%llu btime=%s hash=%s\n", r->incident,
           (unsigned long long)r->seq, when, hash);
    fflush(stdout);
    if (save_receipt(cc, r, path, sizeof path) != 0) {
        snprintf(what, sizeof what, "%s: accepted, but cannot save the receipt to %s", verb, path);
        return cli_fail(IRBUS_EIO, CLI_WRITING, what,
                        "the broker stored it; keep the line above, and check --receipts DIR");
    }
    return CLI_EX_OK;
}

/* ---- messages ------------------------------------------------------------ */

static void
base64(const uint8_t *in, size_t len, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= in[i + 2];
        }
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Content types whose payload is text: text/..., JSON and XML (also the
 * structured-syntax suffixes +json and +xml), parameters ignored. */
static int
is_text(const char *ctype) {
    size_t n = strcspn(ctype, "; ");

    if (strncmp(ctype, "text/", 5) == 0) {
        return 1;
    }
    if (strncmp(ctype, "application/", 12) != 0) {
        return 0;
    }
    if ((n == 16 && strncmp(ctype + 12, "json", 4) == 0) ||
        (n == 15 && strncmp(ctype + 12, "xml", 3) == 0)) {
        return 1;
    }
    return (n > 17 && strncmp(ctype + n - 5, "+json", 5) == 0) ||
           (n > 16 && strncmp(ctype + n - 4, "+xml", 4) == 0);
}

static void
print_json(const irbus_message *m) {
    char fp[IRBUS_FINGERPRINT_SIZE], when[40];
    json_t *o, *to, *payload = NULL;
    char *b64 = NULL;

    irbus_fingerprint(m->sender, fp);
    cli_format_time(m->btime, when, sizeof when);
    to = json_array();
    for (size_t i = 0; to != NULL && i < m->nto; i++) {
        json_array_append_new(to, json_string(m->to[i]));
    }
    o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:o, s:s, s:I, s:I, s:s?}",
                  "incident", m->incident, "seq", (json_int_t)m->seq, "btime", (json_int_t)m->btime,
                  "btime_utc", when, "kind", m->kind, "channel", m->channel[0] ? m->channel : NULL,
                  "tlp", m->tlp[0] ? m->tlp : NULL, "pap", m->pap[0] ? m->pap : NULL, "to",
                  to != NULL ? to : json_array(), "sender", fp, "sender_seq",
                  (json_int_t)m->sender_seq, "ts", (json_int_t)m->ts, "ctype",
                  m->ctype[0] ? m->ctype : NULL);
    if (o == NULL) {
        fprintf(stderr, "irbus: out of memory formatting message %llu\n",
                (unsigned long long)m->seq);
        return;
    }
    {
        /* the record's own digest (what a forward's ref_hash names), and
         * for a forward or share the record it refers to */
        uint8_t d[32];
        char hex[65];
        irbus_message_digest(m, d);
        cli_hex(d, sizeof d, hex);
        json_object_set_new(o, "digest", json_string(hex));
        if (m->ref != 0) {
            json_object_set_new(o, "ref", json_integer((json_int_t)m->ref));
            cli_hex(m->ref_hash, sizeof m->ref_hash, hex);
            json_object_set_new(o, "ref_hash", json_string(hex));
        }
    }
    if (is_text(m->ctype)) {
        /* NULL if the bytes are not valid UTF-8: then base64. */
        payload = json_stringn((const char *)m->payload, m->payload_len);
    }
    if (payload != NULL) {
        json_object_set_new(o, "payload", payload);
    } else {
        b64 = malloc(4 * ((m->payload_len + 2) / 3) + 1);
        if (b64 != NULL) {
            base64(m->payload, m->payload_len, b64);
            json_object_set_new(o, "payload_b64", json_string(b64));
            free(b64);
        }
    }
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
}

/* Write text from another party so that it cannot drive the terminal:
 * control characters (C0 except tab and newline, DEL, C1) become '?'. */
static void
print_safe(const uint8_t *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fputc('?', stdout);
        } else if (c == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            fputc('?', stdout);
            i++;
        } else {
            fputc(c, stdout);
        }
    }
    if (len == 0 || p[len - 1] != '\n') {
        fputc('\n', stdout);
    }
}

void
cli_print_message(const irbus_message *m, int json) {
    char fp[IRBUS_FINGERPRINT_SIZE], when[40];

    if (json) {
        print_json(m);
        fflush(stdout);
        return;
    }
    irbus_fingerprint(m->sender, fp);
    cli_format_time(m->btime != 0 ? m->btime : m->ts, when, sizeof when);
    printf("[%s #%llu %s] %s", m->incident, (unsigned long long)m->seq, when, m->kind);
    if (m->channel[0]) {
        printf(" %s %s", m->channel, m->tlp);
    }
    if (m->pap[0]) {
        printf(" pap=%s", m->pap);
    }
    for (size_t i = 0; i < m->nto; i++) {
        printf("%s%s", i == 0 ? " to=" : ",", m->to[i]);
    }
    if (m->ref != 0) {
        printf(" ref=%llu", (unsigned long long)m->ref);
    }
    printf(" from %s", fp);
    if (m->ctype[0]) {
        printf(" (%s, %zu bytes)", m->ctype, m->payload_len);
    }
    fputc('\n', stdout);
    if (m->payload_len > 0) {
        if (is_text(m->ctype)) {
            print_safe(m->payload, m->payload_len);
        } else {
            printf("(%zu bytes of %s; use --json to see them)\n", m->payload_len,
                   m->ctype[0] ? m->ctype : "data");
        }
    }
    fflush(stdout);
}
