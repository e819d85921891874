/*
 * hg_log.h — levelled logging to stderr, one line per call.
 * The level is process-global and set once at start-up (before threads);
 * each line is written with a single fprintf so lines from worker threads
 * never interleave mid-line.
 */
#ifndef HG_LOG_H
#define HG_LOG_H

typedef enum hg_log_level { HG_LOG_ERROR = 0, HG_LOG_WARN, HG_LOG_INFO, HG_LOG_DEBUG } hg_log_level;

extern hg_log_level hg_log_threshold;

/* Parse "error" | "warn" | "info" | "debug"; returns -1 if unknown. */
int  hg_log_parse_level(const char *s, hg_log_level *out);
void hg_log(hg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hg_log_enabled(l) ((l) <= hg_log_threshold)

#endif
