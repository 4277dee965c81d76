/* internal.h - the bench handle and what the library's files share. */
#ifndef EB_INTERNAL_H
#define EB_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "../analysis/analysis.h"
#include "ebench.h"
#include "timeline.h"

#define EB__MAX_SOURCES 8

/* The library's own results: every domain in a fixed array. The public
 * eb_result and eb_stats take the caller's array instead (ABI rules in
 * docs/API.md); eb__result_out() and eb__stats_out() copy over. */
typedef struct eb__result {
    double t_begin_s, t_end_s, duration_s;
    double total_energy_j;
    size_t total_incomplete;
    double total_uncertainty_j, total_net_energy_j;
    size_t n_domains;
    eb_domain_energy domains[EB_MAX_DOMAINS];
} eb__result;

typedef struct eb__stats {
    size_t n, n_domains;
    eb_stat duration_s, total_energy_j;
    eb_stat energy_j[EB_MAX_DOMAINS];
    size_t n_outliers;
    size_t outliers[EB_MAX_OUTLIERS];
} eb__stats;

/* A caller's struct this library can write (NULL is fine): EB_OK, or
 * EB_EINVAL with the detail set. */
int eb__result_check(eb_bench *b, const eb_result *out);
int eb__stats_check(eb_bench *b, const eb_stats *out);
/* Copies in to out (checked before): totals, and as many domains as out
 * holds, each out->domain_size bytes of the library's struct. */
void eb__result_out(const eb__result *in, eb_result *out);
void eb__stats_out(const eb__stats *in, eb_stats *out);
/* A caller's option struct over the library's defaults in full (ABI rules):
 * EB_OK, or EB_EINVAL with the detail when its size is not one a release of
 * the header had. */
int eb__config_in(eb_bench *b, eb_config *full, const eb_config *in);
int eb__repeat_opts_in(eb_bench *b, eb_repeat_opts *full, const eb_repeat_opts *in);
int eb__run_meta_in(eb_bench *b, eb_run_meta *full, const eb_run_meta *in);

typedef struct eb__domain {
    eb__domain_desc desc;
    eb_domain_info info; /* points into desc */
    size_t source;       /* index into eb_bench.src */
    size_t local;        /* the backend's own index */
    eb__series series;
    int wrap_warned;
    size_t resets_warned;
    int stuck_warned, fallback_warned;
    size_t track_reads, track_failures; /* the tracker's own reads; failures in a row */
    int reading;                        /* a read of it is in flight, the bench unlocked */
    double track_retry_at;              /* after a failed one, not before */
    double idle_power_w;                /* NaN: no baseline */
    /* the peak over the part of the timeline thinned so far, from its start
     * up to thin_until_s (NaN: none) */
    double thin_peak_w, thin_peak_span_s, thin_until_s;
    int mirror;             /* the parent's domain, in a marker program: */
    char mirror_source[24]; /* its source's name (info.source points here) */
} eb__domain;

typedef struct eb__work {
    char unit[24];
    double amount;
} eb__work;

typedef struct eb__window {
    char *name;
    double t0, t1;
    eb__work *work; /* EB_MAX_WORK entries once work is added, else NULL */
    size_t n_work;
    unsigned long long edge;  /* b->edges when it closed: records are in this order */
    int written;              /* its row is in the calls file */
    double *peak, *peak_span; /* per domain, the peak inside it before the
                                 timeline thinned it (NULL: never thinned) */
    int superseded;           /* another window of its name closed after it */
    int ahead;                /* pending, its end ahead of the timeline: set aside */
    int state;                /* eb__win_state */
} eb__window;

/* What became of a closed window's figures (folded.c). */
enum eb__win_state {
    EB__WIN_PENDING, /* not final yet: computed from the timeline when asked */
    EB__WIN_CACHED,  /* final, the last of its name: in its name's `last` */
    EB__WIN_FOLDED   /* final, in its name's totals */
};

/* Closed windows of one name folded out of the records (folded.c): what
 * reports and statistics need of them without the windows themselves. */
typedef struct eb__fold {
    char *name;
    size_t calls;
    double duration_s;
    double total_energy_j; /* NaN: none known */
    size_t total_incomplete;
    eb_domain_energy *dom; /* per domain: energy, samples, coverage summed;
                              the highest peak; flags or'd */
    eb__run dur, tot;      /* running statistics, for eb_window_stats */
    eb__run *energy;       /* per domain */
    eb__work work[EB_MAX_WORK];
    size_t n_work;
    /* In the bench's set only: the name's last closed window (0: none), its
     * figures once final while no later one of the name has closed, and how
     * many of the name's windows are no longer kept one by one. */
    unsigned long long last_edge;
    int last_cached;
    unsigned long long cached_edge; /* the window whose figures `last` holds */
    struct eb__fold *last;
    size_t evicted;
} eb__fold;

typedef struct eb__fold_set { /* names in order of first appearance, hashed */
    eb__fold *a;
    size_t n, cap;
    size_t *slot; /* index + 1 into a; 0: empty */
    size_t nslot; /* a power of two, at least 2 n */
} eb__fold_set;

typedef struct eb__list { /* a growable array of T, used through the macros below */
    void *v;
    size_t n, cap;
} eb__list;

struct eb_bench {
    eb_config cfg;
    char *sysfs_root, *procfs_root;

    struct {
        const eb__source_ops *ops;
        void *priv;
    } src[EB__MAX_SOURCES];
    size_t n_src;

    eb__domain dom[EB_MAX_DOMAINS];
    size_t n_dom;

    eb__list unavailable;       /* eb_unavailable, strings owned */
    eb__list warnings;          /* char * */
    eb__list open_win;          /* eb__window, t1 unused */
    eb__list closed_win;        /* eb__window: the last window_records or so */
    eb__fold_set folded;        /* per name: the totals of final figures */
    size_t fold_next;           /* records before it are all final */
    int agg_busy;               /* reports going through the records: none moves */
    size_t n_ahead;             /* records set aside as ending ahead of the timeline, */
    double ahead_min_t1;        /* and the earliest of their ends */
    unsigned long long edges;   /* windows begun, ended or added so far */
    unsigned long long win_gen; /* changes whenever a window list does */
    double *pin_t;              /* eb__pins(): sorted window edges */
    size_t pin_n, pin_cap;
    unsigned long long pin_gen; /* the win_gen they were made at */

    /* The timeline and calls files' writer (stream.c). */
    pthread_t writer;
    int writer_running, writer_stop;
    pthread_cond_t writer_wake;
    int writer_on;       /* eb__writer_start took the files */
    int writer_header;   /* the files' headers are written */
    int writer_finished; /* eb_stop wrote the last rows */

    /* The lock guards everything below and the timeline; the sampler thread
     * holds it while it reads. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int thread_running;
    int stop_requested;
    int stopped;                /* eb_stop() was called: no more samples */
    int stopping;               /* eb_stop() is settling: boundaries are t_stop */
    double t_stop;              /* when: the end of the timeline's report */
    double t0_abs;              /* clock value at eb_open */
    struct timespec start_wall; /* CLOCK_REALTIME at eb_open */
    size_t ticks;

    /* Phase markers: started by `ebench run`, this bench only times its
     * windows and sends them to the parent through this descriptor (-1:
     * measures on its own). */
    int marker_fd;
    /* With a parent that answers (markers.c): this process's private
     * connection to it (-1: none; -2: mirrored domains, the connection lost),
     * the process that made it, the parent's pid, the last question's number.
     * The domains are then the parent's, described but never read here. */
    int marker_conn;
    unsigned long long marker_ino, marker_conn_ino; /* the two sockets' inodes */
    pid_t marker_pid;
    long marker_parent;
    unsigned marker_seq;

    /* fork(): benches are registered so that a fork never copies a held lock
     * into the child (pthread_atfork, bench.c); in the child a bench whose
     * sampler thread stayed in the parent is `forked`: what it measured can
     * be read, nothing new can be measured. */
    struct eb_bench *reg_next;
    int forked;
};

/* Phase markers (markers.c). */
int eb__marker_fd_from_env(unsigned long long *ino);
/* Makes this process's connection to the parent and mirrors its domains,
 * where the descriptor is a socket (a pipe: markers only). */
void eb__marker_connect(eb_bench *b);
/* Closes this process's connection to the parent, if it is still ours. */
void eb__marker_disconnect(eb_bench *b);
/* Whether b's domains are the parent's mirrors (nothing to read here). */
int eb__marker_mirror(const eb_bench *b);
/* Sends one marker; t_mono NaN: now. */
void eb__marker_send(eb_bench *b, char kind, const char *name, double amount, const char *unit,
                     double t_mono);
/* A window's figures from the parent (energies NaN if it does not answer). */
void eb__marker_result_locked(eb_bench *b, double t0, double t1, eb__result *r);
/* For the fuzzers (fuzz/): the parent's server without its socket or
 * thread, fed one message (answers go to fd); the program's parsers of the
 * parent's D and R messages. */
eb_marker_server *eb__markers_new(eb_bench *b);
void eb__markers_free(eb_marker_server *s);
void eb__markers_feed(eb_marker_server *s, int fd, const char *msg, size_t n);
int eb__marker_mirror_json(eb_bench *b, const char *json);
void eb__marker_result_json(const char *json, eb__result *r);
/* Every stepping counter has moved after t (its energy up to t is final). */
int eb__settled_locked(const eb_bench *b, double t);
/* Fills d->info from d->desc (info.source left NULL). */
void eb__fill_info(eb__domain *d);

/* EB_EMODE (with the reason) for a bench the process got by fork() from one
 * whose sampler stayed in the parent; 0 otherwise. */
int eb__forked(eb_bench *b);
/* Records why the last call failed; returns err. */
int eb__fail(eb_bench *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void eb__warn(eb_bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends one element of size sz to l. */
int eb__list_push(eb__list *l, const void *elem, size_t sz);

double eb__clock_now(eb_bench *b);
/* One sample of every domain, all stamped with the time it returns; caller
 * holds the lock. */
double eb__tick_locked(eb_bench *b);
double eb__tick_at_locked(eb_bench *b, double t);
/* A tick at a window edge (eb_begin/eb_end): a locked stepping counter is not
 * read there (its sample is on the line between its placed moves). */
double eb__tick_edge_locked(eb_bench *b);
/* Waits (unlocking meanwhile) until no domain's read is in flight. */
void eb__reads_drain_locked(eb_bench *b);
/* Sleeps `s` seconds with the bench unlocked (others read and tick meanwhile). */
void eb__nap_unlocked(eb_bench *b, double s);
/* Stepping counters' trackers: when the next read is wanted (INFINITY: none),
 * and the reads due by now; caller holds the lock. */
double eb__track_next_locked(eb_bench *b);
void eb__track_due_locked(eb_bench *b, double now);
/* Warns once each about what a stepping counter's series noticed. */
void eb__counter_notes(eb_bench *b, eb__domain *d);
/* One read of domain d's counter alone, for its tracker. */
void eb__track_domain_locked(eb_bench *b, eb__domain *d);
int eb__sampler_start(eb_bench *b);
void eb__sampler_stop(eb_bench *b);

/* Adds amount of unit to a work list of at most EB_MAX_WORK units. Returns 0,
 * or -1 when the list is full and the unit new. */
int eb__work_add(eb__work *list, size_t *n, const char *unit, double amount);

/* Statistics over the closed instances of a window; caller holds the lock. */
int eb__window_stats_locked(eb_bench *b, const char *window, eb__stats *out);

/* What a report covers (eb_run_meta.span) and everything derived from it. */
typedef struct eb__summary {
    size_t reps;   /* instances of the span window; 0: the whole timeline */
    size_t warmup; /* instances of "<span> (warmup)" */
    double t0, t1; /* bounds when there is one span (reps <= 1) */
    eb__result r;  /* one span: its result; repetitions: the mean per repetition */
    eb__stats st;  /* repetitions (reps >= 2) */
    double elapsed_s;
    /* steady state per domain (one span only); from is relative to t0 */
    double steady_from_s[EB_MAX_DOMAINS], steady_power_w[EB_MAX_DOMAINS];
    double steady_energy_j[EB_MAX_DOMAINS];
    int steady_given;
    eb__work work[EB_MAX_WORK]; /* work per repetition */
    size_t n_work;
    size_t n_gpus;
    double gpu_energy_j; /* sum over GPU domains */
    /* accounting, per repetition */
    double pue, intensity, price, nodes, kwh, co2_g, cost, node_hours, gpu_hours, edp;
    int pue_assumed;
    const char *intensity_source;
    /* the command's share of the machine's busy CPU time (NaN: unknown, and
     * attr_reason says why where it was asked for) */
    double cmd_cpu_s, machine_cpu_s, cpu_share;
    const char *attr_reason;
} eb__summary;

/* Below this many busy CPU-seconds of the whole machine (10 ms ticks) a
 * command's share of them is mostly rounding: not attributed. */
#define EB__ATTR_MIN_CPU_S 0.05

void eb__summarize_locked(eb_bench *b, const eb_run_meta *meta, eb__summary *s);

/* While sampling goes on: waits (at most ~one update period) until every
 * stepping counter has moved after the last closed window, so a report
 * printed now is settled. Caller does not hold the lock. */
void eb__settle_windows(eb_bench *b);

/* How domain d's stepping counter is followed (eb_domain_tracking, the
 * report's counter_tracking); caller holds the lock. */
void eb__tracking_locked(const eb__domain *d, eb_tracking *out);

/* The shortest interval a domain's peak power may be a mean over. */
double eb__peak_min_span(const eb__domain *d);

/* Every open bench, for fork(): locks taken around it (common.c). */
void eb__registry_add(eb_bench *b);
void eb__registry_remove(eb_bench *b);

/* eb_end() into the library's own result (NULL: none). */
int eb__end(eb_bench *b, const char *name, eb__result *result);

/* Closed windows' figures (folded.c): each window's are taken once final
 * (eb__settled_locked), before thinning can reach inside it, and folded into
 * totals per name; the last of each name is kept apart until another of the
 * name closes. The records of the last window_records windows stay for
 * eb_window_result(name, i). Callers hold the lock. */
int eb__fold_init(eb__fold *f, const eb_bench *b, const char *name); /* name may be NULL */
void eb__fold_reset(eb__fold *f);
/* The entry for name (added when new and add is set; NULL: none, or no memory). */
eb__fold *eb__fold_find(eb__fold_set *g, const eb_bench *b, const char *name, int add);
void eb__fold_add(eb__fold *f, const eb_bench *b, const eb__result *r, const eb__window *w);
void eb__fold_merge(eb__fold *into, const eb__fold *from, const eb_bench *b);
/* The report's figures of a name's windows together: sums, averages. */
void eb__fold_result(const eb__fold *f, const eb_bench *b, eb__result *r);
void eb__fold_set_free(eb__fold_set *g);
size_t eb__window_limit(const eb_bench *b);
/* Whether the figures of a window that ended at t1 are final: every
 * domain has a sample from t1 on, and every stepping counter moved after. */
int eb__final_locked(const eb_bench *b, double t1);
/* Whether d's start is final: a stepping counter re-draws it when its tracker
 * first locks; one that has not locked in EB__START_FINAL_S keeps it. */
#define EB__START_FINAL_S 30.0
int eb__start_final(const eb_bench *b, const eb__domain *d);
/* After a record was appended to closed_win. */
int eb__window_closed_locked(eb_bench *b);
/* Takes the figures of windows now final; past the limit, lets the oldest
 * records go. */
void eb__fold_old_locked(eb_bench *b);
/* eb_drop_last_window, eb_add_work: the last closed window of name. */
int eb__window_drop_locked(eb_bench *b, const char *name);
eb__work *eb__window_work_locked(eb_bench *b, const char *name, size_t **n_work);
/* Every name's windows (only: one name's), all of them, into g in order of
 * first close; windows: how many. With only NULL the lock is let go every
 * EB__FOLD_CHUNK records so that many do not stall the sampler. EB_OK or
 * EB_ENOMEM (g empty). */
#define EB__FOLD_CHUNK 4096
int eb__window_fold_locked(eb_bench *b, const char *only, eb__fold_set *g, size_t *windows);
/* Closed instances of name, all of them. */
size_t eb__window_calls_locked(eb_bench *b, const char *name);
/* The timeline's pins (eb__series.pins): every kept window's edges. */
void eb__pins(void *ctx, const double **t, size_t *n);
/* eb__series.before_thin: the peaks that thinning would smooth, kept for
 * the windows open or pending over them and for the whole timeline. */
void eb__before_thin(void *ctx, const eb__series *s, size_t upto);
/* A window's figures: eb__result_locked() with the peaks kept from before
 * thinning. */
void eb__window_result_locked(eb_bench *b, const eb__window *w, eb__result *r);
/* Frees what a window record owns. */
void eb__window_free(eb__window *w);

/* The writer of eb_config.timeline_csv and calls_csv (stream.c): started by
 * eb_open, and at eb_stop it writes what is left and ends. */
int eb__writer_start(eb_bench *b);
/* The timeline CSV's header and rows, as eb_write_csv() writes them. */
void eb__csv_header(const eb_bench *b, FILE *out);
void eb__csv_row(FILE *out, const char *id, const eb__sample *sm);
void eb__writer_finish(eb_bench *b);
/* eb_open failed: the thread ends, nothing is written. */
void eb__writer_abort(eb_bench *b);
/* A manual bench (no threads) writes at each tick. */
void eb__writer_tick_locked(eb_bench *b);

/* Fills r for [t0, t1]; caller holds the lock. */
void eb__result_locked(eb_bench *b, double t0, double t1, eb__result *r);

#endif
