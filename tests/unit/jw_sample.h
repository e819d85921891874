/*
 * jw_sample.h — one value written through hg_jw with every kind of call
 * (nested containers, empty ones, each scalar type), for the tests of the
 * tree writer (test_common) and of the Lua writer (test_lua_json).
 */
#ifndef HG_JW_SAMPLE_H
#define HG_JW_SAMPLE_H

#include "hg_json.h"

/* What write_sample writes, as cJSON prints it unformatted. */
#define JW_SAMPLE_TEXT "{\"s\":\"a\\\"b\",\"n\":1795852800123,\"f\":2.5,\"l\":[true,null,{}],\"e\":[],\"z\":null}"

static void write_sample(hg_jw *w, const void *ctx)
{
    (void)ctx;
    const hg_jw_ops *o = w->ops;
    o->open(w, NULL, false, 6);
    o->string(w, "s", "a\"b");
    o->number(w, "n", 1795852800123.0);
    o->number(w, "f", 2.5);
    o->open(w, "l", true, 3);
    o->boolean(w, NULL, true);
    o->null(w, NULL);
    o->open(w, NULL, false, 0);
    o->close(w);
    o->close(w);
    o->open(w, "e", true, 0);
    o->close(w);
    o->null(w, "z");
    o->close(w);
}

#endif
