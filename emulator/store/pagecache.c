/*
 * pagecache.c — SQLite's page cache, in two kinds.
 *
 * In memory (":memory:" and the in-memory temp store: caches SQLite makes
 * with purgeable 0) the cache IS the database: no page is ever evicted, so
 * the default cache's (pcache1) work on every fetch is wasted. It finds a
 * page through a hash table and takes it off an LRU list, which writes to
 * the page's two neighbours there, random pages that are rarely in the
 * CPU's caches at 1 M items: pcache1Fetch went from 1.2 % of a GetItem's
 * time at 10 k items to 6.3 %. The memory cache finds a page by its number in a
 * two-level array, keeps no list, pins nothing (there is nothing to
 * protect a pinned page from), and asks the CPU for the whole page as soon
 * as SQLite asks for it (mem_prefetch).
 *
 * On disk (--data) the default cache runs, minus a truncate that does
 * nothing. At the end of every transaction the pager truncates its cache to
 * the database size; pcache1 does that cheaply only while the largest key
 * it has seen is near the database size, otherwise it walks its whole hash
 * table. A b-tree balance parks a page for a moment at the pending-byte
 * page number (262,145 with 4 KiB pages) while it reorders siblings, so
 * after most leaf splits the next commit walked every page in the cache.
 * The disk cache forwards every call to pcache1 and keeps just enough to
 * know when a truncate would drop nothing:
 *   - top:    no key fetched into existence is above it (it only goes down
 *             when a real truncate runs);
 *   - parked: pages that xRekey moved above top, by page handle, since
 *             they may still be there (a page leaves the list when it is
 *             rekeyed again, discarded, or truncated away).
 * A truncate to limit L drops nothing when top < L and no parked key is
 * >= L; then pcache1 is not called. The memory cache has the same parking
 * problem and solves it with a count of pages per span of the array.
 *
 * Each cache belongs to one pager, and a pager's calls come from its own
 * connection under that connection's serialization, so no lock is needed.
 * Every sqlite3_pcache handed to SQLite starts with its kind's methods, and
 * the methods installed dispatch through them.
 */
#include "store.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct cache_head {
    const sqlite3_pcache_methods2 *kind;
} cache_head;

static sqlite3_pcache_methods2 pcache1_methods;   /* SQLite's default, as installed */
static atomic_ullong truncates_skipped;   /* for tests: proof the file cache's shortcut is taken */
static atomic_bool refuse_spans;          /* for tests: spans fail, as when memory runs out */
static atomic_ullong spans_refused;

#define KIND(p) (((cache_head *)(p))->kind)

/* ---- In memory: pages by number ---------------------------------------- */

#define SPAN_BITS 10
#define SPAN_SLOTS (1u << SPAN_BITS)

/* One page: SQLite's buffer, then its extra bytes, then this header, in one
 * allocation (the header is where SQLite's PgHdr already brought the cache). */
typedef struct mem_page {
    sqlite3_pcache_page base;   /* pBuf, pExtra: what SQLite sees */
    unsigned key;
    struct mem_page *next;      /* on the stray list only */
} mem_page;

/* slot[key & (SPAN_SLOTS - 1)] of the span key >> SPAN_BITS; n counts the
 * pages held, so a truncate skips empty spans. */
typedef struct span {
    unsigned n;
    mem_page *slot[SPAN_SLOTS];
} span;

typedef struct mem_cache {
    cache_head head;
    size_t page_size, extra;    /* extra rounded up to 8 */
    unsigned npages;
    unsigned top;               /* no page's key is above it */
    unsigned nspans;
    span **spans;
    /* Pages a rekey could not give a slot (no memory for its span): few,
     * never in normal running, searched only where a span is missing. */
    mem_page *stray;
} mem_cache;

static const sqlite3_pcache_methods2 mem_methods;

/* A span is wanted and memory may be short (or a test says it is). */
static bool span_refused(void)
{
    if (!atomic_load_explicit(&refuse_spans, memory_order_relaxed)) return false;
    atomic_fetch_add_explicit(&spans_refused, 1, memory_order_relaxed);
    return true;
}

/* key's slot, or NULL when its span does not exist (yet). */
static inline mem_page **mem_lookup(const mem_cache *c, unsigned key)
{
    unsigned s = key >> SPAN_BITS;
    return s < c->nspans && c->spans[s] ? &c->spans[s]->slot[key & (SPAN_SLOTS - 1)] : NULL;
}

/* key's slot, its span made if need be; NULL when there is no memory. */
static mem_page **mem_slot(mem_cache *c, unsigned key)
{
    mem_page **slot = mem_lookup(c, key);
    if (slot) return slot;
    unsigned s = key >> SPAN_BITS;
    if (s >= c->nspans) {
        if (span_refused()) return NULL;
        unsigned n = c->nspans ? c->nspans : 16;
        while (n <= s) n *= 2;
        span **grown = realloc(c->spans, n * sizeof *grown);
        if (!grown) return NULL;
        for (unsigned i = c->nspans; i < n; i++) grown[i] = NULL;
        c->spans = grown;
        c->nspans = n;
    }
    if (span_refused() || !(c->spans[s] = calloc(1, sizeof(span)))) return NULL;
    return &c->spans[s]->slot[key & (SPAN_SLOTS - 1)];
}

/* Put pg at its key; false (nothing changed) when there is no memory. */
static bool mem_place(mem_cache *c, mem_page *pg)
{
    mem_page **slot = mem_slot(c, pg->key);
    if (!slot) return false;
    *slot = pg;
    c->spans[pg->key >> SPAN_BITS]->n++;
    if (pg->key > c->top) c->top = pg->key;
    return true;
}

/* Take the page at key out of its slot or the stray list; NULL if none. */
static mem_page *mem_take(mem_cache *c, unsigned key)
{
    mem_page **slot = mem_lookup(c, key);
    if (slot && *slot) {
        mem_page *pg = *slot;
        *slot = NULL;
        c->spans[key >> SPAN_BITS]->n--;
        return pg;
    }
    for (mem_page **at = &c->stray; *at; at = &(*at)->next) {
        if ((*at)->key != key) continue;
        mem_page *pg = *at;
        *at = pg->next;
        return pg;
    }
    return NULL;
}

/* A page fetched is about to be searched: SQLite reads its PgHdr and
 * MemPage (in the extra bytes), the page header, then binary-searches cells
 * spread over the whole page. At 1 M items most pages are not in the CPU's
 * caches, and those reads were one miss after another; asked for all at
 * once, the misses overlap. Point reads in a loop, in-process (the store's
 * table and statement, random keys): at 1 M rows 3.5-3.6 us each with
 * pcache1, 3.7-3.9 us with this cache without the prefetch, 2.2-2.3 us
 * with it; at 10 k rows 1.1-1.25 us in all three. */
static void mem_prefetch(const mem_cache *c, const mem_page *pg)
{
    const char *buf = (const char *)pg - c->extra - c->page_size;
    const char *end = (const char *)(pg + 1);
    for (; buf < end; buf += 64) __builtin_prefetch(buf);
}

static void mem_free(mem_cache *c, mem_page *pg)
{
    c->npages--;
    free(pg->base.pBuf);
}

static sqlite3_pcache *mem_create(int page_size, int extra, int purgeable)
{
    (void)purgeable;
    mem_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->head.kind = &mem_methods;
    c->page_size = (size_t)page_size;
    c->extra = ((size_t)extra + 7) & ~(size_t)7;
    return (sqlite3_pcache *)c;
}

static void mem_cachesize(sqlite3_pcache *p, int n) { (void)p; (void)n; }

static int mem_pagecount(sqlite3_pcache *p) { return (int)((mem_cache *)p)->npages; }

static sqlite3_pcache_page *mem_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    mem_cache *c = (mem_cache *)p;
    mem_page **slot = mem_lookup(c, key);
    if (slot && *slot) {
        mem_prefetch(c, *slot);
        return &(*slot)->base;
    }
    for (mem_page *pg = c->stray; pg; pg = pg->next)
        if (pg->key == key) return &pg->base;
    if (!create) return NULL;
    char *mem = malloc(c->page_size + c->extra + sizeof(mem_page));
    if (!mem) return NULL;
    mem_page *pg = (mem_page *)(mem + c->page_size + c->extra);
    *pg = (mem_page){ .base = { mem, mem + c->page_size }, .key = key };
    /* SQLite knows a new page by a NULL at the start of its extra bytes. */
    *(void **)pg->base.pExtra = NULL;
    if (!mem_place(c, pg)) {
        free(mem);
        return NULL;
    }
    c->npages++;
    return &pg->base;
}

/* Unpinned pages stay: in memory they are the database. */
static void mem_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
    mem_cache *c = (mem_cache *)p;
    if (!discard) return;
    mem_page *pg = (mem_page *)((char *)page->pExtra + c->extra);
    if (mem_take(c, pg->key) == pg) mem_free(c, pg);
}

static void mem_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key, unsigned new_key)
{
    mem_cache *c = (mem_cache *)p;
    mem_page *pg = (mem_page *)((char *)page->pExtra + c->extra);
    if (old_key == new_key) return;
    mem_page *there = mem_take(c, new_key);    /* never pinned, says SQLite: dropped */
    if (there && there != pg) mem_free(c, there);
    if (mem_take(c, old_key) != pg) return;     /* not ours: nothing to move */
    pg->key = new_key;
    if (!mem_place(c, pg)) {
        pg->next = c->stray;
        c->stray = pg;
        if (new_key > c->top) c->top = new_key;
    }
}

static void mem_truncate(sqlite3_pcache *p, unsigned limit)
{
    mem_cache *c = (mem_cache *)p;
    if (c->npages == 0 || limit > c->top) return;
    for (unsigned s = limit >> SPAN_BITS; s < c->nspans && s <= c->top >> SPAN_BITS; s++) {
        span *sp = c->spans[s];
        if (!sp || sp->n == 0) continue;
        unsigned from = s == limit >> SPAN_BITS ? limit & (SPAN_SLOTS - 1) : 0;
        for (unsigned i = from; i < SPAN_SLOTS && sp->n; i++) {
            if (!sp->slot[i]) continue;
            mem_free(c, sp->slot[i]);
            sp->slot[i] = NULL;
            sp->n--;
        }
    }
    for (mem_page **at = &c->stray; *at;) {
        mem_page *pg = *at;
        if (pg->key < limit) { at = &pg->next; continue; }
        *at = pg->next;
        mem_free(c, pg);
    }
    c->top = limit ? limit - 1 : 0;
}

static void mem_destroy(sqlite3_pcache *p)
{
    mem_cache *c = (mem_cache *)p;
    mem_truncate(p, 0);
    for (unsigned s = 0; s < c->nspans; s++) free(c->spans[s]);
    free(c->spans);
    free(c);
}

static void mem_shrink(sqlite3_pcache *p) { (void)p; }

static const sqlite3_pcache_methods2 mem_methods = {
    .iVersion = 1, .xCreate = mem_create, .xCachesize = mem_cachesize, .xPagecount = mem_pagecount,
    .xFetch = mem_fetch, .xUnpin = mem_unpin, .xRekey = mem_rekey, .xTruncate = mem_truncate,
    .xDestroy = mem_destroy, .xShrink = mem_shrink,
};

/* ---- On disk: pcache1 without the empty truncates ----------------------- */

#define PARKED_MAX 8

typedef struct parked_page {
    sqlite3_pcache_page *page;
    unsigned key;
} parked_page;

typedef struct disk_cache {
    cache_head head;
    sqlite3_pcache *inner;
    unsigned top;
    int nparked;
    parked_page parked[PARKED_MAX];
} disk_cache;

static const sqlite3_pcache_methods2 disk_methods;

static void unpark(disk_cache *c, const sqlite3_pcache_page *page)
{
    for (int i = 0; i < c->nparked; i++) {
        if (c->parked[i].page != page) continue;
        c->parked[i] = c->parked[--c->nparked];
        return;
    }
}

static sqlite3_pcache *disk_create(int page_size, int extra, int purgeable)
{
    disk_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->head.kind = &disk_methods;
    if (!(c->inner = pcache1_methods.xCreate(page_size, extra, purgeable))) {
        free(c);
        return NULL;
    }
    return (sqlite3_pcache *)c;
}

static void disk_cachesize(sqlite3_pcache *p, int n) { pcache1_methods.xCachesize(((disk_cache *)p)->inner, n); }

static int disk_pagecount(sqlite3_pcache *p) { return pcache1_methods.xPagecount(((disk_cache *)p)->inner); }

static sqlite3_pcache_page *disk_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    disk_cache *c = (disk_cache *)p;
    sqlite3_pcache_page *page = pcache1_methods.xFetch(c->inner, key, create);
    /* A page made for this key (or recycled from another one) exists now. */
    if (page && create && key > c->top) c->top = key;
    return page;
}

static void disk_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
    disk_cache *c = (disk_cache *)p;
    if (discard) unpark(c, page);
    pcache1_methods.xUnpin(c->inner, page, discard);
}

static void disk_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key, unsigned new_key)
{
    disk_cache *c = (disk_cache *)p;
    unpark(c, page);
    if (new_key > c->top) {
        if (c->nparked < PARKED_MAX) c->parked[c->nparked++] = (parked_page){ page, new_key };
        else c->top = new_key;          /* no room to remember: fall back to a plain bound */
    }
    pcache1_methods.xRekey(c->inner, page, old_key, new_key);
}

static void disk_truncate(sqlite3_pcache *p, unsigned limit)
{
    disk_cache *c = (disk_cache *)p;
    bool needed = c->top >= limit;
    for (int i = 0; i < c->nparked && !needed; i++)
        if (c->parked[i].key >= limit) needed = true;
    if (!needed) {
        atomic_fetch_add_explicit(&truncates_skipped, 1, memory_order_relaxed);
        return;
    }
    pcache1_methods.xTruncate(c->inner, limit);
    if (c->top >= limit) c->top = limit ? limit - 1 : 0;
    for (int i = 0; i < c->nparked;) {
        if (c->parked[i].key >= limit) c->parked[i] = c->parked[--c->nparked];
        else i++;
    }
}

static void disk_destroy(sqlite3_pcache *p)
{
    disk_cache *c = (disk_cache *)p;
    pcache1_methods.xDestroy(c->inner);
    free(c);
}

static void disk_shrink(sqlite3_pcache *p) { pcache1_methods.xShrink(((disk_cache *)p)->inner); }

static const sqlite3_pcache_methods2 disk_methods = {
    .iVersion = 1, .xCreate = disk_create, .xCachesize = disk_cachesize, .xPagecount = disk_pagecount,
    .xFetch = disk_fetch, .xUnpin = disk_unpin, .xRekey = disk_rekey, .xTruncate = disk_truncate,
    .xDestroy = disk_destroy, .xShrink = disk_shrink,
};

/* ---- What SQLite calls --------------------------------------------------- */

static int pc_init(void *arg) { return pcache1_methods.xInit ? pcache1_methods.xInit(arg) : SQLITE_OK; }

static void pc_shutdown(void *arg)
{
    if (pcache1_methods.xShutdown) pcache1_methods.xShutdown(arg);
}

static sqlite3_pcache *pc_create(int page_size, int extra, int purgeable)
{
    return (purgeable ? &disk_methods : &mem_methods)->xCreate(page_size, extra, purgeable);
}

static void pc_cachesize(sqlite3_pcache *p, int n) { KIND(p)->xCachesize(p, n); }
static int pc_pagecount(sqlite3_pcache *p) { return KIND(p)->xPagecount(p); }
static sqlite3_pcache_page *pc_fetch(sqlite3_pcache *p, unsigned key, int create) { return KIND(p)->xFetch(p, key, create); }
static void pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard) { KIND(p)->xUnpin(p, page, discard); }
static void pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key, unsigned new_key)
{
    KIND(p)->xRekey(p, page, old_key, new_key);
}
static void pc_truncate(sqlite3_pcache *p, unsigned limit) { KIND(p)->xTruncate(p, limit); }
static void pc_destroy(sqlite3_pcache *p) { KIND(p)->xDestroy(p); }
static void pc_shrink(sqlite3_pcache *p) { KIND(p)->xShrink(p); }

int hg_pagecache_install(void)
{
    if (pcache1_methods.xCreate) return 0;
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &pcache1_methods) != SQLITE_OK || !pcache1_methods.xCreate) {
        pcache1_methods.xCreate = NULL;
        return -1;
    }
    sqlite3_pcache_methods2 m = {
        .iVersion = 1, .pArg = pcache1_methods.pArg,
        .xInit = pc_init, .xShutdown = pc_shutdown, .xCreate = pc_create, .xCachesize = pc_cachesize,
        .xPagecount = pc_pagecount, .xFetch = pc_fetch, .xUnpin = pc_unpin, .xRekey = pc_rekey,
        .xTruncate = pc_truncate, .xDestroy = pc_destroy, .xShrink = pc_shrink,
    };
    if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &m) != SQLITE_OK) {
        pcache1_methods.xCreate = NULL;
        return -1;
    }
    return 0;
}

unsigned long long hg_pagecache_skipped(void)
{
    return atomic_load_explicit(&truncates_skipped, memory_order_relaxed);
}

void hg_pagecache_refuse_spans(bool on)
{
    atomic_store_explicit(&refuse_spans, on, memory_order_relaxed);
}

unsigned long long hg_pagecache_spans_refused(void)
{
    return atomic_load_explicit(&spans_refused, memory_order_relaxed);
}
