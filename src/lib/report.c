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
#include "internal.h"

EB_EXPORT void eb_hostname(char *buf, size_t len)
{
    const char *env = getenv("EBENCH_HOSTNAME");
    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return;
    }
    if (gethostname(buf, len) != 0)
        snprintf(buf, len, "unknown");
    buf[len - 1] = '\0';
}

/* ---- table ------------------------------------------------------------ */

static void fmt_num(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.*f", decimals, v);
}

/* What a peak is a mean over, for the table: "/100ms", "/1.0s"; blank when
 * there is no peak. */
static void fmt_span(char *buf, size_t len, double span_s)
{
    if (!(span_s > 0))
        snprintf(buf, len, " ");
    else if (span_s < 0.9995)
        snprintf(buf, len, "/%.0fms", span_s * 1e3);
    else if (span_s < 9.95)
        snprintf(buf, len, "/%.1fs", span_s);
    else
        snprintf(buf, len, "/%.0fs", span_s);
}

/* "( +- 1.2% )" as perf stat -r prints it: the 95% CI of the mean. */
static void fmt_ci(char *buf, size_t len, const eb_stat *st)
{
    if (st && st->n >= 2 && st->mean > 0 && !isnan(st->ci95))
        snprintf(buf, len, "  ( +- %.1f%% )", 100 * st->ci95 / st->mean);
    else
        buf[0] = '\0';
}

static void print_row(FILE *out, const eb_domain_info *info, const eb_domain_energy *e,
                      double duration_s, const eb_stat *st)
{
    char avg[32], peak[32], span[32], ci[32], extra[200] = "";
    size_t used = 0;

    if (info->part_of)
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", part of %s", info->part_of);
    if (!isnan(e->lost_at_s) && used < sizeof extra)
        used +=
            (size_t)snprintf(extra + used, sizeof extra - used, ", LOST at %.3f s", e->lost_at_s);
    if (e->covered_s < duration_s - 1e-9 && !isnan(e->energy_j) && used < sizeof extra)
        used += (size_t)snprintf(extra + used, sizeof extra - used,
                                 ", partial: covers %.3f of %.3f s", e->covered_s, duration_s);
    if (e->unreliable && used < sizeof extra)
        used += (size_t)snprintf(extra + used, sizeof extra - used,
                                 ", UNRELIABLE: under 2 sensor updates of %g ms in the window; "
                                 "repeat it",
                                 info->update_period_s * 1e3);
    if (e->provisional && used < sizeof extra)
        snprintf(extra + used, sizeof extra - used,
                 ", provisional: the counter has not moved since; final after eb_stop");
    if (isnan(e->energy_j)) {
        fprintf(out, " %16s    %-16s   %s%s\n", "<not supported>", info->id,
                "no valid sample in this window", extra);
        return;
    }
    fmt_num(avg, sizeof avg, e->avg_power_w, 2);
    fmt_num(peak, sizeof peak, e->peak_power_w, 2);
    fmt_span(span, sizeof span, e->peak_span_s);
    fmt_ci(ci, sizeof ci, st);
    fprintf(out, " %16.3f J +-%3.0f%%  %-14s # %9s W avg %9s W peak%-7s  %s%s%s%s%s\n", e->energy_j,
            100 * info->uncertainty_rel, info->id, avg, peak, span, eb_method_name(info->method),
            info->method == EB_METHOD_MODEL ? " (estimate)" : "",
            info->simulated ? " (simulated)" : "", extra, ci);
}

static int total_is_estimate(const eb_bench *b)
{
    for (size_t i = 0; i < b->n_dom; i++)
        if (b->dom[i].desc.in_total && b->dom[i].desc.method == EB_METHOD_MODEL)
            return 1;
    return 0;
}

static void print_total(FILE *out, const eb_bench *b, const eb_result *r, const eb_stat *st)
{
    char avg[32], ci[32];
    if (isnan(r->total_energy_j)) {
        fprintf(out, " %16s    %-16s\n", "<not supported>", "total");
        return;
    }
    double rel = r->total_energy_j > 0 ? 100 * r->total_uncertainty_j / r->total_energy_j : 0;
    fmt_num(avg, sizeof avg, r->duration_s > 0 ? r->total_energy_j / r->duration_s : NAN, 2);
    fmt_ci(ci, sizeof ci, st);
    fprintf(out, " %16.3f J +-%3.0f%%  %-14s # %9s W avg%s%s%s\n", r->total_energy_j, rel, "total",
            avg, total_is_estimate(b) ? "                   includes an estimate" : "",
            r->total_incomplete ? "   incomplete: a domain above is missing or partial" : "", ci);
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
    if (eb__marker_mirror(b))
        fprintf(out,
                " energy: measured by the `ebench run` (pid %ld) that started this program: it "
                "read the sensors, took these windows as phase markers and answered their "
                "figures%s\n",
                b->marker_parent, b->marker_conn == -2 ? " (until the connection was lost)" : "");
    else if (b->marker_fd >= 0)
        fprintf(out, " energy: measured by the `ebench run` that started this program; these "
                     "windows went to it as phase markers, and its report gives their energy\n");
    else if (b->n_dom == 0)
        fprintf(out, " no energy source could be read on this machine (ebench info says why)\n");
}

static void join_argv(char *buf, size_t len, const char *const *argv)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; argv && argv[i] && used + 1 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);
}

/* Work per joule in the unit people quote: TFLOP/J (= TFLOPS/W) for FLOPs. */
static void efficiency(const eb__work *w, double energy_j, double *per_j, const char **label)
{
    int flop = strcmp(w->unit, "flop") == 0;
    *per_j = energy_j > 0 ? w->amount / energy_j / (flop ? 1e12 : 1) : NAN;
    *label = flop ? "TFLOP/J (= TFLOPS/W)" : NULL;
}

/* Windows aggregated by name, in order of first appearance. */
typedef struct agg {
    const char *name;
    size_t calls;
    double duration_s;
    eb_result sum;
    eb__work work[EB_MAX_WORK]; /* summed over the calls */
    size_t n_work;
} agg;

static void add_energy(double *acc, double v)
{
    if (!isnan(v))
        *acc = isnan(*acc) ? v : *acc + v;
}

static agg *aggregate_locked(eb_bench *b, size_t *n_out)
{
    const eb__window *w = b->closed_win.v;
    agg *a = calloc(b->closed_win.n ? b->closed_win.n : 1, sizeof *a);
    size_t n = 0;

    if (!a)
        return NULL;
    for (size_t i = 0; i < b->closed_win.n; i++) {
        size_t k = 0;
        while (k < n && strcmp(a[k].name, w[i].name) != 0)
            k++;
        if (k == n) {
            a[n].name = w[i].name;
            a[n].sum.total_energy_j = NAN;
            a[n].sum.n_domains = b->n_dom;
            for (size_t d = 0; d < b->n_dom; d++) {
                a[n].sum.domains[d].energy_j = a[n].sum.domains[d].peak_power_w = NAN;
                a[n].sum.domains[d].peak_span_s = NAN;
                a[n].sum.domains[d].method = b->dom[d].desc.method;
            }
            n++;
        }
        eb_result r;
        eb__result_locked(b, w[i].t0, w[i].t1, &r);
        a[k].calls++;
        a[k].duration_s += r.duration_s;
        add_energy(&a[k].sum.total_energy_j, r.total_energy_j);
        a[k].sum.total_incomplete += r.total_incomplete;
        for (size_t u = 0; u < w[i].n_work; u++)
            eb__work_add(a[k].work, &a[k].n_work, w[i].work[u].unit, w[i].work[u].amount);
        for (size_t d = 0; d < b->n_dom; d++) {
            eb_domain_energy *s = &a[k].sum.domains[d];
            add_energy(&s->energy_j, r.domains[d].energy_j);
            if (!(r.domains[d].peak_power_w <= s->peak_power_w) &&
                !isnan(r.domains[d].peak_power_w)) {
                s->peak_power_w = r.domains[d].peak_power_w;
                s->peak_span_s = r.domains[d].peak_span_s;
            }
            s->samples += r.domains[d].samples;
            s->covered_s += r.domains[d].covered_s;
            s->lost_at_s = r.domains[d].lost_at_s;
            s->unreliable |= r.domains[d].unreliable;
            s->provisional |= r.domains[d].provisional;
        }
    }
    for (size_t k = 0; k < n; k++) {
        double var = 0;
        a[k].sum.duration_s = a[k].duration_s;
        for (size_t d = 0; d < b->n_dom; d++) {
            eb_domain_energy *s = &a[k].sum.domains[d];
            s->avg_power_w = s->covered_s > 0 ? s->energy_j / s->covered_s : NAN;
            s->uncertainty_j = s->energy_j * b->dom[d].desc.uncertainty_rel;
            if (b->dom[d].desc.in_total && !isnan(s->uncertainty_j))
                var += s->uncertainty_j * s->uncertainty_j;
        }
        a[k].sum.total_uncertainty_j = sqrt(var);
    }
    *n_out = n;
    return a;
}

static void print_idle(FILE *out, const eb_bench *b, const eb__summary *s, const eb_run_meta *meta)
{
    if (!meta || !meta->idle_note) {
        fprintf(out, "\n idle baseline: not measured (--idle SECONDS or --idle-power DOMAIN=W)\n");
        return;
    }
    fprintf(out, "\n idle baseline (%s):\n", meta->idle_note);
    for (size_t d = 0; d < b->n_dom; d++) {
        const eb_domain_energy *e = &s->r.domains[d];
        if (isnan(e->idle_power_w))
            fprintf(out, " %16s    %-16s no baseline\n", "-", b->dom[d].info.id);
        else
            fprintf(out, " %14.2f W    %-16s # %12.3f J above idle\n", e->idle_power_w,
                    b->dom[d].info.id, e->net_energy_j);
    }
    if (!isnan(s->r.total_net_energy_j))
        fprintf(out, " %16s    %-16s # %12.3f J above idle\n", "", "total",
                s->r.total_net_energy_j);
}

static void print_steady(FILE *out, const eb_bench *b, const eb__summary *s)
{
    if (s->reps >= 2)
        return;
    fprintf(out, "\n steady state (%s):\n", s->steady_given ? "from --skip" : EB__STEADY_RULE);
    for (size_t d = 0; d < b->n_dom; d++) {
        if (isinf(s->steady_from_s[d]))
            fprintf(out, "   %-16s too few samples to tell\n", b->dom[d].info.id);
        else if (isnan(s->steady_from_s[d]))
            fprintf(out, "   %-16s never settled\n", b->dom[d].info.id);
        else
            fprintf(out, "   %-16s from %.3f s: %.2f W (%.3f J in %.3f s)\n", b->dom[d].info.id,
                    s->steady_from_s[d], s->steady_power_w[d], s->steady_energy_j[d],
                    s->r.duration_s - s->steady_from_s[d]);
    }
}

static void print_efficiency(FILE *out, const eb_bench *b, const eb__summary *s)
{
    const eb_result *r = &s->r;
    for (size_t k = 0; k < s->n_work; k++) {
        const eb__work *w = &s->work[k];
        double per_j, gpu_per_j;
        const char *label;
        char unit_label[64];
        efficiency(w, r->total_energy_j, &per_j, &label);
        snprintf(unit_label, sizeof unit_label, "%s/J", w->unit);
        if (!label)
            label = unit_label;
        fprintf(out, "\n efficiency, %g %s%s:\n", w->amount, w->unit,
                s->reps >= 2 ? " per run" : "");
        if (isnan(per_j)) {
            fprintf(out, "   null: no energy was measured, so no efficiency\n");
            continue;
        }
        double rel = r->total_uncertainty_j / r->total_energy_j;
        fprintf(out, "   %12.6g %s +-%.0f%%  total;  %.6g J per %s\n", per_j, label, 100 * rel,
                r->total_energy_j / w->amount, w->unit);
        efficiency(w, s->gpu_energy_j, &gpu_per_j, &label);
        if (s->n_gpus > 0 && !isnan(gpu_per_j)) {
            fprintf(out, "   %12.6g %-22s GPUs only; per GPU (work split evenly):", gpu_per_j, "");
            for (size_t d = 0; d < b->n_dom; d++) {
                if (strcmp(b->dom[d].desc.kind, "gpu") != 0)
                    continue;
                eb__work share = *w;
                double g;
                share.amount /= (double)s->n_gpus;
                efficiency(&share, r->domains[d].energy_j, &g, &label);
                fprintf(out, " %s %.6g", b->dom[d].info.id, g);
            }
            fputc('\n', out);
        }
    }
    if (!isnan(s->edp))
        fprintf(out, "\n energy-delay product: %.6g J*s\n", s->edp);
}

static void print_accounting(FILE *out, const eb__summary *s)
{
    if (isnan(s->kwh))
        return;
    fprintf(out, " %s: %.6g kWh x PUE %.2f%s -> %.4g gCO2e at %g g/kWh (%s)",
            s->reps >= 2 ? "per run" : "energy", s->kwh / s->pue, s->pue,
            s->pue_assumed ? " (assumed; --pue)" : "", s->co2_g, s->intensity, s->intensity_source);
    if (isnan(s->price))
        fprintf(out, "; cost: --price not given\n");
    else
        fprintf(out, "; cost %.4g at %g per kWh\n", s->cost, s->price);
    fprintf(out, " allocation: %.4g node-hours (%g node%s), %.4g GPU-hours (%zu GPU%s)\n",
            s->node_hours, s->nodes, s->nodes == 1 ? "" : "s", s->gpu_hours, s->n_gpus,
            s->n_gpus == 1 ? "" : "s");
}

/* The program's own windows (phase markers, or the library's windows): energy
 * per phase, beside the run's own spans. */
static void print_phases(FILE *out, eb_bench *b, const eb_run_meta *meta)
{
    size_t n, shown = 0;
    char warm[256] = "", span[256] = "";
    if (meta && meta->span) {
        snprintf(span, sizeof span, "%s", meta->span);
        snprintf(warm, sizeof warm, "%s (warmup)", meta->span);
    }
    agg *a = aggregate_locked(b, &n);
    for (size_t k = 0; a && k < n; k++) {
        if (strcmp(a[k].name, span) == 0 || strcmp(a[k].name, warm) == 0 ||
            strcmp(a[k].name, "idle") == 0)
            continue;
        if (!shown++)
            fprintf(out, "\n phases (the program's windows):\n");
        const eb_result *r = &a[k].sum;
        char e[32];
        if (isnan(r->total_energy_j))
            snprintf(e, sizeof e, "%s", "<not supported>");
        else
            snprintf(e, sizeof e, "%.3f J", r->total_energy_j);
        fprintf(out, "   %-24s %6zu call%s %12.6f s %16s %10.2f W avg", a[k].name, a[k].calls,
                a[k].calls == 1 ? " " : "s", a[k].duration_s, e,
                a[k].duration_s > 0 ? r->total_energy_j / a[k].duration_s : NAN);
        for (size_t w = 0; w < a[k].n_work; w++) {
            double per_j;
            const char *label;
            efficiency(&a[k].work[w], r->total_energy_j, &per_j, &label);
            fprintf(out, "  %.4g %s%s", per_j, label ? "TFLOP/J" : a[k].work[w].unit,
                    label ? "" : "/J");
        }
        fputc('\n', out);
        /* what each device took of it (an idle GPU beside a busy one, the CPU
         * estimate beside a measurement), where there is more than one */
        for (size_t d = 0; b->n_dom > 1 && d < b->n_dom; d++) {
            const eb_domain_energy *e = &r->domains[d];
            if (isnan(e->energy_j))
                continue;
            fprintf(out, "     %-23s %26s %13.3f J %10.2f W avg%s\n", b->dom[d].info.id, "",
                    e->energy_j, a[k].duration_s > 0 ? e->energy_j / a[k].duration_s : NAN,
                    b->dom[d].desc.in_total ? "" : "  (part of another)");
        }
    }
    free(a);
}

EB_EXPORT int eb_print_report(eb_bench *b, FILE *out, const eb_run_meta *meta)
{
    char cmd[512], runs[64] = "";
    eb__summary s;

    if (!b || !out)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    eb__summarize_locked(b, meta, &s);
    const eb_stats *st = s.reps >= 2 ? &s.st : NULL;
    if (s.reps >= 2)
        snprintf(runs, sizeof runs, " (%zu runs%s)", s.reps, s.warmup ? ", after warm-up" : "");
    if (meta && meta->argv) {
        join_argv(cmd, sizeof cmd, meta->argv);
        fprintf(out, "\n Energy stats for '%s'%s:\n\n", cmd, runs);
    } else {
        fprintf(out, "\n Energy stats%s:\n\n", runs);
    }
    for (size_t i = 0; i < b->n_dom; i++)
        print_row(out, &b->dom[i].info, &s.r.domains[i], s.r.duration_s,
                  st ? &st->energy_j[i] : NULL);
    print_total(out, b, &s.r, st ? &st->total_energy_j : NULL);
    fprintf(out, "\n");
    char ci[32];
    fmt_ci(ci, sizeof ci, st ? &st->duration_s : NULL);
    fprintf(out, " %18.9f seconds time elapsed%s\n", st ? st->duration_s.mean : s.elapsed_s, ci);
    if (meta && !isnan(meta->user_s))
        fprintf(out, " %18.9f seconds user\n", meta->user_s);
    if (meta && !isnan(meta->sys_s))
        fprintf(out, " %18.9f seconds sys\n", meta->sys_s);
    for (size_t k = 0; st && k < st->n_outliers; k++)
        fprintf(out, " outlier: run %zu (its total energy is far from the median of the runs)\n",
                st->outliers[k] + 1);
    print_phases(out, b, meta);
    print_idle(out, b, &s, meta);
    print_steady(out, b, &s);
    print_efficiency(out, b, &s);
    fprintf(out, "\n");
    print_accounting(out, &s);
    print_notes(out, b);
    fprintf(out, "\n");
    pthread_mutex_unlock(&b->lock);
    return ferror(out) ? EB_EIO : EB_OK;
}

/* A window's work (eb_add_work): per joule, as people quote it, and per
 * second, over all its calls. */
static void print_window_work(FILE *out, const agg *a)
{
    for (size_t w = 0; w < a->n_work; w++) {
        const eb__work *wk = &a->work[w];
        double per_j;
        const char *label;
        char unit_label[64];
        efficiency(wk, a->sum.total_energy_j, &per_j, &label);
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
    size_t n;

    if (!b || !out)
        return EB_EINVAL;
    eb__settle_windows(b);
    pthread_mutex_lock(&b->lock);
    agg *a = aggregate_locked(b, &n);
    if (!a) {
        pthread_mutex_unlock(&b->lock);
        return eb__fail(b, EB_ENOMEM, "no memory to aggregate windows");
    }
    fprintf(out, "\n ebench results (%zu window%s measured)\n", b->closed_win.n,
            b->closed_win.n == 1 ? "" : "s");
    for (size_t k = 0; k < n; k++) {
        fprintf(out, "\n %s: %zu call%s, %.6f s\n", a[k].name, a[k].calls,
                a[k].calls == 1 ? "" : "s", a[k].duration_s);
        for (size_t d = 0; d < b->n_dom; d++)
            print_row(out, &b->dom[d].info, &a[k].sum.domains[d], a[k].duration_s, NULL);
        print_total(out, b, &a[k].sum, NULL);
        print_window_work(out, &a[k]);
    }
    if (n == 0)
        fprintf(out, "\n no window has been closed yet (eb_begin/eb_end, eb_measure)\n");
    print_notes(out, b);
    fprintf(out, "\n");
    free(a);
    pthread_mutex_unlock(&b->lock);
    return ferror(out) ? EB_EIO : EB_OK;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *num(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
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
    json_object_set_new(o, "idle_power_w", num(e->idle_power_w));
    json_object_set_new(o, "net_energy_j", num(e->net_energy_j));
    json_object_set_new(o, "unreliable", json_boolean(e->unreliable));
    json_object_set_new(
        o, "steady_state",
        s->reps >= 2
            ? json_null()
            : json_pack("{s:b, s:o, s:o, s:o}", "settled", isfinite(s->steady_from_s[idx]),
                        "from_s", num(s->steady_from_s[idx]), "avg_power_w",
                        num(s->steady_power_w[idx]), "energy_j", num(s->steady_energy_j[idx])));
    json_object_set_new(o, "simulated", json_boolean(i->simulated));
    json_object_set_new(o, "uuid", str_or_null(i->uuid));
    json_object_set_new(o, "pci_bus_id", str_or_null(i->pci_bus_id));
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
    size_t n;
    agg *a = aggregate_locked(b, &n);
    json_t *arr = json_array();
    if (!a)
        return arr;
    for (size_t k = 0; k < n; k++) {
        json_t *doms = json_array();
        for (size_t d = 0; d < b->n_dom; d++) {
            const eb_domain_energy *e = &a[k].sum.domains[d];
            json_array_append_new(doms, json_pack("{s:s, s:o, s:o, s:o, s:o}", "id",
                                                  b->dom[d].info.id, "energy_j", num(e->energy_j),
                                                  "avg_power_w", num(e->avg_power_w),
                                                  "peak_power_w", num(e->peak_power_w),
                                                  "peak_power_span_s", num(e->peak_span_s)));
        }
        json_t *work = json_array();
        for (size_t w = 0; w < a[k].n_work; w++) {
            double per_j;
            const char *label;
            efficiency(&a[k].work[w], a[k].sum.total_energy_j, &per_j, &label);
            json_array_append_new(work,
                                  json_pack("{s:s, s:f, s:o}", "unit", a[k].work[w].unit, "amount",
                                            a[k].work[w].amount, "per_joule", num(per_j)));
        }
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:f, s:o, s:o, s:o}", "name", a[k].name, "calls",
                           (json_int_t)a[k].calls, "duration_s", a[k].duration_s, "energy_j",
                           num(a[k].sum.total_energy_j), "domains", doms, "work", work));
    }
    free(a);
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
                     "{s:s, s:f, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "unit", w->unit, "amount",
                     w->amount, "per_joule_unit", per_unit, "per_joule", num(per_j),
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

static json_t *accounting_json(const eb__summary *s)
{
    return json_pack("{s:o, s:f, s:b, s:f, s:s, s:o, s:o, s:o, s:f, s:o, s:o}", "energy_kwh",
                     num(s->kwh), "pue", s->pue, "pue_assumed", s->pue_assumed, "carbon_g_per_kwh",
                     s->intensity, "carbon_source", s->intensity_source, "co2_g", num(s->co2_g),
                     "price_per_kwh", num(s->price), "cost", num(s->cost), "nodes", s->nodes,
                     "node_hours", num(s->node_hours), "gpu_hours", num(s->gpu_hours));
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
        json_array_append_new(
            arr, json_pack("{s:s, s:f, s:f}", "name", w[i].name, "t0_s", w[i].t0, "t1_s", w[i].t1));
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
    return json_pack("{s:o, s:o, s:s, s:o, s:o}", "id", j.id ? json_string(j.id) : json_null(),
                     "step", j.step ? json_string(j.step) : json_null(), "node", host, "rank",
                     j.rank >= 0 ? json_integer(j.rank) : json_null(), "local_rank",
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
    const eb_result *r = &s.r;
    json_t *doms = json_array(), *unav = json_array(), *warn = json_array();
    for (size_t i = 0; i < b->n_dom; i++)
        json_array_append_new(doms, domain_json(&b->dom[i], &r->domains[i], &s, i));
    const eb_unavailable *u = b->unavailable.v;
    for (size_t i = 0; i < b->unavailable.n; i++)
        json_array_append_new(unav, json_pack("{s:s, s:s, s:s}", "source", u[i].source, "what",
                                              u[i].what, "reason", u[i].reason));
    for (size_t i = 0; i < b->warnings.n; i++)
        json_array_append_new(warn, json_string(((char **)b->warnings.v)[i]));

    json_t *cmd = json_null();
    if (meta && meta->argv) {
        cmd = json_array();
        for (size_t i = 0; meta->argv[i]; i++)
            json_array_append_new(cmd, json_string(meta->argv[i]));
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
                        json_string(meta && meta->idle_note ? meta->idle_note : "not measured"));
    json_object_set_new(root, "steady_state_rule",
                        json_string(s.reps >= 2      ? "not computed for repetitions"
                                    : s.steady_given ? "given with --skip"
                                                     : EB__STEADY_RULE " (docs/METHODOLOGY.md)"));
    json_object_set_new(root, "efficiency", efficiency_json(b, &s));
    json_object_set_new(root, "edp_j_s", num(s.edp));
    json_object_set_new(root, "accounting", accounting_json(&s));
    json_object_set_new(root, "span_t0_s", num(s.reps >= 2 ? NAN : s.t0));
    json_object_set_new(root, "phases", phases_json(b));
    json_object_set_new(root, "timeline", timeline_json(b));
    json_object_set_new(root, "job", job_json(host));
    pthread_mutex_unlock(&b->lock);
    return root;
}

EB_EXPORT int eb_write_json(eb_bench *b, FILE *out, const eb_run_meta *meta)
{
    if (!b || !out)
        return EB_EINVAL;
    eb__settle_windows(b);
    json_t *root = report_json(b, meta);
    if (!root)
        return eb__fail(b, EB_ENOMEM, "cannot build the JSON report");
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
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
            const eb__sample *sm = &s->v[at[d]++];
            if (isnan(sm->power_w))
                fprintf(out, "%.6f,%s,,%.6f\n", sm->t_s, b->dom[d].info.id, sm->energy_j);
            else
                fprintf(out, "%.6f,%s,%.3f,%.6f\n", sm->t_s, b->dom[d].info.id, sm->power_w,
                        sm->energy_j);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return ferror(out) ? eb__fail(b, EB_EIO, "cannot write the CSV timeline") : EB_OK;
}

static int save(eb_bench *b, const char *path, const eb_run_meta *meta, int json)
{
    eb__afile a;
    if (!b || !path)
        return EB_EINVAL;
    int rc = eb__afile_open_stream(&a, path);
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
