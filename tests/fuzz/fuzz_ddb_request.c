/* libFuzzer target: DynamoDB request validation and the ops behind it. The
 * first byte picks an operation, the rest is its JSON request body, run
 * through ddb_call (the same entry the router uses, minus HTTP) against an
 * in-memory store holding one table "fz" (pk S, sk N) with an item. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "dynamodb.h"
#include "store.h"

static const char *const ops[] = {
    "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems", "DescribeTable", "UpdateTimeToLive",
};
#define NOPS (sizeof ops / sizeof ops[0])

static void call(const char *op, const char *json)
{
    cJSON *in = cJSON_Parse(json), *out = NULL, *extra = NULL;
    hg_err err;
    hg_err_clear(&err);
    if (in) (void)ddb_call("us-east-1", op, in, &out, &extra, &err);
    cJSON_Delete(in);
    cJSON_Delete(out);
    cJSON_Delete(extra);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(NULL, &err) != 0) abort();
    call("CreateTable", "{\"TableName\":\"fz\",\"BillingMode\":\"PAY_PER_REQUEST\","
         "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
         "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
         "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
         "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"byG\",\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
         "\"Projection\":{\"ProjectionType\":\"ALL\"}}]}");
    call("PutItem", "{\"TableName\":\"fz\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},\"g\":{\"S\":\"x\"},"
         "\"l\":{\"L\":[{\"N\":\"1\"}]},\"m\":{\"M\":{\"c\":{\"S\":\"d\"}}}}}");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 64 * 1024) return 0;
    char *json = malloc(size);
    if (!json) return 0;
    memcpy(json, data + 1, size - 1);
    json[size - 1] = '\0';
    call(ops[data[0] % NOPS], json);
    free(json);
    return 0;
}
