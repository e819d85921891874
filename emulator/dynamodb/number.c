/*
 * number.c — DynamoDB's number type (see number.h for the representation).
 *
 * DynamoDB stores numbers as exact decimals: at most 38 significant digits,
 * magnitude in [1E-130, 9.99..9E+125] or zero. Nothing here uses floating
 * point: parsing, formatting and arithmetic work digit by digit, so ten
 * additions of 0.1 give exactly 1, as they do in DynamoDB.
 *
 * In scientific terms a value d1.d2d3... x 10^e has e = exp - 1 here (our
 * mantissa is 0.d1d2...), so the service's limits "e <= 125" and
 * "e >= -130" become DDB_EXP_MAX and DDB_EXP_MIN below.
 *
 * Accepted text (checked against Java's BigDecimal, which the service's
 * parser follows, and against what dynalite learned from the service):
 *   [+|-] ( digits [ "." [digits] ] | "." digits ) [ (e|E) [+|-] digits ]
 * Anything else, including surrounding spaces, "NaN" and "Infinity", is
 * "The parameter cannot be converted to a numeric value: <text>".
 */
#include "number.h"

#include <string.h>

#define DDB_EXP_MAX 126     /* 9.99..E+125 = 0.999.. x 10^126 */
#define DDB_EXP_MIN (-129)  /* 1E-130 = 0.1 x 10^-129 */
/* Exponents beyond this are out of range whatever the digits; clamping the
 * parsed exponent here keeps all exponent arithmetic far from overflow. */
#define EXP_CLAMP 1000000000LL

#define MSG_NOT_NUMERIC "The parameter cannot be converted to a numeric value"
#define MSG_TOO_PRECISE "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVERFLOW    "Number overflow. Attempting to store a number with magnitude larger than supported range"
#define MSG_UNDERFLOW   "Number underflow. Attempting to store a number with magnitude smaller than supported range"

static int not_numeric(const char *s, size_t len, hg_err *err)
{
    if (len == 0) return hg_err_validation(err, MSG_NOT_NUMERIC);
    int shown = len > HG_ERR_MSG_MAX ? HG_ERR_MSG_MAX : (int)len;
    return hg_err_validation(err, MSG_NOT_NUMERIC ": %.*s", shown, s);
}

/* The range check shared by parse and arithmetic; n is normalised and
 * nonzero. Overflow is reported before underflow before precision, the order
 * in which the service reports them. */
static int check_range(long long exp, long long ndigits, hg_err *err)
{
    if (exp > DDB_EXP_MAX) return hg_err_validation(err, MSG_OVERFLOW);
    if (exp < DDB_EXP_MIN) return hg_err_validation(err, MSG_UNDERFLOW);
    if (ndigits > DDB_NUM_DIGITS) return hg_err_validation(err, MSG_TOO_PRECISE);
    return 0;
}

static void set_zero(ddb_num *n)
{
    memset(n, 0, sizeof *n);
}

int ddb_num_parse(const char *s, size_t len, ddb_num *out, hg_err *err)
{
    size_t i = 0;
    int sign = 1;
    set_zero(out);
    if (!s) return not_numeric("", 0, err);

    if (i < len && (s[i] == '-' || s[i] == '+')) {
        if (s[i] == '-') sign = -1;
        i++;
    }

    /* Mantissa: keep the first DDB_NUM_DIGITS significant digits, and the
     * positions (in the digit stream, ignoring the point) of the first and
     * last nonzero digits, which give the exponent and the precision. */
    long long pos = 0, int_digits = -1;
    long long first_nz = -1, last_nz = -1;
    int seen_digit = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            seen_digit = 1;
            if (c != '0') {
                if (first_nz < 0) first_nz = pos;
                last_nz = pos;
            }
            if (first_nz >= 0 && pos - first_nz < DDB_NUM_DIGITS)
                out->digits[pos - first_nz] = (unsigned char)(c - '0');
            pos++;
        } else if (c == '.' && int_digits < 0) {
            int_digits = pos;
        } else {
            break;
        }
    }
    if (!seen_digit) return not_numeric(s, len, err);
    if (int_digits < 0) int_digits = pos;

    long long e10 = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int esign = 1, edigits = 0;
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+')) {
            if (s[i] == '-') esign = -1;
            i++;
        }
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            edigits++;
            if (e10 < EXP_CLAMP) e10 = e10 * 10 + (s[i] - '0');
        }
        if (edigits == 0) return not_numeric(s, len, err);
        e10 *= esign;
    }
    if (i != len) return not_numeric(s, len, err);

    if (first_nz < 0) return 0;   /* zero, whatever its exponent */

    long long exp = int_digits - first_nz + e10;
    long long ndigits = last_nz - first_nz + 1;
    if (check_range(exp, ndigits, err) != 0) return -1;

    out->sign = sign;
    out->ndigits = (int)ndigits;
    out->exp = (int)exp;
    return 0;
}

int ddb_num_format(const ddb_num *n, char *buf, size_t cap)
{
    size_t k = 0;
#define PUT(ch) do { if (k + 1 >= cap) return -1; buf[k++] = (ch); } while (0)
    if (!buf || cap == 0) return -1;
    if (n->sign == 0 || n->ndigits == 0) {
        PUT('0');
        buf[k] = '\0';
        return (int)k;
    }
    if (n->sign < 0) PUT('-');
    if (n->exp <= 0) {
        PUT('0');
        PUT('.');
        for (int z = 0; z < -n->exp; z++) PUT('0');
        for (int d = 0; d < n->ndigits; d++) PUT((char)('0' + n->digits[d]));
    } else {
        for (int d = 0; d < n->ndigits; d++) {
            if (d == n->exp) PUT('.');
            PUT((char)('0' + n->digits[d]));
        }
        for (int z = n->ndigits; z < n->exp; z++) PUT('0');
    }
    buf[k] = '\0';
    return (int)k;
#undef PUT
}

/* Compare magnitudes of two nonzero normalised numbers. */
static int cmp_abs(const ddb_num *a, const ddb_num *b)
{
    if (a->exp != b->exp) return a->exp < b->exp ? -1 : 1;
    int n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
    for (int i = 0; i < n; i++)
        if (a->digits[i] != b->digits[i]) return a->digits[i] < b->digits[i] ? -1 : 1;
    if (a->ndigits != b->ndigits) return a->ndigits < b->ndigits ? -1 : 1;
    return 0;
}

int ddb_num_cmp(const ddb_num *a, const ddb_num *b)
{
    if (a->sign != b->sign) return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0) return 0;
    int c = cmp_abs(a, b);
    return a->sign > 0 ? c : -c;
}

/*
 * Arithmetic works on a fixed window of decimal places. Inputs are in range,
 * so their digits sit at powers of ten between 10^(DDB_EXP_MAX-1) and
 * 10^(DDB_EXP_MIN-DDB_NUM_DIGITS); a sum can carry one place higher.
 * WIN_TOP is the power of ten of slot 0; slot k holds 10^(WIN_TOP-k).
 */
#define WIN_TOP (DDB_EXP_MAX)
#define WIN_LEN (DDB_EXP_MAX - (DDB_EXP_MIN - DDB_NUM_DIGITS) + 2)

/* Spread n's digits into win (which must be zeroed). Returns 0, or -1 if n
 * is outside the window (a caller passed a number that was never valid). */
static int spread(const ddb_num *n, unsigned char *win)
{
    for (int d = 0; d < n->ndigits; d++) {
        long long slot = (long long)WIN_TOP - (n->exp - 1 - d);
        if (slot < 0 || slot >= WIN_LEN) return -1;
        win[slot] = n->digits[d];
    }
    return 0;
}

/* |a| + |b| or |a| - |b| (needs |a| >= |b|) into out with out's sign. */
static int add_abs(const ddb_num *a, const ddb_num *b, int subtract, int sign,
                   ddb_num *out, hg_err *err)
{
    unsigned char wa[WIN_LEN], wb[WIN_LEN];
    memset(wa, 0, sizeof wa);
    memset(wb, 0, sizeof wb);
    if (spread(a, wa) != 0 || spread(b, wb) != 0)
        return hg_err_validation(err, MSG_OVERFLOW);

    int carry = 0;
    for (int k = WIN_LEN - 1; k >= 0; k--) {
        int v = subtract ? wa[k] - wb[k] - carry : wa[k] + wb[k] + carry;
        if (v < 0) { v += 10; carry = 1; }
        else if (v >= 10) { v -= 10; carry = 1; }
        else carry = 0;
        wa[k] = (unsigned char)v;
    }
    /* slot 0 is 10^WIN_TOP, above any valid input's top digit, so a final
     * carry cannot happen for valid inputs; treat it as overflow anyway. */
    if (carry) return hg_err_validation(err, MSG_OVERFLOW);

    int first = 0, last = WIN_LEN - 1;
    while (first < WIN_LEN && wa[first] == 0) first++;
    set_zero(out);
    if (first == WIN_LEN) return 0;
    while (wa[last] == 0) last--;

    long long exp = (long long)WIN_TOP - first + 1;
    long long ndigits = last - first + 1;
    if (check_range(exp, ndigits, err) != 0) return -1;
    out->sign = sign;
    out->exp = (int)exp;
    out->ndigits = (int)ndigits;
    memcpy(out->digits, wa + first, (size_t)ndigits);
    return 0;
}

int ddb_num_add(const ddb_num *a, const ddb_num *b, ddb_num *out, hg_err *err)
{
    if (a->sign == 0) { *out = *b; return 0; }
    if (b->sign == 0) { *out = *a; return 0; }
    if (a->sign == b->sign) return add_abs(a, b, 0, a->sign, out, err);
    int c = cmp_abs(a, b);
    if (c == 0) { set_zero(out); return 0; }
    /* Signs differ: the larger magnitude keeps its sign. */
    return c > 0 ? add_abs(a, b, 1, a->sign, out, err)
                 : add_abs(b, a, 1, b->sign, out, err);
}

int ddb_num_sub(const ddb_num *a, const ddb_num *b, ddb_num *out, hg_err *err)
{
    ddb_num nb = *b;
    nb.sign = -nb.sign;
    return ddb_num_add(a, &nb, out, err);
}

int ddb_num_canonical(const char *s, size_t len, char *buf, size_t cap, hg_err *err)
{
    ddb_num n;
    if (ddb_num_parse(s, len, &n, err) != 0) return -1;
    if (ddb_num_format(&n, buf, cap) < 0)
        return hg_err_internal(err, "number text buffer too small");
    return 0;
}
