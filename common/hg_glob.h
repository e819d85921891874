/*
 * hg_glob.h — wildcard matching as AWS policies use it: '*' any run of
 * characters (also none), '?' any one character, nothing else special.
 */
#ifndef HG_GLOB_H
#define HG_GLOB_H

/* Does s match pat as a whole? fold: compare letters without regard to case.
 * Linear in practice: a '*' only ever resumes from its last match. */
int hg_glob(const char *pat, const char *s, int fold);

#endif
