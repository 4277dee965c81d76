/*
 * cmd_report.c - `ebench report FILE.json`: a saved run printed again, as the
 * table, as CSV (one row per domain) or as JSON.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report_file.h"

static const char report_usage[] =
    "usage: ebench report [--format table|csv|json] FILE.json\n"
    "\n"
    "Prints a run saved with `ebench run --json FILE` again: the table as\n"
    "ebench run printed it (energy, uncertainty, power, method per domain, the\n"
    "total, idle baseline, efficiency, carbon), CSV with one row per domain, or\n"
    "the JSON itself after checking it.\n";

json_t *eb_cli_load_report(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        fprintf(stderr, "ebench: %s:%d:%d: %s\n", path, err.line, err.column, err.text);
        return NULL;
    }
    const char *schema = json_string_value(json_object_get(root, "schema"));
    if (!schema || strcmp(schema, "ebench-report/1") != 0 ||
        !json_is_array(json_object_get(root, "domains")) ||
        !json_is_object(json_object_get(root, "total"))) {
        fprintf(stderr,
                "ebench: %s: not an ebench report (schema \"%s\", expected \"ebench-report/1\" "
                "with domains and total)\n",
                path, schema ? schema : "missing");
        json_decref(root);
        return NULL;
    }
    return root;
}

double eb_cli_num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void print_table(json_t *r, const char *path)
{
    json_t *cmd = json_object_get(r, "command"), *reps = json_object_get(r, "repetitions");
    char runs[64] = "";
    if (json_is_object(reps))
        snprintf(runs, sizeof runs, " (%lld runs)",
                 (long long)json_integer_value(json_object_get(reps, "n")));
    printf("\n Energy stats for '");
    for (size_t i = 0; i < json_array_size(cmd); i++)
        printf("%s%s", i ? " " : "", json_string_value(json_array_get(cmd, i)));
    printf("'%s\n (from %s: %s, %s)\n\n", runs, path, str(r, "hostname"), str(r, "start_time"));

    json_t *doms = json_object_get(r, "domains"), *d;
    size_t i;
    json_array_foreach(doms, i, d)
    {
        double e = eb_cli_num(d, "energy_j"), u = eb_cli_num(d, "uncertainty_j");
        if (isnan(e)) {
            printf(" %16s    %-14s   not measured\n", "<not supported>", str(d, "id"));
            continue;
        }
        /* what the peak is a mean over, as the run's own table says it */
        double span_s = eb_cli_num(d, "peak_power_span_s");
        char span[16] = " ";
        if (span_s > 0)
            snprintf(span, sizeof span, span_s < 0.9995 ? "/%.0fms" : "/%.1fs",
                     span_s < 0.9995 ? span_s * 1e3 : span_s);
        /* no figure: "-", as the run's own table prints it */
        char avg[32] = "-", peak[32] = "-";
        if (!isnan(eb_cli_num(d, "avg_power_w")))
            snprintf(avg, sizeof avg, "%.2f", eb_cli_num(d, "avg_power_w"));
        if (!isnan(eb_cli_num(d, "peak_power_w")))
            snprintf(peak, sizeof peak, "%.2f", eb_cli_num(d, "peak_power_w"));
        printf(" %16.3f J +-%3.0f%%  %-14s # %9s W avg %9s W peak%-7s  %s%s%s\n", e,
               e > 0 ? 100 * u / e : 0, str(d, "id"), avg, peak, span, str(d, "method"),
               json_is_true(json_object_get(d, "estimate")) ? " (estimate)" : "",
               json_is_true(json_object_get(d, "simulated")) ? " (simulated)" : "");
    }
    json_t *t = json_object_get(r, "total");
    double te = eb_cli_num(t, "energy_j");
    if (isnan(te))
        printf(" %16s    total\n", "<not supported>");
    else
        printf(" %16.3f J +-%3.0f%%  %-14s # %9.2f W avg\n", te,
               te > 0 ? 100 * eb_cli_num(t, "uncertainty_j") / te : 0, "total",
               eb_cli_num(t, "avg_power_w"));
    printf("\n %18.9f seconds time elapsed\n", eb_cli_num(r, "elapsed_s"));
    json_t *w;
    int first = 1;
    json_array_foreach(json_object_get(r, "windows"), i, w)
    {
        const char *name = str(w, "name");
        if (!strcmp(name, "run") || !strcmp(name, "run (warmup)") || !strcmp(name, "idle"))
            continue;
        if (first)
            printf("\n phases (the program's windows):\n");
        first = 0;
        printf("   %-24s %6lld call%s %12.6f s %14.3f J\n", name,
               (long long)json_integer_value(json_object_get(w, "calls")),
               json_integer_value(json_object_get(w, "calls")) == 1 ? " " : "s",
               eb_cli_num(w, "duration_s"), eb_cli_num(w, "energy_j"));
    }
    printf("\n idle baseline: %s\n", str(r, "idle_baseline"));
    if (!json_is_object(reps)) {
        printf("\n steady state (%s):\n", str(r, "steady_state_rule"));
        json_array_foreach(doms, i, d)
        {
            json_t *st = json_object_get(d, "steady_state");
            double from = eb_cli_num(st, "from_s");
            if (isnan(from))
                printf("   %-16s never settled\n", str(d, "id"));
            else
                printf("   %-16s from %.3f s: %.2f W (%.3f J)\n", str(d, "id"), from,
                       eb_cli_num(st, "avg_power_w"), eb_cli_num(st, "energy_j"));
        }
    }
    json_t *eff = json_object_get(r, "efficiency"), *e;
    json_array_foreach(eff, i, e)
    {
        double pj = eb_cli_num(e, "per_joule");
        if (isnan(pj))
            printf(" efficiency, %g %s: null (%s)\n", eb_cli_num(e, "amount"), str(e, "unit"),
                   str(e, "reason"));
        else
            printf(" efficiency, %g %s: %.6g %s total\n", eb_cli_num(e, "amount"), str(e, "unit"),
                   pj, str(e, "per_joule_unit"));
    }
    json_t *acc = json_object_get(r, "accounting");
    if (json_is_object(acc))
        printf(" %.4g gCO2e at %g g/kWh (%s), %.4g node-hours\n", eb_cli_num(acc, "co2_g"),
               eb_cli_num(acc, "carbon_g_per_kwh"), str(acc, "carbon_source"),
               eb_cli_num(acc, "node_hours"));
    json_t *un = json_object_get(r, "unavailable");
    json_array_foreach(un, i, w)
    {
        if (strcmp(str(w, "source"), str(w, "what")) == 0)
            printf(" %s: not available: %s\n", str(w, "source"), str(w, "reason"));
        else
            printf(" %s %s: not available: %s\n", str(w, "source"), str(w, "what"),
                   str(w, "reason"));
    }
    json_array_foreach(json_object_get(r, "warnings"), i, w)
        printf(" warning: %s\n", json_string_value(w));
    printf("\n");
}

static void print_num(double v)
{
    if (isnan(v))
        printf(",");
    else
        printf(",%.9g", v);
}

static void print_csv(json_t *r)
{
    json_t *d;
    size_t i;
    printf("domain,kind,method,energy_j,uncertainty_j,avg_power_w,peak_power_w,net_energy_j\n");
    json_array_foreach(json_object_get(r, "domains"), i, d)
    {
        printf("%s,%s,%s", str(d, "id"), str(d, "kind"), str(d, "method"));
        print_num(eb_cli_num(d, "energy_j"));
        print_num(eb_cli_num(d, "uncertainty_j"));
        print_num(eb_cli_num(d, "avg_power_w"));
        print_num(eb_cli_num(d, "peak_power_w"));
        print_num(eb_cli_num(d, "net_energy_j"));
        printf("\n");
    }
    json_t *t = json_object_get(r, "total");
    printf("total,,");
    print_num(eb_cli_num(t, "energy_j"));
    print_num(eb_cli_num(t, "uncertainty_j"));
    print_num(eb_cli_num(t, "avg_power_w"));
    printf(",");
    print_num(eb_cli_num(t, "net_energy_j"));
    printf("\n");
}

int eb_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *format = "table";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(report_usage, stdout);
            return 0;
        }
        if (c != 'f') {
            fputs(report_usage, stderr);
            return EB_EXIT_USAGE;
        }
        format = optarg;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "ebench report: --format '%s': expected table, csv or json\n", format);
        return EB_EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "ebench report: expected one FILE.json\n%s", report_usage);
        return EB_EXIT_USAGE;
    }
    json_t *r = eb_cli_load_report(argv[optind]);
    if (!r)
        return EB_EXIT_USAGE;
    if (strcmp(format, "table") == 0)
        print_table(r, argv[optind]);
    else if (strcmp(format, "csv") == 0)
        print_csv(r);
    else {
        json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        printf("\n");
    }
    json_decref(r);
    return fflush(stdout) == 0 ? 0 : EB_EXIT_FAIL;
}
