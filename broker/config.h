/*
 * config.h - irbusd's configuration: the embedded defaults and the config
 * file (`key = value` lines, `#` comments). An unknown key or a bad value is
 * an error naming the line. Owns nothing beyond the struct it fills.
 */
#ifndef IRB_CONFIG_H
#define IRB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define IRB_CONFIG_MAX_ADMINS 16
#define IRB_CONFIG_PATH_MAX   1024

struct irb_config {
    char listen[256];               /* ZeroMQ endpoint */
    char data[IRB_CONFIG_PATH_MAX]; /* data directory */
    char key[IRB_CONFIG_PATH_MAX];  /* broker secret key; "" = <data>/broker.key */
    char admin_keys[IRB_CONFIG_MAX_ADMINS][IRB_CONFIG_PATH_MAX]; /* operators' .pub files */
    size_t nadmin;
    uint64_t mapsize;         /* LMDB map size, bytes */
    uint64_t clock_window_ms; /* accepted |ts - broker time| */
    int log_level;            /* enum irb_log_level */
    uint32_t verify_threads;  /* extra signature-verification threads; IRB_VERIFY_AUTO */
};

#define IRB_DEFAULT_LISTEN "tcp://127.0.0.1:7400"
#define IRB_DEFAULT_DATA   "var/irbusd"
/* verify_threads = auto: one per online CPU beyond the first (the loop
 * thread verifies too), at most IRB_VERIFY_MAX. */
#define IRB_VERIFY_AUTO UINT32_MAX
#define IRB_VERIFY_MAX  16

void irb_config_defaults(struct irb_config *c);

/* Parse config text into c (on top of what it holds). Returns 0, or -1 with
 * a message "line N: ..." in err. Pure: no I/O (fuzzed). */
int irb_config_parse(const char *text, size_t len, struct irb_config *c, char *err, size_t errlen);

/* Read and parse a file; -1 with a message naming the file on error. */
int irb_config_load(const char *path, struct irb_config *c, char *err, size_t errlen);

#endif
