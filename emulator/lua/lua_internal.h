/*
 * lua_internal.h — what the Lua runtime's files share (not for other modules).
 *
 * Module map:
 *   bundle.c   a function's code: zip archives unpacked into memory, or a
 *              hot-reload folder read on demand (hlua_bundle_*)
 *   json.c     the `json` module, the JSON text <-> Lua codec, and the
 *              cJSON <-> Lua bridge aws.c uses
 *   pattern.c  string.find/match/gmatch/gsub/rep for the sandbox: Lua
 *              patterns with a step count that meets the deadline
 *   runtime.c  environments: capped allocator, sandbox, require, deadline
 *              hook, handler resolution and invocation (hlua_env_*)
 *   aws.c      the `aws` module: aws.dynamodb ops in-process and the
 *              AttributeValue helpers
 *
 * The one rule every file keeps: no C heap memory is live across a Lua call
 * that can raise. Lua -> cJSON conversion therefore uses only API calls that
 * never raise (raw access, lua_next, lua_checkstack); cJSON -> Lua pushes
 * happen inside a protected call while the caller still owns the cJSON.
 */
#ifndef LUA_INTERNAL_H
#define LUA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include "hlua.h"

/* Nesting bound for json.encode/json.decode and Lua values crossing into
 * cJSON: deep enough for any real document, shallow enough for the C stack. */
#define HLUA_JSON_MAX_DEPTH 200
/* The invocation event may be as deep as cJSON itself accepts. */
#define HLUA_EVENT_MAX_DEPTH 1000

/* ---- json.c ------------------------------------------------------------- */

/* Push the `json` module table (creating the shared array/object
 * metatables in the registry on first use). A lua_CFunction for requiref. */
int  hlua_open_json(lua_State *L);
/* json.null: a light userdata, so pushing it never allocates. */
void hlua_push_null(lua_State *L);
bool hlua_is_null(lua_State *L, int idx);
/* Mark the table at idx as a JSON array / object (sets its metatable). */
void hlua_mark_array(lua_State *L, int idx);
void hlua_mark_object(lua_State *L, int idx);
/* Does the table at idx carry the array (1) / object (2) mark? 0 if neither. */
int  hlua_table_mark(lua_State *L, int idx);

/* Parse JSON text (len bytes, need not end in NUL; must stay alive during
 * the call) and push it as Lua values. Raises "<what>: invalid JSON at
 * character N: <reason>" (what NULL: "json.decode"), a memory error, or the
 * runtime's trip. Containers nest at most max_depth deep. */
void hlua_json_decode(lua_State *L, const char *s, size_t len, int max_depth, const char *what);
/* Encode the value at idx as JSON text and push it. Raises "<what>: <reason>"
 * (what NULL: just the reason) for values JSON cannot hold, cycles and
 * nesting beyond max_depth (at most HLUA_EVENT_MAX_DEPTH). */
void hlua_json_encode(lua_State *L, int idx, int max_depth, const char *what);

/* Push v as Lua values (arrays/objects marked). May raise (memory); call it
 * only from protected code while the caller keeps owning v. */
void hlua_push_json_raw(lua_State *L, const cJSON *v, int max_depth);
/* The same under lua_pcall: returns a LUA_* status; on failure the error
 * value is on the stack instead of the pushed value. Never raises. */
int  hlua_push_json(lua_State *L, const cJSON *v, int max_depth);
/* Push the value src writes (hg_jw: straight into Lua tables, marked like
 * decoded ones). May raise (memory, a producer nesting deeper than 32 or
 * unbalanced); call it only from protected code. */
void hlua_push_written(lua_State *L, const hg_jw_source *src);

/* The Lua value at idx as a new cJSON tree (caller frees), or NULL with a
 * message in msg. Never raises: safe to hold C memory across. Integers
 * outside int32 range become raw numerals so no digit is lost. */
cJSON *hlua_to_json(lua_State *L, int idx, int max_depth, char *msg, size_t msgcap);
/* Sizes as hlua_json_encode writes them, for a result handed on as a tree
 * whose JSON size must still be known: 0 when the value has no exact tree
 * form (a string that is not valid UTF-8 or holds a NUL; NaN, infinity). */
size_t hlua_json_string_size(const char *s, size_t n);
size_t hlua_json_number_size(lua_State *L, int idx);

/* Push a copy of s (len bytes) then free(s), raising afterwards on failure:
 * the way a C function hands malloc'd text to Lua without leaking it. */
void hlua_push_owned(lua_State *L, char *s, size_t len);

/* ---- runtime.c ---------------------------------------------------------- */

/* Long-running C loops call this every few thousand steps: it raises the
 * env's uncatchable trip once the deadline passed or a limit tripped (no-op
 * in a state that is not an env's, e.g. unit tests). No C heap may be live. */
void hlua_poll(lua_State *L);
/* Replace string.find/match/gmatch/gsub/rep in the string table at idx. */
void hlua_open_patterns(lua_State *L, int idx);

/* The region of the env that owns L (for aws.* calls). */
const char *hlua_region(lua_State *L);
/* An aws.* call that changes something is about to reach a service: from
 * here the invocation has been seen outside its env and can no longer be
 * abandoned. (Reads are not marked: running one again is invisible.) */
void hlua_touch(lua_State *L);

/* ---- aws.c -------------------------------------------------------------- */

/* Push the `aws` module table (aws.dynamodb inside). */
int  hlua_open_aws(lua_State *L);

#endif
