/* common.c — helpers every command shares (see hangar.h). */
#include "hangar.h"

#include <stdarg.h>
#include <stdio.h>

int hangar_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}
