/*
 * hg_error.h — the one error type of Hangar.
 *
 * Functions that can fail return 0 on success and -1 on failure; the first
 * failure fills an hg_err with the HTTP status, the AWS error code (the part
 * after '#' in a JSON-protocol __type) and a message naming the problem.
 * Only the HTTP layer turns an hg_err into a response body, so code below it
 * never needs to know the wire protocol.
 *
 * An hg_err is plain storage (no heap): it can live on the stack and needs no
 * release. Once set, later hg_err_set calls keep the first error ("the first
 * failure wins"), which lets deep code fail without clobbering the cause.
 */
#ifndef HG_ERROR_H
#define HG_ERROR_H

#include <stdarg.h>

#define HG_ERR_CODE_MAX 64
#define HG_ERR_MSG_MAX  4096    /* room for a 100-reason TransactionCanceled message */

typedef struct hg_err {
    int  status;                    /* HTTP status, 0 while unset */
    char code[HG_ERR_CODE_MAX];     /* e.g. "ValidationException" */
    char message[HG_ERR_MSG_MAX];   /* human text, as AWS words it */
} hg_err;

/* Clear an error so it can be reused. */
void hg_err_clear(hg_err *err);

/* Fill err (if not already set) and return -1, so `return hg_err_set(...)`
 * reads well. err may be NULL. */
int hg_err_set(hg_err *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int hg_err_setv(hg_err *err, int status, const char *code, const char *fmt, va_list ap);

/* Shorthands for the errors every service uses. */
#define hg_err_validation(err, ...) hg_err_set((err), 400, "ValidationException", __VA_ARGS__)
#define hg_err_internal(err, ...)   hg_err_set((err), 500, "InternalServerError", __VA_ARGS__)

static inline int hg_err_isset(const hg_err *err) { return err && err->status != 0; }

#endif
