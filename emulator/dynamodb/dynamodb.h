/*
 * dynamodb.h — DynamoDB's public in-process API, for other services (Lambda's
 * aws.dynamodb module). It enters the same op functions the HTTP router does,
 * with the same validation, skipping only HTTP. Nothing else of the
 * DynamoDB module may be included from outside emulator/dynamodb/.
 */
#ifndef HG_DYNAMODB_H
#define HG_DYNAMODB_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

/* Run `operation` ("PutItem", ...) in `region` on the request object `in`
 * (which may be canonicalised in place). On success *out is a new object
 * (caller frees). On failure err is set (err->code is the AWS error name)
 * and *extra may hold a new object of extra error members such as Item or
 * CancellationReasons (caller frees; NULL when none). */
int ddb_call(const char *region, const char *operation, cJSON *in, cJSON **out,
             cJSON **extra, hg_err *err);
/* True when `operation` changes nothing stored (GetItem, Query, Describe...):
 * a caller may run it again unseen. False for any other name, unknown ones too. */
bool ddb_op_reads_only(const char *operation);

#endif
