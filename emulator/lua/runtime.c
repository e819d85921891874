/*
 * runtime.c — Lambda execution environments for Lua handlers: one sandboxed
 * lua_State per env, its handler module loaded once and reused warm.
 *
 * Limits work without threads or signals:
 *   - memory: the state's allocator counts bytes. Growing past the cap
 *     (MemorySize) is granted up to a slack (an eighth) and judged at the
 *     next instruction by the hook, while everything the code holds is still
 *     reachable: a full GC, and if the live bytes are still past the cap the
 *     env is out of memory for good (garbage alone never kills a function).
 *     Past cap + slack the allocator refuses; Lua answers with an emergency
 *     GC and one retry, and a second refusal is out of memory too. Refusals
 *     that lauxlib raises without a retry (string buffers) are judged by
 *     exhaustion_check where errors are caught (pcall, xpcall, resume).
 *   - time: a count hook every HOOK_EVERY instructions compares
 *     CLOCK_MONOTONIC with the deadline, and with abandon_at when the caller
 *     set one: a run still going then that has made no aws.* call that
 *     changes anything (hlua_touch; reads do not count) is stopped as
 *     HLUA_ABANDONED, unseen, so the caller can run it again elsewhere
 *     (lambda/invoke.c moves it off its worker).
 *   - C functions the hook cannot see (it counts VM instructions only):
 *       string.find/match/gmatch/gsub  own matcher (pattern.c), polls every 2048 steps
 *       string.rep                     own, doubling copy, polls between copies
 *       json.encode/decode, event in,  own codec (json.c), polls every 4096 values
 *         result out
 *       table.sort                     tables over 20000 get a Lua comparator (hook runs)
 *       string.format                  stock: widths/precisions over 2 digits are refused
 *       table.concat, string.upper/    stock, linear in their output, which the memory
 *         lower/reverse/byte, utf8.*      cap bounds; the hook runs between calls
 *       message handlers, finalizers   run with hooks off: skipped once tripped / never run
 *     hlua_poll is the check those loops call.
 * Once a limit trips (or a run is abandoned), the hook raises on every
 * instruction of every coroutine with a private light-userdata error, so a
 * handler's pcall can catch it only to have the very next instruction raise
 * again; the flags are checked again after the top-level pcall returns, so a
 * caught error never turns into a success. A tripped env is not reusable.
 *
 * Invariants:
 *   1. Lua code runs only inside lua_pcall; outside it this file uses only
 *      API calls that never raise.
 *   2. No C heap memory is live across a call that can raise: C memory lives
 *      in the env (freed by hlua_env_free) or is freed before raising.
 *   3. The env pointer sits in the state's extra space, which Lua copies to
 *      every coroutine, so any C function finds its env from any thread.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua5.4/lualib.h>

#include "lua_internal.h"

#define HOOK_EVERY 1000                        /* instructions between deadline checks */
#define DEFAULT_MEMORY ((size_t)128 << 20)
#define DEFAULT_INIT_TIMEOUT 10.0              /* AWS gives module init 10 s */
#define TRACE_MAX_LINES 40

/* Small blocks (Lua's strings, tables, closures: nearly every allocation of a
 * handler) are recycled per env through one free list per 16-byte class
 * instead of going back to malloc, which spent a fifth of a gateway
 * request's instructions on them. At most SMALL_KEEP bytes wait per env;
 * they are not counted against the function's memory. Under AddressSanitizer
 * nothing is kept, so a use after free still shows. */
#define SMALL_STEP 16
#define SMALL_MAX 256
#define SMALL_CLASSES (SMALL_MAX / SMALL_STEP)
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_KEEP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMALL_KEEP 0
#endif
#endif
#ifndef SMALL_KEEP
#define SMALL_KEEP ((size_t)256 * 1024)
#endif
typedef struct small_block { struct small_block *next; } small_block;

struct hlua_env {
    lua_State *L;
    /* allocator */
    small_block *small[SMALL_CLASSES];   /* recycled blocks, by class (see SMALL_KEEP) */
    size_t small_kept;                   /* bytes on those lists */
    size_t used, peak, limit;
    size_t slack;                   /* how far past the limit an allocation may go until judged */
    bool   over_cap;                /* used went past limit: the hook must judge it */
    lua_State *running;             /* the thread running now (coroutines switch it) */
    const void *fail_ptr;           /* the last refused request, to spot Lua's retry of it */
    size_t fail_osize, fail_nsize;
    bool   fail_pending;
    unsigned long refusals;         /* growth requests refused so far */
    unsigned long refusals_seen;    /* ... of which exhaustion_check has judged */
    size_t refused_bytes;           /* the growth the last refusal asked for */
    /* limits */
    bool   oom, timed_out, tripped;
    double deadline;
    double abandon_at;              /* the invocation's, 0 when it may not be abandoned */
    bool   touched;                 /* an aws.* call that changes something was made: abandoning is off */
    bool   abandoned;               /* stopped at abandon_at (tripped is set too) */
    /* the current invocation (NULL between them) */
    const hlua_invocation *inv;
    hg_buf *log;
    /* configuration, owned copies */
    const hlua_bundle *bundle;
    char  *function_name, *function_arn, *function_version, *region, *log_group, *log_stream;
    char  *role_arn;               /* "" when the function has none */
    int    memory_mb;
    char   memory_mb_text[16];     /* memory_mb as context.memory_limit_in_mb gives it */
    int    handler_ref;
};

/* Private error value raised once a limit tripped (its address is the identity). */
static const char trip_sentinel = 't';
static const char getenv_key = 'g';
static const char env_key = 'e';           /* registry: the env, for hlua_poll */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static hlua_env *env_of(lua_State *L) { return *(hlua_env **)lua_getextraspace(L); }

const char *hlua_region(lua_State *L) { return env_of(L)->region; }

void hlua_touch(lua_State *L) { env_of(L)->touched = true; }

/* For aws.c's role check (declared there: lua_internal.h is not part of
 * this change). Borrowed, live as long as the env. */
const char *hlua_role_arn(lua_State *L) { return env_of(L)->role_arn; }
const char *hlua_function_name(lua_State *L) { return env_of(L)->function_name; }

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

/* ---- limits ---------------------------------------------------------------- */

static void deadline_hook(lua_State *L, lua_Debug *ar);

/* A block of n bytes (n <= SMALL_MAX) has its class's full size, so any
 * block of that class can serve it. */
static size_t small_class(size_t n) { return (n - 1) / SMALL_STEP; }

static void *small_get(hlua_env *e, size_t n)
{
    size_t c = small_class(n);
    small_block *b = e->small[c];
    if (!b) return malloc((c + 1) * SMALL_STEP);
    e->small[c] = b->next;
    e->small_kept -= (c + 1) * SMALL_STEP;
    return b;
}

static void small_put(hlua_env *e, void *p, size_t n)
{
    size_t c = small_class(n), size = (c + 1) * SMALL_STEP;
    if (e->small_kept + size > SMALL_KEEP) { free(p); return; }
    small_block *b = p;
    b->next = e->small[c];
    e->small[c] = b;
    e->small_kept += size;
}

static void small_release(hlua_env *e)
{
    for (size_t c = 0; c < SMALL_CLASSES; c++)
        while (e->small[c]) {
            small_block *b = e->small[c];
            e->small[c] = b->next;
            free(b);
        }
    e->small_kept = 0;
}

/* realloc with the small-block lists: blocks of at most SMALL_MAX bytes are
 * class-sized and recycled, larger ones are plain malloc blocks. */
static void *block_realloc(hlua_env *e, void *ptr, size_t osize, size_t nsize)
{
    if (nsize == 0) {
        if (ptr && osize <= SMALL_MAX) small_put(e, ptr, osize);
        else free(ptr);
        return NULL;
    }
    if (!ptr) return nsize <= SMALL_MAX ? small_get(e, nsize) : malloc(nsize);
    if (osize > SMALL_MAX && nsize > SMALL_MAX) return realloc(ptr, nsize);
    if (osize <= SMALL_MAX && nsize <= SMALL_MAX && small_class(osize) == small_class(nsize)) return ptr;
    void *p = nsize <= SMALL_MAX ? small_get(e, nsize) : malloc(nsize);
    if (!p) return NULL;
    memcpy(p, ptr, osize < nsize ? osize : nsize);
    if (osize <= SMALL_MAX) small_put(e, ptr, osize);
    else free(ptr);
    return p;
}

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    hlua_env *e = ud;
    if (!ptr) osize = 0;                 /* osize then encodes the object's type */
    if (nsize == 0) {
        block_realloc(e, ptr, osize, 0);
        e->used -= osize;
        return NULL;
    }
    if (nsize > osize && nsize - osize > e->limit + e->slack - e->used) {
        if (e->fail_pending && e->fail_ptr == ptr && e->fail_osize == osize && e->fail_nsize == nsize)
            e->oom = true;               /* refused again after the emergency GC */
        e->fail_pending = true;
        e->refusals++;
        e->refused_bytes = nsize - osize;
        e->fail_ptr = ptr;
        e->fail_osize = osize;
        e->fail_nsize = nsize;
        return NULL;
    }
    void *p = block_realloc(e, ptr, osize, nsize);
    if (!p) {
        if (nsize > osize) e->oom = true;
        return NULL;
    }
    e->used = e->used - osize + nsize;
    if (e->used > e->peak) e->peak = e->used;
    if (e->used > e->limit && !e->over_cap) {
        /* Past the cap: granted for now, judged at the very next instruction
         * (lua_sethook is safe from anywhere), while everything the code
         * holds is still reachable — see deadline_hook. */
        e->over_cap = true;
        if (e->running) lua_sethook(e->running, deadline_hook, LUA_MASKCOUNT, 1);
    }
    if (nsize > osize) e->fail_pending = false;
    return p;
}

/* Raise the trip: from now on every instruction of this thread raises it
 * too, so pcall can catch it only to meet it again at once. */
static int raise_trip(lua_State *L)
{
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
    lua_pushlightuserdata(L, (void *)&trip_sentinel);
    return lua_error(L);
}

/* True once a limit tripped (or trips now: the deadline passed). */
static bool limit_tripped(hlua_env *e)
{
    if (!e->tripped) {
        if (e->oom) {
            e->tripped = true;
        } else {
            double now = now_mono();
            if (now >= e->deadline) {
                e->timed_out = true;
                e->tripped = true;
            } else if (e->abandon_at > 0 && now >= e->abandon_at && !e->touched) {
                e->abandoned = true;
                e->tripped = true;
            }
        }
    }
    return e->tripped;
}

static void deadline_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    hlua_env *e = env_of(L);
    if (e->over_cap && !e->tripped) {
        /* Live data past the cap is out of memory for good; garbage is not. */
        e->over_cap = false;
        lua_gc(L, LUA_GCCOLLECT);
        if (e->used > e->limit) e->oom = true;
        else lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_EVERY);
    }
    if (limit_tripped(e)) raise_trip(L);
}

void hlua_poll(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &env_key) != LUA_TLIGHTUSERDATA) {
        lua_pop(L, 1);
        return;
    }
    hlua_env *e = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (limit_tripped(e)) raise_trip(L);
}

/* Is the cap truly exhausted? Called where an error is about to unwind —
 * message handlers, or a failed coroutine whose stack is still intact — so
 * everything the failing code held is still reachable. Lua retries a refused
 * allocation itself after an emergency GC (and capped_alloc marks the env
 * out of memory when that retry fails), but lauxlib's buffers (string.rep,
 * table.concat, string.format, ...) raise "not enough memory" at the first
 * refusal, which a pcall could swallow forever. So: if anything was refused
 * since the last look, collect everything and see whether the refused
 * request would fit now; if not, the memory is live, not garbage, and the
 * env is out of memory for good. Returns true when it is. */
static bool exhaustion_check(lua_State *L, hlua_env *e)
{
    if (e->refusals != e->refusals_seen && !e->oom) {
        e->refusals_seen = e->refusals;
        size_t want = e->refused_bytes;
        lua_gc(L, LUA_GCCOLLECT);
        if (want > e->limit - e->used) e->oom = true;
    }
    return e->oom || e->tripped;
}

/* ---- sandboxed library ---------------------------------------------------- */

static void log_append(hlua_env *e, const char *s, size_t len)
{
    if (!e->log) return;
    size_t cap = e->log->cap ? e->log->cap : SIZE_MAX / 2;
    size_t room = cap > e->log->len ? cap - e->log->len : 0;
    if (len > room) len = room;          /* a full log keeps its head, like a capped buffer */
    if (len) hg_buf_append(e->log, s, len);
}

/* print(...) and context.log(...): arguments joined by tabs, one line. */
static int sandbox_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    log_append(env_of(L), s, len);
    return 0;
}

/* load(chunk [, name [, mode [, env]]]) with mode forced to text. */
static int sandbox_load(lua_State *L)
{
    lua_settop(L, 4);
    lua_pushstring(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

/* Error handling, limits and Lua's hook-free corners.
 *
 * Lua runs message handlers, and finalizers, with hooks off. A handler that
 * spins there would never meet the deadline, so: message handlers are
 * skipped once a limit tripped (the trip error must reach the top), and
 * finalizers never run — setmetatable accepts a metatable with __gc but the
 * object is attached while __gc is hidden, so Lua never marks it
 * finalizable (a __gc added to the metatable later is ignored by Lua too).
 *
 * pcall, xpcall and coroutine.resume/wrap run exhaustion_check where the
 * error is raised (a message handler) or before a failed coroutine is
 * reset, so a memory bomb inside them is judged while its memory is still
 * reachable; once the cap is truly exhausted the error they catch is the
 * trip, and the next instruction raises it again. */

/* The value a message handler hands back: the trip once a limit tripped. */
static int trip_or(lua_State *L, int idx)
{
    hlua_env *e = env_of(L);
    if (exhaustion_check(L, e) || limit_tripped(e)) {
        lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
        lua_pushlightuserdata(L, (void *)&trip_sentinel);
        return 1;
    }
    lua_pushvalue(L, idx);
    return 1;
}

static int guarded_msgh(lua_State *L)
{
    if (exhaustion_check(L, env_of(L)) || env_of(L)->tripped) return trip_or(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int pcall_msgh(lua_State *L) { return trip_or(L, 1); }

static int pcall_done(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

/* pcall(f, ...): the stock one, plus a message handler for the checks. */
static int sandbox_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushcfunction(L, pcall_msgh);
    lua_insert(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 2);
    int st = lua_pcallk(L, lua_gettop(L) - 3, LUA_MULTRET, 1, 1, pcall_done);
    return pcall_done(L, st, 1);
}

static int xpcall_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return lua_gettop(L);
}

static int sandbox_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_msgh, 1);
    lua_replace(L, 2);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));     /* the real xpcall */
    lua_insert(L, 1);
    lua_callk(L, n, LUA_MULTRET, 0, xpcall_done);
    return xpcall_done(L, LUA_OK, 0);
}

/* Resume co with the n values on L's top: returns how many results it
 * moved onto L, or -1 with the error on L's top. The checks run while co's
 * stack is intact. */
static int resume_checked(lua_State *L, lua_State *co, int n)
{
    if (lua_status(co) == LUA_OK && lua_gettop(co) == 0) {
        lua_pushliteral(L, "cannot resume dead coroutine");
        return -1;
    }
    if (!lua_checkstack(co, n)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, n);
    int nres;
    hlua_env *e = env_of(L);
    lua_State *was = e->running;
    e->running = co;
    int st = lua_resume(co, L, n, &nres);
    e->running = was;
    if (st == LUA_OK || st == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    if (exhaustion_check(co, e) || limit_tripped(e)) {
        lua_pushlightuserdata(L, (void *)&trip_sentinel);
        return -1;
    }
    lua_xmove(co, L, 1);
    return -1;
}

static int sandbox_resume(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    int nres = resume_checked(L, co, lua_gettop(L) - 1);
    if (nres >= 0) {
        lua_pushboolean(L, 1);
        lua_replace(L, 1);                   /* true, results */
        return nres + 1;
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

static int wrap_call(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int nres = resume_checked(L, co, lua_gettop(L));
    if (nres >= 0) return nres;
    if (lua_type(L, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == &trip_sentinel) return raise_trip(L);
    int st = lua_status(co);
    if (st != LUA_OK && st != LUA_YIELD) {
        lua_resetthread(co);                 /* close its to-be-closed variables */
        if (lua_type(L, -1) == LUA_TSTRING) {   /* like the stock wrap: add where it was called */
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
    }
    return lua_error(L);
}

static int sandbox_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrap_call, 1);
    return 1;
}

static int sandbox_setmetatable(lua_State *L)
{
    lua_settop(L, 2);
    bool hide_gc = lua_type(L, 2) == LUA_TTABLE && (lua_pushliteral(L, "__gc"), lua_rawget(L, 2)) != LUA_TNIL;
    if (hide_gc) {                       /* stack: t, mt, gc */
        lua_pushliteral(L, "__gc");
        lua_pushnil(L);
        lua_rawset(L, 2);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    int st = lua_pcall(L, 2, 1, 0);      /* the real one: __metatable may refuse */
    if (hide_gc) {
        lua_pushliteral(L, "__gc");
        lua_pushvalue(L, 3);
        lua_rawset(L, 2);
    }
    if (st != LUA_OK) return lua_error(L);
    return 1;
}

/* table.sort(t [, comp]): the sort loop is C, and so are comparisons made
 * without a Lua comparator (no hook runs in either). For big tables a Lua
 * comparator is put in, so the count hook runs between comparisons. */
#define SORT_UNGUARDED_MAX 20000
static int sandbox_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    bool lua_comp = lua_type(L, 2) == LUA_TFUNCTION && !lua_iscfunction(L, 2);
    if (!lua_comp && luaL_len(L, 1) > SORT_UNGUARDED_MAX) {
        lua_pushvalue(L, lua_upvalueindex(2));         /* factory(comp) -> Lua comparator */
        lua_pushvalue(L, 2);
        lua_call(L, 1, 1);
        lua_replace(L, 2);
    }
    lua_pushvalue(L, lua_upvalueindex(1));             /* the real sort */
    lua_insert(L, 1);
    lua_call(L, 2, 0);
    return 0;
}

/* os.getenv(name): the function's own variables and Lambda's, never the host's. */
static int sandbox_getenv(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &getenv_key);
    lua_getfield(L, -1, name);
    if (!lua_isstring(L, -1)) lua_pushnil(L);
    return 1;
}

/* A module name as a bundle path stem: "a.b" -> "a/b". Only plain names. */
static bool module_stem(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (n == 0 || n >= cap || name[0] == '.' || name[n - 1] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                  || c == '-' || c == '.';
        if (!ok || (c == '.' && name[i + 1] == '.')) return false;
        out[i] = c == '.' ? '/' : c;
    }
    out[n] = '\0';
    return true;
}

/* Load (not run) the chunk of module stem from the bundle: pushes the
 * function and returns 1 with the file's path in path; 0 if no file. */
static int load_module_file(lua_State *L, const char *stem, char *path, size_t cap)
{
    hlua_env *e = env_of(L);
    static const char *const forms[] = { "%s.lua", "%s/init.lua" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, cap, forms[i], stem);
        char *data;
        size_t len;
        hg_err err;
        hg_err_clear(&err);
        int rc = hlua_bundle_read(e->bundle, path, &data, &len, &err);
        if (rc == 1) continue;
        if (rc < 0) return luaL_error(L, "cannot read %s: %s", path, err.message);
        char chunkname[310];
        snprintf(chunkname, sizeof chunkname, "@%s", path);
        int st = luaL_loadbufferx(L, data, len, chunkname, "t");   /* never raises */
        free(data);
        if (st != LUA_OK) {
            if (st == LUA_ERRMEM) return lua_error(L);
            return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", stem, path,
                              lua_tostring(L, -1));
        }
        return 1;
    }
    return 0;
}

/* require(name): package.loaded, then package.preload, then the bundle only. */
static int sandbox_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);        /* 2 */
    if (lua_getfield(L, 2, name) != LUA_TNIL && lua_toboolean(L, -1)) return 1;
    lua_pop(L, 1);
    char stem[256], path[300];
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    if (lua_getfield(L, -1, name) == LUA_TFUNCTION) {
        lua_pushvalue(L, 1);
        lua_pushliteral(L, ":preload:");
        lua_call(L, 2, 1);
    } else {
        if (!module_stem(name, stem, sizeof stem))
            return luaL_error(L, "module '%s' not found: a module name is a dotted path inside the "
                                 "function's code (letters, digits, '_', '-')", name);
        lua_settop(L, 2);
        if (!load_module_file(L, stem, path, sizeof path))
            return luaL_error(L, "module '%s' not found:\n\tno file '%s.lua' in the function's code\n"
                                 "\tno file '%s/init.lua' in the function's code", name, stem, stem);
        lua_pushvalue(L, 1);
        lua_pushstring(L, path);
        lua_call(L, 2, 1);
    }
    if (!lua_isnil(L, -1)) lua_setfield(L, 2, name);
    else lua_pop(L, 1);
    if (lua_getfield(L, 2, name) == LUA_TNIL) {      /* nothing returned, nothing set */
        lua_pushboolean(L, 1);
        lua_copy(L, -1, -2);
        lua_setfield(L, 2, name);
    }
    return 1;
}

static int remaining_millis(lua_State *L)
{
    double left = (env_of(L)->deadline - now_mono()) * 1000.0;
    lua_pushinteger(L, left > 0 ? (lua_Integer)left : 0);
    return 1;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    lua_pushstring(L, v ? v : "");
    lua_setfield(L, -2, k);
}

/* Open the sandbox: runs under lua_pcall (argument: the config). */
static int setup_body(lua_State *L)
{
    const hlua_env_config *cfg = lua_touserdata(L, 1);
    hlua_env *e = env_of(L);
    lua_settop(L, 0);

    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    lua_pushnil(L); lua_setfield(L, -2, "dofile");
    lua_pushnil(L); lua_setfield(L, -2, "loadfile");
    lua_getfield(L, -1, "load");
    lua_pushcclosure(L, sandbox_load, 1);
    lua_setfield(L, -2, "load");
    lua_pushcfunction(L, sandbox_print);
    lua_setfield(L, -2, "print");
    lua_getfield(L, -1, "xpcall");
    lua_pushcclosure(L, sandbox_xpcall, 1);
    lua_setfield(L, -2, "xpcall");
    lua_getfield(L, -1, "setmetatable");
    lua_pushcclosure(L, sandbox_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    lua_pushcfunction(L, sandbox_require);
    lua_setfield(L, -2, "require");
    lua_pushcfunction(L, sandbox_pcall);
    lua_setfield(L, -2, "pcall");
    lua_pop(L, 1);
    lua_pushlightuserdata(L, e);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &env_key);

    static const luaL_Reg libs[] = {
        { LUA_STRLIBNAME, luaopen_string }, { LUA_TABLIBNAME, luaopen_table },
        { LUA_MATHLIBNAME, luaopen_math },  { LUA_UTF8LIBNAME, luaopen_utf8 },
        { LUA_COLIBNAME, luaopen_coroutine }, { "json", hlua_open_json }, { "aws", hlua_open_aws },
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        bool global = strcmp(libs[i].name, "json") != 0 && strcmp(libs[i].name, "aws") != 0;
        luaL_requiref(L, libs[i].name, libs[i].func, global);
        lua_pop(L, 1);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");            /* bytecode is useless here: load takes text only */
    hlua_open_patterns(L, lua_gettop(L));   /* find/match/gmatch/gsub that meet the deadline */
    lua_pop(L, 1);
    lua_getglobal(L, LUA_COLIBNAME);
    lua_pushcfunction(L, sandbox_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, sandbox_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    lua_getfield(L, -1, "sort");
    if (luaL_loadstring(L, "local comp = ...\n"
                           "if comp == nil then return function(a, b) return a < b end end\n"
                           "return function(a, b) return comp(a, b) end") != LUA_OK)
        return lua_error(L);
    lua_pushcclosure(L, sandbox_sort, 2);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 1);

    /* aws.dynamodb as its own module name too. */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "aws");
    lua_getfield(L, -1, "dynamodb");
    lua_setfield(L, -3, "aws.dynamodb");
    lua_pop(L, 1);

    /* os: a fresh table with the four harmless functions. */
    lua_pushcfunction(L, luaopen_os);
    lua_call(L, 0, 1);
    lua_createtable(L, 0, 4);
    static const char *const keep[] = { "time", "clock", "date", "difftime" };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        lua_getfield(L, -2, keep[i]);
        lua_setfield(L, -2, keep[i]);
    }
    lua_pushcfunction(L, sandbox_getenv);
    lua_setfield(L, -2, "getenv");
    lua_pushvalue(L, -1);
    lua_setfield(L, -4, LUA_OSLIBNAME);     /* package.loaded.os */
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);

    /* package: loaded and preload only (no paths, no loadlib, no searchers). */
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "loaded");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_setfield(L, -2, "preload");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "package");
    lua_setglobal(L, "package");
    lua_pop(L, 1);

    /* The variables os.getenv sees: the function's, then Lambda's (which win). */
    lua_newtable(L);
    if (cJSON_IsObject(cfg->env_vars)) {
        for (const cJSON *v = cfg->env_vars->child; v; v = v->next)
            if (cJSON_IsString(v) && v->string) set_str(L, v->string, v->valuestring);
    }
    char mem[24];
    snprintf(mem, sizeof mem, "%d", e->memory_mb);
    set_str(L, "AWS_REGION", e->region);
    set_str(L, "AWS_DEFAULT_REGION", e->region);
    set_str(L, "AWS_LAMBDA_FUNCTION_NAME", e->function_name);
    set_str(L, "AWS_LAMBDA_FUNCTION_VERSION", e->function_version);
    set_str(L, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mem);
    set_str(L, "AWS_LAMBDA_LOG_GROUP_NAME", e->log_group);
    set_str(L, "AWS_LAMBDA_LOG_STREAM_NAME", e->log_stream);
    set_str(L, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    set_str(L, "AWS_EXECUTION_ENV", "AWS_Lambda_lua5.4");
    set_str(L, "LAMBDA_TASK_ROOT", "/var/task");
    set_str(L, "LAMBDA_RUNTIME_DIR", "/var/runtime");
    set_str(L, "_HANDLER", cfg->handler);
    set_str(L, "TZ", ":UTC");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &getenv_key);
    return 0;
}

/* ---- errors as Lambda reports them ---------------------------------------- */

/* Message handler: keeps the trip sentinel as is, else {message, type, trace}. */
static int on_error(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TLIGHTUSERDATA && lua_touserdata(L, 1) == &trip_sentinel) return 1;
    if (exhaustion_check(L, env_of(L))) return trip_or(L, 1);
    lua_createtable(L, 0, 3);
    int t = lua_gettop(L);
    if (lua_type(L, 1) == LUA_TTABLE) {
        /* error{errorType=..., errorMessage=...} lets a handler name its error. */
        if (lua_getfield(L, 1, "errorType") != LUA_TSTRING) {
            lua_pop(L, 1);
            lua_getfield(L, 1, "type");
        }
        if (lua_type(L, -1) == LUA_TSTRING) lua_setfield(L, t, "type");
        else lua_pop(L, 1);
        if (lua_getfield(L, 1, "errorMessage") != LUA_TSTRING) {
            lua_pop(L, 1);
            lua_getfield(L, 1, "message");
        }
        if (lua_type(L, -1) == LUA_TSTRING) lua_setfield(L, t, "message");
        else lua_pop(L, 1);
    }
    if (lua_getfield(L, t, "message") == LUA_TNIL) {
        lua_pop(L, 1);
        luaL_tolstring(L, 1, NULL);
    }
    lua_setfield(L, t, "message");
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, t, "trace");
    return 1;
}

/* The error value of a failed pcall (top of stack) as Lambda's error JSON.
 * Never raises. Caller frees. */
static cJSON *error_payload(lua_State *L, const char *default_type, const char *prefix)
{
    const char *msg = NULL, *type = NULL, *trace = NULL;
    if (lua_type(L, -1) == LUA_TTABLE && lua_checkstack(L, 3)) {
        int t = lua_gettop(L);
        /* rawget with string keys would allocate; walk the table instead. */
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                const char *k = lua_tostring(L, -2);
                if (strcmp(k, "message") == 0) msg = lua_tostring(L, -1);
                else if (strcmp(k, "type") == 0) type = lua_tostring(L, -1);
                else if (strcmp(k, "trace") == 0) trace = lua_tostring(L, -1);
            }
            lua_pop(L, 1);
        }
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        msg = lua_tostring(L, -1);
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (prefix) {
        size_t n = strlen(prefix) + strlen(msg ? msg : "") + 1;
        char *m = malloc(n);
        if (m) {
            snprintf(m, n, "%s%s", prefix, msg ? msg : "");
            cJSON_AddStringToObject(o, "errorMessage", m);
            free(m);
        }
    } else {
        cJSON_AddStringToObject(o, "errorMessage", msg ? msg : "unknown error");
    }
    cJSON_AddStringToObject(o, "errorType", type ? type : default_type);
    cJSON *st = cJSON_AddArrayToObject(o, "stackTrace");
    if (st && trace) {
        const char *p = strchr(trace, '\n');   /* skip "stack traceback:" */
        int lines = 0;
        while (p && *p && lines < TRACE_MAX_LINES) {
            p++;
            while (*p == '\t' || *p == ' ') p++;
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (n) {
                char *line = strndup(p, n);
                if (line) cJSON_AddItemToArray(st, cJSON_CreateString(line));
                free(line);
                lines++;
            }
            p = nl;
        }
    }
    return o;
}

static cJSON *simple_error(const char *type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *simple_error(const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "errorMessage", msg);
    cJSON_AddStringToObject(o, "errorType", type);
    return o;
}

static char *take_text(cJSON *o, size_t *len)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (s && len) *len = strlen(s);
    return s;
}

/* ---- environments ---------------------------------------------------------- */

void hlua_env_free(hlua_env *env)
{
    if (!env) return;
    if (env->L) {
        env->deadline = 0;          /* finalizers run at close get no time to spin */
        env->log = NULL;
        lua_close(env->L);
    }
    small_release(env);
    free(env->function_name);
    free(env->function_arn);
    free(env->function_version);
    free(env->region);
    free(env->log_group);
    free(env->log_stream);
    free(env->role_arn);
    free(env);
}

bool hlua_env_reusable(const hlua_env *env) { return env && !env->oom && !env->timed_out && !env->tripped; }

typedef struct init_args {
    const char *module;     /* "notes.create" */
    const char *fn;         /* "handler" */
} init_args;

/* Require the handler module and find the function: returns true/false. */
static int init_body(lua_State *L)
{
    init_args *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_pushcfunction(L, sandbox_require);
    lua_pushstring(L, a->module);
    lua_call(L, 1, 1);
    if (lua_type(L, -1) == LUA_TTABLE) lua_getfield(L, -1, a->fn);
    else lua_pushnil(L);
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        lua_getglobal(L, a->fn);       /* a module that defines a global handler */
    }
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pushboolean(L, 0);
        return 1;
    }
    env_of(L)->handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 1);
    return 1;
}

static int init_fail(hlua_env *env, cJSON *payload, char **init_error, hg_err *err)
{
    hlua_env_free(env);
    *init_error = take_text(payload, NULL);
    if (!*init_error) return hg_err_internal(err, "out of memory reporting an init error");
    return 1;
}

int hlua_env_new(const hlua_env_config *cfg, hg_buf *log, hlua_env **out, char **init_error, hg_err *err)
{
    *out = NULL;
    *init_error = NULL;
    hlua_env *env = calloc(1, sizeof *env);
    if (!env) return hg_err_internal(err, "out of memory");
    env->bundle = cfg->bundle;
    env->memory_mb = cfg->memory_mb > 0 ? cfg->memory_mb : 128;
    snprintf(env->memory_mb_text, sizeof env->memory_mb_text, "%d", env->memory_mb);
    env->limit = cfg->memory_limit ? cfg->memory_limit : (size_t)env->memory_mb << 20;
    if (!env->limit) env->limit = DEFAULT_MEMORY;
    env->slack = env->limit / 8 > ((size_t)1 << 20) ? env->limit / 8 : (size_t)1 << 20;
    env->handler_ref = LUA_NOREF;
    env->function_name = dup_or_empty(cfg->function_name);
    env->function_arn = dup_or_empty(cfg->function_arn);
    env->function_version = dup_or_empty(cfg->function_version ? cfg->function_version : "$LATEST");
    env->region = dup_or_empty(cfg->region);
    env->log_group = dup_or_empty(cfg->log_group);
    env->log_stream = dup_or_empty(cfg->log_stream);
    env->role_arn = dup_or_empty(cfg->role_arn);
    if (!env->function_name || !env->function_arn || !env->function_version || !env->region
        || !env->log_group || !env->log_stream || !env->role_arn) {
        hlua_env_free(env);
        return hg_err_internal(err, "out of memory");
    }
    lua_State *L = lua_newstate(capped_alloc, env);
    if (!L) {
        size_t limit = env->limit;           /* read before env is freed */
        hlua_env_free(env);
        return hg_err_internal(err, "cannot create a Lua state within %zu bytes", limit);
    }
    env->L = L;
    env->running = L;
    *(hlua_env **)lua_getextraspace(L) = env;
    double init_timeout = cfg->init_timeout_s > 0 ? cfg->init_timeout_s : DEFAULT_INIT_TIMEOUT;
    env->deadline = now_mono() + init_timeout;
    env->log = log;
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_EVERY);

    lua_pushcfunction(L, setup_body);
    lua_pushlightuserdata(L, (void *)cfg);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        hg_err_internal(err, "cannot set up the Lua sandbox: %s",
                        lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "out of memory");
        hlua_env_free(env);
        return -1;
    }

    /* "dir/file.fn": module path before the last dot, function after it. */
    const char *handler = cfg->handler ? cfg->handler : "";
    const char *dot = strrchr(handler, '.');
    char stem[256], module[256], fn[128];
    if (!dot || dot == handler || !dot[1] || (size_t)(dot - handler) >= sizeof stem || strlen(dot + 1) >= sizeof fn)
        return init_fail(env, simple_error("Runtime.MalformedHandlerName",
                                           "Bad handler '%.200s': expected file.function", handler),
                         init_error, err);
    memcpy(stem, handler, (size_t)(dot - handler));
    stem[dot - handler] = '\0';
    strcpy(fn, dot + 1);
    for (size_t i = 0; i <= strlen(stem); i++) module[i] = stem[i] == '/' ? '.' : stem[i];
    char probe[300], stem_check[256];
    bool found = false;
    if (module_stem(module, stem_check, sizeof stem_check)) {
        static const char *const forms[] = { "%s.lua", "%s/init.lua" };
        for (size_t i = 0; i < 2 && !found; i++) {
            snprintf(probe, sizeof probe, forms[i], stem_check);
            char *data;
            size_t len;
            hg_err rerr;
            hg_err_clear(&rerr);
            int rc = hlua_bundle_read(cfg->bundle, probe, &data, &len, &rerr);
            free(data);
            if (rc < 0) {
                hlua_env_free(env);
                return hg_err_set(err, rerr.status, rerr.code, "%s", rerr.message);
            }
            found = rc == 0;
        }
    }
    if (!found)
        return init_fail(env, simple_error("Runtime.ImportModuleError",
                                           "Error: Cannot find module '%s' (no %s.lua or %s/init.lua in the "
                                           "function's code)", stem, stem, stem),
                         init_error, err);

    init_args a = { module, fn };
    lua_pushcfunction(L, on_error);
    lua_pushcfunction(L, init_body);
    lua_pushlightuserdata(L, &a);
    int st = lua_pcall(L, 1, 1, 1);
    env->log = NULL;
    if (env->timed_out)
        return init_fail(env, simple_error("Sandbox.Timedout", "Init timed out after %.2f seconds",
                                           init_timeout), init_error, err);
    if (env->oom || st == LUA_ERRMEM)
        return init_fail(env, simple_error("Runtime.OutOfMemory",
                                           "Error: Runtime exited with error: the module's top-level code "
                                           "used more than %d MB of memory", env->memory_mb),
                         init_error, err);
    if (st != LUA_OK) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "Unable to import module '%s': ", stem);
        return init_fail(env, error_payload(L, "Runtime.ImportModuleError", prefix), init_error, err);
    }
    if (!lua_toboolean(L, -1))
        return init_fail(env, simple_error("Runtime.HandlerNotFound", "%s.%s is undefined or not exported",
                                           stem, fn), init_error, err);
    /* "Runtime.ImportModuleError" is the type of every init failure but the two above. */
    lua_settop(L, 0);
    *out = env;
    return 0;
}

/* ---- invocation ------------------------------------------------------------ */

/* The event (written or text) as Lua values (argument: the invocation).
 * Both are the caller's, alive for the whole invoke; nothing here owns C
 * memory. */
static int decode_event(lua_State *L)
{
    const hlua_invocation *inv = lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (inv->event) {
        hlua_push_written(L, inv->event);
    } else if (inv->payload && inv->payload_len) {
        hlua_json_decode(L, inv->payload, inv->payload_len, HLUA_EVENT_MAX_DEPTH, "the event");
    } else {
        lua_newtable(L);
        hlua_mark_object(L, -1);
    }
    return 1;
}

/* The result (argument) as JSON text. */
static int encode_result(lua_State *L)
{
    hlua_json_encode(L, 1, HLUA_EVENT_MAX_DEPTH, NULL);
    return 1;
}

/* ---- the result as a tree ------------------------------------------------
 * A proxy response ({statusCode, headers, body}) printed as JSON only to be
 * parsed again by API Gateway's mapper costs both ways; a result made of
 * scalars and flat tables of scalars goes over as a cJSON tree instead,
 * with its size counted as the encoder would write it (Lambda's 6 MB
 * response limit stays exact). Anything else (arrays, deeper tables, keys
 * that are not strings, text that would not come back byte for byte)
 * returns NULL and takes the text path. Never raises: lua_next over a table
 * nobody changes, type checks and rawequal do not allocate. */

static cJSON *scalar_tree(lua_State *L, int idx, size_t *size)
{
    size_t n, len;
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        *size += lua_toboolean(L, idx) ? 4 : 5;
        return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (!(n = hlua_json_number_size(L, idx))) return NULL;
        *size += n;
        return cJSON_CreateNumber(lua_isinteger(L, idx) ? (double)lua_tointeger(L, idx) : lua_tonumber(L, idx));
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        if (!(n = hlua_json_string_size(s, len))) return NULL;
        *size += n;
        return cJSON_CreateString(s);
    case LUA_TLIGHTUSERDATA:
        if (!hlua_is_null(L, idx)) return NULL;
        *size += 4;
        return cJSON_CreateNull();
    default:
        return NULL;
    }
}

/* The table at idx as an object whose values are scalars, or (levels > 1)
 * scalars and such objects. */
static cJSON *object_tree(lua_State *L, int idx, int levels, size_t *size)
{
    idx = lua_absindex(L, idx);
    if (hlua_table_mark(L, idx) == 1 || !lua_checkstack(L, 3)) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    size_t count = 0;
    *size += 2;                                       /* {} */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t klen, kn;
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &klen) : NULL;
        cJSON *v = NULL;
        if (key && (kn = hlua_json_string_size(key, klen))) {
            *size += kn + 1 + (count ? 1 : 0);        /* "key": and the comma before it */
            v = lua_type(L, -1) == LUA_TTABLE ? (levels > 1 ? object_tree(L, -1, levels - 1, size) : NULL)
                                               : scalar_tree(L, -1, size);
        }
        if (!v || !cJSON_AddItemToObject(o, key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            lua_pop(L, 2);
            return NULL;
        }
        count++;
        lua_pop(L, 1);
    }
    return o;
}

/* ---- a plain proxy result straight to the sink ----------------------------
 * The commonest result ({statusCode, headers, body, isBase64Encoded=false},
 * strings only) is handed to the caller's sink as borrowed pointers into
 * the result table, which stays on the stack, unchanged, until take()
 * returns; nothing here allocates or raises, so no collection can run.
 * Anything else returns false and takes the tree or text path, which keep
 * every check and message of a malformed result where they are. */

/* Is s[0..n) ASCII without NUL? Then it reads back from JSON as it is, and
 * its JSON text is at most 6n + 2 bytes (a control byte escapes to \u00XX). */
static bool ascii_without_nul(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if ((v & highs) || ((v - ones) & ~v & highs)) return false;
    }
    for (; i < n; i++)
        if (s[i] == 0 || (unsigned char)s[i] >= 0x80) return false;
    return true;
}

/* The JSON text length of s[0..n) or, for plain ASCII, a bound of it (6n +
 * 2); 0 when it would not read back byte for byte. A bound past the limit
 * only sends the result the tree's way, which counts exactly. */
static size_t plain_size(const char *s, size_t n)
{
    if (n > SIZE_MAX / 8) return 0;
    return ascii_without_nul(s, n) ? 6 * n + 2 : hlua_json_string_size(s, n);
}

static bool is_key(const char *k, size_t klen, const char *name)
{
    return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* The headers table at idx into r, adding its JSON size to *size. */
static bool plain_headers(lua_State *L, int idx, hg_plain_response *r, size_t *size)
{
    if (hlua_table_mark(L, idx) == 1) return false;       /* [] is not an object */
    *size += 2;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t klen, vlen, kn, vn;
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING || r->nheaders == HG_PLAIN_MAX_HEADERS) {
            lua_pop(L, 2);
            return false;
        }
        const char *k = lua_tolstring(L, -2, &klen), *v = lua_tolstring(L, -1, &vlen);
        if (!(kn = plain_size(k, klen)) || !(vn = plain_size(v, vlen))) {
            lua_pop(L, 2);
            return false;
        }
        *size += kn + 1 + vn + (r->nheaders ? 1 : 0);
        r->header_name[r->nheaders] = k;
        r->header_value[r->nheaders] = v;
        r->nheaders++;
        lua_pop(L, 1);
    }
    return true;
}

/* The result at idx as a plain response, given to the sink; *size its JSON
 * text's length or a bound of it within the sink's max_size. */
static bool take_plain(lua_State *L, int idx, const hg_plain_sink *sink, size_t *size)
{
    idx = lua_absindex(L, idx);
    if (hlua_table_mark(L, idx) == 1 || !lua_checkstack(L, 6)) return false;
    hg_plain_response r;
    r.status_code = 0;
    r.nheaders = 0;
    r.body = NULL;
    r.body_len = 0;
    size_t n = 2, members = 0;                              /* {} */
    bool ok = true;
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) {
        size_t klen;
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &klen) : NULL;
        int t = lua_type(L, -1);
        if (!k) {
            ok = false;
        } else if (is_key(k, klen, "statusCode")) {
            lua_Integer code = t == LUA_TNUMBER && lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
            ok = code >= 100 && code <= 599;
            r.status_code = (int)code;
            n += 3;
        } else if (is_key(k, klen, "headers")) {
            ok = t == LUA_TTABLE && plain_headers(L, lua_gettop(L), &r, &n);
        } else if (is_key(k, klen, "body")) {
            ok = t == LUA_TSTRING;
            if (ok) r.body = lua_tolstring(L, -1, &r.body_len);
        } else if (is_key(k, klen, "isBase64Encoded")) {
            ok = t == LUA_TBOOLEAN && !lua_toboolean(L, -1);
            n += 5;
        } else {
            ok = false;
        }
        if (ok) n += klen + 3 + (members++ ? 1 : 0);        /* "key": and the comma before it */
        lua_pop(L, ok ? 1 : 2);
    }
    if (!ok) return false;
    if (r.body) {
        size_t bn = plain_size(r.body, r.body_len);
        if (!bn || bn > SIZE_MAX / 2 - n) return false;
        n += bn;
    }
    if (n > sink->max_size) return false;
    sink->take(sink->ctx, &r);
    *size = n;
    return true;
}

/* handler(event, context): argument 1 is the env, 2 the decoded event. */
static int invoke_body(lua_State *L)
{
    hlua_env *e = lua_touserdata(L, 1);
    const hlua_invocation *inv = e->inv;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->handler_ref);
    lua_insert(L, 2);                       /* handler, event */
    lua_createtable(L, 0, 10);
    set_str(L, "aws_request_id", inv->request_id);
    set_str(L, "function_name", e->function_name);
    set_str(L, "function_version", e->function_version);
    set_str(L, "invoked_function_arn", e->function_arn);
    set_str(L, "memory_limit_in_mb", e->memory_mb_text);
    set_str(L, "log_group_name", e->log_group);
    set_str(L, "log_stream_name", e->log_stream);
    lua_pushcfunction(L, remaining_millis);
    lua_setfield(L, -2, "get_remaining_time_in_millis");
    lua_pushcfunction(L, sandbox_print);
    lua_setfield(L, -2, "log");
    lua_call(L, 2, 1);
    return 1;
}

/* A protected step of the invocation failed: its status. */
typedef enum step_end { STEP_OK, STEP_LIMIT, STEP_ERROR, STEP_DONE /* result out as a tree */ } step_end;

static step_end step_status(hlua_env *env, int st)
{
    if (env->timed_out || env->oom || env->abandoned || st == LUA_ERRMEM) return STEP_LIMIT;
    return st == LUA_OK ? STEP_OK : STEP_ERROR;
}

/* "2026-11-28T12:00:00.123Z" (UTC, milliseconds) into buf. */
static void iso_now(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%.20s.%03dZ", base, (int)(ts.tv_nsec / 1000000));
}

int hlua_env_invoke(hlua_env *env, const hlua_invocation *inv, hlua_result *out, hg_err *err)
{
    memset(out, 0, sizeof *out);
    if (!hlua_env_reusable(env)) return hg_err_internal(err, "this execution environment was stopped and cannot run again");
    lua_State *L = env->L;
    env->inv = inv;
    env->log = inv->log;
    env->deadline = inv->deadline;
    env->abandon_at = inv->abandon_at;
    env->touched = false;
    lua_settop(L, 0);

    /* 1. the event; 2. the handler; 3. its result as text. Each step runs
     * protected, and the limits are checked after each: a caught trip never
     * turns into a success. */
    cJSON *payload = NULL;
    const char *text = NULL;
    size_t text_len = 0;
    step_end end = STEP_OK;
    lua_pushcfunction(L, decode_event);
    lua_pushlightuserdata(L, (void *)inv);
    int st = lua_pcall(L, 1, 1, 0);                 /* -> event */
    end = step_status(env, st);
    if (end == STEP_ERROR) {
        out->status = HLUA_ERROR;
        payload = simple_error("Runtime.UnmarshalError", "Unable to unmarshal input: %s",
                               lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "invalid JSON");
    }
    if (end == STEP_OK) {
        lua_pushcfunction(L, on_error);             /* 2 */
        lua_pushcfunction(L, invoke_body);
        lua_pushlightuserdata(L, env);
        lua_pushvalue(L, 1);
        st = lua_pcall(L, 2, 1, 2);                 /* -> result at 3 */
        end = step_status(env, st);
        if (end == STEP_ERROR) {
            out->status = HLUA_ERROR;
            payload = error_payload(L, "Error", NULL);
        }
    }
    if (end == STEP_OK && inv->sink && lua_type(L, -1) == LUA_TTABLE) {
        size_t size = 0;
        if (take_plain(L, -1, inv->sink, &size)) {
            out->status = HLUA_OK;
            out->taken = true;
            out->payload_len = size;
            end = STEP_DONE;
        }
    }
    if (end == STEP_OK && inv->result_tree && lua_type(L, -1) == LUA_TTABLE) {
        size_t size = 0;
        if ((out->tree = object_tree(L, -1, 2, &size))) {
            out->status = HLUA_OK;
            out->payload_len = size;
            end = STEP_DONE;
        }
    }
    if (end == STEP_OK) {
        lua_pushcfunction(L, encode_result);
        lua_insert(L, -2);
        st = lua_pcall(L, 1, 1, 0);                 /* -> text */
        end = step_status(env, st);
        if (end == STEP_ERROR) {
            out->status = HLUA_ERROR;
            payload = simple_error("Runtime.MarshalError", "Unable to marshal response: %s",
                                   lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "unknown error");
        } else if (end == STEP_OK) {
            out->status = HLUA_OK;
            text = lua_tolstring(L, -1, &text_len);   /* a string already: no allocation */
        }
    }
    if (end == STEP_LIMIT) {
        if (env->abandoned) {
            out->status = HLUA_ABANDONED;
            payload = simple_error("Sandbox.Abandoned", "%s", "stopped unseen, to run again elsewhere");
        } else if (env->timed_out) {
            char when[64];
            iso_now(when, sizeof when);
            out->status = HLUA_TIMEOUT;
            payload = simple_error("Sandbox.Timedout", "%s %s Task timed out after %.2f seconds", when,
                                   inv->request_id ? inv->request_id : "", inv->timeout_s);
        } else {
            env->oom = true;
            out->status = HLUA_OOM;
            payload = simple_error("Runtime.OutOfMemory",
                                   "RequestId: %s Error: Runtime exited with error: the function used more "
                                   "than its %d MB of memory", inv->request_id ? inv->request_id : "",
                                   env->memory_mb);
        }
    }
    if (text) {
        out->payload = malloc(text_len + 1);
        if (out->payload) {
            memcpy(out->payload, text, text_len);
            out->payload[text_len] = '\0';
            out->payload_len = text_len;
        }
    } else if (!out->tree && !out->taken) {
        out->payload = take_text(payload, &out->payload_len);
    }
    lua_settop(L, 0);
    env->inv = NULL;
    env->log = NULL;
    env->abandon_at = 0;
    out->peak_memory = env->peak < env->limit ? env->peak : env->limit;
    if (!out->payload && !out->tree && !out->taken) return hg_err_internal(err, "out of memory writing the invocation's result");
    return 0;
}

void hlua_result_release(hlua_result *r)
{
    if (!r) return;
    free(r->payload);
    cJSON_Delete(r->tree);
    r->payload = NULL;
    r->tree = NULL;
    r->payload_len = 0;
}
