/*
 * stream.c - the timeline file and the calls file (eb_config.timeline_csv,
 * calls_csv), written while the bench runs by a thread of their own.
 *
 * Every 50 ms the writer takes, under the bench's lock, what has become
 * final since its last round: samples up to the first one any stepping
 * counter may still rewrite (its estimates after the last placed move, and
 * everything before its tracker first locks, when the start is re-drawn),
 * and closed windows whose figures are settled and to which no more work
 * can come (another window has begun or ended since). It copies them out,
 * lets go of the lock and writes. The sampler never waits on the disk: a
 * writer that falls behind keeps samples in memory up to EB__STREAM_BACKLOG
 * (or half the history), and past that the timeline thins them as usual
 * (timeline.c), counted and reported. Rows come in time order, domains in their order within one
 * time, as eb_write_csv() writes them: the streamed file of a run that
 * never thinned is that function's output, byte for byte.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define EB__STREAM_PERIOD_S 0.05
#define EB__STREAM_CHUNK 8192 /* samples per domain per round */

void eb__csv_header(const eb_bench *b, FILE *out)
{
    /* A comment line (gnuplot and pandas' comment='#' skip it) keeps simulated
     * figures from passing as measured ones; absent otherwise. */
    int sims = 0;
    for (size_t d = 0; d < b->n_dom; d++)
        if (b->dom[d].desc.simulated)
            fprintf(out, "%s%s",
                    sims++ ? ", " : "# SIMULATED (ebench-sim), not measured: ", b->dom[d].info.id);
    if (sims)
        fputc('\n', out);
    fprintf(out, "t_s,domain,power_w,energy_j\n");
}

void eb__csv_row(FILE *out, const char *id, const eb__sample *sm)
{
    if (isnan(sm->power_w))
        fprintf(out, "%.6f,%s,,%.6f\n", sm->t_s, id, sm->energy_j);
    else
        fprintf(out, "%.6f,%s,%.3f,%.6f\n", sm->t_s, id, sm->power_w, sm->energy_j);
}

/* The first sample of d that may still change (n: none). */
static size_t final_end(const eb_bench *b, const eb__domain *d)
{
    const eb__series *s = &d->series;
    if (b->stopped || d->desc.method != EB_METHOD_COUNTER || !d->desc.counter_holds || s->stuck)
        return s->n;
    /* before its tracker first locks, the start may be re-drawn: every
     * cumulative energy would move */
    return eb__start_final(b, d) ? s->prov_idx : 0;
}

typedef struct chunk {
    eb__sample *v[EB_MAX_DOMAINS];
    size_t n[EB_MAX_DOMAINS];
} chunk;

/* Copies out the final samples not yet written, up to one time for all
 * domains so that rows stay in time order. Lock held. */
static int take_samples_locked(eb_bench *b, chunk *c)
{
    double until = INFINITY;
    size_t end[EB_MAX_DOMAINS];
    for (size_t d = 0; d < b->n_dom; d++) {
        const eb__series *s = &b->dom[d].series;
        end[d] = final_end(b, &b->dom[d]);
        if (end[d] > s->stream_idx + EB__STREAM_CHUNK)
            end[d] = s->stream_idx + EB__STREAM_CHUNK;
        if (end[d] < s->n && s->v[end[d]].t_s < until)
            until = s->v[end[d]].t_s;
    }
    int any = 0;
    for (size_t d = 0; d < b->n_dom; d++) {
        eb__series *s = &b->dom[d].series;
        size_t k = s->stream_idx;
        while (k < end[d] && s->v[k].t_s < until)
            k++;
        c->n[d] = k - s->stream_idx;
        if (c->n[d] == 0)
            continue;
        eb__sample *v = realloc(c->v[d], c->n[d] * sizeof *v);
        if (!v)
            return EB_ENOMEM; /* this round's rows wait for the next */
        memcpy(v, &s->v[s->stream_idx], c->n[d] * sizeof *v);
        c->v[d] = v;
        any = 1;
    }
    for (size_t d = 0; d < b->n_dom; d++)
        b->dom[d].series.stream_idx += c->n[d];
    return any;
}

static void write_samples(const eb_bench *b, const chunk *c, FILE *out)
{
    size_t at[EB_MAX_DOMAINS] = {0};
    for (;;) {
        double t = INFINITY;
        for (size_t d = 0; d < b->n_dom; d++)
            if (at[d] < c->n[d] && c->v[d][at[d]].t_s < t)
                t = c->v[d][at[d]].t_s;
        if (isinf(t))
            break;
        for (size_t d = 0; d < b->n_dom; d++)
            if (at[d] < c->n[d] && c->v[d][at[d]].t_s == t)
                eb__csv_row(out, b->dom[d].info.id, &c->v[d][at[d]++]);
    }
}

/* A field of the calls file: quoted where it holds a comma, quote or line
 * break (RFC 4180). */
static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void calls_header(const eb_bench *b, FILE *out)
{
    int sims = 0;
    for (size_t d = 0; d < b->n_dom; d++)
        sims += b->dom[d].desc.simulated;
    if (sims)
        fprintf(out, "# SIMULATED (ebench-sim) domains among these, not measured\n");
    fprintf(out, "name,t_begin_s,t_end_s,duration_s,energy_j");
    for (size_t d = 0; d < b->n_dom; d++)
        fprintf(out, ",%s_j", b->dom[d].info.id);
    fprintf(out, ",work\n");
}

/* The closed windows whose rows can be written now, formatted into a
 * buffer: each once its figures are final and another window has begun or
 * ended after it (work is added in between), in the order they closed
 * (one taken in with its end still ahead waits without holding back the
 * rest). */
static char *take_calls_locked(eb_bench *b, size_t *len)
{
    eb__window *w = b->closed_win.v;
    char *buf = NULL;
    *len = 0;
    FILE *m = NULL;
    for (size_t i = 0; i < b->closed_win.n; i++) {
        if (w[i].written ||
            (!b->stopped && (w[i].edge >= b->edges || !eb__final_locked(b, w[i].t1))))
            continue;
        if (!m && !(m = open_memstream(&buf, len)))
            return NULL;
        eb__result r;
        eb__window_result_locked(b, &w[i], &r);
        csv_field(m, w[i].name);
        fprintf(m, ",%.6f,%.6f,%.6f,%.6f", r.t_begin_s, r.t_end_s, r.duration_s, r.total_energy_j);
        for (size_t d = 0; d < b->n_dom; d++)
            fprintf(m, ",%.6f", r.domains[d].energy_j);
        /* work: "AMOUNT UNIT" pairs joined by "; ", one field */
        char work[EB_MAX_WORK * 64] = "";
        size_t at = 0;
        for (size_t k = 0; k < w[i].n_work && at < sizeof work; k++)
            at += (size_t)snprintf(work + at, sizeof work - at, "%s%.17g %s", k ? "; " : "",
                                   w[i].work[k].amount, w[i].work[k].unit);
        fputc(',', m);
        csv_field(m, work);
        fputc('\n', m);
        w[i].written = 1;
    }
    if (!m)
        return NULL;
    if (fclose(m) != 0 || *len == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* One round; lock held on entry and return, let go while writing. Returns
 * whether it wrote anything. */
static int round_locked(eb_bench *b, chunk *c)
{
    int any = 0, samples = 0;
    size_t len = 0;
    char *calls = NULL;
    if (!b->writer_header) { /* at the first round: a bench that failed to open writes nothing */
        if (b->cfg.timeline_csv)
            eb__csv_header(b, b->cfg.timeline_csv);
        if (b->cfg.calls_csv)
            calls_header(b, b->cfg.calls_csv);
        b->writer_header = 1;
    }
    if (b->cfg.timeline_csv)
        any = samples = take_samples_locked(b, c) > 0;
    if (b->cfg.calls_csv && (calls = take_calls_locked(b, &len)) != NULL)
        any = 1;
    if (!any)
        return 0;
    pthread_mutex_unlock(&b->lock);
    /* flushed each round: after a SIGKILL the files hold all but the last
     * 50 ms */
    if (samples) {
        write_samples(b, c, b->cfg.timeline_csv);
        fflush(b->cfg.timeline_csv);
    }
    if (calls) {
        fwrite(calls, 1, len, b->cfg.calls_csv);
        fflush(b->cfg.calls_csv);
    }
    free(calls);
    pthread_mutex_lock(&b->lock);
    return 1;
}

static void *writer_main(void *arg)
{
    eb_bench *b = arg;
    chunk c = {0};
    pthread_mutex_lock(&b->lock);
    while (!b->writer_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(EB__STREAM_PERIOD_S * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->writer_wake, &b->lock, &until);
        if (!b->writer_stop)
            round_locked(b, &c);
    }
    pthread_mutex_unlock(&b->lock);
    for (size_t d = 0; d < EB_MAX_DOMAINS; d++)
        free(c.v[d]);
    return NULL;
}

int eb__writer_start(eb_bench *b)
{
    if (!b->cfg.timeline_csv && !b->cfg.calls_csv)
        return EB_OK;
    if (eb__marker_mirror(b) || b->marker_fd >= 0) {
        eb__warn(b, "the timeline and calls files are not written by a program that ebench run "
                    "measures: ebench run's own --csv has the timeline");
        b->cfg.timeline_csv = b->cfg.calls_csv = NULL;
        return EB_OK;
    }
    if (b->cfg.timeline_csv)
        for (size_t d = 0; d < b->n_dom; d++)
            b->dom[d].series.streaming = 1;
    b->writer_on = 1;
    if (b->cfg.manual)
        return EB_OK; /* no threads: written at each eb_tick() (eb__writer_tick_locked) */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&b->writer_wake, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0 || pthread_create(&b->writer, NULL, writer_main, b) != 0) {
        if (rc == 0)
            pthread_cond_destroy(&b->writer_wake);
        return eb__fail(b, EB_ENOMEM, "cannot start the thread that writes the timeline");
    }
    b->writer_running = 1;
    return EB_OK;
}

void eb__writer_tick_locked(eb_bench *b)
{
    if (!b->cfg.manual || !b->writer_on || (!b->cfg.timeline_csv && !b->cfg.calls_csv))
        return;
    chunk c = {0};
    round_locked(b, &c);
    for (size_t d = 0; d < EB_MAX_DOMAINS; d++)
        free(c.v[d]);
}

/* Ends the thread; with `rest`, writes what is left (final now that the
 * bench has stopped). Once: a second call returns at once. */
static void finish(eb_bench *b, int rest)
{
    pthread_mutex_lock(&b->lock);
    if ((!b->cfg.timeline_csv && !b->cfg.calls_csv) || b->writer_finished) {
        pthread_mutex_unlock(&b->lock);
        return;
    }
    b->writer_finished = 1;
    int running = b->writer_running;
    b->writer_running = 0;
    b->writer_stop = 1;
    if (running)
        pthread_cond_signal(&b->writer_wake);
    pthread_mutex_unlock(&b->lock);
    if (running) {
        pthread_join(b->writer, NULL);
        pthread_cond_destroy(&b->writer_wake);
    }
    chunk c = {0};
    pthread_mutex_lock(&b->lock);
    while (rest && round_locked(b, &c))
        ;
    size_t thinned = 0;
    for (size_t d = 0; d < b->n_dom; d++)
        thinned += b->dom[d].series.stream_thinned;
    if (thinned)
        eb__warn(b,
                 "the timeline file has %zu samples merged in pairs: its writer fell behind the "
                 "sampler by more than %zu samples (a slow disk?)",
                 thinned, (size_t)EB__STREAM_BACKLOG);
    FILE *files[] = {b->cfg.timeline_csv, b->cfg.calls_csv};
    for (size_t i = 0; i < 2 && rest; i++) {
        if (!files[i])
            continue;
        errno = 0;
        if (fflush(files[i]) != 0 || ferror(files[i]))
            eb__warn(b, "the %s file could not be written in full%s%s", i ? "calls" : "timeline",
                     errno ? ": " : "", errno ? strerror(errno) : "");
    }
    b->cfg.timeline_csv = b->cfg.calls_csv = NULL; /* written: the caller's again */
    pthread_mutex_unlock(&b->lock);
    for (size_t d = 0; d < EB_MAX_DOMAINS; d++)
        free(c.v[d]);
}

void eb__writer_finish(eb_bench *b)
{
    finish(b, 1);
}

void eb__writer_abort(eb_bench *b)
{
    finish(b, 0);
}
