/*
 * pattern.c — string.find, string.match, string.gmatch and string.gsub for
 * the sandbox.
 *
 * Lua's own matcher is a C loop the count hook never interrupts, and a
 * pattern can make it run for hours ("a*" forty times against forty a's
 * backtracks exponentially; ".-b" over a long string is quadratic). These
 * are a separate implementation of the same pattern language — classes
 * %a %c %d %g %l %p %s %u %w %x and their upper-case complements, sets
 * [...] with ranges, %-classes and ^, anchors ^ and $, captures including
 * position captures (), %b, %f, back-references %1-%9, quantifiers * + - ?
 * — that counts its steps (each attempt, each backtrack, each start
 * position) and calls hlua_poll every MATCH_POLL_EVERY of them, so a
 * runaway match ends at the invocation's deadline with the same uncatchable
 * timeout as a runaway loop. Results, argument handling and error messages
 * follow the stock library (Lua 5.4).
 *
 * string.rep is here too: the stock one copies byte by byte in one C call.
 *
 * Memory: match state lives on the C stack (or, for gmatch, in a userdata
 * the iterator holds); gsub builds its result in a luaL_Buffer. No C heap
 * is ever held, so any raise (bad pattern, memory, deadline) is safe.
 */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lua_internal.h"

#define MAX_CAPTURES 32
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define MATCH_MAX_DEPTH 200          /* nested do_match calls ("pattern too complex") */
#define MATCH_POLL_EVERY 2048u       /* steps between deadline checks; a power of two */
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

typedef struct mstate {
    lua_State *L;
    const char *src_init, *src_end;
    const char *p_end;
    int depth_left;
    unsigned steps;
    int level;                       /* captures opened so far */
    struct {
        const char *init;
        ptrdiff_t len;               /* or CAP_UNFINISHED / CAP_POSITION */
    } cap[MAX_CAPTURES];
} mstate;

static void step(mstate *ms)
{
    if ((++ms->steps & (MATCH_POLL_EVERY - 1)) == 0) hlua_poll(ms->L);
}

static const char *do_match(mstate *ms, const char *s, const char *p);

/* ---- single characters ----------------------------------------------------- */

static bool class_match(int c, int cl)
{
    bool res;
    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = c == 0; break;   /* deprecated in the manual, still honoured by 5.4 */
    default: return cl == c;         /* %. %% %[ ...: the character itself */
    }
    return isupper(cl) ? !res : res;
}

/* The end of the single-character class starting at p (one past it). Lua
 * strings end in NUL, so reading *p at p_end is safe (and never ']'). */
static const char *class_end(mstate *ms, const char *p)
{
    char c = *p++;
    if (c == ESC) {
        if (p >= ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (*p == '^') p++;
        do {                          /* the first character of a set is never its end */
            if (p >= ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == ESC && p < ms->p_end) p++;
        } while (p >= ms->p_end || *p != ']');
        return p + 1;
    }
    return p;
}

/* Does c belong to the set [ ... ] from p (its '[') to last (its ']')? */
static bool set_match(int c, const char *p, const char *last)
{
    bool in = true;
    if (p[1] == '^') {
        in = false;
        p++;
    }
    while (++p < last) {
        if (*p == ESC) {
            p++;
            if (class_match(c, (unsigned char)*p)) return in;
        } else if (p[1] == '-' && p + 2 < last) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return in;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return in;
        }
    }
    return !in;
}

static bool single_match(mstate *ms, const char *s, const char *p, const char *ep)
{
    if (s >= ms->src_end) return false;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return true;
    case ESC: return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

/* ---- the pieces that recurse ------------------------------------------------- */

static const char *match_balance(mstate *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->p_end) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != p[0]) return NULL;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < ms->src_end) {
        step(ms);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* Greedy: the longest run first, giving back one at a time. */
static const char *max_expand(mstate *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_match(ms, s + i, p, ep)) {
        step(ms);
        i++;
    }
    for (; i >= 0; i--) {
        const char *r = do_match(ms, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

/* Lazy: the shortest run first, taking one more at a time. */
static const char *min_expand(mstate *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = do_match(ms, s, ep + 1);
        if (r) return r;
        if (!single_match(ms, s, p, ep)) return NULL;
        s++;
    }
}

static const char *start_capture(mstate *ms, const char *s, const char *p, ptrdiff_t what)
{
    if (ms->level >= MAX_CAPTURES) luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = do_match(ms, s, p);
    if (!r) ms->level--;
    return r;
}

static const char *end_capture(mstate *ms, const char *s, const char *p)
{
    int l = ms->level - 1;
    while (l >= 0 && ms->cap[l].len != CAP_UNFINISHED) l--;
    if (l < 0) luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = do_match(ms, s, p);
    if (!r) ms->cap[l].len = CAP_UNFINISHED;
    return r;
}

static const char *match_backref(mstate *ms, const char *s, int digit)
{
    int l = digit - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = ms->cap[l].len;
    if (len >= 0 && ms->src_end - s >= len && memcmp(ms->cap[l].init, s, (size_t)len) == 0) return s + len;
    return NULL;
}

/* Match pattern p (up to p_end) at s: the end of the match, or NULL. */
static const char *do_match(mstate *ms, const char *s, const char *p)
{
    if (ms->depth_left-- == 0) luaL_error(ms->L, "pattern too complex");
    for (;;) {
        step(ms);
        if (p == ms->p_end) break;
        if (*p == '(') {
            if (p + 1 < ms->p_end && p[1] == ')') s = start_capture(ms, s, p + 2, CAP_POSITION);
            else s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
            break;
        }
        if (*p == ')') {
            s = end_capture(ms, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == ms->p_end) {
            if (s != ms->src_end) s = NULL;
            break;
        }
        if (*p == ESC && p + 1 < ms->p_end) {
            char k = p[1];
            if (k == 'b') {
                s = match_balance(ms, s, p + 2);
                if (!s) break;
                p += 4;
                continue;
            }
            if (k == 'f') {
                p += 2;
                if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(ms, p);
                int prev = s == ms->src_init ? 0 : (unsigned char)s[-1];
                int cur = s < ms->src_end ? (unsigned char)*s : 0;
                if (!set_match(prev, p, ep - 1) && set_match(cur, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                break;
            }
            if (k >= '0' && k <= '9') {
                s = match_backref(ms, s, (unsigned char)k);
                if (!s) break;
                p += 2;
                continue;
            }
        }
        /* a single-character class, maybe with a quantifier */
        const char *ep = class_end(ms, p);
        if (!single_match(ms, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-') {   /* zero repetitions are fine */
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (*ep == '?') {
            const char *r = do_match(ms, s + 1, ep + 1);
            if (r) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (*ep == '+') { s = max_expand(ms, s + 1, p, ep); break; }
        if (*ep == '*') { s = max_expand(ms, s, p, ep); break; }
        if (*ep == '-') { s = min_expand(ms, s, p, ep); break; }
        s++;
        p = ep;
    }
    ms->depth_left++;
    return s;
}

/* ---- captures to Lua ------------------------------------------------------------ */

static void push_capture(mstate *ms, int i, const char *s, const char *e)
{
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s));    /* no captures: the whole match */
        return;
    }
    ptrdiff_t len = ms->cap[i].len;
    if (len == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
    if (len == CAP_POSITION) lua_pushinteger(ms->L, (ms->cap[i].init - ms->src_init) + 1);
    else lua_pushlstring(ms->L, ms->cap[i].init, (size_t)len);
}

/* Push every capture (the whole match when there are none and s is given). */
static int push_captures(mstate *ms, const char *s, const char *e)
{
    int n = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(ms, i, s, e);
    return n;
}

static void state_init(mstate *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->steps = 0;
}

static void state_reset(mstate *ms)
{
    ms->level = 0;
    ms->depth_left = MATCH_MAX_DEPTH;
}

/* A relative initial position as 5.4 reads it: 1-based, negatives from the end. */
static size_t start_index(lua_Integer pos, size_t len)
{
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static bool has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr(SPECIALS, p[i])) return true;
    return false;
}

/* ---- the library functions ----------------------------------------------------------- */

static int find_or_match(lua_State *L, bool find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        /* plain search: glibc's memmem is linear (two-way), no steps to count */
        const char *at = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        if (at) {
            lua_pushinteger(L, (at - s) + 1);
            lua_pushinteger(L, (at - s) + (lua_Integer)lp);
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    mstate ms;
    bool anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    state_init(&ms, L, s, ls, p, lp);
    const char *s1 = s + init;
    do {
        state_reset(&ms);
        step(&ms);
        const char *e = do_match(&ms, s1, p);
        if (e) {
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&ms, NULL, NULL) + 2;
            }
            return push_captures(&ms, s1, e);
        }
    } while (s1++ < ms.src_end && !anchor);
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L) { return find_or_match(L, true); }
static int str_match(lua_State *L) { return find_or_match(L, false); }

typedef struct gmatch_state {
    const char *src, *pat, *lastmatch;
    mstate ms;
} gmatch_state;

static int gmatch_next(lua_State *L)
{
    gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
    gm->ms.L = L;                    /* the iterator may run in another coroutine */
    for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
        state_reset(&gm->ms);
        step(&gm->ms);
        const char *e = do_match(&gm->ms, src, gm->pat);
        if (e && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            return push_captures(&gm->ms, src, e);
        }
    }
    return 0;
}

/* gmatch(s, pattern [, init]): '^' is an ordinary character here, as in 5.4. */
static int str_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);                /* the strings stay alive as upvalues */
    gmatch_state *gm = lua_newuserdatauv(L, sizeof *gm, 0);
    if (init > ls) init = ls + 1;
    state_init(&gm->ms, L, s, ls, p, lp);
    gm->src = s + init;
    gm->pat = p;
    gm->lastmatch = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* The replacement string with %0-%9 and %%. */
static void add_string_repl(mstate *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l), *end = r + l;
    while (r < end) {
        const char *pct = memchr(r, ESC, (size_t)(end - r));
        if (!pct) {
            luaL_addlstring(b, r, (size_t)(end - r));
            break;
        }
        luaL_addlstring(b, r, (size_t)(pct - r));
        r = pct + 1;
        if (r < end && *r == ESC) {
            luaL_addchar(b, ESC);
        } else if (r < end && *r == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (r < end && isdigit((unsigned char)*r)) {
            push_capture(ms, *r - '1', s, e);
            luaL_tolstring(L, -1, NULL);          /* a position capture is a number */
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        }
        r++;
    }
}

/* Add the replacement of match s..e; false when the match stays as it was. */
static bool add_replacement(mstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = ms->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_string_repl(ms, b, s, e);
        return true;
    }
    if (!lua_toboolean(L, -1)) {     /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return false;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return true;
}

static int str_gsub(lua_State *L)
{
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    lua_settop(L, 3);
    bool anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    mstate ms;
    state_init(&ms, L, src, srcl, p, lp);
    const char *lastmatch = NULL;
    lua_Integer n = 0;
    bool changed = false;
    while (n < max_n) {
        state_reset(&ms);
        step(&ms);
        const char *e = do_match(&ms, src, p);
        if (e && e != lastmatch) {
            n++;
            changed = add_replacement(&ms, &b, src, e, tr) || changed;
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* string.rep(s, n [, sep]): the stock one copies s once per repetition
 * (seconds for a few hundred MB, all in one C call). This writes one unit
 * and doubles the filled prefix, checking the deadline between copies. */
static int str_rep(lua_State *L)
{
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    size_t max = (size_t)INT_MAX, unit = l + lsep;
    if (unit < l || unit > max / (lua_Unsigned)n) return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * unit - lsep;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, total);
    memcpy(p, s, l);
    size_t filled = l;
    if (n > 1) {
        memcpy(p + l, sep, lsep);
        filled = unit;
    }
    while (filled < total) {          /* the text is periodic in unit; filled is a multiple of it */
        size_t chunk = filled < total - filled ? filled : total - filled;
        memcpy(p + filled, p, chunk);
        filled += chunk;
        hlua_poll(L);
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

void hlua_open_patterns(lua_State *L, int idx)
{
    static const luaL_Reg funcs[] = {
        { "find", str_find }, { "match", str_match }, { "gmatch", str_gmatch }, { "gsub", str_gsub },
        { "rep", str_rep }, { NULL, NULL },
    };
    idx = lua_absindex(L, idx);
    for (const luaL_Reg *f = funcs; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, idx, f->name);
    }
}
