/* query.c — stub until its operations land. */
#include "ddb.h"

int ddb_op_query(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "Query is not implemented yet");
}

int ddb_op_scan(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "Scan is not implemented yet");
}

