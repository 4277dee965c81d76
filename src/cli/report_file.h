/* report_file.h - reading saved JSON reports (ebench report, compare). */
#ifndef EB_REPORT_FILE_H
#define EB_REPORT_FILE_H

#include <jansson.h>

/* Loads a report; prints "ebench: FILE:LINE:COLUMN: what" and returns NULL if
 * it is not valid JSON or not an ebench-report/1. */
json_t *eb_cli_load_report(const char *path);
/* A number member, or NaN if absent or null. */
double eb_cli_num(json_t *obj, const char *key);
/* Work per joule of window `name` in `unit` as the report states it
 * (TFLOP/J for FLOPs), NaN where it has none. */
double eb_cli_window_eff(json_t *r, const char *name, const char *unit);
/* The first program window (not a run, an idle baseline or a warm-up) whose
 * work every report r[0..n) carries in one unit: 1 with its name and unit,
 * 0 where there is none. */
int eb_cli_common_window_work(json_t *const *r, size_t n, const char **name, const char **unit);

#endif
