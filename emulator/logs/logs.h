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

/* ---- for the Logs service glue (emulator/logs/service.c) only ------------------------------ */
#include <cjson/cJSON.h>

/* Start the writer thread that moves logs_put's queue into storage. */
int  logs_start(hg_err *err);
/* Stop the writer and write whatever is still queued. */
void logs_stop(void);
/* Write what is queued now, on the caller's thread (every API request does
 * this first, so reads see everything already put). */
int  logs_flush(hg_err *err);
/* Run one Logs operation ("PutLogEvents") in region: fills out (a JSON
 * object, owned by the caller) or err. Unknown operations fail with
 * UnknownOperationException. */
int  logs_call(const char *region, const char *operation, const cJSON *in, cJSON *out, hg_err *err);

#endif
