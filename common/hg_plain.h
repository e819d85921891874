/*
 * hg_plain.h — an HTTP response handed over in place, as borrowed strings.
 *
 * The mirror of hg_jw_source: where an event is written straight into a
 * handler, the plainest shape of a Lambda proxy response — an object with
 * at most statusCode (an integer 100-599), headers (an object of strings),
 * body (a string) and isBase64Encoded (false) — is read straight out of it,
 * with no tree or JSON text in between. The Lua runtime produces it,
 * Lambda passes the sink through, API Gateway maps it; none of them needs
 * the others' types.
 */
#ifndef HG_PLAIN_H
#define HG_PLAIN_H

#include <stddef.h>

/* Every string is NUL-free and reads back from the response's JSON text
 * byte for byte, so a mapper of that text would see exactly these values.
 * The strings are valid only during the sink's take(). */
#define HG_PLAIN_MAX_HEADERS 32
typedef struct hg_plain_response {
    int         status_code;        /* 0 when absent */
    int         nheaders;
    const char *header_name[HG_PLAIN_MAX_HEADERS];
    const char *header_value[HG_PLAIN_MAX_HEADERS];     /* in the producer's order */
    const char *body;               /* NULL when absent */
    size_t      body_len;
} hg_plain_response;

/* Who takes a plain response. take() runs inside the producer, only for a
 * response whose JSON text would be at most max_size bytes, and must not
 * call back into it. A response of any other shape or size goes the
 * producer's usual way, unchanged. */
typedef struct hg_plain_sink {
    void  (*take)(void *ctx, const hg_plain_response *r);
    void   *ctx;
    size_t  max_size;
} hg_plain_sink;

#endif
