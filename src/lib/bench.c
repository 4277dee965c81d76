/* bench.c - opening a bench, its domains, and named windows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/analysis.h"
#include "../util/mono.h"
#include "../util/utf8.h"
#include "internal.h"

static void config_defaults(eb_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->interval_ms = EB_DEFAULT_INTERVAL_MS;
    cfg->sources = EB_SOURCE_ALL;
    cfg->cpu_idle_w = -1; /* EB_DEFAULT_CPU_IDLE_SHARE x TDP */
}

EB_EXPORT void eb_config_init_size(eb_config *cfg, size_t size)
{
    eb_config full;
    config_defaults(&full);
    full.size = size;
    /* a caller built against an older header gets the fields it knows */
    if (cfg && size >= sizeof(size_t))
        memcpy(cfg, &full, size < sizeof full ? size : sizeof full);
}

/* Why the calling thread's last call failed, and on which bench: per
 * thread, so two threads failing on one bench never write one buffer while
 * another reads it. */
static _Thread_local char detail[512];
static _Thread_local const eb_bench *detail_bench;

int eb__fail(eb_bench *b, int err, const char *fmt, ...)
{
    if (b) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        detail_bench = b;
    }
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
    char *s = strdup(eb__utf8_scrub(buf)); /* sensor text may not be UTF-8 */
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

static void registry_add(eb_bench *b)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&registry_lock);
    b->reg_next = registry;
    registry = b;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(eb_bench *b)
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

static double monotonic_s(void *ctx)
{
    (void)ctx;
    return eb__mono_s();
}

double eb__clock_now(eb_bench *b)
{
    return b->cfg.clock(b->cfg.clock_ctx) - b->t0_abs;
}

EB_EXPORT double eb_now(eb_bench *b)
{
    return b ? eb__clock_now(b) : NAN;
}

/* ---- probing ---------------------------------------------------------- */

static int find_domain(const eb_bench *b, const char *id)
{
    for (size_t i = 0; i < b->n_dom; i++)
        if (strcmp(b->dom[i].desc.id, id) == 0)
            return (int)i;
    return -1;
}

static int probe_add_domain(eb__probe_ctx *ctx, const eb__domain_desc *d, size_t local)
{
    eb_bench *b = ctx->bench;
    if (b->n_dom >= EB_MAX_DOMAINS) {
        ctx->unavailable(ctx, d->id, "more than %d domains; this one is not measured",
                         EB_MAX_DOMAINS);
        return EB_ETOOMANY;
    }
    eb__domain *dom = &b->dom[b->n_dom];
    memset(dom, 0, sizeof *dom);
    dom->desc = *d;
    dom->idle_power_w = NAN;
    dom->source = b->n_src;
    dom->local = local;
    /* what sensors call themselves goes into reports, which are UTF-8 */
    eb__domain_desc *t = &dom->desc;
    char *text[] = {t->kind, t->vendor, t->name,       t->location,   t->part_of,
                    t->note, t->uuid,   t->pci_bus_id, t->cuda_entry, t->readings};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        eb__utf8_scrub(text[i]);
    /* Ids are keys in every output (and in --idle-power, Prometheus labels):
     * letters, digits and _.:- only (what a zone's name brings otherwise
     * becomes '_'), and unique: two zones with one name (multi-die packages)
     * get -2, -3, ... */
    eb__id_scrub(t->id, "_.:-");
    char base[EB__ID_LEN];
    snprintf(base, sizeof base, "%s", t->id);
    for (int k = 2; find_domain(b, dom->desc.id) >= 0; k++)
        snprintf(dom->desc.id, sizeof dom->desc.id, "%.20s-%d", base, k);
    return (int)b->n_dom++;
}

__attribute__((format(printf, 3, 4))) static void
probe_unavailable(eb__probe_ctx *ctx, const char *what, const char *fmt, ...)
{
    eb_bench *b = ctx->bench;
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);

    eb_unavailable u = {strdup(ctx->source), eb__utf8_scrub(strdup(what)),
                        strdup(eb__utf8_scrub(reason))};
    if (!u.source || !u.what || !u.reason || eb__list_push(&b->unavailable, &u, sizeof u) < 0) {
        free((char *)u.source);
        free((char *)u.what);
        free((char *)u.reason);
    }
}

void eb__fill_info(eb__domain *d)
{
    eb__domain_desc *s = &d->desc;
    d->info = (eb_domain_info){
        .id = s->id,
        .kind = s->kind,
        .vendor = s->vendor,
        .name = s->name,
        .source = NULL,
        .location = s->location,
        .method = s->method,
        .update_period_s = s->update_period_s,
        .in_total = s->in_total,
        .part_of = s->part_of[0] ? s->part_of : NULL,
        .note = s->note[0] ? s->note : NULL,
        .uuid = s->uuid[0] ? s->uuid : NULL,
        .pci_bus_id = s->pci_bus_id[0] ? s->pci_bus_id : NULL,
        .cuda_entry = s->cuda_entry[0] ? s->cuda_entry : NULL,
        .readings = s->readings[0] ? s->readings : NULL,
        .simulated = s->simulated,
        .uncertainty_rel = s->uncertainty_rel,
        .sensor_window_s = s->sensor_window_s,
    };
}

static void probe_all(eb_bench *b)
{
    eb__probe_ctx ctx = {
        .sysfs_root = b->sysfs_root,
        .procfs_root = b->procfs_root,
        .cpu_tdp_w = b->cfg.cpu_tdp_w > 0 ? b->cfg.cpu_tdp_w : EB_DEFAULT_CPU_TDP_W,
        .cpu_tdp_given = b->cfg.cpu_tdp_w > 0,
        .cpu_idle_w = b->cfg.cpu_idle_w >= 0
                          ? b->cfg.cpu_idle_w
                          : EB_DEFAULT_CPU_IDLE_SHARE *
                                (b->cfg.cpu_tdp_w > 0 ? b->cfg.cpu_tdp_w : EB_DEFAULT_CPU_TDP_W),
        .cpu_idle_given = b->cfg.cpu_idle_w >= 0,
        .gpus = b->cfg.gpus,
        .add_domain = probe_add_domain,
        .unavailable = probe_unavailable,
        .bench = b,
    };

    for (size_t i = 0; eb__sources[i] && b->n_src < EB__MAX_SOURCES; i++) {
        const eb__source_ops *ops = eb__sources[i];
        if (!(b->cfg.sources & ops->flag))
            continue;
        void *priv = calloc(1, ops->priv_size ? ops->priv_size : 1);
        if (!priv)
            continue;
        size_t before = b->n_dom;
        ctx.source = ops->name;
        ops->probe(priv, &ctx);
        if (b->n_dom == before) {
            ops->close(priv);
            free(priv);
            continue;
        }
        for (size_t j = before; j < b->n_dom; j++) {
            eb__fill_info(&b->dom[j]);
            b->dom[j].info.source = ops->name;
        }
        b->src[b->n_src].ops = ops;
        b->src[b->n_src].priv = priv;
        b->n_src++;
    }
}

static char *root_from(const char *given, const char *env, const char *dflt)
{
    const char *r = given ? given : getenv(env);
    return strdup(r && *r ? r : dflt);
}

EB_EXPORT int eb_open(eb_bench **out, const eb_config *cfg)
{
    eb_config full;
    int rc;

    if (!out)
        return EB_EINVAL;
    *out = NULL;
    config_defaults(&full);
    if (cfg && eb__options_in(NULL, "eb_config", &full, sizeof full, cfg) < 0)
        return EB_EINVAL; /* a size this library does not know */
    cfg = &full;
    if (!(cfg->interval_ms > 0) || !isfinite(cfg->interval_ms) || !(cfg->cpu_tdp_w >= 0) ||
        !isfinite(cfg->cpu_tdp_w) || !isfinite(cfg->cpu_idle_w) ||
        cfg->cpu_idle_w > (cfg->cpu_tdp_w > 0 ? cfg->cpu_tdp_w : EB_DEFAULT_CPU_TDP_W))
        return EB_EINVAL; /* an idle power above the TDP is not a CPU */

    eb_bench *b = calloc(1, sizeof *b);
    if (!b)
        return EB_ENOMEM;
    b->cfg = *cfg;
    b->marker_fd = b->marker_conn = -1;
    if (!b->cfg.clock)
        b->cfg.clock = monotonic_s;
    b->sysfs_root = root_from(cfg->sysfs_root, "EBENCH_SYSFS_ROOT", "/sys");
    b->procfs_root = root_from(cfg->procfs_root, "EBENCH_PROCFS_ROOT", "/proc");
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (!b->sysfs_root || !b->procfs_root) {
        eb_close(b);
        return EB_ENOMEM;
    }

    b->marker_fd = cfg->manual ? -1 : eb__marker_fd_from_env(&b->marker_ino);
    if (b->marker_fd < 0)
        probe_all(b);
    else if (!cfg->clock) /* window times on CLOCK_MONOTONIC, as the parent's */
        eb__marker_connect(b);
    /* EBENCH_TRACK=off: stepping counters' moves placed at the reads that see
     * them, with no extra reads (for comparisons; never better) */
    const char *track = getenv("EBENCH_TRACK");
    int off = track && (strcasecmp(track, "off") == 0 || strcmp(track, "0") == 0 ||
                        strcasecmp(track, "no") == 0 || strcasecmp(track, "false") == 0);
    for (size_t i = 0; i < b->n_dom; i++) {
        b->dom[i].series.track_off = off;
        b->dom[i].series.tick_s = cfg->manual ? 0 : cfg->interval_ms / 1e3;
    }
    b->t0_abs = b->cfg.clock(b->cfg.clock_ctx);
    clock_gettime(CLOCK_REALTIME, &b->start_wall);
    pthread_mutex_lock(&b->lock);
    eb__tick_at_locked(b, 0.0); /* the timeline starts at 0 */
    pthread_mutex_unlock(&b->lock);

    registry_add(b); /* for fork(), once whole (locks: the registry's, then a bench's) */
    if (!cfg->manual && b->marker_fd < 0 && (rc = eb__sampler_start(b)) < 0) {
        eb_close(b);
        return rc;
    }
    *out = b;
    return EB_OK;
}

/* Counters that move in steps (NVML) leave the end of the timeline as an
 * estimate at the last rate; read them as their trackers ask until a move is
 * placed after t_stop, so the energy up to t_stop is on the line between true
 * moves. That takes at most one update period (plus the tracker's margin). */
/* Whether some stepping counter has not moved since t yet. */
static int unsettled_locked(const eb_bench *b, double t)
{
    if (eb__marker_mirror(b))
        return 0;
    for (size_t i = 0; i < b->n_dom; i++)
        if (!eb__series_settled(&b->dom[i].series, &b->dom[i].desc, t))
            return 1;
    return 0;
}

int eb__settled_locked(const eb_bench *b, double t)
{
    return !unsettled_locked(b, t);
}

/* How long a stepping counter's next move can take: one update period and the
 * tracker's margin (at most ~1.3 s); 0 without stepping counters. */
static double settle_wait_locked(const eb_bench *b)
{
    double wait_s = 0;
    for (size_t i = 0; i < b->n_dom; i++)
        if (b->dom[i].desc.counter_holds && !b->dom[i].series.lost)
            wait_s = fmax(wait_s, 1.25 * eb__tracker_period(&b->dom[i].series.trk) + 0.005);
    return fmin(wait_s, 1.3 * EB__TRK_MAX_PERIOD_S);
}

static void settle_locked(eb_bench *b)
{
    double wait_s = settle_wait_locked(b);
    if (b->cfg.manual || wait_s == 0 || eb__marker_mirror(b))
        return;
    double deadline = b->t_stop + wait_s;
    for (;;) {
        double now = eb__clock_now(b);
        if (!unsettled_locked(b, b->t_stop) || now >= deadline) {
            /* a counter that never moved in the whole run says nothing */
            for (size_t i = 0; i < b->n_dom; i++)
                if (b->dom[i].desc.counter_holds &&
                    eb__series_no_move(&b->dom[i].series, b->t_stop))
                    eb__counter_notes(b, &b->dom[i]);
            return;
        }
        eb__nap_unlocked(b, fmin(eb__track_next_locked(b), now + 0.005) - now);
        now = eb__clock_now(b);
        eb__track_due_locked(b, now);
        /* a domain whose tracker asks for nothing soon (sparse, fallback,
         * quiet) is read every 5 ms until it moves */
        for (size_t i = 0; i < b->n_dom; i++) {
            eb__domain *d = &b->dom[i];
            if (!eb__series_settled(&d->series, &d->desc, b->t_stop) &&
                now - d->series.trk.last_read_t >= 0.005)
                eb__track_domain_locked(b, d);
        }
    }
}

void eb__settle_windows(eb_bench *b)
{
    if (b->cfg.manual || !b->thread_running)
        return;
    pthread_mutex_lock(&b->lock);
    double t = 0;
    const eb__window *w = b->closed_win.v;
    for (size_t i = 0; i < b->closed_win.n; i++)
        t = fmax(t, w[i].t1);
    double deadline = eb__clock_now(b) + settle_wait_locked(b);
    for (;;) {
        if (!unsettled_locked(b, t) || eb__clock_now(b) >= deadline)
            break;
        eb__nap_unlocked(b, 0.002); /* the sampler thread reads meanwhile */
    }
    pthread_mutex_unlock(&b->lock);
}

EB_EXPORT int eb_stop(eb_bench *b)
{
    if (!b)
        return EB_EINVAL;
    eb__sampler_stop(b);
    pthread_mutex_lock(&b->lock);
    if (!b->stopped && !b->stopping) {
        /* stopping first: the tick below may unlock during a slow read, and
         * windows begun or closed meanwhile must end at t_stop, a second
         * eb_stop must not tick again */
        b->t_stop = eb__clock_now(b);
        b->stopping = 1;
        eb__tick_at_locked(b, b->t_stop);
        settle_locked(b);
        eb__reads_drain_locked(b); /* nothing reads after the stop */
        b->stopped = 1;
    } else {
        while (!b->stopped) /* another thread is stopping it: wait for it */
            eb__nap_unlocked(b, 0.001);
    }
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}

static void free_windows(eb__list *l)
{
    eb__window *w = l->v;
    for (size_t i = 0; i < l->n; i++) {
        free(w[i].name);
        free(w[i].work);
    }
    free(l->v);
}

EB_EXPORT void eb_close(eb_bench *b)
{
    if (!b)
        return;
    eb__sampler_stop(b);
    registry_remove(b);
    for (size_t i = 0; i < b->n_src; i++) {
        b->src[i].ops->close(b->src[i].priv);
        free(b->src[i].priv);
    }
    for (size_t i = 0; i < b->n_dom; i++)
        eb__series_free(&b->dom[i].series);
    eb_unavailable *u = b->unavailable.v;
    for (size_t i = 0; i < b->unavailable.n; i++) {
        free((char *)u[i].source);
        free((char *)u[i].what);
        free((char *)u[i].reason);
    }
    free(u);
    char **w = b->warnings.v;
    for (size_t i = 0; i < b->warnings.n; i++)
        free(w[i]);
    free(w);
    free_windows(&b->open_win);
    free_windows(&b->closed_win);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b->sysfs_root);
    free(b->procfs_root);
    eb__marker_disconnect(b);
    free(b);
}

EB_EXPORT const char *eb_last_detail(const eb_bench *b)
{
    return b && b == detail_bench ? detail : "";
}

EB_EXPORT size_t eb_domain_count(const eb_bench *b)
{
    return b ? b->n_dom : 0;
}

EB_EXPORT const eb_domain_info *eb_domain_get(const eb_bench *b, size_t i)
{
    return b && i < b->n_dom ? &b->dom[i].info : NULL;
}

EB_EXPORT size_t eb_unavailable_count(const eb_bench *b)
{
    return b ? b->unavailable.n : 0;
}

EB_EXPORT const eb_unavailable *eb_unavailable_get(const eb_bench *b, size_t i)
{
    return b && i < b->unavailable.n ? &((const eb_unavailable *)b->unavailable.v)[i] : NULL;
}

EB_EXPORT size_t eb_warning_count(const eb_bench *b)
{
    if (!b)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&b->lock);
    size_t n = b->warnings.n;
    pthread_mutex_unlock((pthread_mutex_t *)&b->lock);
    return n;
}

EB_EXPORT const char *eb_warning_get(const eb_bench *b, size_t i)
{
    if (!b)
        return NULL;
    pthread_mutex_lock((pthread_mutex_t *)&b->lock);
    const char *w = i < b->warnings.n ? ((char **)b->warnings.v)[i] : NULL;
    pthread_mutex_unlock((pthread_mutex_t *)&b->lock);
    return w;
}

/* ---- windows ---------------------------------------------------------- */

double eb__peak_min_span(const eb__domain *d)
{
    if (d->desc.method == EB_METHOD_COUNTER && d->desc.counter_holds && !d->series.stuck) {
        double p = eb__tracker_period(&d->series.trk);
        /* moves placed at the reads that see them are off by up to a read
         * interval: peaks over a second or ten periods at least */
        if (d->series.trk.state == EB__TRK_FALLBACK)
            return fmax(1.0, 10 * p);
        /* each interval between two moves; a fast counter's merged up to
         * ~0.1 s, so the two ends' placements (~1 ms) stay a small part, and
         * longer where slow reads place moves less well */
        double bound = eb__tracker_place_bound(&d->series.trk);
        return fmax(0.5 * p, 0.09 * bound / EB__PEAK_PLACEMENT_S);
    }
    return d->desc.update_period_s;
}

void eb__result_locked(eb_bench *b, double t0, double t1, eb__result *r)
{
    if (eb__marker_mirror(b)) {
        eb__marker_result_locked(b, t0, t1, r);
        return;
    }
    memset(r, 0, sizeof *r);
    r->t_begin_s = t0;
    r->t_end_s = t1;
    r->duration_s = t1 - t0;
    r->n_domains = b->n_dom;
    r->total_energy_j = NAN;
    r->total_net_energy_j = 0;
    double var = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        const eb__series *s = &b->dom[i].series;
        eb_domain_energy *e = &r->domains[i];
        eb__window_energy(s->v, s->n, t0, t1, eb__peak_min_span(&b->dom[i]), e);
        e->provisional = !eb__series_settled(s, &b->dom[i].desc, t1);
        e->method = b->dom[i].desc.method;
        e->lost_at_s = s->lost ? s->lost_at_s : NAN;
        e->uncertainty_j = e->energy_j * b->dom[i].desc.uncertainty_rel;
        e->idle_power_w = b->dom[i].idle_power_w;
        e->net_energy_j = e->energy_j - e->idle_power_w * e->covered_s;
        /* fewer than 2 sensor updates: the figure is mostly the sensor's timing */
        e->unreliable = r->duration_s < 2 * b->dom[i].desc.update_period_s;
        if (!b->dom[i].desc.in_total)
            continue;
        if (isnan(e->energy_j) || e->covered_s < r->duration_s - 1e-9)
            r->total_incomplete++;
        if (!isnan(e->energy_j)) {
            r->total_energy_j = (isnan(r->total_energy_j) ? 0 : r->total_energy_j) + e->energy_j;
            var += e->uncertainty_j * e->uncertainty_j;
        }
        r->total_net_energy_j += e->net_energy_j; /* NaN if any baseline is missing */
    }
    r->total_uncertainty_j = isnan(r->total_energy_j) ? NAN : sqrt(var);
    if (isnan(r->total_energy_j))
        r->total_net_energy_j = NAN;
}

/* A sample at a window's boundary, unless sampling has stopped. */
static double boundary_locked(eb_bench *b)
{
    return b->stopped || b->stopping ? b->t_stop : eb__tick_edge_locked(b);
}

/* A marker's time: the window's own edge where the parent answers (its
 * figures are then for exactly this window), else the moment it is sent. */
static double marker_time(const eb_bench *b, double t)
{
    return eb__marker_mirror(b) ? t + b->t0_abs : NAN;
}

EB_EXPORT int eb_begin(eb_bench *b, const char *name)
{
    if (!b || !name)
        return EB_EINVAL;
    if (eb__forked(b))
        return EB_EMODE;
    eb__window w = {.name = strdup(name)};
    if (!w.name)
        return eb__fail(b, EB_ENOMEM, "no memory for window '%s'", name);
    pthread_mutex_lock(&b->lock);
    w.t0 = boundary_locked(b);
    eb__marker_send(b, 'B', name, 0, NULL, marker_time(b, w.t0));
    int rc = eb__list_push(&b->open_win, &w, sizeof w);
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        free(w.name);
        return eb__fail(b, rc, "no memory for window '%s'", name);
    }
    return EB_OK;
}

EB_EXPORT int eb_end(eb_bench *b, const char *name, eb_result *result)
{
    if (!b || !name)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0)
        return rc; /* nothing closed: the program can fix its struct and retry */
    eb__result full;
    if ((rc = eb__end(b, name, result ? &full : NULL)) == EB_OK)
        eb__result_out(&full, result);
    return rc;
}

int eb__end(eb_bench *b, const char *name, eb__result *result)
{
    int rc;
    if (eb__forked(b))
        return EB_EMODE;
    pthread_mutex_lock(&b->lock);
    eb__window *open = b->open_win.v;
    size_t i = b->open_win.n;
    while (i > 0 && strcmp(open[i - 1].name, name) != 0)
        i--;
    if (i == 0) {
        pthread_mutex_unlock(&b->lock);
        return eb__fail(b, EB_ENOTOPEN, "eb_end(\"%s\"): no window of that name is open", name);
    }
    eb__window w = open[i - 1];
    memmove(&open[i - 1], &open[i], (b->open_win.n - i) * sizeof *open);
    b->open_win.n--;
    w.t1 = boundary_locked(b);
    if (w.t1 < w.t0)
        w.t1 = w.t0;
    eb__marker_send(b, 'E', name, 0, NULL, marker_time(b, w.t1));
    if (result)
        eb__result_locked(b, w.t0, w.t1, result);
    rc = eb__list_push(&b->closed_win, &w, sizeof w);
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        free(w.name);
        return eb__fail(b, rc, "no memory to keep window '%s'", name);
    }
    return EB_OK;
}

EB_EXPORT int eb_measure(eb_bench *b, const char *name, void (*fn)(void *), void *arg,
                         eb_result *result)
{
    if (!b || !name || !fn)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0 || (rc = eb_begin(b, name)) < 0)
        return rc;
    fn(arg);
    return eb_end(b, name, result);
}
EB_EXPORT int eb_total(eb_bench *b, eb_result *result)
{
    if (!b || !result)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0)
        return rc;
    eb__result full;
    pthread_mutex_lock(&b->lock);
    double t1 = boundary_locked(b);
    eb__result_locked(b, 0.0, t1, &full);
    pthread_mutex_unlock(&b->lock);
    eb__result_out(&full, result);
    return EB_OK;
}

EB_EXPORT int eb_domain_tracking(eb_bench *b, size_t i, eb_tracking *out)
{
    if (!b || !out || i >= b->n_dom)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__tracking_locked(&b->dom[i], out);
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}

void eb__tracking_locked(const eb__domain *d, eb_tracking *out)
{
    const eb__tracker *k = &d->series.trk;
    memset(out, 0, sizeof *out);
    out->period_s = out->jitter_s = out->bracket_mean_s = out->bracket_max_s = NAN;
    out->uncertainty_mean_s = out->uncertainty_max_s = NAN;
    out->stopped_at_s = d->series.stuck ? d->series.stuck_at_s : NAN;
    out->state = "none";
    if (d->desc.method == EB_METHOD_COUNTER && d->desc.counter_holds) {
        out->state = eb__tracker_state_name(k->state);
        snprintf(out->why, sizeof out->why, "%s", k->why);
        if (k->state == EB__TRK_LOCKED || isfinite(k->period_s)) {
            out->period_s = k->period_s;
            out->jitter_s = k->jit_s; /* the counter's own: bracket widths taken out */
        }
        out->reads = k->reads;
        out->extra_reads = d->track_reads;
        out->moves = k->moves;
        out->missed = k->misses;
        out->relocks = k->relocks;
        if (k->moves > 0) {
            out->bracket_mean_s = k->width_sum_s / (double)k->moves;
            out->bracket_max_s = k->width_max_s;
            out->uncertainty_mean_s = k->unc_sum_s / (double)k->moves;
            out->uncertainty_max_s = k->unc_max_s;
        }
        out->resets = d->series.resets;
    }
}

EB_EXPORT int eb_window_result(eb_bench *b, const char *name, size_t i, eb_result *result)
{
    if (!b || !name || !result)
        return EB_EINVAL;
    int rc = eb__result_check(b, result);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&b->lock);
    const eb__window *w = b->closed_win.v;
    for (size_t k = 0, seen = 0; k < b->closed_win.n; k++) {
        if (strcmp(w[k].name, name) != 0 || seen++ != i)
            continue;
        eb__result full;
        eb__result_locked(b, w[k].t0, w[k].t1, &full);
        pthread_mutex_unlock(&b->lock);
        eb__result_out(&full, result);
        return EB_OK;
    }
    pthread_mutex_unlock(&b->lock);
    return eb__fail(b, EB_ENOTOPEN, "no closed window '%s' number %zu", name, i);
}

EB_EXPORT int eb_latest(eb_bench *b, size_t i, eb_reading *out)
{
    if (!b || !out || i >= b->n_dom)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    const eb__series *s = &b->dom[i].series;
    *out = (eb_reading){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 0};
    out->up = s->n > 0 && !s->lost;
    if (s->n > 0) {
        const eb__sample *v = &s->v[s->n - 1];
        out->t_s = v->t_s;
        out->power_w = v->power_w;
        out->energy_j = v->energy_j;
        /* a stepping counter's rate between two moves is only as good as
         * their brackets (+-1 ms of 100): shown over the last 0.5 s of moves */
        double span = s->have_move ? fmin(0.5, s->move_t - s->v[0].t_s) : 0;
        if (b->dom[i].desc.counter_holds && !s->stuck && span >= 0.15)
            out->power_w = (s->move_j - eb__energy_at(s->v, s->n, s->move_t - span)) / span;
        if (s->aux) {
            const float *a = s->aux[s->n - 1];
            out->instant_power_w = a[EB__AUX_POWER_INSTANT_W];
            out->gpu_util = a[EB__AUX_GPU_UTIL];
            out->mem_util = a[EB__AUX_MEM_UTIL];
            out->sm_clock_mhz = a[EB__AUX_SM_CLOCK_MHZ];
            out->temperature_c = a[EB__AUX_TEMP_C];
            out->power_limit_w = a[EB__AUX_POWER_LIMIT_W];
        }
    }
    pthread_mutex_unlock(&b->lock);
    return EB_OK;
}
