/* libFuzzer target: DynamoDB's number parser. Any bytes either fail with an
 * error or parse to a number whose canonical text parses back to the same
 * value; arithmetic on it never overruns (ASan/UBSan watch). */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ddb_num n, back, sum;
    hg_err err;
    hg_err_clear(&err);
    if (ddb_num_parse((const char *)data, size, &n, &err) != 0) return 0;
    char text[DDB_NUM_TEXT_MAX];
    int len = ddb_num_format(&n, text, sizeof text);
    if (len < 0) abort();                       /* a parsed number must always print */
    hg_err_clear(&err);
    if (ddb_num_parse(text, (size_t)len, &back, &err) != 0) abort();
    if (ddb_num_cmp(&n, &back) != 0) abort();   /* canonical text round-trips */
    hg_err_clear(&err);
    (void)ddb_num_add(&n, &back, &sum, &err);
    hg_err_clear(&err);
    (void)ddb_num_sub(&n, &back, &sum, &err);
    char canon[DDB_NUM_TEXT_MAX];
    hg_err_clear(&err);
    (void)ddb_num_canonical((const char *)data, size, canon, sizeof canon, &err);
    return 0;
}
