/*
 * aws.c — the `aws` module: aws.dynamodb runs every DynamoDB operation
 * in-process (ddb_call, the same op functions HTTP reaches, minus HTTP), and
 * converts between plain Lua values and AttributeValues.
 *
 * Operations: `ddb.put_item{...}` — any snake_case name maps to the
 * PascalCase operation (put_item -> PutItem; PascalCase works too). The
 * request and result are the API's own shapes as Lua tables. Success returns
 * the result table; failure returns nil, err with err.code, err.message and
 * any extra members AWS sends (Item, CancellationReasons). Requests may use
 * json.array{} for an empty list; an empty `L = {}` is taken as a list.
 *
 * AttributeValue helpers (to_attr/from_attr, to_item/from_item):
 *   string -> S; integer/float -> N (exact text: integers in full, floats
 *   the shortest way that reads back the same); boolean -> BOOL; json.null
 *   -> NULL; array -> L; other table -> M; aws.dynamodb.set(kind, list) ->
 *   SS/NS/BS; aws.dynamodb.binary(bytes) -> B (base64 on the wire).
 *   Back: N becomes a Lua integer when the numeral is an integer that fits
 *   64 bits, else a float (DynamoDB keeps 38 digits, a float 17: read av.N
 *   yourself when every digit matters). B/BS give binary objects whose
 *   `.data` is the raw bytes; sets give {kind=..., values={...}}.
 *
 * With --auth enforce each call is first authorized against the function's
 * execution role, as dynamodb:<Op> on every table it names, so a handler can
 * do what its role allows and no more, as on AWS.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ddb.h"          /* ddb_op_find: an unknown op is answered before any role check */
#include "dynamodb.h"
#include "hg_crypto.h"
#include "iam.h"
#include "lua_internal.h"

/* runtime.c: the env's execution role ("" when none) and function name. */
const char *hlua_role_arn(lua_State *L);
const char *hlua_function_name(lua_State *L);

static const char set_key = 's';
static const char binary_key = 'b';

#define ATTR_MAX_DEPTH 32     /* DynamoDB's own nesting limit for documents */

/* ---- operations ------------------------------------------------------------ */

/* put_item -> PutItem; an already PascalCase name is kept. false if neither. */
static bool op_name(const char *key, char *out, size_t cap)
{
    size_t n = strlen(key), o = 0;
    if (n == 0 || n >= cap) return false;
    bool upper = true;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (c == '_') {
            if (upper) return false;          /* leading or doubled underscore */
            upper = true;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
        out[o++] = (upper && c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        upper = false;
    }
    if (upper) return false;                  /* trailing underscore */
    out[o] = '\0';
    return true;
}

/* {"L":{}} came from an empty Lua table meant as a list. */
static void fix_empty_lists(cJSON *v, int depth)
{
    if (depth > HLUA_EVENT_MAX_DEPTH || !v) return;
    for (cJSON *c = v->child; c; c = c->next) {
        if (c->string && strcmp(c->string, "L") == 0 && cJSON_IsObject(c) && !c->child) {
            cJSON *arr = cJSON_CreateArray();
            if (arr) cJSON_ReplaceItemViaPointer(v, c, arr);
            return;
        }
        fix_empty_lists(c, depth + 1);
    }
}

/* --auth enforce: may the function's role perform dynamodb:<op> on every
 * table the request names (TableName, the keys of RequestItems, each
 * TransactItems entry)? "*" when it names none, as the HTTP side decides. */
static int authorize_role(lua_State *L, const char *op, const cJSON *in, hg_err *err)
{
    if (!hg_cfg.auth_enforce || !ddb_op_find(op)) return 0;
    const char *region = hlua_region(L), *role = hlua_role_arn(L), *fn = hlua_function_name(L);
    char action[96], arn[512];
    snprintf(action, sizeof action, "dynamodb:%s", op);
    int named = 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "TableName"), *e;
#define CHECK_TABLE(name) do {                                                                      \
        snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:%s:table/%.255s", region, hg_cfg.account_id, (name)); \
        named++;                                                                                    \
        if (iam_role_authorize(role, fn, action, arn, region, err) != 0) return -1;                 \
    } while (0)
    if (cJSON_IsString(t)) CHECK_TABLE(t->valuestring);
    const cJSON *ri = cJSON_GetObjectItemCaseSensitive(in, "RequestItems");
    if (cJSON_IsObject(ri)) cJSON_ArrayForEach(e, ri) if (e->string) CHECK_TABLE(e->string);
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(in, "TransactItems");
    if (cJSON_IsArray(ti)) cJSON_ArrayForEach(e, ti) {
        t = e->child ? cJSON_GetObjectItemCaseSensitive(e->child, "TableName") : NULL;
        if (cJSON_IsString(t)) CHECK_TABLE(t->valuestring);
    }
#undef CHECK_TABLE
    return named ? 0 : iam_role_authorize(role, fn, action, "*", region, err);
}

typedef struct reply_args {
    int rc;
    const cJSON *out, *extra;
    const hg_err *err;
} reply_args;

static int push_reply(lua_State *L)
{
    reply_args *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (a->rc == 0) {
        hlua_push_json_raw(L, a->out, HLUA_EVENT_MAX_DEPTH);
        lua_pushnil(L);
        return 2;
    }
    lua_pushnil(L);
    lua_createtable(L, 0, 4);
    for (const cJSON *c = a->extra ? a->extra->child : NULL; c; c = c->next) {
        if (!c->string) continue;
        hlua_push_json_raw(L, c, HLUA_EVENT_MAX_DEPTH);
        lua_setfield(L, -2, c->string);
    }
    lua_pushstring(L, a->err->code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, a->err->message);
    lua_setfield(L, -2, "message");
    lua_pushinteger(L, a->err->status);
    lua_setfield(L, -2, "status");
    return 2;
}

/* ddb.<op>(request) -> result | nil, err */
static int l_ddb_op(lua_State *L)
{
    const char *op = lua_tostring(L, lua_upvalueindex(1));
    if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    cJSON *in;
    char msg[256];
    if (lua_isnil(L, 1)) {
        in = cJSON_CreateObject();
        if (!in) return luaL_error(L, "out of memory");
    } else {
        in = hlua_to_json(L, 1, HLUA_EVENT_MAX_DEPTH, msg, sizeof msg);   /* never raises */
        if (!in) return luaL_error(L, "aws.dynamodb: %s: %s", op, msg);
        if (!cJSON_IsObject(in)) {
            cJSON_Delete(in);
            return luaL_error(L, "aws.dynamodb: %s takes a table of named parameters", op);
        }
        fix_empty_lists(in, 0);
    }
    hg_err err;
    hg_err_clear(&err);
    cJSON *out = NULL, *extra = NULL;
    int rc = authorize_role(L, op, in, &err);
    if (!lua_toboolean(L, lua_upvalueindex(2))) hlua_touch(L);   /* a read run twice looks like one */
    if (rc == 0) rc = ddb_call(hlua_region(L), op, in, &out, &extra, &err);
    cJSON_Delete(in);
    reply_args a = { rc, out, extra, &err };
    lua_pushcfunction(L, push_reply);
    lua_pushlightuserdata(L, &a);
    int st = lua_pcall(L, 1, 2, 0);
    cJSON_Delete(out);
    cJSON_Delete(extra);
    if (st != LUA_OK) return lua_error(L);
    return 2;
}

/* __index of aws.dynamodb: make (and cache) the function for an op name. */
static int l_ddb_index(lua_State *L)
{
    char name[64];
    if (lua_type(L, 2) != LUA_TSTRING || !op_name(lua_tostring(L, 2), name, sizeof name)) return 0;
    lua_pushstring(L, name);
    lua_pushboolean(L, ddb_op_reads_only(name));      /* looked up once per op name, not per call */
    lua_pushcclosure(L, l_ddb_op, 2);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* ---- base64 (Lua-managed buffers, so a raise leaks nothing) -------------- */

static void push_base64(lua_State *L, const char *s, size_t n)
{
    if (n > ((size_t)1 << 30)) luaL_error(L, "binary value too large");
    size_t outn = 4 * ((n + 2) / 3);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, outn + 1);
    hg_base64_encode((unsigned char *)p, (const unsigned char *)s, (int)n);
    luaL_pushresultsize(&b, outn);
}

static void push_unbase64(lua_State *L, const char *s, size_t n)
{
    if (n % 4 != 0 || n > ((size_t)1 << 30)) luaL_error(L, "invalid base64 in a B value");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n / 4 * 3 + 1);
    int got = n ? hg_base64_decode((unsigned char *)p, (const unsigned char *)s, (int)n) : 0;
    if (got < 0) luaL_error(L, "invalid base64 in a B value");
    size_t pad = 0;
    if (n >= 1 && s[n - 1] == '=') pad++;
    if (n >= 2 && s[n - 2] == '=') pad++;
    luaL_pushresultsize(&b, (size_t)got - pad);
}

/* ---- AttributeValue helpers -------------------------------------------------- */

static bool has_mt(lua_State *L, int idx, const void *key)
{
    if (!lua_getmetatable(L, idx)) return false;
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    bool same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

static void push_mt(lua_State *L, const void *key, const char *name)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) != LUA_TNIL) return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

/* A Lua number as DynamoDB number text. */
static void push_number_text(lua_State *L, int idx)
{
    char buf[64];
    if (lua_isinteger(L, idx)) {
        snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
    } else {
        double d = lua_tonumber(L, idx);
        if (isnan(d) || isinf(d)) luaL_error(L, "cannot store NaN or infinity as a DynamoDB number");
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d) break;
        }
    }
    lua_pushstring(L, buf);
}

static bool is_sequence(lua_State *L, int idx)
{
    int mark = hlua_table_mark(L, idx);
    if (mark) return mark == 1;
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
    }
    return n > 0 && count == n;
}

/* Push {T = value} marked as an object, with the value on top of the stack. */
static void wrap_av(lua_State *L, const char *type)
{
    lua_createtable(L, 0, 1);
    hlua_mark_object(L, -1);
    lua_insert(L, -2);
    lua_setfield(L, -2, type);
}

/* A new object table (marked) with room for as many members as the table
 * at src has: filled without a rehash at each power of two (a rehash per
 * insert was most of what converting an item cost). */
static void new_object_like(lua_State *L, int src)
{
    src = lua_absindex(L, src);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, src)) {
        lua_pop(L, 1);
        n++;
    }
    lua_createtable(L, 0, n);
    hlua_mark_object(L, -1);
}

static void push_attr(lua_State *L, int idx, int depth);

static void push_set_attr(lua_State *L, int idx)
{
    lua_getfield(L, idx, "kind");
    const char *kind = lua_tostring(L, -1);
    if (!kind || !kind[0]) luaL_error(L, "a set needs its kind (SS, NS or BS)");
    int kind_idx = lua_gettop(L);
    lua_getfield(L, idx, "values");
    int vals = lua_gettop(L);
    luaL_checkstack(L, 4, NULL);
    lua_Integer n = lua_istable(L, vals) ? (lua_Integer)lua_rawlen(L, vals) : 0;
    lua_createtable(L, n < INT_MAX ? (int)n : 0, 0);
    hlua_mark_array(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, vals, i);
        int v = lua_gettop(L);
        if (kind[0] == 'S') {
            if (lua_type(L, v) != LUA_TSTRING) luaL_error(L, "an SS set holds strings only");
            lua_pushvalue(L, v);
        } else if (kind[0] == 'N') {
            if (lua_type(L, v) == LUA_TSTRING) lua_pushvalue(L, v);    /* exact numeral text */
            else if (lua_type(L, v) == LUA_TNUMBER) push_number_text(L, v);
            else luaL_error(L, "an NS set holds numbers only");
        } else {
            if (lua_type(L, v) == LUA_TTABLE && has_mt(L, v, &binary_key)) lua_getfield(L, v, "data");
            else lua_pushvalue(L, v);
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            if (!s || lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "a BS set holds binary values only");
            push_base64(L, s, len);
            lua_remove(L, -2);
        }
        lua_rawseti(L, -3, i);
        lua_pop(L, 1);
    }
    wrap_av(L, kind);
    lua_replace(L, kind_idx);
    lua_settop(L, kind_idx);
}

static void push_attr(lua_State *L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 6, "value nested too deeply");
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        lua_pushvalue(L, idx);
        wrap_av(L, "S");
        return;
    case LUA_TNUMBER:
        push_number_text(L, idx);
        wrap_av(L, "N");
        return;
    case LUA_TBOOLEAN:
        lua_pushboolean(L, lua_toboolean(L, idx));
        wrap_av(L, "BOOL");
        return;
    case LUA_TLIGHTUSERDATA:
        if (hlua_is_null(L, idx)) {
            lua_pushboolean(L, 1);
            wrap_av(L, "NULL");
            return;
        }
        break;
    case LUA_TTABLE: {
        if (depth > ATTR_MAX_DEPTH) luaL_error(L, "value nested deeper than %d levels", ATTR_MAX_DEPTH);
        if (has_mt(L, idx, &binary_key)) {
            lua_getfield(L, idx, "data");
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            if (!s) luaL_error(L, "a binary value needs its bytes in .data");
            push_base64(L, s, len);
            lua_remove(L, -2);
            wrap_av(L, "B");
            return;
        }
        if (has_mt(L, idx, &set_key)) {
            push_set_attr(L, idx);
            return;
        }
        if (is_sequence(L, idx)) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
            lua_createtable(L, (int)n, 0);
            hlua_mark_array(L, -1);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, idx, i);
                push_attr(L, -1, depth + 1);
                lua_rawseti(L, -3, i);
                lua_pop(L, 1);
            }
            wrap_av(L, "L");
            return;
        }
        new_object_like(L, idx);
        int m = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "a map's keys must be strings");
            push_attr(L, -1, depth + 1);
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, m);
            lua_pop(L, 1);
        }
        wrap_av(L, "M");
        return;
    }
    default:
        break;
    }
    luaL_error(L, "cannot convert a %s to an AttributeValue", luaL_typename(L, idx));
}

static void push_value(lua_State *L, int idx, int depth);

static void push_set_value(lua_State *L, int av, const char *kind, int list)
{
    lua_createtable(L, 0, 2);
    push_mt(L, &set_key, "aws.dynamodb.set");
    lua_setmetatable(L, -2);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    lua_Integer n = (lua_Integer)lua_rawlen(L, list);
    lua_createtable(L, (int)n, 0);
    hlua_mark_array(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "invalid %s set member", kind);
        if (kind[0] == 'N') {
            if (!lua_stringtonumber(L, s)) luaL_error(L, "invalid number in an NS set: %s", s);
        } else if (kind[0] == 'B') {
            push_unbase64(L, s, len);
        } else {
            lua_pushvalue(L, -1);
        }
        lua_rawseti(L, -3, i);
        lua_pop(L, 1);
    }
    lua_setfield(L, -2, "values");
    (void)av;
}

static void push_binary(lua_State *L)   /* raw bytes on top -> binary object */
{
    lua_createtable(L, 0, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, "data");
    push_mt(L, &binary_key, "aws.dynamodb.binary");
    lua_setmetatable(L, -2);
}

/* The AttributeValue at idx as a plain Lua value. */
static void push_value(lua_State *L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 6, "value nested too deeply");
    if (lua_type(L, idx) != LUA_TTABLE) luaL_error(L, "an AttributeValue is a table such as {S=\"x\"}");
    if (depth > ATTR_MAX_DEPTH + 2) luaL_error(L, "AttributeValue nested deeper than %d levels", ATTR_MAX_DEPTH);
    lua_pushnil(L);
    if (!lua_next(L, idx)) luaL_error(L, "an empty table is not an AttributeValue");
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "an AttributeValue's key is its type name (S, N, M, ...)");
    const char *t = lua_tostring(L, -2);
    int v = lua_gettop(L);
    if (strcmp(t, "S") == 0) {
        lua_pushvalue(L, v);
    } else if (strcmp(t, "N") == 0) {
        if (lua_type(L, v) == LUA_TNUMBER) lua_pushvalue(L, v);
        else if (lua_type(L, v) != LUA_TSTRING || !lua_stringtonumber(L, lua_tostring(L, v)))
            luaL_error(L, "invalid N value");
    } else if (strcmp(t, "BOOL") == 0) {
        lua_pushboolean(L, lua_toboolean(L, v));
    } else if (strcmp(t, "NULL") == 0) {
        hlua_push_null(L);
    } else if (strcmp(t, "B") == 0) {
        size_t len;
        const char *s = lua_tolstring(L, v, &len);
        if (!s) luaL_error(L, "invalid B value");
        push_unbase64(L, s, len);
        push_binary(L);
    } else if (strcmp(t, "SS") == 0 || strcmp(t, "NS") == 0 || strcmp(t, "BS") == 0) {
        luaL_checktype(L, v, LUA_TTABLE);
        push_set_value(L, idx, t, v);
    } else if (strcmp(t, "L") == 0) {
        luaL_checktype(L, v, LUA_TTABLE);
        lua_Integer n = (lua_Integer)lua_rawlen(L, v);
        lua_createtable(L, (int)n, 0);
        hlua_mark_array(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, v, i);
            push_value(L, -1, depth + 1);
            lua_rawseti(L, -3, i);
            lua_pop(L, 1);
        }
    } else if (strcmp(t, "M") == 0) {
        luaL_checktype(L, v, LUA_TTABLE);
        new_object_like(L, v);
        int m = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, v)) {
            push_value(L, -1, depth + 1);
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, m);
            lua_pop(L, 1);
        }
    } else {
        luaL_error(L, "unknown AttributeValue type %s", t);
    }
    /* stack: key, value, result -> result */
    lua_replace(L, v - 1);
    lua_settop(L, v - 1);
}

static int l_to_attr(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    push_attr(L, 1, 0);
    return 1;
}

static int l_from_attr(lua_State *L)
{
    lua_settop(L, 1);
    push_value(L, 1, 0);
    return 1;
}

static int l_to_item(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    new_object_like(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING) return luaL_error(L, "an item's attribute names must be strings");
        push_attr(L, -1, 1);
        lua_pushvalue(L, -3);
        lua_insert(L, -2);
        lua_rawset(L, 2);
        lua_pop(L, 1);
    }
    return 1;
}

static int l_from_item(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) return 0;    /* get_item's missing Item stays nil */
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    new_object_like(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        push_value(L, -1, 1);
        lua_pushvalue(L, -3);
        lua_insert(L, -2);
        lua_rawset(L, 2);
        lua_pop(L, 1);
    }
    return 1;
}

/* aws.dynamodb.set(kind, list): a string, number or binary set. */
static int l_set(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    if (strcmp(kind, "SS") != 0 && strcmp(kind, "NS") != 0 && strcmp(kind, "BS") != 0)
        return luaL_argerror(L, 1, "set kind must be \"SS\", \"NS\" or \"BS\"");
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_createtable(L, 0, 2);
    push_mt(L, &set_key, "aws.dynamodb.set");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "kind");
    lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
    lua_createtable(L, (int)n, 0);
    hlua_mark_array(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        lua_rawseti(L, -2, i);
    }
    lua_setfield(L, -2, "values");
    return 1;
}

/* aws.dynamodb.binary(bytes) */
static int l_binary(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    push_binary(L);
    return 1;
}

static const luaL_Reg ddb_helpers[] = {
    { "to_attr", l_to_attr },
    { "from_attr", l_from_attr },
    { "to_item", l_to_item },
    { "from_item", l_from_item },
    { "set", l_set },
    { "binary", l_binary },
    { NULL, NULL },
};

int hlua_open_aws(lua_State *L)
{
    lua_createtable(L, 0, 1);
    luaL_newlib(L, ddb_helpers);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_ddb_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "dynamodb");
    return 1;
}
