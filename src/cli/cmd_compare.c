/*
 * cmd_compare.c - `ebench compare A.json B.json [...]`: implementations side
 * by side by energy, time, power and efficiency, with ratios against the
 * first, and whether each difference stands out of the run-to-run noise and
 * of the sensors' uncertainty.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../util/utf8.h"
#include "cli.h"
#include "report_file.h"

static const char compare_usage[] =
    "usage: ebench compare A.json B.json [...]\n"
    "\n"
    "Compares runs saved with `ebench run --json`: energy, time, average power and\n"
    "efficiency side by side, ratios against the first, and for each whether it\n"
    "differs from the first by more than the run-to-run noise (95% confidence\n"
    "intervals, when the runs were repeated with --repeat) and than the sensors'\n"
    "uncertainty (which matters when the runs used different devices). Energy is\n"
    "summed over the domains every report has. Efficiency is compared as work per\n"
    "joule when both runs carry work (ebench run --work), else only energy is\n"
    "compared, and the output says so. Each report is named by the shortest end of\n"
    "its path that tells it apart from the others.\n";

#define MAX_REPORTS 16

typedef struct entry {
    const char *path, *name; /* name: the shortest suffix of the path that tells it apart */
    json_t *r;
    double energy_j, ci_j, unc_j, time_s, ci_time_s, eff;
    const char *eff_unit;
} entry;

/* A domain's id; NULL where the report has none (not a string). */
static const char *domain_id(json_t *d)
{
    return json_string_value(json_object_get(d, "id"));
}

/* Does every report have a domain with this id? */
static int common(entry *e, size_t n, const char *id)
{
    for (size_t k = 0; k < n; k++) {
        json_t *d;
        size_t i;
        int found = 0;
        json_array_foreach(json_object_get(e[k].r, "domains"), i, d)
        {
            const char *other = domain_id(d);
            found |= other && strcmp(other, id) == 0;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* Each path's shortest suffix of whole components (a/b/c.json: c.json, then
 * b/c.json, ...) that no other path ends with: A and B told apart. */
static void name_entries(entry *e, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *p = e[k].path, *best = p;
        for (const char *c = p + strlen(p); c > p; c--) {
            if (c[-1] != '/')
                continue;
            int unique = 1;
            for (size_t j = 0; j < n && unique; j++) {
                size_t lp = strlen(e[j].path), lc = strlen(c);
                unique = j == k || lp < lc || strcmp(e[j].path + lp - lc, c) != 0 ||
                         (lp > lc && e[j].path[lp - lc - 1] != '/');
            }
            if (unique) {
                best = c;
                break;
            }
        }
        e[k].name = best;
    }
}

static void summarize(entry *e, entry *all, size_t n, size_t *n_common)
{
    json_t *reps = json_object_get(e->r, "repetitions"), *d;
    size_t i;
    double var = 0, ci_var = 0;
    e->energy_j = 0;
    *n_common = 0;
    json_array_foreach(json_object_get(e->r, "domains"), i, d)
    {
        const char *id = domain_id(d);
        if (!id || !json_is_true(json_object_get(d, "in_total")) || !common(all, n, id))
            continue;
        double j = eb_cli_num(d, "energy_j"), u = eb_cli_num(d, "uncertainty_j");
        if (isnan(j))
            continue;
        (*n_common)++;
        e->energy_j += j;
        var += isnan(u) ? 0 : u * u;
        if (json_is_object(reps)) {
            json_t *st, *rd = json_object_get(reps, "domains");
            size_t k;
            json_array_foreach(rd, k, st) if (domain_id(st) && strcmp(domain_id(st), id) == 0)
            {
                double ci = eb_cli_num(st, "ci95");
                ci_var += isnan(ci) ? 0 : ci * ci;
            }
        }
    }
    e->unc_j = sqrt(var);
    e->ci_j = json_is_object(reps) ? sqrt(ci_var) : NAN;
    e->time_s = json_is_object(reps) ? eb_cli_num(json_object_get(reps, "duration_s"), "mean")
                                     : eb_cli_num(e->r, "duration_s");
    e->ci_time_s =
        json_is_object(reps) ? eb_cli_num(json_object_get(reps, "duration_s"), "ci95") : NAN;
    json_t *eff = json_array_get(json_object_get(e->r, "efficiency"), 0);
    e->eff = NAN;
    e->eff_unit = NULL;
    if (eff && e->energy_j > 0) {
        const char *unit = json_string_value(json_object_get(eff, "unit"));
        double amount = eb_cli_num(eff, "amount");
        int flop = unit && strcmp(unit, "flop") == 0;
        e->eff = amount / e->energy_j / (flop ? 1e12 : 1);
        e->eff_unit = flop ? "TFLOP/J" : unit;
    }
}

static void pct(char *buf, size_t len, double part, double whole)
{
    if (isnan(part) || !(whole > 0))
        snprintf(buf, len, "        ");
    else
        snprintf(buf, len, "+-%4.1f%%", 100 * part / whole);
}

int eb_cmd_compare(int argc, char **argv)
{
    entry e[MAX_REPORTS];
    size_t n = 0, n_common = 0;
    int rc = 0;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(compare_usage, stdout);
        return 0;
    }
    if (argc < 3 || argc - 1 > MAX_REPORTS) {
        fprintf(stderr, "ebench compare: give 2 to %d reports\n%s", MAX_REPORTS, compare_usage);
        return EB_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            fprintf(stderr, "ebench compare: unknown option '%s'\n%s", argv[i], compare_usage);
            rc = EB_EXIT_USAGE;
            goto done;
        }
        e[n].path = argv[i];
        if (!(e[n].r = eb_cli_load_report(argv[i]))) {
            rc = EB_EXIT_USAGE;
            goto done;
        }
        n++;
    }
    for (size_t k = 0; k < n; k++)
        summarize(&e[k], e, n, &n_common);
    name_entries(e, n);
    int width = 8; /* the longest name, up to 40 */
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(e[k].name);
        if ((int)len > width)
            width = len > 40 ? 40 : (int)len;
    }
    if (n_common == 0) {
        fprintf(stderr,
                "ebench compare: the reports have no measured domain in common (compare runs "
                "that measured the same devices, e.g. nvidia0 in each)\n");
        rc = EB_EXIT_USAGE;
        goto done;
    }

    const char *unit = e[0].eff_unit;
    printf("\n ebench compare: energy per run over the %zu domain%s all reports share; ratios "
           "against A\n\n",
           n_common, n_common == 1 ? "" : "s");
    printf("     %-*s %14s %8s %8s %11s %8s %10s %8s %8s\n", width, "report", "energy (J)", "noise",
           "sensor", "time (s)", "noise", "avg W", unit ? unit : "", "x energy");
    for (size_t k = 0; k < n; k++) {
        char noise[16], sensor[16], tnoise[16], eff[16] = "";
        pct(noise, sizeof noise, e[k].ci_j, e[k].energy_j);
        pct(sensor, sizeof sensor, e[k].unc_j, e[k].energy_j);
        pct(tnoise, sizeof tnoise, e[k].ci_time_s, e[k].time_s);
        if (unit && !isnan(e[k].eff) && e[k].eff_unit && strcmp(e[k].eff_unit, unit) == 0)
            snprintf(eff, sizeof eff, "%.4g", e[k].eff);
        /* a name longer than the column keeps its end, which tells it apart */
        size_t len = strlen(e[k].name);
        char name[64];
        snprintf(name, sizeof name, "%s%s", len > (size_t)width ? "..." : "",
                 len > (size_t)width ? e[k].name + len - (size_t)width + 3 : e[k].name);
        printf("  %c  %-*s %14.3f %8s %8s %11.4f %8s %10.2f %8s %8.3f\n", (int)('A' + k), width,
               name, e[k].energy_j, noise, sensor, e[k].time_s, tnoise,
               e[k].time_s > 0 ? e[k].energy_j / e[k].time_s : NAN, eff,
               e[k].energy_j / e[0].energy_j);
    }
    /* what is not a measurement says so here too */
    for (size_t k = 0; k < n; k++) {
        json_t *d;
        size_t i;
        char sim[256] = "", est[256] = "";
        json_array_foreach(json_object_get(e[k].r, "domains"), i, d)
        {
            const char *id = json_string_value(json_object_get(d, "id"));
            char *to = json_is_true(json_object_get(d, "simulated"))  ? sim
                       : json_is_true(json_object_get(d, "estimate")) ? est
                                                                      : NULL;
            if (to && id && strlen(to) + strlen(id) + 3 < sizeof sim)
                snprintf(to + strlen(to), sizeof sim - strlen(to), "%s%s", *to ? ", " : "", id);
        }
        if (*sim)
            printf("  %c: SIMULATED, not measured: %s\n", (int)('A' + k), sim);
        if (*est)
            printf("  %c: an estimate, not a measurement: %s\n", (int)('A' + k), est);
    }
    printf("\n");
    for (size_t k = 1; k < n; k++) {
        double diff = e[k].energy_j - e[0].energy_j, rel = diff / e[0].energy_j;
        double noise = sqrt(pow(isnan(e[k].ci_j) ? 0 : e[k].ci_j, 2) +
                            pow(isnan(e[0].ci_j) ? 0 : e[0].ci_j, 2));
        double sensor = sqrt(e[k].unc_j * e[k].unc_j + e[0].unc_j * e[0].unc_j);
        int repeated = !isnan(e[k].ci_j) && !isnan(e[0].ci_j);
        printf(" %c uses %.1f%% %s energy than A; ", (int)('A' + k), fabs(100 * rel),
               diff < 0 ? "less" : "more");
        if (repeated)
            printf("%s the run-to-run noise (95%% CI +-%.1f%%)",
                   fabs(diff) > noise ? "beyond" : "within", 100 * noise / e[0].energy_j);
        else
            printf("noise unknown (repeat the runs with --repeat N)");
        printf("; %s the sensors' uncertainty (+-%.1f%%, which matters across different devices)\n",
               fabs(diff) > sensor ? "beyond" : "within", 100 * sensor / e[0].energy_j);
        /* efficiency is work per joule: from the work when both carry the
         * same kind, else only under the assumption that they did the same */
        int same_work = unit && e[k].eff_unit && strcmp(e[k].eff_unit, unit) == 0 && e[0].eff > 0 &&
                        e[k].eff > 0;
        const char *wname = NULL, *wunit = NULL;
        if (same_work) {
            double ratio = e[k].eff / e[0].eff;
            char better = ratio > 1 ? (char)('A' + k) : 'A';
            printf("   work per joule: %c is %.2fx as energy-efficient (%.4g against %.4g %s)\n",
                   better, ratio > 1 ? ratio : 1 / ratio, e[k].eff, e[0].eff, unit);
        } else if (eb_cli_common_window_work((json_t *[]){e[0].r, e[k].r}, 2, &wname, &wunit)) {
            /* the program's own windows carry the work (eb_add_work) */
            double a = eb_cli_window_eff(e[0].r, wname, wunit);
            double b = eb_cli_window_eff(e[k].r, wname, wunit);
            double ratio = b / a;
            int flop = strcmp(wunit, "flop") == 0;
            char wn[128], wu[64]; /* text from a file, to a terminal */
            snprintf(wn, sizeof wn, "%s", wname);
            snprintf(wu, sizeof wu, "%s", flop ? "TFLOP" : wunit);
            printf("   work per joule in the program's window '%s': %c is %.2fx as "
                   "energy-efficient (%.4g against %.4g %s/J)\n",
                   eb__text_scrub(wn), ratio > 1 ? (char)('A' + k) : 'A',
                   ratio > 1 ? ratio : 1 / ratio, b, a, eb__text_scrub(wu));
        } else {
            double ratio = e[0].energy_j / e[k].energy_j;
            printf("   work per joule: not compared (the reports carry no common work; `ebench "
                   "run --work`); only if they did the same work would %c be %.2fx as "
                   "energy-efficient\n",
                   ratio > 1 ? (char)('A' + k) : 'A', ratio > 1 ? ratio : 1 / ratio);
        }
    }
    printf("\n");
done:
    for (size_t k = 0; k < n; k++)
        json_decref(e[k].r);
    return rc;
}
