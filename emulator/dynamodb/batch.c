/* batch.c — stub until its operations land. */
#include "ddb.h"

int ddb_op_batch_get_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "BatchGetItem is not implemented yet");
}

int ddb_op_batch_write_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "BatchWriteItem is not implemented yet");
}

