/*
 * summary.c - everything a run report says, computed once from the timeline
 * for the table and the JSON alike: the span (one run of the command, or its
 * repetitions), statistics, steady state, idle baseline, efficiency, carbon,
 * cost and allocation.
 */
#include <math.h>
#include <string.h>

#include "../analysis/analysis.h"
#include "internal.h"

static void mean_result(eb_bench *b, const char *span, eb__summary *s)
{
    eb__result *r = &s->r;
    eb__window_stats_locked(b, span, &s->st);
    memset(r, 0, sizeof *r);
    r->n_domains = b->n_dom;
    r->duration_s = s->st.duration_s.mean;
    r->total_energy_j = s->st.total_energy_j.mean;
    for (size_t d = 0; d < b->n_dom; d++) {
        eb_domain_energy *e = &r->domains[d];
        e->energy_j = s->st.energy_j[d].mean;
        e->peak_power_w = e->lost_at_s = e->peak_span_s = NAN;
        e->method = b->dom[d].desc.method;
    }
    /* peaks, coverage and samples over every repetition, folded ones too */
    eb__fold_set g = {0};
    eb__window_fold_locked(b, span, &g, NULL);
    const eb__fold *f = g.n ? &g.a[0] : NULL;
    for (size_t d = 0; f && d < b->n_dom; d++) {
        eb_domain_energy *e = &r->domains[d];
        const eb_domain_energy *one = &f->dom[d];
        e->peak_power_w = one->peak_power_w;
        e->peak_span_s = one->peak_span_s;
        e->provisional = one->provisional;
        e->samples = one->samples;
        e->covered_s = one->covered_s / (double)s->reps;
        e->unreliable = one->unreliable;
        e->lost_at_s = one->lost_at_s;
    }
    if (f) {
        r->total_incomplete = f->total_incomplete;
        for (size_t k = 0; k < f->n_work; k++) /* mean per repetition */
            eb__work_add(s->work, &s->n_work, f->work[k].unit, f->work[k].amount / (double)s->reps);
    }
    eb__fold_set_free(&g);
    double var = 0;
    r->total_net_energy_j = 0;
    for (size_t d = 0; d < b->n_dom; d++) {
        eb_domain_energy *e = &r->domains[d];
        e->avg_power_w = e->covered_s > 0 ? e->energy_j / e->covered_s : NAN;
        e->uncertainty_j = e->energy_j * b->dom[d].desc.uncertainty_rel;
        e->idle_power_w = b->dom[d].idle_power_w;
        e->net_energy_j = e->energy_j - e->idle_power_w * e->covered_s;
        if (b->dom[d].desc.in_total && !isnan(e->energy_j)) {
            var += e->uncertainty_j * e->uncertainty_j;
            r->total_net_energy_j += e->net_energy_j;
        }
    }
    r->total_uncertainty_j = sqrt(var);
}

static void one_span(eb_bench *b, const eb_run_meta *meta, eb__summary *s, double t0, double t1,
                     const eb__window *w)
{
    s->t0 = t0;
    s->t1 = t1;
    eb__result_locked(b, t0, t1, &s->r);
    if (w)
        for (size_t k = 0; k < w->n_work && k < EB_MAX_WORK; k++)
            s->work[s->n_work++] = w->work[k];
    s->steady_given = meta && !isnan(meta->skip_s);
    for (size_t d = 0; d < b->n_dom; d++) {
        const eb__series *se = &b->dom[d].series;
        double from =
            s->steady_given ? t0 + meta->skip_s : eb__steady_start(se->v, se->n, t0, t1, 1.0, 0.05);
        s->steady_from_s[d] = s->steady_power_w[d] = s->steady_energy_j[d] = NAN;
        if (isinf(from))
            s->steady_from_s[d] = -INFINITY;
        if (isnan(from) || isinf(from) || from >= t1)
            continue;
        eb_domain_energy e;
        eb__window_energy(se->v, se->n, from, t1, eb__peak_min_span(&b->dom[d]), &e);
        s->steady_from_s[d] = from - t0;
        s->steady_power_w[d] = e.avg_power_w;
        s->steady_energy_j[d] = e.energy_j;
    }
}

void eb__summarize_locked(eb_bench *b, const eb_run_meta *meta, eb__summary *s)
{
    const char *span = meta ? meta->span : NULL;
    const eb__window *w = b->closed_win.v, *last = NULL;
    char warm[256];

    memset(s, 0, sizeof *s);
    if (span) {
        snprintf(warm, sizeof warm, "%s (warmup)", span);
        for (size_t i = 0; i < b->closed_win.n; i++)
            if (strcmp(w[i].name, span) == 0)
                last = &w[i];
        s->reps = eb__window_calls_locked(b, span);
        s->warmup = eb__window_calls_locked(b, warm);
    }
    if (s->reps >= 2 || (s->reps == 1 && !last))
        mean_result(b, span, s);
    else if (s->reps == 1)
        one_span(b, meta, s, last->t0, last->t1, last);
    else
        one_span(b, meta, s, 0.0, b->stopped ? b->t_stop : eb__tick_locked(b), NULL);
    if (s->reps >= 2)
        for (size_t d = 0; d < b->n_dom; d++)
            s->steady_from_s[d] = s->steady_power_w[d] = s->steady_energy_j[d] = NAN;

    s->elapsed_s = meta && !isnan(meta->elapsed_s) ? meta->elapsed_s : s->r.duration_s;
    for (size_t d = 0; d < b->n_dom; d++) {
        if (strcmp(b->dom[d].desc.kind, "gpu") != 0)
            continue;
        s->n_gpus++;
        if (!isnan(s->r.domains[d].energy_j))
            s->gpu_energy_j += s->r.domains[d].energy_j;
    }

    /* Carbon, cost and allocation, per run of the command. */
    s->pue_assumed = !meta || isnan(meta->pue) || meta->pue <= 0;
    s->pue = s->pue_assumed ? 1.0 : meta->pue;
    if (meta && !isnan(meta->carbon_g_per_kwh)) {
        s->intensity = meta->carbon_g_per_kwh;
        s->intensity_source = meta->carbon_source ? meta->carbon_source : "given";
    } else {
        s->intensity = eb__world.g_per_kwh;
        s->intensity_source = "world average (default; set --region or --carbon-intensity)";
    }
    s->price = meta ? meta->price_per_kwh : NAN;
    s->nodes = meta && meta->nodes > 0 ? meta->nodes : 1;
    s->kwh = s->r.total_energy_j * s->pue / 3.6e6;
    s->co2_g = s->kwh * s->intensity;
    s->cost = s->kwh * s->price;
    s->node_hours = s->elapsed_s * s->nodes / 3600;
    s->gpu_hours = s->elapsed_s * (double)s->n_gpus / 3600;
    s->edp = s->r.total_energy_j * s->r.duration_s;

    /* Attribution: the command's CPU time over the machine's busy CPU time
     * (a share of 1 at most: its children's time counted on another clock
     * can exceed the machine's by a tick) */
    s->cmd_cpu_s = meta ? meta->user_s + meta->sys_s : NAN;
    s->machine_cpu_s = meta ? meta->machine_cpu_s : NAN;
    s->cpu_share = NAN;
    s->attr_reason = NULL;
    if (!(s->cmd_cpu_s >= 0) || isnan(s->machine_cpu_s))
        s->attr_reason = NULL; /* not a command run: nothing to attribute */
    else if (!(s->machine_cpu_s >= EB__ATTR_MIN_CPU_S))
        s->attr_reason = "the machine was busy for under 0.05 CPU-s over the run: too little to "
                         "share out (its busy time is counted in 10 ms ticks)";
    else
        s->cpu_share = fmin(1.0, s->cmd_cpu_s / s->machine_cpu_s);
}
