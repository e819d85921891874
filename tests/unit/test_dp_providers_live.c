/*
 * test_dp_providers_live.c — the AWS client and every provider against a
 * real emulator: ctest sets HANGAR_EMULATOR; the test starts it with
 * --port 0, reads the URL from its first stdout line and stops it at the
 * end. Without HANGAR_EMULATOR it fails rather than skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prov_internal.h"

static pid_t emu_pid;
static char emu_url[256];
static aws_client *aws;

static int start_emulator(void **state)
{
    (void)state;
    const char *bin = getenv("HANGAR_EMULATOR");
    if (!bin || !*bin) {
        fprintf(stderr, "HANGAR_EMULATOR is not set: run under ctest\n");
        return -1;
    }
    int fds[2];
    if (pipe(fds) != 0) return -1;
    emu_pid = fork();
    if (emu_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--port", "0", "--log-level", "error", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512] = "";
    if (!f || !fgets(line, sizeof line, f)) {
        fprintf(stderr, "the emulator %s printed no URL (not executable, or it exited)\n", bin);
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    const char *u = strstr(line, "http://");
    if (!u) {
        fprintf(stderr, "the emulator's first line has no URL: %s\n", line);
        return -1;
    }
    snprintf(emu_url, sizeof emu_url, "%s", u);
    emu_url[strcspn(emu_url, "\r\n")] = '\0';
    aws_config cfg = { .endpoint = emu_url, .region = "us-east-1", .max_retries = 2 };
    aws_config_credentials(&cfg);
    hg_err err;
    hg_err_clear(&err);
    aws = aws_client_new(&cfg, &err);
    return aws ? 0 : -1;
}

static int stop_emulator(void **state)
{
    (void)state;
    aws_client_free(aws);
    if (emu_pid > 0) {
        kill(emu_pid, SIGTERM);
        waitpid(emu_pid, NULL, 0);
    }
    return 0;
}

static prov_ctx ctx_for(const char *logical)
{
    prov_ctx c = { .aws = aws, .region = "us-east-1", .account_id = "000000000000", .project = "p",
                   .stack = "dev", .logical_name = logical, .project_dir = "/tmp" };
    return c;
}

#define OK(call) do { hg_err_clear(&err); if ((call) != 0) fail_msg("%s: %s %s", #call, err.code, err.message); } while (0)

/* ---- the client ----------------------------------------------------------------- */

static void test_client_json_and_errors(void **state)
{
    (void)state;
    hg_err err;
    cJSON *out = NULL;
    OK(aws_json_call(aws, "dynamodb", "DynamoDB_20120810.ListTables", "1.0", NULL, &out, &err));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(out, "TableNames")));
    cJSON_Delete(out);
    cJSON *b = cJSON_Parse("{\"TableName\":\"no-such-table\"}");
    hg_err_clear(&err);
    assert_int_equal(aws_json_call(aws, "dynamodb", "DynamoDB_20120810.DescribeTable", "1.0", b, &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "ResourceNotFoundException");
    assert_non_null(strstr(err.message, "no-such-table"));
    cJSON_Delete(b);
    /* REST: Lambda's 404 */
    hg_err_clear(&err);
    assert_int_equal(aws_rest_call(aws, "lambda", "GET", "/2015-03-31/functions/nope", NULL, NULL, &out, &err), -1);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "ResourceNotFoundException");
    /* API Gateway's 404 */
    hg_err_clear(&err);
    assert_int_equal(aws_rest_call(aws, "apigateway", "GET", "/restapis/nope", NULL, NULL, &out, &err), -1);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "NotFoundException");
}

static void test_client_connection_refused_is_retried_then_fails(void **state)
{
    (void)state;
    aws_config cfg = { .endpoint = "http://127.0.0.1:1", .region = "us-east-1", .max_retries = 2 };
    aws_config_credentials(&cfg);
    hg_err err;
    hg_err_clear(&err);
    aws_client *c = aws_client_new(&cfg, &err);
    assert_non_null(c);
    cJSON *out = NULL;
    assert_int_equal(aws_json_call(c, "dynamodb", "DynamoDB_20120810.ListTables", "1.0", NULL, &out, &err), -1);
    assert_string_equal(err.code, "RequestError");
    assert_non_null(strstr(err.message, "127.0.0.1:1"));
    aws_client_free(c);
}

static void test_url_encode(void **state)
{
    (void)state;
    char *s = aws_url_encode("arn:aws:lambda:us-east-1:0:function:f a/b~");
    assert_string_equal(s, "arn%3Aaws%3Alambda%3Aus-east-1%3A0%3Afunction%3Af%20a%2Fb~");
    free(s);
}

/* ---- DynamoDB table -------------------------------------------------------------- */

static cJSON *describe(const char *name, hg_err *err)
{
    cJSON *b = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(b, "TableName", name);
    int rc = aws_json_call(aws, "dynamodb", "DynamoDB_20120810.DescribeTable", "1.0", b, &out, err);
    cJSON_Delete(b);
    return rc == 0 ? out : NULL;
}

static void test_table_lifecycle(void **state)
{
    (void)state;
    hg_err err;
    prov_ctx ctx = ctx_for("orders");
    const provider *p = prov_find("aws:dynamodb:Table");
    cJSON *in = cJSON_Parse("{\"attributes\":[{\"name\":\"pk\",\"type\":\"S\"},{\"name\":\"sk\",\"type\":\"N\"}],"
                            "\"hashKey\":\"pk\",\"rangeKey\":\"sk\",\"readCapacity\":2,\"writeCapacity\":3,"
                            "\"tags\":{\"team\":\"a\",\"old\":\"x\"}}");
    OK(p->check(&ctx, NULL, in, &err));
    char *id = NULL;
    cJSON *out = NULL;
    OK(p->create(&ctx, in, &id, &out, &err));
    assert_string_equal(id, prov_str(in, "name"));
    assert_string_equal(prov_str(out, "id"), id);
    assert_non_null(strstr(prov_str(out, "arn"), ":table/orders-"));
    cJSON_Delete(out);

    /* in place: PAY_PER_REQUEST, a GSI, TTL, tags */
    cJSON *news = cJSON_Parse("{\"attributes\":[{\"name\":\"pk\",\"type\":\"S\"},{\"name\":\"sk\",\"type\":\"N\"},"
                              "{\"name\":\"gk\",\"type\":\"S\"}],\"hashKey\":\"pk\",\"rangeKey\":\"sk\","
                              "\"billingMode\":\"PAY_PER_REQUEST\",\"globalSecondaryIndexes\":[{\"name\":\"byG\","
                              "\"hashKey\":\"gk\",\"projectionType\":\"ALL\"}],"
                              "\"ttl\":{\"attributeName\":\"expires\",\"enabled\":true},\"tags\":{\"team\":\"b\"}}");
    OK(p->check(&ctx, in, news, &err));
    assert_string_equal(prov_str(news, "name"), id);   /* the auto-name is kept */
    OK(p->update(&ctx, id, in, news, &out, &err));
    cJSON_Delete(out);
    cJSON *d = describe(id, &err);
    assert_non_null(d);
    const cJSON *t = cJSON_GetObjectItem(d, "Table");
    assert_string_equal(prov_jstr(cJSON_GetObjectItem(t, "BillingModeSummary"), "BillingMode"), "PAY_PER_REQUEST");
    const cJSON *g = cJSON_GetObjectItem(t, "GlobalSecondaryIndexes");
    assert_int_equal(cJSON_GetArraySize(g), 1);
    assert_string_equal(prov_jstr(g->child, "IndexName"), "byG");
    char arn[512];
    snprintf(arn, sizeof arn, "%s", prov_jstr(t, "TableArn"));
    cJSON_Delete(d);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "TableName", id);
    OK(aws_json_call(aws, "dynamodb", "DynamoDB_20120810.DescribeTimeToLive", "1.0", b, &out, &err));
    assert_string_equal(prov_jstr(cJSON_GetObjectItem(out, "TimeToLiveDescription"), "AttributeName"), "expires");
    cJSON_Delete(out);
    cJSON_Delete(b);
    b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "ResourceArn", arn);
    OK(aws_json_call(aws, "dynamodb", "DynamoDB_20120810.ListTagsOfResource", "1.0", b, &out, &err));
    char *tags = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "Tags"));
    assert_string_equal(tags, "[{\"Key\":\"team\",\"Value\":\"b\"}]");
    cJSON_free(tags);
    cJSON_Delete(out);
    cJSON_Delete(b);

    /* read, remove, read says gone, remove again succeeds */
    hg_err_clear(&err);
    assert_int_equal(p->read(&ctx, id, news, &out, &err), 0);
    assert_string_equal(prov_str(out, "name"), id);
    cJSON_Delete(out);
    OK(p->remove(&ctx, id, news, &err));
    hg_err_clear(&err);
    assert_int_equal(p->read(&ctx, id, news, &out, &err), 1);
    OK(p->remove(&ctx, id, news, &err));
    free(id);
    cJSON_Delete(in);
    cJSON_Delete(news);
}

/* ---- Lambda ---------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static cJSON *invoke(const char *name, hg_err *err)
{
    char path[256];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations", name);
    cJSON *out = NULL;
    return aws_rest_raw_call(aws, "lambda", "POST", path, NULL, "{}", 2, "application/json", &out, err) == 0 ? out : NULL;
}

static void test_lambda_function_and_permission(void **state)
{
    (void)state;
    hg_err err;
    char dir[256], file[300];
    snprintf(dir, sizeof dir, "/tmp/test_dp_fn_%d", (int)getpid());
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "%s/main.lua", dir);
    write_file(file, "return {handler = function(e) return {v = 1} end}\n");
    prov_ctx ctx = ctx_for("api-fn");
    const provider *p = prov_find("aws:lambda:Function");
    char json[1024];
    snprintf(json, sizeof json, "{\"role\":\"arn:aws:iam::000000000000:role/r\",\"runtime\":\"lua5.4\","
             "\"handler\":\"main.handler\",\"code\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ARCHIVE "\",\"path\":\"%s\"},"
             "\"environment\":{\"variables\":{\"TABLE\":\"t1\"}},\"tags\":{\"a\":\"1\"}}", dir + 5);
    cJSON *in = cJSON_Parse(json);
    OK(p->check(&ctx, NULL, in, &err));
    char *id = NULL;
    cJSON *out = NULL;
    OK(p->create(&ctx, in, &id, &out, &err));
    assert_string_equal(id, prov_str(in, "name"));
    const char *arn = prov_str(out, "arn");
    char want[512];
    snprintf(want, sizeof want, "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations", arn);
    assert_string_equal(prov_str(out, "invokeArn"), want);
    char hash1[64];
    snprintf(hash1, sizeof hash1, "%s", prov_str(out, "sourceCodeHash"));
    void *zip = NULL;
    size_t len;
    OK(prov_zip_dir(dir, &zip, &len, &err));
    char sha[45];
    prov_sha256_b64(zip, len, sha);
    free(zip);
    assert_string_equal(hash1, sha);   /* AWS's CodeSha256 is the zip's */
    cJSON *r = invoke(id, &err);
    assert_non_null(r);
    assert_int_equal(cJSON_GetObjectItem(r, "v")->valueint, 1);
    cJSON_Delete(r);
    char fn_arn[512];
    snprintf(fn_arn, sizeof fn_arn, "%s", arn);
    cJSON_Delete(out);

    /* a configuration change with the same code: no new code */
    cJSON *news = cJSON_Duplicate(in, 1);
    cJSON_AddNumberToObject(news, "timeout", 7);
    OK(p->check(&ctx, in, news, &err));
    OK(p->update(&ctx, id, in, news, &out, &err));
    assert_string_equal(prov_str(out, "sourceCodeHash"), hash1);
    assert_int_equal((int)prov_num(out, "timeout", 0), 7);
    cJSON_Delete(out);
    /* a code change: in place, new hash, the new code runs */
    write_file(file, "return {handler = function(e) return {v = 2} end}\n");
    OK(p->update(&ctx, id, news, news, &out, &err));
    assert_string_not_equal(prov_str(out, "sourceCodeHash"), hash1);
    cJSON_Delete(out);
    r = invoke(id, &err);
    assert_non_null(r);
    assert_int_equal(cJSON_GetObjectItem(r, "v")->valueint, 2);
    cJSON_Delete(r);

    /* a permission on it, by ARN */
    prov_ctx pctx = ctx_for("invoke-perm");
    const provider *pp = prov_find("aws:lambda:Permission");
    cJSON *pin = cJSON_CreateObject();
    cJSON_AddStringToObject(pin, "action", "lambda:InvokeFunction");
    cJSON_AddStringToObject(pin, "function", fn_arn);
    cJSON_AddStringToObject(pin, "principal", "apigateway.amazonaws.com");
    cJSON_AddStringToObject(pin, "sourceArn", "arn:aws:execute-api:us-east-1:000000000000:abc/*/*");
    OK(pp->check(&pctx, NULL, pin, &err));
    char *pid = NULL;
    OK(pp->create(&pctx, pin, &pid, &out, &err));
    assert_string_equal(pid, prov_str(pin, "statementId"));
    cJSON_Delete(out);
    hg_err_clear(&err);
    assert_int_equal(pp->read(&pctx, pid, pin, &out, &err), 0);
    cJSON_Delete(out);
    OK(pp->remove(&pctx, pid, pin, &err));
    hg_err_clear(&err);
    assert_int_equal(pp->read(&pctx, pid, pin, &out, &err), 1);
    OK(pp->remove(&pctx, pid, pin, &err));

    OK(p->remove(&ctx, id, news, &err));
    hg_err_clear(&err);
    assert_int_equal(p->read(&ctx, id, news, &out, &err), 1);
    OK(p->remove(&ctx, id, news, &err));
    free(pid);
    free(id);
    cJSON_Delete(pin);
    cJSON_Delete(in);
    cJSON_Delete(news);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- API Gateway ------------------------------------------------------------------ */

/* check + create one resource; returns its outputs (new), *id set. */
static cJSON *make(const char *type, const char *logical, cJSON *in, char **id)
{
    hg_err err;
    prov_ctx ctx = ctx_for(logical);
    const provider *p = prov_find(type);
    OK(p->check(&ctx, NULL, in, &err));
    cJSON *out = NULL;
    OK(p->create(&ctx, in, id, &out, &err));
    return out;
}

static void test_apigateway_chain(void **state)
{
    (void)state;
    hg_err err;
    cJSON *api_in = cJSON_Parse("{\"description\":\"d1\"}");
    char *api_id = NULL;
    cJSON *api = make("aws:apigateway:RestApi", "api", api_in, &api_id);
    assert_string_equal(prov_str(api, "id"), api_id);
    assert_true(strlen(prov_str(api, "rootResourceId")) > 0);
    char exec[256];
    snprintf(exec, sizeof exec, "arn:aws:execute-api:us-east-1:000000000000:%s", api_id);
    assert_string_equal(prov_str(api, "executionArn"), exec);

    cJSON *res_in = cJSON_CreateObject();
    cJSON_AddStringToObject(res_in, "restApi", api_id);
    cJSON_AddStringToObject(res_in, "parentId", prov_str(api, "rootResourceId"));
    cJSON_AddStringToObject(res_in, "pathPart", "items");
    char *res_id = NULL;
    cJSON *res = make("aws:apigateway:Resource", "items", res_in, &res_id);
    assert_string_equal(prov_str(res, "path"), "/items");

    cJSON *m_in = cJSON_CreateObject();
    cJSON_AddItemToObject(m_in, "restApi", cJSON_Duplicate(api, 1));   /* ${api} as a whole works too */
    cJSON_AddStringToObject(m_in, "resourceId", res_id);
    cJSON_AddStringToObject(m_in, "httpMethod", "GET");
    cJSON_AddStringToObject(m_in, "authorization", "NONE");
    char *m_id = NULL;
    cJSON *m = make("aws:apigateway:Method", "get", m_in, &m_id);
    char want[600];
    snprintf(want, sizeof want, "agm-%s-%s-GET", api_id, res_id);
    assert_string_equal(m_id, want);

    cJSON *i_in = cJSON_CreateObject();
    cJSON_AddStringToObject(i_in, "restApi", api_id);
    cJSON_AddStringToObject(i_in, "resourceId", res_id);
    cJSON_AddStringToObject(i_in, "httpMethod", "GET");
    cJSON_AddStringToObject(i_in, "type", "MOCK");
    cJSON_AddItemToObject(i_in, "requestTemplates", cJSON_Parse("{\"application/json\":\"{\\\"statusCode\\\": 200}\"}"));
    char *i_id = NULL;
    cJSON *integ = make("aws:apigateway:Integration", "int", i_in, &i_id);

    cJSON *d_in = cJSON_CreateObject();
    cJSON_AddStringToObject(d_in, "restApi", api_id);
    cJSON_AddItemToObject(d_in, "triggers", cJSON_Parse("{\"redeploy\":\"1\"}"));
    char *d_id = NULL;
    cJSON *dep = make("aws:apigateway:Deployment", "dep", d_in, &d_id);

    cJSON *s_in = cJSON_CreateObject();
    cJSON_AddStringToObject(s_in, "restApi", api_id);
    cJSON_AddStringToObject(s_in, "deployment", d_id);
    cJSON_AddStringToObject(s_in, "stageName", "dev");
    char *s_id = NULL;
    cJSON *stage = make("aws:apigateway:Stage", "stage", s_in, &s_id);
    snprintf(want, sizeof want, "%s/restapis/%s/dev/_user_request_", emu_url, api_id);
    assert_string_equal(prov_str(stage, "invokeUrl"), want);

    /* in place: the stage's description and variables, the API's name */
    prov_ctx sctx = ctx_for("stage");
    cJSON *s_new = cJSON_Duplicate(s_in, 1);
    cJSON_AddStringToObject(s_new, "description", "second");
    cJSON_AddItemToObject(s_new, "variables", cJSON_Parse("{\"v\":\"1\"}"));
    cJSON *out = NULL;
    OK(prov_apigw_stage.update(&sctx, s_id, s_in, s_new, &out, &err));
    cJSON_Delete(out);
    char path[256];
    snprintf(path, sizeof path, "/restapis/%s/stages/dev", api_id);
    OK(aws_rest_call(aws, "apigateway", "GET", path, NULL, NULL, &out, &err));
    assert_string_equal(prov_jstr(out, "description"), "second");
    assert_string_equal(prov_jstr(cJSON_GetObjectItem(out, "variables"), "v"), "1");
    cJSON_Delete(out);
    prov_ctx actx = ctx_for("api");
    cJSON *api_new = cJSON_Duplicate(api_in, 1);
    cJSON_ReplaceItemInObject(api_new, "name", cJSON_CreateString("renamed"));
    OK(prov_apigw_rest_api.update(&actx, api_id, api_in, api_new, &out, &err));
    assert_string_equal(prov_str(out, "name"), "renamed");
    cJSON_Delete(out);

    /* reads, then deletes in reverse order; then everything reads as gone */
    struct { const provider *p; const char *id; cJSON *in; } chain[] = {
        { &prov_apigw_stage, s_id, s_new }, { &prov_apigw_deployment, d_id, d_in },
        { &prov_apigw_integration, i_id, i_in }, { &prov_apigw_method, m_id, m_in },
        { &prov_apigw_resource, res_id, res_in },
    };
    for (size_t k = 0; k < sizeof chain / sizeof chain[0]; k++) {
        prov_ctx c = ctx_for("x");
        hg_err_clear(&err);
        if (chain[k].p->read(&c, chain[k].id, chain[k].in, &out, &err) != 0)
            fail_msg("read %s: %s", chain[k].p->type, err.message);
        cJSON_Delete(out);
        OK(chain[k].p->remove(&c, chain[k].id, chain[k].in, &err));
        hg_err_clear(&err);
        if (chain[k].p->read(&c, chain[k].id, chain[k].in, &out, &err) != 1)
            fail_msg("%s still there after remove (%s)", chain[k].p->type, err.message);
        OK(chain[k].p->remove(&c, chain[k].id, chain[k].in, &err));
    }
    OK(prov_apigw_rest_api.remove(&actx, api_id, api_new, &err));
    hg_err_clear(&err);
    assert_int_equal(prov_apigw_rest_api.read(&actx, api_id, api_new, &out, &err), 1);
    OK(prov_apigw_rest_api.remove(&actx, api_id, api_new, &err));

    cJSON *objs[] = { api_in, api, res_in, res, m_in, m, i_in, integ, d_in, dep, s_in, stage, s_new, api_new };
    for (size_t k = 0; k < sizeof objs / sizeof objs[0]; k++) cJSON_Delete(objs[k]);
    char *ids[] = { api_id, res_id, m_id, i_id, d_id, s_id };
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) free(ids[k]);
}

static void test_rest_api_body_is_put(void **state)
{
    (void)state;
    hg_err err;
    cJSON *in = cJSON_Parse("{\"body\":\"{\\\"openapi\\\":\\\"3.0.1\\\",\\\"info\\\":{\\\"title\\\":\\\"t\\\",\\\"version\\\":\\\"1\\\"},"
                            "\\\"paths\\\":{\\\"/pets\\\":{\\\"get\\\":{\\\"x-amazon-apigateway-integration\\\":{\\\"type\\\":\\\"mock\\\"}}}}}\"}");
    char *id = NULL;
    cJSON *api = make("aws:apigateway:RestApi", "oas", in, &id);
    char path[256];
    snprintf(path, sizeof path, "/restapis/%s/resources", id);
    cJSON *out = NULL;
    OK(aws_rest_call(aws, "apigateway", "GET", path, NULL, NULL, &out, &err));
    char *text = cJSON_PrintUnformatted(out);
    assert_non_null(strstr(text, "\"/pets\""));
    cJSON_free(text);
    cJSON_Delete(out);
    prov_ctx ctx = ctx_for("oas");
    OK(prov_apigw_rest_api.remove(&ctx, id, in, &err));
    free(id);
    cJSON_Delete(api);
    cJSON_Delete(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_client_json_and_errors),
        cmocka_unit_test(test_client_connection_refused_is_retried_then_fails),
        cmocka_unit_test(test_table_lifecycle),
        cmocka_unit_test(test_lambda_function_and_permission),
        cmocka_unit_test(test_apigateway_chain),
        cmocka_unit_test(test_rest_api_body_is_put),
    };
    return cmocka_run_group_tests(tests, start_emulator, stop_emulator);
}
