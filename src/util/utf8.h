/*
 * utf8.h - text from outside (zone names, command arguments, environment
 * variables, job-mapping files, window names) made valid UTF-8 before it
 * reaches a JSON report or a Prometheus page, which must be UTF-8: each byte
 * that does not belong to a valid sequence becomes '?'. Nothing is dropped,
 * and the length stays the same. Compiled into the library and the CLI.
 */
#ifndef EB_UTIL_UTF8_H
#define EB_UTIL_UTF8_H

/* In place; returns s. NULL stays NULL. */
char *eb__utf8_scrub(char *s);

/* Also control characters (below 0x20, and 0x7f) become '?': text a
 * sensor gives (hwmon names and labels) that reaches a terminal. In place;
 * returns s. */
char *eb__text_scrub(char *s);

/* Made an id as reports' schema has them (^[A-Za-z0-9][A-Za-z0-9<punct>]*,
 * punct a subset of "_./:-"): any other byte becomes '_'. In place. */
char *eb__id_scrub(char *s, const char *punct);

#endif
