/*
 * test_dp_providers.c — the provider table and the shared helpers, without
 * a network: the registry is sorted and unique, every type's property table
 * is sane, check() rejects what it must with the property's name and
 * auto-names like Pulumi, and the code zip is deterministic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "prov_internal.h"

static void test_registry_sorted_unique_and_found(void **state)
{
    (void)state;
    const char *const *types = prov_types();
    int n = 0;
    for (; types[n]; n++) {
        if (n) assert_true(strcmp(types[n - 1], types[n]) < 0);
        const provider *p = prov_find(types[n]);
        assert_non_null(p);
        assert_string_equal(p->type, types[n]);
        assert_non_null(p->check);
        assert_non_null(p->create);
        assert_non_null(p->read);
        assert_non_null(p->update);
        assert_non_null(p->remove);
    }
    assert_int_equal(n, 14);
    assert_null(prov_find("aws:s3:Bucket"));
    assert_null(prov_find(""));
    assert_null(prov_find("zzz"));
}

static void test_every_type_props_sorted_unique(void **state)
{
    (void)state;
    for (const char *const *t = prov_types(); *t; t++) {
        const provider *p = prov_find(*t);
        assert_non_null(p->props);
        int n = 0;
        for (; p->props[n].name; n++)
            if (n) assert_true(strcmp(p->props[n - 1].name, p->props[n].name) < 0);
        assert_true(n > 0);
    }
    /* rules @pulumi/aws has */
    const provider *table = prov_find("aws:dynamodb:Table");
    unsigned hash = 0, billing = 1;
    for (const prov_prop *pp = table->props; pp->name; pp++) {
        if (strcmp(pp->name, "hashKey") == 0) hash = pp->flags;
        if (strcmp(pp->name, "billingMode") == 0) billing = pp->flags;
    }
    assert_true(hash & PROP_REPLACE);
    assert_false(billing & PROP_REPLACE);
    const provider *fn = prov_find("aws:lambda:Function");
    for (const prov_prop *pp = fn->props; pp->name; pp++)
        if (strcmp(pp->name, "code") == 0) assert_false(pp->flags & PROP_REPLACE);
        else if (strcmp(pp->name, "name") == 0) assert_true(pp->flags & PROP_REPLACE);
}

static bool is_autoname(const char *s, const char *logical)
{
    size_t n = strlen(logical);
    if (strncmp(s, logical, n) != 0 || s[n] != '-' || strlen(s + n + 1) != 7) return false;
    for (const char *p = s + n + 1; *p; p++)
        if (!strchr("0123456789abcdef", *p)) return false;
    return true;
}

static void test_autoname_shape(void **state)
{
    (void)state;
    char *a = prov_autoname("table"), *b = prov_autoname("table");
    assert_true(is_autoname(a, "table"));
    assert_true(is_autoname(b, "table"));
    assert_string_not_equal(a, b);   /* 28 random bits: a clash is a one-in-268-million event */
    free(a);
    free(b);
}

static cJSON *parse(const char *s)
{
    cJSON *o = cJSON_Parse(s);
    assert_non_null(o);
    return o;
}

/* Run check and expect failure naming word. */
static void expect_check_fails(const char *type, const char *inputs, const char *word)
{
    prov_ctx ctx = { .logical_name = "res", .region = "us-east-1" };
    cJSON *in = parse(inputs);
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(prov_find(type)->check(&ctx, NULL, in, &err), -1);
    if (!strstr(err.message, word)) fail_msg("%s: '%s' does not name '%s'", type, err.message, word);
    assert_string_equal(err.code, "ValidationException");
    cJSON_Delete(in);
}

static cJSON *expect_check_ok(const char *type, const char *olds, const char *inputs)
{
    prov_ctx ctx = { .logical_name = "res", .region = "us-east-1" };
    cJSON *in = parse(inputs), *old = olds ? parse(olds) : NULL;
    hg_err err;
    hg_err_clear(&err);
    if (prov_find(type)->check(&ctx, old, in, &err) != 0) fail_msg("%s: %s", type, err.message);
    cJSON_Delete(old);
    return in;
}

static void test_table_check(void **state)
{
    (void)state;
    const char *T = "aws:dynamodb:Table";
    expect_check_fails(T, "{\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}]}", "hashKey");
    expect_check_fails(T, "{\"hashKey\":\"id\"}", "attributes");
    expect_check_fails(T, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"X\"}],"
                          "\"billingMode\":\"PAY_PER_REQUEST\"}", "type");
    expect_check_fails(T, "{\"hashKey\":\"pk\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                          "\"billingMode\":\"PAY_PER_REQUEST\"}", "hashKey");
    expect_check_fails(T, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}]}", "readCapacity");
    expect_check_fails(T, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                          "\"billingMode\":\"FREE\"}", "billingMode");
    expect_check_fails(T, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                          "\"billingMode\":\"PAY_PER_REQUEST\",\"streamEnabled\":true}", "streamViewType");
    expect_check_fails(T, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                          "\"billingMode\":\"PAY_PER_REQUEST\",\"tags\":{\"a\":1}}", "tags");
    expect_check_fails(T, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                          "\"billingMode\":\"PAY_PER_REQUEST\",\"globalSecondaryIndexes\":[{\"name\":\"g\","
                          "\"hashKey\":\"nope\",\"projectionType\":\"ALL\"}]}", "nope");
    /* defaults and auto-naming; an earlier auto-name is kept */
    cJSON *in = expect_check_ok(T, NULL, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                                         "\"readCapacity\":1,\"writeCapacity\":1}");
    assert_string_equal(prov_str(in, "billingMode"), "PROVISIONED");
    assert_true(is_autoname(prov_str(in, "name"), "res"));
    cJSON_Delete(in);
    in = expect_check_ok(T, "{\"name\":\"res-abc1234\"}",
                         "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                         "\"billingMode\":\"PAY_PER_REQUEST\"}");
    assert_string_equal(prov_str(in, "name"), "res-abc1234");
    cJSON_Delete(in);
    in = expect_check_ok(T, NULL, "{\"name\":\"given\",\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],"
                                  "\"billingMode\":\"PAY_PER_REQUEST\"}");
    assert_string_equal(prov_str(in, "name"), "given");
    cJSON_Delete(in);
}

static void test_other_checks(void **state)
{
    (void)state;
    const char *F = "aws:lambda:Function";
    expect_check_fails(F, "{\"runtime\":\"lua5.4\",\"handler\":\"main.handler\",\"code\":\"x\"}", "role");
    expect_check_fails(F, "{\"role\":\"arn:aws:iam::000000000000:role/r\"}", "code");
    expect_check_fails(F, "{\"role\":\"r\",\"code\":\"x\",\"timeout\":901}", "timeout");
    expect_check_fails(F, "{\"role\":\"r\",\"code\":\"x\",\"memorySize\":64}", "memorySize");
    expect_check_fails(F, "{\"role\":\"r\",\"code\":\"x\",\"environment\":{\"variables\":{\"A\":[]}}}", "variables");
    cJSON *in = expect_check_ok(F, NULL, "{\"role\":\"r\",\"code\":\"x\",\"name\":\"fn\"}");
    assert_string_equal(prov_str(in, "name"), "fn");
    cJSON_Delete(in);
    /* secrets are unwrapped for the provider */
    in = expect_check_ok(F, NULL, "{\"role\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_SECRET "\",\"value\":\"r\"},"
                                  "\"code\":\"x\"}");
    assert_string_equal(prov_str(in, "role"), "r");
    cJSON_Delete(in);

    expect_check_fails("aws:lambda:Permission", "{\"function\":\"f\",\"principal\":\"apigateway.amazonaws.com\"}", "action");
    expect_check_fails("aws:lambda:Permission", "{\"action\":\"lambda:InvokeFunction\",\"principal\":\"p\"}", "function");
    in = expect_check_ok("aws:lambda:Permission", NULL,
                         "{\"action\":\"lambda:InvokeFunction\",\"function\":\"f\",\"principal\":\"p\"}");
    assert_true(is_autoname(prov_str(in, "statementId"), "res"));
    cJSON_Delete(in);

    expect_check_fails("aws:apigateway:Resource", "{\"restApi\":\"a1\",\"parentId\":\"p\"}", "pathPart");
    expect_check_fails("aws:apigateway:Resource", "{\"parentId\":\"p\",\"pathPart\":\"x\"}", "restApi");
    expect_check_fails("aws:apigateway:Method", "{\"restApi\":\"a\",\"resourceId\":\"r\",\"httpMethod\":\"GET\"}",
                       "authorization");
    expect_check_fails("aws:apigateway:Method", "{\"restApi\":\"a\",\"resourceId\":\"r\",\"httpMethod\":\"FETCH\","
                                                "\"authorization\":\"NONE\"}", "httpMethod");
    expect_check_fails("aws:apigateway:Integration", "{\"restApi\":\"a\",\"resourceId\":\"r\",\"httpMethod\":\"GET\","
                                                     "\"type\":\"AWS_PROXY\",\"integrationHttpMethod\":\"POST\"}", "uri");
    expect_check_fails("aws:apigateway:Stage", "{\"restApi\":\"a\",\"deployment\":\"d\"}", "stageName");
    /* a reference may be the whole outputs object of the resource */
    in = expect_check_ok("aws:apigateway:Stage", NULL, "{\"restApi\":{\"id\":\"a1\"},\"deployment\":\"d1\",\"stageName\":\"dev\"}");
    assert_string_equal(prov_ref_id(in, "restApi"), "a1");
    cJSON_Delete(in);
    in = expect_check_ok("aws:apigateway:RestApi", NULL, "{}");
    assert_true(is_autoname(prov_str(in, "name"), "res"));
    cJSON_Delete(in);

    expect_check_fails("aws:iam:Role", "{}", "assumeRolePolicy");
    expect_check_fails("aws:iam:Role", "{\"assumeRolePolicy\":\"not json\"}", "assumeRolePolicy");
    expect_check_fails("aws:iam:RolePolicy", "{\"role\":\"r\"}", "policy");
    expect_check_fails("aws:iam:RolePolicyAttachment", "{\"role\":\"r\",\"policyArn\":\"x\"}", "policyArn");
    in = expect_check_ok("aws:iam:Role", NULL, "{\"assumeRolePolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[]}}");
    assert_true(is_autoname(prov_str(in, "name"), "res"));
    assert_string_equal(prov_str(in, "path"), "/");
    cJSON_Delete(in);
}

static void test_iam_is_recorded(void **state)
{
    (void)state;
    assert_true(prov_iam_enabled());                 /* real IAM calls by default */
    setenv("HANGAR_IAM", "record", 1);               /* for endpoints without IAM */
    assert_false(prov_iam_enabled());
    prov_ctx ctx = { .logical_name = "role", .region = "us-east-1", .account_id = "123456789012" };
    cJSON *in = parse("{\"name\":\"app-role\",\"path\":\"/\",\"assumeRolePolicy\":{\"Version\":\"2012-10-17\"}}");
    char *id = NULL;
    cJSON *out = NULL;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(prov_iam_role.create(&ctx, in, &id, &out, &err), 0);
    assert_string_equal(id, "app-role");
    assert_string_equal(prov_str(out, "arn"), "arn:aws:iam::123456789012:role/app-role");
    assert_string_equal(prov_str(out, "assumeRolePolicy"), "{\"Version\":\"2012-10-17\"}");
    assert_int_equal(strlen(prov_str(out, "uniqueId")), 21);
    assert_int_equal(prov_iam_role.remove(&ctx, id, in, &err), 0);
    free(id);
    cJSON_Delete(out);
    cJSON_Delete(in);
    unsetenv("HANGAR_IAM");
}

/* ---- deterministic zip ------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_tree(const char *root)
{
    char p[512];
    mkdir(root, 0755);
    snprintf(p, sizeof p, "%s/lib", root); mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/main.lua", root); write_file(p, "return {handler = function(e) return 1 end}\n");
    snprintf(p, sizeof p, "%s/lib/util.lua", root); write_file(p, "return {}\n");
    snprintf(p, sizeof p, "%s/a.txt", root); write_file(p, "a\n");
}

static void rm_tree(const char *root)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void touch_old(const char *path)
{
    struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    assert_int_equal(utimes(path, tv), 0);
    chmod(path, 0600);
}

static void test_zip_deterministic(void **state)
{
    (void)state;
    char a[256], b[256], p[512];
    snprintf(a, sizeof a, "/tmp/test_dp_zip_a_%d", (int)getpid());
    snprintf(b, sizeof b, "/tmp/test_dp_zip_b_%d", (int)getpid());
    make_tree(a);
    void *z1 = NULL, *z2 = NULL, *z3 = NULL, *z4 = NULL;
    size_t l1, l2, l3, l4;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(prov_zip_dir(a, &z1, &l1, &err), 0);
    assert_int_equal(prov_zip_dir(a, &z2, &l2, &err), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(z1, z2, l1);
    assert_memory_equal(z1, "PK\3\4", 4);
    /* the same files in another folder, made in another order, with other
     * mtimes and permissions: the same bytes */
    mkdir(b, 0755);
    snprintf(p, sizeof p, "%s/a.txt", b); write_file(p, "a\n"); touch_old(p);
    snprintf(p, sizeof p, "%s/lib", b); mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/lib/util.lua", b); write_file(p, "return {}\n"); touch_old(p);
    snprintf(p, sizeof p, "%s/main.lua", b); write_file(p, "return {handler = function(e) return 1 end}\n");
    assert_int_equal(prov_zip_dir(b, &z3, &l3, &err), 0);
    assert_int_equal(l1, l3);
    assert_memory_equal(z1, z3, l1);
    char s1[45], s3[45];
    prov_sha256_b64(z1, l1, s1);
    prov_sha256_b64(z3, l3, s3);
    assert_string_equal(s1, s3);
    /* a content change gives other bytes */
    snprintf(p, sizeof p, "%s/lib/util.lua", b); write_file(p, "return {x = 1}\n");
    assert_int_equal(prov_zip_dir(b, &z4, &l4, &err), 0);
    assert_true(l4 != l1 || memcmp(z1, z4, l1) != 0);
    /* the archive is what prov_code_zip makes of fn::fileArchive, relative to the project */
    prov_ctx ctx = { .project_dir = "/tmp" };
    cJSON *arch = cJSON_CreateObject();
    cJSON_AddStringToObject(arch, PROG_SIG_KEY, PROG_SIG_ARCHIVE);
    cJSON_AddStringToObject(arch, "path", a + strlen("/tmp/"));
    void *z5 = NULL;
    size_t l5;
    assert_int_equal(prov_code_zip(&ctx, arch, &z5, &l5, &err), 0);
    assert_int_equal(l5, l1);
    assert_memory_equal(z5, z1, l1);
    cJSON_Delete(arch);
    /* a folder that is not there is an error naming it */
    free(z2);
    assert_int_equal(prov_zip_dir("/nonexistent/folder", &z2, &l2, &err), -1);
    assert_null(z2);
    assert_non_null(strstr(err.message, "/nonexistent/folder"));
    free(z1);
    free(z3);
    free(z4);
    free(z5);
    rm_tree(a);
    rm_tree(b);
}

static void test_zip_is_readable_by_unzip(void **state)
{
    (void)state;
    char a[256], zp[300], cmd[700];
    snprintf(a, sizeof a, "/tmp/test_dp_zipu_%d", (int)getpid());
    make_tree(a);
    void *z = NULL;
    size_t l;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(prov_zip_dir(a, &z, &l, &err), 0);
    snprintf(zp, sizeof zp, "%s.zip", a);
    FILE *f = fopen(zp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(z, 1, l, f), l);
    fclose(f);
    free(z);
    /* python's zipfile checks CRCs and the central directory */
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import zipfile,sys; z=zipfile.ZipFile('%s'); "
             "assert z.testzip() is None; assert z.namelist()==['a.txt','lib/util.lua','main.lua'], z.namelist(); "
             "assert z.read('lib/util.lua')==b'return {}\\\\n'\"", zp);
    assert_int_equal(system(cmd), 0);
    unlink(zp);
    rm_tree(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_sorted_unique_and_found),
        cmocka_unit_test(test_every_type_props_sorted_unique),
        cmocka_unit_test(test_autoname_shape),
        cmocka_unit_test(test_table_check),
        cmocka_unit_test(test_other_checks),
        cmocka_unit_test(test_iam_is_recorded),
        cmocka_unit_test(test_zip_deterministic),
        cmocka_unit_test(test_zip_is_readable_by_unzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
