/* libFuzzer target: API Gateway's invoke-URL parser and route matcher. The
 * input is "METHOD PATH" (split at the first space, PATH as received); it is
 * parsed as an invoke URL and matched against a fixed snapshot with literal,
 * {param} and {proxy+} resources and ANY methods. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "apigw_invoke.h"

static cJSON *snapshot;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    snapshot = cJSON_Parse(
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
        " {\"id\":\"ra\",\"parentId\":\"r0\",\"pathPart\":\"{x}\",\"path\":\"/{x}\"},"
        " {\"id\":\"rb\",\"parentId\":\"ra\",\"pathPart\":\"c\",\"path\":\"/{x}/c\","
        "   \"resourceMethods\":{\"GET\":{\"httpMethod\":\"GET\"}}}]");
    return snapshot ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *path = strchr(text, ' ');
    const char *method = "GET";
    if (path) { *path++ = '\0'; method = text; } else path = text;

    apigw_target t;
    (void)apigw_parse_target(path, NULL, &t);
    (void)apigw_parse_target(path, "abc123.execute-api.localhost", &t);

    apigw_match m;
    if (apigw_match_route(snapshot, method, path, &m) == 0) {
        if (!m.resource || !m.method) abort();   /* a match names both */
        apigw_match_release(&m);
    }
    (void)apigw_valid_utf8((const char *)data, size);
    free(text);
    return 0;
}
