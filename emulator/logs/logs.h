/*
 * logs.h — CloudWatch Logs' public in-process API, for Lambda: each
 * invocation's lines go to log group /aws/lambda/<name>.
 */
#ifndef HG_LOGS_H
#define HG_LOGS_H

#include <stddef.h>
#include <stdint.h>
#include "hg_error.h"

typedef struct logs_event {
    int64_t     timestamp_ms;   /* epoch milliseconds */
    const char *message;        /* one line, without the trailing newline */
    size_t      len;
} logs_event;

/* Append events to group/stream in region, creating both if missing. The
 * events are copied; they become visible to the Logs API no later than the
 * next Logs API request (writes may be batched off the caller's path). */
int logs_put(const char *region, const char *group, const char *stream,
             const logs_event *events, int n, hg_err *err);

#endif
