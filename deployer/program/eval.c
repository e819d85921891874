/*
 * eval.c — Pulumi YAML expressions to cJSON values.
 *
 * A scalar with "${...}" is an interpolation; a map whose only key starts
 * with "fn::" is a built-in; everything else maps to JSON as YAML's core
 * schema says. Lookups of a ${root} go: pulumi.*, resources, variables
 * (evaluated lazily, once), then config ("key" is "<project>:key").
 *
 * Invariants:
 *   1. Unknowns propagate: an interpolation, or a built-in whose arguments
 *      contain PROG_UNKNOWN anywhere, yields PROG_UNKNOWN; a whole-string
 *      ${...} keeps whatever it refers to (so a list of unknowns stays a
 *      list). Only preview produces unknowns from missing resources.
 *   2. Secrets propagate: a value computed from a secret (interpolated,
 *      passed to a built-in, read through a secret object) is a secret.
 *      Secrets nested in lists and maps stay where they are.
 *   3. env->variables caches finished variables by name; a variable being
 *      evaluated is marked with a raw "busy" item, so a cycle is an error,
 *      not a loop. Values holding unknowns are not cached (a later call may
 *      know more).
 *   4. Error messages carry file:line:col of the scalar and name what was
 *      being evaluated ("resource 'api'", "output 'url'").
 */
#include "prog_internal.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hg_buf.h"

typedef struct ectx {
    prog_env *env;
    const char *what;             /* for messages; may be NULL */
} ectx;

static int eval_node(ectx *E, const prog_node *n, cJSON **out, hg_err *err);

/* ---- small value helpers -------------------------------------------------- */

bool prog_is_sig(const cJSON *v, const char *sig)
{
    const cJSON *s = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, PROG_SIG_KEY) : NULL;
    return cJSON_IsString(s) && !strcmp(s->valuestring, sig);
}

bool prog_has_unknown(const cJSON *v)
{
    if (!v) return false;
    if (cJSON_IsString(v)) return !strcmp(v->valuestring, PROG_UNKNOWN);
    for (const cJSON *c = v->child; c; c = c->next)
        if (prog_has_unknown(c)) return true;
    return false;
}

static cJSON *unknown_new(void) { return cJSON_CreateString(PROG_UNKNOWN); }

static bool is_unknown(const cJSON *v)
{
    return cJSON_IsString(v) && !strcmp(v->valuestring, PROG_UNKNOWN);
}

static cJSON *secret_new(cJSON *v)
{
    if (!v) return NULL;
    if (prog_is_sig(v, PROG_SIG_SECRET)) return v;
    cJSON *s = cJSON_CreateObject();
    if (!s) { cJSON_Delete(v); return NULL; }
    cJSON_AddStringToObject(s, PROG_SIG_KEY, PROG_SIG_SECRET);
    cJSON_AddItemToObject(s, "value", v);
    return s;
}

/* A copy of v with every secret wrapper replaced by its value; *secret set
 * when one was found (invariant 2). */
static cJSON *strip_secrets(const cJSON *v, bool *secret)
{
    if (prog_is_sig(v, PROG_SIG_SECRET)) {
        *secret = true;
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(v, "value");
        return inner ? strip_secrets(inner, secret) : cJSON_CreateNull();
    }
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) return cJSON_Duplicate(v, 0);
    cJSON *o = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!o) return NULL;
    for (const cJSON *c = v->child; c; c = c->next) {
        cJSON *x = strip_secrets(c, secret);
        if (!x) { cJSON_Delete(o); return NULL; }
        if (cJSON_IsArray(v)) cJSON_AddItemToArray(o, x);
        else cJSON_AddItemToObject(o, c->string, x);
    }
    return o;
}

static int oom(hg_err *err) { return hg_err_internal(err, "out of memory"); }

/* "resource 'api': " or "" */
static const char *who(const ectx *E, char *buf, size_t cap)
{
    if (!E->what) return "";
    snprintf(buf, cap, "%s: ", E->what);
    return buf;
}

/* Text of a scalar value for interpolation. Appends to b. */
static int append_value(hg_buf *b, const cJSON *v)
{
    if (cJSON_IsString(v)) return hg_buf_puts(b, v->valuestring);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 1e15) return hg_buf_printf(b, "%.0f", d);
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.15g", d);
        if (strtod(tmp, NULL) != d) snprintf(tmp, sizeof tmp, "%.17g", d);
        return hg_buf_puts(b, tmp);
    }
    if (cJSON_IsBool(v)) return hg_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNull(v)) return 0;
    char *s = cJSON_PrintUnformatted(v);
    if (!s) return -1;
    int rc = hg_buf_puts(b, s);
    free(s);
    return rc;
}

/* ---- base64 ------------------------------------------------------------------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *prog_b64_encode(const unsigned char *p, size_t n)
{
    if (n > (SIZE_MAX / 4) - 3) return NULL;
    char *o = malloc((n + 2) / 3 * 4 + 1), *q = o;
    if (!o) return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *q++ = B64[v >> 18]; *q++ = B64[(v >> 12) & 63]; *q++ = B64[(v >> 6) & 63]; *q++ = B64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        *q++ = B64[v >> 18];
        *q++ = B64[(v >> 12) & 63];
        *q++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *q++ = '=';
    }
    *q = '\0';
    return o;
}

static int b64_val(char c)
{
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

unsigned char *prog_b64_decode(const char *s, size_t *n)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ')) len--;
    if (len % 4) return NULL;
    unsigned char *o = malloc(len / 4 * 3 + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (s[i + j] == '=' && i + 4 == len && j >= 2) { v[j] = 0; pad++; continue; }
            if (pad || (v[j] = b64_val(s[i + j])) < 0) { free(o); return NULL; }
        }
        unsigned x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        o[k++] = (unsigned char)(x >> 16);
        if (pad < 2) o[k++] = (unsigned char)(x >> 8);
        if (pad < 1) o[k++] = (unsigned char)x;
    }
    o[k] = 0;
    *n = k;
    return o;
}

/* ---- reference syntax ------------------------------------------------------- */

void prog_ref_release(prog_ref *r)
{
    free(r->root);
    for (int i = 0; i < r->nsteps; i++) free(r->steps[i].name);
    r->root = NULL;
    r->nsteps = 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int prog_ref_parse(const char *s, size_t len, prog_ref *out, hg_err *err)
{
    memset(out, 0, sizeof *out);
    while (len && is_space(*s)) { s++; len--; }
    while (len && is_space(s[len - 1])) len--;
    size_t i = 0;
    while (i < len && s[i] != '.' && s[i] != '[') {
        if (is_space(s[i]) || s[i] == '"' || s[i] == ']' || s[i] == '$' || s[i] == '{')
            return hg_err_validation(err, "invalid reference '${%.*s}'", (int)len, s);
        i++;
    }
    if (i == 0) return hg_err_validation(err, "empty reference '${%.*s}'", (int)len, s);
    if (!(out->root = strndup(s, i))) return oom(err);
    while (i < len) {
        if (out->nsteps == PROG_EXPR_MAX_STEPS) {
            prog_ref_release(out);
            return hg_err_validation(err, "reference '${%.*s}' has too many accessors", (int)len, s);
        }
        prog_step *st = &out->steps[out->nsteps];
        if (s[i] == '.') {
            size_t j = ++i;
            while (j < len && s[j] != '.' && s[j] != '[') j++;
            if (j == i) goto bad;
            st->kind = PS_PROP;
            if (!(st->name = strndup(s + i, j - i))) { prog_ref_release(out); return oom(err); }
            out->nsteps++;
            i = j;
        } else if (s[i] == '[') {
            i++;
            if (i < len && s[i] == '"') {
                hg_buf b;
                hg_buf_init(&b, len + 1);
                i++;
                while (i < len && s[i] != '"') {
                    if (s[i] == '\\' && i + 1 < len) i++;
                    hg_buf_putc(&b, s[i++]);
                }
                if (i + 1 >= len || s[i + 1] != ']') { hg_buf_release(&b); goto bad; }
                st->kind = PS_KEY;
                st->name = hg_buf_steal(&b);
                hg_buf_release(&b);
                if (!st->name) { prog_ref_release(out); return oom(err); }
                out->nsteps++;
                i += 2;
            } else {
                long v = 0;
                size_t j = i;
                while (j < len && s[j] >= '0' && s[j] <= '9' && v < 100000000) v = v * 10 + (s[j++] - '0');
                if (j == i || j >= len || s[j] != ']') goto bad;
                st->kind = PS_INDEX;
                st->index = v;
                out->nsteps++;
                i = j + 1;
            }
        } else {
            goto bad;
        }
    }
    return 0;
bad:
    prog_ref_release(out);
    return hg_err_validation(err, "invalid property access in '${%.*s}'", (int)len, s);
}

/* Walk a string's pieces: literal text (lit) and references (ref). */
typedef int (*lit_fn)(void *ud, const char *s, size_t n);
static int scan(const char *s, lit_fn lit, prog_ref_fn ref, void *ud, hg_err *err)
{
    size_t i = 0, start = 0, len = strlen(s);
    while (i < len) {
        if (s[i] != '$' || i + 1 >= len || (s[i + 1] != '$' && s[i + 1] != '{')) { i++; continue; }
        if (lit && i > start && lit(ud, s + start, i - start) < 0) return oom(err);
        if (s[i + 1] == '$') {                     /* $$ is one literal $ */
            if (lit && lit(ud, "$", 1) < 0) return oom(err);
            i += 2;
            start = i;
            continue;
        }
        size_t j = i + 2;
        bool quoted = false;
        while (j < len && (quoted || s[j] != '}')) {
            if (s[j] == '"') quoted = !quoted;
            else if (quoted && s[j] == '\\') j++;
            j++;
        }
        if (j >= len) return hg_err_validation(err, "unterminated '${' in '%s'", s);
        prog_ref r;
        if (prog_ref_parse(s + i + 2, j - i - 2, &r, err) < 0) return -1;
        int rc = ref(ud, &r, err);
        prog_ref_release(&r);
        if (rc < 0) return -1;
        i = start = j + 1;
    }
    if (lit && i > start && lit(ud, s + start, i - start) < 0) return oom(err);
    return 0;
}

int prog_scan_refs(const char *s, prog_ref_fn fn, void *ud, hg_err *err)
{
    return scan(s, NULL, fn, ud, err);
}

/* ---- references -------------------------------------------------------------- */

/* Follow ref's steps from `cur` (borrowed). missing_unknown: a missing member
 * is an unknown (a resource whose outputs are not all known yet, in preview). */
static int follow(ectx *E, const prog_node *at, const prog_ref *ref, const cJSON *cur,
                  bool missing_unknown, const char *kind, cJSON **out, hg_err *err)
{
    char wb[320];
    bool secret = false;
    hg_buf path;
    hg_buf_init(&path, 4096);
    hg_buf_puts(&path, ref->root);                        /* the path so far, for messages */
    int rc = 0;
    *out = NULL;
    for (int i = 0; i < ref->nsteps; i++) {
        while (prog_is_sig(cur, PROG_SIG_SECRET)) {
            secret = true;
            cur = cJSON_GetObjectItemCaseSensitive(cur, "value");
        }
        if (is_unknown(cur)) break;
        const prog_step *st = &ref->steps[i];
        const cJSON *next = NULL;
        if (st->kind == PS_INDEX) {
            if (!cJSON_IsArray(cur)) {
                rc = prog_err_at(err, at, "%s'%s' is not a list; cannot take [%ld]", who(E, wb, sizeof wb),
                                 hg_buf_cstr(&path), st->index);
                break;
            }
            int size = cJSON_GetArraySize(cur);
            if (st->index >= size) {
                if (missing_unknown) { cur = NULL; break; }
                rc = prog_err_at(err, at, "%sindex %ld out of range: '%s' has %d item%s", who(E, wb, sizeof wb),
                                 st->index, hg_buf_cstr(&path), size, size == 1 ? "" : "s");
                break;
            }
            next = cJSON_GetArrayItem(cur, (int)st->index);
            hg_buf_printf(&path, "[%ld]", st->index);
        } else {
            if (!cJSON_IsObject(cur)) {
                rc = prog_err_at(err, at, "%s'%s' is not an object; cannot read '%s'", who(E, wb, sizeof wb),
                                 hg_buf_cstr(&path), st->name);
                break;
            }
            next = cJSON_GetObjectItemCaseSensitive(cur, st->name);
            if (!next) {
                if (missing_unknown) { cur = NULL; break; }
                rc = prog_err_at(err, at, "%s%s '%s' has no property '%s'", who(E, wb, sizeof wb), kind,
                                 hg_buf_cstr(&path), st->name);
                break;
            }
            hg_buf_printf(&path, st->kind == PS_KEY ? "[\"%s\"]" : ".%s", st->name);
        }
        cur = next;
    }
    hg_buf_release(&path);
    if (rc < 0) return -1;
    cJSON *v = (!cur || is_unknown(cur)) ? unknown_new() : cJSON_Duplicate(cur, 1);
    if (v && secret) v = secret_new(v);
    if (!v) return oom(err);
    *out = v;
    return 0;
}

static int eval_variable(ectx *E, const prog_node *at, const char *name, const prog_node *vn,
                         cJSON **out, hg_err *err)
{
    prog_env *env = E->env;
    if (!env->variables && !(env->variables = cJSON_CreateObject())) return oom(err);
    cJSON *cached = cJSON_GetObjectItemCaseSensitive(env->variables, name);
    if (cached && cJSON_IsRaw(cached)) {
        char wb[320];
        return prog_err_at(err, at, "%svariable '%s' refers to itself (a cycle)", who(E, wb, sizeof wb), name);
    }
    if (cached) {
        *out = cJSON_Duplicate(cached, 1);
        return *out ? 0 : oom(err);
    }
    cJSON *busy = cJSON_CreateRaw("\"busy\"");
    if (!busy) return oom(err);
    cJSON_AddItemToObject(env->variables, name, busy);   /* invariant 3 */
    char what[300];
    snprintf(what, sizeof what, "variable '%.256s'", name);
    ectx sub = { env, what };
    cJSON *v = NULL;
    int rc = eval_node(&sub, vn, &v, err);
    cJSON_DeleteItemFromObjectCaseSensitive(env->variables, name);
    if (rc < 0) return -1;
    if (!prog_has_unknown(v)) {
        cJSON *copy = cJSON_Duplicate(v, 1);
        if (!copy) { cJSON_Delete(v); return oom(err); }
        cJSON_AddItemToObject(env->variables, name, copy);
    }
    *out = v;
    return 0;
}

static const char *resource_type(const prog_project *p, int ri)
{
    const prog_node *t = prog_map_get(p->resources_node->items[ri], "type");
    return t && t->kind == PN_SCALAR ? t->scalar : "";
}

static int eval_ref(ectx *E, const prog_node *at, const prog_ref *ref, cJSON **out, hg_err *err)
{
    prog_env *env = E->env;
    prog_project *p = env->project;
    char wb[320];
    *out = NULL;
    if (!strcmp(ref->root, "pulumi")) {
        const char *v = NULL;
        char cwd[4096];
        const char *prop = ref->nsteps ? ref->steps[0].name : NULL;
        if (!prop || ref->steps[0].kind == PS_INDEX) v = NULL;
        else if (!strcmp(prop, "stack")) v = p->stack;
        else if (!strcmp(prop, "project")) v = p->name;
        else if (!strcmp(prop, "organization")) v = env->organization ? env->organization : "organization";
        else if (!strcmp(prop, "cwd")) v = p->dir ? p->dir : getcwd(cwd, sizeof cwd);
        if (!v)
            return prog_err_at(err, at, "%sunknown '${pulumi%s%s}' (pulumi.stack, pulumi.project, "
                               "pulumi.organization, pulumi.cwd)", who(E, wb, sizeof wb), prop ? "." : "", prop ? prop : "");
        if (ref->nsteps > 1)
            return prog_err_at(err, at, "%s'pulumi.%s' is a string; it has no properties", who(E, wb, sizeof wb), prop);
        *out = cJSON_CreateString(v);
        return *out ? 0 : oom(err);
    }
    int ri = prog_resource_index(p, ref->root);
    if (ri >= 0) {
        const cJSON *base = env->resources ? cJSON_GetObjectItemCaseSensitive(env->resources, ref->root) : NULL;
        bool stack_ref = !strcmp(resource_type(p, ri), "pulumi:pulumi:StackReference");
        if (!base || is_unknown(base)) {
            if (!base && !env->preview)
                return prog_err_at(err, at, "%sresource '%s' is referred to before it exists",
                                   who(E, wb, sizeof wb), ref->root);
            *out = unknown_new();
            return *out ? 0 : oom(err);
        }
        if (ref->nsteps >= 1 && ref->steps[0].kind == PS_PROP && !strcmp(ref->steps[0].name, "urn") &&
            !cJSON_GetObjectItemCaseSensitive(base, "urn")) {
            char *urn = NULL;
            if (asprintf(&urn, "urn:pulumi:%s::%s::%s::%s", p->stack, p->name, resource_type(p, ri), ref->root) < 0)
                return oom(err);
            *out = cJSON_CreateString(urn);
            free(urn);
            if (!*out) return oom(err);
            if (ref->nsteps > 1) {
                cJSON_Delete(*out);
                *out = NULL;
                return prog_err_at(err, at, "%s'%s.urn' is a string; it has no properties", who(E, wb, sizeof wb), ref->root);
            }
            return 0;
        }
        /* a stack reference's outputs are known (its stack exists); a missing one is an error */
        if (stack_ref && ref->nsteps >= 2 && ref->steps[0].kind == PS_PROP && !strcmp(ref->steps[0].name, "outputs")) {
            const cJSON *outs = cJSON_GetObjectItemCaseSensitive(base, "outputs");
            const prog_step *st = &ref->steps[1];
            if (cJSON_IsObject(outs) && st->kind != PS_INDEX && !cJSON_GetObjectItemCaseSensitive(outs, st->name)) {
                const cJSON *nm = cJSON_GetObjectItemCaseSensitive(base, "name");
                return prog_err_at(err, at, "%sstack reference '%s'%s%s%s has no output '%s'", who(E, wb, sizeof wb),
                                   ref->root, cJSON_IsString(nm) ? " (" : "", cJSON_IsString(nm) ? nm->valuestring : "",
                                   cJSON_IsString(nm) ? ")" : "", st->name);
            }
        }
        return follow(E, at, ref, base, env->preview && !stack_ref, "resource", out, err);
    }
    const prog_node *vn = prog_variable_node(p, ref->root);
    if (vn) {
        cJSON *v = NULL;
        if (eval_variable(E, at, ref->root, vn, &v, err) < 0) return -1;
        int rc = follow(E, at, ref, v, false, "variable", out, err);
        cJSON_Delete(v);
        return rc;
    }
    const cJSON *cfg = prog_config_lookup(p, ref->root);
    if (cfg) return follow(E, at, ref, cfg, false, "config", out, err);
    if (!strcmp(ref->root, "aws:region")) {
        /* not in the stack file: the region the AWS SDKs would use */
        const char *r = getenv("AWS_REGION");
        if (!r || !*r) r = getenv("AWS_DEFAULT_REGION");
        cJSON *v = cJSON_CreateString(r && *r ? r : "us-east-1");
        if (!v) return oom(err);
        int rc = follow(E, at, ref, v, false, "config", out, err);
        cJSON_Delete(v);
        return rc;
    }
    return prog_err_at(err, at, "%srefers to undefined resource '%s'", who(E, wb, sizeof wb), ref->root);
}

/* ---- interpolation ------------------------------------------------------------ */

typedef struct interp {
    ectx *E;
    const prog_node *at;
    hg_buf buf;
    bool unknown, secret;
    hg_err *err;                  /* reference errors (positioned) go here */
} interp;

static int interp_lit(void *ud, const char *s, size_t n)
{
    interp *I = ud;
    return hg_buf_append(&I->buf, s, n);
}

static int interp_ref(void *ud, const prog_ref *ref, hg_err *scan_err)
{
    interp *I = ud;
    hg_err *err = I->err;
    cJSON *v = NULL;
    (void)scan_err;
    if (eval_ref(I->E, I->at, ref, &v, err) < 0) return -1;
    const cJSON *x = v;
    while (prog_is_sig(x, PROG_SIG_SECRET)) {
        I->secret = true;
        x = cJSON_GetObjectItemCaseSensitive(x, "value");
    }
    int rc = 0;
    if (prog_has_unknown(x)) I->unknown = true;
    else if (append_value(&I->buf, x) < 0) rc = oom(err);
    cJSON_Delete(v);
    return rc;
}

/* Is s exactly one "${...}" (a whole-string reference keeps its type)? */
static bool whole_ref(const char *s, size_t *inner_len)
{
    size_t len = strlen(s);
    if (len < 4 || s[0] != '$' || s[1] != '{' || s[len - 1] != '}') return false;
    bool quoted = false;
    for (size_t j = 2; j < len - 1; j++) {
        if (s[j] == '"') quoted = !quoted;
        else if (quoted && s[j] == '\\') j++;
        else if (!quoted && s[j] == '}') return false;
    }
    *inner_len = len - 3;
    return true;
}

static int eval_scalar(ectx *E, const prog_node *n, cJSON **out, hg_err *err)
{
    const char *s = n->scalar;
    char wb[320];
    if (!strchr(s, '$')) {
        *out = prog_node_to_json(n);
        return *out ? 0 : oom(err);
    }
    size_t inner;
    if (whole_ref(s, &inner)) {
        prog_ref r;
        hg_err local;
        hg_err_clear(&local);
        if (prog_ref_parse(s + 2, inner, &r, &local) < 0)
            return prog_err_at(err, n, "%s%s", who(E, wb, sizeof wb), local.message);
        int rc = eval_ref(E, n, &r, out, err);
        prog_ref_release(&r);
        return rc;
    }
    interp I = { .E = E, .at = n, .err = err };
    hg_buf_init(&I.buf, 0);
    hg_err local;
    hg_err_clear(&local);
    int rc = scan(s, interp_lit, interp_ref, &I, &local);
    if (rc < 0) {
        hg_buf_release(&I.buf);
        if (hg_err_isset(err)) return -1;        /* from a reference, already positioned */
        return prog_err_at(err, n, "%s%s", who(E, wb, sizeof wb), local.message);
    }
    cJSON *v = I.unknown ? unknown_new() : cJSON_CreateString(hg_buf_cstr(&I.buf));
    hg_buf_release(&I.buf);
    if (v && I.secret) v = secret_new(v);
    if (!v) return oom(err);
    *out = v;
    return 0;
}

/* ---- built-ins ------------------------------------------------------------------- */

typedef int (*builtin_fn)(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err);

static int want_list(ectx *E, const prog_node *at, const char *fn, const cJSON *arg, int n, hg_err *err)
{
    char wb[320];
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != n)
        return prog_err_at(err, at, "%s%s takes a list of %d arguments", who(E, wb, sizeof wb), fn, n);
    return 0;
}

static int fn_join(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (want_list(E, at, "fn::join", arg, 2, err) < 0) return -1;
    const cJSON *d = cJSON_GetArrayItem(arg, 0), *l = cJSON_GetArrayItem(arg, 1);
    if (!cJSON_IsString(d) || !cJSON_IsArray(l))
        return prog_err_at(err, at, "%sfn::join takes [delimiter, [values...]]", who(E, wb, sizeof wb));
    hg_buf b;
    hg_buf_init(&b, 0);
    int i = 0;
    for (const cJSON *e = l->child; e; e = e->next, i++) {
        if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
            hg_buf_release(&b);
            return prog_err_at(err, at, "%sfn::join: item %d is not a string", who(E, wb, sizeof wb), i);
        }
        if ((i && hg_buf_puts(&b, d->valuestring) < 0) || append_value(&b, e) < 0) { hg_buf_release(&b); return oom(err); }
    }
    *out = cJSON_CreateString(hg_buf_cstr(&b));
    hg_buf_release(&b);
    return *out ? 0 : oom(err);
}

static int fn_split(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (want_list(E, at, "fn::split", arg, 2, err) < 0) return -1;
    const cJSON *d = cJSON_GetArrayItem(arg, 0), *s = cJSON_GetArrayItem(arg, 1);
    if (!cJSON_IsString(d) || !cJSON_IsString(s) || !*d->valuestring)
        return prog_err_at(err, at, "%sfn::split takes [delimiter, string] with a non-empty delimiter", who(E, wb, sizeof wb));
    cJSON *a = cJSON_CreateArray();
    if (!a) return oom(err);
    const char *p = s->valuestring, *q;
    size_t dl = strlen(d->valuestring);
    for (;;) {
        q = strstr(p, d->valuestring);
        size_t n = q ? (size_t)(q - p) : strlen(p);
        char *piece = strndup(p, n);
        cJSON *x = piece ? cJSON_CreateString(piece) : NULL;
        free(piece);
        if (!x) { cJSON_Delete(a); return oom(err); }
        cJSON_AddItemToArray(a, x);
        if (!q) break;
        p = q + dl;
    }
    *out = a;
    return 0;
}

static int fn_select(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (want_list(E, at, "fn::select", arg, 2, err) < 0) return -1;
    const cJSON *i = cJSON_GetArrayItem(arg, 0), *l = cJSON_GetArrayItem(arg, 1);
    if (!cJSON_IsNumber(i) || !cJSON_IsArray(l) || i->valuedouble != floor(i->valuedouble))
        return prog_err_at(err, at, "%sfn::select takes [index, [values...]]", who(E, wb, sizeof wb));
    int size = cJSON_GetArraySize(l);
    if (i->valuedouble < 0 || i->valuedouble >= size)
        return prog_err_at(err, at, "%sfn::select: index %.0f out of range (the list has %d item%s)",
                           who(E, wb, sizeof wb), i->valuedouble, size, size == 1 ? "" : "s");
    *out = cJSON_Duplicate(cJSON_GetArrayItem(l, (int)i->valuedouble), 1);
    return *out ? 0 : oom(err);
}

static int fn_tojson(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    (void)E; (void)at;
    char *s = cJSON_PrintUnformatted(arg);
    if (!s) return oom(err);
    *out = cJSON_CreateString(s);
    free(s);
    return *out ? 0 : oom(err);
}

static int want_string(ectx *E, const prog_node *at, const char *fn, const cJSON *arg, hg_err *err)
{
    char wb[320];
    if (!cJSON_IsString(arg)) return prog_err_at(err, at, "%s%s takes a string", who(E, wb, sizeof wb), fn);
    return 0;
}

static int fn_tobase64(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    if (want_string(E, at, "fn::toBase64", arg, err) < 0) return -1;
    char *s = prog_b64_encode((const unsigned char *)arg->valuestring, strlen(arg->valuestring));
    if (!s) return oom(err);
    *out = cJSON_CreateString(s);
    free(s);
    return *out ? 0 : oom(err);
}

static int fn_frombase64(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (want_string(E, at, "fn::fromBase64", arg, err) < 0) return -1;
    size_t n;
    unsigned char *d = prog_b64_decode(arg->valuestring, &n);
    if (!d) return prog_err_at(err, at, "%sfn::fromBase64: not valid base64", who(E, wb, sizeof wb));
    if (strlen((char *)d) != n) {
        free(d);
        return prog_err_at(err, at, "%sfn::fromBase64: the decoded bytes are not text", who(E, wb, sizeof wb));
    }
    *out = cJSON_CreateString((char *)d);
    free(d);
    return *out ? 0 : oom(err);
}

/* path relative to the project folder. New string. */
static char *project_path(const prog_project *p, const char *path)
{
    char *s = NULL;
    if (path[0] == '/' || !p->dir) return strdup(path);
    if (asprintf(&s, "%s/%s", p->dir, path) < 0) return NULL;
    return s;
}

static int fn_readfile(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (want_string(E, at, "fn::readFile", arg, err) < 0) return -1;
    char *path = project_path(E->env->project, arg->valuestring);
    if (!path) return oom(err);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return prog_err_at(err, at, "%sfn::readFile: '%s': %s", who(E, wb, sizeof wb), arg->valuestring, strerror(errno));
    hg_buf b;
    hg_buf_init(&b, PROG_READFILE_MAX);
    char chunk[16384];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (hg_buf_append(&b, chunk, got) < 0) {
            rc = prog_err_at(err, at, "%sfn::readFile: '%s' is larger than %u bytes", who(E, wb, sizeof wb),
                             arg->valuestring, PROG_READFILE_MAX);
            break;
        }
    fclose(f);
    if (rc == 0 && strlen(hg_buf_cstr(&b)) != b.len)
        rc = prog_err_at(err, at, "%sfn::readFile: '%s' is not text", who(E, wb, sizeof wb), arg->valuestring);
    if (rc == 0 && !(*out = cJSON_CreateString(hg_buf_cstr(&b)))) rc = oom(err);
    hg_buf_release(&b);
    return rc;
}

static cJSON *sig_new(const char *sig, const char *key, const char *val)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (!cJSON_AddStringToObject(o, PROG_SIG_KEY, sig) || !cJSON_AddStringToObject(o, key, val)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int file_sig(ectx *E, const prog_node *at, const char *fn, const char *sig, bool dir_ok,
                    const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (want_string(E, at, fn, arg, err) < 0) return -1;
    char *path = project_path(E->env->project, arg->valuestring);
    if (!path) return oom(err);
    struct stat st;
    int sr = stat(path, &st);
    free(path);
    if (sr != 0) return prog_err_at(err, at, "%s%s: '%s' does not exist", who(E, wb, sizeof wb), fn, arg->valuestring);
    if (!dir_ok && S_ISDIR(st.st_mode))
        return prog_err_at(err, at, "%s%s: '%s' is a folder, not a file", who(E, wb, sizeof wb), fn, arg->valuestring);
    /* the path stays as written (relative to the project), as Pulumi checkpoints keep it */
    *out = sig_new(sig, "path", arg->valuestring);
    return *out ? 0 : oom(err);
}

static int fn_fileasset(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    return file_sig(E, at, "fn::fileAsset", PROG_SIG_ASSET, false, arg, out, err);
}

static int fn_filearchive(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    return file_sig(E, at, "fn::fileArchive", PROG_SIG_ARCHIVE, true, arg, out, err);
}

static int fn_stringasset(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    if (want_string(E, at, "fn::stringAsset", arg, err) < 0) return -1;
    *out = sig_new(PROG_SIG_ASSET, "text", arg->valuestring);
    return *out ? 0 : oom(err);
}

static int fn_remoteasset(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    if (want_string(E, at, "fn::remoteAsset", arg, err) < 0) return -1;
    *out = sig_new(PROG_SIG_ASSET, "uri", arg->valuestring);
    return *out ? 0 : oom(err);
}

static int fn_remotearchive(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    if (want_string(E, at, "fn::remoteArchive", arg, err) < 0) return -1;
    *out = sig_new(PROG_SIG_ARCHIVE, "uri", arg->valuestring);
    return *out ? 0 : oom(err);
}

static int fn_assetarchive(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    if (!cJSON_IsObject(arg))
        return prog_err_at(err, at, "%sfn::assetArchive takes a map of names to assets or archives", who(E, wb, sizeof wb));
    for (const cJSON *e = arg->child; e; e = e->next)
        if (!prog_is_sig(e, PROG_SIG_ASSET) && !prog_is_sig(e, PROG_SIG_ARCHIVE))
            return prog_err_at(err, at, "%sfn::assetArchive: '%s' is not an asset or archive", who(E, wb, sizeof wb),
                               e->string);
    cJSON *o = cJSON_CreateObject();
    cJSON *assets = cJSON_Duplicate(arg, 1);
    if (!o || !assets || !cJSON_AddStringToObject(o, PROG_SIG_KEY, PROG_SIG_ARCHIVE)) {
        cJSON_Delete(o);
        cJSON_Delete(assets);
        return oom(err);
    }
    cJSON_AddItemToObject(o, "assets", assets);
    *out = o;
    return 0;
}

/* "aws:index/getRegion:getRegion" -> "aws:index:getRegion" (both spellings are Pulumi's). */
static void short_token(char *t)
{
    char *c1 = strchr(t, ':');
    char *slash = c1 ? strchr(c1, '/') : NULL;
    char *c2 = slash ? strchr(slash, ':') : NULL;
    if (c1 && slash && c2) memmove(slash, c2, strlen(c2) + 1);
}

static int fn_invoke(ectx *E, const prog_node *at, const cJSON *arg, cJSON **out, hg_err *err)
{
    char wb[320];
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(arg, "function");
    if (!cJSON_IsObject(arg) || !cJSON_IsString(fn))
        return prog_err_at(err, at, "%sfn::invoke takes {function: <token>, arguments: {...}, return: <name>}",
                           who(E, wb, sizeof wb));
    for (const cJSON *e = arg->child; e; e = e->next)
        if (strcmp(e->string, "function") && strcmp(e->string, "arguments") && strcmp(e->string, "return") &&
            strcmp(e->string, "options"))
            return prog_err_at(err, at, "%sfn::invoke has unknown field '%s' (function, arguments, options, return)",
                               who(E, wb, sizeof wb), e->string);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(arg, "arguments");
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive(arg, "return");
    if (ret && !cJSON_IsString(ret))
        return prog_err_at(err, at, "%sfn::invoke: return must be the name of a result field", who(E, wb, sizeof wb));
    char *token = strdup(fn->valuestring);
    if (!token) return oom(err);
    short_token(token);
    if (!E->env->invoke) {
        int rc = prog_err_at(err, at, "%sfn::invoke of '%s' is not available here", who(E, wb, sizeof wb), token);
        free(token);
        return rc;
    }
    cJSON *empty = NULL;
    if (!args && !(args = empty = cJSON_CreateObject())) { free(token); return oom(err); }
    cJSON *res = NULL;
    hg_err local;
    hg_err_clear(&local);
    int rc = E->env->invoke(E->env->invoke_ud, token, args, &res, &local);
    cJSON_Delete(empty);
    if (rc < 0) {
        rc = prog_err_at(err, at, "%sfn::invoke of '%s' failed: %s%s%s", who(E, wb, sizeof wb), token,
                         local.code, local.code[0] ? ": " : "", local.message);
        free(token);
        cJSON_Delete(res);
        return rc;
    }
    if (ret) {
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(res, ret->valuestring);
        if (!field) {
            rc = prog_err_at(err, at, "%sfn::invoke of '%s' has no result field '%s'", who(E, wb, sizeof wb), token,
                             ret->valuestring);
            free(token);
            cJSON_Delete(res);
            return rc;
        }
        cJSON *x = cJSON_Duplicate(field, 1);
        cJSON_Delete(res);
        res = x;
        if (!res) { free(token); return oom(err); }
    }
    free(token);
    *out = res ? res : cJSON_CreateNull();
    return *out ? 0 : oom(err);
}

typedef struct builtin {
    const char *name;
    builtin_fn fn;
} builtin;

/* Sorted by name; fn::secret is handled before the table (it keeps unknowns
 * and secrets as they are). */
static const builtin builtins[] = {
    { "fn::assetArchive",  fn_assetarchive },
    { "fn::fileArchive",   fn_filearchive },
    { "fn::fileAsset",     fn_fileasset },
    { "fn::fromBase64",    fn_frombase64 },
    { "fn::invoke",        fn_invoke },
    { "fn::join",          fn_join },
    { "fn::readFile",      fn_readfile },
    { "fn::remoteArchive", fn_remotearchive },
    { "fn::remoteAsset",   fn_remoteasset },
    { "fn::select",        fn_select },
    { "fn::split",         fn_split },
    { "fn::stringAsset",   fn_stringasset },
    { "fn::toBase64",      fn_tobase64 },
    { "fn::toJSON",        fn_tojson },
};

static int eval_builtin(ectx *E, const prog_node *n, cJSON **out, hg_err *err)
{
    char wb[320];
    const char *name = n->keys[0];
    cJSON *arg = NULL;
    if (eval_node(E, n->items[0], &arg, err) < 0) return -1;
    if (!strcmp(name, "fn::secret")) {
        *out = secret_new(arg);
        return *out ? 0 : oom(err);
    }
    const builtin *b = NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name)) b = &builtins[i];
    if (!b) {
        cJSON_Delete(arg);
        hg_buf names;
        hg_buf_init(&names, 4096);
        for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
            hg_buf_printf(&names, "%s, ", builtins[i].name);
        hg_buf_puts(&names, "fn::secret");
        int rc = prog_err_at(err, n, "%sunknown built-in '%s' (known: %s)", who(E, wb, sizeof wb), name, hg_buf_cstr(&names));
        hg_buf_release(&names);
        return rc;
    }
    /* invariant 1 and 2: unknown in, unknown out; secret in, secret out */
    if (prog_has_unknown(arg)) {
        cJSON_Delete(arg);
        *out = unknown_new();
        return *out ? 0 : oom(err);
    }
    bool secret = false;
    cJSON *plain = strip_secrets(arg, &secret);
    cJSON_Delete(arg);
    if (!plain) return oom(err);
    cJSON *v = NULL;
    int rc = b->fn(E, n->items[0], plain, &v, err);
    cJSON_Delete(plain);
    if (rc < 0) return -1;
    if (secret && !(v = secret_new(v))) return oom(err);
    *out = v;
    return 0;
}

/* ---- nodes ---------------------------------------------------------------------- */

static int eval_node(ectx *E, const prog_node *n, cJSON **out, hg_err *err)
{
    *out = NULL;
    if (!n) {
        *out = cJSON_CreateNull();
        return *out ? 0 : oom(err);
    }
    if (n->kind == PN_SCALAR) return eval_scalar(E, n, out, err);
    if (n->kind == PN_MAP) {
        for (int i = 0; i < n->n; i++) {
            if (strncmp(n->keys[i], "fn::", 4) == 0) {
                char wb[320];
                if (n->n != 1)
                    return prog_err_at(err, n->items[i], "%s'%s' must be the only key in its map",
                                       who(E, wb, sizeof wb), n->keys[i]);
                return eval_builtin(E, n, out, err);
            }
        }
    }
    cJSON *o = n->kind == PN_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!o) return oom(err);
    for (int i = 0; i < n->n; i++) {
        cJSON *v = NULL;
        if (eval_node(E, n->items[i], &v, err) < 0) { cJSON_Delete(o); return -1; }
        if (n->kind == PN_SEQ) cJSON_AddItemToArray(o, v);
        else cJSON_AddItemToObject(o, n->keys[i], v);
    }
    *out = o;
    return 0;
}

int prog_eval(prog_env *env, const prog_node *n, cJSON **out, hg_err *err)
{
    ectx E = { env, NULL };
    return eval_node(&E, n, out, err);
}

int prog_eval_inputs(prog_env *env, const prog_resource *r, cJSON **out, hg_err *err)
{
    char what[300];
    snprintf(what, sizeof what, "resource '%.256s'", r->name);
    ectx E = { env, what };
    if (!r->properties) {
        *out = cJSON_CreateObject();
        return *out ? 0 : oom(err);
    }
    return eval_node(&E, r->properties, out, err);
}

int prog_eval_outputs(prog_env *env, cJSON **out, hg_err *err)
{
    const prog_node *outs = env->project->outputs;
    cJSON *o = cJSON_CreateObject();
    if (!o) return oom(err);
    for (int i = 0; outs && i < outs->n; i++) {
        char what[300];
        snprintf(what, sizeof what, "output '%.256s'", outs->keys[i]);
        ectx E = { env, what };
        cJSON *v = NULL;
        if (eval_node(&E, outs->items[i], &v, err) < 0) { cJSON_Delete(o); return -1; }
        cJSON_AddItemToObject(o, outs->keys[i], v);
    }
    *out = o;
    return 0;
}

void prog_env_release(prog_env *env)
{
    if (!env) return;
    cJSON_Delete(env->variables);
    env->variables = NULL;
}
