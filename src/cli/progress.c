/*
 * progress.c - the thread beside the command under `ebench run`: the
 * progress line on a terminal and the periodic checkpoints of the report.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "progress.h"

static void checkpoint(eb_progress *p)
{
    eb_run_meta m;
    eb_run_meta_init(&m);
    m.argv = p->argv;
    m.partial = 1;
    m.elapsed_s = eb_now(p->b);
    /* a failure here is said once, at the end, by the final write */
    if (p->json)
        eb_save_json(p->b, p->json, &m);
    if (p->csv)
        eb_save_csv(p->b, p->csv);
#ifdef __GLIBC__
    /* the report's many small allocations, freed: give the pages back, so
     * that a run of days stays at the memory of its first minute */
    malloc_trim(0);
#endif
}

static void *progress_main(void *arg)
{
    eb_progress *p = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        next.tv_sec += (next.tv_nsec + 500000000L) / 1000000000L;
        next.tv_nsec = (next.tv_nsec + 500000000L) % 1000000000L;
        if (pthread_cond_timedwait(&p->wake, &p->lock, &next) != ETIMEDOUT || p->stop)
            continue;
        if (p->checkpoint_s > 0 && eb_now(p->b) >= p->next_s) {
            checkpoint(p);
            p->next_s = eb_now(p->b) + p->checkpoint_s;
        }
        if (!p->show)
            continue;
        /* power: each domain's energy over the last lines (up to 2 s), not its
         * last sample's: a counter that moves every 100 ms, its moves placed
         * within a few ms (more on a busy machine), would make one interval's
         * power jitter by several percent */
        double w = 0, j = 0, t = eb_now(p->b);
        size_t n = eb_domain_count(p->b) < EB_MAX_DOMAINS ? eb_domain_count(p->b) : EB_MAX_DOMAINS;
        size_t slot = (p->oldest + p->kept) % PROGRESS_KEEP;
        if (p->kept == PROGRESS_KEEP) { /* the oldest makes way */
            slot = p->oldest;
            p->oldest = (p->oldest + 1) % PROGRESS_KEEP;
            p->kept--;
        }
        for (size_t i = 0; i < n; i++) {
            eb_reading r;
            eb_latest(p->b, i, &r);
            double t0 = p->kept_t[p->oldest][i], j0 = p->kept_j[p->oldest][i];
            if (eb_domain_get(p->b, i)->in_total) {
                if (p->kept && r.t_s - t0 > 0.2 && !isnan(r.energy_j) && !isnan(j0))
                    w += (r.energy_j - j0) / (r.t_s - t0);
                else
                    w += isnan(r.power_w) ? 0 : r.power_w;
                j += isnan(r.energy_j) ? 0 : r.energy_j;
            }
            p->kept_t[slot][i] = r.t_s;
            p->kept_j[slot][i] = r.energy_j;
        }
        p->kept++;
        fprintf(stderr, "\r ebench: %8.1f s  %9.1f W  %12.1f J so far ", t, w, j);
        p->shown = 1;
    }
    if (p->shown)
        fprintf(stderr, "\r%60s\r", "");
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int eb_progress_start(eb_progress *p, eb_bench *b, int show, double checkpoint_s,
                      const char *const *argv, const char *json, const char *csv)
{
    pthread_condattr_t ca;
    memset(p, 0, sizeof *p);
    p->b = b;
    p->show = show;
    p->checkpoint_s = checkpoint_s;
    p->next_s = eb_now(b) + checkpoint_s;
    p->json = json;
    p->csv = csv;
    p->argv = argv;
    if (!show && (!(p->checkpoint_s > 0) || (!p->json && !p->csv)))
        return -1; /* nothing to do */
    for (size_t i = 0; i < eb_domain_count(b) && i < EB_MAX_DOMAINS; i++) {
        eb_reading r;
        eb_latest(b, i, &r);
        p->kept_t[0][i] = r.t_s;
        p->kept_j[0][i] = r.energy_j;
    }
    p->kept = 1; /* the first line's power is over its first half second too */
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the main thread */
    int rc = pthread_create(&p->thread, NULL, progress_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : -1;
}

void eb_progress_stop(eb_progress *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
}
