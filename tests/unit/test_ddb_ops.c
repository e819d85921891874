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

/* reads_only lets a Lambda run that made only these calls be stopped and
 * run again unseen (lua/runtime.c): a write marked so would be run twice.
 * The reads are the Get/Query/Scan/Describe/List ops, nothing else. */
static void only_reads_are_marked_reads_only(void **state)
{
    (void)state;
    for (int i = 0; i < ddb_nops; i++) {
        const char *n = ddb_ops[i].name;
        bool read = strncmp(n, "Get", 3) == 0 || strncmp(n, "BatchGet", 8) == 0 || strncmp(n, "TransactGet", 11) == 0 ||
                    strcmp(n, "Query") == 0 || strcmp(n, "Scan") == 0 || strncmp(n, "Describe", 8) == 0 ||
                    strncmp(n, "List", 4) == 0;
        if (ddb_ops[i].reads_only != read) fail_msg("%s: reads_only is %d", n, ddb_ops[i].reads_only);
        assert_int_equal(ddb_op_reads_only(n), read);
    }
    assert_false(ddb_op_reads_only("Nope"));      /* unknown: not known to be harmless */
    assert_false(ddb_op_reads_only(NULL));
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
        cmocka_unit_test(only_reads_are_marked_reads_only),
        cmocka_unit_test(issue_operations_present),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
