/*
 * sampler.c - one thread that reads every domain at absolute deadlines on
 * CLOCK_MONOTONIC, so the period never drifts with the cost of a tick. It
 * sleeps on a condition variable, so eb_stop() wakes it at once. In manual
 * mode there is no thread and eb_tick() is one tick.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Notes what the series noticed about a stepping counter, once each. */
void eb__counter_notes(eb_bench *b, eb__domain *d)
{
    eb__series *s = &d->series;
    if (s->resets > d->resets_warned) {
        d->resets_warned = s->resets;
        eb__warn(b,
                 "%s: the energy counter went back or jumped at t=%.3f s (a driver reload?); "
                 "the energy up to then is kept, the interval across it is bridged at the rate "
                 "before, and counting resumed from the new value",
                 d->desc.id, s->reset_at_s);
    }
    if (!d->desc.counter_holds) /* RAPL: resets only; the rest is about stepping counters */
        return;
    if (s->stuck && !d->stuck_warned) {
        d->stuck_warned = 1;
        eb__warn(b,
                 "%s: the energy counter stopped moving (or never moved) by t=%.3f s while the GPU "
                 "drew %.1f W; its energy integrates the power readings from its last move on",
                 d->desc.id, s->stuck_at_s, s->last_power_w);
    }
    if (s->trk.state == EB__TRK_FALLBACK && !s->stuck && !s->track_off && !d->fallback_warned) {
        d->fallback_warned = 1;
        eb__warn(b,
                 "%s: %s; its moves are placed at the reads that see them, so window edges are "
                 "uncertain by up to one update period",
                 d->desc.id, s->trk.why);
    }
}

static void read_domain(eb_bench *b, eb__domain *d, double t, int edge)
{
    eb__reading r = {0, NAN, {NAN, NAN, NAN, NAN, NAN, NAN}};
    char why[EB__TEXT_LEN] = "";
    const eb__source_ops *ops = b->src[d->source].ops;

    if (d->series.lost)
        return;
    /* the read's own times: a stepping counter's moves are bracketed by them
     * (other domains are stamped with the tick's time alone) */
    int timed = d->desc.counter_holds && !b->cfg.manual;
    /* A stepping counter is not read where the read would show nothing new at
     * a slow driver's cost (an H200's counter read takes 2-28 ms of CPU): at a
     * tick no move is due (eb__tracker_can_skip), at a window edge a locked
     * tracker's own reads around each move place it, and a read of it in
     * flight in another thread covers this one. Its sample at t is on the line
     * between its moves, as for any instant. */
    if (timed && d->series.n > 0 &&
        (d->reading || (!d->series.stuck && (edge ? d->series.trk.state == EB__TRK_LOCKED
                                                  : eb__tracker_can_skip(&d->series.trk, t))))) {
        if (eb__series_add_unread(&d->series, &d->desc, t) < 0 && d->series.bad_reads++ == 0)
            eb__warn(b, "%s: sample at t=%.3f s dropped (out of memory)", d->desc.id, t);
        return;
    }
    double tb = timed ? fmax(eb__clock_now(b), t) : t;
    /* A stepping counter's read can take milliseconds (2-28 ms on an H200):
     * the bench is not held meanwhile, so window edges in other threads go
     * on; d->reading keeps its reads one at a time. */
    if (timed) {
        /* a window edge keeps a sample at exactly t (on the line, as any
         * instant): another thread's tick while this read is out may put a
         * sample after t, and the read then joins that one */
        if (edge && d->series.n > 0 && eb__series_add_unread(&d->series, &d->desc, t) < 0 &&
            d->series.bad_reads++ == 0)
            eb__warn(b, "%s: sample at t=%.3f s dropped (out of memory)", d->desc.id, t);
        d->reading = 1;
        pthread_mutex_unlock(&b->lock);
    }
    int rc = ops->read(b->src[d->source].priv, d->local, &r, why, sizeof why);
    if (timed) {
        pthread_mutex_lock(&b->lock);
        d->reading = 0;
        if (b->stopped) /* the bench stopped meanwhile: nothing is added after it */
            return;
        /* an edge placed meanwhile put an estimate after t: this read joins it */
        if (d->series.n > 0 && t < d->series.v[d->series.n - 1].t_s)
            t = d->series.v[d->series.n - 1].t_s;
    }
    double ta = timed ? fmax(eb__clock_now(b), tb) : t;
    if (rc == EB__READ_LOST) {
        d->series.lost = 1;
        d->series.lost_at_s = t;
        eb__warn(b, "%s: lost at t=%.3f s (%s); its energy up to then is kept", d->desc.id, t, why);
        return;
    }
    if (rc < 0) {
        if (d->series.bad_reads++ == 0)
            eb__warn(b, "%s: unreadable sample at t=%.3f s (%s); such samples are skipped",
                     d->desc.id, t, why);
        return;
    }
    if (d->desc.method != EB_METHOD_COUNTER && !(r.power_w >= 0 && isfinite(r.power_w))) {
        if (d->series.bad_reads++ == 0)
            eb__warn(b, "%s: power reading %g W at t=%.3f s is not valid; skipped", d->desc.id,
                     r.power_w, t);
        return;
    }
    if (eb__series_add_read(&d->series, &d->desc, t, tb, ta, &r) < 0) {
        if (d->series.bad_reads++ == 0)
            eb__warn(b, "%s: sample at t=%.3f s dropped (out of memory or clock went back)",
                     d->desc.id, t);
        return;
    }
    if (d->desc.method == EB_METHOD_COUNTER)
        eb__counter_notes(b, d);

    /* A counter must be read at least twice per wrap, or whole wraps vanish. */
    const eb__series *s = &d->series;
    if (d->desc.counter_range > 0 && !d->wrap_warned && s->n >= 2) {
        double p = s->v[s->n - 1].power_w;
        double wrap_s = (double)d->desc.counter_range * d->desc.counter_unit_j / p;
        double gap = s->v[s->n - 1].t_s - s->v[s->n - 2].t_s;
        if (p > 0 && gap > wrap_s / 2) {
            d->wrap_warned = 1;
            eb__warn(b,
                     "%s: at %.1f W the counter wraps every %.1f s, but samples are %.1f s "
                     "apart: wraps may be missed; sample at least every %.0f ms",
                     d->desc.id, p, wrap_s, gap, wrap_s / 2 * 1e3);
        }
    }
}

/* A read of a stepping counter alone, when its tracker asks for one. */
void eb__track_domain_locked(eb_bench *b, eb__domain *d)
{
    const eb__source_ops *ops = b->src[d->source].ops;
    unsigned long long c;
    if (d->series.lost || d->series.n == 0 || !ops->read_counter || d->reading)
        return;
    double tb = eb__clock_now(b);
    d->reading = 1; /* as in read_domain: the bench is not held during the call */
    pthread_mutex_unlock(&b->lock);
    int rc = ops->read_counter(b->src[d->source].priv, d->local, &c);
    pthread_mutex_lock(&b->lock);
    d->reading = 0;
    if (b->stopped)
        return;
    double ta = eb__clock_now(b);
    if (rc < 0) {
        /* a failing read is not retried at once: 5 ms later, and after 100
         * in a row the extra reads stop (the samples go on) */
        d->track_retry_at = ta + 0.005;
        if (++d->track_failures == 100)
            eb__warn(b,
                     "%s: 100 counter reads between samples failed in a row; its moves are "
                     "bracketed by the samples alone from now on",
                     d->desc.id);
        return;
    }
    d->track_failures = 0;
    d->track_reads++;
    eb__series_track(&d->series, &d->desc, tb, ta, c);
    eb__counter_notes(b, d);
}

/* When domain d's tracker wants a read (INFINITY: none). */
static double track_want(const eb_bench *b, const eb__domain *d)
{
    if (!d->desc.counter_holds || d->series.lost || d->series.stuck || d->series.n == 0 ||
        !b->src[d->source].ops->read_counter || d->track_failures >= 100)
        return INFINITY;
    return fmax(eb__tracker_next(&d->series.trk), d->track_retry_at);
}

double eb__track_next_locked(eb_bench *b)
{
    double next = INFINITY;
    for (size_t i = 0; i < b->n_dom; i++)
        next = fmin(next, track_want(b, &b->dom[i]));
    return next;
}

void eb__track_due_locked(eb_bench *b, double now)
{
    for (size_t i = 0; i < b->n_dom; i++)
        if (track_want(b, &b->dom[i]) <= now + 2e-4)
            eb__track_domain_locked(b, &b->dom[i]);
}

double eb__tick_locked(eb_bench *b)
{
    return eb__tick_at_locked(b, eb__clock_now(b));
}

/* Every domain at t: those read at once first, all under this one hold of
 * the lock (a stepping counter's read unlocks, and other threads' ticks
 * meanwhile would put later samples before theirs), then the stepping
 * counters. */
static double tick(eb_bench *b, double t, int edge)
{
    if (b->stopped || eb__marker_mirror(b)) /* a mirror's domains are read by the parent */
        return t;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < b->n_dom; i++) {
            eb__domain *d = &b->dom[i];
            int slow = d->desc.counter_holds && !b->cfg.manual;
            if (slow == pass)
                read_domain(b, d, t, edge);
        }
    b->ticks++;
    if (!edge) { /* windows whose figures became final (eb_end does it at edges) */
        eb__fold_old_locked(b);
        eb__writer_tick_locked(b);
    }
    return t;
}

double eb__tick_at_locked(eb_bench *b, double t)
{
    return tick(b, t, 0);
}

double eb__tick_edge_locked(eb_bench *b)
{
    return tick(b, eb__clock_now(b), 1);
}

void eb__nap_unlocked(eb_bench *b, double s)
{
    pthread_mutex_unlock(&b->lock);
    if (s > 0) {
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&b->lock);
}

void eb__reads_drain_locked(eb_bench *b)
{
    for (;;) {
        int busy = 0;
        for (size_t i = 0; i < b->n_dom; i++)
            busy |= b->dom[i].reading;
        if (!busy)
            return;
        eb__nap_unlocked(b, 0.001);
    }
}

EB_EXPORT int eb_tick(eb_bench *b)
{
    if (!b)
        return EB_EINVAL;
    if (!b->cfg.manual)
        return eb__fail(b, EB_EMODE, "eb_tick() needs a bench opened with cfg.manual = 1");
    pthread_mutex_lock(&b->lock);
    eb__tick_locked(b);
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}

static void add_ns(struct timespec *ts, long long ns)
{
    long long total = (long long)ts->tv_nsec + ns;
    ts->tv_sec += (time_t)(total / 1000000000LL);
    ts->tv_nsec = (long)(total % 1000000000LL);
}

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The bench clock's time t as an absolute CLOCK_MONOTONIC deadline. */
static struct timespec deadline_of(eb_bench *b, double t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ahead = t - eb__clock_now(b);
    if (ahead < 0)
        ahead = 0;
    add_ns(&now, (long long)(ahead * 1e9));
    return now;
}

/* Between ticks on absolute deadlines, the reads the counter trackers ask for
 * (just around each predicted move of a stepping counter). */
static void *sampler_main(void *arg)
{
    eb_bench *b = arg;
    long long period_ns = (long long)(b->cfg.interval_ms * 1e6);
    struct timespec next, now;

    if (period_ns < 1000)
        period_ns = 1000;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&b->lock);
    while (!b->stop_requested) {
        add_ns(&next, period_ns);
        /* Fell behind (a slow read, a suspended machine): skip the missed
         * deadlines instead of sampling in a burst. */
        clock_gettime(CLOCK_MONOTONIC, &now);
        while (before(&next, &now))
            add_ns(&next, period_ns);
        for (;;) {
            int rc = 0;
            double track = eb__track_next_locked(b);
            struct timespec wake = next;
            if (isfinite(track)) {
                struct timespec tw = deadline_of(b, track);
                if (before(&tw, &next))
                    wake = tw;
            }
            while (!b->stop_requested && rc != ETIMEDOUT)
                rc = pthread_cond_timedwait(&b->wake, &b->lock, &wake);
            if (b->stop_requested)
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (!before(&now, &next))
                break; /* the tick */
            eb__track_due_locked(b, eb__clock_now(b));
        }
        if (!b->stop_requested)
            eb__tick_locked(b);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

int eb__sampler_start(eb_bench *b)
{
    sigset_t all, old;

    /* The thread takes no signals: they belong to the application. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* under the lock, as fork() sees it: a thread that exists is known */
    pthread_mutex_lock(&b->lock);
    int rc = pthread_create(&b->thread, NULL, sampler_main, b);
    b->thread_running = rc == 0;
    pthread_mutex_unlock(&b->lock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return eb__fail(b, EB_ETHREAD, "pthread_create: %s", strerror(rc));
    return EB_OK;
}

void eb__sampler_stop(eb_bench *b)
{
    /* one caller joins (two threads calling eb_stop at once would join the
     * thread twice); the other finds it claimed */
    pthread_mutex_lock(&b->lock);
    int join = b->thread_running && !b->stop_requested;
    b->stop_requested = 1;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    if (!join)
        return;
    pthread_join(b->thread, NULL);
    pthread_mutex_lock(&b->lock);
    b->thread_running = 0;
    pthread_mutex_unlock(&b->lock);
}
