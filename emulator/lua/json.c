/*
 * json.c — the `json` module handlers see, the JSON text <-> Lua codec the
 * module and the invoke path use (event in, result out), and the cJSON <->
 * Lua bridge aws.* uses (the C side of DynamoDB speaks cJSON).
 *
 * Lua has one table type where JSON has two, so the bridge keeps the
 * difference in metatables: decoded arrays carry json.array_mt, decoded
 * objects json.object_mt, and json.array(t)/json.object(t) let a handler mark
 * its own. An unmarked table is an array when its keys are exactly 1..n
 * (n > 0), else an object; an empty unmarked table is `{}`. JSON null is
 * json.null, a light userdata (never nil, which a table cannot hold).
 *
 * Numbers (text codec): a numeral without fraction or exponent is a Lua
 * integer when it fits int64 (every digit kept), else a float; a numeral
 * with a fraction or exponent is always a float ("7.0" stays a float).
 * Encoded integers are written with every digit; floats the shortest way
 * that reads back the same, with ".0" added when that looks like an integer;
 * NaN and infinities are refused (JSON has no spelling for them).
 * Strings: every \u escape (surrogate pairs; a lone surrogate becomes
 * U+FFFD) and NUL survive; on output invalid UTF-8 bytes become U+FFFD.
 * The cJSON bridge keeps its older rule (integral values within 2^53 become
 * integers) since DynamoDB's numbers travel as strings anyway.
 *
 * Invariants:
 *   1. The text codec builds everything with the Lua API — tables, strings,
 *      and its output buffer (a userdata) — so memory counts against the
 *      function's cap and a raise (memory, deadline, bad input) leaks nothing.
 *      Both ask hlua_poll every few thousand values: they are C loops the
 *      count hook never interrupts.
 *   2. hlua_to_json never raises (only raw, non-allocating API calls), so it
 *      can build C memory freely.
 *   3. Every push of cJSON content runs under lua_pcall while the caller
 *      still owns the cJSON, so a memory error cannot leak it.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_internal.h"

/* Registry keys (addresses are unique; light userdata keys never allocate). */
static const char array_key = 'a';
static const char object_key = 'o';
static const char null_sentinel = 'n';

/* ---- marks ------------------------------------------------------------- */

static void push_mt(lua_State *L, const char *key, const char *name)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) != LUA_TNIL) return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__jsontype");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

void hlua_push_null(lua_State *L) { lua_pushlightuserdata(L, (void *)&null_sentinel); }

bool hlua_is_null(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == &null_sentinel;
}

void hlua_mark_array(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    push_mt(L, &array_key, "json.array");
    lua_setmetatable(L, idx);
}

void hlua_mark_object(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    push_mt(L, &object_key, "json.object");
    lua_setmetatable(L, idx);
}

/* Never raises: lua_getmetatable and lua_rawgetp do not allocate. */
int hlua_table_mark(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_checkstack(L, 2) || !lua_getmetatable(L, idx)) return 0;
    int mark = 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &array_key);
    if (lua_rawequal(L, -1, -2)) mark = 1;
    lua_pop(L, 1);
    if (!mark) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &object_key);
        if (lua_rawequal(L, -1, -2)) mark = 2;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return mark;
}

/* ---- cJSON -> Lua --------------------------------------------------------- */

#define EXACT_INT_MAX 9007199254740992.0   /* 2^53 */

/* The bridge's number rule: integral values within 2^53 become integers. */
static void push_number(lua_State *L, double d)
{
    if (d == floor(d) && fabs(d) <= EXACT_INT_MAX) lua_pushinteger(L, (lua_Integer)d);
    else lua_pushnumber(L, d);
}

void hlua_push_json_raw(lua_State *L, const cJSON *v, int max_depth)
{
    if (max_depth <= 0 && (cJSON_IsArray(v) || cJSON_IsObject(v)))
        luaL_error(L, "JSON nesting deeper than allowed");
    luaL_checkstack(L, 3, "JSON nesting too deep");
    if (cJSON_IsNull(v)) {
        hlua_push_null(L);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        push_number(L, v->valuedouble);
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsRaw(v)) {
        /* Raw text is a numeral too long for a double, or a stored
         * DynamoDB item passed through unparsed (an object): decode it. */
        const char *t = v->valuestring ? v->valuestring : "";
        if (*t == '{' || *t == '[') hlua_json_decode(L, t, strlen(t), max_depth, "stored JSON");
        else if (lua_stringtonumber(L, t) == 0) lua_pushstring(L, t);
    } else if (cJSON_IsArray(v)) {
        lua_createtable(L, cJSON_GetArraySize(v), 0);
        hlua_mark_array(L, -1);
        lua_Integer i = 1;
        for (const cJSON *c = v->child; c; c = c->next) {
            hlua_push_json_raw(L, c, max_depth - 1);
            lua_rawseti(L, -2, i++);
        }
    } else if (cJSON_IsObject(v)) {
        lua_createtable(L, 0, cJSON_GetArraySize(v));
        hlua_mark_object(L, -1);
        for (const cJSON *c = v->child; c; c = c->next) {
            lua_pushstring(L, c->string ? c->string : "");
            hlua_push_json_raw(L, c, max_depth - 1);
            lua_rawset(L, -3);
        }
    } else {
        hlua_push_null(L);
    }
}

/* ---- an hg_jw writer building Lua values --------------------------------
 * Each value lands in its container as soon as it is complete: containers
 * still open sit on the Lua stack (with the key each goes under), frames
 * say whether each is an array and how many elements it has. */
#define LUA_JW_MAX_DEPTH 32

typedef struct lua_jw {
    hg_jw w;
    lua_State *L;
    int mt_object, mt_array;           /* stack slots of the two marks' metatables, fetched once */
    int depth;
    bool array[LUA_JW_MAX_DEPTH];
    lua_Integer count[LUA_JW_MAX_DEPTH];
} lua_jw;

/* Before a value: its key, when it goes into an object. Room for both was
 * made when the container opened (or before the top value). */
static lua_State *value_begins(lua_jw *j, const char *key)
{
    lua_State *L = j->L;
    if (j->depth > 0 && !j->array[j->depth - 1]) lua_pushstring(L, key ? key : "");
    return L;
}

/* After it (on the top): into its container; at the top it stays. */
static void value_ends(lua_jw *j)
{
    if (j->depth == 0) return;
    if (j->array[j->depth - 1]) lua_rawseti(j->L, -2, ++j->count[j->depth - 1]);
    else lua_rawset(j->L, -3);
}

static void ljw_open(hg_jw *w, const char *key, bool array, int size_hint)
{
    lua_jw *j = (lua_jw *)w;
    if (j->depth == LUA_JW_MAX_DEPTH) luaL_error(j->L, "event nested deeper than %d", LUA_JW_MAX_DEPTH);
    luaL_checkstack(j->L, 4, "event too deep");      /* its key and itself, then a member's key and value */
    lua_State *L = value_begins(j, key);
    int hint = size_hint > 0 ? size_hint : 0;
    lua_createtable(L, array ? hint : 0, array ? 0 : hint);
    lua_pushvalue(L, array ? j->mt_array : j->mt_object);   /* hlua_mark_array / _object */
    lua_setmetatable(L, -2);
    j->array[j->depth] = array;
    j->count[j->depth] = 0;
    j->depth++;
}

static void ljw_close(hg_jw *w)
{
    lua_jw *j = (lua_jw *)w;
    if (j->depth == 0) luaL_error(j->L, "event: a close without its open");
    j->depth--;
    value_ends(j);
}

static void ljw_string(hg_jw *w, const char *key, const char *s)
{
    lua_pushstring(value_begins((lua_jw *)w, key), s);
    value_ends((lua_jw *)w);
}

static void ljw_number(hg_jw *w, const char *key, double d)
{
    push_number(value_begins((lua_jw *)w, key), d);
    value_ends((lua_jw *)w);
}

static void ljw_boolean(hg_jw *w, const char *key, bool v)
{
    lua_pushboolean(value_begins((lua_jw *)w, key), v);
    value_ends((lua_jw *)w);
}

static void ljw_null(hg_jw *w, const char *key)
{
    hlua_push_null(value_begins((lua_jw *)w, key));
    value_ends((lua_jw *)w);
}

static const hg_jw_ops lua_jw_ops = { ljw_open, ljw_close, ljw_string, ljw_number, ljw_boolean, ljw_null };

void hlua_push_written(lua_State *L, const hg_jw_source *src)
{
    int top = lua_gettop(L);
    luaL_checkstack(L, 4, "event too deep");         /* the metatables, the top value */
    push_mt(L, &object_key, "json.object");
    push_mt(L, &array_key, "json.array");
    lua_jw j = { .w = { &lua_jw_ops }, .L = L, .mt_object = top + 1, .mt_array = top + 2 };
    src->write(&j.w, src->ctx);
    if (j.depth != 0 || lua_gettop(L) != top + 3) luaL_error(L, "event: the writer left %d open", j.depth);
    lua_replace(L, top + 1);                         /* the value where the metatables began */
    lua_settop(L, top + 1);
}

typedef struct push_args {
    const cJSON *v;
    int depth;
} push_args;

static int push_protected(lua_State *L)
{
    push_args *a = lua_touserdata(L, 1);
    lua_pop(L, 1);
    hlua_push_json_raw(L, a->v, a->depth);
    return 1;
}

int hlua_push_json(lua_State *L, const cJSON *v, int max_depth)
{
    push_args a = { v, max_depth };
    if (!lua_checkstack(L, 3)) return LUA_ERRMEM;
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, &a);
    return lua_pcall(L, 1, 1, 0);
}

typedef struct owned_args {
    const char *s;
    size_t len;
} owned_args;

static int push_owned_protected(lua_State *L)
{
    owned_args *a = lua_touserdata(L, 1);
    lua_pushlstring(L, a->s, a->len);
    return 1;
}

void hlua_push_owned(lua_State *L, char *s, size_t len)
{
    owned_args a = { s, len };
    luaL_checkstack(L, 3, NULL);     /* may raise: s is freed first below if so */
    lua_pushcfunction(L, push_owned_protected);
    lua_pushlightuserdata(L, &a);
    int rc = lua_pcall(L, 1, 1, 0);
    free(s);
    if (rc != LUA_OK) lua_error(L);
}

/* ---- Lua -> cJSON (never raises) ---------------------------------------- */

typedef struct to_ctx {
    lua_State *L;
    char *msg;
    size_t cap;
} to_ctx;

static cJSON *fail(to_ctx *c, const char *fmt, const char *what)
{
    snprintf(c->msg, c->cap, fmt, what);
    return NULL;
}

/* A Lua number as cJSON: integers keep every digit (raw numeral when a
 * double or cJSON's int print would mangle them). */
static cJSON *number_to_json(to_ctx *c, int idx)
{
    lua_State *L = c->L;
    if (lua_isinteger(L, idx)) {
        lua_Integer i = lua_tointeger(L, idx);
        if (i >= INT32_MIN && i <= INT32_MAX) return cJSON_CreateNumber((double)i);
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)i);
        return cJSON_CreateRaw(buf);
    }
    double d = lua_tonumber(L, idx);
    if (isnan(d) || isinf(d)) return fail(c, "%s", "cannot encode NaN or infinity as JSON");
    return cJSON_CreateNumber(d);
}

/* A table key as an object member name into buf; NULL if it cannot be one. */
static const char *key_name(lua_State *L, int idx, char *buf, size_t cap)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: return lua_tostring(L, idx);   /* already a string: no allocation */
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) snprintf(buf, cap, "%lld", (long long)lua_tointeger(L, idx));
        else snprintf(buf, cap, "%.17g", lua_tonumber(L, idx));
        return buf;
    default: return NULL;
    }
}

static cJSON *value_to_json(to_ctx *c, int idx, int depth);   /* depth: levels of tables still allowed */

static cJSON *table_to_json(to_ctx *c, int idx, int depth)
{
    lua_State *L = c->L;
    int mark = hlua_table_mark(L, idx);
    if (mark == 0) {
        /* Unmarked: an array exactly when the keys are 1..n. The first
         * other key settles it: an object (a request's every table, e.g.
         * {S = "..."}, then takes one walk, not two). */
        lua_Integer count = 0, max = 0;
        bool only_ints = true;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
                lua_pop(L, 1);
                only_ints = false;
                break;
            }
            count++;
            if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
        }
        mark = (count > 0 && only_ints && max == count) ? 1 : 2;
    }
    if (mark == 1) {
        cJSON *a = cJSON_CreateArray();
        if (!a) return fail(c, "%s", "out of memory");
        lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            cJSON *e = value_to_json(c, lua_gettop(L), depth - 1);
            lua_pop(L, 1);
            if (!e || !cJSON_AddItemToArray(a, e)) {
                cJSON_Delete(e);
                cJSON_Delete(a);
                return e ? fail(c, "%s", "out of memory") : NULL;
            }
        }
        return a;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) return fail(c, "%s", "out of memory");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        char kbuf[40];
        const char *k = key_name(L, -2, kbuf, sizeof kbuf);
        if (!k) {
            const char *type = lua_typename(L, lua_type(L, -2));   /* a static string */
            lua_pop(L, 2);
            cJSON_Delete(o);
            return fail(c, "cannot encode a table key of type %s as JSON (keys must be strings or numbers)", type);
        }
        cJSON *e = value_to_json(c, lua_gettop(L), depth - 1);
        lua_pop(L, 1);
        if (!e) {
            lua_pop(L, 1);
            cJSON_Delete(o);
            return NULL;
        }
        if (!cJSON_AddItemToObject(o, k, e)) {
            cJSON_Delete(e);
            lua_pop(L, 1);
            cJSON_Delete(o);
            return fail(c, "%s", "out of memory");
        }
    }
    return o;
}

static cJSON *value_to_json(to_ctx *c, int idx, int depth)
{
    lua_State *L = c->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return cJSON_CreateNull();
    case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER: return number_to_json(c, idx);
    case LUA_TSTRING: {
        cJSON *s = cJSON_CreateString(lua_tostring(L, idx));
        return s ? s : fail(c, "%s", "out of memory");
    }
    case LUA_TLIGHTUSERDATA:
        if (hlua_is_null(L, idx)) return cJSON_CreateNull();
        return fail(c, "cannot encode a %s as JSON", "userdata");
    case LUA_TTABLE:
        if (depth <= 0) return fail(c, "%s", "cannot encode tables nested this deep as JSON (is there a cycle?)");
        if (!lua_checkstack(L, 4)) return fail(c, "%s", "out of stack space encoding JSON");
        return table_to_json(c, idx, depth);
    default:
        return fail(c, "cannot encode a %s as JSON", lua_typename(L, lua_type(L, idx)));
    }
}

/* depth counts down: a table needs depth > 0, its members get depth - 1. */
cJSON *hlua_to_json(lua_State *L, int idx, int max_depth, char *msg, size_t msgcap)
{
    to_ctx c = { L, msg, msgcap };
    if (msgcap) msg[0] = '\0';
    cJSON *v = value_to_json(&c, lua_absindex(L, idx), max_depth);
    if (!v && msgcap && !msg[0]) snprintf(msg, msgcap, "out of memory encoding JSON");
    return v;
}

/* ---- JSON text <-> Lua, directly (no cJSON in between) ------------------ */

/* Every this many values the parser and the emitter ask the runtime whether
 * the invocation is out of time: both are C loops the count hook never sees. */
#define JSON_POLL_EVERY 4096

typedef struct jparse {
    lua_State *L;
    const char *s, *p, *end;
    const char *what;          /* "json.decode" or the invoke path's prefix */
    unsigned steps;
    int max_depth;
} jparse;

static void jfail(jparse *j, const char *reason)
{
    luaL_error(j->L, "%s: invalid JSON at character %I: %s", j->what, (lua_Integer)(j->p - j->s) + 1, reason);
}

static void jskip_ws(jparse *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (bounds checked by the caller) or -1. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t utf8_put(char *out, unsigned long cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at j->p (on its opening quote): pushes it. Strings without
 * escapes are pushed in one piece; others go through a luaL_Buffer, which
 * is used with nothing else touching the stack until it is pushed. */
static void jstring(jparse *j)
{
    lua_State *L = j->L;
    const char *start = ++j->p, *q = start;
    while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
    if (q < j->end && *q == '"') {
        lua_pushlstring(L, start, (size_t)(q - start));
        j->p = q + 1;
        return;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (;;) {
        const char *run = j->p;
        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20) j->p++;
        luaL_addlstring(&b, run, (size_t)(j->p - run));
        if (j->p >= j->end) jfail(j, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') break;
        if (c < 0x20) jfail(j, "control character in a string (it must be escaped)");
        /* a backslash */
        if (j->end - j->p < 2) jfail(j, "unterminated string");
        char e = j->p[1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            luaL_addchar(&b, decoded[simple - "\"\\/bfnrt"]);
            j->p += 2;
            continue;
        }
        if (e != 'u') { j->p++; jfail(j, "invalid escape in a string"); }
        if (j->end - j->p < 6 || hex4(j->p + 2) < 0) { j->p += 2; jfail(j, "\\u needs four hex digits"); }
        unsigned long cp = (unsigned long)hex4(j->p + 2);
        j->p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = (j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') ? hex4(j->p + 2) : -1;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                j->p += 6;
            } else {
                cp = 0xFFFD;       /* a lone surrogate: no UTF-8 spelling; the replacement character */
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        char u[4];
        luaL_addlstring(&b, u, utf8_put(u, cp));
    }
    j->p++;
    luaL_pushresult(&b);
}

static void jnumber(jparse *j)
{
    lua_State *L = j->L;
    const char *start = j->p, *q = j->p;
    bool neg = false, is_float = false;
    if (q < j->end && *q == '-') { neg = true; q++; }
    if (q >= j->end || !(*q >= '0' && *q <= '9')) { j->p = q; jfail(j, "a number needs digits"); }
    if (*q == '0') {
        q++;
        if (q < j->end && *q >= '0' && *q <= '9') { j->p = q; jfail(j, "numbers cannot have leading zeros"); }
    } else {
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    const char *int_end = q;
    if (q < j->end && *q == '.') {
        is_float = true;
        q++;
        if (q >= j->end || !(*q >= '0' && *q <= '9')) { j->p = q; jfail(j, "digits expected after '.'"); }
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        is_float = true;
        q++;
        if (q < j->end && (*q == '+' || *q == '-')) q++;
        if (q >= j->end || !(*q >= '0' && *q <= '9')) { j->p = q; jfail(j, "digits expected in the exponent"); }
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    j->p = q;
    if (!is_float) {
        /* Exact int64 when it fits (2^63 itself only as a negative). */
        uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        bool fits = true;
        for (const char *d = start + neg; d < int_end && fits; d++) {
            unsigned digit = (unsigned)(*d - '0');
            if (v > (limit - digit) / 10) fits = false;
            else v = v * 10 + digit;
        }
        if (fits) {
            lua_pushinteger(L, neg ? (lua_Integer)(0 - v) : (lua_Integer)v);
            return;
        }
    }
    /* A float (or an integer beyond int64): strtod on a NUL-terminated copy. */
    size_t n = (size_t)(q - start);
    char buf[128];
    double d;
    if (n < sizeof buf) {
        memcpy(buf, start, n);
        buf[n] = '\0';
        d = strtod(buf, NULL);
    } else {
        lua_pushlstring(L, start, n);       /* Lua strings end in NUL */
        d = strtod(lua_tostring(L, -1), NULL);
        lua_pop(L, 1);
    }
    lua_pushnumber(L, d);
}

static void jliteral(jparse *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) jfail(j, "unexpected character");
    j->p += n;
}

static void jvalue(jparse *j, int depth)
{
    lua_State *L = j->L;
    if (++j->steps % JSON_POLL_EVERY == 0) hlua_poll(L);
    jskip_ws(j);
    if (j->p >= j->end) jfail(j, "unexpected end of input");
    switch (*j->p) {
    case '{': case '[': {
        bool object = *j->p == '{';
        char close = object ? '}' : ']';
        if (depth <= 0) luaL_error(L, "%s: invalid JSON at character %I: nesting deeper than %d levels", j->what,
                                   (lua_Integer)(j->p - j->s) + 1, j->max_depth);
        luaL_checkstack(L, 4, "JSON nesting too deep");
        j->p++;
        /* Room for one member: most objects an item decodes to are
         * attribute values such as {"S": ...}, which then never rehash. */
        lua_createtable(L, 0, object ? 1 : 0);
        if (object) hlua_mark_object(L, -1);
        else hlua_mark_array(L, -1);
        jskip_ws(j);
        if (j->p < j->end && *j->p == close) { j->p++; return; }
        lua_Integer i = 1;
        for (;;) {
            if (object) {
                jskip_ws(j);
                if (j->p >= j->end || *j->p != '"') jfail(j, "expected a string (an object member's name)");
                jstring(j);
                jskip_ws(j);
                if (j->p >= j->end || *j->p != ':') jfail(j, "expected ':'");
                j->p++;
                jvalue(j, depth - 1);
                lua_rawset(L, -3);
            } else {
                jvalue(j, depth - 1);
                lua_rawseti(L, -2, i++);
            }
            jskip_ws(j);
            if (j->p < j->end && *j->p == ',') { j->p++; continue; }
            if (j->p < j->end && *j->p == close) { j->p++; return; }
            jfail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    case '"': jstring(j); return;
    case 't': jliteral(j, "true"); lua_pushboolean(L, 1); return;
    case 'f': jliteral(j, "false"); lua_pushboolean(L, 0); return;
    case 'n': jliteral(j, "null"); hlua_push_null(L); return;
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) { jnumber(j); return; }
        jfail(j, "unexpected character");
    }
}

void hlua_json_decode(lua_State *L, const char *s, size_t len, int max_depth, const char *what)
{
    jparse j = { L, s, s, s + len, what ? what : "json.decode", 0, max_depth };
    jvalue(&j, max_depth);
    jskip_ws(&j);
    if (j.p < j.end) jfail(&j, "unexpected text after the JSON value");
}

/* The emitter writes into a growable byte array that is a full userdata in
 * a fixed stack slot (Lua memory: it counts against the cap and a raise
 * frees it). Unlike a luaL_Buffer it does not care what else is pushed
 * above it, which the table walk needs. */
typedef struct jemit {
    lua_State *L;
    int slot;                  /* stack index of the userdata */
    char *data;
    size_t len, cap;
    const char *what;          /* message prefix, or NULL */
    unsigned steps;
    int max_depth;
    /* Tables being written, outermost first: in `shallow` until a table
     * nests deeper, then in a userdata at stack index path_slot. */
    const void **path;
    int path_cap, path_slot;
    const void *shallow[32];
} jemit;

static void efail(jemit *e, const char *fmt, const char *arg)
{
    lua_State *L = e->L;
    if (e->what) lua_pushfstring(L, "%s: ", e->what);
    else lua_pushliteral(L, "");
    lua_pushfstring(L, fmt, arg);
    lua_concat(L, 2);
    lua_error(L);
}

static void ereserve(jemit *e, size_t more)
{
    if (e->cap - e->len >= more) return;
    size_t want = e->cap ? e->cap : 256;
    while (want - e->len < more) {
        if (want > ((size_t)1 << 40)) luaL_error(e->L, "JSON text too large");
        want *= 2;
    }
    char *fresh = lua_newuserdatauv(e->L, want, 0);
    if (e->len) memcpy(fresh, e->data, e->len);
    lua_replace(e->L, e->slot);          /* the old array becomes garbage */
    e->data = fresh;
    e->cap = want;
}

static void eput(jemit *e, const char *s, size_t n)
{
    ereserve(e, n);
    memcpy(e->data + e->len, s, n);
    e->len += n;
}

#define EPUT_LIT(e, lit) eput((e), (lit), sizeof(lit) - 1)

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned long cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* A Lua string as a JSON string: control characters escaped, valid UTF-8
 * passed through, invalid bytes written as U+FFFD (JSON text is UTF-8). */
static void estring(jemit *e, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    eput(e, "\"", 1);
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        if (p > run) eput(e, (const char *)run, (size_t)(p - run));
        if (p >= end) break;
        unsigned char c = *p;
        if (c == '"') { EPUT_LIT(e, "\\\""); p++; }
        else if (c == '\\') { EPUT_LIT(e, "\\\\"); p++; }
        else if (c == '\n') { EPUT_LIT(e, "\\n"); p++; }
        else if (c == '\r') { EPUT_LIT(e, "\\r"); p++; }
        else if (c == '\t') { EPUT_LIT(e, "\\t"); p++; }
        else if (c == '\b') { EPUT_LIT(e, "\\b"); p++; }
        else if (c == '\f') { EPUT_LIT(e, "\\f"); p++; }
        else if (c < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", c);
            eput(e, u, 6);
            p++;
        } else {
            size_t len = utf8_valid(p, (size_t)(end - p));
            if (len) { eput(e, (const char *)p, len); p += len; }
            else { EPUT_LIT(e, "\\ufffd"); p++; }
        }
    }
    eput(e, "\"", 1);
}

/* Shortest text that reads back as the same double; keeps a fraction or an
 * exponent so a float stays a float when decoded again. */
static size_t format_float(double d, char *buf, size_t cap)
{
    for (int prec = 14; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
    return strlen(buf);
}

/* Length of s as the encoder writes it, or 0 when decoding that text would
 * not give s back byte for byte (invalid UTF-8 becomes U+FFFD; a NUL ends a
 * C string): the caller then has to go through the text. */
size_t hlua_json_string_size(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t size = 2;
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80) { size += c == '"' || c == '\\' ? 2 : 1; p++; continue; }
        if (c == 0) return 0;
        if (c < 0x20) {
            size += c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f' ? 2 : 6;
            p++;
            continue;
        }
        size_t len = utf8_valid(p, (size_t)(end - p));
        if (!len) return 0;
        size += len;
        p += len;
    }
    return size;
}

/* Length of the number at idx as the encoder writes it; 0 for NaN and infinity. */
size_t hlua_json_number_size(lua_State *L, int idx)
{
    char buf[64];
    if (lua_isinteger(L, idx)) return (size_t)snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
    double d = lua_tonumber(L, idx);
    if (isnan(d) || isinf(d)) return 0;
    return format_float(d, buf, sizeof buf);
}

static void enumber(jemit *e, int idx)
{
    char buf[64];
    size_t n;
    if (lua_isinteger(e->L, idx)) {
        n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(e->L, idx));
    } else {
        double d = lua_tonumber(e->L, idx);
        if (isnan(d) || isinf(d)) efail(e, "%s", "cannot encode NaN or infinity as JSON");
        n = format_float(d, buf, sizeof buf);
    }
    eput(e, buf, n);
}

static void evalue(jemit *e, int idx, int depth);

static void ekey(jemit *e, int idx)
{
    lua_State *L = e->L;
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        estring(e, s, n);
    } else if (lua_type(L, idx) == LUA_TNUMBER) {
        eput(e, "\"", 1);
        enumber(e, idx);          /* a float key that is NaN cannot exist; inf is refused there */
        eput(e, "\"", 1);
    } else {
        efail(e, "cannot encode a table key of type %s as JSON (keys must be strings or numbers)",
              luaL_typename(L, idx));
    }
}

static void etable(jemit *e, int idx, int depth)
{
    lua_State *L = e->L;
    const void *self = lua_topointer(L, idx);
    int level = e->max_depth - depth;          /* 0 for the outermost table */
    if (depth <= 0) {
        for (int i = 0; i < level && i <= HLUA_EVENT_MAX_DEPTH; i++)
            if (e->path[i] == self) efail(e, "%s", "cannot encode a table nested inside itself (a cycle) as JSON");
        lua_pushfstring(L, "cannot encode tables nested deeper than %d levels as JSON", e->max_depth);
        efail(e, "%s", lua_tostring(L, -1));
    }
    if (level >= e->path_cap) {
        int cap = e->max_depth + 2;
        const void **deep = lua_newuserdatauv(L, (size_t)cap * sizeof *deep, 0);
        memcpy(deep, e->path, (size_t)e->path_cap * sizeof *deep);
        lua_replace(L, e->path_slot);
        e->path = deep;
        e->path_cap = cap;
    }
    e->path[level] = self;
    luaL_checkstack(L, 4, "JSON nesting too deep");
    int mark = hlua_table_mark(L, idx);
    lua_Integer n = 0;
    if (mark == 0) {
        /* Unmarked: an array exactly when the keys are 1..n (n > 0). */
        lua_Integer count = 0, max = 0;
        bool only_ints = true;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            count++;
            if (only_ints && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
                if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
            } else {
                only_ints = false;
            }
            if (++e->steps % JSON_POLL_EVERY == 0) hlua_poll(L);
        }
        mark = (count > 0 && only_ints && max == count) ? 1 : 2;
        n = max;
    } else if (mark == 1) {
        n = (lua_Integer)lua_rawlen(L, idx);
    }
    if (mark == 1) {
        eput(e, "[", 1);
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1) eput(e, ",", 1);
            lua_rawgeti(L, idx, i);
            evalue(e, lua_gettop(L), depth - 1);
            lua_pop(L, 1);
        }
        eput(e, "]", 1);
        return;
    }
    eput(e, "{", 1);
    bool first = true;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (!first) eput(e, ",", 1);
        first = false;
        ekey(e, lua_gettop(L) - 1);
        eput(e, ":", 1);
        evalue(e, lua_gettop(L), depth - 1);
        lua_pop(L, 1);
    }
    eput(e, "}", 1);
}

static void evalue(jemit *e, int idx, int depth)
{
    lua_State *L = e->L;
    if (++e->steps % JSON_POLL_EVERY == 0) hlua_poll(L);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: EPUT_LIT(e, "null"); return;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx)) EPUT_LIT(e, "true");
        else EPUT_LIT(e, "false");
        return;
    case LUA_TNUMBER: enumber(e, idx); return;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        estring(e, s, n);
        return;
    }
    case LUA_TLIGHTUSERDATA:
        if (hlua_is_null(L, idx)) { EPUT_LIT(e, "null"); return; }
        efail(e, "cannot encode a %s as JSON", "userdata");
        return;
    case LUA_TTABLE: etable(e, idx, depth); return;
    default: efail(e, "cannot encode a %s as JSON", luaL_typename(L, idx));
    }
}

void hlua_json_encode(lua_State *L, int idx, int max_depth, const char *what)
{
    idx = lua_absindex(L, idx);
    if (max_depth > HLUA_EVENT_MAX_DEPTH) max_depth = HLUA_EVENT_MAX_DEPTH;
    /* The context stays on the C stack (a raise leaves nothing to free):
     * the output and a deep path live in userdata anchored in two slots.
     * A context with the whole path inline (8 KB) cost 5 % of a gateway
     * GET in allocation alone. */
    jemit ctx, *e = &ctx;
    memset(e, 0, offsetof(jemit, shallow));
    e->L = L;
    e->what = what;
    e->max_depth = max_depth;
    e->path = e->shallow;
    e->path_cap = (int)(sizeof e->shallow / sizeof e->shallow[0]);
    lua_pushnil(L);                       /* the output array's slot */
    e->slot = lua_gettop(L);
    lua_pushnil(L);                       /* the deep path's slot */
    e->path_slot = lua_gettop(L);
    evalue(e, idx, max_depth);
    lua_pushlstring(L, e->data ? e->data : "", e->len);
    lua_replace(L, e->slot);
    lua_settop(L, e->slot);
}

/* ---- the module ---------------------------------------------------------- */

/* json.encode(v) -> text; raises on values JSON cannot hold. */
static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    hlua_json_encode(L, 1, HLUA_JSON_MAX_DEPTH, "json.encode");
    return 1;
}

/* json.decode(text) -> value; raises on invalid JSON or nesting too deep. */
static int json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);                     /* keeps s alive while the value is built */
    hlua_json_decode(L, s, len, HLUA_JSON_MAX_DEPTH, "json.decode");
    return 1;
}

/* json.array([t]) / json.object([t]): mark (or make) a table. */
static int json_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) { lua_settop(L, 0); lua_newtable(L); }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    hlua_mark_array(L, 1);
    return 1;
}

static int json_object(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) { lua_settop(L, 0); lua_newtable(L); }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    hlua_mark_object(L, 1);
    return 1;
}

/* json.is_array(t): true when t encodes as an array. */
static int json_is_array(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TTABLE) { lua_pushboolean(L, 0); return 1; }
    int mark = hlua_table_mark(L, 1);
    if (mark == 0) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, 1), count = 0;
        lua_pushnil(L);
        while (lua_next(L, 1)) { lua_pop(L, 1); count++; }
        mark = (n > 0 && n == count) ? 1 : 2;
    }
    lua_pushboolean(L, mark == 1);
    return 1;
}

static const luaL_Reg json_funcs[] = {
    { "encode", json_encode },
    { "decode", json_decode },
    { "array", json_array },
    { "object", json_object },
    { "is_array", json_is_array },
    { NULL, NULL },
};

int hlua_open_json(lua_State *L)
{
    luaL_newlib(L, json_funcs);
    hlua_push_null(L);
    lua_setfield(L, -2, "null");
    push_mt(L, &array_key, "json.array");
    lua_setfield(L, -2, "array_mt");
    push_mt(L, &object_key, "json.object");
    lua_setfield(L, -2, "object_mt");
    return 1;
}
