/*
 * hg_json.h — small helpers on cJSON objects that every service repeats:
 * read a string member, set (add or replace) a member; and hg_jw, a writer
 * that builds one JSON value call by call into whatever its consumer keeps.
 */
#ifndef HG_JSON_H
#define HG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* The string value of member key of o, or NULL when o is not an object, the
 * member is absent or not a string. Borrowed from o. */
const char *hg_json_str(const cJSON *o, const char *key);

/* Make v the member key of o, replacing (and freeing) any member of that
 * name. Takes ownership of v. */
void hg_json_set(cJSON *o, const char *key, cJSON *v);

/* Parse a request body that must be exactly one JSON value: trailing bytes
 * (`{...}}`) are an error, not ignored. body must be NUL-terminated at
 * body[len] (as core's request bodies are). len 0 gives an empty object.
 * New value (caller frees), or NULL on malformed input. */
cJSON *hg_json_parse_body(const char *body, size_t len);

/* ---- hg_jw: one JSON value, written call by call ----------------------------
 * A producer describes a value through these calls and the writer builds it
 * straight into what its consumer keeps — a cJSON tree (hg_jw_build_tree),
 * Lua tables (emulator/lua) — with no tree in between. key names the member
 * inside an object and is NULL at the top and inside arrays; strings are
 * NUL-terminated and copied by the writer. A writer may leave the producer
 * by a longjmp (Lua raises on out of memory), so a producer must hold no
 * allocation of its own across these calls. */
typedef struct hg_jw hg_jw;
typedef struct hg_jw_ops {
    void (*open)(hg_jw *w, const char *key, bool array, int size_hint);   /* then members, then close */
    void (*close)(hg_jw *w);
    void (*string)(hg_jw *w, const char *key, const char *s);
    void (*number)(hg_jw *w, const char *key, double v);
    void (*boolean)(hg_jw *w, const char *key, bool v);
    void (*null)(hg_jw *w, const char *key);
} hg_jw_ops;
struct hg_jw { const hg_jw_ops *ops; };

/* A value to write: write(w, ctx) makes exactly one. */
typedef struct hg_jw_source {
    void (*write)(hg_jw *w, const void *ctx);
    const void *ctx;
} hg_jw_source;

/* Write v as key: any cJSON value, NULL as null. */
void hg_jw_cjson(hg_jw *w, const char *key, const cJSON *v);

/* src's value as a new cJSON tree (caller frees), or NULL when memory ran
 * out or the producer was unbalanced or nested deeper than HG_JW_MAX_DEPTH. */
#define HG_JW_MAX_DEPTH 64
cJSON *hg_jw_build_tree(const hg_jw_source *src);

#endif
