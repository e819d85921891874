/* hg_error.c — see hg_error.h. */
#include "hg_error.h"

#include <stdio.h>
#include <string.h>

void hg_err_clear(hg_err *err)
{
    if (!err) return;
    err->status = 0;
    err->code[0] = '\0';
    err->message[0] = '\0';
}

int hg_err_setv(hg_err *err, int status, const char *code, const char *fmt, va_list ap)
{
    if (!err || err->status != 0) return -1;   /* first failure wins */
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return -1;
}

int hg_err_set(hg_err *err, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = hg_err_setv(err, status, code, fmt, ap);
    va_end(ap);
    return rc;
}
