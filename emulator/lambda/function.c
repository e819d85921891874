/*
 * function.c — function records: what a stored function is once loaded.
 *
 * A record is two JSON documents from lambda_store (the public
 * FunctionConfiguration and the private state) plus borrowed views into
 * them, so the invoke path reads Timeout or the hot-reload folder without
 * walking JSON. Name resolution accepts every form AWS does for a
 * FunctionName parameter: name, name:qualifier, account:function:name and
 * the full ARN, each optionally qualified. Only $LATEST exists here (Publish
 * is accepted but makes no versions), so any other qualifier is not found.
 *
 * Loading outside a transaction (every invoke, the permission check, the
 * read-only control-plane calls) shares a per-thread parse that stays valid
 * while the stored texts are byte for byte the same; see fn_rec below.
 */
#include "lambda_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "lambda_store.h"

#define NAME_PATTERN "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?" \
                     "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"

void lambda_fn_arn(const char *region, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:lambda:%s:%s:function:%s", region, hg_cfg.account_id, name);
}

static int name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Does [p, p+n) consist of 1..max characters accepted by ok()? */
static int span_ok(const char *p, size_t n, size_t max, int (*ok)(int))
{
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)p[i])) return 0;
    return 1;
}

static int qualifier_char(int c) { return name_char(c) || c == '$'; }
static int digit_char(int c) { return c >= '0' && c <= '9'; }

static int bad_name(const char *in, hg_err *err)
{
    return hg_err_validation(err, "1 validation error detected: Value '%.200s' at 'functionName' failed to "
                             "satisfy constraint: Member must satisfy regular expression pattern: " NAME_PATTERN, in);
}

int lambda_parse_name(const char *in, char name[65], char qualifier[129], hg_err *err)
{
    name[0] = qualifier[0] = '\0';
    size_t len = strlen(in);
    if (len == 0 || len > 170)
        return hg_err_validation(err, "1 validation error detected: Value '%.200s' at 'functionName' failed to "
                                 "satisfy constraint: Member must have length %s", in,
                                 len ? "less than or equal to 140" : "greater than or equal to 1");
    /* Split on ':' into at most 8 parts. */
    const char *part[8];
    size_t plen[8];
    int n = 0;
    const char *p = in;
    for (;;) {
        if (n == 8) return bad_name(in, err);
        const char *c = strchr(p, ':');
        part[n] = p;
        plen[n] = c ? (size_t)(c - p) : strlen(p);
        n++;
        if (!c) break;
        p = c + 1;
    }
    int ni, qi = -1;                   /* index of the name and of the qualifier */
    if (plen[0] == 3 && memcmp(part[0], "arn", 3) == 0) {
        /* arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>] */
        if ((n != 7 && n != 8) || plen[2] != 6 || memcmp(part[2], "lambda", 6) != 0 ||
            plen[5] != 8 || memcmp(part[5], "function", 8) != 0 || plen[1] < 3 || memcmp(part[1], "aws", 3) != 0 ||
            !span_ok(part[4], plen[4], 12, digit_char) || plen[4] != 12)
            return bad_name(in, err);
        ni = 6;
        if (n == 8) qi = 7;
    } else if (n >= 3 && plen[1] == 8 && memcmp(part[1], "function", 8) == 0) {
        /* <account>:function:<name>[:<qualifier>] */
        if (n > 4 || plen[0] != 12 || !span_ok(part[0], plen[0], 12, digit_char)) return bad_name(in, err);
        ni = 2;
        if (n == 4) qi = 3;
    } else {
        if (n > 2) return bad_name(in, err);
        ni = 0;
        if (n == 2) qi = 1;
    }
    if (!span_ok(part[ni], plen[ni], 64, name_char)) return bad_name(in, err);
    if (qi >= 0 && !span_ok(part[qi], plen[qi], 128, qualifier_char)) return bad_name(in, err);
    memcpy(name, part[ni], plen[ni]);
    name[plen[ni]] = '\0';
    if (qi >= 0) {
        memcpy(qualifier, part[qi], plen[qi]);
        qualifier[plen[qi]] = '\0';
    }
    return 0;
}

/* ---- records and the per-thread cache ---------------------------------- */

/* Every lambda_fn is the head of a fn_rec, so lambda_fn_free can find the
 * rest. Invariants:
 *   1. refs counts holders: each caller of lambda_fn_load until it calls
 *      lambda_fn_free, plus one while a thread cache keeps the record.
 *   2. A record in a cache (texts set) is never changed after it is filled:
 *      it is handed only to callers outside a transaction, who only read
 *      (every change runs inside hg_store_begin_write and gets its own).
 *   3. A cache entry is used without reading storage while fn_gen still
 *      equals the generation it was read under (fn_gen is read before the
 *      storage read): every change to a function record is a request of
 *      service.c, which calls lambda_fn_changed once the request's
 *      transaction has ended and before the client has its answer. Once
 *      fn_gen moved on, the entry is used only after lambda_store_get_unless
 *      found the stored texts still equal to the ones it was parsed from.
 *      Either way it is exactly as fresh as the read loading would do.
 *   4. A cache belongs to one thread (pthread key, freed at thread exit);
 *      refs is atomic because a record may outlive its entry in a holder's
 *      hands. */
/* Permission grants remembered (invariant 5): (principal, source ARN) pairs
 * lambda_permission_check found allowed by this record's policy. */
#define FN_GRANTS 8
typedef struct fn_grants {
    pthread_mutex_t lock;
    int next;                        /* round-robin victim */
    char *key[FN_GRANTS];            /* owned: "principal\nsource_arn" */
} fn_grants;

/*   5. grants belongs to one record and so to one text of its policy: any
 *      change of the policy (AddPermission, RemovePermission, a new
 *      function of that name) makes a new record with none. The lock lets
 *      holders on any thread read and add; it is bounded at FN_GRANTS. */
typedef struct fn_rec {
    lambda_fn f;                     /* first: lambda_fn_free finds the record from &f */
    _Atomic int refs;
    char *config_text, *priv_text;   /* owned: what a cached record was parsed from */
    fn_grants grants;
} fn_rec;

static void rec_unref(fn_rec *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1) return;
    cJSON_Delete(r->f.config);
    cJSON_Delete(r->f.priv);
    free(r->config_text);
    free(r->priv_text);
    for (int i = 0; i < FN_GRANTS; i++) free(r->grants.key[i]);
    pthread_mutex_destroy(&r->grants.lock);
    free(r);
}

/* Is key among the record's grants? */
static bool grant_find(fn_grants *g, const char *principal, size_t plen, const char *source_arn)
{
    for (int i = 0; i < FN_GRANTS; i++) {
        const char *k = g->key[i];
        if (k && strncmp(k, principal, plen) == 0 && k[plen] == '\n' && strcmp(k + plen + 1, source_arn) == 0)
            return true;
    }
    return false;
}

bool lambda_fn_granted(lambda_fn *f, const char *principal, const char *source_arn)
{
    fn_grants *g = &((fn_rec *)f)->grants;
    size_t plen = strlen(principal);
    pthread_mutex_lock(&g->lock);
    bool found = grant_find(g, principal, plen, source_arn);
    pthread_mutex_unlock(&g->lock);
    return found;
}

void lambda_fn_grant(lambda_fn *f, const char *principal, const char *source_arn)
{
    fn_grants *g = &((fn_rec *)f)->grants;
    size_t plen = strlen(principal), slen = strlen(source_arn);
    char *k = malloc(plen + 1 + slen + 1);
    if (!k) return;                  /* only a memo: the next check decides again */
    memcpy(k, principal, plen);
    k[plen] = '\n';
    memcpy(k + plen + 1, source_arn, slen + 1);
    pthread_mutex_lock(&g->lock);
    if (grant_find(g, principal, plen, source_arn)) {
        free(k);
    } else {
        free(g->key[g->next]);
        g->key[g->next] = k;
        g->next = (g->next + 1) % FN_GRANTS;
    }
    pthread_mutex_unlock(&g->lock);
}

void lambda_fn_free(lambda_fn *f)
{
    if (f) rec_unref((fn_rec *)f);
}

#define FN_CACHE 16
typedef struct fn_cache {
    int next;                        /* round-robin victim */
    struct { char region[33]; char name[65]; unsigned long long gen; fn_rec *rec; } e[FN_CACHE];
} fn_cache;

static _Atomic unsigned long long fn_gen = 1;

void lambda_fn_changed(void) { atomic_fetch_add(&fn_gen, 1); }

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_destroy(void *p)
{
    fn_cache *c = p;
    for (int i = 0; i < FN_CACHE; i++) rec_unref(c->e[i].rec);
    free(c);
}

static void cache_key_init(void) { pthread_key_create(&cache_key, cache_destroy); }

static fn_cache *thread_cache(void)
{
    pthread_once(&cache_once, cache_key_init);
    fn_cache *c = pthread_getspecific(cache_key);
    if (!c && (c = calloc(1, sizeof *c)) != NULL && pthread_setspecific(cache_key, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

/* The entry for (region, name), or -1. */
static int cache_find(const fn_cache *c, const char *region, const char *name)
{
    for (int i = 0; c && i < FN_CACHE; i++)
        if (c->e[i].rec && strcmp(c->e[i].name, name) == 0 && strcmp(c->e[i].region, region) == 0) return i;
    return -1;
}

/* Put r in the cache (in slot i, or a victim's when i < 0); the cache takes a reference. */
static void cache_put(fn_cache *c, int i, const char *region, const char *name, unsigned long long gen, fn_rec *r)
{
    if (!c) return;
    if (i < 0) {
        i = c->next;
        c->next = (c->next + 1) % FN_CACHE;
    }
    rec_unref(c->e[i].rec);
    snprintf(c->e[i].region, sizeof c->e[i].region, "%s", region);
    snprintf(c->e[i].name, sizeof c->e[i].name, "%s", name);
    c->e[i].gen = gen;
    atomic_fetch_add(&r->refs, 1);
    c->e[i].rec = r;
}

static int not_found(const char *region, const char *name, const char *qualifier, hg_err *err)
{
    char arn[256];
    lambda_fn_arn(region, name, arn, sizeof arn);
    return hg_err_set(err, 404, "ResourceNotFoundException", "Function not found: %s%s%s",
                      arn, *qualifier ? ":" : "", qualifier);
}

/* Fill the borrowed views of f from its two documents. */
static void fill_views(lambda_fn *f)
{
    const cJSON *c = f->config;
    f->name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "FunctionName"));
    f->arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "FunctionArn"));
    f->handler = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Handler"));
    f->revision_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "RevisionId"));
    f->code_sha256 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "CodeSha256"));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "Timeout");
    f->timeout_s = cJSON_IsNumber(t) ? t->valuedouble : 3.0;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "MemorySize");
    f->memory_mb = cJSON_IsNumber(m) ? m->valueint : 128;
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "Environment");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(env, "Variables");
    f->env_vars = cJSON_IsObject(vars) ? vars : NULL;
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(f->priv, "reservedConcurrency");
    f->reserved_concurrency = cJSON_IsNumber(rc) ? rc->valueint : -1;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(f->priv, "code");
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(code, "kind"));
    f->hot_dir = kind && strcmp(kind, "dir") == 0
               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(code, "dir")) : NULL;
}

int lambda_fn_load(hg_store *s, const char *region, const char *function, lambda_fn **out, hg_err *err)
{
    char name[65], qualifier[129];
    *out = NULL;
    if (lambda_parse_name(function, name, qualifier, err) != 0) return -1;
    /* Only $LATEST exists: versions and aliases are never created. */
    if (*qualifier && strcmp(qualifier, "$LATEST") != 0) return not_found(region, name, qualifier, err);
    /* Outside a transaction the caller only reads: share this thread's parse
     * while the stored texts are unchanged (invariants 2, 3). */
    unsigned long long gen = atomic_load(&fn_gen);
    fn_cache *cache = lambda_store_in_transaction(s) ? NULL : thread_cache();
    int slot = cache_find(cache, region, name);
    fn_rec *hit = slot >= 0 ? cache->e[slot].rec : NULL;
    if (hit && cache->e[slot].gen == gen) {
        atomic_fetch_add(&hit->refs, 1);
        *out = &hit->f;
        return 0;
    }
    char *config = NULL, *priv = NULL;
    int rc = lambda_store_get_unless(s, region, name, hit ? hit->config_text : NULL, hit ? hit->priv_text : NULL,
                                     &config, &priv, err);
    if (rc < 0) return -1;
    if (rc == 1) return not_found(region, name, qualifier, err);
    if (rc == 2) {
        cache->e[slot].gen = gen;
        atomic_fetch_add(&hit->refs, 1);
        *out = &hit->f;
        return 0;
    }
    fn_rec *r = calloc(1, sizeof *r);
    lambda_fn *f = r ? &r->f : NULL;
    if (r) {
        atomic_init(&r->refs, 1);
        pthread_mutex_init(&r->grants.lock, NULL);
        f->config = cJSON_Parse(config);
        f->priv = cJSON_Parse(priv);
    }
    if (!f || !cJSON_IsObject(f->config) || !cJSON_IsObject(f->priv)) {
        free(config);
        free(priv);
        lambda_fn_free(f);
        return hg_err_internal(err, "stored record of function %s is unreadable", name);
    }
    snprintf(f->region, sizeof f->region, "%s", region);
    fill_views(f);
    if (!f->name || !f->arn) {
        free(config);
        free(priv);
        lambda_fn_free(f);
        return hg_err_internal(err, "stored record of function %s lacks its name or ARN", name);
    }
    if (cache) {                      /* keep the texts to compare the next read with */
        r->config_text = config;
        r->priv_text = priv;
        cache_put(cache, slot, region, name, gen, r);
    } else {
        free(config);
        free(priv);
    }
    *out = f;
    return 0;
}

int lambda_fn_code(hg_store *s, const lambda_fn *f, void **zip, size_t *len, hg_err *err)
{
    *zip = NULL;
    *len = 0;
    int rc = lambda_store_code(s, f->region, f->name, zip, len, err);
    if (rc < 0) return -1;
    if (rc == 1) return not_found(f->region, f->name, "", err);
    if (!*zip) return hg_err_internal(err, "function %s has no zip package (its code is a folder)", f->name);
    return 0;
}
