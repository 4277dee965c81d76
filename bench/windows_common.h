/*
 * windows_common.h - what bench/accuracy_rt.c (the simulator) and
 * bench/gpu/windows_real.c (a real GPU) share: a nap that survives signals,
 * mean / worst |error| cells for the markdown tables, and the 1 Hz poll's
 * figure for a window (what `nvidia-smi --query-gpu=power.draw -l 1` users
 * compute). Header-only: each program is one file.
 */
#ifndef EB_BENCH_WINDOWS_COMMON_H
#define EB_BENCH_WINDOWS_COMMON_H

#include <math.h>
#include <stdio.h>
#include <time.h>

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

typedef struct errs {
    double sum, worst;
    int n;
} errs;

/* |got / want - 1| into e; a figure or reference that is missing is left out */
static void add(errs *e, double got, double want)
{
    if (isnan(got) || isnan(want) || want <= 0)
        return;
    double err = fabs(got / want - 1);
    e->sum += err;
    e->n++;
    if (err > e->worst)
        e->worst = err;
}

/* "mean / worst" in percent, or "-" (eight buffers in turn: one printf's cells) */
static const char *cell(const errs *e)
{
    static char buf[8][48];
    static int k;
    char *b = buf[k++ % 8];
    if (e->n == 0)
        snprintf(b, 48, "-");
    else
        snprintf(b, 48, "%.2f%% / %.2f%%", 100 * e->sum / e->n, 100 * e->worst);
    return b;
}

/* The windows of one length, opened one after another by one thread: the
 * counter read at each one's two ends (ZeusMonitor's method), and the
 * thread's random offsets. */
#define MAX_WIN 256
typedef struct window_stream {
    double ends_j[MAX_WIN];
    int n;
    unsigned seed;
} window_stream;

/* Power polled once a second: instants t and readings w (W). */
typedef struct poll_log {
    double t[128], w[128];
    int n;
} poll_log;

/* The poll's figure for [t0, t1]: the mean of the polls inside it (the last
 * one before it if none) times its length. */
static double poll_energy(const poll_log *p, double t0, double t1)
{
    double sum = 0, last = NAN;
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->t[i] <= t0)
            last = p->w[i];
        if (p->t[i] > t0 && p->t[i] <= t1) {
            sum += p->w[i];
            n++;
        }
    }
    return (n ? sum / n : last) * (t1 - t0);
}

#endif
