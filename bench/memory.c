/*
 * memory.c - what a bench holds as windows accumulate (issue 16's soak, the
 * window half): N windows opened and closed through the C API on a manual
 * bench (the CPU model on a fixed /proc/stat, one tick per window), the
 * process's resident memory every tenth, and how long eb_print_results
 * takes over all of them. Figures in docs/BENCHMARKS.md.
 *   eb_memory [N]     (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ebench.h"

static long rss_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0)
            kb = atol(line + strlen(field));
    if (f)
        fclose(f);
    return kb;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    char procfs[] = "/tmp/eb-memory.XXXXXX", stat[64];
    if (n <= 0 || !mkdtemp(procfs))
        return 2;
    snprintf(stat, sizeof stat, "%s/stat", procfs);
    FILE *f = fopen(stat, "w");
    fputs("cpu  100 0 100 800 0 0 0 0 0 0\n", f);
    fclose(f);
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.sources = EB_SOURCE_CPUMODEL;
    cfg.procfs_root = procfs;
    cfg.sysfs_root = "/nonexistent";
    eb_bench *b;
    if (eb_open(&b, &cfg) != EB_OK)
        return 1;
    long base = rss_kb("VmRSS:");
    printf("windows   RSS MiB   bytes/window   (start %.1f MiB)\n", base / 1024.0);
    double t0 = now_s();
    for (long i = 1; i <= n; i++) {
        eb_begin(b, "step");
        eb_tick(b);
        eb_end(b, "step", NULL);
        if (i % (n / 10 ? n / 10 : 1) == 0) {
            long kb = rss_kb("VmRSS:");
            printf("%8ld  %8.1f  %12.1f\n", i, kb / 1024.0, (double)(kb - base) * 1024 / (double)i);
        }
    }
    double t1 = now_s();
    FILE *null = fopen("/dev/null", "w");
    eb_print_results(b, null);
    double t2 = now_s();
    printf("open+close+tick: %.2f us per window; eb_print_results over all: %.2f s; peak RSS "
           "%.1f MiB\n",
           (t1 - t0) / (double)n * 1e6, t2 - t1, rss_kb("VmHWM:") / 1024.0);
    fclose(null);
    eb_close(b);
    unlink(stat);
    rmdir(procfs);
    return 0;
}
