/*
 * log.h - one key=value line per event on stderr, with time, level and the
 * function that logged it. Never secrets; payloads only at debug level.
 */
#ifndef IRB_LOG_H
#define IRB_LOG_H

enum irb_log_level { IRB_LOG_DEBUG, IRB_LOG_INFO, IRB_LOG_WARN, IRB_LOG_ERROR };

/* The threshold is set once at start, before threads exist. */
void irb_log_set_level(enum irb_log_level level);
int irb_log_level_from_name(const char *name);

void irb_log_at(enum irb_log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define irb_debug(...) irb_log_at(IRB_LOG_DEBUG, __func__, __VA_ARGS__)
#define irb_info(...)  irb_log_at(IRB_LOG_INFO, __func__, __VA_ARGS__)
#define irb_warn(...)  irb_log_at(IRB_LOG_WARN, __func__, __VA_ARGS__)
#define irb_error(...) irb_log_at(IRB_LOG_ERROR, __func__, __VA_ARGS__)

#endif
