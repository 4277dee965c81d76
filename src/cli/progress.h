/* progress.h - the progress line and checkpoints of ebench run (progress.c). */
#ifndef EB_CLI_PROGRESS_H
#define EB_CLI_PROGRESS_H

#include <pthread.h>

#include "ebench.h"

/* A thread beside the command: the progress line on a terminal (elapsed,
 * total power, joules so far), and checkpoints: every checkpoint_s the
 * report and timeline so far are written to the --json/--csv files (each
 * whole: a temporary file renamed over it), so a run killed where it cannot
 * write its report (SIGKILL, a job's time limit) keeps what was measured. */
typedef struct eb_progress {
    eb_bench *b;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop, shown, show;
    const char *json, *csv; /* regular files to checkpoint; NULL: none */
    double checkpoint_s, next_s;
    const char *const *argv;
    /* each domain's energy at the last PROGRESS_KEEP lines (the oldest first
     * at `oldest`), so a line's power is over up to 2 s */
#define PROGRESS_KEEP 4
    size_t kept, oldest;
    double kept_t[PROGRESS_KEEP][EB_MAX_DOMAINS], kept_j[PROGRESS_KEEP][EB_MAX_DOMAINS];
} eb_progress;

/* Starts the thread: show the line (on a terminal), and every checkpoint_s
 * (> 0) save the report so far to json and the timeline to csv (regular
 * files; NULL: none), argv the command. -1 when there is nothing to do or
 * the thread cannot start (then eb_progress_stop must not be called). */
int eb_progress_start(eb_progress *p, eb_bench *b, int show, double checkpoint_s,
                      const char *const *argv, const char *json, const char *csv);
/* Stops it and clears the line. */
void eb_progress_stop(eb_progress *p);

#endif
