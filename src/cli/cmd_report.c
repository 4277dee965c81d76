/*
 * cmd_report.c - `ebench report FILE.json`: a saved run printed again, as the
 * table, as CSV (one row per domain) or as JSON.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../util/render.h"
#include "cli.h"
#include "report_file.h"

static const char report_usage[] =
    "usage: ebench report [--format table|csv|json|markdown|latex] FILE.json\n"
    "\n"
    "Prints a run saved with `ebench run --json FILE` again: the table as\n"
    "ebench run printed it (energy, uncertainty, power, method per domain, the\n"
    "total, idle baseline, efficiency, carbon), CSV with one row per domain, the\n"
    "JSON itself after checking it, or tables to paste into a paper or a ticket:\n"
    "markdown, or latex (booktabs: \\usepackage{booktabs}) of the run (a row per\n"
    "domain and the total) and of its phases (a row per window; with flop work,\n"
    "power, TFLOPS and TFLOPS/W).\n";

/* Reports before 2.3 named NVIDIA GPUs gpuN (now nvidiaN, the NVML index
 * either way): renamed on load, everywhere a domain is named, so old and new
 * reports compare domain by domain. */
static void rename_ids(json_t *v, json_t *map)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            rename_ids(e, map);
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e)
        {
            if (strcmp(key, "job") == 0)
                continue;
            json_t *to =
                json_is_string(e) && (strcmp(key, "id") == 0 || strcmp(key, "part_of") == 0)
                    ? json_object_get(map, json_string_value(e))
                    : NULL;
            if (to)
                json_string_set(e, json_string_value(to));
            else
                rename_ids(e, map);
        }
    }
}

static void legacy_gpu_ids(json_t *root)
{
    json_t *map = json_object(), *d;
    size_t i;
    json_array_foreach(json_object_get(root, "domains"), i, d)
    {
        const char *id = json_string_value(json_object_get(d, "id")),
                   *kind = json_string_value(json_object_get(d, "kind")),
                   *vendor = json_string_value(json_object_get(d, "vendor"));
        if (id && kind && vendor && strcmp(kind, "gpu") == 0 && strcmp(vendor, "nvidia") == 0 &&
            !json_object_get(d, "vendor_index") && strncmp(id, "gpu", 3) == 0 && id[3] &&
            strspn(id + 3, "0123456789") == strlen(id + 3) && strlen(id) < 24) {
            char to[32];
            snprintf(to, sizeof to, "nvidia%s", id + 3);
            json_object_set_new(map, id, json_string(to));
        }
    }
    if (json_object_size(map))
        rename_ids(root, map);
    json_decref(map);
}

json_t *eb_cli_load_report(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        if (err.line < 1) /* not read at all: no line to point at */
            fprintf(stderr, "ebench: %s: %s\n", path, err.text);
        else
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
    legacy_gpu_ids(root);
    return root;
}

double eb_cli_num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

double eb_cli_window_eff(json_t *r, const char *name, const char *unit)
{
    json_t *w;
    size_t i;
    json_array_foreach(json_object_get(r, "windows"), i, w)
    {
        const char *n = json_string_value(json_object_get(w, "name"));
        json_t *wk = json_array_get(json_object_get(w, "work"), 0);
        const char *u = json_string_value(json_object_get(wk, "unit"));
        if (n && u && strcmp(n, name) == 0 && strcmp(u, unit) == 0)
            return eb_cli_num(wk, "per_joule");
    }
    return NAN;
}

int eb_cli_common_window_work(json_t *const *r, size_t n, const char **name, const char **unit)
{
    json_t *w;
    size_t i;
    json_array_foreach(json_object_get(r[0], "windows"), i, w)
    {
        const char *nm = json_string_value(json_object_get(w, "name"));
        json_t *wk = json_array_get(json_object_get(w, "work"), 0);
        const char *u = json_string_value(json_object_get(wk, "unit"));
        size_t len = nm ? strlen(nm) : 0, k = 0;
        if (!nm || !u || strcmp(nm, "run") == 0 || strcmp(nm, "idle") == 0 ||
            (len >= 9 && strcmp(nm + len - 9, " (warmup)") == 0))
            continue;
        while (k < n && eb_cli_window_eff(r[k], nm, u) > 0)
            k++;
        if (k == n) {
            *name = nm;
            *unit = u;
            return 1;
        }
    }
    return 0;
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
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

/* ---- tables for a paper or a ticket: Markdown and LaTeX (booktabs) ---- */

typedef struct table_style {
    int latex;
} table_style;

/* Text into a cell: Markdown escapes |, LaTeX its specials. */
static void cell_text(const table_style *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (!s->latex) {
            if (*p == '|')
                fputs("\\|", stdout);
            else
                putchar(*p);
            continue;
        }
        switch (*p) {
        case '&':
        case '%':
        case '$':
        case '#':
        case '_':
        case '{':
        case '}':
            printf("\\%c", *p);
            break;
        case '~':
            fputs("\\textasciitilde{}", stdout);
            break;
        case '^':
            fputs("\\textasciicircum{}", stdout);
            break;
        case '\\':
            fputs("\\textbackslash{}", stdout);
            break;
        default:
            putchar(*p);
        }
    }
}

static void cell_num(const table_style *s, double v, int decimals)
{
    fputs(s->latex ? " & " : " | ", stdout);
    if (isnan(v))
        fputs(s->latex ? "--" : "n/a", stdout);
    else
        printf("%.*f", decimals, v);
}

static void row_end(const table_style *s)
{
    puts(s->latex ? " \\\\" : " |");
}

static void header(const table_style *s, const char *const *cols, const char *align, size_t n)
{
    if (s->latex) {
        printf("\\begin{tabular}{%s}\n\\toprule\n", align);
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? " & " : "", cols[i]);
        puts(" \\\\\n\\midrule");
        return;
    }
    printf("|");
    for (size_t i = 0; i < n; i++)
        printf(" %s |", cols[i]);
    printf("\n|");
    for (size_t i = 0; i < n; i++)
        printf("%s", align[i] == 'l' ? ":---|" : "---:|");
    printf("\n");
}

static void footer(const table_style *s)
{
    if (s->latex)
        puts("\\bottomrule\n\\end{tabular}");
}

/* The flop count of a window's work, NaN if it has none. */
static double window_flop(json_t *w)
{
    json_t *k;
    size_t i;
    json_array_foreach(json_object_get(w, "work"), i, k)
    {
        const char *unit = json_string_value(json_object_get(k, "unit"));
        if (unit && strcmp(unit, "flop") == 0)
            return eb_cli_num(k, "amount");
    }
    return NAN;
}

/* The run table (a row per domain and the total), then the phase table (a
 * row per window; with flop work, the reference layout: phase, power,
 * TFLOPS, TFLOPS/W). Figures that are estimates or simulated say so. */
static void print_tables(json_t *r, const table_style *s)
{
    static const char *const run_cols[] = {"domain",     "method",        "energy (J)",
                                           "$\\pm$ (J)", "avg power (W)", "peak power (W)"};
    static const char *const run_cols_md[] = {"domain", "method",        "energy (J)",
                                              "± (J)",  "avg power (W)", "peak power (W)"};
    json_t *d;
    size_t i;
    header(s, s->latex ? run_cols : run_cols_md, "llrrrr", 6);
    json_array_foreach(json_object_get(r, "domains"), i, d)
    {
        fputs(s->latex ? "" : "| ", stdout);
        cell_text(s, str(d, "id"));
        fputs(s->latex ? " & " : " | ", stdout);
        cell_text(s, str(d, "method"));
        if (json_is_true(json_object_get(d, "simulated")))
            fputs(" (simulated)", stdout);
        else if (json_is_true(json_object_get(d, "estimate")))
            fputs(" (estimate)", stdout);
        if (!json_is_true(json_object_get(d, "in_total")) && json_object_get(d, "in_total"))
            fputs(s->latex ? " (part)" : " (part, not in total)", stdout);
        cell_num(s, eb_cli_num(d, "energy_j"), 3);
        cell_num(s, eb_cli_num(d, "uncertainty_j"), 3);
        cell_num(s, eb_cli_num(d, "avg_power_w"), 2);
        cell_num(s, eb_cli_num(d, "peak_power_w"), 2);
        row_end(s);
    }
    json_t *tot = json_object_get(r, "total");
    if (s->latex)
        puts("\\midrule");
    fputs(s->latex ? "total & " : "| **total** | ", stdout);
    cell_num(s, eb_cli_num(tot, "energy_j"), 3);
    cell_num(s, eb_cli_num(tot, "uncertainty_j"), 3);
    cell_num(s, eb_cli_num(tot, "avg_power_w"), 2);
    fputs(s->latex ? " & " : " | ", stdout);
    row_end(s);
    footer(s);

    json_t *wins = json_object_get(r, "windows");
    if (!json_array_size(wins))
        return;
    int flop = 0;
    json_t *w;
    json_array_foreach(wins, i, w)
    {
        flop |= !isnan(window_flop(w));
    }
    static const char *const phase_cols[] = {"phase",     "calls",  "time (s)", "energy (J)",
                                             "power (W)", "TFLOPS", "TFLOPS/W"};
    printf("\n");
    header(s, phase_cols, flop ? "lrrrrrr" : "lrrrr", flop ? 7 : 5);
    json_array_foreach(wins, i, w)
    {
        double t_s = eb_cli_num(w, "duration_s"), e_j = eb_cli_num(w, "energy_j");
        fputs(s->latex ? "" : "| ", stdout);
        cell_text(s, str(w, "name"));
        cell_num(s, eb_cli_num(w, "calls"), 0);
        cell_num(s, t_s, 3);
        cell_num(s, e_j, 3);
        cell_num(s, t_s > 0 ? e_j / t_s : NAN, 2);
        if (flop) {
            double f = window_flop(w);
            cell_num(s, t_s > 0 ? f / t_s / 1e12 : NAN, 2);
            cell_num(s, e_j > 0 ? f / e_j / 1e12 : NAN, 4);
        }
        row_end(s);
    }
    footer(s);
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
    if (strcmp(format, "table") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0 &&
        strcmp(format, "markdown") != 0 && strcmp(format, "latex") != 0) {
        fprintf(stderr,
                "ebench report: --format '%s': expected table, csv, json, markdown or latex\n",
                format);
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
        eb__render_report(stdout, r, argv[optind]);
    else if (strcmp(format, "csv") == 0)
        print_csv(r);
    else if (strcmp(format, "markdown") == 0 || strcmp(format, "latex") == 0) {
        table_style s = {strcmp(format, "latex") == 0};
        print_tables(r, &s);
    } else {
        json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        printf("\n");
    }
    json_decref(r);
    return fflush(stdout) == 0 ? 0 : EB_EXIT_FAIL;
}
