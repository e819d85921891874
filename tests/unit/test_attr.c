/* test_attr.c — AttributeValue validation, canonical numbers, sizes, the stored text, equality, order,
 * base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attr.h"

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j) fail_msg("bad test JSON: %s", text);
    return j;
}

/* Validate text as an AV; expect success and the canonical JSON `want` (NULL: same as input). */
static void assert_valid(const char *text, const char *want)
{
    cJSON *av = json(text);
    hg_err err;
    hg_err_clear(&err);
    if (ddb_av_validate(av, "a", &err) != 0) fail_msg("%s rejected: %s", text, err.message);
    char *out = cJSON_PrintUnformatted(av);
    cJSON *expect = json(want ? want : text);
    char *exp = cJSON_PrintUnformatted(expect);
    if (strcmp(out, exp) != 0) fail_msg("%s became %s, want %s", text, out, exp);
    free(out);
    free(exp);
    cJSON_Delete(expect);
    cJSON_Delete(av);
}

/* Expect rejection with the exact code and message. */
static void assert_invalid(const char *text, const char *code, const char *message)
{
    cJSON *av = json(text);
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(ddb_av_validate(av, "a", &err), -1);
    assert_int_equal(err.status, 400);
    if (strcmp(err.code, code) != 0) fail_msg("%s: code %s, want %s", text, err.code, code);
    if (message && strcmp(err.message, message) != 0)
        fail_msg("%s: message\n  '%s'\nwant\n  '%s'", text, err.message, message);
    cJSON_Delete(av);
}

static void test_types(void **state)
{
    (void)state;
    const char *texts[] = { "{\"S\":\"x\"}", "{\"N\":\"1\"}", "{\"B\":\"YQ==\"}", "{\"SS\":[\"a\"]}",
                            "{\"NS\":[\"1\"]}", "{\"BS\":[\"YQ==\"]}", "{\"M\":{}}", "{\"L\":[]}",
                            "{\"NULL\":true}", "{\"BOOL\":false}" };
    ddb_type types[] = { DDB_T_S, DDB_T_N, DDB_T_B, DDB_T_SS, DDB_T_NS, DDB_T_BS, DDB_T_M, DDB_T_L,
                         DDB_T_NULL, DDB_T_BOOL };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cJSON *av = json(texts[i]);
        assert_int_equal(ddb_av_type(av), types[i]);
        assert_string_equal(ddb_type_name(types[i]), av->child->string);
        assert_ptr_equal(ddb_av_payload(av), av->child);
        cJSON_Delete(av);
    }
    assert_string_equal(ddb_type_name(DDB_T_INVALID), "");
    cJSON *bad = json("{\"S\":\"x\",\"N\":\"1\"}");
    assert_int_equal(ddb_av_type(bad), DDB_T_INVALID);
    cJSON_Delete(bad);
    bad = json("{\"Q\":\"x\"}");
    assert_int_equal(ddb_av_type(bad), DDB_T_INVALID);
    cJSON_Delete(bad);
}

static void test_valid_values_and_canonical_numbers(void **state)
{
    (void)state;
    assert_valid("{\"S\":\"hello\"}", NULL);
    assert_valid("{\"S\":\"\"}", NULL);      /* empty non-key strings are allowed since 2020 */
    assert_valid("{\"N\":\"1.50\"}", "{\"N\":\"1.5\"}");
    assert_valid("{\"N\":\"1e3\"}", "{\"N\":\"1000\"}");
    assert_valid("{\"N\":\"-0\"}", "{\"N\":\"0\"}");
    assert_valid("{\"NS\":[\"1.0\",\"2E1\",\"-.5\"]}", "{\"NS\":[\"1\",\"20\",\"-0.5\"]}");
    assert_valid("{\"B\":\"\"}", NULL);
    assert_valid("{\"B\":\"AAEC/w==\"}", NULL);
    assert_valid("{\"M\":{\"n\":{\"N\":\"010\"},\"l\":{\"L\":[{\"N\":\"2.0\"},{\"NULL\":true}]}}}",
                 "{\"M\":{\"n\":{\"N\":\"10\"},\"l\":{\"L\":[{\"N\":\"2\"},{\"NULL\":true}]}}}");
    assert_valid("{\"BOOL\":true}", NULL);
    /* Unknown members and nulls are dropped, as the service's deserializer ignores them. */
    assert_valid("{\"S\":\"x\",\"Z\":1,\"N\":null}", "{\"S\":\"x\"}");
}

#define INVALID "One or more parameter values were invalid: "

static void test_invalid_values(void **state)
{
    (void)state;
    const char *empty = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
    const char *many = "Supplied AttributeValue has more than one datatypes set, "
                       "must contain exactly one of the supported datatypes";
    assert_invalid("{}", "ValidationException", empty);
    assert_invalid("{\"X\":\"a\"}", "ValidationException", empty);
    assert_invalid("{\"S\":\"a\",\"N\":\"1\"}", "ValidationException", many);
    assert_invalid("{\"S\":\"a\",\"N\":\"b\"}", "ValidationException",
                   "The parameter cannot be converted to a numeric value: b");
    assert_invalid("{\"N\":\"\"}", "ValidationException", "The parameter cannot be converted to a numeric value");
    assert_invalid("{\"NS\":[\"1\",\"\"]}", "ValidationException", "The parameter cannot be converted to a numeric value");
    assert_invalid("{\"NS\":[\"1\",\"b\"]}", "ValidationException",
                   "The parameter cannot be converted to a numeric value: b");
    assert_invalid("{\"N\":\"1e126\"}", "ValidationException",
                   "Number overflow. Attempting to store a number with magnitude larger than supported range");
    assert_invalid("{\"NULL\":false}", "ValidationException",
                   INVALID "Null attribute value types must have the value of true");
    assert_invalid("{\"SS\":[]}", "ValidationException", INVALID "An string set  may not be empty");
    assert_invalid("{\"NS\":[]}", "ValidationException", INVALID "An number set  may not be empty");
    assert_invalid("{\"BS\":[]}", "ValidationException", INVALID "Binary sets should not be empty");
    assert_invalid("{\"SS\":[\"a\",\"a\"]}", "ValidationException", INVALID "Input collection [a, a] contains duplicates.");
    assert_invalid("{\"SS\":[\"b\",\"a\",\"b\"]}", "ValidationException",
                   INVALID "Input collection [b, a, b] contains duplicates.");
    assert_invalid("{\"BS\":[\"Yg==\",\"Yg==\"]}", "ValidationException",
                   INVALID "Input collection [Yg==, Yg==]of type BS contains duplicates.");
    /* NS duplicates are numeric: 1 and 1.0 are the same number. */
    assert_invalid("{\"NS\":[\"1\",\"1\"]}", "ValidationException", "Input collection contains duplicates");
    assert_invalid("{\"NS\":[\"1\",\"2\",\"1.0\"]}", "ValidationException", "Input collection contains duplicates");
    assert_invalid("{\"NS\":[\"1E2\",\"100\"]}", "ValidationException", "Input collection contains duplicates");
    /* Nested problems surface. */
    assert_invalid("{\"M\":{\"x\":{}}}", "ValidationException", empty);
    assert_invalid("{\"L\":[{\"S\":\"a\"},{\"NULL\":false}]}", "ValidationException",
                   INVALID "Null attribute value types must have the value of true");
    /* Wrong JSON kinds are deserialization errors. */
    assert_invalid("{\"S\":5}", "SerializationException", NULL);
    assert_invalid("{\"N\":1}", "SerializationException", NULL);
    assert_invalid("{\"BOOL\":\"true\"}", "SerializationException", NULL);
    assert_invalid("{\"SS\":\"a\"}", "SerializationException", NULL);
    assert_invalid("{\"SS\":[1]}", "SerializationException", NULL);
    assert_invalid("{\"M\":[]}", "SerializationException", NULL);
    assert_invalid("{\"L\":{}}", "SerializationException", NULL);
    assert_invalid("\"x\"", "SerializationException", NULL);
    /* B must be strict base64. */
    assert_invalid("{\"B\":\"abc\"}", "SerializationException", NULL);
    assert_invalid("{\"B\":\"ab!d\"}", "SerializationException", NULL);
    assert_invalid("{\"B\":\"a=bc\"}", "SerializationException", NULL);
    assert_invalid("{\"B\":\"YR==\"}", "SerializationException", NULL);  /* nonzero unused bits */
    assert_invalid("{\"B\":\"====\"}", "SerializationException", NULL);
    assert_invalid("{\"BS\":[\"YQ==\",\"Y\"]}", "SerializationException", NULL);
}

/* deep(levels): the attribute value itself plus levels-1 wrapping maps. */
static cJSON *deep(int levels)
{
    cJSON *v = json("{\"S\":\"leaf\"}");
    for (int i = 1; i < levels; i++) {
        cJSON *m = cJSON_CreateObject(), *inner = cJSON_CreateObject();
        cJSON_AddItemToObject(inner, "n", v);
        cJSON_AddItemToObject(m, "M", inner);
        v = m;
    }
    return v;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    hg_err err;
    /* The service accepts a leaf at level 32 (31 maps) and rejects level 33. */
    cJSON *ok = deep(32), *bad = deep(33);
    hg_err_clear(&err);
    assert_int_equal(ddb_av_validate(ok, "a", &err), 0);
    hg_err_clear(&err);
    assert_int_equal(ddb_av_validate(bad, "a", &err), -1);
    assert_non_null(strstr(err.message, "Nesting Levels have exceeded supported limits"));
    cJSON_Delete(ok);
    cJSON_Delete(bad);
}

static void test_item_validate(void **state)
{
    (void)state;
    hg_err err;
    cJSON *item = json("{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"2.50\"}}");
    hg_err_clear(&err);
    assert_int_equal(ddb_item_validate(item, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "n"), "N")->valuestring, "2.5");
    cJSON_Delete(item);

    item = json("{\"id\":{\"S\":\"a\"},\"x\":{\"SS\":[]}}");
    hg_err_clear(&err);
    assert_int_equal(ddb_item_validate(item, &err), -1);
    assert_string_equal(err.message, INVALID "An string set  may not be empty");
    cJSON_Delete(item);

    item = json("{\"\":{\"S\":\"a\"}}");
    hg_err_clear(&err);
    assert_int_equal(ddb_item_validate(item, &err), -1);
    assert_string_equal(err.code, "ValidationException");
    cJSON_Delete(item);
}

static size_t item_size(const char *text)
{
    cJSON *item = json(text);
    size_t n = ddb_item_size(item);
    cJSON_Delete(item);
    return n;
}

/* Sizes by the rules of AWS's "Item sizes and formats" page. */
static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(item_size("{\"id\":{\"S\":\"abc\"}}"), 2 + 3);
    assert_int_equal(item_size("{\"name\":{\"S\":\"\xc3\xa9t\xc3\xa9\"}}"), 4 + 5);   /* UTF-8 bytes */
    /* Numbers: 1 byte per two significant digits, plus 1; zeros trimmed. */
    assert_int_equal(item_size("{\"n\":{\"N\":\"1\"}}"), 1 + 2);
    assert_int_equal(item_size("{\"n\":{\"N\":\"12\"}}"), 1 + 2);
    assert_int_equal(item_size("{\"n\":{\"N\":\"123\"}}"), 1 + 3);
    assert_int_equal(item_size("{\"n\":{\"N\":\"1000000\"}}"), 1 + 2);
    assert_int_equal(item_size("{\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}"), 1 + 20);
    /* Binary: raw bytes, not base64 text. */
    assert_int_equal(item_size("{\"b\":{\"B\":\"AAEC/w==\"}}"), 1 + 4);
    assert_int_equal(item_size("{\"b\":{\"B\":\"YWI=\"}}"), 1 + 2);
    assert_int_equal(item_size("{\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true}}"), 2 + 2);
    /* Empty List/Map: 3 bytes; each element 1 more byte. */
    assert_int_equal(item_size("{\"l\":{\"L\":[]}}"), 1 + 3);
    assert_int_equal(item_size("{\"m\":{\"M\":{}}}"), 1 + 3);
    assert_int_equal(item_size("{\"l\":{\"L\":[{\"S\":\"ab\"},{\"N\":\"1\"}]}}"), 1 + 3 + (1 + 2) + (1 + 2));
    /* Map elements count their names too. */
    assert_int_equal(item_size("{\"m\":{\"M\":{\"key\":{\"S\":\"v\"}}}}"), 1 + 3 + 1 + 3 + 1);
    /* Sets: the sum of their members. */
    assert_int_equal(item_size("{\"s\":{\"SS\":[\"ab\",\"cde\"]}}"), 1 + 5);
    assert_int_equal(item_size("{\"s\":{\"NS\":[\"1\",\"123\"]}}"), 1 + 2 + 3);
    assert_int_equal(item_size("{\"s\":{\"BS\":[\"YQ==\",\"YWI=\"]}}"), 1 + 1 + 2);
    assert_int_equal(item_size("{}"), 0);
}

static bool eq(const char *a, const char *b)
{
    cJSON *x = json(a), *y = json(b);
    bool r = ddb_av_equal(x, y);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return r;
}

static void test_equality(void **state)
{
    (void)state;
    assert_true(eq("{\"S\":\"a\"}", "{\"S\":\"a\"}"));
    assert_false(eq("{\"S\":\"a\"}", "{\"S\":\"b\"}"));
    assert_false(eq("{\"S\":\"1\"}", "{\"N\":\"1\"}"));
    assert_true(eq("{\"N\":\"1\"}", "{\"N\":\"1.00\"}"));
    assert_true(eq("{\"NS\":[\"1\",\"2\",\"3\"]}", "{\"NS\":[\"3\",\"1\",\"2\"]}"));
    assert_true(eq("{\"NS\":[\"1\",\"20\"]}", "{\"NS\":[\"2E1\",\"1.0\"]}"));
    assert_false(eq("{\"NS\":[\"1\",\"2\"]}", "{\"NS\":[\"1\",\"3\"]}"));
    assert_false(eq("{\"NS\":[\"1\",\"2\"]}", "{\"NS\":[\"1\"]}"));
    assert_true(eq("{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"b\",\"a\"]}"));
    assert_true(eq("{\"BS\":[\"YQ==\",\"Yg==\"]}", "{\"BS\":[\"Yg==\",\"YQ==\"]}"));
    assert_true(eq("{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"S\":\"x\"}}}", "{\"M\":{\"b\":{\"S\":\"x\"},\"a\":{\"N\":\"1.0\"}}}"));
    assert_false(eq("{\"M\":{\"a\":{\"N\":\"1\"}}}", "{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"S\":\"x\"}}}"));
    assert_true(eq("{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}", "{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}"));
    assert_false(eq("{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}", "{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"}]}"));
    assert_false(eq("{\"L\":[{\"S\":\"a\"}]}", "{\"L\":[{\"S\":\"a\"},{\"S\":\"a\"}]}"));
    assert_true(eq("{\"NULL\":true}", "{\"NULL\":true}"));
    assert_true(eq("{\"BOOL\":false}", "{\"BOOL\":false}"));
    assert_false(eq("{\"BOOL\":false}", "{\"BOOL\":true}"));
}

static int cmp(const char *a, const char *b)
{
    cJSON *x = json(a), *y = json(b);
    int c = 99;
    int rc = ddb_av_compare(x, y, &c);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return rc == 0 ? c : 99;
}

static void test_compare(void **state)
{
    (void)state;
    assert_int_equal(cmp("{\"S\":\"a\"}", "{\"S\":\"b\"}"), -1);
    assert_int_equal(cmp("{\"S\":\"b\"}", "{\"S\":\"\xc3\xa9\"}"), -1);   /* "b" < "é" by bytes */
    assert_int_equal(cmp("{\"S\":\"Z\"}", "{\"S\":\"a\"}"), -1);
    assert_int_equal(cmp("{\"S\":\"ab\"}", "{\"S\":\"a\"}"), 1);
    assert_int_equal(cmp("{\"S\":\"a\"}", "{\"S\":\"a\"}"), 0);
    assert_int_equal(cmp("{\"N\":\"9.99\"}", "{\"N\":\"10\"}"), -1);
    assert_int_equal(cmp("{\"N\":\"-1\"}", "{\"N\":\"-10\"}"), 1);
    assert_int_equal(cmp("{\"N\":\"1E2\"}", "{\"N\":\"100\"}"), 0);
    assert_int_equal(cmp("{\"B\":\"AA==\"}", "{\"B\":\"/w==\"}"), -1);    /* 0x00 < 0xff */
    assert_int_equal(cmp("{\"B\":\"/w==\"}", "{\"B\":\"/wA=\"}"), -1);    /* prefix first */
    assert_int_equal(cmp("{\"B\":\"\"}", "{\"B\":\"AA==\"}"), -1);
    assert_int_equal(cmp("{\"S\":\"1\"}", "{\"N\":\"1\"}"), 99);          /* different types */
    assert_int_equal(cmp("{\"SS\":[\"a\"]}", "{\"SS\":[\"a\"]}"), 99);    /* not scalar */
}

static void test_base64(void **state)
{
    (void)state;
    const unsigned char raw[] = { 0x00, 0x01, 0x02, 0xff, 0xfe };
    for (size_t n = 0; n <= sizeof raw; n++) {
        char *text = ddb_b64_encode(raw, n);
        assert_non_null(text);
        assert_int_equal(strlen(text), (n + 2) / 3 * 4);
        size_t len = 99;
        unsigned char *back = ddb_b64_decode(text, &len);
        assert_non_null(back);
        assert_int_equal(len, n);
        assert_memory_equal(back, raw, n);
        free(back);
        free(text);
    }
    char *t = ddb_b64_encode((const unsigned char *)"ab", 2);
    assert_string_equal(t, "YWI=");
    free(t);
    size_t len;
    assert_null(ddb_b64_decode("YWI", &len));
    assert_null(ddb_b64_decode("YW I", &len));
    assert_null(ddb_b64_decode("YWJ=", &len));     /* nonzero unused bits */
    assert_null(ddb_b64_decode("Y===", &len));
    assert_null(ddb_b64_decode("=YWI", &len));
    assert_null(ddb_b64_decode("YQ==YQ==", &len));
}

/* ddb_item_print must write cJSON_PrintUnformatted's bytes exactly: the
 * stored text is what GetItem may answer with. */
static void assert_prints_as_cjson(const cJSON *item)
{
    char *mine = ddb_item_print(item);
    char *theirs = cJSON_PrintUnformatted(item);
    assert_non_null(mine);
    assert_non_null(theirs);
    if (strcmp(mine, theirs) != 0) fail_msg("ddb_item_print wrote %s, cJSON %s", mine, theirs);
    free(mine);
    cJSON_free(theirs);
}

/* A random string of 0..max bytes 1..255 (control characters, quotes,
 * backslashes, UTF-8 lead and continuation bytes all likely). */
static void random_text(char *buf, int max, unsigned *seed)
{
    int n = (int)(rand_r(seed) % (unsigned)(max + 1));
    for (int i = 0; i < n; i++) {
        unsigned r = (unsigned)rand_r(seed);
        buf[i] = (char)(r % 4 == 0 ? 1 + (r >> 8) % 40 : 1 + (r >> 8) % 255);
    }
    buf[n] = '\0';
}

static cJSON *random_av(int depth, unsigned *seed)
{
    char text[48];
    int kind = (int)(rand_r(seed) % (depth < 4 ? 8u : 5u));
    cJSON *av = cJSON_CreateObject();
    switch (kind) {
    case 0: random_text(text, 40, seed); cJSON_AddStringToObject(av, "S", text); break;
    case 1: cJSON_AddStringToObject(av, "N", "-12.5e3"); break;
    case 2: cJSON_AddBoolToObject(av, "BOOL", rand_r(seed) & 1); break;
    case 3: cJSON_AddTrueToObject(av, "NULL"); break;
    case 4: {
        cJSON *ss = cJSON_AddArrayToObject(av, "SS");
        for (int i = 0, n = (int)(rand_r(seed) % 4); i < n; i++) {
            random_text(text, 10, seed);
            cJSON_AddItemToArray(ss, cJSON_CreateString(text));
        }
        break;
    }
    case 5: case 6: {
        cJSON *l = cJSON_AddArrayToObject(av, "L");
        for (int i = 0, n = (int)(rand_r(seed) % 4); i < n; i++) cJSON_AddItemToArray(l, random_av(depth + 1, seed));
        break;
    }
    default: {
        cJSON *m = cJSON_AddObjectToObject(av, "M");
        for (int i = 0, n = (int)(rand_r(seed) % 4); i < n; i++) {
            random_text(text, 12, seed);
            cJSON_AddItemToObject(m, text, random_av(depth + 1, seed));
        }
        break;
    }
    }
    return av;
}

static void test_item_print(void **state)
{
    (void)state;
    const char *fixed[] = {
        "{}",
        "{\"pk\":{\"S\":\"\"},\"e\":{\"M\":{}},\"l\":{\"L\":[]},\"b\":{\"BOOL\":false},\"t\":{\"BOOL\":true},\"n\":{\"NULL\":true}}",
        "{\"s\":{\"S\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f \\u007f caf\\u00e9 \\u2028 \\ud83d\\ude00\"}}",
        "{\"k\\n\\\"ey\":{\"SS\":[\"a\",\"\\t\"]},\"ns\":{\"NS\":[\"1\",\"2.5\"]},\"bs\":{\"BS\":[\"aGk=\"]}}",
        "{\"d\":{\"M\":{\"a\":{\"L\":[{\"M\":{\"b\":{\"L\":[{\"S\":\"deep\"},{\"N\":\"1\"}]}}}]}}}}",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        cJSON *item = json(fixed[i]);
        assert_prints_as_cjson(item);
        cJSON_Delete(item);
    }
    /* Every byte 1..255 alone, as a value and as a name. */
    for (int c = 1; c < 256; c++) {
        char one[2] = { (char)c, '\0' };
        cJSON *item = cJSON_CreateObject();
        cJSON *av = cJSON_AddObjectToObject(item, one);
        cJSON_AddStringToObject(av, "S", one);
        assert_prints_as_cjson(item);
        cJSON_Delete(item);
    }
    /* Random items. */
    unsigned seed = 7;
    for (int i = 0; i < 2000; i++) {
        cJSON *item = cJSON_CreateObject();
        char name[16];
        for (int a = 0, n = (int)(rand_r(&seed) % 6); a < n; a++) {
            random_text(name, 8, &seed);
            cJSON_AddItemToObject(item, name, random_av(0, &seed));
        }
        assert_prints_as_cjson(item);
        cJSON_Delete(item);
    }
    /* Nesting past what items allow, and what an item never holds (a JSON
     * number, raw text): cJSON's text still. */
    cJSON *deep = cJSON_CreateObject(), *at = deep;
    for (int i = 0; i < 80; i++) at = cJSON_AddObjectToObject(at, "M");
    assert_prints_as_cjson(deep);
    cJSON_Delete(deep);
    cJSON *odd = json("{\"a\":{\"N\":1.5},\"b\":{\"S\":\"x\"}}");
    cJSON_AddItemToObject(odd, "r", cJSON_CreateRaw("[1, 2]"));
    assert_prints_as_cjson(odd);
    cJSON_Delete(odd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_valid_values_and_canonical_numbers),
        cmocka_unit_test(test_invalid_values),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_item_validate),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_item_print),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
