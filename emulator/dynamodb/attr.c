/*
 * attr.c — DynamoDB AttributeValues in wire form (see attr.h).
 *
 * One validator for every AV that enters the service: items, keys,
 * ExpressionAttributeValues, start keys. After ddb_av_validate succeeds an AV
 * is canonical:
 *   1. it is an object with exactly one member, whose name is a type name;
 *      members that are JSON null or not a DynamoDB type were dropped, as the
 *      service's deserializer ignores them;
 *   2. N and NS members are canonical number text (number.h), so numerically
 *      equal numbers are textually equal;
 *   3. B and BS members are strict base64 (length a multiple of 4, padding
 *      only at the end, unused trailing bits zero), so equal bytes are equal
 *      text;
 *   4. sets are non-empty and duplicate-free; M/L nest at most DDB_MAX_DEPTH
 *      levels, counting the attribute's own value as level 1.
 * Because of 2 and 3, comparisons of validated values could be textual; the
 * comparison functions still parse numbers so they also work on raw input.
 *
 * Messages are the service's own words where known (dynalite's test suite
 * records them from the real service).
 */
#include "attr.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg_crypto.h"
#include "number.h"

#define MSG_INVALID "One or more parameter values were invalid: "

static const struct { const char *name; ddb_type type; } type_names[] = {
    { "S", DDB_T_S },   { "N", DDB_T_N },   { "B", DDB_T_B },
    { "SS", DDB_T_SS }, { "NS", DDB_T_NS }, { "BS", DDB_T_BS },
    { "M", DDB_T_M },   { "L", DDB_T_L },   { "NULL", DDB_T_NULL },
    { "BOOL", DDB_T_BOOL },
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

static ddb_type type_of_name(const char *name)
{
    if (!name) return DDB_T_INVALID;
    for (size_t i = 0; i < NTYPES; i++)
        if (strcmp(type_names[i].name, name) == 0) return type_names[i].type;
    return DDB_T_INVALID;
}

const char *ddb_type_name(ddb_type t)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (type_names[i].type == t) return type_names[i].name;
    return "";
}

ddb_type ddb_av_type(const cJSON *av)
{
    if (!cJSON_IsObject(av) || !av->child || av->child->next) return DDB_T_INVALID;
    return type_of_name(av->child->string);
}

const cJSON *ddb_av_payload(const cJSON *av)
{
    return cJSON_IsObject(av) ? av->child : NULL;
}

/* ---- base64 ------------------------------------------------------------- */

/* Strict base64 check. Returns NULL if s is valid, else why it is not. */
static const char *b64_problem(const char *s, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (len % 4 != 0) return "Base64 encoded length is expected a multiple of 4 bytes";
    size_t pad = 0;
    if (len >= 1 && s[len - 1] == '=') pad++;
    if (len >= 2 && s[len - 2] == '=') pad++;
    for (size_t i = 0; i < len - pad; i++)
        if (!s[i] || !strchr(alphabet, s[i])) return "Invalid Base64 character";
    if (pad) {
        /* The bits after the last full byte must be zero, or two texts would
         * decode to the same bytes. */
        const char *last = strchr(alphabet, s[len - pad - 1]);
        int v = (int)(last - alphabet);
        if ((pad == 1 && (v & 0x03)) || (pad == 2 && (v & 0x0F)))
            return "Invalid last non-pad Base64 character detected";
    }
    return NULL;
}

/* Decoded length of valid base64 text. */
static size_t b64_decoded_len(const char *s, size_t len)
{
    size_t pad = 0;
    if (len >= 1 && s[len - 1] == '=') pad++;
    if (len >= 2 && s[len - 2] == '=') pad++;
    return len / 4 * 3 - pad;
}

unsigned char *ddb_b64_decode(const char *s, size_t *outlen)
{
    if (!s) return NULL;
    size_t len = strlen(s);
    if (b64_problem(s, len) || len > INT_MAX) return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out) return NULL;
    if (len > 0 && hg_base64_decode(out, (const unsigned char *)s, (int)len) < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the pad positions as zero bytes; drop them. */
    *outlen = b64_decoded_len(s, len);
    return out;
}

char *ddb_b64_encode(const unsigned char *p, size_t n)
{
    if (n > (size_t)INT_MAX / 4 * 3 - 3) return NULL;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out) return NULL;
    hg_base64_encode((unsigned char *)out, p, (int)n);   /* writes the NUL */
    return out;
}

/* ---- validation ---------------------------------------------------------- */

static int serialization_error(hg_err *err, const char *what, const char *problem)
{
    return hg_err_set(err, 400, "SerializationException", "%s%s%s",
                      what && *what ? what : "", what && *what ? ": " : "", problem);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "[a, b, c]" (the service's rendering of a collection) into buf. */
static void render_collection(const cJSON *arr, char *buf, size_t cap)
{
    size_t k = 0;
    int first = 1;
    k += (size_t)snprintf(buf, cap, "[");
    for (const cJSON *m = arr->child; m && k < cap; m = m->next) {
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", first ? "" : ", ", m->valuestring);
        first = 0;
    }
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

/* Whether the (string) members of a set repeat. Members are canonical text
 * by now, so textual equality is value equality. *oom set on allocation failure. */
static int has_duplicates(const cJSON *arr, int *oom)
{
    int n = cJSON_GetArraySize(arr), i = 0, dup = 0;
    *oom = 0;
    if (n < 2) return 0;
    const char **v = malloc((size_t)n * sizeof *v);
    if (!v) { *oom = 1; return 0; }
    for (const cJSON *m = arr->child; m; m = m->next) v[i++] = m->valuestring;
    qsort(v, (size_t)n, sizeof *v, cmp_cstr);
    for (i = 1; i < n && !dup; i++) dup = strcmp(v[i - 1], v[i]) == 0;
    free(v);
    return dup;
}

/* Parse and rewrite one number string in place. */
static int canonicalise_number(cJSON *s, hg_err *err)
{
    char buf[DDB_NUM_TEXT_MAX];
    const char *text = s->valuestring;
    if (ddb_num_canonical(text, strlen(text), buf, sizeof buf, err) != 0) return -1;
    if (strcmp(buf, text) != 0 && !cJSON_SetValuestring(s, buf))
        return hg_err_internal(err, "out of memory");
    return 0;
}

static int validate_level(cJSON *av, int level, const char *what, hg_err *err);

static int check_string_set(const cJSON *arr, const char *what, hg_err *err)
{
    for (const cJSON *m = arr->child; m; m = m->next)
        if (!cJSON_IsString(m)) return serialization_error(err, what, "set members must be strings");
    return 0;
}

static int validate_member(cJSON *v, ddb_type t, int level, const char *what, hg_err *err)
{
    char coll[HG_ERR_MSG_MAX];
    int oom = 0;
    switch (t) {
    case DDB_T_S:
        if (!cJSON_IsString(v)) return serialization_error(err, what, "S must be a string");
        return 0;
    case DDB_T_N:
        if (!cJSON_IsString(v)) return serialization_error(err, what, "N must be a string");
        return canonicalise_number(v, err);
    case DDB_T_B: {
        if (!cJSON_IsString(v)) return serialization_error(err, what, "B must be a base64 string");
        const char *why = b64_problem(v->valuestring, strlen(v->valuestring));
        return why ? serialization_error(err, what, why) : 0;
    }
    case DDB_T_SS:
        if (!cJSON_IsArray(v)) return serialization_error(err, what, "SS must be a list");
        if (!v->child) return hg_err_validation(err, MSG_INVALID "An string set  may not be empty");
        if (check_string_set(v, what, err) != 0) return -1;
        if (has_duplicates(v, &oom)) {
            render_collection(v, coll, sizeof coll);
            return hg_err_validation(err, MSG_INVALID "Input collection %s contains duplicates.", coll);
        }
        return oom ? hg_err_internal(err, "out of memory") : 0;
    case DDB_T_NS:
        if (!cJSON_IsArray(v)) return serialization_error(err, what, "NS must be a list");
        if (!v->child) return hg_err_validation(err, MSG_INVALID "An number set  may not be empty");
        if (check_string_set(v, what, err) != 0) return -1;
        for (cJSON *m = v->child; m; m = m->next)
            if (canonicalise_number(m, err) != 0) return -1;
        if (has_duplicates(v, &oom)) return hg_err_validation(err, "Input collection contains duplicates");
        return oom ? hg_err_internal(err, "out of memory") : 0;
    case DDB_T_BS:
        if (!cJSON_IsArray(v)) return serialization_error(err, what, "BS must be a list");
        if (!v->child) return hg_err_validation(err, MSG_INVALID "Binary sets should not be empty");
        if (check_string_set(v, what, err) != 0) return -1;
        for (const cJSON *m = v->child; m; m = m->next) {
            const char *why = b64_problem(m->valuestring, strlen(m->valuestring));
            if (why) return serialization_error(err, what, why);
        }
        if (has_duplicates(v, &oom)) {
            render_collection(v, coll, sizeof coll);
            return hg_err_validation(err, MSG_INVALID "Input collection %sof type BS contains duplicates.", coll);
        }
        return oom ? hg_err_internal(err, "out of memory") : 0;
    case DDB_T_M:
        if (!cJSON_IsObject(v)) return serialization_error(err, what, "M must be a map");
        for (cJSON *m = v->child; m; m = m->next)
            if (validate_level(m, level + 1, what, err) != 0) return -1;
        return 0;
    case DDB_T_L:
        if (!cJSON_IsArray(v)) return serialization_error(err, what, "L must be a list");
        for (cJSON *m = v->child; m; m = m->next)
            if (validate_level(m, level + 1, what, err) != 0) return -1;
        return 0;
    case DDB_T_NULL:
        if (!cJSON_IsBool(v)) return serialization_error(err, what, "NULL must be a boolean");
        if (!cJSON_IsTrue(v))
            return hg_err_validation(err, MSG_INVALID "Null attribute value types must have the value of true");
        return 0;
    case DDB_T_BOOL:
        if (!cJSON_IsBool(v)) return serialization_error(err, what, "BOOL must be a boolean");
        return 0;
    case DDB_T_INVALID:
        break;
    }
    return hg_err_internal(err, "unknown attribute type");
}

static int validate_level(cJSON *av, int level, const char *what, hg_err *err)
{
    if (level > DDB_MAX_DEPTH)
        return hg_err_validation(err, "Nesting Levels have exceeded supported limits: "
                                      "Attributes in the item have nested levels beyond supported limit");
    if (!cJSON_IsObject(av)) return serialization_error(err, what, "an AttributeValue must be a JSON object");

    /* Drop members the service's deserializer would not see. */
    cJSON *m = av->child;
    while (m) {
        cJSON *next = m->next;
        if (cJSON_IsNull(m) || type_of_name(m->string) == DDB_T_INVALID)
            cJSON_Delete(cJSON_DetachItemViaPointer(av, m));
        m = next;
    }
    if (!av->child)
        return hg_err_validation(err, "Supplied AttributeValue is empty, "
                                      "must contain exactly one of the supported datatypes");
    /* Each member's own problems are reported before "more than one", as the
     * service does. */
    for (m = av->child; m; m = m->next)
        if (validate_member(m, type_of_name(m->string), level, what, err) != 0) return -1;
    if (av->child->next)
        return hg_err_validation(err, "Supplied AttributeValue has more than one datatypes set, "
                                      "must contain exactly one of the supported datatypes");
    return 0;
}

int ddb_av_validate(cJSON *av, const char *what, hg_err *err)
{
    return validate_level(av, 1, what, err);
}

int ddb_item_validate(cJSON *item, hg_err *err)
{
    if (!cJSON_IsObject(item)) return serialization_error(err, "Item", "must be a map of attribute values");
    for (cJSON *a = item->child; a; a = a->next) {
        if (!a->string || !a->string[0])
            return hg_err_validation(err, MSG_INVALID "An attribute name may not be empty");
        if (ddb_av_validate(a, a->string, err) != 0) return -1;
    }
    return 0;
}

/* ---- sizes --------------------------------------------------------------- */

static size_t number_size(const char *text)
{
    ddb_num n;
    if (ddb_num_parse(text, strlen(text), &n, NULL) != 0) return strlen(text);
    /* One byte per two significant digits, plus one. */
    return (size_t)(n.ndigits + 1) / 2 + 1;
}

static size_t string_bytes(const cJSON *s)
{
    return cJSON_IsString(s) ? strlen(s->valuestring) : 0;
}

static size_t binary_bytes(const cJSON *s)
{
    if (!cJSON_IsString(s)) return 0;
    size_t len = strlen(s->valuestring);
    return len % 4 == 0 ? b64_decoded_len(s->valuestring, len) : len / 4 * 3;
}

size_t ddb_av_size(const cJSON *av)
{
    const cJSON *v = ddb_av_payload(av);
    size_t size = 0;
    if (!v) return 0;
    switch (type_of_name(v->string)) {
    case DDB_T_S: return string_bytes(v);
    case DDB_T_N: return cJSON_IsString(v) ? number_size(v->valuestring) : 0;
    case DDB_T_B: return binary_bytes(v);
    case DDB_T_SS:
        for (const cJSON *m = v->child; m; m = m->next) size += string_bytes(m);
        return size;
    case DDB_T_NS:
        for (const cJSON *m = v->child; m; m = m->next)
            if (cJSON_IsString(m)) size += number_size(m->valuestring);
        return size;
    case DDB_T_BS:
        for (const cJSON *m = v->child; m; m = m->next) size += binary_bytes(m);
        return size;
    case DDB_T_M:
        size = 3;   /* overhead of any map, plus one byte per element */
        for (const cJSON *m = v->child; m; m = m->next)
            size += 1 + (m->string ? strlen(m->string) : 0) + ddb_av_size(m);
        return size;
    case DDB_T_L:
        size = 3;
        for (const cJSON *m = v->child; m; m = m->next) size += 1 + ddb_av_size(m);
        return size;
    case DDB_T_NULL:
    case DDB_T_BOOL:
        return 1;
    case DDB_T_INVALID:
        break;
    }
    return 0;
}

size_t ddb_item_size(const cJSON *item)
{
    size_t size = 0;
    if (!cJSON_IsObject(item)) return 0;
    for (const cJSON *a = item->child; a; a = a->next)
        size += (a->string ? strlen(a->string) : 0) + ddb_av_size(a);
    return size;
}

/* ---- the stored text ------------------------------------------------------
 * cJSON_PrintUnformatted goes through its generic printer value by value,
 * growing its buffer as it goes: a fifth of a small put outside SQLite.
 * Items hold only objects, arrays, strings, booleans and null (validated),
 * so the text is sized in one pass and written in a second into one block.
 * The bytes are cJSON's: the same escapes (", \, \b \f \n \r \t, other
 * controls as \u00xx), everything else, UTF-8 included, as it is. Anything
 * else in the tree (a number, raw text) is left to cJSON whole. */

#define PRINT_MAX_DEPTH 64   /* items nest at most 32 levels; deeper goes to cJSON */

/* Bytes each byte takes in a JSON string: 1 as it is, 2 as \" \\ \b \f \n
 * \r \t, 6 as \u00xx; 0 for the terminating NUL. Runs of plain bytes are
 * then found with one load and compare per byte. */
static const unsigned char json_bytes[256] = {
    0, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 6, 2, 2, 6, 6,
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static size_t print_string_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = 2;
    for (;;) {
        const unsigned char *run = p;
        while (json_bytes[*p] == 1) p++;
        n += (size_t)(p - run);
        if (!*p) return n;
        n += json_bytes[*p++];
    }
}

/* Bytes of v's text; 0 when this printer does not write v. */
static size_t print_len(const cJSON *v, int depth)
{
    switch (v->type & 0xFF) {
    case cJSON_String: return print_string_len(v->valuestring);
    case cJSON_True:   return 4;
    case cJSON_False:  return 5;
    case cJSON_NULL:   return 4;
    case cJSON_Array:
    case cJSON_Object: {
        if (depth >= PRINT_MAX_DEPTH) return 0;
        bool object = (v->type & 0xFF) == cJSON_Object;
        size_t n = 2;
        for (const cJSON *c = v->child; c; c = c->next) {
            size_t m = print_len(c, depth + 1);
            if (m == 0) return 0;
            n += m + (c != v->child) + (object ? print_string_len(c->string) + 1 : 0);
        }
        return n;
    }
    default: return 0;
    }
}

static char *print_string(char *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    *o++ = '"';
    for (;;) {
        const unsigned char *run = p;
        while (json_bytes[*p] == 1) p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        unsigned char c = *p++;
        if (!c) break;
        *o++ = '\\';
        switch (c) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    return o;
}

/* Write v (print_len said this printer can) at o; returns the end. */
static char *print_value(char *o, const cJSON *v)
{
    switch (v->type & 0xFF) {
    case cJSON_String: return print_string(o, v->valuestring);
    case cJSON_True:   memcpy(o, "true", 4); return o + 4;
    case cJSON_False:  memcpy(o, "false", 5); return o + 5;
    case cJSON_NULL:   memcpy(o, "null", 4); return o + 4;
    default: {
        bool object = (v->type & 0xFF) == cJSON_Object;
        *o++ = object ? '{' : '[';
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) *o++ = ',';
            if (object) {
                o = print_string(o, c->string);
                *o++ = ':';
            }
            o = print_value(o, c);
        }
        *o++ = object ? '}' : ']';
        return o;
    }
    }
}

char *ddb_item_print(const cJSON *item)
{
    size_t n = item ? print_len(item, 0) : 0;
    if (n == 0) {
        /* cJSON's allocator may not be malloc: hand back a malloc'd copy. */
        char *text = item ? cJSON_PrintUnformatted(item) : NULL;
        char *copy = text ? strdup(text) : NULL;
        cJSON_free(text);
        return copy;
    }
    char *out = malloc(n + 1);
    if (!out) return NULL;
    char *end = print_value(out, item);
    *end = '\0';
    return out;
}

/* ---- equality and order -------------------------------------------------- */

static int parse_num(const cJSON *s, ddb_num *n)
{
    return cJSON_IsString(s) ? ddb_num_parse(s->valuestring, strlen(s->valuestring), n, NULL) : -1;
}

static bool strings_equal(const cJSON *a, const cJSON *b)
{
    return cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
}

static bool numbers_equal(const cJSON *a, const cJSON *b)
{
    ddb_num x, y;
    if (parse_num(a, &x) != 0 || parse_num(b, &y) != 0) return strings_equal(a, b);
    return ddb_num_cmp(&x, &y) == 0;
}

static int cmp_num(const void *a, const void *b)
{
    return ddb_num_cmp(a, b);
}

/* Sets are equal when they have the same members in any order. Members are
 * sorted copies: numbers numerically, strings and base64 by text (strict
 * base64 makes text equality byte equality). */
static bool sets_equal(const cJSON *a, const cJSON *b, bool numeric)
{
    int n = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a) || !cJSON_IsArray(b) || n != cJSON_GetArraySize(b)) return false;
    if (n == 0) return true;
    bool equal = true;
    if (numeric) {
        ddb_num *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
        int i = 0;
        if (!x || !y) equal = false;
        for (const cJSON *m = a->child, *k = b->child; equal && m && k; m = m->next, k = k->next, i++)
            if (parse_num(m, &x[i]) != 0 || parse_num(k, &y[i]) != 0) equal = false;
        if (equal) {
            qsort(x, (size_t)n, sizeof *x, cmp_num);
            qsort(y, (size_t)n, sizeof *y, cmp_num);
            for (i = 0; i < n && equal; i++) equal = ddb_num_cmp(&x[i], &y[i]) == 0;
        }
        free(x);
        free(y);
        return equal;
    }
    const char **x = malloc((size_t)n * sizeof *x), **y = malloc((size_t)n * sizeof *y);
    int i = 0;
    if (!x || !y) equal = false;
    for (const cJSON *m = a->child, *k = b->child; equal && m && k; m = m->next, k = k->next, i++) {
        if (!cJSON_IsString(m) || !cJSON_IsString(k)) equal = false;
        else { x[i] = m->valuestring; y[i] = k->valuestring; }
    }
    if (equal) {
        qsort(x, (size_t)n, sizeof *x, cmp_cstr);
        qsort(y, (size_t)n, sizeof *y, cmp_cstr);
        for (i = 0; i < n && equal; i++) equal = strcmp(x[i], y[i]) == 0;
    }
    free(x);
    free(y);
    return equal;
}

bool ddb_av_equal(const cJSON *a, const cJSON *b)
{
    ddb_type t = ddb_av_type(a);
    if (t == DDB_T_INVALID || t != ddb_av_type(b)) return false;
    const cJSON *x = a->child, *y = b->child;
    switch (t) {
    case DDB_T_S:
    case DDB_T_B:
        return strings_equal(x, y);
    case DDB_T_N:
        return numbers_equal(x, y);
    case DDB_T_SS:
    case DDB_T_BS:
        return sets_equal(x, y, false);
    case DDB_T_NS:
        return sets_equal(x, y, true);
    case DDB_T_M: {
        if (!cJSON_IsObject(x) || !cJSON_IsObject(y)) return false;
        if (cJSON_GetArraySize(x) != cJSON_GetArraySize(y)) return false;
        for (const cJSON *m = x->child; m; m = m->next) {
            const cJSON *other = cJSON_GetObjectItemCaseSensitive(y, m->string);
            if (!other || !ddb_av_equal(m, other)) return false;
        }
        return true;
    }
    case DDB_T_L: {
        if (!cJSON_IsArray(x) || !cJSON_IsArray(y)) return false;
        const cJSON *m = x->child, *k = y->child;
        for (; m && k; m = m->next, k = k->next)
            if (!ddb_av_equal(m, k)) return false;
        return !m && !k;
    }
    case DDB_T_NULL:
        return true;
    case DDB_T_BOOL:
        return cJSON_IsBool(x) && cJSON_IsBool(y) && cJSON_IsTrue(x) == cJSON_IsTrue(y);
    case DDB_T_INVALID:
        break;
    }
    return false;
}

static int sign_of(int v) { return (v > 0) - (v < 0); }

int ddb_av_compare(const cJSON *a, const cJSON *b, int *cmp)
{
    ddb_type t = ddb_av_type(a);
    if (t != ddb_av_type(b)) return -1;
    const cJSON *x = a->child, *y = b->child;
    switch (t) {
    case DDB_T_S:
        /* strcmp compares as unsigned char: UTF-8 byte order. */
        if (!cJSON_IsString(x) || !cJSON_IsString(y)) return -1;
        *cmp = sign_of(strcmp(x->valuestring, y->valuestring));
        return 0;
    case DDB_T_N: {
        ddb_num p, q;
        if (parse_num(x, &p) != 0 || parse_num(y, &q) != 0) return -1;
        *cmp = ddb_num_cmp(&p, &q);
        return 0;
    }
    case DDB_T_B: {
        size_t lp = 0, lq = 0;
        unsigned char *p = cJSON_IsString(x) ? ddb_b64_decode(x->valuestring, &lp) : NULL;
        unsigned char *q = cJSON_IsString(y) ? ddb_b64_decode(y->valuestring, &lq) : NULL;
        int rc = -1;
        if (p && q) {
            int c = memcmp(p, q, lp < lq ? lp : lq);
            *cmp = c ? sign_of(c) : (lp > lq) - (lp < lq);
            rc = 0;
        }
        free(p);
        free(q);
        return rc;
    }
    default:
        return -1;
    }
}
