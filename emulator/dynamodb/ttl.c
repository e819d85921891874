/* ttl.c — stub until its operations land. */
#include "ddb.h"

int ddb_op_update_time_to_live(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "UpdateTimeToLive is not implemented yet");
}

int ddb_op_describe_time_to_live(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)out;
    return hg_err_set(err, 501, "NotImplementedException", "DescribeTimeToLive is not implemented yet");
}

int ddb_ttl_start(double interval_s, hg_err *err) { (void)interval_s; (void)err; return 0; }
void ddb_ttl_stop(void) {}
