/*
 * report.c - what a bench measured, as a perf-stat-like table, as the JSON
 * report (schema ebench-report/1) and as the CSV timeline.
 *
 * The table never prints a fake 0: what was not measured is
 * "<not supported>" (null in JSON, an empty field in CSV), and every estimate
 * says it is one.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/analysis.h"
#include "../util/afile.h"
#include "../util/render.h"
#include "../util/utf8.h"
#include "internal.h"

EB_EXPORT void eb_hostname(char *buf, size_t len)
{
    const char *env = getenv("EBENCH_HOSTNAME");
    if (env && *env) {
        snprintf(buf, len, "%s", env);
        eb__utf8_scrub(buf);
        return;
    }
    if (gethostname(buf, len) != 0)
        snprintf(buf, len, "unknown");
    buf[len - 1] = '\0';
    eb__utf8_scrub(buf);
}

/* ---- table ------------------------------------------------------------ */

/* A domain's row of a window's result (eb_print_results): the one row format
 * of every table (src/util/render.c). */
static void print_row(FILE *out, const eb_domain_info *info, const eb_domain_energy *e,
                      double duration_s)
{
    eb__row row = {
        .id = info->id,
        .method = eb_method_name(info->method),
        .energy_j = e->energy_j,
        .uncertainty_rel = info->uncertainty_rel,
        .avg_power_w = e->avg_power_w,
        .peak_power_w = e->peak_power_w,
        .peak_span_s = e->peak_span_s,
        .estimate = info->method == EB_METHOD_MODEL,
        .simulated = info->simulated,
        .part_of = info->part_of,
        .lost_at_s = e->lost_at_s,
        .covered_s = e->covered_s,
        .duration_s = duration_s,
        .unreliable = e->unreliable,
        .update_period_s = info->update_period_s,
        .provisional = e->provisional,
    };
    eb__render_row(out, &row);
}

static int total_is_estimate(const eb_bench *b)
{
    for (size_t i = 0; i < b->n_dom; i++)
        if (b->dom[i].desc.in_total && b->dom[i].desc.method == EB_METHOD_MODEL)
            return 1;
    return 0;
}

static void print_total(FILE *out, const eb_bench *b, const eb__result *r)
{
    eb__render_total(out, r->total_energy_j, r->total_uncertainty_j,
                     r->duration_s > 0 ? r->total_energy_j / r->duration_s : NAN,
                     total_is_estimate(b), r->total_incomplete != 0, 0, NAN, NAN);
}

/* The line that says where the energy of these windows comes from, when it
 * is not this process's own sensors; NULL otherwise. */
static const char *energy_note(const eb_bench *b, char *buf, size_t len)
{
    if (eb__marker_mirror(b))
        snprintf(buf, len,
                 "energy: measured by the `ebench run` (pid %ld) that started this program: it "
                 "read the sensors, took these windows as phase markers and answered their "
                 "figures%s",
                 b->marker_parent, b->marker_conn == -2 ? " (until the connection was lost)" : "");
    else if (b->marker_fd >= 0)
        snprintf(buf, len,
                 "energy: measured by the `ebench run` that started this program; these "
                 "windows went to it as phase markers, and its report gives their energy");
    else if (b->n_dom == 0)
        snprintf(buf, len, "no energy source could be read on this machine (ebench info says why)");
    else
        return NULL;
    return buf;
}

static void print_notes(FILE *out, eb_bench *b)
{
    const eb_unavailable *u = b->unavailable.v;
    int header = 0;

    for (size_t i = 0; i < b->n_dom; i++) {
        if (!b->dom[i].info.note)
            continue;
        if (!header++)
            fprintf(out, "\n");
        fprintf(out, " %s: %s\n", b->dom[i].info.id, b->dom[i].info.note);
    }
    for (size_t i = 0; i < b->unavailable.n; i++) {
        if (!header++)
            fprintf(out, "\n");
        if (strcmp(u[i].source, u[i].what) == 0)
            fprintf(out, " %s: not available: %s\n", u[i].source, u[i].reason);
        else
            fprintf(out, " %s %s: not available: %s\n", u[i].source, u[i].what, u[i].reason);
    }
    char **w = b->warnings.v;
    for (size_t i = 0; i < b->warnings.n; i++) {
        if (!header++)
            fprintf(out, "\n");
        fprintf(out, " warning: %s\n", w[i]);
    }
    char note[512];
    if (energy_note(b, note, sizeof note))
        fprintf(out, " %s\n", note);
}

/* Work per joule in the unit people quote: TFLOP/J (= TFLOPS/W) for FLOPs. */
static void efficiency(const eb__work *w, double energy_j, double *per_j, const char **label)
{
    int flop = strcmp(w->unit, "flop") == 0;
    *per_j = energy_j > 0 ? w->amount / energy_j / (flop ? 1e12 : 1) : NAN;
    *label = flop ? "TFLOP/J (= TFLOPS/W)" : NULL;
}

/* Windows aggregated by name, in order of first appearance. */
static json_t *report_json(eb_bench *b, const eb_run_meta *meta);

/* The caller's meta over the defaults, as far as its size goes (ABI rules,
 * docs/API.md); NULL stays NULL. */
static int meta_in(eb_bench *b, const eb_run_meta *given, eb_run_meta *full,
                   const eb_run_meta **use)
{
    *use = NULL;
    if (!given)
        return EB_OK;
    eb_run_meta_init(full);
    int rc = eb__run_meta_in(b, full, given);
    if (rc == EB_OK)
        *use = full;
    return rc;
}

/* The table is drawn from the report as it is saved (12 significant digits),
 * by the code `ebench report` uses: the two print the same. */
EB_EXPORT int eb_print_report(eb_bench *b, FILE *out, const eb_run_meta *given)
{
    eb_run_meta full;
    const eb_run_meta *meta;
    if (!b || !out)
        return EB_EINVAL;
    int rc = meta_in(b, given, &full, &meta);
    if (rc < 0)
        return rc;
    json_t *root = report_json(b, meta);
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(root);
    json_error_t e;
    json_t *saved = text ? json_loads(text, 0, &e) : NULL;
    free(text);
    if (!saved)
        return eb__fail(b, EB_ENOMEM, "no memory for the report");
    eb__render_report(out, saved, NULL);
    json_decref(saved);
    return ferror(out) ? EB_EIO : EB_OK;
}

/* A window's work (eb_add_work): per joule, as people quote it, and per
 * second, over all its calls. */
static void print_window_work(FILE *out, const eb__fold *a)
{
    for (size_t w = 0; w < a->n_work; w++) {
        const eb__work *wk = &a->work[w];
        double per_j;
        const char *label;
        char unit_label[64];
        efficiency(wk, a->total_energy_j, &per_j, &label);
        snprintf(unit_label, sizeof unit_label, "%s/J", wk->unit);
        int flop = label != NULL;
        double per_s = a->duration_s > 0 ? wk->amount / a->duration_s / (flop ? 1e12 : 1) : NAN;
        fprintf(out, "   work %g %s: ", wk->amount, wk->unit);
        if (isnan(per_j))
            fprintf(out, "no energy measured, no efficiency");
        else
            fprintf(out, "%.4g %s", per_j, flop ? label : unit_label);
        fprintf(out, ", %.4g %s/s\n", per_s, flop ? "TFLOP" : wk->unit);
    }
}

EB_EXPORT int eb_print_results(eb_bench *b, FILE *out)
{
    size_t windows;

    if (!b || !out)
        return EB_EINVAL;
    eb__settle_windows(b);
    pthread_mutex_lock(&b->lock);
    eb__fold_set g;
    if (eb__window_fold_locked(b, NULL, &g, &windows) < 0) {
        pthread_mutex_unlock(&b->lock);
        return eb__fail(b, EB_ENOMEM, "no memory to aggregate windows");
    }
    fprintf(out, "\n ebench results (%zu window%s measured)\n", windows, windows == 1 ? "" : "s");
    for (size_t k = 0; k < g.n; k++) {
        const eb__fold *a = &g.a[k];
        eb__result sum;
        eb__fold_result(a, b, &sum);
        fprintf(out, "\n %s: %zu call%s, %.6f s\n", a->name, a->calls, a->calls == 1 ? "" : "s",
                a->duration_s);
        for (size_t d = 0; d < b->n_dom; d++)
            print_row(out, &b->dom[d].info, &sum.domains[d], a->duration_s);
        print_total(out, b, &sum);
        print_window_work(out, a);
    }
    if (g.n == 0)
        fprintf(out, "\n no window has been closed yet (eb_begin/eb_end, eb_measure)\n");
    print_notes(out, b);
    fprintf(out, "\n");
    eb__fold_set_free(&g);
    pthread_mutex_unlock(&b->lock);
    return ferror(out) ? EB_EIO : EB_OK;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *num(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

/* Text from outside (arguments, environment, window names) as a JSON
 * string: invalid UTF-8 bytes become '?' (utf8.h), so nothing is dropped. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    char *c = eb__utf8_scrub(strdup(s));
    json_t *v = c ? json_string(c) : json_null();
    free(c);
    return v ? v : json_null();
}

static json_t *str_or_null(const char *s)
{
    return jstr(s);
}

static json_t *domain_core_json(const eb__domain *d, const eb_domain_energy *e);

/* Summaries of what a domain reported besides energy (GPUs), null where it
 * reported nothing. */
static json_t *metrics_json(const eb__series *s)
{
    double sum[EB__AUX_N] = {0}, max[EB__AUX_N], last[EB__AUX_N];
    size_t n[EB__AUX_N] = {0};
    for (int k = 0; k < EB__AUX_N; k++)
        max[k] = last[k] = NAN;
    for (size_t i = 0; s->aux && i < s->n; i++)
        for (int k = 0; k < EB__AUX_N; k++) {
            double v = s->aux[i][k];
            if (isnan(v))
                continue;
            sum[k] += v;
            n[k]++;
            if (!(v <= max[k]))
                max[k] = v;
            last[k] = v;
        }
#define AVG(k) num(n[k] ? sum[k] / (double)n[k] : NAN)
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "instant_power_peak_w",
                     num(max[EB__AUX_POWER_INSTANT_W]), "gpu_utilization_avg",
                     AVG(EB__AUX_GPU_UTIL), "memory_utilization_avg", AVG(EB__AUX_MEM_UTIL),
                     "sm_clock_avg_mhz", AVG(EB__AUX_SM_CLOCK_MHZ), "temperature_max_c",
                     num(max[EB__AUX_TEMP_C]), "power_limit_w", num(last[EB__AUX_POWER_LIMIT_W]));
#undef AVG
}

static json_t *stat_json(const eb_stat *st)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)st->n, "mean",
                     num(st->mean), "stddev", num(st->stddev), "ci95", num(st->ci95), "min",
                     num(st->min), "max", num(st->max));
}

/* How a stepping counter's moves were placed (eb_tracking); null for other
 * domains. Caller holds the lock. */
static json_t *tracking_json(const eb__domain *d)
{
    if (!(d->desc.method == EB_METHOD_COUNTER && d->desc.counter_holds) || d->mirror)
        return json_null(); /* a mirror's counter is tracked by the parent */
    eb_tracking t;
    eb__tracking_locked(d, &t);
    return json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:o}",
                     "state", t.state, "why", str_or_null(t.why[0] ? t.why : NULL), "period_s",
                     num(t.period_s), "jitter_s", num(t.jitter_s), "reads", (json_int_t)t.reads,
                     "extra_reads", (json_int_t)t.extra_reads, "moves", (json_int_t)t.moves,
                     "missed", (json_int_t)t.missed, "relocks", (json_int_t)t.relocks,
                     "bracket_mean_s", num(t.bracket_mean_s), "bracket_max_s", num(t.bracket_max_s),
                     "uncertainty_mean_s", num(t.uncertainty_mean_s), "uncertainty_max_s",
                     num(t.uncertainty_max_s), "resets", (json_int_t)t.resets, "stopped_at_s",
                     num(t.stopped_at_s));
}

static json_t *domain_json(const eb__domain *d, const eb_domain_energy *e, const eb__summary *s,
                           size_t idx)
{
    const eb_domain_info *i = &d->info;
    json_t *o = domain_core_json(d, e);
    json_object_set_new(o, "uncertainty_j", num(e->uncertainty_j));
    json_object_set_new(o, "uncertainty_rel", json_real(i->uncertainty_rel));
    json_object_set_new(o, "idle_power_w", num(e->idle_power_w));
    json_object_set_new(o, "net_energy_j", num(e->net_energy_j));
    json_object_set_new(o, "unreliable", json_boolean(e->unreliable));
    json_object_set_new(
        o, "steady_state",
        s->reps >= 2
            ? json_null()
            : json_pack("{s:b, s:o, s:o, s:o, s:b}", "settled", isfinite(s->steady_from_s[idx]),
                        "from_s", num(s->steady_from_s[idx]), "avg_power_w",
                        num(s->steady_power_w[idx]), "energy_j", num(s->steady_energy_j[idx]),
                        "too_few_samples", isinf(s->steady_from_s[idx])));
    json_object_set_new(o, "simulated", json_boolean(i->simulated));
    json_object_set_new(o, "uuid", str_or_null(i->uuid));
    json_object_set_new(o, "pci_bus_id", str_or_null(i->pci_bus_id));
    json_object_set_new(o, "vendor_index",
                        i->vendor_index >= 0 ? json_integer(i->vendor_index) : json_null());
    json_object_set_new(o, "visible_var", str_or_null(i->visible_var));
    json_object_set_new(o, "visible_entry", str_or_null(i->visible_entry));
    json_object_set_new(o, "scope", json_string(i->scope));
    json_object_set_new(o, "readings", str_or_null(i->readings));
    json_object_set_new(o, "lost_at_s", num(e->lost_at_s));
    json_object_set_new(o, "metrics", d->desc.has_aux ? metrics_json(&d->series) : json_null());
    json_object_set_new(o, "counter_tracking", tracking_json(d));
    return o;
}

static json_t *domain_core_json(const eb__domain *d, const eb_domain_energy *e)
{
    const eb_domain_info *i = &d->info;
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:f, s:o, s:o, "
        "s:o, s:f, s:I, s:I, s:I}",
        "id", i->id, "kind", i->kind, "vendor", i->vendor, "name", i->name, "source", i->source,
        "location", i->location, "method", eb_method_name(i->method), "estimate",
        i->method == EB_METHOD_MODEL, "in_total", i->in_total, "part_of", str_or_null(i->part_of),
        "note", str_or_null(i->note), "update_period_s", i->update_period_s, "energy_j",
        num(e->energy_j), "avg_power_w", num(e->avg_power_w), "peak_power_w", num(e->peak_power_w),
        "covered_s", e->covered_s, "samples", (json_int_t)e->samples, "bad_samples",
        (json_int_t)d->series.bad_reads, "counter_wraps", (json_int_t)d->series.wraps);
    json_object_set_new(o, "peak_power_span_s", num(e->peak_span_s));
    json_object_set_new(o, "provisional", json_boolean(e->provisional));
    return o;
}

static json_t *windows_json(eb_bench *b)
{
    eb__fold_set g;
    json_t *arr = json_array();
    if (eb__window_fold_locked(b, NULL, &g, NULL) < 0)
        return arr;
    for (size_t k = 0; k < g.n; k++) {
        const eb__fold *a = &g.a[k];
        eb__result sum;
        eb__fold_result(a, b, &sum);
        json_t *doms = json_array();
        for (size_t d = 0; d < b->n_dom; d++) {
            const eb_domain_energy *e = &sum.domains[d];
            json_array_append_new(doms, json_pack("{s:s, s:o, s:o, s:o, s:o}", "id",
                                                  b->dom[d].info.id, "energy_j", num(e->energy_j),
                                                  "avg_power_w", num(e->avg_power_w),
                                                  "peak_power_w", num(e->peak_power_w),
                                                  "peak_power_span_s", num(e->peak_span_s)));
        }
        json_t *work = json_array();
        for (size_t w = 0; w < a->n_work; w++) {
            double per_j;
            const char *label;
            efficiency(&a->work[w], a->total_energy_j, &per_j, &label);
            json_array_append_new(work,
                                  json_pack("{s:o, s:f, s:o}", "unit", jstr(a->work[w].unit),
                                            "amount", a->work[w].amount, "per_joule", num(per_j)));
        }
        json_array_append_new(
            arr, json_pack("{s:o, s:I, s:f, s:o, s:o, s:o}", "name", jstr(a->name), "calls",
                           (json_int_t)a->calls, "duration_s", a->duration_s, "energy_j",
                           num(a->total_energy_j), "domains", doms, "work", work));
    }
    eb__fold_set_free(&g);
    return arr;
}

static json_t *efficiency_json(const eb_bench *b, const eb__summary *s)
{
    json_t *arr = json_array();
    for (size_t k = 0; k < s->n_work; k++) {
        const eb__work *w = &s->work[k];
        double per_j, gpu_per_j;
        const char *label;
        efficiency(w, s->r.total_energy_j, &per_j, &label);
        efficiency(w, s->gpu_energy_j, &gpu_per_j, &label);
        json_t *per_gpu = json_array();
        for (size_t d = 0; d < b->n_dom && s->n_gpus; d++) {
            if (strcmp(b->dom[d].desc.kind, "gpu") != 0)
                continue;
            eb__work share = *w;
            double g;
            share.amount /= (double)s->n_gpus;
            efficiency(&share, s->r.domains[d].energy_j, &g, &label);
            json_array_append_new(
                per_gpu, json_pack("{s:s, s:o}", "id", b->dom[d].info.id, "per_joule", num(g)));
        }
        int flop = strcmp(w->unit, "flop") == 0;
        char per_unit[40];
        snprintf(per_unit, sizeof per_unit, "%s/J", flop ? "TFLOP" : w->unit);
        json_array_append_new(
            arr, json_pack(
                     "{s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "unit", jstr(w->unit),
                     "amount", w->amount, "per_joule_unit", jstr(per_unit), "per_joule", num(per_j),
                     "joules_per_unit", num(per_j > 0 ? s->r.total_energy_j / w->amount : NAN),
                     "uncertainty_rel", num(s->r.total_uncertainty_j / s->r.total_energy_j),
                     "gpus_per_joule", num(s->n_gpus ? gpu_per_j : NAN), "per_gpu", per_gpu,
                     "reason", isnan(per_j) ? json_string("no energy was measured") : json_null()));
    }
    return arr;
}

static json_t *repetitions_json(const eb_bench *b, const eb__summary *s)
{
    if (s->reps < 2)
        return json_null();
    json_t *doms = json_array(), *outl = json_array();
    for (size_t d = 0; d < b->n_dom; d++) {
        json_t *o = stat_json(&s->st.energy_j[d]);
        json_object_set_new(o, "id", json_string(b->dom[d].info.id));
        json_array_append_new(doms, o);
    }
    for (size_t k = 0; k < s->st.n_outliers; k++)
        json_array_append_new(outl, json_integer((json_int_t)s->st.outliers[k]));
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)s->reps, "warmup",
                     (json_int_t)s->warmup, "duration_s", stat_json(&s->st.duration_s), "energy_j",
                     stat_json(&s->st.total_energy_j), "domains", doms, "outliers", outl);
}

/* The command's share of the CPU domains' energy above their idle power, by
 * its share of the machine's busy CPU time: the machine at rest is not the
 * command's doing. A domain whose idle power is unknown (no baseline, not a
 * model) is shared out whole, and says so. Null where nothing was asked. */
static json_t *attribution_json(const eb_bench *b, const eb__summary *s)
{
    if (isnan(s->cpu_share) && !s->attr_reason)
        return json_null();
    json_t *doms = json_array();
    for (size_t d = 0; d < b->n_dom && !isnan(s->cpu_share); d++) {
        const eb__domain *dom = &b->dom[d];
        if (strcmp(dom->desc.kind, "cpu") != 0)
            continue;
        const eb_domain_energy *e = &s->r.domains[d];
        double idle_w = !isnan(e->idle_power_w)               ? e->idle_power_w
                        : dom->desc.method == EB_METHOD_MODEL ? dom->desc.model_idle_w
                                                              : NAN;
        double idle_j = isnan(idle_w) ? NAN : idle_w * e->covered_s;
        double above = isnan(idle_j) ? e->energy_j : fmax(0.0, e->energy_j - idle_j);
        json_array_append_new(doms,
                              json_pack("{s:s, s:o, s:o, s:o, s:b}", "id", dom->info.id, "energy_j",
                                        num(e->energy_j), "idle_j", num(idle_j), "attributed_j",
                                        num(above * s->cpu_share), "idle_included", isnan(idle_j)));
    }
    return json_pack("{s:s, s:f, s:f, s:o, s:o, s:o}", "method",
                     "the command's share of the machine's busy CPU time (rusage of the "
                     "processes it waited for, over /proc/stat) times the energy above idle",
                     "command_cpu_s", s->cmd_cpu_s, "machine_busy_cpu_s", s->machine_cpu_s, "share",
                     num(s->cpu_share), "reason", str_or_null(s->attr_reason), "domains", doms);
}

static json_t *accounting_json(const eb__summary *s)
{
    return json_pack("{s:o, s:f, s:b, s:f, s:o, s:o, s:o, s:o, s:f, s:o, s:o}", "energy_kwh",
                     num(s->kwh), "pue", s->pue, "pue_assumed", s->pue_assumed, "carbon_g_per_kwh",
                     s->intensity, "carbon_source", jstr(s->intensity_source), "co2_g",
                     num(s->co2_g), "price_per_kwh", num(s->price), "cost", num(s->cost), "nodes",
                     s->nodes, "node_hours", num(s->node_hours), "gpu_hours", num(s->gpu_hours));
}

/* A reduced copy of each domain's power over time for plots: every sample
 * up to EB__PLOT_POINTS, else the average power over as many equal buckets
 * (energy difference over time, so no peak hides and no energy is lost). */
#define EB__PLOT_POINTS 2000

static json_t *timeline_json(eb_bench *b)
{
    json_t *doms = json_array();
    for (size_t d = 0; d < b->n_dom; d++) {
        const eb__series *s = &b->dom[d].series;
        json_t *t = json_array(), *p = json_array();
        if (s->n <= EB__PLOT_POINTS) {
            for (size_t i = 0; i < s->n; i++) {
                json_array_append_new(t, json_real(s->v[i].t_s));
                json_array_append_new(p, num(s->v[i].power_w));
            }
        } else {
            double t0 = s->v[0].t_s, t1 = s->v[s->n - 1].t_s;
            double step = (t1 - t0) / EB__PLOT_POINTS;
            for (int k = 0; k < EB__PLOT_POINTS; k++) {
                double a = t0 + k * step,
                       e = eb__energy_at(s->v, s->n, a + step) - eb__energy_at(s->v, s->n, a);
                json_array_append_new(t, json_real(a + step / 2));
                json_array_append_new(p, num(step > 0 ? e / step : NAN));
            }
        }
        json_array_append_new(
            doms, json_pack("{s:s, s:o, s:o}", "id", b->dom[d].info.id, "t_s", t, "power_w", p));
    }
    return doms;
}

/* Window instances, for shading phases in plots (the first 1000). */
static json_t *phases_json(const eb_bench *b)
{
    json_t *arr = json_array();
    const eb__window *w = b->closed_win.v;
    for (size_t i = 0; i < b->closed_win.n && i < 1000; i++)
        json_array_append_new(arr, json_pack("{s:o, s:f, s:f}", "name", jstr(w[i].name), "t0_s",
                                             w[i].t0, "t1_s", w[i].t1));
    return arr;
}

static const char *first_env(const char *const *names)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v)
            return v;
    }
    return NULL;
}

static long env_number(const char *const *names)
{
    const char *v = first_env(names);
    char *end;
    long n = v ? strtol(v, &end, 10) : -1;
    return v && !*end && n >= 0 ? n : -1;
}

EB_EXPORT void eb_job_get(eb_job *out)
{
    static const char *const job[] = {"SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", NULL};
    static const char *const step[] = {"SLURM_STEP_ID", NULL};
    static const char *const rank[] = {"SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK",
                                       "PMIX_RANK", NULL};
    static const char *const local[] = {"SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK",
                                        "MPI_LOCALRANKID", "PMI_LOCAL_RANK", NULL};
    out->id = first_env(job);
    out->step = first_env(step);
    out->rank = env_number(rank);
    out->local_rank = env_number(local);
}

/* Where this report comes from in a job, for ebench merge. */
static json_t *job_json(const char *host)
{
    eb_job j;
    eb_job_get(&j);
    return json_pack("{s:o, s:o, s:s, s:o, s:o}", "id", jstr(j.id), "step", jstr(j.step), "node",
                     host, "rank", j.rank >= 0 ? json_integer(j.rank) : json_null(), "local_rank",
                     j.local_rank >= 0 ? json_integer(j.local_rank) : json_null());
}

static json_t *report_json(eb_bench *b, const eb_run_meta *meta)
{
    eb__summary s;
    char host[256], start[64];
    struct tm tm;

    eb_hostname(host, sizeof host);
    gmtime_r(&b->start_wall.tv_sec, &tm);
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);

    pthread_mutex_lock(&b->lock);
    eb__summarize_locked(b, meta, &s);
    const eb__result *r = &s.r;
    json_t *doms = json_array(), *unav = json_array(), *warn = json_array();
    for (size_t i = 0; i < b->n_dom; i++)
        json_array_append_new(doms, domain_json(&b->dom[i], &r->domains[i], &s, i));
    const eb_unavailable *u = b->unavailable.v;
    for (size_t i = 0; i < b->unavailable.n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "source", u[i].source, "what", u[i].what, "reason",
                              u[i].reason);
        if (u[i].code)
            json_object_set_new(o, "code", json_string(eb_err_name(u[i].code)));
        json_array_append_new(unav, o);
    }
    for (size_t i = 0; i < b->warnings.n; i++)
        json_array_append_new(warn, json_string(((char **)b->warnings.v)[i]));
    if (meta && meta->warning)
        json_array_append_new(warn, jstr(meta->warning));

    json_t *cmd = json_null();
    if (meta && meta->argv) {
        cmd = json_array();
        for (size_t i = 0; meta->argv[i]; i++)
            json_array_append_new(cmd, jstr(meta->argv[i]));
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:f, s:o, s:o, s:o, s:f, s:s, s:I, s:o, s:o, s:o, "
        "s:o, s:o}",
        "schema", "ebench-report/1", "ebench_version", EB_VERSION_STRING, "hostname", host,
        "start_time", start, "command", cmd, "exit_status",
        meta && meta->exit_status >= 0 ? json_integer(meta->exit_status) : json_null(),
        "duration_s", isnan(r->duration_s) ? 0.0 : r->duration_s, "elapsed_s",
        num(meta ? meta->elapsed_s : NAN), "user_s", num(meta ? meta->user_s : NAN), "sys_s",
        num(meta ? meta->sys_s : NAN), "interval_ms", b->cfg.interval_ms, "sampling",
        eb__marker_mirror(b) ? "parent"
        : b->cfg.manual      ? "manual"
                             : "thread",
        "ticks", (json_int_t)b->ticks, "domains", doms, "total",
        json_pack("{s:o, s:o, s:o, s:o, s:b, s:b}", "energy_j", num(r->total_energy_j),
                  "uncertainty_j", num(r->total_uncertainty_j), "net_energy_j",
                  num(meta && meta->idle_note ? r->total_net_energy_j : NAN), "avg_power_w",
                  num(r->duration_s > 0 ? r->total_energy_j / r->duration_s : NAN), "estimate",
                  total_is_estimate(b), "complete", r->total_incomplete == 0),
        "windows", windows_json(b), "unavailable", unav, "warnings", warn);
    json_object_set_new(root, "repetitions", repetitions_json(b, &s));
    json_object_set_new(root, "idle_baseline",
                        jstr(meta && meta->idle_note ? meta->idle_note : "not measured"));
    json_object_set_new(root, "steady_state_rule",
                        json_string(s.reps >= 2      ? "not computed for repetitions"
                                    : s.steady_given ? "given with --skip"
                                                     : EB__STEADY_RULE));
    json_object_set_new(root, "efficiency", efficiency_json(b, &s));
    json_object_set_new(root, "edp_j_s", num(s.edp));
    json_object_set_new(root, "accounting", accounting_json(&s));
    json_object_set_new(root, "attribution", attribution_json(b, &s));
    json_object_set_new(root, "span_t0_s", num(s.reps >= 2 ? NAN : s.t0));
    json_object_set_new(root, "span", str_or_null(meta ? meta->span : NULL));
    json_object_set_new(root, "checkpoint", json_boolean(meta && meta->partial));
    char note[512];
    json_object_set_new(root, "energy_note", str_or_null(energy_note(b, note, sizeof note)));
    json_object_set_new(root, "phases", phases_json(b));
    json_object_set_new(root, "timeline", timeline_json(b));
    json_object_set_new(root, "job", job_json(host));
    pthread_mutex_unlock(&b->lock);
    return root;
}

EB_EXPORT int eb_write_json(eb_bench *b, FILE *out, const eb_run_meta *given)
{
    eb_run_meta full;
    const eb_run_meta *meta;
    if (!b || !out)
        return EB_EINVAL;
    int rc = meta_in(b, given, &full, &meta);
    if (rc < 0)
        return rc;
    eb__settle_windows(b);
    json_t *root = report_json(b, meta);
    if (!root)
        return eb__fail(b, EB_ENOMEM, "cannot build the JSON report");
    rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    json_decref(root);
    fputc('\n', out);
    if (rc != 0 || ferror(out))
        return eb__fail(b, EB_EIO, "cannot write the JSON report");
    return EB_OK;
}

/* ---- CSV -------------------------------------------------------------- */

EB_EXPORT int eb_write_csv(eb_bench *b, FILE *out)
{
    size_t at[EB_MAX_DOMAINS] = {0};

    if (!b || !out)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__csv_header(b, out);
    for (;;) {
        /* Rows in time order, domains in their order within one time. */
        double t = INFINITY;
        for (size_t d = 0; d < b->n_dom; d++)
            if (at[d] < b->dom[d].series.n && b->dom[d].series.v[at[d]].t_s < t)
                t = b->dom[d].series.v[at[d]].t_s;
        if (isinf(t))
            break;
        for (size_t d = 0; d < b->n_dom; d++) {
            const eb__series *s = &b->dom[d].series;
            if (at[d] >= s->n || s->v[at[d]].t_s != t)
                continue;
            eb__csv_row(out, b->dom[d].info.id, &s->v[at[d]++]);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return ferror(out) ? eb__fail(b, EB_EIO, "cannot write the CSV timeline") : EB_OK;
}

static int save(eb_bench *b, const char *path, const eb_run_meta *meta, int json)
{
    eb__afile a;
    eb_run_meta full;
    const eb_run_meta *checked;
    if (!b || !path)
        return EB_EINVAL;
    int rc = meta_in(b, meta, &full, &checked); /* refused before the file is touched */
    if (rc < 0)
        return rc;
    rc = eb__afile_open_stream(&a, path);
    if (rc < 0)
        return eb__fail(b, EB_EIO, "cannot write '%s': %s", path, strerror(-rc));
    rc = json ? eb_write_json(b, a.f, meta) : eb_write_csv(b, a.f);
    if (rc < 0) {
        eb__afile_abort(&a);
        return rc;
    }
    if ((rc = eb__afile_commit(&a)) < 0)
        return eb__fail(b, EB_EIO, "cannot write '%s': %s", path, strerror(-rc));
    return EB_OK;
}

EB_EXPORT int eb_save_json(eb_bench *b, const char *path, const eb_run_meta *meta)
{
    return save(b, path, meta, 1);
}

EB_EXPORT int eb_save_csv(eb_bench *b, const char *path)
{
    return save(b, path, NULL, 0);
}
