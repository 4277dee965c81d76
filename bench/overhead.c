/*
 * overhead.c - what measuring costs.
 *
 *   eb_overhead ticks [N]      time N sampler ticks (default 100000) on a fake
 *                              RAPL tree with two packages and DRAM
 *   eb_overhead cpu [SECONDS]  CPU share of the sampler thread at 10, 100 and
 *                              1000 Hz (default 3 s each)
 *   eb_overhead run EBENCH [N] wall time of `ebench run -q -- true` against
 *                              `true` alone, N runs each (default 200)
 *   eb_overhead real           the real GPUs (libnvidia-ml.so.1): cost of a tick and
 *                              the sampler's CPU share at 10 and 100 Hz
 *   eb_overhead hwmon [N]      N ticks (default 100000) of 4 hwmon domains (two
 *                              amdgpu powers, two xe energy counters: a file
 *                              opened and read per reading) against the 4 RAPL
 *                              zones (kept open, pread), in the same run
 *   eb_overhead gpus SIM_LIB   8 simulated GPUs: cost of a tick, CPU share at 10
 *                              and 100 Hz, and the highest rate at which the
 *                              sampler still keeps its deadlines
 *
 * For instruction counts, run the ticks mode under
 *   valgrind --tool=callgrind --toggle-collect=eb__tick_locked eb_overhead ticks 10000
 * Results and the machine they came from go to docs/BENCHMARKS.md.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ebench.h"

extern char **environ;

static char root[64], sysfs[128];

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/class/powercap/%s", sysfs, dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/class/powercap/%s/%s", sysfs, dir, file);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* Two packages with DRAM each: the shape of a common two-socket node. */
static void make_tree(void)
{
    static const char *const zones[][2] = {
        {"intel-rapl:0", "package-0"},
        {"intel-rapl:0:0", "dram"},
        {"intel-rapl:1", "package-1"},
        {"intel-rapl:1:0", "dram"},
    };
    snprintf(root, sizeof root, "/tmp/eb-overhead.XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(sysfs, sizeof sysfs, "%s/sys", root);
    for (size_t i = 0; i < 4; i++) {
        put(zones[i][0], "name", zones[i][1]);
        put(zones[i][0], "max_energy_range_uj", "262143328850\n");
        put(zones[i][0], "energy_uj", "123456789\n");
    }
}

/* hwmonN under a PCI function, with its class link, as the kernel makes it. */
static void hwmon_dev(int n, const char *pci, const char *name, const char *file, const char *v)
{
    char dir[400], cmd[4096];
    snprintf(dir, sizeof dir, "%s/devices/pci0000:00/%s/hwmon/hwmon%d", sysfs, pci, n);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' '%s/class/hwmon' && printf '%s\\n' > '%s/name' && printf '%s\\n' > "
             "'%s/%s' && ln -s ../.. '%s/device' && ln -s "
             "../../devices/pci0000:00/%s/hwmon/hwmon%d '%s/class/hwmon/hwmon%d'",
             dir, sysfs, name, dir, v, dir, file, dir, pci, n, sysfs, n);
    if (system(cmd) != 0)
        exit(1);
}

static eb_bench *open_bench(int manual, double interval_ms)
{
    eb_config cfg;
    eb_bench *b;
    eb_config_init(&cfg);
    cfg.manual = manual;
    cfg.interval_ms = interval_ms;
    cfg.sysfs_root = sysfs;
    if (eb_open(&b, &cfg) != EB_OK) {
        fprintf(stderr, "eb_open failed\n");
        exit(1);
    }
    return b;
}

/* Microseconds per eb_tick, over n ticks run in this thread. */
static double tick_us(eb_bench *b, long n)
{
    double t0 = clock_s(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++)
        eb_tick(b);
    return (clock_s(CLOCK_MONOTONIC) - t0) / (double)n * 1e6;
}

static void sleep_s(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (long)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Sleep `seconds` while the sampler thread runs: the share of one core the
 * process used meanwhile (0..1); the CPU seconds and wall seconds in *cpu, *wall. */
static double sampler_share(double seconds, double *cpu, double *wall)
{
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    sleep_s(seconds);
    *cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *wall = clock_s(CLOCK_MONOTONIC) - w0;
    return *cpu / *wall;
}

static void bench_ticks(long n)
{
    eb_bench *b = open_bench(1, 100);
    double us = tick_us(b, n);
    printf("ticks: %ld ticks of %zu domains, %.2f us per tick\n", n, eb_domain_count(b), us);
    eb_close(b);
}

static void bench_hwmon(long n)
{
    hwmon_dev(0, "0000:c1:00.0", "amdgpu", "power1_average", "250000000");
    hwmon_dev(1, "0000:c2:00.0", "amdgpu", "power1_average", "250000000");
    hwmon_dev(2, "0000:03:00.0", "xe", "energy1_input", "123456789");
    hwmon_dev(3, "0000:04:00.0", "xe", "energy1_input", "123456789");
    for (int k = 0; k < 2; k++) {
        eb_config cfg;
        eb_bench *b;
        eb_config_init(&cfg);
        cfg.manual = 1;
        cfg.sysfs_root = sysfs;
        cfg.sources = k ? EB_SOURCE_HWMON : EB_SOURCE_POWERCAP;
        if (eb_open(&b, &cfg) != EB_OK || eb_domain_count(b) != 4) {
            fprintf(stderr, "eb_open: %zu domains\n", b ? eb_domain_count(b) : 0);
            exit(1);
        }
        double us = tick_us(b, n);
        printf("hwmon: %s: %ld ticks of %zu domains, %.2f us per tick\n",
               k ? "hwmon (open, read, close per reading)" : "powercap (kept open, pread)", n,
               eb_domain_count(b), us);
        eb_close(b);
    }
}

static void bench_cpu(double seconds)
{
    static const double hz[] = {10, 100, 1000};
    for (size_t i = 0; i < 3; i++) {
        eb_bench *b = open_bench(0, 1000.0 / hz[i]);
        double cpu, wall, share = sampler_share(seconds, &cpu, &wall);
        eb_domain_energy r_d[EB_MAX_DOMAINS];
        eb_result r = EB_RESULT_INIT(r_d);
        eb_total(b, &r);
        printf("cpu: %5.0f Hz: sampler used %.4f%% of one core (%.1f ms CPU in %.2f s, %zu "
               "samples)\n",
               hz[i], share * 100, cpu * 1e3, wall, r.domains[0].samples);
        eb_close(b);
    }
}

static double mean_wall(char *const argv[], int n)
{
    double total = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid;
        int st;
        double t0 = clock_s(CLOCK_MONOTONIC);
        if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
            perror(argv[0]);
            exit(1);
        }
        waitpid(pid, &st, 0);
        total += clock_s(CLOCK_MONOTONIC) - t0;
    }
    return total / n;
}

static void bench_run(const char *ebench, int n)
{
    char *plain[] = {"/bin/true", NULL};
    char *wrapped[] = {(char *)ebench, "run", "-q", "--", "/bin/true", NULL};
    setenv("EBENCH_SYSFS_ROOT", sysfs, 1);
    mean_wall(wrapped, 5); /* warm the page cache */
    double a = mean_wall(plain, n), b = mean_wall(wrapped, n);
    printf("run: true %.3f ms, ebench run -q -- true %.3f ms: +%.3f ms per run (%d runs each)\n",
           a * 1e3, b * 1e3, (b - a) * 1e3, n);
}

/* A bench on the GPUs only: `want` of them (0: however many there are). */
static eb_bench *open_gpus_n(int manual, double interval_ms, size_t want)
{
    eb_config cfg;
    eb_bench *b;
    eb_config_init(&cfg);
    cfg.manual = manual;
    cfg.interval_ms = interval_ms;
    cfg.sources = EB_SOURCE_NVML;
    if (eb_open(&b, &cfg) != EB_OK || eb_domain_count(b) == 0 ||
        (want && eb_domain_count(b) != want)) {
        fprintf(stderr, "cannot open the GPUs (ebench info says why)\n");
        exit(1);
    }
    return b;
}

static eb_bench *open_gpus(int manual, double interval_ms)
{
    return open_gpus_n(manual, interval_ms, 8);
}

/* The real driver: the cost of a tick and of the sampler thread. */
static void bench_real(void)
{
    eb_bench *b = open_gpus_n(1, 100, 0);
    double us = tick_us(b, 2000);
    printf("real: %zu GPU domain(s), %.1f us per tick (every reading of every GPU)\n",
           eb_domain_count(b), us);
    eb_close(b);
    static const double hz[] = {10, 100};
    for (size_t i = 0; i < 2; i++) {
        b = open_gpus_n(0, 1000.0 / hz[i], 0);
        double cpu, wall, share = sampler_share(5, &cpu, &wall);
        printf("real: %5.0f Hz: sampler used %.3f%% of one core\n", hz[i], share * 100);
        eb_close(b);
    }
}

static void bench_gpus(const char *sim_lib)
{
    char scenario[256];
    snprintf(scenario, sizeof scenario, "%s/gpus.json", root);
    FILE *f = fopen(scenario, "w");
    fputs("{\"gpus\": [", f);
    for (int i = 0; i < 8; i++)
        fprintf(f,
                "%s{\"pci_bus_id\": \"00000000:%02x:00.0\", \"repeat\": true, \"phases\": "
                "[{\"seconds\": 0.3, \"power_w\": 150}, {\"seconds\": 0.2, \"power_w\": 400}]}",
                i ? ", " : "", 0x10 + i);
    fputs("]}\n", f);
    fclose(f);
    setenv("EBENCH_NVML_LIBRARY", sim_lib, 1);
    setenv("EBENCH_SIM_CONFIG", scenario, 1);

    eb_bench *b = open_gpus(1, 100);
    printf("gpus: 8 simulated GPUs, %.2f us per tick (energy counter + 5 other readings each)\n",
           tick_us(b, 20000));
    eb_close(b);

    static const double hz[] = {10, 100};
    for (size_t i = 0; i < 2; i++) {
        b = open_gpus(0, 1000.0 / hz[i]);
        double cpu, wall, share = sampler_share(3, &cpu, &wall);
        printf("gpus: %5.0f Hz: sampler used %.3f%% of one core\n", hz[i], share * 100);
        eb_close(b);
    }

    /* Deadlines kept: at least 95% of the ticks asked for arrive in 1 s. */
    static const double rates[] = {100, 200, 500, 1000, 2000, 5000, 10000, 20000};
    double best = 0;
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        b = open_gpus(0, 1000.0 / rates[i]);
        sleep_s(1);
        eb_domain_energy r_d[EB_MAX_DOMAINS];
        eb_result r = EB_RESULT_INIT(r_d);
        eb_total(b, &r);
        double got = (double)r.domains[0].samples / (r.duration_s * rates[i]);
        printf("gpus: %6.0f Hz asked: %5.1f%% of the ticks arrived\n", rates[i], got * 100);
        eb_close(b);
        if (got < 0.95)
            break;
        best = rates[i];
    }
    printf("gpus: the sampler keeps its deadlines up to %.0f Hz with 8 simulated GPUs\n", best);
}

/* The counter tracker's cost: one simulated GPU with its real-time sensor
 * timing (period off nominal, random phase, jitter), sampled at 10 and
 * 100 Hz, with the tracker on and off (EBENCH_TRACK=off), each for `seconds`. */
static void bench_track(const char *sim_lib, double seconds)
{
    char scenario[256];
    snprintf(scenario, sizeof scenario, "%s/track.json", root);
    FILE *f = fopen(scenario, "w");
    fputs("{\"gpus\": [{\"phases\": [{\"seconds\": 1000, \"power_w\": 300}]}]}\n", f);
    fclose(f);
    setenv("EBENCH_NVML_LIBRARY", sim_lib, 1);
    setenv("EBENCH_SIM_CONFIG", scenario, 1);
    static const double hz[] = {10, 100};
    printf("| sampler | tracker | CPU share of one core | counter reads/s | tracker reads/s | "
           "moves/s | bracket mean / max | placement uncertainty mean / max |\n"
           "|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < 2; i++)
        for (int on = 1; on >= 0; on--) {
            if (on)
                unsetenv("EBENCH_TRACK");
            else
                setenv("EBENCH_TRACK", "off", 1);
            eb_bench *b = open_gpus_n(0, 1000.0 / hz[i], 1);
            double cpu, wall, share = sampler_share(seconds, &cpu, &wall);
            eb_stop(b);
            eb_tracking tr;
            eb_domain_tracking(b, 0, &tr);
            printf("| %.0f Hz | %s | %.3f%% | %.1f | %.1f | %.2f | %.2f / %.2f ms | %.2f / %.2f ms "
                   "|\n",
                   hz[i], on ? "on" : "off", share * 100, (double)tr.reads / wall,
                   (double)tr.extra_reads / wall, (double)tr.moves / wall, tr.bracket_mean_s * 1e3,
                   tr.bracket_max_s * 1e3, tr.uncertainty_mean_s * 1e3, tr.uncertainty_max_s * 1e3);
            eb_close(b);
        }
    unsetenv("EBENCH_TRACK");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    make_tree();
    if (strcmp(mode, "ticks") == 0 || strcmp(mode, "all") == 0)
        bench_ticks(argc > 2 && strcmp(mode, "ticks") == 0 ? atol(argv[2]) : 100000);
    if (strcmp(mode, "cpu") == 0 || strcmp(mode, "all") == 0)
        bench_cpu(argc > 2 && strcmp(mode, "cpu") == 0 ? atof(argv[2]) : 3.0);
    if (strcmp(mode, "real") == 0)
        bench_real();
    if (strcmp(mode, "hwmon") == 0)
        bench_hwmon(argc > 2 ? atol(argv[2]) : 100000);
    if (strcmp(mode, "gpus") == 0) {
        if (argc < 3) {
            fprintf(stderr, "usage: eb_overhead gpus SIM_LIB\n");
            return 2;
        }
        bench_gpus(argv[2]);
    }
    if (strcmp(mode, "track") == 0) {
        if (argc < 3) {
            fprintf(stderr, "usage: eb_overhead track SIM_LIB [SECONDS]\n");
            return 2;
        }
        bench_track(argv[2], argc > 3 ? atof(argv[3]) : 10);
    }
    if (strcmp(mode, "run") == 0) {
        if (argc < 3) {
            fprintf(stderr, "usage: eb_overhead run EBENCH [N]\n");
            return 2;
        }
        bench_run(argv[2], argc > 3 ? atoi(argv[3]) : 200);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : 1;
}
