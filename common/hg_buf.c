/* hg_buf.c — see hg_buf.h. */
#include "hg_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hg_buf_init(hg_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = b->alloc = 0;
    b->cap = cap ? cap : SIZE_MAX / 2;
}

void hg_buf_release(hg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void hg_buf_reset(hg_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static int grow(hg_buf *b, size_t extra)
{
    if (extra > b->cap || b->len > b->cap - extra) return -1;
    size_t need = b->len + extra + 1;            /* + NUL */
    if (need <= b->alloc) return 0;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < need) n = n > SIZE_MAX / 2 ? need : n * 2;
    char *p = realloc(b->data, n);
    if (!p) return -1;
    b->data = p;
    b->alloc = n;
    return 0;
}

int hg_buf_append(hg_buf *b, const void *p, size_t n)
{
    if (grow(b, n) != 0) return -1;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int hg_buf_puts(hg_buf *b, const char *s) { return hg_buf_append(b, s, strlen(s)); }
int hg_buf_putc(hg_buf *b, char c) { return hg_buf_append(b, &c, 1); }

int hg_buf_printf(hg_buf *b, const char *fmt, ...)
{
    /* Format straight into the free space; only text that does not fit is
     * formatted a second time (measuring first cost two passes every time). */
    va_list ap;
    if (!b->data || b->alloc - b->len < 256) (void)grow(b, 255);   /* room for a typical line; may be capped */
    size_t avail = b->data ? b->alloc - b->len : 0;
    va_start(ap, fmt);
    int n = vsnprintf(avail ? b->data + b->len : NULL, avail, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < avail) {
        if ((size_t)n > b->cap || b->len > b->cap - (size_t)n) {
            b->data[b->len] = '\0';               /* over the cap: leave b as it was */
            return -1;
        }
        b->len += (size_t)n;
        return 0;
    }
    if (avail) b->data[b->len] = '\0';
    if (n < 0 || grow(b, (size_t)n) != 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *hg_buf_steal(hg_buf *b)
{
    if (!b->data && grow(b, 0) != 0) return NULL;
    if (b->len == 0) b->data[0] = '\0';
    char *p = b->data;
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}
