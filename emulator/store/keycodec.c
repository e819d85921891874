/*
 * keycodec.c — order-preserving key encodings (see keycodec.h).
 *
 * S and B encode as their raw bytes: DynamoDB orders them by unsigned bytes,
 * which is exactly memcmp order, and a shorter prefix sorts first as it does
 * in SQLite's BLOB comparison.
 *
 * N is the interesting one. A ddb_num is sign * 0.d1d2...dn * 10^exp with
 * exp in [-129, 126], no leading or trailing zero digits (number.h), so a
 * number has exactly one encoding:
 *
 *   zero:      0x02
 *   positive:  0x03, (exp + 129), then (d + 1) for each digit
 *   negative:  0x01, 255 - (exp + 129), then (10 - d) for each digit, then 0xFF
 *
 * Why this orders correctly under memcmp:
 *   1. The first byte puts every negative below zero below every positive.
 *   2. Among positives a larger exponent means a larger magnitude (digits are
 *      normalised), and exp + 129 fits one byte exactly (0..255).
 *   3. With equal exponents, digit bytes compare as the digits do; when one
 *      digit string is a prefix of the other, the longer one is larger (its
 *      extra digits end in a nonzero digit), and memcmp also puts the shorter
 *      blob first.
 *   4. Negatives invert 2 and 3: the exponent byte and each digit byte are
 *      complemented, so a larger magnitude sorts lower. The 0xFF terminator,
 *      greater than any inverted digit byte (1..10), makes the shorter digit
 *      string (the smaller magnitude, hence the larger number) sort after its
 *      extensions, where a bare prefix would sort before them.
 * Digit bytes never use 0x00, so the encoding stays friendly to tools that
 * treat blobs as C strings.
 */
#include "keycodec.h"

#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "number.h"

#define NUM_NEGATIVE 0x01
#define NUM_ZERO     0x02
#define NUM_POSITIVE 0x03
#define NUM_EXP_BIAS 129
#define NUM_NEG_END  0xFF

static int encode_number(const char *text, hg_buf *out, hg_err *err)
{
    ddb_num n;
    unsigned char enc[2 + DDB_NUM_DIGITS + 1];
    size_t k = 0;
    if (ddb_num_parse(text, strlen(text), &n, err) != 0) return -1;
    if (n.sign == 0) {
        enc[k++] = NUM_ZERO;
    } else {
        int biased = n.exp + NUM_EXP_BIAS;
        if (biased < 0 || biased > 255) return hg_err_internal(err, "number exponent out of range");
        if (n.sign > 0) {
            enc[k++] = NUM_POSITIVE;
            enc[k++] = (unsigned char)biased;
            for (int i = 0; i < n.ndigits; i++) enc[k++] = (unsigned char)(n.digits[i] + 1);
        } else {
            enc[k++] = NUM_NEGATIVE;
            enc[k++] = (unsigned char)(255 - biased);
            for (int i = 0; i < n.ndigits; i++) enc[k++] = (unsigned char)(10 - n.digits[i]);
            enc[k++] = NUM_NEG_END;
        }
    }
    if (hg_buf_append(out, enc, k) != 0) return hg_err_internal(err, "key buffer full");
    return 0;
}

int keycodec_encode(const cJSON *av, hg_buf *out, hg_err *err)
{
    ddb_type t = ddb_av_type(av);
    const cJSON *v = ddb_av_payload(av);
    if ((t == DDB_T_S || t == DDB_T_N || t == DDB_T_B) && !cJSON_IsString(v))
        return hg_err_validation(err, "Invalid key value: %s must be a string", ddb_type_name(t));
    switch (t) {
    case DDB_T_S:
        if (hg_buf_append(out, v->valuestring, strlen(v->valuestring)) != 0)
            return hg_err_internal(err, "key buffer full");
        return 0;
    case DDB_T_N:
        return encode_number(v->valuestring, out, err);
    case DDB_T_B: {
        size_t len = 0;
        unsigned char *raw = ddb_b64_decode(v->valuestring, &len);
        if (!raw) return hg_err_validation(err, "Invalid key value: B is not valid base64");
        int rc = hg_buf_append(out, raw, len);
        free(raw);
        return rc == 0 ? 0 : hg_err_internal(err, "key buffer full");
    }
    default:
        return hg_err_validation(err, "Invalid key value: key attributes must be of type S, N or B");
    }
}

int keycodec_prefix_successor(const unsigned char *prefix, size_t n, hg_buf *out)
{
    /* Drop trailing 0xFF bytes (nothing follows them at that position), then
     * bump the last byte: every blob starting with prefix sorts below. */
    while (n > 0 && prefix[n - 1] == 0xFF) n--;
    if (n == 0) return 1;
    if (hg_buf_append(out, prefix, n) != 0) return -1;
    ((unsigned char *)out->data)[out->len - 1]++;
    return 0;
}

uint32_t keycodec_hash(const unsigned char *p, size_t n)
{
    /* FNV-1a: stable across runs and platforms, so scan order and segments
     * do not change when the emulator restarts. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
