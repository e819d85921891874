/*
 * attr.h — DynamoDB AttributeValues as the wire carries them.
 *
 * Items and values stay in the wire form the whole way through (a cJSON
 * object such as {"S":"x"} or {"M":{...}}), so requests, stored items,
 * expression results and responses share one representation and one
 * validator. Stored items are re-serialised cJSON text of validated, canonical
 * values (numbers canonicalised by number.h).
 *
 * Nothing here allocates except where a function says it returns a new cJSON
 * (caller owns it, frees with cJSON_Delete).
 */
#ifndef DDB_ATTR_H
#define DDB_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

/* DynamoDB allows 32 levels of nested M/L. */
#define DDB_MAX_DEPTH 32
/* Item size limit, by AWS's size rules (ddb_item_size). */
#define DDB_MAX_ITEM_SIZE (400 * 1024)
/* Key limits: partition key 2048 bytes, sort key 1024 bytes. */
#define DDB_MAX_HASH_KEY 2048
#define DDB_MAX_RANGE_KEY 1024

typedef enum ddb_type {
    DDB_T_INVALID = 0,
    DDB_T_S, DDB_T_N, DDB_T_B, DDB_T_SS, DDB_T_NS, DDB_T_BS,
    DDB_T_M, DDB_T_L, DDB_T_NULL, DDB_T_BOOL
} ddb_type;

/* The type of a (validated) AttributeValue, DDB_T_INVALID if not one. */
ddb_type ddb_av_type(const cJSON *av);
/* "S", "N", ... for a type; "" for DDB_T_INVALID. */
const char *ddb_type_name(ddb_type t);
/* The payload of an AV: the string of S/N/B (base64 text), the array of a
 * set or L, the object of M, the bool of BOOL. Borrowed. */
const cJSON *ddb_av_payload(const cJSON *av);

/* Validate one AttributeValue as DynamoDB does (exactly one type key; sets
 * non-empty and duplicate-free; numbers valid; B base64; NULL must be true;
 * nesting <= DDB_MAX_DEPTH). Also canonicalises numbers in place (N and NS
 * values are rewritten to canonical text), hence not const.
 * `what` names the value in messages (e.g. the attribute name). */
int ddb_av_validate(cJSON *av, const char *what, hg_err *err);
/* Validate a whole item (object of name -> AV); names non-empty. */
int ddb_item_validate(cJSON *item, hg_err *err);

/* Sizes by AWS's rules: name bytes + value bytes; numbers ~ (digits+1)/2+1;
 * M/L 3 bytes overhead + 1 per element; etc. */
size_t ddb_av_size(const cJSON *av);
size_t ddb_item_size(const cJSON *item);
/* The item as stored: JSON text byte for byte as cJSON_PrintUnformatted
 * writes it (GetItem may answer with it verbatim). New NUL-terminated
 * string, caller frees with free(); NULL when out of memory. */
char *ddb_item_print(const cJSON *item);

/* Deep equality of two AVs (sets compare as sets, numbers numerically). */
bool ddb_av_equal(const cJSON *a, const cJSON *b);

/* Order two scalar AVs of the same type (S by unsigned bytes, N numerically,
 * B by unsigned decoded bytes). Returns 0 and sets *cmp on success; -1 if the
 * values are not comparable (different or non-scalar types). */
int ddb_av_compare(const cJSON *a, const cJSON *b, int *cmp);

/* Decode a B value's base64 into a new malloc'd buffer (caller frees).
 * Returns NULL on bad base64. */
unsigned char *ddb_b64_decode(const char *s, size_t *outlen);
/* Encode bytes as base64 into a new malloc'd NUL-terminated string. */
char *ddb_b64_encode(const unsigned char *p, size_t n);

#endif
