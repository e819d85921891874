/*
 * lambda_pool.h — the lease interface between invoke.c and pool.c (private
 * to emulator/lambda/; the pool's lifecycle calls are in lambda_internal.h).
 *
 * A lease is one execution environment held for one invocation: warm if an
 * idle env of the function's current code was there, else cold-started.
 * Hand it back with lambda_pool_return whatever happened.
 */
#ifndef LAMBDA_POOL_H
#define LAMBDA_POOL_H

#include <stdbool.h>
#include "hg_buf.h"
#include "hlua.h"
#include "lambda_internal.h"

typedef struct lambda_lease lambda_lease;

/* Lease an env for f. Returns 0 with *out (ready to invoke); 1 with *out and
 * *init_error (malloc'd {"errorMessage","errorType"} JSON, caller frees)
 * when the function's init failed — there is no env to invoke, but the
 * lease names the log stream and must be returned; -1 with err (429
 * TooManyRequestsException when the function is at its concurrency bound,
 * or an error building its code); 2, with nothing leased and nothing done,
 * when may_move is set and the function is not known to be quick (a cold
 * start, or recent runs over 20 ms: pool.c, invariant 7), so the caller can
 * move the invocation off its worker (core/offload.h). A cold start's init
 * output goes to log. */
int  lambda_pool_lease(hg_store *s, const lambda_fn *f, hg_buf *log, bool may_move, lambda_lease **out,
                       char **init_error, hg_err *err);
hlua_env   *lambda_lease_env(const lambda_lease *l);     /* borrowed */
const char *lambda_lease_stream(const lambda_lease *l);  /* borrowed, lives with the lease */
double      lambda_lease_init_ms(const lambda_lease *l); /* > 0 on a cold start */
/* How long the handler ran (ms): lambda_pool_return counts it towards
 * whether the function is quick. */
void        lambda_lease_ran(lambda_lease *l, double ms);
/* Give the env back: kept warm if reusable and still current, else freed.
 * Frees the lease. NULL is a no-op. */
void lambda_pool_return(lambda_lease *l);

#endif
