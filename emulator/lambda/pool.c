/*
 * pool.c — Lambda execution environments: one pool of warm hlua_envs per
 * function, leased for one invocation at a time.
 *
 * A function's code is a "generation": one hlua_bundle built from the
 * revision's zip (or its hot-reload folder), shared by every env made from
 * it and freed when the last of them goes. A new RevisionId, a changed
 * hot-reload folder or lambda_pool_forget retires the current generation:
 * its idle envs are freed at once, those in use when they come back.
 *
 * Invariants:
 *   1. Every pool, generation and env field is guarded by pool_mutex; no
 *      lock is held while Lua runs, a bundle is built or an env is created.
 *   2. fp->busy counts leased envs plus leases still starting; a lease is
 *      refused (429) when busy would pass the function's reserved
 *      concurrency (or POOL_MAX_ENVS when none is set), so live envs of a
 *      function never exceed that bound (idle ones are only made by
 *      returning a busy one).
 *   3. An idle env always belongs to fp->cur; an env of a retired
 *      generation is freed when it is returned.
 *   4. A generation's refs = the pool's hold on it while current + one per
 *      env (idle or leased) + one per lease starting; its bundle is freed at 0.
 *   5. The reaper frees envs idle longer than hg_cfg.lambda_idle_s, and the
 *      generation of a function left with no env at all. It starts with the
 *      first lease after lambda_pool_init, not at start-up (a thread made
 *      there cost every start 0.2 ms, whether a function ever ran or not).
 *   6. A lease takes the idle env its thread ran last when there is one, so
 *      each env's Lua heap stays with one worker's malloc arena.
 *   7. A function is quick while a warm env waits for it and its recent runs
 *      of the current code (fp->recent_ms: the longest, decaying by a tenth
 *      per run; unknown until a run is seen) stayed under QUICK_MS. A lease
 *      that may move (core/offload.h) and finds it not quick is refused with
 *      2 before anything is taken, and the invocation moves off its worker:
 *      so do cold starts, a function's first runs, and for about forty runs
 *      after one that ran for seconds, a function that loops now and then.
 */
#include "lambda_internal.h"
#include "lambda_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hg_hex.h"
#include "hg_uuid.h"
#include <time.h>
#include "config.h"
#include "hg_log.h"
#include "hlua.h"

#define POOL_MAX_ENVS 64          /* per function, when no reserved concurrency is set */
#define POOL_INIT_TIMEOUT_S 10.0  /* AWS's limit on a function's init phase */
#define QUICK_MS 20.0             /* a run this long kept 16 other clients of its worker waiting */

typedef struct pool_gen {
    int refs;
    hlua_bundle *bundle;
    char revision[64];
    unsigned long long fingerprint;   /* of a hot-reload folder when built; 0 for zips */
    struct pool_gen *next_dead;       /* list of generations to free after unlocking */
} pool_gen;

typedef struct pool_env {
    hlua_env *env;
    pool_gen *gen;
    double idle_since;                /* CLOCK_MONOTONIC seconds */
    const void *thread;               /* the worker that ran it last (see lease_idle_locked) */
    char stream[96];                  /* this environment's log stream */
    struct pool_env *next;            /* idle list */
} pool_env;

typedef struct fn_pool {
    char region[33];
    char name[65];
    pool_gen *cur;                    /* NULL until the first cold start */
    pool_env *idle;                   /* most recently returned first */
    int busy;
    double recent_ms;                 /* invariant 7; < 0 until a run is seen */
    struct fn_pool *next;
} fn_pool;

struct lambda_lease {
    fn_pool *fp;
    pool_env *pe;
    double init_ms;                   /* > 0 on a cold start */
    double ran_ms;                    /* the run's duration, < 0 until lambda_lease_ran */
};

static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cond = PTHREAD_COND_INITIALIZER;
static fn_pool *pools;
static pthread_t reaper;
static int reaper_running, reaper_stop, reaper_wanted;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- generations and envs (free outside the lock) ----------------------- */

static void gen_unref_locked(pool_gen *g, pool_gen **dead)
{
    if (g && --g->refs == 0) {        /* freed by the caller after unlocking */
        g->next_dead = *dead;
        *dead = g;
    }
}

static void gen_free_list(pool_gen *dead)
{
    while (dead) {
        pool_gen *next = dead->next_dead;
        hlua_bundle_free(dead->bundle);
        free(dead);
        dead = next;
    }
}

/* Detach a function's idle envs and its current generation (the caller
 * frees both after unlocking). */
static void retire_locked(fn_pool *fp, pool_env **envs, pool_gen **dead)
{
    pool_env **tail = envs;
    while (*tail) tail = &(*tail)->next;
    *tail = fp->idle;
    fp->idle = NULL;
    if (fp->cur) gen_unref_locked(fp->cur, dead);
    fp->cur = NULL;
    fp->recent_ms = -1;               /* new code: how quick it is is not known */
}

/* Free envs detached under the lock: the env first, then its generation. */
static void envs_free(pool_env *envs, pool_gen *dead)
{
    pool_gen *more = NULL;
    for (pool_env *pe = envs, *next; pe; pe = next) {
        next = pe->next;
        hlua_env_free(pe->env);
        pthread_mutex_lock(&pool_mutex);
        gen_unref_locked(pe->gen, &more);
        pthread_mutex_unlock(&pool_mutex);
        free(pe);
    }
    gen_free_list(dead);
    gen_free_list(more);
}

static fn_pool *find_locked(const char *region, const char *name, int create)
{
    for (fn_pool *fp = pools; fp; fp = fp->next)
        if (strcmp(fp->region, region) == 0 && strcmp(fp->name, name) == 0) return fp;
    if (!create) return NULL;
    fn_pool *fp = calloc(1, sizeof *fp);
    if (!fp) return NULL;
    snprintf(fp->region, sizeof fp->region, "%s", region);
    snprintf(fp->name, sizeof fp->name, "%s", name);
    fp->recent_ms = -1;
    fp->next = pools;
    pools = fp;
    return fp;
}

/* YYYY/MM/DD/[$LATEST]<32 hex>, as Lambda names an environment's stream. */
static void make_stream(char *buf, size_t cap)
{
    unsigned char r[16];
    hg_random_bytes(r, sizeof r);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char hex[33];
    hg_hex(r, sizeof r, hex);
    snprintf(buf, cap, "%04d/%02d/%02d/[$LATEST]%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, hex);
}

/* Build a generation for f's current code (no lock held). */
static int gen_build(hg_store *s, const lambda_fn *f, pool_gen **out, hg_err *err)
{
    hlua_bundle *b = NULL;
    if (f->hot_dir) {
        if (hlua_bundle_from_dir(f->hot_dir, &b, err) != 0) return -1;
    } else {
        void *zip = NULL;
        size_t len = 0;
        if (lambda_fn_code(s, f, &zip, &len, err) != 0) return -1;
        int rc = hlua_bundle_from_zip(zip, len, &b, err);
        free(zip);
        if (rc != 0) return -1;
    }
    pool_gen *g = calloc(1, sizeof *g);
    if (!g) {
        hlua_bundle_free(b);
        return hg_err_internal(err, "out of memory");
    }
    g->refs = 1;                      /* the caller's */
    g->bundle = b;
    snprintf(g->revision, sizeof g->revision, "%s", f->revision_id ? f->revision_id : "");
    g->fingerprint = f->hot_dir ? hlua_bundle_fingerprint(b) : 0;
    *out = g;
    return 0;
}

/* ---- lease / return ------------------------------------------------------- */

/* This thread's token: the address of a thread-local. */
static const void *this_thread(void)
{
    static _Thread_local char token;
    return &token;
}

/* Take an idle env, the one this thread ran last if there is one. An env
 * that moves between workers has its Lua heap freed by a thread other than
 * the one that allocated it, and glibc then locks the other thread's malloc
 * arena on every such free: measured as the busiest futex of a gateway load. */
static pool_env *lease_idle_locked(fn_pool *fp)
{
    const void *me = this_thread();
    pool_env **pp = &fp->idle;
    for (pool_env **q = &fp->idle; *q; q = &(*q)->next)
        if ((*q)->thread == me) { pp = q; break; }
    pool_env *pe = *pp;
    *pp = pe->next;
    pe->next = NULL;
    pe->thread = me;
    return pe;
}

static void *reaper_main(void *arg);

/* Start the reaper if lambda_pool_init asked for it and it is not running:
 * one try (invariant 5). Without it idle envs stay until shutdown. */
static void reaper_start_locked(void)
{
    if (!reaper_wanted) return;
    reaper_wanted = 0;
    if (pthread_create(&reaper, NULL, reaper_main, NULL) == 0) reaper_running = 1;
    else hg_log(HG_LOG_WARN, "lambda: cannot start the environment reaper; idle environments stay until shutdown");
}

int lambda_pool_lease(hg_store *s, const lambda_fn *f, hg_buf *log, bool may_move, lambda_lease **out,
                      char **init_error, hg_err *err)
{
    *out = NULL;
    *init_error = NULL;
    int cap = f->reserved_concurrency >= 0 ? f->reserved_concurrency : POOL_MAX_ENVS;
    pool_env *stale = NULL;
    pool_gen *dead = NULL;

    lambda_lease *l = calloc(1, sizeof *l);
    if (!l) return hg_err_internal(err, "out of memory");
    l->ran_ms = -1;

    /* A hot-reload folder is fingerprinted without the lock; a change
     * retires the generation built from the old contents. */
    unsigned long long hot_fp = 0;
    pthread_mutex_lock(&pool_mutex);
    reaper_start_locked();
    fn_pool *fp = find_locked(f->region, f->name, 1);
    if (!fp) {
        pthread_mutex_unlock(&pool_mutex);
        free(l);
        return hg_err_internal(err, "out of memory");
    }
    if (fp->cur && strcmp(fp->cur->revision, f->revision_id ? f->revision_id : "") != 0)
        retire_locked(fp, &stale, &dead);
    if (f->hot_dir && fp->cur) {
        pool_gen *g = fp->cur;
        g->refs++;
        pthread_mutex_unlock(&pool_mutex);
        hot_fp = hlua_bundle_fingerprint(g->bundle);
        pthread_mutex_lock(&pool_mutex);
        if (fp->cur == g && hot_fp != g->fingerprint) retire_locked(fp, &stale, &dead);
        gen_unref_locked(g, &dead);
    }

    if (may_move && (!fp->idle || fp->recent_ms < 0 || fp->recent_ms >= QUICK_MS)) {   /* invariant 7 */
        pthread_mutex_unlock(&pool_mutex);
        envs_free(stale, dead);
        free(l);
        return 2;
    }
    if (fp->idle) {                   /* warm */
        pool_env *pe = lease_idle_locked(fp);
        fp->busy++;
        pthread_mutex_unlock(&pool_mutex);
        envs_free(stale, dead);
        l->fp = fp;
        l->pe = pe;
        *out = l;
        return 0;
    }
    if (fp->busy >= cap) {
        pthread_mutex_unlock(&pool_mutex);
        envs_free(stale, dead);
        free(l);
        return hg_err_set(err, 429, "TooManyRequestsException", "Rate Exceeded.");
    }
    fp->busy++;                       /* this lease, while it starts */
    pool_gen *g = fp->cur;
    if (g) g->refs++;
    pthread_mutex_unlock(&pool_mutex);
    envs_free(stale, dead);
    stale = NULL;
    dead = NULL;

    /* Cold start: code first (shared by the function's envs), then the env. */
    double t0 = mono_now();
    if (!g) {
        if (gen_build(s, f, &g, err) != 0) goto fail;
        pthread_mutex_lock(&pool_mutex);
        if (!fp->cur) {               /* ours becomes current */
            fp->cur = g;
            g->refs++;
        } else if (strcmp(fp->cur->revision, g->revision) == 0 && fp->cur->fingerprint == g->fingerprint) {
            pool_gen *mine = g;       /* a racing lease built the same code first: share it */
            g = fp->cur;
            g->refs++;
            gen_unref_locked(mine, &dead);
        }
        pthread_mutex_unlock(&pool_mutex);
        gen_free_list(dead);
        dead = NULL;
    }

    pool_env *pe = calloc(1, sizeof *pe);
    if (!pe) {
        hg_err_internal(err, "out of memory");
        goto fail;
    }
    pe->thread = this_thread();
    make_stream(pe->stream, sizeof pe->stream);
    char group[128];
    snprintf(group, sizeof group, "/aws/lambda/%s", f->name);
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(f->config, "Role");
    hlua_env_config cfg = {
        .function_name = f->name, .function_arn = f->arn, .function_version = "$LATEST",
        .region = f->region, .log_group = group, .log_stream = pe->stream,
        .handler = f->handler, .memory_limit = (size_t)f->memory_mb * 1024 * 1024,
        .memory_mb = f->memory_mb, .env_vars = f->env_vars, .bundle = g->bundle,
        .init_timeout_s = POOL_INIT_TIMEOUT_S,
        .role_arn = cJSON_IsString(role) ? role->valuestring : NULL,
    };
    int rc = hlua_env_new(&cfg, log, &pe->env, init_error, err);
    if (rc != 0) {
        /* An init failure is the function's error (rc 1): the caller answers
         * it as Unhandled and logs it to this would-be env's stream. */
        if (rc == 1) {
            l->fp = fp;
            l->pe = pe;
            pe->gen = g;              /* released by lambda_pool_return */
            *out = l;
            return 1;
        }
        free(pe);
        goto fail;
    }
    pe->gen = g;                      /* the lease's reference becomes the env's */
    l->fp = fp;
    l->pe = pe;
    l->init_ms = (mono_now() - t0) * 1000.0;
    if (l->init_ms <= 0) l->init_ms = 0.01;
    *out = l;
    return 0;

fail:
    pthread_mutex_lock(&pool_mutex);
    fp->busy--;
    gen_unref_locked(g, &dead);
    pthread_mutex_unlock(&pool_mutex);
    gen_free_list(dead);
    free(l);
    return -1;
}

hlua_env *lambda_lease_env(const lambda_lease *l) { return l->pe->env; }
const char *lambda_lease_stream(const lambda_lease *l) { return l->pe->stream; }
double lambda_lease_init_ms(const lambda_lease *l) { return l->init_ms; }
void lambda_lease_ran(lambda_lease *l, double ms) { l->ran_ms = ms; }

void lambda_pool_return(lambda_lease *l)
{
    if (!l) return;
    fn_pool *fp = l->fp;
    pool_env *pe = l->pe;
    pool_gen *dead = NULL;
    int keep = 0;
    pthread_mutex_lock(&pool_mutex);
    fp->busy--;
    if (l->ran_ms >= 0) {
        double decayed = fp->recent_ms * 0.9;
        fp->recent_ms = l->ran_ms > decayed ? l->ran_ms : decayed;   /* the first run: itself */
    }
    if (pe->env && hlua_env_reusable(pe->env) && pe->gen == fp->cur) {
        pe->idle_since = mono_now();
        pe->next = fp->idle;
        fp->idle = pe;
        keep = 1;
    }
    pthread_mutex_unlock(&pool_mutex);
    if (!keep) {
        pe->next = NULL;
        if (pe->env) {
            envs_free(pe, dead);
        } else {                      /* an env that failed its init */
            pthread_mutex_lock(&pool_mutex);
            gen_unref_locked(pe->gen, &dead);
            pthread_mutex_unlock(&pool_mutex);
            gen_free_list(dead);
            free(pe);
        }
    }
    free(l);
}

void lambda_pool_forget(const char *region, const char *name)
{
    pool_env *stale = NULL;
    pool_gen *dead = NULL;
    pthread_mutex_lock(&pool_mutex);
    fn_pool *fp = find_locked(region, name, 0);
    if (fp) retire_locked(fp, &stale, &dead);
    pthread_mutex_unlock(&pool_mutex);
    envs_free(stale, dead);
}

/* ---- the reaper --------------------------------------------------------- */

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "hg-lambda-reap");
    pthread_mutex_lock(&pool_mutex);
    while (!reaper_stop) {
        double idle = hg_cfg.lambda_idle_s > 0 ? hg_cfg.lambda_idle_s : 600;
        double period = idle / 4 < 0.05 ? 0.05 : (idle / 4 > 30 ? 30 : idle / 4);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double wake = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + period;
        ts.tv_sec = (time_t)wake;
        ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&reaper_cond, &pool_mutex, &ts);
        if (reaper_stop) break;

        pool_env *stale = NULL;
        pool_gen *dead = NULL;
        double now = mono_now();
        for (fn_pool *fp = pools; fp; fp = fp->next) {
            for (pool_env **pp = &fp->idle; *pp;) {
                pool_env *pe = *pp;
                if (now - pe->idle_since >= idle) {
                    *pp = pe->next;
                    pe->next = stale;
                    stale = pe;
                } else {
                    pp = &pe->next;
                }
            }
            if (!fp->idle && fp->busy == 0 && fp->cur) {   /* nobody left: drop the code too */
                gen_unref_locked(fp->cur, &dead);
                fp->cur = NULL;
            }
        }
        if (stale || dead) {
            pthread_mutex_unlock(&pool_mutex);
            envs_free(stale, dead);
            pthread_mutex_lock(&pool_mutex);
        }
    }
    pthread_mutex_unlock(&pool_mutex);
    return NULL;
}

int lambda_pool_init(hg_err *err)
{
    (void)err;
    pthread_mutex_lock(&pool_mutex);
    reaper_stop = 0;
    reaper_wanted = !reaper_running;
    pthread_mutex_unlock(&pool_mutex);
    return 0;
}

void lambda_pool_shutdown(void)
{
    pthread_mutex_lock(&pool_mutex);
    int running = reaper_running;
    reaper_stop = 1;
    reaper_wanted = reaper_running = 0;
    pthread_cond_broadcast(&reaper_cond);
    pthread_mutex_unlock(&pool_mutex);
    if (running) pthread_join(reaper, NULL);
    /* Called after serving stopped: no lease is out. */
    pool_env *stale = NULL;
    pool_gen *dead = NULL;
    pthread_mutex_lock(&pool_mutex);
    fn_pool *all = pools;
    pools = NULL;
    for (fn_pool *fp = all; fp; fp = fp->next) retire_locked(fp, &stale, &dead);
    pthread_mutex_unlock(&pool_mutex);
    envs_free(stale, dead);
    while (all) {
        fn_pool *next = all->next;
        free(all);
        all = next;
    }
}
