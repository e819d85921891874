/*
 * ops.c — the DynamoDB op table: every operation is a row, sorted by name so
 * lookup is a binary search (tests/unit/test_ddb_ops.c checks the order).
 */
#include "ddb.h"

#include <stdlib.h>
#include <string.h>

const ddb_op ddb_ops[] = {
    { "BatchGetItem", ddb_op_batch_get_item },
    { "BatchWriteItem", ddb_op_batch_write_item },
    { "CreateTable", ddb_op_create_table },
    { "DeleteItem", ddb_op_delete_item },
    { "DeleteTable", ddb_op_delete_table },
    { "DescribeContinuousBackups", ddb_op_describe_continuous_backups },
    { "DescribeEndpoints", ddb_op_describe_endpoints },
    { "DescribeLimits", ddb_op_describe_limits },
    { "DescribeTable", ddb_op_describe_table },
    { "DescribeTimeToLive", ddb_op_describe_time_to_live },
    { "GetItem", ddb_op_get_item },
    { "ListTables", ddb_op_list_tables },
    { "ListTagsOfResource", ddb_op_list_tags_of_resource },
    { "PutItem", ddb_op_put_item },
    { "Query", ddb_op_query },
    { "Scan", ddb_op_scan },
    { "TagResource", ddb_op_tag_resource },
    { "TransactGetItems", ddb_op_transact_get_items },
    { "TransactWriteItems", ddb_op_transact_write_items },
    { "UntagResource", ddb_op_untag_resource },
    { "UpdateContinuousBackups", ddb_op_update_continuous_backups },
    { "UpdateItem", ddb_op_update_item },
    { "UpdateTable", ddb_op_update_table },
    { "UpdateTimeToLive", ddb_op_update_time_to_live },
};
const int ddb_nops = (int)(sizeof ddb_ops / sizeof ddb_ops[0]);

static int cmp_op(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const ddb_op *)elem)->name);
}

const ddb_op *ddb_op_find(const char *name)
{
    return bsearch(name, ddb_ops, (size_t)ddb_nops, sizeof ddb_ops[0], cmp_op);
}
