/*
 * hg_parse.h — bounded number parsing for untrusted text, and the decimal
 * writer that goes the other way.
 * No atoi/strtol on network input: these take an explicit length and a
 * maximum, reject signs, spaces and trailing junk, and never overflow.
 */
#ifndef HG_PARSE_H
#define HG_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parse decimal digits s[0..len) into *out, which must be <= max.
 * Returns 0, or -1 on empty input, a non-digit, or a value above max. */
int hg_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);
/* Same for a NUL-terminated string. */
int hg_parse_u64z(const char *s, uint64_t max, uint64_t *out);
/* A non-negative decimal with optional fraction ("0.5", "3"), <= max. */
int hg_parse_seconds(const char *s, double max, double *out);

/* Write v in decimal at p (at most 20 characters, no NUL); returns the end.
 * For text built on every request, where snprintf's cost shows. */
char *hg_put_u64(char *p, uint64_t v);

#endif
