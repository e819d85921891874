/* hg_glob.c — see hg_glob.h. */
#include "hg_glob.h"

#include <ctype.h>
#include <stddef.h>

int hg_glob(const char *pat, const char *s, int fold)
{
    const char *star = NULL, *resume = NULL;   /* the last '*' seen, and where its match ends */
    while (*s) {
        if (*pat == '*') { star = pat++; resume = s; continue; }
        if (*pat && (*pat == '?' || (fold ? tolower((unsigned char)*pat) == tolower((unsigned char)*s) : *pat == *s))) {
            pat++; s++;
            continue;
        }
        if (!star) return 0;
        pat = star + 1;                         /* let the last '*' take one more character */
        s = ++resume;
    }
    while (*pat == '*') pat++;
    return *pat == '\0';
}
