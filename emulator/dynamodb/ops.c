/*
 * ops.c — the DynamoDB op table: every operation is a row, sorted by name so
 * lookup is a binary search (tests/unit/test_ddb_ops.c checks the order).
 */
#include "ddb.h"

#include <stdlib.h>
#include <string.h>

const ddb_op ddb_ops[] = {
    { "BatchGetItem", ddb_op_batch_get_item, true },
    { "BatchWriteItem", ddb_op_batch_write_item, false },
    { "CreateTable", ddb_op_create_table, false },
    { "DeleteItem", ddb_op_delete_item, false },
    { "DeleteTable", ddb_op_delete_table, false },
    { "DescribeContinuousBackups", ddb_op_describe_continuous_backups, true },
    { "DescribeEndpoints", ddb_op_describe_endpoints, true },
    { "DescribeLimits", ddb_op_describe_limits, true },
    { "DescribeTable", ddb_op_describe_table, true },
    { "DescribeTimeToLive", ddb_op_describe_time_to_live, true },
    { "GetItem", ddb_op_get_item, true },
    { "ListTables", ddb_op_list_tables, true },
    { "ListTagsOfResource", ddb_op_list_tags_of_resource, true },
    { "PutItem", ddb_op_put_item, false },
    { "Query", ddb_op_query, true },
    { "Scan", ddb_op_scan, true },
    { "TagResource", ddb_op_tag_resource, false },
    { "TransactGetItems", ddb_op_transact_get_items, true },
    { "TransactWriteItems", ddb_op_transact_write_items, false },
    { "UntagResource", ddb_op_untag_resource, false },
    { "UpdateContinuousBackups", ddb_op_update_continuous_backups, false },
    { "UpdateItem", ddb_op_update_item, false },
    { "UpdateTable", ddb_op_update_table, false },
    { "UpdateTimeToLive", ddb_op_update_time_to_live, false },
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

bool ddb_op_reads_only(const char *operation)
{
    const ddb_op *op = operation ? ddb_op_find(operation) : NULL;
    return op && op->reads_only;
}
