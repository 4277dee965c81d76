/*
 * accuracy.c - ebench's energy from power-only sensors against the
 * simulator's ground truth, beside
 * what users do today: poll the power once a second and multiply by the
 * elapsed time (nvidia-smi --query-gpu=power.draw -l 1).
 *
 *   eb_overhead is for speed; this is for accuracy:
 *   build/eb_accuracy build/sim/libnvidia-ml.so.1
 *
 * Everything runs on the manual clock (EBENCH_SIM_CLOCK=manual): the
 * simulated GPU, ebench's sampler (a tick every 100 ms, the default) and the
 * naive 1 Hz poll all see the same deterministic sim time, so the table is
 * the same on every machine. The workload drives the GPU through
 * ebsim_set_utilization_at (idle 50 W, busy 400 W).
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/sources/nvml_abi.h"
#include "ebench.h"

static double now_s;
static double fake_clock(void *ctx)
{
    (void)ctx;
    return now_s;
}

static struct {
    void *lib;
    void (*set_time)(double);
    double (*truth)(unsigned, double, double);
    int (*set_util)(unsigned, double, double);
    int (*forget)(const char *);
    nvmlReturn_t (*handle)(unsigned, nvmlDevice_t *);
    nvmlReturn_t (*fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
} sim;

static eb_bench *bench;
static double tick_s = 0.1, next_tick, next_poll, naive_j;
static nvmlDevice_t dev;

/* The naive method: power.draw polled once a second, times one second. */
static void poll_naive(void)
{
    nvmlFieldValue_t v;
    memset(&v, 0, sizeof v);
    v.fieldId = NVML_FI_DEV_POWER_INSTANT;
    sim.fields(dev, 1, &v);
    naive_j += v.value.uiVal / 1e3 * 1.0;
}

/* Moves time forward; ebench ticks every tick_s, the naive poll every 1 s. */
static void advance(double dt)
{
    double end = now_s + dt;
    for (;;) {
        double next = next_tick < next_poll ? next_tick : next_poll;
        if (next > end + 1e-12)
            break;
        now_s = next;
        sim.set_time(now_s);
        if (next == next_tick) {
            eb_tick(bench);
            next_tick += tick_s;
        }
        if (next == next_poll) {
            poll_naive();
            next_poll += 1.0;
        }
    }
    now_s = end;
    sim.set_time(now_s);
}

static void delay(void *ctx, double s)
{
    (void)ctx;
    advance(s);
}

static void util(double u)
{
    sim.set_util(0, now_s, u);
}

static char scenario_path[256];

static void open_scenario(const char *gpu_json)
{
    FILE *f = fopen(scenario_path, "w");
    fprintf(f, "{\"gpus\": [%s]}\n", gpu_json);
    fclose(f);
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.clock = fake_clock;
    cfg.sources = EB_SOURCE_NVML;
    now_s = 0;
    next_tick = tick_s;
    next_poll = 0.5; /* nvidia-smi starts whenever it starts */
    naive_j = 0;
    if (eb_open(&bench, &cfg) != EB_OK || eb_domain_count(bench) != 1) {
        fprintf(stderr, "cannot open the simulated GPU\n");
        exit(1);
    }
    sim.lib = dlopen(getenv("EBENCH_NVML_LIBRARY"), RTLD_NOW | RTLD_NOLOAD);
    *(void **)&sim.set_time = dlsym(sim.lib, "ebsim_set_time");
    *(void **)&sim.truth = dlsym(sim.lib, "ebsim_true_energy_j");
    *(void **)&sim.set_util = dlsym(sim.lib, "ebsim_set_utilization_at");
    *(void **)&sim.forget = dlsym(sim.lib, "ebsim_forget");
    *(void **)&sim.handle = dlsym(sim.lib, "nvmlDeviceGetHandleByIndex_v2");
    *(void **)&sim.fields = dlsym(sim.lib, "nvmlDeviceGetFieldValues");
    sim.handle(0, &dev);
    sim.set_time(0);
}

static void close_scenario(void)
{
    sim.forget(scenario_path);
    dlclose(sim.lib);
    eb_close(bench);
}

static void row(const char *name, const char *method, double truth, double ebench_j, double naive)
{
    printf("| %s | %s | %.2f | %+.2f%% | %+.2f%% |\n", name, method, truth,
           100 * (ebench_j / truth - 1), 100 * (naive / truth - 1));
}

#define NO_COUNTER "\"live\": true, \"sensor\": {\"energy_counter\": false}"

/* A whole run, as `ebench run` measures it, against the naive poll. */
static void whole_run(const char *name, const char *gpu, void (*workload)(void))
{
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    open_scenario(gpu);
    eb_begin(bench, "run");
    double t0 = now_s;
    workload();
    eb_end(bench, "run", &r);
    double truth = sim.truth(0, t0, now_s);
    row(name, eb_method_name(r.domains[0].method), truth, r.domains[0].energy_j, naive_j);
    close_scenario();
}

static void burst_once(void)
{
    util(1);
    advance(0.010);
    util(0);
    advance(0.030);
}

static void bursts(void)
{
    for (int i = 0; i < 250; i++) /* 10 s of 10 ms kernels, 40 ms apart */
        burst_once();
}

static void phases(void)
{
    static const double table[] = {0, 100.0 / 350, 200.0 / 350, 1, 1}; /* 50 150 250 400 400 W */
    for (int k = 0; k < 3; k++) /* 0.7 s steps: not in step with the 1 Hz poll */
        for (int i = 0; i < 5; i++) {
            util(table[i]);
            advance(0.7);
        }
}

static void kernel_fn(void *arg)
{
    (void)arg;
    burst_once();
}

/* One 10 ms kernel's energy, measured by repetition. */
static void short_kernel(const char *name, const char *gpu, int phase_shift)
{
    eb_domain_energy per_d[EB_MAX_DOMAINS];
    eb_result per = EB_RESULT_INIT(per_d);
    eb_repeat_opts o;
    size_t reps;
    open_scenario(gpu);
    eb_repeat_opts_init(&o);
    o.delay = delay;
    o.phase_shift = phase_shift;
    double t0 = now_s;
    naive_j = 0;
    eb_measure_repeated(bench, "k", kernel_fn, NULL, &o, &per, &reps);
    double truth = 0.010 * 400 + 0.030 * 50; /* what one repetition draws */
    if (phase_shift == 0) {
        /* naive: the mean polled power over the timed loop, times the loop's
         * time, over the repetitions, as a user with nvidia-smi -l 1 would */
        double naive = naive_j / floor(now_s - t0) * per.duration_s;
        row(name, eb_method_name(per.domains[0].method), truth, per.domains[0].energy_j, naive);
    } else {
        printf("| %s | %s | %.2f | %+.2f%% | (no delays: as above) |\n", name,
               eb_method_name(per.domains[0].method), truth,
               100 * (per.domains[0].energy_j / truth - 1));
    }
    close_scenario();
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: eb_accuracy SIM_LIB\n");
        return 2;
    }
    char dir[] = "/tmp/eb-accuracy.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(scenario_path, sizeof scenario_path, "%s/gpu.json", dir);
    setenv("EBENCH_NVML_LIBRARY", argv[1], 1);
    setenv("EBENCH_SIM_CONFIG", scenario_path, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);

    printf(
        "| scenario | ebench method | true energy (J) | ebench error | naive 1 Hz poll error |\n");
    printf("|---|---|---|---|---|\n");
    /* Power-only sensors here. The energy counter's figures come from
     * eb_accuracy_rt, in real time: on this clock the sampler's reads and the
     * counter's moves keep a fixed phase, which hides how moves are placed. */
    whole_run("10 ms kernels, H100 sensor without counter, 10 s", "{" NO_COUNTER "}", bursts);
    whole_run("phase changes 50-150-250-400-400 W, 0.7 s each, no counter", "{" NO_COUNTER "}",
              phases);
    short_kernel("one 10 ms kernel (+30 ms host), no counter, repeated, no phase shift",
                 "{" NO_COUNTER "}", 0);
    short_kernel("one 10 ms kernel (+30 ms host), no counter, repeated, phase-shifted",
                 "{" NO_COUNTER "}", -1);
    unlink(scenario_path);
    rmdir(dir);
    return 0;
}
