/*
 * afile.h - files that appear whole or not at all: written to a temporary
 * file beside the target, then renamed over it. Opening early is also how the
 * CLI proves, before a long job starts, that it will be able to write.
 */
#ifndef EB_AFILE_H
#define EB_AFILE_H

#include <stdio.h>

typedef struct eb__afile {
    FILE *f;
    char *tmp;
    char *path;
} eb__afile;

/* Creates the temporary file. Returns 0 or -errno (-EISDIR if path is a
 * directory). */
int eb__afile_open(eb__afile *a, const char *path);
/* Flushes, closes and renames onto the target. Returns 0 or -errno; on
 * failure the temporary file is removed. */
int eb__afile_commit(eb__afile *a);
/* Closes and removes the temporary file. */
void eb__afile_abort(eb__afile *a);

#endif
