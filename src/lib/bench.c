/* bench.c - opening a bench: its configuration, probing the sources, its
 * domains and what cannot be measured, stopping and closing. */
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

static double monotonic_s(void *ctx)
{
    (void)ctx;
    return eb__mono_s();
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
    dom->thin_peak_w = dom->thin_peak_span_s = dom->thin_until_s = NAN;
    dom->series.max_samples = b->cfg.history_samples;
    dom->series.pins = eb__pins;
    dom->series.pins_ctx = b;
    dom->series.before_thin = eb__before_thin;
    dom->source = b->n_src;
    dom->local = local;
    /* what sensors call themselves goes into reports, which are UTF-8 */
    eb__domain_desc *t = &dom->desc;
    char *text[] = {t->kind,        t->vendor,        t->name,  t->location,
                    t->part_of,     t->note,          t->uuid,  t->pci_bus_id,
                    t->visible_var, t->visible_entry, t->scope, t->readings};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        eb__text_scrub(text[i]);
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

static void push_unavailable(eb_bench *b, const char *source, const char *what, int code,
                             char *reason)
{
    eb_unavailable u = {strdup(source), what ? strdup(what) : NULL, strdup(eb__text_scrub(reason)),
                        code};
    if (u.what)
        eb__text_scrub((char *)u.what);
    if (!u.source || !u.what || !u.reason || eb__list_push(&b->unavailable, &u, sizeof u) < 0) {
        free((char *)u.source);
        free((char *)u.what);
        free((char *)u.reason);
    }
}

__attribute__((format(printf, 3, 4))) static void
probe_unavailable(eb__probe_ctx *ctx, const char *what, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    push_unavailable(ctx->bench, ctx->source, what, 0, reason);
}

static size_t probe_n_domains(eb__probe_ctx *ctx)
{
    return ((eb_bench *)ctx->bench)->n_dom;
}

static const eb__domain_desc *probe_domain(eb__probe_ctx *ctx, size_t i)
{
    eb_bench *b = ctx->bench;
    return i < b->n_dom ? &b->dom[i].desc : NULL;
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
        .cuda_entry = strcmp(s->visible_var, "CUDA_VISIBLE_DEVICES") == 0 && s->visible_entry[0]
                          ? s->visible_entry
                          : NULL,
        .readings = s->readings[0] ? s->readings : NULL,
        .simulated = s->simulated,
        .uncertainty_rel = s->uncertainty_rel,
        .sensor_window_s = s->sensor_window_s,
        .vendor_index = strcmp(s->kind, "gpu") == 0 ? s->vendor_index : -1,
        .visible_var = s->visible_var[0] ? s->visible_var : NULL,
        .visible_entry = s->visible_entry[0] ? s->visible_entry : NULL,
        .scope = s->scope[0] ? s->scope : "device",
    };
}

/* The GPU selection across vendors: where a problem with it goes. */
static void gpu_problem(void *ctx, int vendor, int code, const char *text)
{
    char reason[1024];
    snprintf(reason, sizeof reason, "%s", text);
    push_unavailable(ctx, "gpus", vendor >= 0 ? eb__gpu_vendors[vendor].display : "GPUs", code,
                     reason);
}

#define EB__MAX_LISTED 256

typedef struct listing {
    const eb__source_ops *ops[EB__MAX_SOURCES];
    void *priv[EB__MAX_SOURCES];
    unsigned first[EB__MAX_SOURCES], n[EB__MAX_SOURCES];
    eb__gpu_info info[EB__MAX_LISTED];
    eb__gpu_choice choice[EB__MAX_LISTED];
    unsigned n_info;
} listing;

/* MIG-... UUID -> position in the listing, through the backend that knows it. */
static int mig_of(void *ctx, const char *mig_uuid, const eb__gpu_info *info, unsigned n)
{
    listing *l = ctx;
    (void)info;
    (void)n;
    for (size_t s = 0; s < EB__MAX_SOURCES && l->ops[s]; s++) {
        int k = l->ops[s]->gpu_mig && l->priv[s] ? l->ops[s]->gpu_mig(l->priv[s], mig_uuid) : -1;
        if (k >= 0 && (unsigned)k < l->n[s])
            return (int)(l->first[s] + (unsigned)k);
    }
    return -1;
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
        .n_domains = probe_n_domains,
        .domain = probe_domain,
        .bench = b,
    };
    listing *l = calloc(1, sizeof *l);
    if (!l)
        return;

    /* 1. every GPU backend lists its GPUs; 2. one selection across vendors */
    size_t n_ops = 0;
    for (size_t i = 0; eb__sources[i] && n_ops < EB__MAX_SOURCES; i++) {
        const eb__source_ops *ops = eb__sources[i];
        if (!(b->cfg.sources & ops->flag))
            continue;
        l->ops[n_ops] = ops;
        l->first[n_ops] = l->n_info;
        if (ops->gpu_list && (l->priv[n_ops] = calloc(1, ops->priv_size ? ops->priv_size : 1))) {
            ctx.source = ops->name;
            unsigned got = ops->gpu_list(l->priv[n_ops], &ctx, l->info + l->n_info,
                                         EB__MAX_LISTED - l->n_info);
            for (unsigned k = 0; k < got; k++)
                l->info[l->n_info + k].backend = (int)n_ops;
            l->n[n_ops] = got;
            l->n_info += got;
        }
        n_ops++;
    }
    eb__gpu_mig_resolver mig = {mig_of, l};
    eb__gpu_select(l->info, l->n_info, b->cfg.gpus, &mig, l->choice, gpu_problem, b);

    /* 3. every backend adds its domains, in order */
    for (size_t i = 0; i < n_ops && b->n_src < EB__MAX_SOURCES; i++) {
        const eb__source_ops *ops = l->ops[i];
        void *priv = l->priv[i] ? l->priv[i] : calloc(1, ops->priv_size ? ops->priv_size : 1);
        l->priv[i] = NULL;
        if (!priv)
            continue;
        size_t before = b->n_dom;
        ctx.source = ops->name;
        ctx.gpu_info = l->info + l->first[i];
        ctx.gpu_choice = l->choice + l->first[i];
        ctx.n_gpu = l->n[i];
        ctx.all_gpu_info = l->info;
        ctx.all_gpu_choice = l->choice;
        ctx.n_all_gpu = l->n_info;
        for (unsigned k = 0; k < ctx.n_gpu; k++) {
            eb__gpu_info *g = &l->info[l->first[i] + k];
            eb__gpu_choice *c = &ctx.gpu_choice[k];
            char what[64];
            /* the same GPU, listed first by a backend that could not read it
             * after all: this backend measures it, chosen as it was */
            if (g->covered && g->primary >= 0 && l->choice[g->primary].selected &&
                !l->choice[g->primary].measured) {
                *c = l->choice[g->primary];
                c->measured = 0;
                g->covered = 0;
            }
            if (g->excluded) {
                snprintf(what, sizeof what, "%s GPU %.31s", eb__gpu_vendors[g->vendor].display,
                         g->pci);
                ctx.unavailable(&ctx, what, "not measured: %s", c->rule);
            } else if (!g->broken && !g->covered && !c->selected) {
                snprintf(what, sizeof what, "%s%u", eb__gpu_vendors[g->vendor].name, g->index);
                ctx.unavailable(&ctx, what, "not selected: %s", c->rule);
            }
        }
        ops->probe(priv, &ctx);
        ctx.gpu_info = NULL;
        ctx.gpu_choice = NULL;
        ctx.n_gpu = 0;
        ctx.all_gpu_info = NULL;
        ctx.all_gpu_choice = NULL;
        ctx.n_all_gpu = 0;
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
    for (size_t i = 0; i < n_ops; i++)
        if (l->priv[i]) {
            l->ops[i]->close(l->priv[i]);
            free(l->priv[i]);
        }
    free(l);
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
    if (cfg && eb__config_in(NULL, &full, cfg) < 0)
        return EB_EINVAL; /* a size this library does not know */
    cfg = &full;
    if (!(cfg->interval_ms > 0) || !isfinite(cfg->interval_ms) || !(cfg->cpu_tdp_w >= 0) ||
        !isfinite(cfg->cpu_tdp_w) || !isfinite(cfg->cpu_idle_w) ||
        cfg->cpu_idle_w > (cfg->cpu_tdp_w > 0 ? cfg->cpu_tdp_w : EB_DEFAULT_CPU_TDP_W) ||
        (cfg->history_samples && cfg->history_samples < 64))
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

    eb__registry_add(b); /* for fork(), once whole (locks: the registry's, then a bench's) */
    if ((rc = eb__writer_start(b)) < 0 ||
        (!cfg->manual && b->marker_fd < 0 && (rc = eb__sampler_start(b)) < 0)) {
        eb__writer_abort(b); /* the caller's files stay untouched */
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
    eb__writer_finish(b); /* the files' last rows, final now */
    return EB_OK;
}

static void free_windows(eb__list *l)
{
    eb__window *w = l->v;
    for (size_t i = 0; i < l->n; i++)
        eb__window_free(&w[i]);
    free(l->v);
}

EB_EXPORT void eb_close(eb_bench *b)
{
    if (!b)
        return;
    if (b->cfg.timeline_csv || b->cfg.calls_csv)
        eb_stop(b); /* the files get their last rows */
    eb__sampler_stop(b);
    eb__registry_remove(b);
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
    eb__fold_set_free(&b->folded);
    free(b->pin_t);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b->sysfs_root);
    free(b->procfs_root);
    eb__marker_disconnect(b);
    free(b);
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
