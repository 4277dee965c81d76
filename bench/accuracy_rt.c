/*
 * accuracy_rt.c - ebench's window and run energies against the simulator's
 * ground truth, in real time, beside the methods users would otherwise use,
 * measured in the same runs:
 *   - the energy counter read at the window's two ends (ZeusMonitor's method);
 *   - a 1 Hz poll of nvmlDeviceGetPowerUsage times the window's length
 *     (nvidia-smi --query-gpu=power.draw -l 1);
 *   - the floor: the counter's line through its true update instants, what a
 *     reader that placed every move exactly would get (the load between two
 *     moves is unknowable from the counter).
 * The sampler runs on its own thread every 100 ms; the simulated counter
 * moves at instants of its own (a period off 100 ms, a phase drawn from the
 * seed, jitter); one thread per window length opens and closes windows at
 * random offsets, so windows overlap and their edges fall anywhere.
 *
 *   build/eb_accuracy_rt build/sim/libnvidia-ml.so.1 [SECONDS_PER_RUN]
 *
 * Prints markdown tables (docs/BENCHMARKS.md). Every figure is simulated.
 */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/sources/nvml_abi.h"
#include "ebench.h"
#include "windows_common.h"

#define LENGTHS 5
static const double lengths[LENGTHS] = {0.25, 0.5, 1, 2, 4};

static struct {
    void *lib;
    double (*truth)(unsigned, double, double);
    double (*now)(void);
    int (*forget)(const char *);
    nvmlReturn_t (*handle)(unsigned, nvmlDevice_t *);
    nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
    nvmlReturn_t (*usage)(nvmlDevice_t, unsigned *);
    int (*instants)(unsigned, int, double, double, double *, int);
    nvmlDevice_t dev;
} sim;

static char scenario_path[256];
static eb_bench *bench;
static double offset; /* sim time - bench time */
static volatile int stop;

static window_stream stream[LENGTHS];

static poll_log poll1;

static double counter_j(void)
{
    unsigned long long mj = 0;
    sim.energy(sim.dev, &mj);
    return (double)mj / 1e3;
}

static void *window_thread(void *arg)
{
    int i = (int)(size_t)arg;
    char name[16];
    snprintf(name, sizeof name, "w%g", lengths[i]);
    while (!stop && stream[i].n < MAX_WIN) {
        nap(0.3 * rand_r(&stream[i].seed) / RAND_MAX);
        if (stop)
            break;
        double a = counter_j();
        eb_begin(bench, name);
        nap(lengths[i]);
        eb_end(bench, name, NULL);
        stream[i].ends_j[stream[i].n] = counter_j() - a;
        stream[i].n++;
    }
    return NULL;
}

static void *poll_thread(void *arg)
{
    (void)arg;
    nap(0.5 * rand() / RAND_MAX); /* nvidia-smi starts whenever it starts */
    while (!stop && poll1.n < 128) {
        unsigned mw = 0;
        sim.usage(sim.dev, &mw);
        poll1.t[poll1.n] = eb_now(bench);
        poll1.w[poll1.n++] = mw / 1e3;
        nap(1.0);
    }
    return NULL;
}

static void open_scenario(const char *gpu_json, double interval_ms)
{
    FILE *f = fopen(scenario_path, "w");
    fprintf(f, "{\"gpus\": [%s]}\n", gpu_json);
    fclose(f);
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.sources = EB_SOURCE_NVML;
    cfg.interval_ms = interval_ms;
    if (eb_open(&bench, &cfg) != EB_OK || eb_domain_count(bench) != 1) {
        fprintf(stderr, "cannot open the simulated GPU\n");
        exit(1);
    }
    sim.lib = dlopen(getenv("EBENCH_NVML_LIBRARY"), RTLD_NOW | RTLD_NOLOAD);
    *(void **)&sim.truth = dlsym(sim.lib, "ebsim_true_energy_j");
    *(void **)&sim.now = dlsym(sim.lib, "ebsim_now");
    *(void **)&sim.forget = dlsym(sim.lib, "ebsim_forget");
    *(void **)&sim.handle = dlsym(sim.lib, "nvmlDeviceGetHandleByIndex_v2");
    *(void **)&sim.energy = dlsym(sim.lib, "nvmlDeviceGetTotalEnergyConsumption");
    *(void **)&sim.usage = dlsym(sim.lib, "nvmlDeviceGetPowerUsage");
    *(void **)&sim.instants = dlsym(sim.lib, "ebsim_update_instants");
    sim.handle(0, &sim.dev);
    double best = INFINITY;
    for (int i = 0; i < 5; i++) {
        double a = eb_now(bench), s = sim.now(), c = eb_now(bench);
        if (c - a < best) {
            best = c - a;
            offset = s - 0.5 * (a + c);
        }
    }
}

static void close_scenario(void)
{
    sim.forget(scenario_path);
    eb_close(bench);
    dlclose(sim.lib);
}

static double truth(double t0, double t1)
{
    return sim.truth(0, t0 + offset, t1 + offset);
}

/* The counter's line at bench time t, drawn through the true update instants
 * with the true energy at each: what a tracker that placed every move exactly
 * would interpolate. Only the load between two moves is unknown to it, so
 * line(t1) - line(t0) is the best any reader of this counter can do. */
static double line_j(double t)
{
    double u[64], s = t + offset;
    int n = sim.instants(0, 0, s - 1.5, s + 1.5, u, 64);
    for (int i = 0; i + 1 < n; i++)
        if (u[i] <= s && s < u[i + 1]) {
            double e0 = sim.truth(0, 0, u[i]), e1 = sim.truth(0, 0, u[i + 1]);
            return e0 + (e1 - e0) * (s - u[i]) / (u[i + 1] - u[i]);
        }
    return NAN;
}

/* One real-time run of windows on one load and counter timing. */
static void windows_run(const char *load, const char *timing, const char *gpu, double seconds,
                        unsigned seed, int track)
{
    char env[32];
    snprintf(env, sizeof env, "%u", seed);
    setenv("EBENCH_SIM_SEED", env, 1);
    if (track)
        unsetenv("EBENCH_TRACK");
    else
        setenv("EBENCH_TRACK", "off", 1);
    open_scenario(gpu, 100);
    srand(seed);
    memset(stream, 0, sizeof stream);
    memset(&poll1, 0, sizeof poll1);
    stop = 0;
    pthread_t th[LENGTHS], pt;
    for (int i = 0; i < LENGTHS; i++) {
        stream[i].seed = seed * 31 + (unsigned)i;
        pthread_create(&th[i], NULL, window_thread, (void *)(size_t)i);
    }
    pthread_create(&pt, NULL, poll_thread, NULL);
    nap(seconds);
    stop = 1;
    for (int i = 0; i < LENGTHS; i++)
        pthread_join(th[i], NULL);
    pthread_join(pt, NULL);
    eb_stop(bench);
    eb_tracking tr;
    eb_domain_tracking(bench, 0, &tr);
    fprintf(stderr, "  %s, %s, tracking %s: seed %u, %s, period %.3f ms, %zu extra reads\n", load,
            timing, track ? "on" : "off", seed, tr.state, tr.period_s * 1e3, tr.extra_reads);
    for (int i = 0; i < LENGTHS; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%g", lengths[i]);
        errs e_eb = {0}, e_line = {0}, e_ends = {0}, e_poll = {0};
        for (int k = 0; k < stream[i].n; k++) {
            eb_domain_energy r_d[EB_MAX_DOMAINS];
            eb_result r = EB_RESULT_INIT(r_d);
            if (eb_window_result(bench, name, (size_t)k, &r) != EB_OK)
                continue;
            double t = truth(r.t_begin_s, r.t_end_s);
            add(&e_eb, r.domains[0].energy_j, t);
            add(&e_line, line_j(r.t_end_s) - line_j(r.t_begin_s), t);
            if (getenv("EB_ACC_DEBUG") && fabs(r.domains[0].energy_j / t - 1) > 0.005)
                fprintf(stderr, "    %s [%.4f, %.4f]: %+.2f%%\n", name, r.t_begin_s, r.t_end_s,
                        100 * (r.domains[0].energy_j / t - 1));
            add(&e_ends, stream[i].ends_j[k], t);
            double p = poll_energy(&poll1, r.t_begin_s, r.t_end_s);
            if (!isnan(p)) /* no poll yet when the window began */
                add(&e_poll, p, t);
        }
        if (e_eb.n == 0)
            continue;
        printf("| %s | %s | %s | %g s | %d | %s | %s | %s | %s |\n", load, timing,
               track ? "on" : "off (EBENCH_TRACK=off)", lengths[i], e_eb.n, cell(&e_eb),
               cell(&e_line), cell(&e_ends), cell(&e_poll));
    }
    close_scenario();
}

/* A whole run, as `ebench run -- sleep N` measures it, at one interval. */
static void whole_run(const char *timing, const char *gpu, double interval_ms, double seconds,
                      unsigned seed)
{
    char env[32];
    snprintf(env, sizeof env, "%u", seed);
    setenv("EBENCH_SIM_SEED", env, 1);
    unsetenv("EBENCH_TRACK");
    open_scenario(gpu, interval_ms);
    memset(&poll1, 0, sizeof poll1);
    stop = 0;
    pthread_t pt;
    pthread_create(&pt, NULL, poll_thread, NULL);
    double a = counter_j();
    nap(seconds);
    stop = 1;
    pthread_join(pt, NULL);
    eb_stop(bench);
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    eb_total(bench, &r);
    double ends = counter_j() - a;
    double t = truth(0, r.t_end_s);
    printf("| %s | %g ms | %.2f | %+.3f%% | %+.3f%% | %+.3f%% | %.2f W over %.0f ms |\n", timing,
           interval_ms, t, 100 * (r.domains[0].energy_j / t - 1), 100 * (ends / t - 1),
           100 * (poll_energy(&poll1, 0, r.t_end_s) / t - 1), r.domains[0].peak_power_w,
           r.domains[0].peak_span_s * 1e3);
    close_scenario();
}

#define CONSTANT "\"phases\": [{\"seconds\": 1000, \"power_w\": 237.5}]"
#define BURSTY                                                                                     \
    "\"repeat\": true, \"phases\": [{\"seconds\": 0.03, \"power_w\": 400}, {\"seconds\": 0.07, "   \
    "\"power_w\": 50}]"
#define STEPS                                                                                      \
    "\"repeat\": true, \"phases\": [{\"seconds\": 0.7, \"power_w\": 50}, {\"seconds\": 0.7, "      \
    "\"power_w\": 150}, {\"seconds\": 0.7, \"power_w\": 250}, {\"seconds\": 0.7, \"power_w\": "    \
    "400}]"
#define DEFAULT_TIMING "\"sensor\": {}"
#define OFF_TIMING "\"sensor\": {\"energy_update_ms\": 103.7, \"energy_jitter_ms\": 3}"
#define FAST_TIMING "\"sensor\": {\"energy_update_ms\": 47.3, \"energy_jitter_ms\": 1}"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: eb_accuracy_rt SIM_LIB [SECONDS_PER_RUN]\n");
        return 2;
    }
    double seconds = argc > 2 ? atof(argv[2]) : 20;
    char dir[] = "/tmp/eb-accuracy-rt.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(scenario_path, sizeof scenario_path, "%s/gpu.json", dir);
    setenv("EBENCH_NVML_LIBRARY", argv[1], 1);
    setenv("EBENCH_SIM_CONFIG", scenario_path, 1);
    unsetenv("EBENCH_SIM_CLOCK");

    static const struct {
        const char *name, *json;
    } loads[] = {{"constant 237.5 W", CONSTANT},
                 {"bursty: 30 ms at 400 W every 100 ms", BURSTY},
                 {"steps 50-150-250-400 W, 0.7 s each", STEPS}};
    static const struct {
        const char *name, *json;
    } timings[] = {{"~100 ms (+-1%), 0.5 ms jitter", DEFAULT_TIMING},
                   {"103.7 ms, 3 ms jitter", OFF_TIMING},
                   {"47.3 ms, 1 ms jitter", FAST_TIMING}};
    char gpu[512];
    printf("Windows at random offsets (%g s of real time per run; mean / worst |error|):\n\n",
           seconds);
    printf("| load | counter updates | tracking | window | n | ebench | every move placed exactly "
           "(floor) | counter read at both ends | 1 Hz poll x length |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    unsigned seed = 1001;
    for (size_t l = 0; l < 3; l++)
        for (size_t k = 0; k < 3; k++) {
            snprintf(gpu, sizeof gpu, "{%s, %s}", loads[l].json, timings[k].json);
            windows_run(loads[l].name, timings[k].name, gpu, seconds, seed, 1);
            if (k < 2)
                windows_run(loads[l].name, timings[k].name, gpu, seconds, seed, 0);
            seed++;
            fflush(stdout);
        }
    printf("\nWhole runs (constant 237.5 W, 3 s; signed error):\n\n");
    printf("| counter updates | --interval | true J | ebench | counter at both ends | 1 Hz "
           "poll | ebench peak |\n|---|---|---|---|---|---|---|\n");
    static const double intervals[] = {1, 10, 100, 1000};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < 4; i++) {
            snprintf(gpu, sizeof gpu, "{%s, %s}", CONSTANT, timings[k].json);
            whole_run(timings[k].name, gpu, intervals[i], 3.0, seed++);
            fflush(stdout);
        }
    unlink(scenario_path);
    rmdir(dir);
    return 0;
}
