/*
 * log.h - the one logger.
 *
 * Threads: control, main and disk threads; NEVER the RT thread (RT
 * failures travel as counters that the control thread reports).
 */
#ifndef JMX_LOG_H
#define JMX_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Messages above this level are dropped; -v raises it, -q lowers it. */
void log_set_level(int level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
