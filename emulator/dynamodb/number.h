/*
 * number.h — DynamoDB's number type: exact decimals of up to 38 significant
 * digits, magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125
 * (and zero), as the service defines them.
 *
 * A ddb_num is a value type (no heap). Invariants of a parsed or computed num:
 *   1. sign is -1, 0 or +1; sign == 0 iff ndigits == 0 (the number is zero).
 *   2. digits[0..ndigits-1] are 0..9, digits[0] != 0 and digits[ndigits-1] != 0
 *      (no leading or trailing zeros), ndigits <= DDB_NUM_DIGITS.
 *   3. value = sign * 0.d1 d2 ... dn * 10^exp.
 * So two equal values have identical representations, and cmp is structural.
 */
#ifndef DDB_NUMBER_H
#define DDB_NUMBER_H

#include <stddef.h>
#include "hg_error.h"

#define DDB_NUM_DIGITS 38
/* Longest canonical text: sign, 38 digits, a point, and up to 130 zeros of
 * padding for the smallest magnitudes (we print plain, never E-notation). */
#define DDB_NUM_TEXT_MAX 200

typedef struct ddb_num {
    int sign;
    int ndigits;
    int exp;
    unsigned char digits[DDB_NUM_DIGITS];
} ddb_num;

/* Parse DynamoDB's textual number (as in {"N": "..."}): optional sign,
 * digits with optional point, optional exponent. Leading/trailing spaces are
 * rejected. Fails with ValidationException worded as DynamoDB words it
 * (e.g. "The parameter cannot be converted to a numeric value: abc",
 * "Attempting to store more than 38 significant digits in a Number",
 * "Number overflow. Attempting to store a number with magnitude larger than supported range",
 * "Number underflow. Attempting to store a number with magnitude smaller than supported range"). */
int ddb_num_parse(const char *s, size_t len, ddb_num *out, hg_err *err);

/* Canonical text as DynamoDB returns it ("1.5" for "1.50", "100" for "1E2",
 * "-0.001", "0"). Returns the length written (< cap) or -1 if cap is short. */
int ddb_num_format(const ddb_num *n, char *buf, size_t cap);

/* -1, 0, +1 by numeric value. */
int ddb_num_cmp(const ddb_num *a, const ddb_num *b);

/* Exact a + b and a - b. Results that need more than 38 significant digits or
 * leave the magnitude range fail with DynamoDB's ValidationException
 * ("Number overflow..." / "... more than 38 significant digits"). */
int ddb_num_add(const ddb_num *a, const ddb_num *b, ddb_num *out, hg_err *err);
int ddb_num_sub(const ddb_num *a, const ddb_num *b, ddb_num *out, hg_err *err);

/* Convenience: parse, format back; used to canonicalise stored numbers. */
int ddb_num_canonical(const char *s, size_t len, char *buf, size_t cap, hg_err *err);

#endif
