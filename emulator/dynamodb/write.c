/* write.c — stub until the write engine lands. */
#include "ddb.h"

int ddb_write_prepare(ddb_ctx *ctx, ddb_write_kind kind, cJSON *part, const char *table_name,
                      ddb_write *w, hg_err *err)
{
    (void)ctx; (void)kind; (void)part; (void)table_name; (void)w;
    return hg_err_set(err, 501, "NotImplementedException", "writes are not implemented yet");
}

int ddb_write_apply(ddb_ctx *ctx, ddb_write *w, cJSON **old_item, cJSON **new_item, hg_err *err)
{
    (void)ctx; (void)w; (void)old_item; (void)new_item;
    return hg_err_set(err, 501, "NotImplementedException", "writes are not implemented yet");
}

void ddb_write_release(ddb_write *w) { (void)w; }
