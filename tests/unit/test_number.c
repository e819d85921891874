/* test_number.c — DynamoDB numbers: parsing, canonical text, limits, exact arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "number.h"

static ddb_num num(const char *s)
{
    ddb_num n;
    hg_err err;
    hg_err_clear(&err);
    if (ddb_num_parse(s, strlen(s), &n, &err) != 0) fail_msg("parse %s: %s", s, err.message);
    return n;
}

static void assert_canonical(const char *in, const char *want)
{
    char buf[DDB_NUM_TEXT_MAX];
    hg_err err;
    hg_err_clear(&err);
    if (ddb_num_canonical(in, strlen(in), buf, sizeof buf, &err) != 0)
        fail_msg("canonical(%s) failed: %s", in, err.message);
    if (strcmp(buf, want) != 0) fail_msg("canonical(%s) = %s, want %s", in, buf, want);
}

/* Parse must fail with a ValidationException whose message contains `words`. */
static void assert_rejects(const char *in, const char *words)
{
    ddb_num n;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(ddb_num_parse(in, strlen(in), &n, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "ValidationException");
    if (!strstr(err.message, words)) fail_msg("parse(%s): message '%s' lacks '%s'", in, err.message, words);
}

static const char *fmt(const ddb_num *n, char *buf)
{
    assert_true(ddb_num_format(n, buf, DDB_NUM_TEXT_MAX) >= 0);
    return buf;
}

static void test_canonical_forms(void **state)
{
    (void)state;
    assert_canonical("1", "1");
    assert_canonical("-1.5", "-1.5");
    assert_canonical("1.50", "1.5");
    assert_canonical(".5", "0.5");
    assert_canonical("5.", "5");
    assert_canonical("1e3", "1000");
    assert_canonical("1E2", "100");
    assert_canonical("1E-3", "0.001");
    assert_canonical("-1e-3", "-0.001");
    assert_canonical("+1", "1");
    assert_canonical("1e+2", "100");
    assert_canonical("007", "7");
    assert_canonical("00.0100", "0.01");
    assert_canonical("0", "0");
    assert_canonical("-0", "0");
    assert_canonical("0.000", "0");
    assert_canonical("0e999", "0");
    assert_canonical("-0.0e-5", "0");
    assert_canonical("123.456e1", "1234.56");
    assert_canonical("123.456e-5", "0.00123456");
    assert_canonical("12345e-2", "123.45");
    assert_canonical("100", "100");
    assert_canonical("1000000000000000000000000000000000000000000", "1000000000000000000000000000000000000000000");
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *canon[] = { "0", "1", "-1", "0.1", "-0.001", "123456789", "10", "1.0000000001",
                            "99999999999999999999999999999999999999", "-3.14159" };
    for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) assert_canonical(canon[i], canon[i]);
}

static void test_rejections(void **state)
{
    (void)state;
    const char *bad[] = { " 1", "1 ", "abc", "NaN", "Infinity", "-Infinity", "1e", "1e+", "--1",
                          "+-1", "1..2", ".", "-", "+", "e5", "1.2.3", "0x10", "1e5.5", "1,5", "1_000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejects(bad[i], "The parameter cannot be converted to a numeric value");
    /* The bad text is quoted back, as DynamoDB does. */
    assert_rejects("abc", "numeric value: abc");
    /* Empty text has no ": <v>" suffix. */
    hg_err err;
    ddb_num n;
    hg_err_clear(&err);
    assert_int_equal(ddb_num_parse("", 0, &n, &err), -1);
    assert_string_equal(err.message, "The parameter cannot be converted to a numeric value");
    /* Length is honoured: "12" followed by garbage outside len is fine. */
    hg_err_clear(&err);
    assert_int_equal(ddb_num_parse("12x", 2, &n, &err), 0);
}

static void test_precision_limit(void **state)
{
    (void)state;
    /* 38 significant digits fit, 39 do not. */
    assert_canonical("12345678901234567890123456789012345678", "12345678901234567890123456789012345678");
    assert_rejects("123456789012345678901234567890123456789",
                   "Attempting to store more than 38 significant digits in a Number");
    assert_rejects("-1.23456789012345678901234567890123456789",
                   "Attempting to store more than 38 significant digits in a Number");
    /* Leading and trailing zeros are not significant. */
    assert_canonical("000000000012345678901234567890123456789012345678000000",
                     "12345678901234567890123456789012345678000000");
    assert_canonical("0.00000000000000000000000000000000000000000001", "0.00000000000000000000000000000000000000000001");
}

static void test_magnitude_limits(void **state)
{
    (void)state;
    char buf[DDB_NUM_TEXT_MAX];
    ddb_num n = num("1E-130");
    fmt(&n, buf);
    assert_int_equal(strlen(buf), 2 + 129 + 1);   /* "0." + 129 zeros + "1" */
    assert_true(strncmp(buf, "0.000", 5) == 0 && buf[strlen(buf) - 1] == '1');
    n = num("-1E-130");
    assert_int_equal(n.sign, -1);
    num("9.9999999999999999999999999999999999999E+125");
    num("-9.9999999999999999999999999999999999999E+125");
    n = num("1E+125");
    fmt(&n, buf);
    assert_int_equal(strlen(buf), 126);

    assert_rejects("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    assert_rejects("-1e-131", "Number underflow");
    assert_rejects("0.99E-130", "Number underflow");
    assert_rejects("1E+126", "Number overflow. Attempting to store a number with magnitude larger than supported range");
    assert_rejects("-1e126", "Number overflow");
    assert_rejects("10E+125", "Number overflow");
    assert_rejects("1e99999999999999999999999", "Number overflow");
    assert_rejects("1e-99999999999999999999999", "Number underflow");
    /* Overflow is reported before precision, as the service does. */
    assert_rejects("1234567890123456789012345678901234567890e200", "Number overflow");
}

static void test_compare(void **state)
{
    (void)state;
    ddb_num a, b;
    a = num("1"); b = num("10");     assert_int_equal(ddb_num_cmp(&a, &b), -1);
    a = num("9.99"); b = num("10");  assert_int_equal(ddb_num_cmp(&a, &b), -1);
    a = num("1"); b = num("1.0");    assert_int_equal(ddb_num_cmp(&a, &b), 0);
    a = num("-1"); b = num("-10");   assert_int_equal(ddb_num_cmp(&a, &b), 1);
    a = num("-0.5"); b = num("0");   assert_int_equal(ddb_num_cmp(&a, &b), -1);
    a = num("0"); b = num("-0");     assert_int_equal(ddb_num_cmp(&a, &b), 0);
    a = num("1.1"); b = num("1.01"); assert_int_equal(ddb_num_cmp(&a, &b), 1);
    a = num("1E-130"); b = num("0"); assert_int_equal(ddb_num_cmp(&a, &b), 1);
    a = num("100"); b = num("99.999999"); assert_int_equal(ddb_num_cmp(&a, &b), 1);
}

static void test_ten_tenths_make_one(void **state)
{
    (void)state;
    ddb_num sum = num("0"), tenth = num("0.1"), one = num("1");
    hg_err err;
    hg_err_clear(&err);
    for (int i = 0; i < 10; i++) assert_int_equal(ddb_num_add(&sum, &tenth, &sum, &err), 0);
    assert_int_equal(ddb_num_cmp(&sum, &one), 0);
    char buf[DDB_NUM_TEXT_MAX];
    assert_string_equal(fmt(&sum, buf), "1");
}

static void check_op(const char *a, char op, const char *b, const char *want)
{
    ddb_num x = num(a), y = num(b), r;
    hg_err err;
    hg_err_clear(&err);
    int rc = op == '+' ? ddb_num_add(&x, &y, &r, &err) : ddb_num_sub(&x, &y, &r, &err);
    if (rc != 0) fail_msg("%s %c %s failed: %s", a, op, b, err.message);
    char buf[DDB_NUM_TEXT_MAX];
    fmt(&r, buf);
    if (strcmp(buf, want) != 0) fail_msg("%s %c %s = %s, want %s", a, op, b, buf, want);
}

static void check_op_fails(const char *a, char op, const char *b, const char *words)
{
    ddb_num x = num(a), y = num(b), r;
    hg_err err;
    hg_err_clear(&err);
    int rc = op == '+' ? ddb_num_add(&x, &y, &r, &err) : ddb_num_sub(&x, &y, &r, &err);
    assert_int_equal(rc, -1);
    assert_string_equal(err.code, "ValidationException");
    if (!strstr(err.message, words)) fail_msg("%s %c %s: '%s' lacks '%s'", a, op, b, err.message, words);
}

static void test_add_sub(void **state)
{
    (void)state;
    check_op("0.1", '+', "0.2", "0.3");
    check_op("1", '-', "1", "0");
    check_op("1.5", '-', "1.50", "0");
    check_op("-2", '+', "2", "0");
    check_op("5", '-', "7", "-2");
    check_op("-5", '-', "-7", "2");
    check_op("-5", '+', "-7", "-12");
    check_op("0", '-', "3.5", "-3.5");
    check_op("3.5", '+', "0", "3.5");
    check_op("999", '+', "1", "1000");
    check_op("1000", '-', "0.001", "999.999");
    check_op("1E+100", '-', "1E+100", "0");
    check_op("99999999999999999999999999999999999999", '-', "99999999999999999999999999999999999998", "1");
    check_op("1E-130", '+', "1E-130", "0.0000000000000000000000000000000000000000000000000000000000000000"
             "000000000000000000000000000000000000000000000000000000000000000002");
    check_op("1E+125", '+', "1E+125", "2" "0000000000000000000000000000000000000000000000000000000000000000"
             "0000000000000000000000000000000000000000000000000000000000000");
}

static void test_arith_limits(void **state)
{
    (void)state;
    check_op_fails("9.9999999999999999999999999999999999999E+125", '+', "1E+125", "Number overflow");
    check_op_fails("-9.9999999999999999999999999999999999999E+125", '-', "1E+125", "Number overflow");
    check_op_fails("99999999999999999999999999999999999999", '+', "1E-10",
                   "Attempting to store more than 38 significant digits in a Number");
    check_op_fails("1E+100", '+', "1", "more than 38 significant digits");
    /* A difference below 1E-130 underflows. */
    check_op_fails("1.0000000000000000000000000000000000001E-130", '-', "1E-130",
                   "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    {
        ddb_num x = num("1.0000000000000000000000000000000000001E-92"), y = num("1E-92"), r, want = num("1E-129");
        hg_err err;
        hg_err_clear(&err);
        assert_int_equal(ddb_num_sub(&x, &y, &r, &err), 0);
        assert_int_equal(ddb_num_cmp(&r, &want), 0);
    }
    check_op("1.0000000000000000000000000000000000001E-92", '-', "1.0000000000000000000000000000000000001E-92", "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_forms),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_precision_limit),
        cmocka_unit_test(test_magnitude_limits),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_ten_tenths_make_one),
        cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_arith_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
