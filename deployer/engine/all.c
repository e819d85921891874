/*
 * all.c — `--all`: every Pulumi project below a folder, deployed as one set
 * of micro-stacks ordered by their stack references.
 *
 * The steps, all of which can refuse the run before anything changes:
 *   1. find the projects (folders holding Pulumi.yaml; build/, node_modules/,
 *      .git/ and hidden folders are skipped) and load each for the one stack
 *      name given (--stack dev means dev in every project);
 *   2. read each program's StackReference names; a reference into the set
 *      is an edge, a reference outside it must name a stack that exists in
 *      the state; two projects with one name, and cycles, are refused with
 *      the cycle spelled out;
 *   3. run: a stack starts when everything it reads is done (destroy: when
 *      everything that reads it is gone), independent stacks on parallel
 *      threads, each through eng_run with its own lock and its own output
 *      buffer, printed as one block when it ends so lines never interleave.
 *
 * Skipping: a stack's fingerprint is a SHA-256 of its program files, its
 * stack config file, every file or folder an fn::fileArchive, fn::fileAsset
 * or fn::readFile names, the current outputs of the stacks it references,
 * then "@" and a short hash of where it deploys to: the endpoint and the
 * region. eng_run records it with the outputs after a successful up; an up
 * --all whose fingerprint equals the recorded one skips the stack. When
 * only the part after "@" differs, the state describes resources somewhere
 * else (the same HANGAR_HOME pointed at a fresh emulator): the stack runs
 * with a refresh first, so what is missing there is created, not assumed.
 * When a referenced output changes, the fingerprint follows, so the
 * dependent runs again. A failed up records nothing, so it is retried.
 *
 * Invariants:
 *   1. all->mu guards every unit's status and the printing; engine runs
 *      happen without it.
 *   2. A unit's fingerprint is computed only once everything it references
 *      has finished, so it sees their new outputs.
 *   3. A stack that depends on a failed (or not run) stack is not run.
 */
#include "eng_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "hg_buf.h"
#include "hg_hex.h"

/* Bounds on what a walk below the root may find (a typo'd root such as "/" must not take forever). */
#define ALL_MAX_PROJECTS 256
#define ALL_MAX_DEPTH    16
#define ALL_MAX_WORKERS  8
#define FP_VERSION       "hangar-all-fingerprint-2"

enum unit_status {
    U_WAIT,       /* not started */
    U_RUNNING,
    U_DONE,       /* ran and succeeded */
    U_SKIPPED,    /* unchanged since its last up (or nothing to destroy) */
    U_FAILED,
    U_BLOCKED,    /* a stack it depends on failed or was not run */
    U_NOTYET,     /* preview: a stack it reads is not deployed yet */
};

typedef struct unit {
    char *dir;                  /* project folder as found below the root (owned) */
    char *project;              /* project name (owned) */
    char *full;                 /* org/project/stack (owned) */
    prog_project *p;            /* loaded program (owned); NULL for a destroy whose program no longer loads */
    char **refs; int nrefs;     /* referenced stack names (owned) */
    int *deps; int ndeps;       /* units this one waits for (owned) */
    int status;
    bool changed;               /* the run changed (or, in preview, would change) something */
    bool upstream_changed;      /* preview: a stack it reads has changes of its own */
    char *note;                 /* why it was skipped, blocked or failed (owned) */
    eng_summary sum;
} unit;

typedef struct all_ctx {
    state_db *db;
    aws_client *aws;
    const eng_opts *o;
    const char *root, *org, *stack;
    unit *u; int n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    FILE *out;
} all_ctx;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void unit_release(unit *x)
{
    free(x->dir);
    free(x->project);
    free(x->full);
    prog_project_free(x->p);
    for (int i = 0; i < x->nrefs; i++) free(x->refs[i]);
    free(x->refs);
    free(x->deps);
    free(x->note);
}

static void set_note(unit *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(unit *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(x->note);
    x->note = NULL;
    if (vasprintf(&x->note, fmt, ap) < 0) x->note = NULL;
    va_end(ap);
}

/* ---- 1. finding the projects ------------------------------------------------------ */

static bool skipped_folder(const char *name)
{
    return name[0] == '.' || !strcmp(name, "build") || !strcmp(name, "node_modules");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Add dir (and every project below it) to *dirs (new strings). */
static int find_projects(const char *dir, int depth, char ***dirs, int *n, hg_err *err)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/Pulumi.yaml", dir) >= (int)sizeof path)
        return hg_err_validation(err, "--all: the path %s is too long", dir);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        if (*n >= ALL_MAX_PROJECTS)
            return hg_err_validation(err, "--all: more than %d projects below the folder", ALL_MAX_PROJECTS);
        char **d = realloc(*dirs, (size_t)(*n + 1) * sizeof *d);
        if (!d || !(d[*n] = strdup(dir))) { if (d) *dirs = d; return hg_err_internal(err, "out of memory"); }
        *dirs = d;
        (*n)++;
    }
    if (depth >= ALL_MAX_DEPTH) return 0;
    DIR *dh = opendir(dir);
    if (!dh) return depth == 0 ? hg_err_validation(err, "--all: cannot read %s: %s", dir, strerror(errno)) : 0;
    char **subs = NULL;
    int nsubs = 0, rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dh))) {
        if (skipped_folder(e->d_name)) continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        /* lstat: a symlinked folder could loop back above us */
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        char **s = realloc(subs, (size_t)(nsubs + 1) * sizeof *s);
        if (!s || !(s[nsubs] = strdup(path))) { if (s) subs = s; rc = hg_err_internal(err, "out of memory"); break; }
        subs = s;
        nsubs++;
    }
    closedir(dh);
    if (nsubs) qsort(subs, (size_t)nsubs, sizeof *subs, cmp_str);   /* readdir order is not stable */
    for (int i = 0; i < nsubs; i++) {
        if (rc == 0) rc = find_projects(subs[i], depth + 1, dirs, n, err);
        free(subs[i]);
    }
    free(subs);
    return rc;
}

/* ---- fingerprints ------------------------------------------------------------------ */

static void fp_bytes(EVP_MD_CTX *md, const void *p, size_t n)
{
    /* length first, so no two sequences of fields hash alike */
    unsigned long long len = n;
    EVP_DigestUpdate(md, &len, sizeof len);
    if (n) EVP_DigestUpdate(md, p, n);
}

static void fp_str(EVP_MD_CTX *md, const char *s) { fp_bytes(md, s, strlen(s)); }

/* A file's bytes, or a marker when it does not exist (its absence is part of the fingerprint). */
static void fp_file(EVP_MD_CTX *md, const char *label, const char *path)
{
    fp_str(md, label);
    FILE *f = fopen(path, "rb");
    if (!f) { fp_str(md, "\001" "absent"); return; }
    unsigned char buf[16384];
    size_t r;
    EVP_DigestUpdate(md, "\x02", 1);
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(md, buf, r);
    fclose(f);
    EVP_DigestUpdate(md, "\x03", 1);
}

/* A folder: every regular file below it in sorted order, named relative to it. */
static void fp_tree(EVP_MD_CTX *md, const char *path, const char *rel, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) { fp_str(md, rel); fp_str(md, "\001" "absent"); return; }
    if (!S_ISDIR(st.st_mode)) { fp_file(md, rel, path); return; }
    if (depth > ALL_MAX_DEPTH) return;
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            char sub[PATH_MAX], subrel[PATH_MAX];
            struct stat ls;
            if (snprintf(sub, sizeof sub, "%s/%s", path, nm) < (int)sizeof sub &&
                snprintf(subrel, sizeof subrel, "%s/%s", rel, nm) < (int)sizeof subrel &&
                lstat(sub, &ls) == 0 && !(S_ISLNK(ls.st_mode) && stat(sub, &ls) == 0 && S_ISDIR(ls.st_mode)))
                fp_tree(md, sub, subrel, depth + 1);
        }
        free(ents[i]);
    }
    free(ents);
}

/* Every file path the program names through fn::fileArchive, fn::fileAsset
 * or fn::readFile. A path built from config is evaluated; one built from
 * resource outputs cannot be known and is left out. */
static void fp_program_files(EVP_MD_CTX *md, prog_project *p, const prog_node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) {
        const prog_node *v = n->items[i];
        if (n->kind == PN_MAP && (!strcmp(n->keys[i], "fn::fileArchive") || !strcmp(n->keys[i], "fn::fileAsset") ||
                                  !strcmp(n->keys[i], "fn::readFile"))) {
            char *path = NULL;
            if (v->kind == PN_SCALAR && !strstr(v->scalar, "${")) {
                path = strdup(v->scalar);
            } else {
                prog_env env = { .project = p, .preview = true };
                cJSON *val = NULL;
                hg_err ignored = {0};
                if (prog_eval(&env, v, &val, &ignored) == 0 && cJSON_IsString(val) && !prog_has_unknown(val))
                    path = strdup(val->valuestring);
                cJSON_Delete(val);
                prog_env_release(&env);
            }
            if (path) {
                char full[PATH_MAX];
                if (path[0] == '/') snprintf(full, sizeof full, "%s", path);
                else snprintf(full, sizeof full, "%s/%s", p->dir, path);
                fp_str(md, n->keys[i]);
                fp_tree(md, full, path, 0);
                free(path);
            }
        }
        fp_program_files(md, p, v);
    }
}

/* Finish md into lowercase hex of at most max_hex digits, appended to out. */
static int fp_finish_hex(EVP_MD_CTX *md, hg_buf *out, unsigned max_hex)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_DigestFinal_ex(md, digest, &dlen) != 1) return -1;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    hg_hex(digest, dlen, hex);
    return hg_buf_append(out, hex, dlen * 2 < max_hex ? dlen * 2 : max_hex);
}

/* The hash of where a unit deploys: the endpoint, and its region (its own
 * aws:region wins over the client's, as in run_unit). */
static int fp_target(all_ctx *a, const unit *x, hg_buf *out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) { EVP_MD_CTX_free(md); return -1; }
    const cJSON *region = cJSON_GetObjectItemCaseSensitive(x->p->config, "aws:region");
    fp_str(md, a->aws ? aws_client_endpoint(a->aws) : "\001" "none");
    fp_str(md, cJSON_IsString(region) ? region->valuestring : a->aws ? aws_client_region(a->aws) : "\001" "none");
    int rc = fp_finish_hex(md, out, 16);
    EVP_MD_CTX_free(md);
    return rc;
}

/* The fingerprint of a loaded unit, "<content>@<target>" (new string), or
 * NULL with err set. */
static char *fingerprint(all_ctx *a, const unit *x, hg_err *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        hg_err_internal(err, "cannot start SHA-256");
        return NULL;
    }
    char path[PATH_MAX];
    fp_str(md, FP_VERSION);
    fp_str(md, HANGAR_VERSION);
    fp_file(md, "Pulumi.yaml", x->p->file);
    snprintf(path, sizeof path, "%s/Main.yaml", x->p->dir);
    fp_file(md, "Main.yaml", path);
    fp_file(md, "stack config", x->p->stack_file ? x->p->stack_file : "");
    fp_program_files(md, x->p, x->p->root);
    fp_program_files(md, x->p, x->p->main_root);
    /* the referenced stacks' outputs as they are now (invariant 2) */
    char **refs = malloc((size_t)(x->nrefs + 1) * sizeof *refs);
    int rc = refs ? 0 : hg_err_internal(err, "out of memory");
    for (int i = 0; rc == 0 && i < x->nrefs; i++) refs[i] = x->refs[i];
    if (rc == 0 && x->nrefs) qsort(refs, (size_t)x->nrefs, sizeof *refs, cmp_str);
    for (int i = 0; rc == 0 && i < x->nrefs; i++) {
        char org[256], proj[256], stk[256];
        if (sscanf(refs[i], "%255[^/]/%255[^/]/%255s", org, proj, stk) != 3) continue;
        state_stack *s = NULL;
        int got = state_stack_get(a->db, org, proj, stk, &s, err);
        if (got < 0) { rc = -1; break; }
        fp_str(md, refs[i]);
        char *text = got == 0 && s->outputs ? cJSON_PrintUnformatted(s->outputs) : NULL;
        fp_str(md, text ? text : "\001" "absent");
        free(text);
        state_stack_free(s);
    }
    free(refs);
    hg_buf hex;
    hg_buf_init(&hex, 256);
    if (rc == 0 && (fp_finish_hex(md, &hex, 64) < 0 || hg_buf_append(&hex, "@", 1) < 0 || fp_target(a, x, &hex) < 0))
        rc = hg_err_internal(err, "cannot compute the fingerprint");
    EVP_MD_CTX_free(md);
    char *fp = rc == 0 ? hg_buf_steal(&hex) : NULL;
    if (rc == 0 && !fp) hg_err_internal(err, "out of memory");
    hg_buf_release(&hex);
    return fp;
}

/* Did the recorded fingerprint come from a deploy to another endpoint or
 * region? (An old fingerprint without "@" cannot say, so: no.) */
static bool fp_other_target(const char *recorded, const char *now)
{
    const char *r = recorded ? strrchr(recorded, '@') : NULL, *n = strrchr(now, '@');
    return r && n && strcmp(r, n) != 0;
}

/* ---- 2. the graph -------------------------------------------------------------------- */

static int unit_by_full(const all_ctx *a, const char *full)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->u[i].full, full)) return i;
    return -1;
}

static int add_dep(unit *x, int j, hg_err *err)
{
    for (int k = 0; k < x->ndeps; k++)
        if (x->deps[k] == j) return 0;
    int *d = realloc(x->deps, (size_t)(x->ndeps + 1) * sizeof *d);
    if (!d) return hg_err_internal(err, "out of memory");
    x->deps = d;
    x->deps[x->ndeps++] = j;
    return 0;
}

/* Depth-first search for a cycle; on finding one, err names it in order. */
static int find_cycle(const all_ctx *a, int i, int *color, int *path, int depth, hg_err *err)
{
    color[i] = 1;
    path[depth] = i;
    for (int k = 0; k < a->u[i].ndeps; k++) {
        int j = a->u[i].deps[k];
        if (color[j] == 1) {
            hg_buf b;
            hg_buf_init(&b, 8192);
            int start = depth;
            while (start > 0 && path[start] != j) start--;
            for (int s = start; s <= depth; s++) {
                hg_buf_puts(&b, a->u[path[s]].full);
                hg_buf_puts(&b, " -> ");
            }
            hg_buf_puts(&b, a->u[j].full);
            hg_err_set(err, 400, "StackCycle", "stack cycle: %s", hg_buf_cstr(&b));
            hg_buf_release(&b);
            return -1;
        }
        if (color[j] == 0 && find_cycle(a, j, color, path, depth + 1, err) < 0) return -1;
    }
    color[i] = 2;
    return 0;
}

static int build_graph(all_ctx *a, hg_err *err)
{
    for (int i = 0; i < a->n; i++) {
        unit *x = &a->u[i];
        for (int r = 0; r < x->nrefs; r++) {
            int j = unit_by_full(a, x->refs[r]);
            if (j >= 0) {
                if (add_dep(x, j, err) < 0) return -1;
                continue;
            }
            if (a->o->mode == ENG_DESTROY) continue;   /* tearing down needs nothing it reads */
            char org[256], proj[256], stk[256];
            state_stack *s = NULL;
            int got = sscanf(x->refs[r], "%255[^/]/%255[^/]/%255s", org, proj, stk) == 3
                          ? state_stack_get(a->db, org, proj, stk, &s, err) : 1;
            if (got < 0) return -1;
            bool deployed = got == 0 && s->updated > 0;
            state_stack_free(s);
            if (!deployed)
                return hg_err_set(err, 404, "StackNotFound",
                                  "stack reference: %s (read by %s in %s) is not a project below %s and no "
                                  "such stack has been deployed; nothing was changed", x->refs[r], x->full, x->dir,
                                  a->root);
        }
    }
    int *color = calloc((size_t)a->n, sizeof *color), *path = calloc((size_t)a->n + 1, sizeof *path);
    int rc = color && path ? 0 : hg_err_internal(err, "out of memory");
    for (int i = 0; rc == 0 && i < a->n; i++)
        if (color[i] == 0) rc = find_cycle(a, i, color, path, 0, err);
    free(color);
    free(path);
    if (rc < 0 || a->o->mode != ENG_DESTROY) return rc;
    /* destroy: a stack waits for every stack that reads it */
    int **rev = calloc((size_t)a->n, sizeof *rev);
    int *nrev = calloc((size_t)a->n, sizeof *nrev);
    if (!rev || !nrev) { free(rev); free(nrev); return hg_err_internal(err, "out of memory"); }
    for (int i = 0; i < a->n; i++)
        for (int k = 0; k < a->u[i].ndeps; k++) {
            int j = a->u[i].deps[k];
            int *v = realloc(rev[j], (size_t)(nrev[j] + 1) * sizeof *v);
            if (v) { rev[j] = v; rev[j][nrev[j]++] = i; }
            else rc = hg_err_internal(err, "out of memory");
        }
    for (int i = 0; i < a->n; i++) {
        free(a->u[i].deps);
        a->u[i].deps = rev[i];
        a->u[i].ndeps = nrev[i];
    }
    free(rev);
    free(nrev);
    return rc;
}

/* ---- loading -------------------------------------------------------------------------- */

static int load_units(all_ctx *a, char **dirs, int ndirs, hg_err *err)
{
    a->u = calloc((size_t)ndirs, sizeof *a->u);
    if (!a->u) return hg_err_internal(err, "out of memory");
    for (int i = 0; i < ndirs; i++) {
        unit *x = &a->u[a->n++];
        x->dir = dirs[i];
        dirs[i] = NULL;
        hg_err lerr = {0};
        if (prog_load(x->dir, a->stack, prov_types(), &x->p, &lerr) < 0) {
            /* destroy needs only the name; everything else stops here, before any change */
            if (a->o->mode != ENG_DESTROY) {
                return hg_err_set(err, lerr.status ? lerr.status : 400, lerr.code[0] ? lerr.code : "ProgramError",
                                  "%s (project %s); nothing was changed", lerr.message, x->dir);
            }
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/Pulumi.yaml", x->dir);
            prog_node *root = NULL;
            if (prog_yaml_load(path, &root, err) < 0) return -1;
            const prog_node *nm = prog_map_get(root, "name");
            x->project = nm && nm->kind == PN_SCALAR ? strdup(nm->scalar) : NULL;
            prog_node_free(root);
            if (!x->project) return hg_err_validation(err, "%s: the project has no `name`", path);
        } else {
            x->project = strdup(x->p->name);
            if (!x->project) return hg_err_internal(err, "out of memory");
            if (prog_stack_references(x->p, &x->refs, &x->nrefs, err) < 0) return -1;
        }
        if (asprintf(&x->full, "%s/%s/%s", a->org, x->project, a->stack) < 0) {
            x->full = NULL;
            return hg_err_internal(err, "out of memory");
        }
        for (int j = 0; j < a->n - 1; j++)
            if (!strcmp(a->u[j].full, x->full))
                return hg_err_validation(err, "--all: two projects are named '%s' (%s and %s); project names "
                                              "must be unique", x->project, a->u[j].dir, x->dir);
    }
    return 0;
}

/* ---- 3. running ------------------------------------------------------------------------- */

/* Print one finished unit's block (mu held). */
static void print_block(all_ctx *a, const unit *x, const char *text, size_t len)
{
    if (a->o->json) {
        if (len) fwrite(text, 1, len, a->out);
        cJSON *ev = cJSON_CreateObject();
        static const char *const names[] = { [U_WAIT] = "waiting", [U_RUNNING] = "running", [U_DONE] = "done",
                                             [U_SKIPPED] = "skipped", [U_FAILED] = "failed",
                                             [U_BLOCKED] = "blocked", [U_NOTYET] = "not-deployed-yet" };
        cJSON_AddStringToObject(ev, "type", "stackEvent");
        cJSON_AddStringToObject(ev, "stack", x->full);
        cJSON_AddStringToObject(ev, "dir", x->dir);
        cJSON_AddStringToObject(ev, "status", names[x->status]);
        if (x->note) cJSON_AddStringToObject(ev, "message", x->note);
        char *s = cJSON_PrintUnformatted(ev);
        if (s) fprintf(a->out, "%s\n", s);
        free(s);
        cJSON_Delete(ev);
    } else if (x->status == U_SKIPPED || x->status == U_BLOCKED || x->status == U_NOTYET) {
        fprintf(a->out, "%s: %s\n\n", x->full, x->note ? x->note : "skipped");
    } else {
        fprintf(a->out, "=== %s (%s) ===\n", x->full, x->dir);
        if (x->upstream_changed)
            fprintf(a->out, "note: a stack it references has changes of its own; the outputs read from it may "
                            "change, so this preview may change too\n");
        if (len) fwrite(text, 1, len, a->out);
        if (x->status == U_FAILED) fprintf(a->out, "error: %s\n", x->note ? x->note : "failed");
        fputc('\n', a->out);
    }
    fflush(a->out);
}

/* Decide whether a finished-dependencies unit can be skipped, and run it otherwise. */
static void run_unit(all_ctx *a, unit *x)
{
    const eng_opts *o = a->o;
    hg_err err = {0};
    char *fp = NULL;
    bool moved = false;          /* recorded from a deploy to another endpoint or region */
    state_stack *s = NULL;
    int got = state_stack_get(a->db, a->org, x->project, a->stack, &s, &err);
    if (got < 0) { x->status = U_FAILED; set_note(x, "%s", err.message); goto done_nolog; }

    if (o->mode == ENG_DESTROY) {
        if (got == 1) { x->status = U_SKIPPED; set_note(x, "no such stack, nothing to destroy"); goto done_nolog; }
    } else if (o->mode == ENG_PREVIEW) {
        /* a stack it reads that was never deployed cannot be read yet */
        for (int k = 0; k < x->ndeps; k++) {
            const unit *d = &a->u[x->deps[k]];
            state_stack *ds = NULL;
            hg_err e2 = {0};
            int dg = state_stack_get(a->db, a->org, d->project, a->stack, &ds, &e2);
            bool deployed = dg == 0 && ds->updated > 0;
            state_stack_free(ds);
            if (!deployed) {
                x->status = U_NOTYET;
                x->changed = true;
                set_note(x, "not previewed: it reads %s, which is not deployed yet (an `up --all` deploys that "
                            "first)", d->full);
                goto done_nolog;
            }
            if (d->changed) x->upstream_changed = true;
        }
    }
    if (o->mode == ENG_UP || o->mode == ENG_PREVIEW) {
        if (!(fp = fingerprint(a, x, &err))) { x->status = U_FAILED; set_note(x, "%s", err.message); goto done_nolog; }
        bool same = got == 0 && s->updated > 0 && s->fingerprint && !strcmp(s->fingerprint, fp);
        if (same && !o->refresh && !o->targets && !x->upstream_changed) {
            x->status = U_SKIPPED;
            set_note(x, "unchanged, skipped");
            goto done_nolog;
        }
        moved = got == 0 && s->updated > 0 && fp_other_target(s->fingerprint, fp);
    }

    /* its own engine run, its own lock, its own output buffer */
    char *text = NULL;
    size_t len = 0;
    FILE *buf = open_memstream(&text, &len);
    eng_opts eo = *o;
    eo.dir = x->dir;
    eo.stack = a->stack;
    eo.org = a->org;
    eo.out = buf ? buf : a->out;
    eo.fingerprint = fp;
    if (moved) eo.refresh = true;   /* the state describes another endpoint's resources */
    /* a stack whose aws:region differs from the client's gets a client of its own */
    aws_client *own = NULL, *aws = a->aws;
    const cJSON *region = x->p ? cJSON_GetObjectItemCaseSensitive(x->p->config, "aws:region") : NULL;
    if (cJSON_IsString(region) && aws && strcmp(region->valuestring, aws_client_region(aws)) != 0) {
        aws_config cfg = { .endpoint = aws_client_endpoint(aws), .region = region->valuestring, .max_retries = 4 };
        aws_config_credentials(&cfg);
        if ((own = aws_client_new(&cfg, &err))) aws = own;
    }
    int rc = eng_run(a->db, aws, &eo, &x->sum, &err);
    aws_client_free(own);
    if (buf) fclose(buf);
    pthread_mutex_lock(&a->mu);
    if (rc < 0) {
        x->status = U_FAILED;
        set_note(x, "%s", err.message);
    } else {
        x->status = U_DONE;
        x->changed = x->sum.changed;
    }
    print_block(a, x, text, len);
    pthread_mutex_unlock(&a->mu);
    free(text);
    free(fp);
    state_stack_free(s);
    return;

done_nolog:
    pthread_mutex_lock(&a->mu);
    print_block(a, x, NULL, 0);
    pthread_mutex_unlock(&a->mu);
    free(fp);
    state_stack_free(s);
}

static bool finished(int st) { return st != U_WAIT && st != U_RUNNING; }

/* A unit ready to run (mu held): -1 none now, -2 all finished. Marks blocked units on the way. */
static int pick(all_ctx *a)
{
    bool open = false;
    for (int i = 0; i < a->n; i++) {
        unit *x = &a->u[i];
        if (x->status == U_RUNNING) open = true;
        if (x->status != U_WAIT) continue;
        open = true;
        bool ready = true;
        for (int k = 0; k < x->ndeps && ready; k++) {
            const unit *d = &a->u[x->deps[k]];
            if (!finished(d->status)) { ready = false; break; }
            bool bad = d->status == U_FAILED || d->status == U_BLOCKED ||
                       (d->status == U_NOTYET && a->o->mode != ENG_PREVIEW);
            if (bad) {
                x->status = U_BLOCKED;
                if (a->o->mode == ENG_DESTROY)
                    set_note(x, "not destroyed: %s, which reads its outputs, was not destroyed", d->full);
                else
                    set_note(x, "not run: it depends on %s, which %s", d->full,
                             d->status == U_FAILED ? "failed" : "was not run");
                print_block(a, x, NULL, 0);
                pthread_cond_broadcast(&a->cv);
                return pick(a);
            }
        }
        if (ready) return i;
    }
    return open ? -1 : -2;
}

static void *worker(void *arg)
{
    all_ctx *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        int i = pick(a);
        if (i == -2) break;
        if (i == -1) { pthread_cond_wait(&a->cv, &a->mu); continue; }
        a->u[i].status = U_RUNNING;
        pthread_mutex_unlock(&a->mu);
        run_unit(a, &a->u[i]);
        pthread_mutex_lock(&a->mu);
        pthread_cond_broadcast(&a->cv);
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static void print_summary(all_ctx *a, double seconds)
{
    bool pv = a->o->mode == ENG_PREVIEW;
    if (a->o->json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "type", "allSummaryEvent");
        cJSON *arr = cJSON_AddArrayToObject(ev, "stacks");
        for (int i = 0; i < a->n; i++) {
            const unit *x = &a->u[i];
            cJSON *o = cJSON_CreateObject();
            static const char *const names[] = { "waiting", "running", "done", "skipped", "failed", "blocked",
                                                 "not-deployed-yet" };
            cJSON_AddStringToObject(o, "stack", x->full);
            cJSON_AddStringToObject(o, "status", names[x->status]);
            cJSON_AddNumberToObject(o, "create", x->sum.create);
            cJSON_AddNumberToObject(o, "update", x->sum.update);
            cJSON_AddNumberToObject(o, "replace", x->sum.replace);
            cJSON_AddNumberToObject(o, "delete", x->sum.remove);
            cJSON_AddNumberToObject(o, "same", x->sum.same);
            cJSON_AddNumberToObject(o, "durationSeconds", x->sum.seconds);
            cJSON_AddItemToArray(arr, o);
        }
        cJSON_AddNumberToObject(ev, "durationSeconds", seconds);
        char *s = cJSON_PrintUnformatted(ev);
        if (s) fprintf(a->out, "%s\n", s);
        free(s);
        cJSON_Delete(ev);
        fflush(a->out);
        return;
    }
    fprintf(a->out, "Stacks:\n");
    for (int i = 0; i < a->n; i++) {
        const unit *x = &a->u[i];
        fprintf(a->out, "    %s: ", x->full);
        switch (x->status) {
        case U_SKIPPED: fprintf(a->out, "%s\n", x->note ? x->note : "skipped"); continue;
        case U_BLOCKED: case U_NOTYET: fprintf(a->out, "%s\n", x->note ? x->note : "not run"); continue;
        case U_FAILED: fprintf(a->out, "failed: %s\n", x->note ? x->note : "?"); continue;
        default: break;
        }
        const eng_summary *s = &x->sum;
        struct { int n; const char *past, *future; } rows[] = {
            { s->create, "created", "to create" }, { s->update, "updated", "to update" },
            { s->replace, "replaced", "to replace" }, { s->remove, "deleted", "to delete" },
        };
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
            if (rows[r].n) fprintf(a->out, "%d %s, ", rows[r].n, pv ? rows[r].future : rows[r].past);
        fprintf(a->out, "%d unchanged (%.2fs)\n", s->same, s->seconds);
    }
    fprintf(a->out, "\nDuration: %.2fs\n", seconds);
    fflush(a->out);
}

int eng_run_all(state_db *db, aws_client *aws, const char *root, const eng_opts *o, hg_err *err)
{
    double t0 = mono_now();
    all_ctx a;
    memset(&a, 0, sizeof a);
    a.db = db;
    a.aws = aws;
    a.o = o;
    a.root = root ? root : ".";
    a.org = o->org ? o->org : "organization";
    a.out = o->out ? o->out : stdout;
    a.stack = o->stack;
    if (!a.stack || !*a.stack) a.stack = getenv("HANGAR_STACK");
    if (!a.stack || !*a.stack) a.stack = getenv("PULUMI_STACK");
    if (!a.stack || !*a.stack)
        return hg_err_validation(err, "--all needs a stack name: pass --stack <name> (the same stack is used in "
                                      "every project)");
    if (o->mode == ENG_REFRESH) return hg_err_validation(err, "refresh does not take --all");

    char **dirs = NULL;
    int ndirs = 0, ret = -1;
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    if (find_projects(a.root, 0, &dirs, &ndirs, err) < 0) goto out;
    if (ndirs == 0) {
        hg_err_validation(err, "--all: no Pulumi project (a folder with Pulumi.yaml) below %s", a.root);
        goto out;
    }
    if (load_units(&a, dirs, ndirs, err) < 0 || build_graph(&a, err) < 0) goto out;

    if (!o->json)
        fprintf(a.out, "%s %d stack%s below %s (%s)\n\n",
                o->mode == ENG_PREVIEW ? "Previewing" : o->mode == ENG_DESTROY ? "Destroying" : "Updating", a.n,
                a.n == 1 ? "" : "s", a.root, a.stack);
    int nworkers = a.n < ALL_MAX_WORKERS ? a.n : ALL_MAX_WORKERS;
    pthread_t th[ALL_MAX_WORKERS];
    int started = 0;
    for (int i = 0; i < nworkers; i++)
        if (pthread_create(&th[i], NULL, worker, &a) == 0) started++;
    if (started == 0) worker(&a);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);

    print_summary(&a, mono_now() - t0);
    int failed = 0, blocked = 0;
    for (int i = 0; i < a.n; i++) {
        failed += a.u[i].status == U_FAILED;
        blocked += a.u[i].status == U_BLOCKED;
    }
    if (failed || blocked) {
        const unit *first = NULL;
        for (int i = 0; i < a.n && !first; i++)
            if (a.u[i].status == U_FAILED) first = &a.u[i];
        hg_err_set(err, 500, "StacksFailed", "%d stack%s failed%s%d not run; the first failure: %s: %s", failed,
                   failed == 1 ? "" : "s", ", ", blocked, first ? first->full : "-",
                   first && first->note ? first->note : "-");
        goto out;
    }
    ret = 0;
out:
    for (int i = 0; i < ndirs; i++) free(dirs[i]);
    free(dirs);
    for (int i = 0; i < a.n; i++) unit_release(&a.u[i]);
    free(a.u);
    pthread_mutex_destroy(&a.mu);
    pthread_cond_destroy(&a.cv);
    return ret;
}
