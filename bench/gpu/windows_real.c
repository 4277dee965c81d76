/*
 * windows_real.c - ebench's window energies on a real NVIDIA GPU (issue 11),
 * beside the methods users would otherwise use, measured in the same run:
 *   - the energy counter read at the window's two ends (ZeusMonitor's method);
 *   - a 1 Hz poll of nvmlDeviceGetPowerUsage times the window's length.
 * The reference: a thread of its own reads the energy counter every ~0.2 ms
 * and places each of its moves at the middle of a bracket of well under 1 ms;
 * the energy at any instant is interpolated between those moves. On a
 * constant load this is the truth to within the bracket; on a load that
 * changes inside one update period it shares ebench's straight-line
 * assumption, so a second reference shapes each period with field 186
 * (instant power, read every 2 ms): the counter's step, spread over the
 * period in proportion to the instant power.
 *
 *   windows_real LABEL SECONDS TRACE_DIR     (the load runs in another process)
 *
 * Prints one markdown row per window length; writes TRACE_DIR/LABEL-moves.csv
 * (every reference move), LABEL-power.csv (field 186 and power usage) and
 * LABEL-windows.csv (every window, each method), for the analysis of how the
 * real counter updates (period, jitter, phase, whether a step is the energy
 * up to the step).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/sources/nvml_abi.h"
#include "../windows_common.h"
#include "ebench.h"

#define LENGTHS 3
#define MAX_MOVES 200000
#define MAX_POWER 100000
static const double lengths[LENGTHS] = {0.5, 1, 2};

static struct {
    void *lib;
    nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
    nvmlReturn_t (*usage)(nvmlDevice_t, unsigned *);
    nvmlReturn_t (*fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
    nvmlDevice_t dev;
} nv;

static eb_bench *bench;
static volatile int stop;

static struct {
    double lo[MAX_MOVES], hi[MAX_MOVES], mj[MAX_MOVES];
    int n;
} mv;

static struct {
    double t[MAX_POWER], f186[MAX_POWER], usage[MAX_POWER];
    long long ts_us[MAX_POWER];
    int n;
} pw;

static window_stream stream[LENGTHS];

static poll_log poll1;

/* what eb_begin and eb_end cost the calling thread */
static struct {
    double sum, max;
    long n;
} edge;
static pthread_mutex_t edge_lock = PTHREAD_MUTEX_INITIALIZER;

static void edge_add(double s)
{
    pthread_mutex_lock(&edge_lock);
    edge.sum += s;
    edge.n++;
    if (s > edge.max)
        edge.max = s;
    pthread_mutex_unlock(&edge_lock);
}

static double counter_j(void)
{
    unsigned long long mj = 0;
    nv.energy(nv.dev, &mj);
    return (double)mj / 1e3;
}

static void *ref_thread(void *arg)
{
    (void)arg;
    unsigned long long last = 0, v = 0;
    double prev_t0 = eb_now(bench);
    nv.energy(nv.dev, &last);
    double next_power = prev_t0;
    while (!stop && mv.n < MAX_MOVES) {
        nap(0.0002);
        double t0 = eb_now(bench);
        nv.energy(nv.dev, &v);
        double t1 = eb_now(bench);
        if (v != last) {
            mv.lo[mv.n] = prev_t0;
            mv.hi[mv.n] = t1;
            mv.mj[mv.n++] = (double)v;
            last = v;
        }
        prev_t0 = t0;
        if (t1 >= next_power && pw.n < MAX_POWER) {
            nvmlFieldValue_t f;
            memset(&f, 0, sizeof f);
            f.fieldId = NVML_FI_DEV_POWER_INSTANT;
            unsigned u = 0;
            double tp = eb_now(bench);
            int ok = nv.fields(nv.dev, 1, &f) == NVML_SUCCESS && f.nvmlReturn == NVML_SUCCESS;
            nv.usage(nv.dev, &u);
            pw.t[pw.n] = tp;
            pw.f186[pw.n] = ok ? f.value.uiVal / 1e3 : NAN;
            pw.ts_us[pw.n] = ok ? f.timestamp : 0;
            pw.usage[pw.n++] = u / 1e3;
            next_power = tp + 0.002;
        }
    }
    return NULL;
}

/* The reference energy at t (J, on the counter's scale): linear between the
 * moves placed at their brackets' middles. */
static double ref_linear(double t)
{
    int n = mv.n;
    if (n < 2)
        return NAN;
    int lo = 0, hi = n - 1;
    if (t <= 0.5 * (mv.lo[0] + mv.hi[0]) || t >= 0.5 * (mv.lo[n - 1] + mv.hi[n - 1]))
        return NAN;
    while (hi - lo > 1) {
        int m = (lo + hi) / 2;
        if (0.5 * (mv.lo[m] + mv.hi[m]) <= t)
            lo = m;
        else
            hi = m;
    }
    double a = 0.5 * (mv.lo[lo] + mv.hi[lo]), b = 0.5 * (mv.lo[hi] + mv.hi[hi]);
    return (mv.mj[lo] + (mv.mj[hi] - mv.mj[lo]) * (t - a) / (b - a)) / 1e3;
}

/* Mean field-186 power over [a, b] (step-wise between its readings). */
static double f186_integral(double a, double b)
{
    double sum = 0;
    for (int i = 0; i + 1 < pw.n; i++) {
        double x = fmax(a, pw.t[i]), y = fmin(b, pw.t[i + 1]);
        if (y > x && !isnan(pw.f186[i]))
            sum += pw.f186[i] * (y - x);
    }
    return sum;
}

/* The shaped reference: inside the period holding t, the counter's step is
 * spread in proportion to field 186's power. */
static double ref_shaped(double t)
{
    int n = mv.n;
    if (n < 2 || pw.n < 2)
        return NAN;
    int k = 0;
    while (k + 1 < n && 0.5 * (mv.lo[k + 1] + mv.hi[k + 1]) <= t)
        k++;
    if (k + 1 >= n || t < 0.5 * (mv.lo[0] + mv.hi[0]))
        return NAN;
    double a = 0.5 * (mv.lo[k] + mv.hi[k]), b = 0.5 * (mv.lo[k + 1] + mv.hi[k + 1]);
    double whole = f186_integral(a, b), part = f186_integral(a, t);
    double frac = whole > 0 ? part / whole : (t - a) / (b - a);
    return (mv.mj[k] + (mv.mj[k + 1] - mv.mj[k]) * frac) / 1e3;
}

static void *window_thread(void *arg)
{
    int i = (int)(size_t)arg;
    char name[16];
    snprintf(name, sizeof name, "w%g", lengths[i]);
    nap(0.5); /* the reference has moves before the first window */
    while (!stop && stream[i].n < MAX_WIN) {
        nap(0.3 * rand_r(&stream[i].seed) / RAND_MAX);
        if (stop)
            break;
        double a = counter_j();
        double c0 = eb_now(bench);
        eb_begin(bench, name);
        double c1 = eb_now(bench);
        nap(lengths[i]);
        double c2 = eb_now(bench);
        eb_end(bench, name, NULL);
        edge_add(c1 - c0);
        edge_add(eb_now(bench) - c2);
        stream[i].ends_j[stream[i].n] = counter_j() - a;
        stream[i].n++;
    }
    return NULL;
}

static void *poll_thread(void *arg)
{
    (void)arg;
    nap(0.37);
    while (!stop && poll1.n < 128) {
        unsigned mw = 0;
        nv.usage(nv.dev, &mw);
        poll1.t[poll1.n] = eb_now(bench);
        poll1.w[poll1.n++] = mw / 1e3;
        nap(1.0);
    }
    return NULL;
}

static FILE *open_out(const char *dir, const char *label, const char *what)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s-%s.csv", dir, label, what);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: windows_real LABEL SECONDS TRACE_DIR\n");
        return 2;
    }
    const char *label = argv[1], *dir = argv[3];
    double seconds = atof(argv[2]);
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.sources = EB_SOURCE_NVML;
    if (eb_open(&bench, &cfg) != EB_OK || eb_domain_count(bench) < 1) {
        fprintf(stderr, "windows_real: no GPU through NVML\n");
        return 1;
    }
    nv.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    *(void **)&nv.energy = dlsym(nv.lib, "nvmlDeviceGetTotalEnergyConsumption");
    *(void **)&nv.usage = dlsym(nv.lib, "nvmlDeviceGetPowerUsage");
    *(void **)&nv.fields = dlsym(nv.lib, "nvmlDeviceGetFieldValues");
    nvmlReturn_t (*handle)(unsigned, nvmlDevice_t *);
    *(void **)&handle = dlsym(nv.lib, "nvmlDeviceGetHandleByIndex_v2");
    if (!nv.energy || !nv.usage || !nv.fields || !handle || handle(0, &nv.dev) != NVML_SUCCESS) {
        fprintf(stderr, "windows_real: NVML symbols missing\n");
        return 1;
    }
    srand(11);
    pthread_t rt, pt, th[LENGTHS];
    /* WR_NOREF=1: no reference reads (what the edges cost without them) */
    int ref = !getenv("WR_NOREF");
    if (ref)
        pthread_create(&rt, NULL, ref_thread, NULL);
    for (int i = 0; i < LENGTHS; i++) {
        stream[i].seed = 31u * (unsigned)i + 7u;
        pthread_create(&th[i], NULL, window_thread, (void *)(size_t)i);
    }
    pthread_create(&pt, NULL, poll_thread, NULL);
    nap(seconds);
    stop = 1;
    for (int i = 0; i < LENGTHS; i++)
        pthread_join(th[i], NULL);
    pthread_join(pt, NULL);
    eb_stop(bench);
    nap(0.3); /* the reference sees the moves after the last window's end */
    if (ref)
        pthread_join(rt, NULL);

    eb_tracking tr;
    eb_domain_tracking(bench, 0, &tr);
    fprintf(stderr,
            "%s: tracking %s (%s): period %.4f ms, jitter %.3f ms, %zu reads, %zu extra, %zu "
            "moves, %zu relocks, bracket mean %.3f ms, placement uncertainty mean %.3f ms; "
            "eb_begin/eb_end took %.3f ms mean, %.3f ms max; reference: %d moves, %d power "
            "reads\n",
            label, tr.state, tr.why, tr.period_s * 1e3, tr.jitter_s * 1e3, tr.reads, tr.extra_reads,
            tr.moves, tr.relocks, tr.bracket_mean_s * 1e3, tr.uncertainty_mean_s * 1e3,
            edge.n ? edge.sum / (double)edge.n * 1e3 : NAN, edge.max * 1e3, mv.n, pw.n);

    FILE *fm = open_out(dir, label, "moves"), *fp = open_out(dir, label, "power"),
         *fw = open_out(dir, label, "windows");
    fprintf(fm, "lo_s,hi_s,energy_mj\n");
    for (int i = 0; i < mv.n; i++)
        fprintf(fm, "%.7f,%.7f,%.0f\n", mv.lo[i], mv.hi[i], mv.mj[i]);
    fprintf(fp, "t_s,field186_w,field186_timestamp_us,power_usage_w\n");
    for (int i = 0; i < pw.n; i++)
        fprintf(fp, "%.7f,%.3f,%lld,%.3f\n", pw.t[i], pw.f186[i], pw.ts_us[i], pw.usage[i]);
    fprintf(fw,
            "length_s,t0_s,t1_s,ebench_j,provisional,ends_j,poll_j,ref_linear_j,ref_shaped_j\n");
    for (int i = 0; i < LENGTHS; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%g", lengths[i]);
        errs e_eb = {0}, e_ends = {0}, e_poll = {0}, s_eb = {0}, s_ends = {0};
        for (int k = 0; k < stream[i].n; k++) {
            eb_domain_energy r_d[EB_MAX_DOMAINS];
            eb_result r = EB_RESULT_INIT(r_d);
            if (eb_window_result(bench, name, (size_t)k, &r) != EB_OK)
                continue;
            double lin = ref_linear(r.t_end_s) - ref_linear(r.t_begin_s);
            double shp = ref_shaped(r.t_end_s) - ref_shaped(r.t_begin_s);
            double p = poll_energy(&poll1, r.t_begin_s, r.t_end_s);
            fprintf(fw, "%g,%.7f,%.7f,%.6f,%d,%.6f,%.6f,%.6f,%.6f\n", lengths[i], r.t_begin_s,
                    r.t_end_s, r.domains[0].energy_j, r.domains[0].provisional, stream[i].ends_j[k],
                    p, lin, shp);
            add(&e_eb, r.domains[0].energy_j, lin);
            add(&e_ends, stream[i].ends_j[k], lin);
            add(&e_poll, p, lin);
            add(&s_eb, r.domains[0].energy_j, shp);
            add(&s_ends, stream[i].ends_j[k], shp);
        }
        printf("| %s | %g s | %d | %s | %s | %s | %s | %s |\n", label, lengths[i], e_eb.n,
               cell(&e_eb), cell(&e_ends), cell(&e_poll), cell(&s_eb), cell(&s_ends));
    }
    fclose(fm);
    fclose(fp);
    fclose(fw);
    eb_close(bench);
    return 0;
}
