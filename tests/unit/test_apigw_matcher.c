/* test_apigw_matcher.c — API Gateway invocation pieces on hand-built
 * snapshots and requests: invoke URL forms, route precedence, the proxy
 * event's shape, the proxy response contract and MOCK responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "apigw_invoke.h"

/* ---- a snapshot: /, /items, /items/{id}, /items/special, /items/{id}/parts/{part},
 *      /files/{proxy+}, /a/b, /{x}/c ------------------------------------------ */
static const char SNAPSHOT[] =
    "[{\"id\":\"r0\",\"path\":\"/\",\"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"}}},"
    " {\"id\":\"r1\",\"parentId\":\"r0\",\"pathPart\":\"items\",\"path\":\"/items\"},"
    " {\"id\":\"r2\",\"parentId\":\"r1\",\"pathPart\":\"{id}\",\"path\":\"/items/{id}\","
    "   \"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"},\"ANY\":{\"httpMethod\":\"ANY\"}}},"
    " {\"id\":\"r3\",\"parentId\":\"r1\",\"pathPart\":\"special\",\"path\":\"/items/special\","
    "   \"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"}}},"
    " {\"id\":\"r4\",\"parentId\":\"r2\",\"pathPart\":\"parts\",\"path\":\"/items/{id}/parts\"},"
    " {\"id\":\"r5\",\"parentId\":\"r4\",\"pathPart\":\"{part}\",\"path\":\"/items/{id}/parts/{part}\","
    "   \"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"}}},"
    " {\"id\":\"r6\",\"parentId\":\"r0\",\"pathPart\":\"files\",\"path\":\"/files\"},"
    " {\"id\":\"r7\",\"parentId\":\"r6\",\"pathPart\":\"{proxy+}\",\"path\":\"/files/{proxy+}\","
    "   \"resourceMethods\":{\"ANY\":{\"httpMethod\":\"ANY\"}}},"
    " {\"id\":\"r8\",\"parentId\":\"r0\",\"pathPart\":\"a\",\"path\":\"/a\"},"
    " {\"id\":\"r9\",\"parentId\":\"r8\",\"pathPart\":\"b\",\"path\":\"/a/b\","
    "   \"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"}}},"
    " {\"id\":\"ra\",\"parentId\":\"r0\",\"pathPart\":\"{x}\",\"path\":\"/{x}\"},"
    " {\"id\":\"rb\",\"parentId\":\"ra\",\"pathPart\":\"c\",\"path\":\"/{x}/c\","
    "   \"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"}}}]";

static cJSON *snapshot(void)
{
    cJSON *s = cJSON_Parse(SNAPSHOT);
    assert_non_null(s);
    return s;
}

static const char *matched_path(const apigw_match *m)
{
    return cJSON_GetObjectItemCaseSensitive(m->resource, "path")->valuestring;
}

static const char *param(const apigw_match *m, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->path_params, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_url_forms(void **state)
{
    (void)state;
    apigw_target t;
    assert_int_equal(apigw_parse_target("/restapis/abc123defg/prod/_user_request_/notes/1", NULL, &t), 1);
    assert_string_equal(t.api_id, "abc123defg");
    assert_string_equal(t.stage, "prod");
    assert_string_equal(t.path, "/notes/1");
    assert_int_equal(apigw_parse_target("/restapis/abc123defg/prod/_user_request_", NULL, &t), 1);
    assert_string_equal(t.path, "");
    /* the management API is not an invocation */
    assert_int_equal(apigw_parse_target("/restapis/abc123defg/resources", NULL, &t), 0);
    assert_int_equal(apigw_parse_target("/restapis/abc123defg/stages/prod", NULL, &t), 0);
    assert_int_equal(apigw_parse_target("/restapis", NULL, &t), 0);

    assert_int_equal(apigw_parse_target("/_aws/execute-api/abc123defg/dev/x/y", NULL, &t), 1);
    assert_string_equal(t.api_id, "abc123defg");
    assert_string_equal(t.stage, "dev");
    assert_string_equal(t.path, "/x/y");

    assert_int_equal(apigw_parse_target("/dev/x", "abc123defg.execute-api.localhost:4566", &t), 1);
    assert_string_equal(t.api_id, "abc123defg");
    assert_string_equal(t.stage, "dev");
    assert_string_equal(t.path, "/x");
    assert_int_equal(apigw_parse_target("/dev", "abc123defg.execute-api.localhost.localstack.cloud", &t), 1);
    assert_string_equal(t.stage, "dev");
    assert_string_equal(t.path, "");
    assert_int_equal(apigw_parse_target("/", "ABC.execute-api.localhost", &t), 1);
    assert_string_equal(t.api_id, "abc");
    assert_string_equal(t.stage, "");
    assert_int_equal(apigw_parse_target("/dev/x", "localhost:4566", &t), 0);
    assert_int_equal(apigw_parse_target("/dev/x", "abc.execute-apix.localhost", &t), 0);
    assert_int_equal(apigw_parse_target("/dev/x", NULL, &t), 0);
}

static void test_literal_beats_param_beats_proxy(void **state)
{
    (void)state;
    cJSON *s = snapshot();
    apigw_match m;
    assert_int_equal(apigw_match_route(s, "GET", "/items/special", &m), 0);
    assert_string_equal(matched_path(&m), "/items/special");
    assert_null(m.path_params);
    apigw_match_release(&m);

    assert_int_equal(apigw_match_route(s, "GET", "/items/42", &m), 0);
    assert_string_equal(matched_path(&m), "/items/{id}");
    assert_string_equal(param(&m, "id"), "42");
    apigw_match_release(&m);

    assert_int_equal(apigw_match_route(s, "GET", "/items/7/parts/p", &m), 0);
    assert_string_equal(matched_path(&m), "/items/{id}/parts/{part}");
    assert_string_equal(param(&m, "id"), "7");
    assert_string_equal(param(&m, "part"), "p");
    apigw_match_release(&m);

    assert_int_equal(apigw_match_route(s, "POST", "/files/a/b/c.txt", &m), 0);
    assert_string_equal(matched_path(&m), "/files/{proxy+}");
    assert_string_equal(param(&m, "proxy"), "a/b/c.txt");
    apigw_match_release(&m);
    cJSON_Delete(s);
}

static void test_backtracking_and_root(void **state)
{
    (void)state;
    cJSON *s = snapshot();
    apigw_match m;
    /* /a/c: the literal /a has no child c, so {x}/c answers */
    assert_int_equal(apigw_match_route(s, "GET", "/a/c", &m), 0);
    assert_string_equal(matched_path(&m), "/{x}/c");
    assert_string_equal(param(&m, "x"), "a");
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "GET", "/a/b", &m), 0);
    assert_string_equal(matched_path(&m), "/a/b");
    apigw_match_release(&m);

    assert_int_equal(apigw_match_route(s, "GET", "", &m), 0);
    assert_string_equal(matched_path(&m), "/");
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "GET", "/", &m), 0);
    assert_string_equal(matched_path(&m), "/");
    apigw_match_release(&m);
    /* trailing and doubled slashes reach the same resource */
    assert_int_equal(apigw_match_route(s, "GET", "/items//special/", &m), 0);
    assert_string_equal(matched_path(&m), "/items/special");
    apigw_match_release(&m);
    cJSON_Delete(s);
}

static void test_method_and_misses(void **state)
{
    (void)state;
    cJSON *s = snapshot();
    apigw_match m;
    assert_int_equal(apigw_match_route(s, "GET", "/items/1", &m), 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m.method, "httpMethod")->valuestring, "GET");
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "DELETE", "/items/1", &m), 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m.method, "httpMethod")->valuestring, "ANY");
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "POST", "/items/special", &m), 2);   /* resource, no method */
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "GET", "/items", &m), 2);
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "GET", "/files", &m), 2);            /* proxy+ needs a segment */
    apigw_match_release(&m);
    assert_int_equal(apigw_match_route(s, "GET", "/nope/x/y", &m), 1);
    apigw_match_release(&m);
    cJSON *empty = cJSON_CreateArray();
    assert_int_equal(apigw_match_route(empty, "GET", "/", &m), 1);
    cJSON_Delete(empty);
    cJSON_Delete(s);
}

/* ---- a fake request for the event builder ---------------------------------- */

static const char *const HEADERS[][2] = { { "Host", "abc.execute-api.localhost:4566" },
                                          { "X-Multi", "one" }, { "X-Multi", "two" },
                                          { "User-Agent", "ua/1" }, { "Content-Type", "text/plain" } };
static const char *const QUERY[][2] = { { "x", "1" }, { "x", "2" }, { "flag", "" } };

static const char *fake_header(const hg_request *r, const char *name)
{
    (void)r;
    const char *v = NULL;
    for (size_t i = 0; i < sizeof HEADERS / sizeof HEADERS[0]; i++)
        if (strcasecmp(HEADERS[i][0], name) == 0) v = HEADERS[i][1];
    return v;
}

static void fake_each_header(const hg_request *r, hg_kv_visit visit, void *ctx)
{
    (void)r;
    for (size_t i = 0; i < sizeof HEADERS / sizeof HEADERS[0]; i++) visit(ctx, HEADERS[i][0], HEADERS[i][1]);
}

static void fake_each_query(const hg_request *r, hg_kv_visit visit, void *ctx)
{
    (void)r;
    for (size_t i = 0; i < sizeof QUERY / sizeof QUERY[0]; i++) visit(ctx, QUERY[i][0], QUERY[i][1]);
}

static void no_query(const hg_request *r, hg_kv_visit visit, void *ctx) { (void)r; (void)visit; (void)ctx; }

static hg_request fake_request(const char *method, const char *body, size_t len)
{
    hg_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = "/prod/items/42";
    r.body = body;
    r.body_len = len;
    strcpy(r.request_id, "c0ffee00-1111-4222-8333-444455556666");
    r.header = fake_header;
    r.each_header = fake_each_header;
    r.each_query = fake_each_query;
    return r;
}

static void test_event_shape(void **state)
{
    (void)state;
    cJSON *s = snapshot();
    apigw_match m;
    assert_int_equal(apigw_match_route(s, "GET", "/items/42", &m), 0);
    hg_request req = fake_request("GET", "", 0);
    apigw_call c = { .req = &req, .api_id = "abc", .stage = "prod", .path = "/items/42",
                     .resource = m.resource, .path_params = m.path_params, .stage_variables = NULL,
                     .account = "000000000000", .region = "us-east-1",
                     .domain_name = "abc.execute-api.localhost:4566", .now = 1795852800.123 };
    cJSON *e = apigw_event_new(&c);
    assert_non_null(e);
    assert_string_equal(cJSON_GetObjectItem(e, "resource")->valuestring, "/items/{id}");
    assert_string_equal(cJSON_GetObjectItem(e, "path")->valuestring, "/items/42");
    cJSON *h = cJSON_GetObjectItem(e, "headers");
    assert_string_equal(cJSON_GetObjectItem(h, "X-Multi")->valuestring, "two");     /* last wins */
    cJSON *mh = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "multiValueHeaders"), "X-Multi");
    assert_int_equal(cJSON_GetArraySize(mh), 2);
    cJSON *q = cJSON_GetObjectItem(e, "queryStringParameters");
    assert_string_equal(cJSON_GetObjectItem(q, "x")->valuestring, "2");
    assert_string_equal(cJSON_GetObjectItem(q, "flag")->valuestring, "");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "multiValueQueryStringParameters"), "x")), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "pathParameters"), "id")->valuestring, "42");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "stageVariables")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "body")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(e, "isBase64Encoded")));
    cJSON *rc = cJSON_GetObjectItem(e, "requestContext");
    assert_string_equal(cJSON_GetObjectItem(rc, "path")->valuestring, "/prod/items/42");
    assert_string_equal(cJSON_GetObjectItem(rc, "resourceId")->valuestring, "r2");
    assert_string_equal(cJSON_GetObjectItem(rc, "requestTime")->valuestring, "28/Nov/2026:08:00:00 +0000");
    assert_true(cJSON_GetObjectItem(rc, "requestTimeEpoch")->valuedouble == 1795852800123.0);
    assert_string_equal(cJSON_GetObjectItem(rc, "domainPrefix")->valuestring, "abc");
    cJSON *id = cJSON_GetObjectItem(rc, "identity");
    assert_string_equal(cJSON_GetObjectItem(id, "sourceIp")->valuestring, "127.0.0.1");
    assert_string_equal(cJSON_GetObjectItem(id, "userAgent")->valuestring, "ua/1");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(id, "user")));
    cJSON_Delete(e);

    /* no query, a binary body, a binary media type */
    req.each_query = no_query;
    static const char bin[] = { 'a', '\0', (char)0xff };
    req.body = bin;
    req.body_len = sizeof bin;
    e = apigw_event_new(&c);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "queryStringParameters")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "multiValueQueryStringParameters")));
    assert_string_equal(cJSON_GetObjectItem(e, "body")->valuestring, "YQD/");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "isBase64Encoded")));
    cJSON_Delete(e);
    req.body = "hi";
    req.body_len = 2;
    cJSON *types = cJSON_Parse("[\"text/*\"]");
    c.binary_media_types = types;
    e = apigw_event_new(&c);
    assert_string_equal(cJSON_GetObjectItem(e, "body")->valuestring, "aGk=");
    cJSON_Delete(e);
    cJSON_Delete(types);
    apigw_match_release(&m);
    cJSON_Delete(s);
}

static void test_binary_types_and_utf8(void **state)
{
    (void)state;
    cJSON *t = cJSON_Parse("[\"image/png\", \"application/*\"]");
    assert_true(apigw_is_binary_type("image/png", t));
    assert_true(apigw_is_binary_type("IMAGE/PNG; q=1", t));
    assert_true(apigw_is_binary_type("application/pdf", t));
    assert_false(apigw_is_binary_type("image/jpeg", t));
    assert_false(apigw_is_binary_type(NULL, t));
    cJSON_Delete(t);
    t = cJSON_Parse("[\"*/*\"]");
    assert_true(apigw_is_binary_type("text/plain", t));
    cJSON_Delete(t);
    assert_true(apigw_valid_utf8("w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80", 15));
    assert_false(apigw_valid_utf8("\xc3", 1));
    assert_false(apigw_valid_utf8("\xc0\xaf", 2));          /* overlong */
    assert_false(apigw_valid_utf8("\xed\xa0\x80", 3));      /* surrogate */
    assert_false(apigw_valid_utf8("a\0b", 3));
}

/* ---- the proxy response contract ------------------------------------------- */

static int map(const char *payload, hg_response *resp)
{
    char why[256];
    hg_response_init(resp);
    return apigw_map_proxy_response(payload, strlen(payload), resp, why, sizeof why);
}

static int count_header(const hg_response *r, const char *name, const char *value)
{
    int n = 0;
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0 && (!value || strcmp(r->headers[i].value, value) == 0)) n++;
    return n;
}

static void test_proxy_response_contract(void **state)
{
    (void)state;
    hg_response r;
    assert_int_equal(map("{\"statusCode\":201,\"body\":\"ok\"}", &r), 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(hg_buf_cstr(&r.body), "ok");
    assert_string_equal(r.content_type, "application/json");
    hg_response_release(&r);

    assert_int_equal(map("{\"statusCode\":\"202\"}", &r), 0);
    assert_int_equal(r.status, 202);
    assert_int_equal((int)r.body.len, 0);
    hg_response_release(&r);

    assert_int_equal(map("{\"body\":\"x\",\"headers\":null}", &r), 0);
    assert_int_equal(r.status, 200);
    hg_response_release(&r);

    assert_int_equal(map("{\"headers\":{\"X-A\":\"h\",\"X-S\":\"v\",\"Content-Type\":\"text/html\",\"X-N\":5},"
                         "\"multiValueHeaders\":{\"X-A\":[\"m1\",\"m2\"],\"x-s\":[\"v\",\"w\"]}}", &r), 0);
    assert_int_equal(count_header(&r, "X-A", NULL), 3);
    assert_int_equal(count_header(&r, "X-A", "h"), 1);
    assert_int_equal(count_header(&r, "X-S", "v"), 1);          /* the pair in both appears once */
    assert_int_equal(count_header(&r, "X-S", "w"), 1);
    assert_int_equal(count_header(&r, "X-N", "5"), 1);
    assert_string_equal(r.content_type, "text/html");
    assert_int_equal(count_header(&r, "Content-Type", NULL), 0);
    hg_response_release(&r);

    assert_int_equal(map("{\"body\":\"AAEC/w==\",\"isBase64Encoded\":true}", &r), 0);
    assert_int_equal((int)r.body.len, 4);
    assert_memory_equal(r.body.data, "\x00\x01\x02\xff", 4);
    hg_response_release(&r);

    static const char *const bad[] = {
        "\"just a string\"", "[1]", "42", "null", "not json",
        "{\"statusCode\":200,\"extra\":1}",
        "{\"statusCode\":\"abc\"}", "{\"statusCode\":99}", "{\"statusCode\":true}", "{\"statusCode\":200.5}",
        "{\"multiValueHeaders\":{\"X\":\"v\"}}", "{\"multiValueHeaders\":[1]}",
        "{\"multiValueHeaders\":{\"X\":[{\"a\":1}]}}",
        "{\"headers\":{\"X\":{\"a\":1}}}", "{\"headers\":[]}",
        "{\"body\":42}", "{\"body\":{}}", "{\"isBase64Encoded\":\"yes\"}",
        "{\"body\":\"!!!\",\"isBase64Encoded\":true}",
        "{\"headers\":{\"Bad Name\":\"v\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (map(bad[i], &r) != -1) fail_msg("accepted malformed proxy response %s", bad[i]);
        hg_response_release(&r);
    }
}

static void test_mock(void **state)
{
    (void)state;
    cJSON *method = cJSON_Parse(
        "{\"methodIntegration\":{\"type\":\"MOCK\","
        " \"requestTemplates\":{\"application/json\":\"{\\\"statusCode\\\": 418}\"},"
        " \"integrationResponses\":{"
        "  \"200\":{\"statusCode\":\"200\",\"responseParameters\":{"
        "     \"method.response.header.Access-Control-Allow-Origin\":\"'*'\","
        "     \"method.response.header.X-From-Backend\":\"integration.response.header.X\"},"
        "     \"responseTemplates\":{\"application/json\":\"\"}},"
        "  \"418\":{\"statusCode\":\"418\",\"selectionPattern\":\"4\\\\d{2}\","
        "     \"responseTemplates\":{\"application/json\":\"{\\\"teapot\\\":true}\"}}}}}");
    assert_non_null(method);
    hg_request req = fake_request("OPTIONS", "", 0);
    hg_response r;
    char why[256];
    hg_response_init(&r);
    assert_int_equal(apigw_mock_response(method, &req, &r, why, sizeof why), 0);
    assert_int_equal(r.status, 418);
    assert_string_equal(hg_buf_cstr(&r.body), "{\"teapot\":true}");
    hg_response_release(&r);

    cJSON *tpl = cJSON_GetObjectItem(cJSON_GetObjectItem(method, "methodIntegration"), "requestTemplates");
    cJSON_ReplaceItemInObject(tpl, "application/json", cJSON_CreateString("{\"statusCode\": 200}"));
    hg_response_init(&r);
    assert_int_equal(apigw_mock_response(method, &req, &r, why, sizeof why), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_header(&r, "Access-Control-Allow-Origin", "*"), 1);
    assert_int_equal(count_header(&r, "X-From-Backend", NULL), 0);
    assert_int_equal((int)r.body.len, 0);
    hg_response_release(&r);

    /* no default and no match: a configuration error */
    cJSON *irs = cJSON_GetObjectItem(cJSON_GetObjectItem(method, "methodIntegration"), "integrationResponses");
    cJSON_DeleteItemFromObject(irs, "200");
    hg_response_init(&r);
    assert_int_equal(apigw_mock_response(method, &req, &r, why, sizeof why), -1);
    assert_non_null(strstr(why, "No match for output mapping"));
    hg_response_release(&r);
    cJSON_Delete(method);
}

static void test_error_shape(void **state)
{
    (void)state;
    hg_response r;
    hg_response_init(&r);
    hg_response_header_copy(&r, "X-Left", "over");
    apigw_error(&r, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    assert_int_equal(r.status, 403);
    assert_string_equal(hg_buf_cstr(&r.body), "{\"message\":\"Missing Authentication Token\"}");
    assert_int_equal(r.nheaders, 1);
    assert_string_equal(r.headers[0].name, "x-amzn-ErrorType");
    hg_response_release(&r);
}

/* The index a stage view keeps (apigw_routes, made once) answers every
 * request as matching from the snapshot does, and outlives many matches. */
static void test_routes_made_once_match_alike(void **state)
{
    (void)state;
    cJSON *s = snapshot();
    apigw_routes *routes = apigw_routes_new(s);
    assert_non_null(routes);
    static const char *const cases[][2] = {
        { "GET", "/items/special" }, { "GET", "/items/42" }, { "GET", "/items/7/parts/p" },
        { "POST", "/files/a/b/c.txt" }, { "GET", "/a/c" }, { "GET", "/a/b" }, { "GET", "" }, { "GET", "/" },
        { "DELETE", "/items/1" }, { "POST", "/items/special" }, { "GET", "/files" }, { "GET", "/nope/x/y" },
    };
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            apigw_match a, b;
            int ra = apigw_match_route(s, cases[i][0], cases[i][1], &a);
            int rb = apigw_match_routes(routes, cases[i][0], cases[i][1], &b);
            assert_int_equal(rb, ra);
            assert_ptr_equal(b.resource, a.resource);
            assert_ptr_equal(b.method, a.method);
            char *pa = a.path_params ? cJSON_PrintUnformatted(a.path_params) : NULL;
            char *pb = b.path_params ? cJSON_PrintUnformatted(b.path_params) : NULL;
            if (pa || pb) assert_string_equal(pb, pa);
            free(pa);
            free(pb);
            apigw_match_release(&a);
            apigw_match_release(&b);
        }
    apigw_routes_free(routes);
    apigw_routes_free(NULL);

    cJSON *empty = cJSON_Parse("[]");
    routes = apigw_routes_new(empty);
    apigw_match m;
    assert_int_equal(apigw_match_routes(routes, "GET", "/", &m), 1);
    apigw_routes_free(routes);
    cJSON_Delete(empty);
    cJSON_Delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_forms),
        cmocka_unit_test(test_literal_beats_param_beats_proxy),
        cmocka_unit_test(test_backtracking_and_root),
        cmocka_unit_test(test_method_and_misses),
        cmocka_unit_test(test_event_shape),
        cmocka_unit_test(test_binary_types_and_utf8),
        cmocka_unit_test(test_proxy_response_contract),
        cmocka_unit_test(test_mock),
        cmocka_unit_test(test_error_shape),
        cmocka_unit_test(test_routes_made_once_match_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
