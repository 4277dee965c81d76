/*
 * common.c - what every file of the library shares: the calling thread's
 * error detail, warnings, growable lists, the bench clock, and the registry
 * of open benches that keeps fork() safe. Nothing here calls the other
 * files, so bench, sampler, windows and markers all depend on it and not on
 * each other.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/utf8.h"
#include "internal.h"

/* Why the calling thread's last call failed, and on which bench: per
 * thread, so two threads failing on one bench never write one buffer while
 * another reads it. */
static _Thread_local char detail[512];
static _Thread_local const eb_bench *detail_bench;

int eb__fail(eb_bench *b, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    detail_bench = b; /* NULL: eb_open's, read with eb_last_detail(NULL) */
    return err;
}

int eb__list_push(eb__list *l, const void *elem, size_t sz)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *v = realloc(l->v, cap * sz);
        if (!v)
            return EB_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    memcpy((char *)l->v + l->n * sz, elem, sz);
    l->n++;
    return 0;
}

void eb__warn(eb_bench *b, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* sensor text may not be UTF-8, and may hold a terminal's escapes */
    char *s = strdup(eb__text_scrub(buf));
    if (s && eb__list_push(&b->warnings, &s, sizeof s) < 0)
        free(s);
}

/* ---- fork() ----------------------------------------------------------- */

/* Every open bench. Around a fork each one's lock is taken, so the child
 * never inherits a lock another thread held (its sampler, an eb_end): it
 * gets each bench unlocked, and one with a sampler thread marked `forked`,
 * since that thread did not come along. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static eb_bench *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
    pthread_mutex_lock(&registry_lock);
    /* no read may be in flight either: a driver's own lock (the simulator's,
     * NVML's) held by a reading thread would be copied held into the child;
     * a read starts only under the bench's lock, so none starts after this */
    for (eb_bench *b = registry; b; b = b->reg_next) {
        pthread_mutex_lock(&b->lock);
        eb__reads_drain_locked(b);
    }
}

static void fork_parent(void)
{
    for (eb_bench *b = registry; b; b = b->reg_next)
        pthread_mutex_unlock(&b->lock);
    pthread_mutex_unlock(&registry_lock);
}

static void fork_child(void)
{
    for (eb_bench *b = registry; b; b = b->reg_next) {
        if (b->thread_running) {
            /* its sampler is the parent's: here it stopped at the fork */
            b->forked = 1;
            b->thread_running = 0;
            if (!b->stopped) {
                b->t_stop = eb__clock_now(b);
                b->stopped = 1;
            }
        }
        for (size_t i = 0; i < b->n_dom; i++)
            b->dom[i].reading = 0; /* a read in flight was the parent's */
        /* so is the writer of the files, and the files are the parent's */
        b->writer_running = 0;
        b->writer_finished = 1;
        b->cfg.timeline_csv = b->cfg.calls_csv = NULL;
        /* the condition variable may count the parent's sampler as a waiter:
         * made anew, or destroying it would wait for a thread not here */
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&b->wake, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_unlock(&b->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

static void install_atfork(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void eb__registry_add(eb_bench *b)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&registry_lock);
    b->reg_next = registry;
    registry = b;
    pthread_mutex_unlock(&registry_lock);
}

void eb__registry_remove(eb_bench *b)
{
    pthread_mutex_lock(&registry_lock);
    for (eb_bench **p = &registry; *p; p = &(*p)->reg_next)
        if (*p == b) {
            *p = b->reg_next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
}

int eb__forked(eb_bench *b)
{
    if (!b->forked)
        return 0;
    return eb__fail(b, EB_EMODE,
                    "this bench was opened before fork() and its sampler stayed in the parent "
                    "process: what it measured can be read here, but open a new bench to measure "
                    "in this process");
}

double eb__clock_now(eb_bench *b)
{
    return b->cfg.clock(b->cfg.clock_ctx) - b->t0_abs;
}

EB_EXPORT double eb_now(eb_bench *b)
{
    return b ? eb__clock_now(b) : NAN;
}

EB_EXPORT const char *eb_last_detail(const eb_bench *b)
{
    return b == detail_bench ? detail : "";
}
