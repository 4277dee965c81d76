/*
 * mono.h - CLOCK_MONOTONIC in seconds, the one clock every part of ebench
 * times with (the sampler's deadlines use timespecs of the same clock).
 */
#ifndef EB_UTIL_MONO_H
#define EB_UTIL_MONO_H

#include <time.h>

static inline double eb__mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
