/*
 * keycodec.h — order-preserving encoding of DynamoDB key values.
 *
 * Key attributes (S, N or B) are stored as BLOBs whose memcmp order (SQLite's
 * BLOB collation) is DynamoDB's order: S by unsigned UTF-8 bytes, B by
 * unsigned bytes, N numerically. So range conditions on sort keys become
 * plain BLOB comparisons in SQL, and begins_with becomes a byte range.
 *
 * Encodings:
 *   S: the raw UTF-8 bytes.   B: the raw decoded bytes.
 *   N: a sign/exponent/digit encoding whose byte order is numeric order
 *      (see keycodec.c for the layout).
 * An absent sort key is the empty blob.
 */
#ifndef KEYCODEC_H
#define KEYCODEC_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "hg_buf.h"
#include "hg_error.h"

/* Append the encoding of a scalar key AV ({"S":..},{"N":..},{"B":..}) to out.
 * Fails with ValidationException for other types or invalid values. */
int keycodec_encode(const cJSON *av, hg_buf *out, hg_err *err);

/* For begins_with on S/B sort keys: the smallest blob greater than every blob
 * starting with prefix. Appends it to out; returns 0, or 1 when no upper bound
 * exists (prefix empty or all 0xFF), in which case the range is open-ended and
 * out is untouched; -1 if out's cap is reached. */
int keycodec_prefix_successor(const unsigned char *prefix, size_t n, hg_buf *out);

/* A stable 32-bit hash of an encoded partition key, used to order scans and
 * to split them into parallel Segments (segment = hash * total >> 32). */
uint32_t keycodec_hash(const unsigned char *p, size_t n);

#endif
