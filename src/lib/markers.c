/*
 * markers.c - phase markers, as LIKWID's marker API under likwid-perfctr -m:
 * a program started by `ebench run` sends its windows to the parent through
 * an inherited descriptor instead of sampling on its own.
 *
 * Protocol (one line per event, each written whole: lines stay under
 * PIPE_BUF, so writes from several threads never interleave):
 *   B <CLOCK_MONOTONIC seconds> <name>\n     a window begins
 *   E <CLOCK_MONOTONIC seconds> <name>\n     the latest window of that name ends
 *   W <amount> <unit> <name>\n               work done in the last closed window
 * Names have newlines replaced by spaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int eb__marker_fd_from_env(void)
{
    const char *v = getenv("EBENCH_MARKER_FD");
    char *end;
    struct stat st;
    if (!v || !*v)
        return -1;
    long fd = strtol(v, &end, 10);
    if (*end || fd < 3 || fd > 65535 || fstat((int)fd, &st) != 0 ||
        !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return -1; /* not ours: measure on our own */
    return (int)fd;
}

void eb__marker_send(eb_bench *b, char kind, const char *name, double amount, const char *unit)
{
    char line[512];
    struct timespec ts;
    int n;
    if (b->marker_fd < 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    if (kind == 'W')
        n = snprintf(line, sizeof line, "W %.17g %.40s %.400s\n", amount, unit, name);
    else
        n = snprintf(line, sizeof line, "%c %.9f %.400s\n", kind, now, name);
    if (n < 0 || (size_t)n >= sizeof line)
        n = (int)sizeof line - 1, line[n - 1] = '\n';
    for (int i = 2; i < n - 1; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    while (write(b->marker_fd, line, (size_t)n) < 0 && errno == EINTR)
        ;
}

EB_EXPORT int eb_is_marker(const eb_bench *b)
{
    return b && b->marker_fd >= 0;
}

EB_EXPORT int eb_add_window(eb_bench *b, const char *name, double t0_s, double t1_s)
{
    if (!b || !name || !(t1_s >= t0_s) || isinf(t0_s) || isinf(t1_s))
        return EB_EINVAL;
    eb__window w = {.name = strdup(name), .t0 = t0_s, .t1 = t1_s};
    if (!w.name)
        return eb__fail(b, EB_ENOMEM, "no memory for window '%s'", name);
    pthread_mutex_lock(&b->lock);
    int rc = eb__list_push(&b->closed_win, &w, sizeof w);
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        free(w.name);
        return eb__fail(b, rc, "no memory for window '%s'", name);
    }
    return EB_OK;
}
