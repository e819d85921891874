/*
 * hg_buf.h — a growable byte buffer with a hard cap.
 *
 * Every buffer that may grow from network input has a cap; an append that
 * would pass it fails (returns -1) and leaves the buffer unchanged, so the
 * caller can answer 413 or a ValidationException instead of growing forever.
 * The data is always NUL-terminated (the NUL is not counted in len), so text
 * can be handed to parsers that want C strings.
 *
 * Ownership: hg_buf_init/hg_buf_release; hg_buf_steal hands the heap block to
 * the caller (free() it) and leaves the buffer empty.
 */
#ifndef HG_BUF_H
#define HG_BUF_H

#include <stddef.h>

typedef struct hg_buf {
    char  *data;   /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;    /* maximum len; 0 means SIZE_MAX/2 */
} hg_buf;

void   hg_buf_init(hg_buf *b, size_t cap);
void   hg_buf_release(hg_buf *b);
int    hg_buf_append(hg_buf *b, const void *p, size_t n);
int    hg_buf_puts(hg_buf *b, const char *s);
int    hg_buf_printf(hg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int    hg_buf_putc(hg_buf *b, char c);
void   hg_buf_reset(hg_buf *b);          /* len = 0, keeps memory */
char  *hg_buf_steal(hg_buf *b);          /* caller frees; never NULL on success */
static inline const char *hg_buf_cstr(const hg_buf *b) { return b->data ? b->data : ""; }

#endif
