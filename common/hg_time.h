/*
 * hg_time.h — wall-clock time as AWS APIs show it: epoch seconds as a double.
 */
#ifndef HG_TIME_H
#define HG_TIME_H

#include <time.h>

/* Now, in epoch seconds with full (nanosecond) precision: for comparisons
 * against stored times (TTL expiry, token age). */
static inline double hg_time_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Now, in epoch seconds truncated to milliseconds: the precision AWS shows
 * in timestamps such as CreationDateTime. */
static inline double hg_time_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

#endif
