/* hg_log.c — see hg_log.h. */
#include "hg_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

hg_log_level hg_log_threshold = HG_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int hg_log_parse_level(const char *s, hg_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) { *out = (hg_log_level)i; return 0; }
    }
    return -1;
}

void hg_log(hg_log_level level, const char *fmt, ...)
{
    if (!hg_log_enabled(level)) return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
