/* test_keycodec.c — key encodings sort under memcmp exactly as DynamoDB orders keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attr.h"
#include "keycodec.h"
#include "number.h"

/* SQLite's BLOB order: memcmp over the common length, then shorter first. */
static int blob_cmp(const hg_buf *a, const hg_buf *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

static void encode(const char *type, const char *value, hg_buf *out)
{
    cJSON *av = cJSON_CreateObject();
    cJSON_AddStringToObject(av, type, value);
    hg_err err;
    hg_err_clear(&err);
    hg_buf_init(out, 0);
    if (keycodec_encode(av, out, &err) != 0) fail_msg("encode %s %s: %s", type, value, err.message);
    cJSON_Delete(av);
}

static int enc_cmp(const char *type, const char *a, const char *b)
{
    hg_buf x, y;
    encode(type, a, &x);
    encode(type, b, &y);
    int c = blob_cmp(&x, &y);
    hg_buf_release(&x);
    hg_buf_release(&y);
    return c;
}

static void test_number_order_examples(void **state)
{
    (void)state;
    /* In ascending numeric order. */
    const char *asc[] = { "-9.9999999999999999999999999999999999999E+125", "-1E+125", "-100", "-10", "-9.99",
                          "-9.9", "-1.01", "-1.001", "-1", "-0.5", "-0.123", "-0.12", "-0.1", "-1E-130", "0",
                          "1E-130", "0.1", "0.12", "0.123", "0.5", "1", "1.001", "1.01", "9.9", "9.99", "10",
                          "99", "100", "101", "1E+125", "9.9999999999999999999999999999999999999E+125" };
    size_t n = sizeof asc / sizeof asc[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int want = (i > j) - (i < j);
            int got = enc_cmp("N", asc[i], asc[j]);
            if (got != want) fail_msg("N %s vs %s: blob order %d, want %d", asc[i], asc[j], got, want);
        }
    /* Equal numbers encode identically whatever their text. */
    assert_int_equal(enc_cmp("N", "10", "1e1"), 0);
    assert_int_equal(enc_cmp("N", "-0.50", "-.5"), 0);
    assert_int_equal(enc_cmp("N", "0", "-0.0"), 0);
}

/* A random valid number as text "[-]0.d1..dn E exp". */
static void random_number(char *buf, size_t cap)
{
    int r = rand() % 20;
    if (r == 0) { snprintf(buf, cap, "0"); return; }
    int nd = 1 + rand() % DDB_NUM_DIGITS;
    /* Keep a third of the exponents small so neighbours collide often. */
    int exp = rand() % 3 == 0 ? -2 + rand() % 5 : -129 + rand() % 256;
    size_t k = 0;
    if (rand() % 2) buf[k++] = '-';
    buf[k++] = '0';
    buf[k++] = '.';
    for (int i = 0; i < nd; i++) {
        int d = rand() % 10;
        if (i == 0 && d == 0) d = 1;
        if (rand() % 4 == 0) d = i % 2 ? 0 : 9;     /* runs of 0s and 9s */
        if (i == 0 && d == 0) d = 9;
        buf[k++] = (char)('0' + d);
    }
    snprintf(buf + k, cap - k, "E%d", exp);
}

static void test_number_order_random(void **state)
{
    (void)state;
    enum { N = 1500 };
    static char text[N][64];
    static ddb_num nums[N];
    static hg_buf enc[N];
    srand(12345);
    int made = 0;
    while (made < N) {
        random_number(text[made], sizeof text[made]);
        hg_err err;
        hg_err_clear(&err);
        /* 0.d..E-129 .. 0.d..E126 is exactly the valid range, but stay safe. */
        if (ddb_num_parse(text[made], strlen(text[made]), &nums[made], &err) != 0) continue;
        encode("N", text[made], &enc[made]);
        made++;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int want = ddb_num_cmp(&nums[i], &nums[j]);
            int got = blob_cmp(&enc[i], &enc[j]);
            if (got != want) fail_msg("%s vs %s: blob %d, numeric %d", text[i], text[j], got, want);
        }
    for (int i = 0; i < N; i++) hg_buf_release(&enc[i]);
}

static void test_number_prefix_neighbours(void **state)
{
    (void)state;
    /* Every prefix of a long digit string, positive and negative, at several
     * exponents: the cases where a bare-prefix encoding would go wrong. */
    const char *digits = "12345678901234567890123456789012345671";
    char a[80], b[80];
    for (int la = 1; la <= 38; la++)
        for (int lb = 1; lb <= 38; lb++)
            for (int neg = 0; neg < 2; neg++) {
                /* Trailing zeros are not kept, so compare canonical values. */
                snprintf(a, sizeof a, "%s0.%.*sE3", neg ? "-" : "", la, digits);
                snprintf(b, sizeof b, "%s0.%.*sE3", neg ? "-" : "", lb, digits);
                ddb_num x, y;
                assert_int_equal(ddb_num_parse(a, strlen(a), &x, NULL), 0);
                assert_int_equal(ddb_num_parse(b, strlen(b), &y, NULL), 0);
                int got = enc_cmp("N", a, b), want = ddb_num_cmp(&x, &y);
                if (got != want) fail_msg("%s vs %s: blob %d, numeric %d", a, b, got, want);
            }
}

static void test_number_layout(void **state)
{
    (void)state;
    hg_buf b;
    encode("N", "0", &b);
    assert_int_equal(b.len, 1);
    assert_int_equal((unsigned char)b.data[0], 0x02);
    hg_buf_release(&b);
    encode("N", "12", &b);   /* 0.12 x 10^2 */
    assert_int_equal(b.len, 4);
    const unsigned char want_pos[] = { 0x03, 2 + 129, 2, 3 };
    assert_memory_equal(b.data, want_pos, 4);
    hg_buf_release(&b);
    encode("N", "-12", &b);
    const unsigned char want_neg[] = { 0x01, 255 - (2 + 129), 9, 8, 0xFF };
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, want_neg, 5);
    hg_buf_release(&b);
}

static void test_string_and_binary_order(void **state)
{
    (void)state;
    assert_true(enc_cmp("S", "a", "b") < 0);
    assert_true(enc_cmp("S", "b", "\xc3\xa9") < 0);        /* "é" is 0xC3 0xA9: above ASCII */
    assert_true(enc_cmp("S", "Z", "a") < 0);
    assert_true(enc_cmp("S", "a", "ab") < 0);
    assert_true(enc_cmp("S", "ab", "b") < 0);
    assert_true(enc_cmp("S", "10", "9") < 0);              /* strings are not numbers */
    assert_int_equal(enc_cmp("S", "x", "x"), 0);
    hg_buf b;
    encode("S", "h\xc3\xa9", &b);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "h\xc3\xa9", 3);
    hg_buf_release(&b);

    assert_true(enc_cmp("B", "AA==", "AQ==") < 0);        /* 0x00 < 0x01 */
    assert_true(enc_cmp("B", "fw==", "gA==") < 0);        /* 0x7f < 0x80: unsigned */
    assert_true(enc_cmp("B", "/w==", "/wA=") < 0);        /* prefix first */
    encode("B", "AAEC/w==", &b);
    const unsigned char raw[] = { 0x00, 0x01, 0x02, 0xff };
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, raw, 4);
    hg_buf_release(&b);
}

static void test_encode_rejects(void **state)
{
    (void)state;
    const char *bad[] = { "{\"SS\":[\"a\"]}", "{\"BOOL\":true}", "{\"N\":\"abc\"}", "{\"N\":\"1e200\"}",
                          "{\"B\":\"abc\"}", "{\"S\":5}", "{}", "{\"M\":{}}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *av = cJSON_Parse(bad[i]);
        hg_buf out;
        hg_buf_init(&out, 0);
        hg_err err;
        hg_err_clear(&err);
        assert_int_equal(keycodec_encode(av, &out, &err), -1);
        assert_string_equal(err.code, "ValidationException");
        hg_buf_release(&out);
        cJSON_Delete(av);
    }
}

static void test_prefix_successor(void **state)
{
    (void)state;
    hg_buf out;
    hg_buf_init(&out, 0);
    assert_int_equal(keycodec_prefix_successor((const unsigned char *)"ab", 2, &out), 0);
    assert_int_equal(out.len, 2);
    assert_memory_equal(out.data, "ac", 2);
    hg_buf_release(&out);

    const unsigned char p1[] = { 'a', 0xFF, 0xFF };
    hg_buf_init(&out, 0);
    assert_int_equal(keycodec_prefix_successor(p1, 3, &out), 0);
    assert_int_equal(out.len, 1);
    assert_int_equal((unsigned char)out.data[0], 'b');
    hg_buf_release(&out);

    const unsigned char p2[] = { 0xFF, 0xFF };
    hg_buf_init(&out, 0);
    assert_int_equal(keycodec_prefix_successor(p2, 2, &out), 1);
    assert_int_equal(keycodec_prefix_successor(p2, 0, &out), 1);
    assert_int_equal(out.len, 0);
    hg_buf_release(&out);

    /* Everything starting with the prefix lies in [prefix, successor). */
    const char *prefix = "ab";
    const char *inside[] = { "ab", "ab\x01", "abz", "ab\xff\xff" };
    const char *outside[] = { "ac", "b", "ac\x01", "aa\xff" };
    hg_buf lo, hi;
    encode("S", prefix, &lo);
    hg_buf_init(&hi, 0);
    keycodec_prefix_successor((const unsigned char *)lo.data, lo.len, &hi);
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        hg_buf k;
        encode("S", inside[i], &k);
        assert_true(blob_cmp(&k, &lo) >= 0 && blob_cmp(&k, &hi) < 0);
        hg_buf_release(&k);
    }
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        hg_buf k;
        encode("S", outside[i], &k);
        assert_true(blob_cmp(&k, &lo) < 0 || blob_cmp(&k, &hi) >= 0);
        hg_buf_release(&k);
    }
    hg_buf_release(&lo);
    hg_buf_release(&hi);
}

static void test_hash(void **state)
{
    (void)state;
    /* FNV-1a reference values: stable across runs and builds. */
    assert_int_equal(keycodec_hash((const unsigned char *)"", 0), 0x811c9dc5u);
    assert_int_equal(keycodec_hash((const unsigned char *)"a", 1), 0xe40c292cu);
    assert_int_equal(keycodec_hash((const unsigned char *)"foobar", 6), 0xbf9cf968u);
    /* Segments spread: 4000 keys over 4 segments, none far from a quarter. */
    int seg[4] = { 0 };
    char key[32];
    for (int i = 0; i < 4000; i++) {
        int n = snprintf(key, sizeof key, "user#%d", i);
        uint32_t h = keycodec_hash((const unsigned char *)key, (size_t)n);
        seg[(uint64_t)h * 4 >> 32]++;
    }
    for (int s = 0; s < 4; s++) assert_true(seg[s] > 800 && seg[s] < 1200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_order_examples),
        cmocka_unit_test(test_number_order_random),
        cmocka_unit_test(test_number_prefix_neighbours),
        cmocka_unit_test(test_number_layout),
        cmocka_unit_test(test_string_and_binary_order),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_prefix_successor),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
