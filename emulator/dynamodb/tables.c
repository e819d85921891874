/* tables.c — stub until its operations land. */
#include "ddb.h"

int ddb_op_create_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "CreateTable is not implemented yet");
}

int ddb_op_describe_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "DescribeTable is not implemented yet");
}

int ddb_op_list_tables(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "ListTables is not implemented yet");
}

int ddb_op_update_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "UpdateTable is not implemented yet");
}

int ddb_op_delete_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "DeleteTable is not implemented yet");
}

