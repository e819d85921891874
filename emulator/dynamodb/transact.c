/* transact.c — stub until its operations land. */
#include "ddb.h"

int ddb_op_transact_write_items(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "TransactWriteItems is not implemented yet");
}

int ddb_op_transact_get_items(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "TransactGetItems is not implemented yet");
}

