/*
 * hg_json.h — small helpers on cJSON objects that every service repeats:
 * read a string member, set (add or replace) a member.
 */
#ifndef HG_JSON_H
#define HG_JSON_H

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

#endif
