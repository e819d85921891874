/* The DynamoDB op table: sorted and unique (lookup is a binary search), and
 * every name a real operation of the botocore model that we claim to serve. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ddb.h"

static void table_sorted_and_unique(void **state)
{
    (void)state;
    assert_true(ddb_nops > 0);
    for (int i = 1; i < ddb_nops; i++)
        assert_true(strcmp(ddb_ops[i - 1].name, ddb_ops[i].name) < 0);
}

static void every_op_is_found(void **state)
{
    (void)state;
    for (int i = 0; i < ddb_nops; i++) {
        const ddb_op *op = ddb_op_find(ddb_ops[i].name);
        assert_non_null(op);
        assert_ptr_equal(op, &ddb_ops[i]);
        assert_non_null(op->fn);
    }
    assert_null(ddb_op_find("Nope"));
    assert_null(ddb_op_find("putitem"));          /* case matters, as on AWS */
    assert_null(ddb_op_find(""));
}

static void issue_operations_present(void **state)
{
    (void)state;
    static const char *const required[] = {
        "CreateTable", "DescribeTable", "ListTables", "UpdateTable", "DeleteTable", "PutItem", "GetItem",
        "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactWriteItems",
        "TransactGetItems", "UpdateTimeToLive", "DescribeTimeToLive", "TagResource", "UntagResource",
        "ListTagsOfResource", "DescribeContinuousBackups", "UpdateContinuousBackups", "DescribeLimits",
        "DescribeEndpoints",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_non_null(ddb_op_find(required[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_sorted_and_unique),
        cmocka_unit_test(every_op_is_found),
        cmocka_unit_test(issue_operations_present),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
