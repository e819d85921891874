/* misc.c — stub until its operations land. */
#include "ddb.h"

int ddb_op_tag_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "TagResource is not implemented yet");
}

int ddb_op_untag_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "UntagResource is not implemented yet");
}

int ddb_op_list_tags_of_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "ListTagsOfResource is not implemented yet");
}

int ddb_op_describe_continuous_backups(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "DescribeContinuousBackups is not implemented yet");
}

int ddb_op_update_continuous_backups(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "UpdateContinuousBackups is not implemented yet");
}

int ddb_op_describe_limits(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "DescribeLimits is not implemented yet");
}

int ddb_op_describe_endpoints(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "DescribeEndpoints is not implemented yet");
}

