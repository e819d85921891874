/*
 * pagecache.c — SQLite's own page cache, minus a truncate that does nothing.
 *
 * Why: at the end of every transaction the pager truncates its cache to the
 * database size (sqlite3PcacheTruncate). The default cache (pcache1) does
 * that cheaply only while the largest key it has seen is near the database
 * size; otherwise it walks its whole hash table. A b-tree balance parks a
 * page for a moment at the pending-byte page number (262,145 with 4 KiB
 * pages) while it reorders sibling pages, so after most leaf splits the
 * next commit walks every page in the cache. In an in-memory database the
 * cache IS the database, so each write paid for the size of everything
 * stored: a third of SQLite's time per PutItem at 300 k items, growing
 * with the database.
 *
 * This cache forwards every call to the default one and keeps just enough
 * to know when a truncate would drop nothing:
 *   - top:    no key fetched into existence is above it (it only goes down
 *             when a real truncate runs);
 *   - parked: pages that xRekey moved above top, by page handle, since
 *             they may still be there (a page leaves the list when it is
 *             rekeyed again, discarded, or truncated away).
 * A truncate to limit L drops nothing when top < L and no parked key is
 * >= L; then the default cache is not called. In every other case (the
 * list full, a parked page still there) it is, so the worst case is what
 * SQLite does by itself.
 *
 * Each cache belongs to one pager, and a pager's calls come from its own
 * connection under that connection's serialization, so no lock is needed.
 */
#include "store.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#define PARKED_MAX 8

typedef struct parked_page {
    sqlite3_pcache_page *page;
    unsigned key;
} parked_page;

typedef struct cache {
    sqlite3_pcache *inner;
    unsigned top;
    int nparked;
    parked_page parked[PARKED_MAX];
} cache;

static sqlite3_pcache_methods2 inner_methods;
static atomic_ullong truncates_skipped;   /* for tests: proof the shortcut is taken */

static void unpark(cache *c, const sqlite3_pcache_page *page)
{
    for (int i = 0; i < c->nparked; i++) {
        if (c->parked[i].page != page) continue;
        c->parked[i] = c->parked[--c->nparked];
        return;
    }
}

static int pc_init(void *arg) { return inner_methods.xInit ? inner_methods.xInit(arg) : SQLITE_OK; }

static void pc_shutdown(void *arg)
{
    if (inner_methods.xShutdown) inner_methods.xShutdown(arg);
}

static sqlite3_pcache *pc_create(int page_size, int extra, int purgeable)
{
    cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (!(c->inner = inner_methods.xCreate(page_size, extra, purgeable))) {
        free(c);
        return NULL;
    }
    return (sqlite3_pcache *)c;
}

static void pc_cachesize(sqlite3_pcache *p, int n) { inner_methods.xCachesize(((cache *)p)->inner, n); }

static int pc_pagecount(sqlite3_pcache *p) { return inner_methods.xPagecount(((cache *)p)->inner); }

static sqlite3_pcache_page *pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    cache *c = (cache *)p;
    sqlite3_pcache_page *page = inner_methods.xFetch(c->inner, key, create);
    /* A page made for this key (or recycled from another one) exists now. */
    if (page && create && key > c->top) c->top = key;
    return page;
}

static void pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
    cache *c = (cache *)p;
    if (discard) unpark(c, page);
    inner_methods.xUnpin(c->inner, page, discard);
}

static void pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key, unsigned new_key)
{
    cache *c = (cache *)p;
    unpark(c, page);
    if (new_key > c->top) {
        if (c->nparked < PARKED_MAX) c->parked[c->nparked++] = (parked_page){ page, new_key };
        else c->top = new_key;          /* no room to remember: fall back to a plain bound */
    }
    inner_methods.xRekey(c->inner, page, old_key, new_key);
}

static void pc_truncate(sqlite3_pcache *p, unsigned limit)
{
    cache *c = (cache *)p;
    bool needed = c->top >= limit;
    for (int i = 0; i < c->nparked && !needed; i++)
        if (c->parked[i].key >= limit) needed = true;
    if (!needed) {
        atomic_fetch_add_explicit(&truncates_skipped, 1, memory_order_relaxed);
        return;
    }
    inner_methods.xTruncate(c->inner, limit);
    if (c->top >= limit) c->top = limit ? limit - 1 : 0;
    for (int i = 0; i < c->nparked;) {
        if (c->parked[i].key >= limit) c->parked[i] = c->parked[--c->nparked];
        else i++;
    }
}

static void pc_destroy(sqlite3_pcache *p)
{
    cache *c = (cache *)p;
    inner_methods.xDestroy(c->inner);
    free(c);
}

static void pc_shrink(sqlite3_pcache *p) { inner_methods.xShrink(((cache *)p)->inner); }

int hg_pagecache_install(void)
{
    if (inner_methods.xCreate) return 0;
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner_methods) != SQLITE_OK || !inner_methods.xCreate) {
        inner_methods.xCreate = NULL;
        return -1;
    }
    sqlite3_pcache_methods2 m = {
        .iVersion = 1, .pArg = inner_methods.pArg,
        .xInit = pc_init, .xShutdown = pc_shutdown, .xCreate = pc_create, .xCachesize = pc_cachesize,
        .xPagecount = pc_pagecount, .xFetch = pc_fetch, .xUnpin = pc_unpin, .xRekey = pc_rekey,
        .xTruncate = pc_truncate, .xDestroy = pc_destroy, .xShrink = pc_shrink,
    };
    if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &m) != SQLITE_OK) {
        inner_methods.xCreate = NULL;
        return -1;
    }
    return 0;
}

unsigned long long hg_pagecache_skipped(void)
{
    return atomic_load_explicit(&truncates_skipped, memory_order_relaxed);
}
