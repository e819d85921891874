/*
 * Unit tests for IAM policy evaluation (emulator/iam/policy.c) and the
 * --iam file loader (identity.c), from AWS's documented examples: explicit
 * Deny overrides Allow, default deny, NotAction ("everything but IAM"),
 * NotResource, wildcards in actions (case-insensitive) and resources,
 * condition operators with and without the key present, policy variables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "iam.h"

#define TABLE "arn:aws:dynamodb:us-east-1:000000000000:table/notes"

static iam_decision eval(const char *doc, const char *action, const char *resource, const iam_context *ctx)
{
    cJSON *p = cJSON_Parse(doc);
    assert_non_null(p);
    hg_err err;
    hg_err_clear(&err);
    int valid = iam_policy_validate(cJSON_IsArray(p) ? p->child : p, 1, &err) == 0;
    iam_decision d = iam_evaluate(p, action, resource, ctx);
    cJSON_Delete(p);
    if (!valid) fail_msg("invalid: %s", err.message);
    return d;
}

static void default_deny_and_allow(void **state)
{
    (void)state;
    const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                      "\"Action\":\"dynamodb:GetItem\",\"Resource\":\"" TABLE "\"}}";
    assert_int_equal(eval(doc, "dynamodb:GetItem", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:PutItem", TABLE, NULL), IAM_IMPLICIT_DENY);
    assert_int_equal(eval(doc, "dynamodb:GetItem", TABLE "2", NULL), IAM_IMPLICIT_DENY);
    cJSON *none = cJSON_Parse("{\"Statement\":[]}");
    assert_int_equal(iam_evaluate(none, "dynamodb:GetItem", TABLE, NULL), IAM_IMPLICIT_DENY);
    cJSON_Delete(none);
}

/* AWS's example: allow everything in DynamoDB, deny deleting a table. */
static void explicit_deny_overrides_allow(void **state)
{
    (void)state;
    const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":["
                      "{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\",\"Resource\":\"*\"},"
                      "{\"Effect\":\"Deny\",\"Action\":[\"dynamodb:DeleteTable\",\"dynamodb:CreateTable\"],\"Resource\":\"*\"}]}";
    assert_int_equal(eval(doc, "dynamodb:PutItem", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:DeleteTable", TABLE, NULL), IAM_EXPLICIT_DENY);
    /* across two documents too */
    const char *two = "[{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}},"
                      "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"lambda:*\",\"Resource\":\"*\"}}]";
    assert_int_equal(eval(two, "lambda:CreateFunction", "*", NULL), IAM_EXPLICIT_DENY);
    assert_int_equal(eval(two, "logs:PutLogEvents", "*", NULL), IAM_ALLOW);
}

static void actions_match_without_case_and_with_wildcards(void **state)
{
    (void)state;
    const char *doc = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[\"DynamoDB:get*\",\"dynamodb:Query\","
                      "\"lambda:?nvokeFunction\"],\"Resource\":\"arn:aws:dynamodb:*:*:table/n*\"}}";
    assert_int_equal(eval(doc, "dynamodb:GetItem", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:query", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:Scan", TABLE, NULL), IAM_IMPLICIT_DENY);
    assert_int_equal(eval(doc, "lambda:InvokeFunction", TABLE, NULL), IAM_ALLOW);
    /* resources are case-sensitive */
    assert_int_equal(eval(doc, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:000000000000:table/Notes", NULL),
                     IAM_IMPLICIT_DENY);
}

/* AWS's NotAction example: allow everything except IAM. */
static void not_action(void **state)
{
    (void)state;
    const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\","
                      "\"Resource\":\"*\"}}";
    assert_int_equal(eval(doc, "dynamodb:CreateTable", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "iam:CreateRole", "arn:aws:iam::000000000000:role/r", NULL), IAM_IMPLICIT_DENY);
    /* Deny with NotAction: deny all but listed */
    const char *deny = "[{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}},"
                       "{\"Statement\":{\"Effect\":\"Deny\",\"NotAction\":[\"dynamodb:Get*\",\"dynamodb:Query\"],\"Resource\":\"*\"}}]";
    assert_int_equal(eval(deny, "dynamodb:GetItem", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(deny, "dynamodb:PutItem", TABLE, NULL), IAM_EXPLICIT_DENY);
}

/* AWS's NotResource example: deny everything outside one table. */
static void not_resource(void **state)
{
    (void)state;
    const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":["
                      "{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\",\"Resource\":\"*\"},"
                      "{\"Effect\":\"Deny\",\"Action\":\"dynamodb:*\",\"NotResource\":[\"" TABLE "\",\"" TABLE "/index/*\"]}]}";
    assert_int_equal(eval(doc, "dynamodb:PutItem", TABLE, NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:Query", TABLE "/index/byUser", NULL), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:000000000000:table/other", NULL),
                     IAM_EXPLICIT_DENY);
}

static void conditions(void **state)
{
    (void)state;
    iam_context ctx = { .username = "dev", .principal_arn = "arn:aws:iam::000000000000:user/dev",
                        .account = "000000000000", .region = "us-east-1" };
    const char *region = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":[\"eu-west-1\",\"us-east-1\"]}}}}";
    assert_int_equal(eval(region, "dynamodb:GetItem", TABLE, &ctx), IAM_ALLOW);
    ctx.region = "ap-south-1";
    assert_int_equal(eval(region, "dynamodb:GetItem", TABLE, &ctx), IAM_IMPLICIT_DENY);
    ctx.region = NULL;        /* absent key: a positive operator fails */
    assert_int_equal(eval(region, "dynamodb:GetItem", TABLE, &ctx), IAM_IMPLICIT_DENY);
    const char *ifexists = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                           "\"Condition\":{\"StringEqualsIfExists\":{\"aws:RequestedRegion\":\"us-east-1\"}}}}";
    assert_int_equal(eval(ifexists, "dynamodb:GetItem", TABLE, &ctx), IAM_ALLOW);
    ctx.region = "us-east-1";
    const char *like = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                       "\"Condition\":{\"StringLike\":{\"aws:username\":\"d*\"},"
                       "\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:user/*\"}}}}";
    assert_int_equal(eval(like, "dynamodb:GetItem", TABLE, &ctx), IAM_ALLOW);
    ctx.username = "lead";
    assert_int_equal(eval(like, "dynamodb:GetItem", TABLE, &ctx), IAM_IMPLICIT_DENY);
    const char *notlike = "[{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}},"
                          "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
                          "\"Condition\":{\"StringNotEquals\":{\"aws:username\":\"lead\"}}}}]";
    assert_int_equal(eval(notlike, "dynamodb:GetItem", TABLE, &ctx), IAM_ALLOW);
    ctx.username = "dev";
    assert_int_equal(eval(notlike, "dynamodb:GetItem", TABLE, &ctx), IAM_EXPLICIT_DENY);
    const char *boolean = "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
                          "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":false}}}}";
    assert_int_equal(eval(boolean, "dynamodb:GetItem", TABLE, &ctx), IAM_EXPLICIT_DENY);
    const char *null = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                       "\"Condition\":{\"Null\":{\"aws:SourceIp\":\"true\"}}}}";
    assert_int_equal(eval(null, "dynamodb:GetItem", TABLE, &ctx), IAM_ALLOW);
}

/* AWS's example: each user may touch only the items under their own name. */
static void policy_variables(void **state)
{
    (void)state;
    iam_context ctx = { .username = "dev" };
    const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\","
                      "\"Resource\":\"arn:aws:dynamodb:*:*:table/${aws:username}-*\"}}";
    assert_int_equal(eval(doc, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:0:table/dev-notes", &ctx), IAM_ALLOW);
    assert_int_equal(eval(doc, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:0:table/lead-notes", &ctx),
                     IAM_IMPLICIT_DENY);
    ctx.username = NULL;
    assert_int_equal(eval(doc, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:0:table/-notes", &ctx),
                     IAM_IMPLICIT_DENY);
}

static void malformed_documents_are_named(void **state)
{
    (void)state;
    static const char *bad[] = {
        "[]",
        "{\"Statement\":{\"Effect\":\"allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"NotAction\":\"*\",\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringSorta\":{}}}}",
        "{\"Version\":\"2020-01-01\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[1],\"Resource\":\"*\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *p = cJSON_Parse(bad[i]);
        hg_err err;
        hg_err_clear(&err);
        if (iam_policy_validate(p, 1, &err) == 0) fail_msg("accepted: %s", bad[i]);
        assert_string_equal(err.code, "MalformedPolicyDocument");
        cJSON_Delete(p);
    }
}

/* The managed policies carry AWS's published documents: valid as AWS
 * validates them, and granting what AWS's grant (no more: ReadOnlyAccess has
 * no write and no ConditionCheckItem; the PassRole statement of FullAccess
 * needs iam:PassedToService, which these requests lack). */
static void managed_policies_are_aws_documents(void **state)
{
    (void)state;
    static const char *const arns[] = {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
    };
    cJSON *docs[3];
    for (int i = 0; i < 3; i++) {
        const char *text = iam_managed_policy(arns[i]);
        assert_non_null(text);
        docs[i] = cJSON_Parse(text);
        assert_non_null(docs[i]);
        hg_err err;
        hg_err_clear(&err);
        if (iam_policy_validate(docs[i], 1, &err) != 0) fail_msg("%s: %s", arns[i], err.message);
    }
    assert_null(iam_managed_policy("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnly"));
    const cJSON *basic = docs[0], *full = docs[1], *ro = docs[2];
    static const char *const reads[] = { "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
                                         "dynamodb:ListTables", "dynamodb:Query", "dynamodb:Scan",
                                         "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource",
                                         "dynamodb:PartiQLSelect" };
    static const char *const writes[] = { "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                          "dynamodb:BatchWriteItem", "dynamodb:CreateTable", "dynamodb:DeleteTable",
                                          "dynamodb:ConditionCheckItem", "dynamodb:PartiQLInsert" };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        assert_int_equal(iam_evaluate(ro, reads[i], TABLE, NULL), IAM_ALLOW);
        assert_int_equal(iam_evaluate(full, reads[i], TABLE, NULL), IAM_ALLOW);
        assert_int_equal(iam_evaluate(basic, reads[i], TABLE, NULL), IAM_IMPLICIT_DENY);
    }
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        assert_int_equal(iam_evaluate(ro, writes[i], TABLE, NULL), IAM_IMPLICIT_DENY);
        assert_int_equal(iam_evaluate(full, writes[i], TABLE, NULL), IAM_ALLOW);
    }
    assert_int_equal(iam_evaluate(ro, "dynamodb:GetItem", TABLE "/index/byDate", NULL), IAM_ALLOW);
    assert_int_equal(iam_evaluate(ro, "lambda:GetFunctionConfiguration", "*", NULL), IAM_ALLOW);
    assert_int_equal(iam_evaluate(ro, "lambda:InvokeFunction", "*", NULL), IAM_IMPLICIT_DENY);
    assert_int_equal(iam_evaluate(ro, "cloudwatch:GetInsightRuleReport",
                                  "arn:aws:cloudwatch:us-east-1:1:insight-rule/DynamoDBContributorInsights-x", NULL),
                     IAM_ALLOW);
    assert_int_equal(iam_evaluate(ro, "cloudwatch:GetInsightRuleReport",
                                  "arn:aws:cloudwatch:us-east-1:1:insight-rule/Other", NULL), IAM_IMPLICIT_DENY);
    assert_int_equal(iam_evaluate(full, "iam:PassRole", "arn:aws:iam::1:role/r", NULL), IAM_IMPLICIT_DENY);
    assert_int_equal(iam_evaluate(full, "datapipeline:CreatePipeline", "*", NULL), IAM_ALLOW);
    assert_int_equal(iam_evaluate(full, "lambda:InvokeFunction", "*", NULL), IAM_IMPLICIT_DENY);
    assert_int_equal(iam_evaluate(basic, "logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f", NULL),
                     IAM_ALLOW);
    assert_int_equal(iam_evaluate(basic, "logs:DeleteLogGroup", "*", NULL), IAM_IMPLICIT_DENY);
    for (int i = 0; i < 3; i++) cJSON_Delete(docs[i]);
}

static void identity_file(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    const char *file = "{\"users\":[{\"name\":\"team-lead\",\"accessKeys\":[{\"accessKeyId\":\"AKIALEAD\","
                       "\"secretAccessKey\":\"s1\"}],\"policies\":[{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                       "\"Resource\":\"*\"}}]},{\"name\":\"dev\",\"accessKeys\":[{\"accessKeyId\":\"AKIADEV\","
                       "\"secretAccessKey\":\"s2\"}]}]}";
    assert_int_equal(iam_identity_load_text(file, "123456789012", &err), 0);
    const char *secret = NULL;
    const iam_user *u = iam_identity_find("AKIADEV", &secret);
    assert_non_null(u);
    assert_string_equal(secret, "s2");
    assert_string_equal(u->arn, "arn:aws:iam::123456789012:user/dev");
    assert_int_equal(strlen(u->user_id), 21);
    assert_int_equal(iam_evaluate(u->policies, "dynamodb:GetItem", "*", NULL), IAM_IMPLICIT_DENY);
    u = iam_identity_find("AKIALEAD", &secret);
    assert_int_equal(iam_evaluate(u->policies, "dynamodb:GetItem", "*", NULL), IAM_ALLOW);
    assert_null(iam_identity_find("AKIANOBODY", NULL));
    /* a bad policy or a shared key fails the load, naming the user */
    assert_int_equal(iam_identity_load_text("{\"users\":[{\"name\":\"x\",\"accessKeys\":[],\"policies\":[{\"Statement\":"
                                            "{\"Effect\":\"Allow\",\"Action\":\"*\"}}]}]}", "0", &err), -1);
    assert_non_null(strstr(err.message, "user \"x\", policy 1"));
    hg_err_clear(&err);
    assert_int_equal(iam_identity_load_text("{\"users\":[{\"name\":\"a\",\"accessKeys\":[{\"accessKeyId\":\"AKIA1\","
                                            "\"secretAccessKey\":\"s\"}]},{\"name\":\"b\",\"accessKeys\":[{\"accessKeyId\":"
                                            "\"AKIA1\",\"secretAccessKey\":\"t\"}]}]}", "0", &err), -1);
    assert_non_null(strstr(err.message, "more than one user"));
    hg_err_clear(&err);
    assert_int_equal(iam_identity_load_text("{\"users\":", "0", &err), -1);
    assert_non_null(strstr(err.message, "not valid JSON"));
    iam_identity_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_deny_and_allow),
        cmocka_unit_test(explicit_deny_overrides_allow),
        cmocka_unit_test(actions_match_without_case_and_with_wildcards),
        cmocka_unit_test(not_action),
        cmocka_unit_test(not_resource),
        cmocka_unit_test(conditions),
        cmocka_unit_test(policy_variables),
        cmocka_unit_test(malformed_documents_are_named),
        cmocka_unit_test(managed_policies_are_aws_documents),
        cmocka_unit_test(identity_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
