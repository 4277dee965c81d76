/*
 * render.h - the run table, drawn from the JSON report (schema
 * ebench-report/1): `ebench run` prints it from the report it saves and
 * `ebench report FILE` from the file, with this one code, so the two never
 * differ. Compiled into the library and the CLI (like afile.c).
 */
#ifndef EB_UTIL_RENDER_H
#define EB_UTIL_RENDER_H

#include <jansson.h>
#include <stdio.h>

/* One domain's row, as every table prints it. NaN marks what is missing. */
typedef struct eb__row {
    const char *id, *method; /* method: "counter", "power", "model" */
    double energy_j, uncertainty_rel, avg_power_w, peak_power_w, peak_span_s;
    int estimate, simulated;
    const char *part_of; /* NULL: none */
    double lost_at_s, covered_s, duration_s;
    int unreliable;
    double update_period_s;
    int provisional;
    /* repetitions: the 95% CI of the mean (n >= 2), else n = 0 */
    size_t ci_n;
    double ci_mean, ci95;
} eb__row;

void eb__render_row(FILE *out, const eb__row *r);
/* The total's row; avg NaN: "-". */
void eb__render_total(FILE *out, double energy_j, double uncertainty_j, double avg_power_w,
                      int estimate, int incomplete, size_t ci_n, double ci_mean, double ci95);

/* The whole table of a report. from: the file it was read from, printed
 * under the title with the report's host and start ("ebench report"); NULL
 * for the run's own table. */
void eb__render_report(FILE *out, json_t *report, const char *from);

#endif
