/* Unit tests for common/: capped buffers, bounded parsing, SigV4 scope parsing,
 * the hg_jw tree writer, libcrypto loaded on first use. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hg_buf.h"
#include "hg_crypto.h"
#include "hg_dl.h"
#include "hg_error.h"
#include "hg_json.h"
#include "hg_glob.h"
#include "hg_hex.h"
#include "hg_parse.h"
#include "hg_sigv4.h"
#include "hg_uuid.h"
#include "jw_sample.h"

static void buf_respects_cap(void **state)
{
    (void)state;
    hg_buf b;
    hg_buf_init(&b, 8);
    assert_int_equal(hg_buf_puts(&b, "12345678"), 0);
    assert_int_equal(hg_buf_putc(&b, '9'), -1);          /* over the cap: refused */
    assert_int_equal(b.len, 8);
    assert_string_equal(hg_buf_cstr(&b), "12345678");   /* unchanged, NUL-terminated */
    char *s = hg_buf_steal(&b);
    assert_string_equal(s, "12345678");
    assert_null(b.data);
    free(s);
    hg_buf_release(&b);
}

static void buf_printf_grows(void **state)
{
    (void)state;
    hg_buf b;
    hg_buf_init(&b, 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(hg_buf_printf(&b, "%04d", i), 0);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.data + 3996, "0999", 4);
    hg_buf_release(&b);

    /* Text that fits the allocation but not the cap is refused, and what
     * was written into the spare room does not show. */
    hg_buf_init(&b, 8);
    assert_int_equal(hg_buf_puts(&b, "123456"), 0);
    assert_true(b.alloc > 16);
    assert_int_equal(hg_buf_printf(&b, "%s", "abc"), -1);
    assert_int_equal(b.len, 6);
    assert_string_equal(hg_buf_cstr(&b), "123456");
    assert_int_equal(hg_buf_printf(&b, "%d", 78), 0);
    assert_string_equal(hg_buf_cstr(&b), "12345678");
    hg_buf_release(&b);

    /* Text longer than the spare room: cut off there, then written whole. */
    hg_buf_init(&b, 0);
    assert_int_equal(hg_buf_puts(&b, "head:"), 0);
    size_t room = b.alloc - b.len;
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_true(room < sizeof big);
    assert_int_equal(hg_buf_printf(&b, "%s|%d", big, 42), 0);
    assert_int_equal(b.len, 5 + 299 + 3);
    assert_memory_equal(b.data, "head:xxx", 8);
    assert_string_equal(b.data + 5 + 299, "|42");
    hg_buf_release(&b);
}

static void parse_u64_bounds(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(hg_parse_u64z("65535", 65535, &v), 0);
    assert_int_equal(v, 65535);
    assert_int_equal(hg_parse_u64z("65536", 65535, &v), -1);
    assert_int_equal(hg_parse_u64z("18446744073709551615", UINT64_MAX, &v), 0);
    assert_int_equal(hg_parse_u64z("18446744073709551616", UINT64_MAX, &v), -1);  /* overflow */
    assert_int_equal(hg_parse_u64z("", 10, &v), -1);
    assert_int_equal(hg_parse_u64z("-1", 10, &v), -1);
    assert_int_equal(hg_parse_u64z("1 ", 10, &v), -1);
    assert_int_equal(hg_parse_u64z("+1", 10, &v), -1);
}

static void parse_seconds(void **state)
{
    (void)state;
    double d;
    assert_int_equal(hg_parse_seconds("0.5", 100, &d), 0);
    assert_true(d > 0.49 && d < 0.51);
    assert_int_equal(hg_parse_seconds("5", 100, &d), 0);
    assert_true(d == 5.0);
    assert_int_equal(hg_parse_seconds("1.2.3", 100, &d), -1);
    assert_int_equal(hg_parse_seconds("101", 100, &d), -1);
    assert_int_equal(hg_parse_seconds(".", 100, &d), -1);
}

/* The writer gives back exactly what the parser reads, at both ends of the range. */
static void put_u64_writes_what_parse_reads(void **state)
{
    (void)state;
    const uint64_t cases[] = { 0, 7, 10, 4294967295u, UINT64_MAX };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[21];
        char *end = hg_put_u64(text, cases[i]);
        assert_true(end > text && end - text <= 20);
        *end = '\0';
        uint64_t back;
        assert_int_equal(hg_parse_u64z(text, UINT64_MAX, &back), 0);
        assert_true(back == cases[i]);
    }
    char text[21];
    *hg_put_u64(text, UINT64_MAX) = '\0';
    assert_string_equal(text, "18446744073709551615");
    *hg_put_u64(text, 0) = '\0';
    assert_string_equal(text, "0");
}

static void sigv4_header_scope(void **state)
{
    (void)state;
    hg_sigv4_cred c;
    const char *h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/dynamodb/aws4_request, "
                    "SignedHeaders=host;x-amz-date, Signature=abc";
    assert_int_equal(hg_sigv4_parse_credential(h, 0, &c), 0);
    assert_string_equal(c.access_key, "AKIDEXAMPLE");
    assert_string_equal(c.date, "20240101");
    assert_string_equal(c.region, "eu-west-1");
    assert_string_equal(c.service, "dynamodb");
    assert_int_equal(hg_sigv4_parse_credential("AKID/20240101/us-west-2/lambda/aws4_request", 1, &c), 0);
    assert_string_equal(c.region, "us-west-2");
}

static void sigv4_rejects_bad_scopes(void **state)
{
    (void)state;
    hg_sigv4_cred c;
    assert_int_equal(hg_sigv4_parse_credential("Basic Zm9vOmJhcg==", 0, &c), -1);
    assert_int_equal(hg_sigv4_parse_credential("AWS4-HMAC-SHA256 Credential=AK/2024/us-east-1/dynamodb", 0, &c), -1);
    assert_int_equal(hg_sigv4_parse_credential("AWS4-HMAC-SHA256 Credential=AK/20240101/US EAST/dynamodb/aws4_request", 0, &c), -1);
    assert_int_equal(hg_sigv4_parse_credential("AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request/x", 0, &c), -1);
    char longregion[200] = "AK/20240101/";
    memset(longregion + strlen(longregion), 'a', 100);
    strcat(longregion, "/dynamodb/aws4_request");
    assert_int_equal(hg_sigv4_parse_credential(longregion, 1, &c), -1);
}

static void error_first_failure_wins(void **state)
{
    (void)state;
    hg_err e;
    hg_err_clear(&e);
    assert_int_equal(hg_err_validation(&e, "first %d", 1), -1);
    assert_int_equal(hg_err_set(&e, 500, "Other", "second"), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "ValidationException");
    assert_string_equal(e.message, "first 1");
}

/* ---- hg_jw: the tree writer ------------------------------------------------ */

static void tree_of(const hg_jw_source *src, const char *want)
{
    cJSON *t = hg_jw_build_tree(src);
    if (!want) {
        assert_null(t);
        return;
    }
    assert_non_null(t);
    char *got = cJSON_PrintUnformatted(t);
    assert_string_equal(got, want);
    cJSON_free(got);
    cJSON_Delete(t);
}

static void write_cjson(hg_jw *w, const void *ctx) { hg_jw_cjson(w, NULL, ctx); }

/* Producers that break the writer's rules: each must give no tree. */
static void write_unclosed(hg_jw *w, const void *ctx) { (void)ctx; w->ops->open(w, NULL, true, 0); }
static void write_extra_close(hg_jw *w, const void *ctx)
{
    (void)ctx;
    w->ops->open(w, NULL, true, 0);
    w->ops->close(w);
    w->ops->close(w);
}
static void write_two_values(hg_jw *w, const void *ctx)
{
    (void)ctx;
    w->ops->null(w, NULL);
    w->ops->null(w, NULL);
}
static void write_member_without_key(hg_jw *w, const void *ctx)
{
    (void)ctx;
    w->ops->open(w, NULL, false, 1);
    w->ops->string(w, NULL, "x");
    w->ops->close(w);
}
static void write_nested(hg_jw *w, const void *ctx)
{
    int levels = *(const int *)ctx;
    for (int i = 0; i < levels; i++) w->ops->open(w, NULL, true, 1);
    for (int i = 0; i < levels; i++) w->ops->close(w);
}

static void jw_builds_trees(void **state)
{
    (void)state;
    tree_of(&(hg_jw_source){ write_sample, NULL }, JW_SAMPLE_TEXT);
    const char *text = "{\"a\":[1,\"x\",false,null,{\"b\":{}}],\"c\":{}}";
    cJSON *v = cJSON_Parse(text);
    tree_of(&(hg_jw_source){ write_cjson, v }, text);
    cJSON_Delete(v);
    tree_of(&(hg_jw_source){ write_unclosed, NULL }, NULL);
    tree_of(&(hg_jw_source){ write_extra_close, NULL }, NULL);
    tree_of(&(hg_jw_source){ write_two_values, NULL }, NULL);
    tree_of(&(hg_jw_source){ write_member_without_key, NULL }, NULL);
    int levels = HG_JW_MAX_DEPTH;
    cJSON *deep = hg_jw_build_tree(&(hg_jw_source){ write_nested, &levels });
    assert_non_null(deep);
    cJSON_Delete(deep);
    levels = HG_JW_MAX_DEPTH + 1;
    tree_of(&(hg_jw_source){ write_nested, &levels }, NULL);
}

/* hg_uuid4: the v4 layout, and no repeats across threads (each has its own
 * generator: a shared or unseeded state would repeat ids). */
#define UUIDS_PER_THREAD 5000

static void *make_uuids(void *arg)
{
    char (*ids)[HG_UUID_LEN + 1] = arg;
    for (int i = 0; i < UUIDS_PER_THREAD; i++) hg_uuid4(ids[i]);
    return NULL;
}

static int cmp_uuid(const void *a, const void *b) { return strcmp(a, b); }

static void uuid4_shape_and_uniqueness(void **state)
{
    (void)state;
    char (*ids)[HG_UUID_LEN + 1] = calloc(2 * UUIDS_PER_THREAD, HG_UUID_LEN + 1);
    assert_non_null(ids);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, make_uuids, ids + UUIDS_PER_THREAD), 0);
    make_uuids(ids);
    pthread_join(t, NULL);
    for (int i = 0; i < 2 * UUIDS_PER_THREAD; i++) {
        const char *u = ids[i];
        assert_int_equal(strlen(u), HG_UUID_LEN);
        for (int k = 0; k < HG_UUID_LEN; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23) assert_int_equal(u[k], '-');
            else assert_non_null(strchr("0123456789abcdef", u[k]));
        }
        assert_int_equal(u[14], '4');
        assert_non_null(strchr("89ab", u[19]));
    }
    qsort(ids, 2 * UUIDS_PER_THREAD, HG_UUID_LEN + 1, cmp_uuid);
    for (int i = 1; i < 2 * UUIDS_PER_THREAD; i++) assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

/* Lengths that are not a multiple of the generator's 8-byte draws fill
 * exactly n bytes, and all of them: a 13-byte fill over 0x00 and one over
 * 0xff cannot both leave the same byte as it was (chance 2^-8 per byte
 * per call, so 16 tries). */
static void random_bytes_fill_exactly_n(void **state)
{
    (void)state;
    for (int i = 0; i < 13; i++) {
        int changed = 0;
        for (int t = 0; t < 16 && !changed; t++) {
            unsigned char a[16], b[16];
            memset(a, 0x00, sizeof a);
            memset(b, 0xff, sizeof b);
            hg_random_bytes(a, 13);
            hg_random_bytes(b, 13);
            for (int k = 13; k < 16; k++) {
                assert_int_equal(a[k], 0x00);
                assert_int_equal(b[k], 0xff);
            }
            changed = a[i] != 0x00 || b[i] != 0xff;
        }
        assert_true(changed);
    }
}

/* '*' takes any run (none too) and gives characters back when a later part
 * fails; '?' takes exactly one; the whole string must match. */
static void glob_matches_as_policies_do(void **state)
{
    (void)state;
    assert_true(hg_glob("*", "", 0));
    assert_true(hg_glob("", "", 0));
    assert_false(hg_glob("", "a", 0));
    assert_true(hg_glob("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", 0));
    assert_false(hg_glob("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", 0));
    assert_true(hg_glob("a*b*c", "aXbYbZc", 0));        /* the first b is not the one */
    assert_false(hg_glob("a*b*c", "aXbYbZ", 0));
    assert_true(hg_glob("a**", "a", 0));
    assert_true(hg_glob("?", "x", 0));
    assert_false(hg_glob("?", "", 0));
    assert_false(hg_glob("??", "x", 0));
    assert_true(hg_glob("dynamodb:Get?tem", "dynamodb:GetItem", 0));
    assert_false(hg_glob("dynamodb:getitem", "dynamodb:GetItem", 0));
    assert_true(hg_glob("dynamodb:get*", "DynamoDB:GetItem", 1));
    assert_false(hg_glob("*x", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy", 0));
}

static void hex_is_two_lower_case_digits_per_byte(void **state)
{
    (void)state;
    char out[2 * 5 + 1];
    memset(out, 'x', sizeof out);
    hg_hex("\x00\x0f\xa5\xff\x10", 5, out);
    assert_string_equal(out, "000fa5ff10");
    hg_hex("", 0, out);
    assert_string_equal(out, "");
}

/* Known answers: FIPS 180-2's "abc", RFC 4231 test case 2, RFC 4648's "foobar". */
static void crypto_known_answers(void **state)
{
    (void)state;
    unsigned char md[HG_SHA256_LEN];
    char hex[2 * HG_SHA256_LEN + 1];
    hg_sha256("abc", 3, md);
    hg_hex(md, sizeof md, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hg_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md);
    hg_hex(md, sizeof md, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    unsigned char b64[16];
    assert_int_equal(hg_base64_encode(b64, (const unsigned char *)"foobar", 6), 8);
    assert_string_equal((char *)b64, "Zm9vYmFy");
    assert_int_equal(hg_base64_encode(b64, (const unsigned char *)"fo", 2), 4);
    assert_string_equal((char *)b64, "Zm8=");
    unsigned char raw[12];
    assert_int_equal(hg_base64_decode(raw, (const unsigned char *)"Zm9vYmFy", 8), 6);
    assert_memory_equal(raw, "foobar", 6);
    assert_int_equal(hg_base64_decode(raw, (const unsigned char *)"Zm9v!mFy", 8), -1);
    char secret[8] = "s3cr3t!";
    assert_int_equal(hg_secret_cmp(secret, "s3cr3t!", 8), 0);
    assert_int_not_equal(hg_secret_cmp(secret, "s3cr3t?", 8), 0);
    hg_cleanse(secret, sizeof secret);
    assert_memory_equal(secret, "\0\0\0\0\0\0\0\0", 8);
}

/* A library or symbol that is not there is an error naming it, given again
 * by every later call; no slot is left half filled. */
static void dl_reports_what_is_missing(void **state)
{
    (void)state;
    void *first = NULL, *second = NULL;
    const hg_dl_sym one[] = { { "zlibVersion", &first } };
    const hg_dl_sym two[] = { { "zlibVersion", &first }, { "no_such_function_here", &second } };
    hg_dl_lib absent = HG_DL_LIB("libhangar-no-such-library.so.9", one);
    hg_dl_lib short_of_one = HG_DL_LIB("libz.so.1", two);
    hg_dl_lib zlib = HG_DL_LIB("libz.so.1", one);
    hg_err err;
    for (int again = 0; again < 2; again++) {
        hg_err_clear(&err);
        assert_int_equal(hg_dl_load(&absent, &err), -1);
        assert_int_equal(err.status, 500);
        assert_non_null(strstr(err.message, "cannot load libhangar-no-such-library.so.9"));
        hg_err_clear(&err);
        assert_int_equal(hg_dl_load(&short_of_one, &err), -1);
        assert_non_null(strstr(err.message, "no symbol no_such_function_here"));
        assert_null(first);
        assert_null(second);
    }
    assert_int_equal(hg_dl_load(&zlib, NULL), 0);
    assert_non_null(first);
    const char *(*version)(void) = (const char *(*)(void))first;
    assert_true(version()[0] >= '1');                  /* the pointer is zlibVersion itself */
    assert_int_equal(hg_dl_load(&zlib, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_respects_cap),
        cmocka_unit_test(buf_printf_grows),
        cmocka_unit_test(parse_u64_bounds),
        cmocka_unit_test(parse_seconds),
        cmocka_unit_test(put_u64_writes_what_parse_reads),
        cmocka_unit_test(sigv4_header_scope),
        cmocka_unit_test(sigv4_rejects_bad_scopes),
        cmocka_unit_test(error_first_failure_wins),
        cmocka_unit_test(jw_builds_trees),
        cmocka_unit_test(uuid4_shape_and_uniqueness),
        cmocka_unit_test(random_bytes_fill_exactly_n),
        cmocka_unit_test(glob_matches_as_policies_do),
        cmocka_unit_test(hex_is_two_lower_case_digits_per_byte),
        cmocka_unit_test(crypto_known_answers),
        cmocka_unit_test(dl_reports_what_is_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
