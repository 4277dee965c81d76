/* report_file.h - reading saved JSON reports (ebench report, compare). */
#ifndef EB_REPORT_FILE_H
#define EB_REPORT_FILE_H

#include <jansson.h>

/* Loads a report; prints "ebench: FILE:LINE:COLUMN: what" and returns NULL if
 * it is not valid JSON or not an ebench-report/1. */
json_t *eb_cli_load_report(const char *path);
/* A number member, or NaN if absent or null. */
double eb_cli_num(json_t *obj, const char *key);

#endif
