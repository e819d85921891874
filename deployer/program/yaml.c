/*
 * yaml.c — YAML files to prog_node trees that remember where each node was.
 *
 * libyaml's event API drives a small stack machine: every scalar, sequence
 * and mapping becomes a prog_node with the 1-based line and column of its
 * start, so every later error can say "Pulumi.yaml:14:7: ...".
 *
 * Invariants:
 *   1. The root node is allocated with the file name stored after it, so a
 *      tree owns its file string and prog_node_free(root) frees it too;
 *      every node's `file` borrows that string.
 *   2. Anchors are resolved by deep copy at the alias; the total node count
 *      (copies included) is capped, so alias bombs fail instead of growing.
 *   3. Depth is capped (PROG_YAML_MAX_DEPTH); maps reject duplicate keys and
 *      non-scalar keys, as Pulumi does.
 */
#include "prog_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "hg_buf.h"

typedef struct anchor {
    char *name;
    prog_node *node;              /* borrowed from the tree being built */
} anchor;

typedef struct builder {
    const char *file;
    yaml_parser_t parser;
    prog_node *stack[PROG_YAML_MAX_DEPTH + 1];
    char *pending_key[PROG_YAML_MAX_DEPTH + 1];  /* map: key read, value awaited */
    char *stack_anchor[PROG_YAML_MAX_DEPTH + 1];
    int depth;
    long nodes;
    anchor *anchors; int nanchors;
    prog_node *root;
    const char *own_file;         /* the root's copy of the file name (invariant 1) */
} builder;

int prog_err_at(hg_err *err, const prog_node *n, const char *fmt, ...)
{
    char msg[HG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n && n->file)
        return hg_err_set(err, 400, "ProgramError", "%s:%d:%d: %s", n->file, n->line, n->col, msg);
    return hg_err_set(err, 400, "ProgramError", "%s", msg);
}

void prog_node_free(prog_node *n)
{
    if (!n) return;
    free(n->scalar);
    for (int i = 0; i < n->n; i++) {
        prog_node_free(n->items[i]);
        if (n->keys) free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n);
}

const prog_node *prog_map_get(const prog_node *map, const char *key)
{
    if (!map || map->kind != PN_MAP || !key) return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) return map->items[i];
    return NULL;
}

static prog_node *node_new(builder *b, prog_node_kind kind, const yaml_mark_t *m, hg_err *err)
{
    if (++b->nodes > PROG_YAML_MAX_NODES) {
        hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: document has more than %d nodes",
                   b->file, m->line + 1, m->column + 1, PROG_YAML_MAX_NODES);
        return NULL;
    }
    prog_node *n;
    if (!b->own_file) {
        /* invariant 1: the first node is the root; it carries the file name */
        size_t flen = strlen(b->file) + 1;
        n = calloc(1, sizeof *n + flen);
        if (n) {
            char *f = (char *)(n + 1);
            memcpy(f, b->file, flen);
            n->file = b->own_file = f;
        }
    } else {
        n = calloc(1, sizeof *n);
        if (n) n->file = b->own_file;
    }
    if (!n) { hg_err_internal(err, "out of memory"); return NULL; }
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static int push_item(prog_node *parent, char *key, prog_node *child)
{
    if (parent->n % 8 == 0) {
        size_t cap = (size_t)parent->n + 8;
        prog_node **items = realloc(parent->items, cap * sizeof *items);
        if (!items) return -1;
        parent->items = items;
        if (parent->kind == PN_MAP) {
            char **keys = realloc(parent->keys, cap * sizeof *keys);
            if (!keys) return -1;
            parent->keys = keys;
        }
    }
    parent->items[parent->n] = child;
    if (parent->kind == PN_MAP) parent->keys[parent->n] = key;
    parent->n++;
    return 0;
}

static prog_node *node_copy(builder *b, const prog_node *src, hg_err *err)
{
    yaml_mark_t m = { 0, (size_t)src->line - 1, (size_t)src->col - 1 };
    prog_node *n = node_new(b, src->kind, &m, err);
    if (!n) return NULL;
    n->quoted = src->quoted;
    if (src->scalar && !(n->scalar = strdup(src->scalar))) goto oom;
    for (int i = 0; i < src->n; i++) {
        prog_node *c = node_copy(b, src->items[i], err);
        if (!c) { prog_node_free(n); return NULL; }
        char *k = NULL;
        if (src->kind == PN_MAP && !(k = strdup(src->keys[i]))) { prog_node_free(c); goto oom; }
        if (push_item(n, k, c) < 0) { free(k); prog_node_free(c); goto oom; }
    }
    return n;
oom:
    prog_node_free(n);
    hg_err_internal(err, "out of memory");
    return NULL;
}

static int remember_anchor(builder *b, const char *name, prog_node *n, hg_err *err)
{
    anchor *a = realloc(b->anchors, ((size_t)b->nanchors + 1) * sizeof *a);
    if (!a) return hg_err_internal(err, "out of memory");
    b->anchors = a;
    if (!(a[b->nanchors].name = strdup(name))) return hg_err_internal(err, "out of memory");
    a[b->nanchors++].node = n;
    return 0;
}

/* Attach a finished node to its parent (or make it the root). */
static int attach(builder *b, prog_node *n, const yaml_mark_t *m, hg_err *err)
{
    if (b->depth == 0) {
        if (b->root) {
            prog_node_free(n);
            return hg_err_set(err, 400, "ProgramError",
                              "%s:%zu:%zu: more than one YAML document in the file",
                              b->file, m->line + 1, m->column + 1);
        }
        b->root = n;
        return 0;
    }
    prog_node *parent = b->stack[b->depth - 1];
    if (parent->kind == PN_SEQ) {
        if (push_item(parent, NULL, n) < 0) { prog_node_free(n); return hg_err_internal(err, "out of memory"); }
        return 0;
    }
    char **pk = &b->pending_key[b->depth - 1];
    if (!*pk) {
        /* a key */
        if (n->kind != PN_SCALAR) {
            int rc = hg_err_set(err, 400, "ProgramError", "%s:%d:%d: mapping keys must be plain strings",
                                b->file, n->line, n->col);
            prog_node_free(n);
            return rc;
        }
        if (prog_map_get(parent, n->scalar)) {
            int rc = hg_err_set(err, 400, "ProgramError", "%s:%d:%d: duplicate key '%s'",
                                b->file, n->line, n->col, n->scalar);
            prog_node_free(n);
            return rc;
        }
        *pk = n->scalar;
        n->scalar = NULL;
        for (int i = 0; i < b->nanchors; i++)     /* an anchored key dies here */
            if (b->anchors[i].node == n) b->anchors[i].node = NULL;
        prog_node_free(n);
        return 0;
    }
    char *key = *pk;
    *pk = NULL;
    if (push_item(parent, key, n) < 0) {
        free(key);
        prog_node_free(n);
        return hg_err_internal(err, "out of memory");
    }
    return 0;
}

static int on_event(builder *b, yaml_event_t *ev, hg_err *err)
{
    const yaml_mark_t *m = &ev->start_mark;
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        prog_node *n = node_new(b, PN_SCALAR, m, err);
        if (!n) return -1;
        n->scalar = malloc(ev->data.scalar.length + 1);
        if (!n->scalar) { prog_node_free(n); return hg_err_internal(err, "out of memory"); }
        memcpy(n->scalar, ev->data.scalar.value, ev->data.scalar.length);
        n->scalar[ev->data.scalar.length] = '\0';
        if (strlen(n->scalar) != ev->data.scalar.length) {
            prog_node_free(n);
            return hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: NUL character in a scalar",
                              b->file, m->line + 1, m->column + 1);
        }
        const char *tag = (const char *)ev->data.scalar.tag;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                    (tag && strcmp(tag, YAML_STR_TAG) == 0);
        if (ev->data.scalar.anchor && remember_anchor(b, (const char *)ev->data.scalar.anchor, n, err) < 0) {
            prog_node_free(n);
            return -1;
        }
        return attach(b, n, m, err);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (b->depth >= PROG_YAML_MAX_DEPTH)
            return hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: nesting deeper than %d levels",
                              b->file, m->line + 1, m->column + 1, PROG_YAML_MAX_DEPTH);
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        prog_node *n = node_new(b, seq ? PN_SEQ : PN_MAP, m, err);
        if (!n) return -1;
        const yaml_char_t *an = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        b->stack_anchor[b->depth] = NULL;
        if (an && !(b->stack_anchor[b->depth] = strdup((const char *)an))) {
            prog_node_free(n);
            return hg_err_internal(err, "out of memory");
        }
        b->pending_key[b->depth] = NULL;
        b->stack[b->depth++] = n;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        prog_node *n = b->stack[--b->depth];
        b->stack[b->depth] = NULL;
        free(b->pending_key[b->depth]);      /* only set on malformed input */
        b->pending_key[b->depth] = NULL;
        char *an = b->stack_anchor[b->depth];
        b->stack_anchor[b->depth] = NULL;
        /* anchors on collections refer to the finished node; it is attached
         * (owned by its parent) right after, and outlives the anchor table */
        int rc = an ? remember_anchor(b, an, n, err) : 0;
        free(an);
        if (rc < 0) { prog_node_free(n); return -1; }
        return attach(b, n, m, err);
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (int i = b->nanchors - 1; i >= 0; i--) {
            if (strcmp(b->anchors[i].name, name) == 0) {
                if (!b->anchors[i].node)
                    return hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: alias '*%s' names a mapping key",
                                      b->file, m->line + 1, m->column + 1, name);
                prog_node *c = node_copy(b, b->anchors[i].node, err);
                if (!c) return -1;
                c->line = (int)m->line + 1;
                c->col = (int)m->column + 1;
                return attach(b, c, m, err);
            }
        }
        return hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: unknown alias '*%s'",
                          b->file, m->line + 1, m->column + 1, name);
    }
    default:
        return 0;
    }
}

static void builder_release(builder *b)
{
    while (b->depth > 0) {
        b->depth--;
        prog_node_free(b->stack[b->depth]);
        free(b->pending_key[b->depth]);
        free(b->stack_anchor[b->depth]);
    }
    for (int i = 0; i < b->nanchors; i++) free(b->anchors[i].name);
    free(b->anchors);
}

/* Parse text (len bytes) as the YAML file `file`. */
static int yaml_parse_text(const char *file, const unsigned char *text, size_t len,
                           prog_node **out, hg_err *err)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.file = file;
    *out = NULL;
    if (!yaml_parser_initialize(&b.parser)) return hg_err_internal(err, "yaml parser init failed");
    yaml_parser_set_input_string(&b.parser, text, len);
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&b.parser, &ev)) {
            const yaml_mark_t *pm = &b.parser.problem_mark;
            if (b.parser.context)
                rc = hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: YAML syntax error: %s %s",
                                file, pm->line + 1, pm->column + 1, b.parser.problem, b.parser.context);
            else
                rc = hg_err_set(err, 400, "ProgramError", "%s:%zu:%zu: YAML syntax error: %s",
                                file, pm->line + 1, pm->column + 1,
                                b.parser.problem ? b.parser.problem : "malformed input");
            break;
        }
        bool done = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev, err);
        yaml_event_delete(&ev);
        if (rc < 0 || done) break;
    }
    yaml_parser_delete(&b.parser);
    builder_release(&b);
    if (rc < 0) { prog_node_free(b.root); return -1; }
    if (!b.root) {
        /* an empty file is an empty map */
        yaml_mark_t m = { 0, 0, 0 };
        if (!(b.root = node_new(&b, PN_MAP, &m, err))) return -1;
    }
    *out = b.root;
    return 0;
}

int prog_yaml_load(const char *path, prog_node **out, hg_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return hg_err_set(err, 400, "ProgramError", "%s: %s", path, strerror(errno));
    hg_buf buf;
    hg_buf_init(&buf, PROG_YAML_MAX_BYTES);
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (hg_buf_append(&buf, chunk, got) < 0) {
            rc = hg_err_set(err, 400, "ProgramError", "%s: larger than %u bytes", path, PROG_YAML_MAX_BYTES);
            break;
        }
    }
    if (rc == 0 && ferror(f)) rc = hg_err_set(err, 400, "ProgramError", "%s: read error", path);
    fclose(f);
    if (rc == 0)
        rc = yaml_parse_text(path, (const unsigned char *)hg_buf_cstr(&buf), buf.len, out, err);
    hg_buf_release(&buf);
    return rc;
}

/* YAML 1.2 core schema for plain scalars. */
static bool is_null_text(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int bool_text(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return 1;
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return 0;
    return -1;
}

static bool number_text(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF") ||
        !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
        return false;   /* cJSON cannot carry them; keep the text */
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p == s) {
        int base = p[1] == 'x' ? 16 : 8;
        if (!p[2]) return false;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p + 2, &end, base);
        if (*end || errno) return false;
        *out = (double)v;
        return true;
    }
    /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    const char *q = p;
    int digits = 0;
    while (*q >= '0' && *q <= '9') { q++; digits++; }
    if (*q == '.') { q++; while (*q >= '0' && *q <= '9') { q++; digits++; } }
    if (!digits) return false;
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-') q++;
        if (!(*q >= '0' && *q <= '9')) return false;
        while (*q >= '0' && *q <= '9') q++;
    }
    if (*q) return false;
    char *end;
    *out = strtod(s, &end);
    return *end == '\0' && isfinite(*out);
}

static cJSON *scalar_to_json(const prog_node *n)
{
    if (n->quoted) return cJSON_CreateString(n->scalar);
    if (is_null_text(n->scalar)) return cJSON_CreateNull();
    int b = bool_text(n->scalar);
    if (b >= 0) return cJSON_CreateBool(b);
    double d;
    if (number_text(n->scalar, &d)) return cJSON_CreateNumber(d);
    return cJSON_CreateString(n->scalar);
}

cJSON *prog_node_to_json(const prog_node *n)
{
    if (!n) return cJSON_CreateNull();
    if (n->kind == PN_SCALAR) return scalar_to_json(n);
    cJSON *o = n->kind == PN_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!o) return NULL;
    for (int i = 0; i < n->n; i++) {
        cJSON *c = prog_node_to_json(n->items[i]);
        if (!c) { cJSON_Delete(o); return NULL; }
        if (n->kind == PN_SEQ) cJSON_AddItemToArray(o, c);
        else cJSON_AddItemToObject(o, n->keys[i], c);
    }
    return o;
}
