/* Lambda's FunctionName parameter: every form AWS accepts (name, partial
 * ARN, full ARN, each optionally qualified) resolves to the same name, and
 * malformed references are ValidationExceptions, never a crash or a silent
 * truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "lambda_internal.h"

static void parses(const char *in, const char *name, const char *qualifier)
{
    char n[65], q[129];
    hg_err err;
    hg_err_clear(&err);
    if (lambda_parse_name(in, n, q, &err) != 0) fail_msg("%s: %s", in, err.message);
    assert_string_equal(n, name);
    assert_string_equal(q, qualifier);
}

static void refused(const char *in)
{
    char n[65], q[129];
    hg_err err;
    hg_err_clear(&err);
    if (lambda_parse_name(in, n, q, &err) == 0) fail_msg("accepted %s", in);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "ValidationException");
    assert_non_null(strstr(err.message, "functionName"));
}

static void every_form_resolves(void **state)
{
    (void)state;
    parses("notes-create", "notes-create", "");
    parses("notes_create:$LATEST", "notes_create", "$LATEST");
    parses("123456789012:function:f", "f", "");
    parses("123456789012:function:f:prod", "f", "prod");
    parses("arn:aws:lambda:us-east-1:123456789012:function:f", "f", "");
    parses("arn:aws:lambda:us-east-1:123456789012:function:f:7", "f", "7");
    parses("arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "f", "");
}

static void malformed_are_validation_errors(void **state)
{
    (void)state;
    char long_name[80];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    refused("");
    refused(long_name);
    refused("bad name");
    refused("a:b:c");
    refused("f:");
    refused("arn:aws:s3:::bucket");
    refused("arn:aws:lambda:us-east-1:123:function:f");
    refused("arn:aws:lambda:us-east-1:123456789012:layer:f");
    refused("arn:aws:lambda:us-east-1:123456789012:function:f:1:2");
    refused("12345678901x:function:f");
}

static void arn_uses_the_configured_account(void **state)
{
    (void)state;
    snprintf(hg_cfg.account_id, sizeof hg_cfg.account_id, "000000000000");
    char arn[256];
    lambda_fn_arn("eu-west-1", "f", arn, sizeof arn);
    assert_string_equal(arn, "arn:aws:lambda:eu-west-1:000000000000:function:f");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_form_resolves),
        cmocka_unit_test(malformed_are_validation_errors),
        cmocka_unit_test(arn_uses_the_configured_account),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
