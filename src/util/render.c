/*
 * render.c - the run table from the JSON report (render.h). Everything it
 * prints is in the report: a figure the report does not have is not made
 * up here, and a merged report says what it does not carry.
 */
#include "render.h"

#include <math.h>
#include <string.h>

/* ---- rows, shared with eb_print_results -------------------------------- */

static void fmt_num(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.*f", decimals, v);
}

/* What a peak is a mean over: "/100ms", "/1.0s"; blank with no peak. */
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
static void fmt_ci(char *buf, size_t len, size_t n, double mean, double ci95)
{
    if (n >= 2 && mean > 0 && !isnan(ci95))
        snprintf(buf, len, "  ( +- %.1f%% )", 100 * ci95 / mean);
    else
        buf[0] = '\0';
}

void eb__render_row(FILE *out, const eb__row *r)
{
    char avg[32], peak[32], span[32], ci[32], extra[200] = "";
    size_t used = 0;

    if (r->part_of)
        used += (size_t)snprintf(extra + used, sizeof extra - used, ", part of %s", r->part_of);
    if (!isnan(r->lost_at_s) && used < sizeof extra)
        used +=
            (size_t)snprintf(extra + used, sizeof extra - used, ", LOST at %.3f s", r->lost_at_s);
    if (r->covered_s < r->duration_s - 1e-9 && !isnan(r->energy_j) && used < sizeof extra)
        used += (size_t)snprintf(extra + used, sizeof extra - used,
                                 ", partial: covers %.3f of %.3f s", r->covered_s, r->duration_s);
    if (r->unreliable && used < sizeof extra)
        used += (size_t)snprintf(extra + used, sizeof extra - used,
                                 ", UNRELIABLE: under 2 sensor updates of %g ms in the window; "
                                 "repeat it",
                                 r->update_period_s * 1e3);
    if (r->provisional && used < sizeof extra)
        snprintf(extra + used, sizeof extra - used,
                 ", provisional: the counter has not moved since; final after eb_stop");
    if (isnan(r->energy_j)) {
        fprintf(out, " %16s    %-16s   %s%s\n", "<not supported>", r->id,
                "no valid sample in this window", extra);
        return;
    }
    fmt_num(avg, sizeof avg, r->avg_power_w, 2);
    fmt_num(peak, sizeof peak, r->peak_power_w, 2);
    fmt_span(span, sizeof span, r->peak_span_s);
    fmt_ci(ci, sizeof ci, r->ci_n, r->ci_mean, r->ci95);
    fprintf(out, " %16.3f J +-%3.0f%%  %-14s # %9s W avg %9s W peak%-7s  %s%s%s%s%s\n", r->energy_j,
            100 * r->uncertainty_rel, r->id, avg, peak, span, r->method,
            r->estimate ? " (estimate)" : "", r->simulated ? " (simulated)" : "", extra, ci);
}

void eb__render_total(FILE *out, double energy_j, double uncertainty_j, double avg_power_w,
                      int estimate, int incomplete, size_t ci_n, double ci_mean, double ci95)
{
    char avg[32], ci[32];
    if (isnan(energy_j)) {
        fprintf(out, " %16s    %-16s\n", "<not supported>", "total");
        return;
    }
    double rel = energy_j > 0 ? 100 * uncertainty_j / energy_j : 0;
    fmt_num(avg, sizeof avg, avg_power_w, 2);
    fmt_ci(ci, sizeof ci, ci_n, ci_mean, ci95);
    fprintf(out, " %16.3f J +-%3.0f%%  %-14s # %9s W avg%s%s%s\n", energy_j, rel, "total", avg,
            estimate ? "                   includes an estimate" : "",
            incomplete ? "   incomplete: a domain above is missing or partial" : "", ci);
}

/* ---- reading the report ----------------------------------------------- */

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *str_or_null(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int flag(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static size_t count(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (size_t)json_integer_value(v) : 0;
}

static int is_gpu(const json_t *d)
{
    return strcmp(str(d, "kind"), "gpu") == 0;
}

/* ---- the sections, in the order the table has them -------------------- */

static void render_title(FILE *out, json_t *r, const char *from)
{
    json_t *cmd = json_object_get(r, "command"), *reps = json_object_get(r, "repetitions");
    char runs[64] = "", line[512] = "";
    if (json_is_object(reps))
        snprintf(runs, sizeof runs, " (%zu runs%s)", count(reps, "n"),
                 count(reps, "warmup") ? ", after warm-up" : "");
    if (json_is_array(cmd)) {
        size_t used = 0;
        for (size_t i = 0; i < json_array_size(cmd) && used + 1 < sizeof line; i++) {
            const char *a = json_string_value(json_array_get(cmd, i));
            used +=
                (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "", a ? a : "");
        }
        fprintf(out, "\n Energy stats for '%s'%s:\n", line, runs);
    } else {
        fprintf(out, "\n Energy stats%s:\n", runs);
    }
    if (from)
        fprintf(out, " (from %s: %s, %s)\n", from, str(r, "hostname"), str(r, "start_time"));
    if (flag(r, "checkpoint")) /* written as the run went: it may have been killed */
        fprintf(out,
                " CHECKPOINT: written while the run was going, not at its end (it was killed, "
                "or is still running): the figures cover its first %.1f s\n",
                num(r, "duration_s"));
    fprintf(out, "\n");
}

static void render_domains(FILE *out, json_t *r)
{
    json_t *doms = json_object_get(r, "domains"), *reps = json_object_get(r, "repetitions"), *d;
    json_t *rdoms = json_object_get(reps, "domains");
    double dur = num(r, "duration_s");
    /* a merged report's duration is its longest node's: another node's
     * shorter run is not a partial one */
    int merged = json_is_array(json_object_get(r, "nodes"));
    size_t i;
    json_array_foreach(doms, i, d)
    {
        double e = num(d, "energy_j"), rel = num(d, "uncertainty_rel");
        if (isnan(rel)) /* reports from before uncertainty_rel */
            rel = e > 0 ? num(d, "uncertainty_j") / e : 0;
        json_t *st = json_array_get(rdoms, i);
        eb__row row = {
            .id = str(d, "id"),
            .method = str(d, "method"),
            .energy_j = e,
            .uncertainty_rel = rel,
            .avg_power_w = num(d, "avg_power_w"),
            .peak_power_w = num(d, "peak_power_w"),
            .peak_span_s = num(d, "peak_power_span_s"),
            .estimate = flag(d, "estimate"),
            .simulated = flag(d, "simulated"),
            .part_of = str_or_null(d, "part_of"),
            .lost_at_s = num(d, "lost_at_s"),
            .covered_s =
                json_is_number(json_object_get(d, "covered_s")) ? num(d, "covered_s") : dur,
            .duration_s = merged ? -INFINITY : dur,
            .unreliable = flag(d, "unreliable"),
            .update_period_s = num(d, "update_period_s"),
            .provisional = flag(d, "provisional"),
            .ci_n = count(st, "n"),
            .ci_mean = num(st, "mean"),
            .ci95 = num(st, "ci95"),
        };
        eb__render_row(out, &row);
    }
    json_t *t = json_object_get(r, "total"), *te = json_object_get(reps, "energy_j");
    eb__render_total(out, num(t, "energy_j"), num(t, "uncertainty_j"), num(t, "avg_power_w"),
                     flag(t, "estimate"), json_is_false(json_object_get(t, "complete")),
                     count(te, "n"), num(te, "mean"), num(te, "ci95"));
}

static void render_times(FILE *out, json_t *r)
{
    json_t *reps = json_object_get(r, "repetitions"), *dur = json_object_get(reps, "duration_s");
    char ci[32];
    double elapsed = num(r, "elapsed_s");
    if (json_is_object(reps))
        elapsed = num(dur, "mean");
    else if (isnan(elapsed))
        elapsed = num(r, "duration_s");
    fmt_ci(ci, sizeof ci, count(dur, "n"), num(dur, "mean"), num(dur, "ci95"));
    fprintf(out, "\n %18.9f seconds time elapsed%s\n", elapsed, ci);
    if (!isnan(num(r, "user_s")))
        fprintf(out, " %18.9f seconds user\n", num(r, "user_s"));
    if (!isnan(num(r, "sys_s")))
        fprintf(out, " %18.9f seconds sys\n", num(r, "sys_s"));
    json_t *o;
    size_t i;
    json_array_foreach(json_object_get(reps, "outliers"), i, o)
        fprintf(out, " outlier: run %lld (its total energy is far from the median of the runs)\n",
                (long long)json_integer_value(o) + 1);
}

/* The program's own windows: energy per phase, beside the run's own spans. */
static void render_phases(FILE *out, json_t *r)
{
    const char *span = str(r, "span");
    char warm[300];
    snprintf(warm, sizeof warm, "%s (warmup)", span);
    json_t *doms = json_object_get(r, "domains"), *w, *d, *k;
    size_t i, j, shown = 0, n_dom = json_array_size(doms);
    json_array_foreach(json_object_get(r, "windows"), i, w)
    {
        const char *name = str(w, "name");
        if ((*span && (strcmp(name, span) == 0 || strcmp(name, warm) == 0)) ||
            strcmp(name, "idle") == 0)
            continue;
        if (!shown++)
            fprintf(out, "\n phases (the program's windows):\n");
        double te = num(w, "energy_j"), dur = num(w, "duration_s");
        size_t calls = count(w, "calls");
        char e[32];
        if (isnan(te))
            snprintf(e, sizeof e, "%s", "<not supported>");
        else
            snprintf(e, sizeof e, "%.3f J", te);
        fprintf(out, "   %-24s %6zu call%s %12.6f s %16s %10.2f W avg", name, calls,
                calls == 1 ? " " : "s", dur, e, dur > 0 ? te / dur : NAN);
        json_array_foreach(json_object_get(w, "work"), j, k)
        {
            int flop = strcmp(str(k, "unit"), "flop") == 0;
            fprintf(out, "  %.4g %s%s", num(k, "per_joule"), flop ? "TFLOP/J" : str(k, "unit"),
                    flop ? "" : "/J");
        }
        fputc('\n', out);
        /* what each device took of it, where there is more than one */
        json_array_foreach(json_object_get(w, "domains"), j, d)
        {
            double de = num(d, "energy_j");
            if (n_dom <= 1 || isnan(de))
                continue;
            json_t *info = json_array_get(doms, j);
            fprintf(out, "     %-23s %26s %13.3f J %10.2f W avg%s\n", str(d, "id"), "", de,
                    dur > 0 ? de / dur : NAN,
                    json_is_false(json_object_get(info, "in_total")) ? "  (part of another)" : "");
        }
    }
}

static void render_idle(FILE *out, json_t *r)
{
    const char *note = str(r, "idle_baseline");
    if (!*note || strcmp(note, "not measured") == 0) {
        fprintf(out, "\n idle baseline: not measured (--idle SECONDS or --idle-power DOMAIN=W)\n");
        return;
    }
    fprintf(out, "\n idle baseline (%s):\n", note);
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(r, "domains"), i, d)
    {
        if (isnan(num(d, "idle_power_w")))
            fprintf(out, " %16s    %-16s no baseline\n", "-", str(d, "id"));
        else
            fprintf(out, " %14.2f W    %-16s # %12.3f J above idle\n", num(d, "idle_power_w"),
                    str(d, "id"), num(d, "net_energy_j"));
    }
    double net = num(json_object_get(r, "total"), "net_energy_j");
    if (!isnan(net))
        fprintf(out, " %16s    %-16s # %12.3f J above idle\n", "", "total", net);
}

/* The command's attributed share of the CPU energy (ebench run). */
static void render_attribution(FILE *out, json_t *r)
{
    json_t *a = json_object_get(r, "attribution"), *d;
    if (!json_is_object(a))
        return;
    if (isnan(num(a, "share"))) {
        fprintf(out, "\n attribution: not computed: %s\n", str(a, "reason"));
        return;
    }
    int reps = json_is_object(json_object_get(r, "repetitions"));
    fprintf(out,
            "\n attribution (the command's share of the machine's busy CPU time%s: %.3f of %.3f "
            "CPU-s, %.1f%%, of the energy above idle):\n",
            reps ? ", per run" : "", num(a, "command_cpu_s"), num(a, "machine_busy_cpu_s"),
            100 * num(a, "share"));
    size_t i;
    json_array_foreach(json_object_get(a, "domains"), i, d)
    {
        if (flag(d, "idle_included"))
            fprintf(out,
                    " %16.3f J    %-16s # of %.3f J for the whole machine, its idle power "
                    "included (no baseline: --idle)\n",
                    num(d, "attributed_j"), str(d, "id"), num(d, "energy_j"));
        else
            fprintf(out,
                    " %16.3f J    %-16s # of %.3f J for the whole machine, %.3f J of it at rest\n",
                    num(d, "attributed_j"), str(d, "id"), num(d, "energy_j"), num(d, "idle_j"));
    }
}

static void render_steady(FILE *out, json_t *r)
{
    if (json_is_object(json_object_get(r, "repetitions")))
        return;
    json_t *doms = json_object_get(r, "domains"), *d;
    size_t i, have = 0;
    json_array_foreach(doms, i, d) have += json_is_object(json_object_get(d, "steady_state"));
    const char *rule = str(r, "steady_state_rule");
    if (!have) { /* a merged report: one line says so */
        fprintf(out, "\n steady state: %s\n", *rule ? rule : "not in this report");
        return;
    }
    fprintf(out, "\n steady state (%s):\n", rule);
    double dur = num(r, "duration_s");
    json_array_foreach(doms, i, d)
    {
        json_t *st = json_object_get(d, "steady_state");
        double from = num(st, "from_s");
        if (flag(st, "too_few_samples"))
            fprintf(out, "   %-16s too few samples to tell\n", str(d, "id"));
        else if (isnan(from))
            fprintf(out, "   %-16s never settled\n", str(d, "id"));
        else
            fprintf(out, "   %-16s from %.3f s: %.2f W (%.3f J in %.3f s)\n", str(d, "id"), from,
                    num(st, "avg_power_w"), num(st, "energy_j"), dur - from);
    }
}

static void render_efficiency(FILE *out, json_t *r)
{
    int reps = json_is_object(json_object_get(r, "repetitions"));
    double total = num(json_object_get(r, "total"), "energy_j");
    json_t *e, *g;
    size_t i, j;
    json_array_foreach(json_object_get(r, "efficiency"), i, e)
    {
        const char *unit = str(e, "unit");
        double amount = num(e, "amount"), per_j = num(e, "per_joule");
        char label[64];
        if (strcmp(unit, "flop") == 0)
            snprintf(label, sizeof label, "TFLOP/J (= TFLOPS/W)");
        else
            snprintf(label, sizeof label, "%s/J", unit);
        fprintf(out, "\n efficiency, %g %s%s:\n", amount, unit, reps ? " per run" : "");
        if (isnan(per_j)) {
            fprintf(out, "   null: no energy was measured, so no efficiency\n");
            continue;
        }
        double rel = num(e, "uncertainty_rel");
        char pm[32] = "";
        if (!isnan(rel)) /* a report that does not say has no "+-" */
            snprintf(pm, sizeof pm, " +-%.0f%%", 100 * rel);
        fprintf(out, "   %12.6g %s%s  total;  %.6g J per %s\n", per_j, label, pm, total / amount,
                unit);
        double gpus = num(e, "gpus_per_joule");
        if (isnan(gpus))
            continue;
        fprintf(out, "   %12.6g %-22s GPUs only; per GPU (work split evenly):", gpus, "");
        json_array_foreach(json_object_get(e, "per_gpu"), j, g)
            fprintf(out, " %s %.6g", str(g, "id"), num(g, "per_joule"));
        fputc('\n', out);
    }
    if (!isnan(num(r, "edp_j_s")))
        fprintf(out, "\n energy-delay product: %.6g J*s\n", num(r, "edp_j_s"));
}

static void render_accounting(FILE *out, json_t *r)
{
    json_t *a = json_object_get(r, "accounting"), *d;
    double kwh = num(a, "energy_kwh"), pue = num(a, "pue"), price = num(a, "price_per_kwh");
    if (isnan(kwh))
        return;
    int reps = json_is_object(json_object_get(r, "repetitions"));
    fprintf(out, " %s: %.6g kWh x PUE %.2f%s -> %.4g gCO2e at %g g/kWh (%s)",
            reps ? "per run" : "energy", kwh / pue, pue,
            flag(a, "pue_assumed") ? " (assumed; --pue)" : "", num(a, "co2_g"),
            num(a, "carbon_g_per_kwh"), str(a, "carbon_source"));
    if (isnan(price))
        fprintf(out, "; cost: --price not given\n");
    else
        fprintf(out, "; cost %.4g at %g per kWh\n", num(a, "cost"), price);
    size_t i, gpus = 0;
    json_array_foreach(json_object_get(r, "domains"), i, d) gpus += is_gpu(d);
    double nodes = num(a, "nodes");
    fprintf(out, " allocation: %.4g node-hours (%g node%s), %.4g GPU-hours (%zu GPU%s)\n",
            num(a, "node_hours"), nodes, nodes == 1 ? "" : "s", num(a, "gpu_hours"), gpus,
            gpus == 1 ? "" : "s");
}

static void render_notes(FILE *out, json_t *r)
{
    int header = 0;
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(r, "domains"), i, d)
    {
        if (!str_or_null(d, "note"))
            continue;
        if (!header++)
            fprintf(out, "\n");
        fprintf(out, " %s: %s\n", str(d, "id"), str(d, "note"));
    }
    json_array_foreach(json_object_get(r, "unavailable"), i, d)
    {
        if (!header++)
            fprintf(out, "\n");
        if (strcmp(str(d, "source"), str(d, "what")) == 0)
            fprintf(out, " %s: not available: %s\n", str(d, "source"), str(d, "reason"));
        else
            fprintf(out, " %s %s: not available: %s\n", str(d, "source"), str(d, "what"),
                    str(d, "reason"));
    }
    json_array_foreach(json_object_get(r, "warnings"), i, d)
    {
        if (!header++)
            fprintf(out, "\n");
        fprintf(out, " warning: %s\n", json_string_value(d) ? json_string_value(d) : "");
    }
    if (str_or_null(r, "energy_note"))
        fprintf(out, " %s\n", str(r, "energy_note"));
}

void eb__render_report(FILE *out, json_t *r, const char *from)
{
    render_title(out, r, from);
    render_domains(out, r);
    render_times(out, r);
    render_phases(out, r);
    render_idle(out, r);
    render_attribution(out, r);
    render_steady(out, r);
    render_efficiency(out, r);
    fprintf(out, "\n");
    render_accounting(out, r);
    render_notes(out, r);
    fprintf(out, "\n");
}
