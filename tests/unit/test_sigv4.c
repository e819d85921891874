/*
 * Unit tests for SigV4 verification (common/hg_sigv4.c), built on AWS's
 * published "Signature Version 4 Test Suite" (access key AKIDEXAMPLE,
 * 20150830T123600Z, us-east-1, service "service"): each vector's request is
 * signed header-form with the suite's SignedHeaders and must verify with the
 * suite's signature; then the failure modes (wrong secret, expired, missing,
 * incomplete, tampered body, presigned URL) on top of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "hg_sigv4.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define NOW    ((time_t)1440938160)          /* 2015-08-30T12:36:00Z */
#define SCOPE  "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct vec {
    const char *name, *method, *path, *query;
    const char *extra[4][2];     /* headers besides host and x-amz-date */
    const char *body;
    const char *signed_headers, *signature;
} vec;

static const vec vectors[] = {
    { "get-vanilla", "GET", "/", "", {{0}}, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", {{0}}, "", "host;x-amz-date",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { "get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1", {{0}}, "", "host;x-amz-date",
      "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
    { "get-vanilla-query-order-key", "GET", "/", "Param1=value2&Param1=Value1", {{0}}, "", "host;x-amz-date",
      "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
    { "get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar", {{0}}, "", "host;x-amz-date",
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
    { "get-vanilla-query-unreserved", "GET", "/",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {{0}}, "", "host;x-amz-date",
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
    { "get-header-value-trim", "GET", "/", "", {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "",
      "host;my-header1;my-header2;x-amz-date",
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
    { "get-header-key-duplicate", "GET", "/", "", {{"My-Header1", "value2"}, {"My-Header1", "value2"},
      {"My-Header1", "value1"}}, "", "host;my-header1;x-amz-date",
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
    { "get-header-value-order", "GET", "/", "", {{"My-Header1", "value4"}, {"My-Header1", "value1"},
      {"My-Header1", "value3"}, {"My-Header1", "value2"}}, "", "host;my-header1;x-amz-date",
      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
    { "get-utf8", "GET", "/\xe1\x88\xb4", "", {{0}}, "", "host;x-amz-date",
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
    { "get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", {{0}}, "",
      "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
    { "normalize-path/get-relative", "GET", "/example/..", "", {{0}}, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "normalize-path/get-relative-relative", "GET", "/example1/example2/../..", "", {{0}}, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "normalize-path/get-slash", "GET", "//", "", {{0}}, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "normalize-path/get-slashes", "GET", "//example//", "", {{0}}, "", "host;x-amz-date",
      "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },
    { "normalize-path/get-slash-pointless-dot", "GET", "/./example", "", {{0}}, "", "host;x-amz-date",
      "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5" },
    { "normalize-path/get-space", "GET", "/example space/", "", {{0}}, "", "host;x-amz-date",
      "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
    { "post-vanilla", "POST", "/", "", {{0}}, "", "host;x-amz-date",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
    { "post-vanilla-query", "POST", "/", "Param1=value1", {{0}}, "", "host;x-amz-date",
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    { "post-header-key-sort", "POST", "/", "", {{"My-Header1", "value1"}}, "", "host;my-header1;x-amz-date",
      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
    { "post-header-value-case", "POST", "/", "", {{"My-Header1", "VALUE1"}}, "", "host;my-header1;x-amz-date",
      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
    { "post-x-www-form-urlencoded", "POST", "/", "", {{"Content-Type", "application/x-www-form-urlencoded"}},
      "Param1=value1", "content-type;host;x-amz-date",
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
    { "post-x-www-form-urlencoded-parameters", "POST", "/", "",
      {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}, "Param1=value1",
      "content-type;host;x-amz-date", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
};

/* A request under construction: its headers, with room for Authorization. */
typedef struct req {
    hg_sigv4_kv h[12];
    char authz[512];
    hg_sigv4_msg m;
} req;

static void build(req *r, const vec *v, const char *signature)
{
    memset(r, 0, sizeof *r);
    size_t n = 0;
    r->h[n++] = (hg_sigv4_kv){ "Host", "example.amazonaws.com" };
    r->h[n++] = (hg_sigv4_kv){ "X-Amz-Date", "20150830T123600Z" };
    for (int i = 0; i < 4 && v->extra[i][0]; i++) r->h[n++] = (hg_sigv4_kv){ v->extra[i][0], v->extra[i][1] };
    snprintf(r->authz, sizeof r->authz, "AWS4-HMAC-SHA256 " SCOPE ", SignedHeaders=%s, Signature=%s",
             v->signed_headers, signature);
    r->h[n++] = (hg_sigv4_kv){ "Authorization", r->authz };
    r->m = (hg_sigv4_msg){ .method = v->method, .raw_path = v->path, .raw_path_len = strlen(v->path),
                           .raw_query = v->query, .headers = r->h, .nheaders = n,
                           .body = v->body, .body_len = strlen(v->body) };
}

static void suite_vectors_verify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        req r;
        build(&r, &vectors[i], vectors[i].signature);
        hg_sigv4_auth a;
        char why[512] = "";
        if (hg_sigv4_parse(&r.m, &a, why, sizeof why) != HG_SIGV4_OK) fail_msg("%s: parse: %s", vectors[i].name, why);
        hg_sigv4_status st = hg_sigv4_verify(&r.m, &a, SECRET, NOW, why, sizeof why);
        if (st != HG_SIGV4_OK) fail_msg("%s: verify: %s", vectors[i].name, why);
    }
}

static void canonical_request_and_string_to_sign(void **state)
{
    (void)state;
    req r;
    build(&r, &vectors[0], vectors[0].signature);
    hg_sigv4_auth a;
    assert_int_equal(hg_sigv4_parse(&r.m, &a, NULL, 0), HG_SIGV4_OK);
    hg_buf cr, sts;
    hg_buf_init(&cr, 65536);
    hg_buf_init(&sts, 65536);
    assert_int_equal(hg_sigv4_canonical_request(&r.m, &a, 1, &cr), 0);
    assert_string_equal(hg_buf_cstr(&cr), "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                          "host;x-amz-date\n" EMPTY_SHA);
    assert_int_equal(hg_sigv4_string_to_sign(&a, hg_buf_cstr(&cr), cr.len, &sts), 0);
    assert_string_equal(hg_buf_cstr(&sts), "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                                           "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    /* get-header-value-trim's canonical headers */
    hg_buf_reset(&cr);
    build(&r, &vectors[6], vectors[6].signature);
    assert_int_equal(hg_sigv4_parse(&r.m, &a, NULL, 0), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_canonical_request(&r.m, &a, 1, &cr), 0);
    assert_non_null(strstr(hg_buf_cstr(&cr), "\nmy-header1:value1\nmy-header2:\"a b c\"\n"));
    /* get-utf8 and get-space: the path encoded */
    hg_buf_reset(&cr);
    build(&r, &vectors[9], vectors[9].signature);
    assert_int_equal(hg_sigv4_parse(&r.m, &a, NULL, 0), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_canonical_request(&r.m, &a, 1, &cr), 0);
    assert_memory_equal(hg_buf_cstr(&cr), "GET\n/%E1%88%B4\n\n", 16);
    hg_buf_release(&cr);
    hg_buf_release(&sts);
}

/* A path as botocore sends a Lambda ARN (already percent-encoded once) is
 * signed with the second encoding: %3A becomes %253A. */
static void path_is_double_encoded(void **state)
{
    (void)state;
    vec v = { "lambda-arn", "GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af",
              "", {{0}}, "", "host;x-amz-date", "0000000000000000000000000000000000000000000000000000000000000000" };
    req r;
    build(&r, &v, v.signature);
    hg_sigv4_auth a;
    assert_int_equal(hg_sigv4_parse(&r.m, &a, NULL, 0), HG_SIGV4_OK);
    hg_buf cr;
    hg_buf_init(&cr, 65536);
    assert_int_equal(hg_sigv4_canonical_request(&r.m, &a, 1, &cr), 0);
    assert_non_null(strstr(hg_buf_cstr(&cr), "\n/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1"));
    /* sign it ourselves, then it verifies; a bit changed, it does not */
    hg_buf sts;
    hg_buf_init(&sts, 65536);
    assert_int_equal(hg_sigv4_string_to_sign(&a, hg_buf_cstr(&cr), cr.len, &sts), 0);
    char sig[65];
    hg_sigv4_signature(SECRET, &a.cred, hg_buf_cstr(&sts), sts.len, sig);
    build(&r, &v, sig);
    assert_int_equal(hg_sigv4_parse(&r.m, &a, NULL, 0), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW, NULL, 0), HG_SIGV4_OK);
    r.m.raw_path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ag";
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW, NULL, 0), HG_SIGV4_MISMATCH);
    hg_buf_release(&cr);
    hg_buf_release(&sts);
}

static void wrong_secret_is_a_mismatch(void **state)
{
    (void)state;
    req r;
    build(&r, &vectors[0], vectors[0].signature);
    hg_sigv4_auth a;
    char why[512];
    assert_int_equal(hg_sigv4_parse(&r.m, &a, why, sizeof why), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&r.m, &a, "not-the-secret", NOW, why, sizeof why), HG_SIGV4_MISMATCH);
    assert_non_null(strstr(why, "The request signature we calculated does not match the signature you provided"));
}

static void tampered_body_is_a_mismatch(void **state)
{
    (void)state;
    req r;
    build(&r, &vectors[21], vectors[21].signature);      /* post-x-www-form-urlencoded */
    hg_sigv4_auth a;
    assert_int_equal(hg_sigv4_parse(&r.m, &a, NULL, 0), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW, NULL, 0), HG_SIGV4_OK);
    r.m.body = "Param1=value2";
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW, NULL, 0), HG_SIGV4_MISMATCH);
    /* a declared payload hash that is not the body's is refused, not trusted */
    r.h[r.m.nheaders++] = (hg_sigv4_kv){ "X-Amz-Content-Sha256", EMPTY_SHA };
    char why[512];
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW, why, sizeof why), HG_SIGV4_MISMATCH);
    assert_non_null(strstr(why, "x-amz-content-sha256"));
}

static void clock_skew_is_fifteen_minutes(void **state)
{
    (void)state;
    req r;
    build(&r, &vectors[0], vectors[0].signature);
    hg_sigv4_auth a;
    char why[512];
    assert_int_equal(hg_sigv4_parse(&r.m, &a, why, sizeof why), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW + 14 * 60, why, sizeof why), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW - 14 * 60, why, sizeof why), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW + 20 * 60, why, sizeof why), HG_SIGV4_EXPIRED);
    assert_string_equal(why, "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z "
                             "(20150830T125600Z - 15 min.)");
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW - 20 * 60, why, sizeof why), HG_SIGV4_EXPIRED);
    assert_non_null(strstr(why, "Signature not yet current: 20150830T123600Z"));
}

static void date_header_stands_in_for_x_amz_date(void **state)
{
    (void)state;
    req r;
    build(&r, &vectors[0], vectors[0].signature);
    r.h[1] = (hg_sigv4_kv){ "Date", "Sun, 30 Aug 2015 12:36:00 GMT" };
    hg_sigv4_auth a;
    char why[512];
    assert_int_equal(hg_sigv4_parse(&r.m, &a, why, sizeof why), HG_SIGV4_OK);
    assert_string_equal(a.amz_date, "20150830T123600Z");
    /* the suite signs x-amz-date; here SignedHeaders names it but it is absent: mismatch */
    assert_int_equal(hg_sigv4_verify(&r.m, &a, SECRET, NOW, why, sizeof why), HG_SIGV4_MISMATCH);
}

static void missing_and_incomplete(void **state)
{
    (void)state;
    hg_sigv4_kv h[3] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" }, { NULL, NULL } };
    hg_sigv4_msg m = { .method = "GET", .raw_path = "/", .raw_path_len = 1, .raw_query = "", .headers = h,
                       .nheaders = 2, .body = "", .body_len = 0 };
    hg_sigv4_auth a;
    char why[512];
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_MISSING);
    assert_string_equal(why, "Request is missing Authentication Token");
    h[2] = (hg_sigv4_kv){ "Authorization", "AWS4-HMAC-SHA256 " SCOPE ", SignedHeaders=host;x-amz-date" };
    m.nheaders = 3;
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_INCOMPLETE);
    assert_non_null(strstr(why, "Authorization header requires 'Signature' parameter."));
    h[2].value = "AWS4-HMAC-SHA256 " SCOPE ", SignedHeaders=x-amz-date, Signature=" EMPTY_SHA;
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_INCOMPLETE);
    assert_non_null(strstr(why, "'Host'"));
    h[2].value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host, Signature="
                 EMPTY_SHA;
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_INCOMPLETE);
    h[1] = (hg_sigv4_kv){ "X-Amz-Date", "2015-08-30" };
    h[2].value = "AWS4-HMAC-SHA256 " SCOPE ", SignedHeaders=host;x-amz-date, Signature=" EMPTY_SHA;
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_INCOMPLETE);
    assert_non_null(strstr(why, "ISO-8601"));
    /* a presigned URL with a part missing */
    h[1] = (hg_sigv4_kv){ "X-Amz-Date", "20150830T123600Z" };
    m.nheaders = 1;
    m.raw_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z";
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_INCOMPLETE);
    assert_non_null(strstr(why, "X-Amz-Credential"));
}

/* Sign a presigned URL the way botocore's SigV4QueryAuth does, then verify. */
static void presigned_query_form(void **state)
{
    (void)state;
    char query[1024];
    const char *base = "Action=ListUsers&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request"
                       "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
    hg_sigv4_kv h[1] = { { "Host", "iam.amazonaws.com" } };
    hg_sigv4_msg m = { .method = "GET", .raw_path = "/", .raw_path_len = 1, .raw_query = base, .headers = h,
                       .nheaders = 1, .body = "", .body_len = 0 };
    snprintf(query, sizeof query, "%s&X-Amz-Signature=%s", base, EMPTY_SHA);
    m.raw_query = query;
    hg_sigv4_auth a;
    char why[512];
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_OK);
    assert_true(a.is_query);
    assert_int_equal(a.expires, 60);
    assert_string_equal(a.cred.service, "iam");
    hg_buf cr, sts;
    hg_buf_init(&cr, 65536);
    hg_buf_init(&sts, 65536);
    assert_int_equal(hg_sigv4_canonical_request(&m, &a, 1, &cr), 0);
    /* the signature itself is not part of what is signed */
    assert_null(strstr(hg_buf_cstr(&cr), "X-Amz-Signature"));
    assert_non_null(strstr(hg_buf_cstr(&cr), "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request"));
    assert_int_equal(hg_sigv4_string_to_sign(&a, hg_buf_cstr(&cr), cr.len, &sts), 0);
    char sig[65];
    hg_sigv4_signature(SECRET, &a.cred, hg_buf_cstr(&sts), sts.len, sig);
    snprintf(query, sizeof query, "%s&X-Amz-Signature=%s", base, sig);
    assert_int_equal(hg_sigv4_parse(&m, &a, why, sizeof why), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&m, &a, SECRET, NOW + 30, why, sizeof why), HG_SIGV4_OK);
    assert_int_equal(hg_sigv4_verify(&m, &a, SECRET, NOW + 61, why, sizeof why), HG_SIGV4_EXPIRED);
    assert_non_null(strstr(why, "Signature expired"));
    assert_int_equal(hg_sigv4_verify(&m, &a, "wrong", NOW + 30, why, sizeof why), HG_SIGV4_MISMATCH);
    hg_buf_release(&cr);
    hg_buf_release(&sts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suite_vectors_verify),
        cmocka_unit_test(canonical_request_and_string_to_sign),
        cmocka_unit_test(path_is_double_encoded),
        cmocka_unit_test(wrong_secret_is_a_mismatch),
        cmocka_unit_test(tampered_body_is_a_mismatch),
        cmocka_unit_test(clock_skew_is_fifteen_minutes),
        cmocka_unit_test(date_header_stands_in_for_x_amz_date),
        cmocka_unit_test(missing_and_incomplete),
        cmocka_unit_test(presigned_query_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
