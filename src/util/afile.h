/*
 * afile.h - files that appear whole or not at all: written to a temporary
 * file beside the target, then renamed over it (regular files only: a
 * device or a pipe is written directly, never replaced). Opening early is also how the
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
 * directory, -ENOTSUP if it is a device, FIFO or socket: a rename would
 * replace it). A temporary of path left by a writer that is gone (killed)
 * becomes <path>.partial if it holds anything, else it is removed. */
int eb__afile_open(eb__afile *a, const char *path);
/* The same for a regular file; "-" (standard output), a device, a FIFO (with a
 * reader: -ENXIO without one) or a socket is written directly, never
 * replaced (commit then flushes and closes). */
int eb__afile_open_stream(eb__afile *a, const char *path);
/* Flushes, closes and renames onto the target. Returns 0 or -errno; on
 * failure the temporary file is removed. */
int eb__afile_commit(eb__afile *a);
/* Closes and removes the temporary file. */
void eb__afile_abort(eb__afile *a);

#endif
