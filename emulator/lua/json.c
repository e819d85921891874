/*
 * json.c — the `json` module handlers see, and the cJSON <-> Lua bridge the
 * invoke path and aws.* use.
 *
 * Lua has one table type where JSON has two, so the bridge keeps the
 * difference in metatables: decoded arrays carry json.array_mt, decoded
 * objects json.object_mt, and json.array(t)/json.object(t) let a handler mark
 * its own. An unmarked table is an array when its keys are exactly 1..n
 * (n > 0), else an object; an empty unmarked table is `{}`. JSON null is
 * json.null, a light userdata (never nil, which a table cannot hold).
 *
 * Numbers: decoded integral values within ±2^53 (exact in a double) become
 * Lua integers, everything else a float. Encoded Lua integers are written
 * with every digit; floats the shortest way that reads back the same;
 * NaN and infinities are refused (JSON has no spelling for them).
 *
 * Invariants:
 *   1. hlua_to_json never raises (only raw, non-allocating API calls), so it
 *      can build C memory freely.
 *   2. Every push of cJSON content runs under lua_pcall while the caller
 *      still owns the cJSON, so a memory error cannot leak it.
 */
#include <math.h>
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
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) <= EXACT_INT_MAX) lua_pushinteger(L, (lua_Integer)d);
        else lua_pushnumber(L, d);
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsRaw(v)) {
        if (!v->valuestring || lua_stringtonumber(L, v->valuestring) == 0)
            lua_pushstring(L, v->valuestring ? v->valuestring : "");
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
        /* Unmarked: an array exactly when the keys are 1..n. */
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

/* ---- the module ---------------------------------------------------------- */

/* json.encode(v) -> text; raises on values JSON cannot hold. */
static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    char msg[256];
    cJSON *v = hlua_to_json(L, 1, HLUA_JSON_MAX_DEPTH, msg, sizeof msg);
    if (!v) return luaL_error(L, "json.encode: %s", msg);
    char *text = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    if (!text) return luaL_error(L, "json.encode: out of memory");
    hlua_push_owned(L, text, strlen(text));
    return 1;
}

/* json.decode(text) -> value; raises on invalid JSON or nesting too deep. */
static int json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (!v) {
        size_t at = (end && end >= s && end <= s + len) ? (size_t)(end - s) : 0;
        return luaL_error(L, "json.decode: invalid JSON at character %d", (int)at + 1);
    }
    size_t pos = end ? (size_t)(end - s) : len;
    while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) pos++;
    if (pos < len) {
        cJSON_Delete(v);
        return luaL_error(L, "json.decode: unexpected text after the JSON value at character %d", (int)pos + 1);
    }
    int rc = hlua_push_json(L, v, HLUA_JSON_MAX_DEPTH);
    cJSON_Delete(v);
    if (rc != LUA_OK) {
        if (rc == LUA_ERRMEM) return lua_error(L);
        return luaL_error(L, "json.decode: nesting deeper than %d levels", HLUA_JSON_MAX_DEPTH);
    }
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
