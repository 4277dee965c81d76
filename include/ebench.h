/*
 * ebench.h - the whole public API of libebench, an energy profiler for HPC and ML.
 *
 * A bench samples every energy source it can read (CPU packages and DRAM
 * through RAPL powercap, a labelled model estimate where nothing can be read)
 * on its own thread, and measures named windows against that timeline:
 *
 *     eb_bench *b;
 *     if (eb_open(&b, NULL) != EB_OK) ...
 *     eb_begin(b, "solve");
 *     solve();
 *     eb_result r;
 *     eb_end(b, "solve", &r);          // r.total_energy_j, r.domains[i]...
 *     EB_MEASURE(b, "write") { write_output(); }
 *     eb_print_results(b, stdout);
 *     eb_close(b);
 *
 * Conventions: every function returns 0 (EB_OK) or a negative eb_error;
 * eb_strerror() names it and eb_last_detail() says why, for that handle.
 *
 * Threads: any function may be called from any thread, and several threads
 * may use one bench at once (windows from many threads, a report while the
 * sampler runs): the bench's lock makes each call whole. Except: nothing may
 * run on a bench during or after its eb_close(). Strings and structs a bench
 * returns (eb_domain_get(), eb_warning_get(), eb_unavailable_get()) are its own,
 * stable until eb_close(). eb_last_detail() is per thread. After fork(), a
 * bench whose sampler thread stayed in the parent reads what it measured and
 * refuses new windows (EB_EMODE). The library starts one sampler thread per
 * bench (none in manual mode), with every signal blocked.
 * Quantities carry their unit in their name (energy_j, power_w, interval_ms).
 * A value that could not be measured is NaN (JSON null, "<not supported>" in
 * tables), never 0. The library only reads sensors; it never changes clocks,
 * power limits or any other hardware setting.
 */
#ifndef EBENCH_H
#define EBENCH_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EB_EXPORT __attribute__((visibility("default")))
#else
#define EB_EXPORT
#endif

/* The version of this header. A program checks the library it loaded with
 * eb_version_number() (the ABI rules are in docs/API.md: structs a caller
 * fills or allocates carry their size, results take the caller's array). */
#define EB_VERSION_MAJOR 2
#define EB_VERSION_MINOR 3
#define EB_VERSION_PATCH 0
#define EB_VERSION_STRING "2.3.0"
#define EB_VERSION_NUMBER ((EB_VERSION_MAJOR << 16) | (EB_VERSION_MINOR << 8) | EB_VERSION_PATCH)

/* The library's version ("2.2.0") and its number (0x020200), which may be
 * newer than the header the program was built with, never older in major. */
EB_EXPORT const char *eb_version(void);
EB_EXPORT unsigned eb_version_number(void);

/* The most domains one bench measures (GPUs, packages, DRAM, subzones) in
 * this version: not part of the ABI (results take the caller's array). */
#define EB_MAX_DOMAINS 64

/*
 * Errors: one list generates the enum, eb_strerror() and eb_err_name(), so
 * codes and messages cannot drift apart. 0 is success, failures are negative.
 */
#define EB_ERROR_LIST(X)                                                                           \
    X(EINVAL, "invalid argument")                                                                  \
    X(ENOMEM, "out of memory")                                                                     \
    X(ENOTOPEN, "no open window with that name")                                                   \
    X(ETHREAD, "cannot start the sampler thread")                                                  \
    X(EMODE, "operation not allowed in this sampling mode")                                        \
    X(ETOOMANY, "too many domains")                                                                \
    X(EIO, "input/output error")                                                                   \
    X(EGPUSEL, "the GPU selection (--gpus) names no GPU here")

enum eb__error_index {
    EB__INDEX_OK = 0,
#define EB__X(name, msg) EB__INDEX_##name,
    EB_ERROR_LIST(EB__X)
#undef EB__X
        EB__INDEX_COUNT
};

typedef enum eb_error {
    EB_OK = 0,
#define EB__X(name, msg) EB_##name = -EB__INDEX_##name,
    EB_ERROR_LIST(EB__X)
#undef EB__X
} eb_error;

/* Message for an error code ("invalid argument"); never NULL. */
EB_EXPORT const char *eb_strerror(int err);
/* Name of an error code ("EB_EINVAL"); never NULL. */
EB_EXPORT const char *eb_err_name(int err);

/* Which backends a bench may use. EB_SOURCE_ALL is the default. */
enum eb_source_flags {
    EB_SOURCE_POWERCAP = 1u << 0, /* RAPL via /sys/class/powercap */
    EB_SOURCE_CPUMODEL = 1u << 1, /* utilization x TDP, only if no CPU sensor */
    EB_SOURCE_NVML = 1u << 2,     /* NVIDIA GPUs through libnvidia-ml.so.1 */
    EB_SOURCE_HWMON = 1u << 3,    /* 2.3: /sys/class/hwmon: AMD and Intel GPUs, Grace,
                                     amd_energy, Jetson and other power meters */
    EB_SOURCE_AMDSMI = 1u << 4,   /* 2.3: AMD GPUs through libamd_smi.so (ROCm 6) */
    EB_SOURCE_ROCMSMI = 1u << 5   /* 2.3: AMD GPUs through librocm_smi64.so.1 */
};
/* Every source (a macro: an enum's constants are ints in C). */
#define EB_SOURCE_ALL 0xffffffffu

/* How a domain's energy is obtained. */
typedef enum eb_method {
    EB_METHOD_COUNTER = 0, /* hardware energy counter, deltas with wraparound */
    EB_METHOD_POWER = 1,   /* power readings integrated over time */
    EB_METHOD_MODEL = 2    /* an estimate, not a measurement */
} eb_method;

/* "counter", "power" or "model". */
EB_EXPORT const char *eb_method_name(eb_method m);

/* Seconds on the bench's clock; used to replace CLOCK_MONOTONIC in tests. */
typedef double (*eb_clock_fn)(void *ctx);

/*
 * Option structs (eb_config, eb_repeat_opts, eb_run_meta) begin with their
 * size as the program was built: fill them with their _init function, which
 * sets it. Fields are only ever added at the end; a library reads what the
 * program's size covers and takes the defaults for the rest. It takes only
 * the sizes a release of this header had, and refuses any other (0: not
 * initialised; larger: a newer header) with EB_EINVAL before changing
 * anything.
 */
typedef struct eb_config {
    size_t size;             /* sizeof(eb_config) as built: set by eb_config_init() */
    double interval_ms;      /* sampling interval; default 100 ms */
    unsigned sources;        /* eb_source_flags; default EB_SOURCE_ALL */
    int manual;              /* nonzero: no thread, each eb_tick() is one tick */
    eb_clock_fn clock;       /* NULL: CLOCK_MONOTONIC */
    void *clock_ctx;         /* passed to clock */
    double cpu_tdp_w;        /* for the CPU model; 0: EB_DEFAULT_CPU_TDP_W */
    const char *sysfs_root;  /* NULL: $EBENCH_SYSFS_ROOT, else "/sys" */
    const char *procfs_root; /* NULL: $EBENCH_PROCFS_ROOT, else "/proc" */
    const char *gpus;        /* "all", or entries "nvidia0,amd1", UUIDs "GPU-...,MIG-...",
                                indices "0,2" where the GPUs are of one vendor;
                                NULL: Slurm's, else each vendor's visible-device
                                variables (CUDA_VISIBLE_DEVICES ...), else all */
    double cpu_idle_w;       /* the CPU model's power at rest (0 <= W <= TDP); < 0:
                                EB_DEFAULT_CPU_IDLE_SHARE x TDP (eb_config_init) */
    /* 2.1: samples kept in memory per domain; past it the older half of the
     * timeline is thinned to every other sample: energies at kept samples,
     * the edges of every window kept and the peaks of open ones stay exact;
     * older power is a mean over longer (docs/API.md, "Memory on long runs").
     * 0: EB_DEFAULT_HISTORY_SAMPLES; else at least 64. */
    size_t history_samples;
    /* 2.2: closed windows kept one by one (eb_window_result(name, i), the
     * outliers of eb_window_stats, the phases a plot shades); older ones are
     * folded into totals per name (calls, energy, mean, stddev, CI, min, max,
     * peaks, work), which every report and statistic includes, so memory does
     * not grow with the number of windows. 0: EB_DEFAULT_WINDOW_RECORDS. */
    size_t window_records;
    /* 2.2: the full-resolution timeline, written as samples become final by
     * a thread of the library's, never the sampler: a slow disk costs memory
     * (up to 16384 samples a domain, or half of history_samples if more),
     * then samples merged in pairs, counted in a warning. The same CSV as
     * eb_write_csv(). The caller opens the file and closes it after
     * eb_stop() or eb_close(); NULL: none. */
    FILE *timeline_csv;
    /* 2.2: every closed window, one CSV row each (name, times, energy per
     * domain, work), written by that thread once its figures are final.
     * NULL: none. */
    FILE *calls_csv;
    /* 2.3: called at every window's two edges, before the sample that marks
     * them (at_end: 0 at eb_begin, 1 at eb_end), in the calling thread with
     * no lock held: wait there for the work queued on the GPU (e.g.
     * cudaDeviceSynchronize), so asynchronous work launched in a window is
     * counted in it and not in the next. NULL: none. */
    void (*sync)(void *ctx, const char *window, int at_end);
    void *sync_ctx;
} eb_config;

/* The TDP the CPU model assumes when none is given: an assumption, stated as
 * such in every output, not a property of this machine. */
#define EB_DEFAULT_CPU_TDP_W 100.0
/* The CPU model's idle power as a share of TDP when none is given: about a
 * fifth, as published cloud coefficients have it (Cloud Carbon Footprint:
 * 0.74 W at rest against 3.5 W busy per vCPU). Also an assumption, stated. */
#define EB_DEFAULT_CPU_IDLE_SHARE 0.2
#define EB_DEFAULT_INTERVAL_MS 100.0
/* 20 minutes at 10 Hz at full resolution, older parts coarser (each
 * thinning halves the older half); 0.4 to 0.7 MiB a domain */
#define EB_DEFAULT_HISTORY_SAMPLES ((size_t)12288)
#define EB_DEFAULT_WINDOW_RECORDS ((size_t)16384)

/* Fills cfg (size bytes: sizeof(eb_config) as the caller was built) with
 * the defaults. Bindings call this; C and C++ call eb_config_init(). */
EB_EXPORT void eb_config_init_size(eb_config *cfg, size_t size);
static inline void eb_config_init(eb_config *cfg)
{
    eb_config_init_size(cfg, sizeof *cfg);
}

typedef struct eb_bench eb_bench;

/*
 * Opens a bench: probes every source, takes the first sample and, unless
 * cfg->manual, starts the sampler thread. cfg may be NULL for the defaults.
 * A bench with no readable source still opens (eb_domain_count() is 0 and
 * eb_unavailable() says why). On failure *out is NULL.
 */
EB_EXPORT int eb_open(eb_bench **out, const eb_config *cfg);
/* Stops sampling (a final sample is taken) and frees everything. NULL is ok. */
EB_EXPORT void eb_close(eb_bench *b);
/* Stops the sampler after one last sample; results stay readable. Idempotent. */
EB_EXPORT int eb_stop(eb_bench *b);
/* Manual mode only: takes one sample of every domain now. */
EB_EXPORT int eb_tick(eb_bench *b);
/* Why the calling thread's last failed call on this handle failed, in words
 * ("" if none): kept per thread, valid until that thread's next call.
 * eb_last_detail(NULL): why its last eb_open() failed, where it says. */
EB_EXPORT const char *eb_last_detail(const eb_bench *b);

/* One measured domain: a GPU, a CPU package, DRAM, a RAPL subzone. */
typedef struct eb_domain_info {
    const char *id;       /* "cpu0-package", "cpu0-dram", "cpu" */
    const char *kind;     /* "cpu", "dram", "platform", "gpu" */
    const char *vendor;   /* "intel", "amd", "unknown" */
    const char *name;     /* what the sensor calls itself ("package-0") */
    const char *source;   /* backend: "powercap", "cpumodel" */
    const char *location; /* where it is read ("intel-rapl:0", "/proc/stat") */
    eb_method method;
    double update_period_s; /* how often the sensor itself updates */
    int in_total;           /* counted in the total (not a part of another) */
    const char *part_of;    /* id of the domain that contains it, or NULL */
    const char *note;       /* e.g. the model's assumptions; NULL if none */
    const char *uuid;       /* GPUs: "GPU-..."; NULL if none */
    const char *pci_bus_id; /* GPUs: "00000000:07:00.0"; NULL if none */
    const char *cuda_entry; /* GPUs: the CUDA_VISIBLE_DEVICES entry that chose it; NULL if none */
    const char *readings;   /* what else it reports each tick; NULL if nothing */
    int simulated;          /* a simulated device (sim/): not a measurement */
    double uncertainty_rel; /* relative uncertainty of its energy (0.05 = +-5%) */
    double sensor_window_s; /* power readings average this long (A100/H100: 25 ms of
                               every 100 ms); 0: continuous or a counter */
    /* 2.3 */
    int vendor_index;          /* GPUs: the index within its vendor (nvidia0 -> 0, as
                                  nvidia-smi / amd-smi number them); -1 otherwise */
    const char *visible_var;   /* GPUs: the variable that chose it ("CUDA_VISIBLE_DEVICES",
                                  "HIP_VISIBLE_DEVICES", "ZE_AFFINITY_MASK"); NULL if none */
    const char *visible_entry; /* that variable's entry (cuda_entry for NVIDIA); NULL if none */
    const char *scope;         /* what the reading covers: "device", or "module" where a GPU's
                                  sensor covers a whole superchip module (GH200: Grace CPU,
                                  memory and GPU), "package" for a GPU package whose dies
                                  share one sensor (MI250X) */
} eb_domain_info;

/* Lists are read as eb_<noun>_count() and eb_<noun>_get(b, i); what _get
 * returns is owned by the bench (structs the library allocates may grow at
 * their end: read them through the pointer, never copy them by value). */
EB_EXPORT size_t eb_domain_count(const eb_bench *b);
/* Domain i (0 <= i < eb_domain_count), owned by the bench; NULL if out of range. */
EB_EXPORT const eb_domain_info *eb_domain_get(const eb_bench *b, size_t i);

/* A source, zone or domain that cannot be measured, and why. */
typedef struct eb_unavailable {
    const char *source; /* "powercap", "cpumodel" */
    const char *what;   /* "intel-rapl:0" or the backend itself */
    const char *reason; /* the cause and, where there is one, the fix */
    int code;           /* 2.3: an eb_error when the caller asked for something that
                           cannot be honoured (EB_EGPUSEL: --gpus names no GPU here);
                           0: for information */
} eb_unavailable;

EB_EXPORT size_t eb_unavailable_count(const eb_bench *b);
EB_EXPORT const eb_unavailable *eb_unavailable_get(const eb_bench *b, size_t i);

/* Things the user should know about the measurement (bad readings, risk of
 * missed counter wraps). Stable until the bench is closed. */
EB_EXPORT size_t eb_warning_count(const eb_bench *b);
EB_EXPORT const char *eb_warning_get(const eb_bench *b, size_t i);

/* Energy of one domain over a window. NaN marks what could not be measured. */
typedef struct eb_domain_energy {
    double energy_j;
    double avg_power_w;
    double peak_power_w;
    size_t samples;       /* samples inside the window, boundaries included */
    double covered_s;     /* how much of the window the samples cover; less than
                             the duration when the domain stopped answering */
    eb_method method;     /* how it was measured (as eb_domain_get(b, i)->method) */
    double lost_at_s;     /* when the device stopped answering; NaN if it did not */
    double uncertainty_j; /* energy_j x the domain's relative uncertainty */
    double idle_power_w;  /* the idle baseline; NaN if none was measured or given */
    double net_energy_j;  /* energy above idle: energy_j - idle_power_w x covered_s */
    int unreliable;       /* the window spans fewer than 2 sensor updates */
    double peak_span_s;   /* peak_power_w is the mean over this long (the sensor's
                             resolution: ~0.1 s for NVML's counter); NaN with no peak */
    int provisional;      /* a stepping counter (NVML) has not moved since the window
                             ended: energy_j is an estimate at the last rate, final
                             once it moves (reports made after eb_stop are final) */
} eb_domain_energy;

/*
 * A window's result. The per-domain figures go to an array the caller gives,
 * of any length: eb_result_init(&r, domains, n), or EB_RESULT_INIT(array)
 * for an array in scope (EB_RESULT_TOTALS: totals only). The library writes
 * min(n_domains, capacity) entries of domain_size bytes each, so both structs
 * may grow at their end without breaking programs built before; a size or
 * domain_size no release had is refused (EB_EINVAL). The initializer macros
 * are C (C++ before 20 has no designated initializers): C++ calls
 * eb_result_init().
 */
typedef struct eb_result {
    size_t size;      /* sizeof(eb_result) as the caller was built */
    double t_begin_s; /* on the bench clock, seconds since eb_open */
    double t_end_s;
    double duration_s;
    double total_energy_j;      /* sum over the domains with in_total; NaN if none */
    size_t total_incomplete;    /* in_total domains missing or partly covered */
    double total_uncertainty_j; /* root-sum-square of the domains' (independent sensors) */
    double total_net_energy_j;  /* above idle; NaN unless every in-total domain has a baseline */
    size_t n_domains;           /* == eb_domain_count(); may exceed capacity */
    eb_domain_energy *domains;  /* the caller's array, indexed like eb_domain_get(); or NULL */
    size_t capacity;            /* entries in domains (those past it are not written) */
    size_t domain_size;         /* sizeof(eb_domain_energy) as the caller was built */
} eb_result;

static inline void eb_result_init(eb_result *r, eb_domain_energy *domains, size_t capacity)
{
    memset(r, 0, sizeof *r);
    r->size = sizeof *r;
    r->domains = domains;
    r->capacity = domains ? capacity : 0;
    r->domain_size = sizeof *domains;
}
/* An initializer for `eb_result r = EB_RESULT_INIT(d);` with d an array (not
 * a pointer) of eb_domain_energy; EB_RESULT_TOTALS keeps no domain figures. */
#define EB_RESULT_INIT(array)                                                                      \
    {                                                                                              \
        .size = sizeof(eb_result), .domains = (array),                                             \
        .capacity = sizeof(array) / sizeof((array)[0]), .domain_size = sizeof((array)[0])          \
    }
#define EB_RESULT_TOTALS                                                                           \
    {                                                                                              \
        .size = sizeof(eb_result), .domain_size = sizeof(eb_domain_energy)                         \
    }

/*
 * Named windows. eb_begin() opens a window and eb_end() closes the most
 * recently opened window of that name; windows may nest and overlap. Both
 * take a sample of every domain at the boundary. result may be NULL; every
 * closed window is also kept for eb_print_results(). A result whose size or
 * domain_size this library does not know is refused (EB_EINVAL).
 */
EB_EXPORT int eb_begin(eb_bench *b, const char *name);
EB_EXPORT int eb_end(eb_bench *b, const char *name, eb_result *result);
/* Runs fn(arg) inside a window called name. */
EB_EXPORT int eb_measure(eb_bench *b, const char *name, void (*fn)(void *), void *arg,
                         eb_result *result);
/*
 * How ebench follows a domain's energy counter that moves in steps (NVML's
 * moves about every 100 ms at instants of its own). Each move lies between
 * the last read that did not show it and the first that did (its bracket);
 * ebench learns the counter's period and phase, reads just around each
 * predicted move to keep brackets narrow, and places each move at the middle
 * of its bracket. Once the fit is steady (moves within 1 ms of it) it does so
 * every 8th period only and places the other moves at their prediction (inside
 * the bracket the samples give). A window edge is then off by at most the
 * placement uncertainty of the moves around it, times the power.
 */
typedef struct eb_tracking {
    const char *state;  /* "locked", "acquiring", "quiet" (not moving), "fallback"
                           (moves placed at the reads that see them), or "none"
                           (not a stepping counter) */
    char why[160];      /* why it fell back; "" otherwise */
    double period_s;    /* the fitted update period; NaN until locked */
    double jitter_s;    /* rms of the moves around the fit, bracket widths taken out */
    size_t reads;       /* counter reads, samples and extra ones */
    size_t extra_reads; /* reads made between samples, around predicted moves */
    size_t moves;       /* moves seen */
    size_t missed;      /* moves no read bracketed narrowly (late reads, relocks) */
    size_t relocks;     /* times the lock was lost and learnt again */
    double bracket_mean_s, bracket_max_s; /* widths of the moves' brackets */
    double uncertainty_mean_s;            /* how far a placed move may be from the true
                                             instant: half its bracket, or the fit's
                                             margin where the prediction placed it */
    double uncertainty_max_s;
    size_t resets;       /* the counter went back or jumped (a driver reload) */
    double stopped_at_s; /* stopped moving while the device drew power: energy
                            from then on integrates power readings; NaN if not */
} eb_tracking;

/* Fills out for domain i. EB_EINVAL for a bad index. */
EB_EXPORT int eb_domain_tracking(eb_bench *b, size_t i, eb_tracking *out);

/* The whole timeline, from eb_open to the last sample. */
EB_EXPORT int eb_total(eb_bench *b, eb_result *result);
/*
 * A closed window's result as it stands now: instance i (0: the first closed)
 * of the windows called name. eb_end() answers at once; where a counter moves
 * only every ~100 ms (NVML) the energy after its last move is an estimate
 * (eb_domain_energy.provisional) until the next move, so this call made later,
 * or any report after eb_stop(), gives the settled figure. EB_ENOTOPEN if
 * there is no such instance.
 */
EB_EXPORT int eb_window_result(eb_bench *b, const char *name, size_t i, eb_result *result);

/* The node's name as reports use it: $EBENCH_HOSTNAME, else the host name. */
EB_EXPORT void eb_hostname(char *buf, size_t len);

/* The latest reading of domain i: power (W, NaN if unknown), energy since
 * eb_open (J), and for GPUs utilization (0..1), SM clock, temperature and
 * power limit (NaN where not reported). For live displays (ebench monitor). */
typedef struct eb_reading {
    double t_s;
    double power_w;
    double energy_j;
    double instant_power_w;
    double gpu_util, mem_util;
    double sm_clock_mhz;
    double temperature_c;
    double power_limit_w;
    int up; /* 1 while the domain answers; 0 once lost or before any valid sample */
} eb_reading;

EB_EXPORT int eb_latest(eb_bench *b, size_t i, eb_reading *out);

/*
 * Phase markers. A program started by `ebench run` inherits a descriptor
 * named in $EBENCH_MARKER_FD: its libebench then reads no sensor itself and
 * sends every window (and its work) to the parent, whose report gives the
 * energy of each phase; the parent answers each window's figures back, so
 * eb_end(), eb_window_result(), eb_print_results() and eb_save_json() give
 * the program the same figures as when it runs alone (its domains are the
 * parent's). Without a parent it samples on its own. eb_is_marker() tells
 * which; eb_add_window() records a window from times on this bench's clock
 * (how the parent takes them in).
 */
EB_EXPORT int eb_is_marker(const eb_bench *b);
EB_EXPORT int eb_add_window(eb_bench *b, const char *name, double t0_s, double t1_s);
/* Forgets the last closed window called name (a repetition a signal cut
 * short, which must not join the mean). EB_ENOTOPEN if there is none. */
EB_EXPORT int eb_drop_last_window(eb_bench *b, const char *name);

/*
 * The parent's side (what `ebench run` does): eb_markers_serve() sets
 * $EBENCH_MARKER_FD for the programs this process starts afterwards and
 * answers them from b on a thread of its own; eb_markers_close(), once they
 * have ended, takes in what they sent last, stops and frees. The protocol is
 * in src/lib/markers.c.
 */
typedef struct eb_marker_server eb_marker_server;
EB_EXPORT int eb_markers_serve(eb_bench *b, eb_marker_server **out);
EB_EXPORT void eb_markers_close(eb_marker_server *s);
/* (2.3) Warm-up runs (`ebench run --warmup`): a program's window that begins
 * before `until` (this bench's clock; INFINITY while a warm-up runs) is kept
 * as "<name> (warmup)", out of the measured phases, and so is the work added
 * to it. Default: -INFINITY (none). */
EB_EXPORT void eb_markers_warmup(eb_marker_server *s, double until_s);

/* Where this process stands in a job, from the batch system's and the MPI
 * launcher's variables (SLURM_*, PBS_JOBID, LSB_JOBID, OMPI_COMM_WORLD_*,
 * PMI_*). NULL or -1 where nothing says. */
typedef struct eb_job {
    const char *id;   /* SLURM_JOB_ID, PBS_JOBID, LSB_JOBID */
    const char *step; /* SLURM_STEP_ID */
    long rank;        /* SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK */
    long local_rank;  /* SLURM_LOCALID, OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID,
                         PMI_LOCAL_RANK */
} eb_job;

EB_EXPORT void eb_job_get(eb_job *out);

/* Seconds on the bench clock since eb_open. */
EB_EXPORT double eb_now(eb_bench *b);

/*
 * EB_MEASURE(b, "name") { ... } measures the block as a window. Leave it by
 * reaching its end: a break, goto or return inside skips the window's end.
 */
#define EB__CAT2(a, b) a##b
#define EB__CAT(a, b) EB__CAT2(a, b)
#define EB_MEASURE(b, name)                                                                        \
    for (int EB__CAT(eb__once_, __LINE__) = (eb_begin((b), (name)), 1);                            \
         EB__CAT(eb__once_, __LINE__);                                                             \
         EB__CAT(eb__once_, __LINE__) = 0, eb_end((b), (name), NULL))

/*
 * Idle baseline: what each domain draws at rest, subtracted to give net
 * energy. eb_set_idle_from_window() takes each domain's average power over
 * the last closed window of that name (e.g. one the program spent idle);
 * eb_set_idle_power() gives a known value for one domain id.
 */
EB_EXPORT int eb_set_idle_from_window(eb_bench *b, const char *window);
EB_EXPORT int eb_set_idle_power(eb_bench *b, const char *domain_id, double power_w);

/* Work done in the last closed window of that name (FLOPs with unit "flop",
 * "sample", "token" or any word), for efficiency: TFLOP/J (= TFLOPS/W),
 * samples/J, tokens/J. Up to EB_MAX_WORK units per window. */
#define EB_MAX_WORK 8
EB_EXPORT int eb_add_work(eb_bench *b, const char *window, double amount, const char *unit);

/* Statistics over repetitions: mean, sample standard deviation, and the
 * half-width of the 95% confidence interval of the mean (Student t). */
typedef struct eb_stat {
    size_t n;
    double mean, stddev, ci95, min, max;
} eb_stat;

/* Like eb_result: the per-domain statistics go to the caller's array
 * (eb_stats_init, EB_STATS_INIT(array), EB_STATS_TOTALS). */
#define EB_MAX_OUTLIERS 16
typedef struct eb_stats {
    size_t size; /* sizeof(eb_stats) as the caller was built */
    size_t n;    /* closed instances of the window */
    eb_stat duration_s;
    eb_stat total_energy_j;
    /* instances whose total energy is an outlier (modified z-score > 3.5) */
    size_t n_outliers;
    size_t outliers[EB_MAX_OUTLIERS];
    size_t n_domains;  /* == eb_domain_count(); may exceed capacity */
    eb_stat *energy_j; /* the caller's array, indexed like eb_domain_get(); or NULL */
    size_t capacity;   /* entries in energy_j */
    size_t stat_size;  /* sizeof(eb_stat) as the caller was built */
} eb_stats;

static inline void eb_stats_init(eb_stats *s, eb_stat *energy_j, size_t capacity)
{
    memset(s, 0, sizeof *s);
    s->size = sizeof *s;
    s->energy_j = energy_j;
    s->capacity = energy_j ? capacity : 0;
    s->stat_size = sizeof *energy_j;
}
#define EB_STATS_INIT(array)                                                                       \
    {                                                                                              \
        .size = sizeof(eb_stats), .energy_j = (array),                                             \
        .capacity = sizeof(array) / sizeof((array)[0]), .stat_size = sizeof((array)[0])            \
    }
#define EB_STATS_TOTALS                                                                            \
    {                                                                                              \
        .size = sizeof(eb_stats), .stat_size = sizeof(eb_stat)                                     \
    }

/* Statistics over every closed instance of a window. With none it fails
 * (EB_ENOTOPEN) and says so in out: n is 0. */
EB_EXPORT int eb_window_stats(eb_bench *b, const char *window, eb_stats *out);

/* Runs fn(arg) warmup times (as window "<name> (warmup)"), then n times as
 * window `name`, and fills out (may be NULL). */
EB_EXPORT int eb_repeat(eb_bench *b, const char *name, void (*fn)(void *), void *arg, size_t n,
                        size_t warmup, eb_stats *out);

/*
 * Short kernels: runs fn(arg) back to back inside one window until it has
 * run at least min_seconds and min_reps times, and gives the energy per
 * repetition. Where a power-only sensor sees only part of each update period
 * (A100/H100 without the energy counter: 25 ms of every 100 ms), it inserts
 * evenly spaced delays between blocks of repetitions so that the sensor's
 * window lands on every phase of the kernel (Yang, Adamek and Armour, SC24),
 * and subtracts the idle energy of those delays (measuring the idle baseline
 * first where none is set).
 */
typedef struct eb_repeat_opts {
    size_t size;        /* sizeof(eb_repeat_opts) as built: set by eb_repeat_opts_init() */
    double min_seconds; /* default 5 */
    size_t min_reps;    /* default 32 */
    size_t max_reps;    /* default 1000000 */
    int phase_shift;    /* -1: where a duty-cycled power sensor is measured (default);
                           0: never; 1: always */
    /* waits that long; NULL: sleeps (tests on a manual clock pass their own) */
    void (*delay)(void *ctx, double seconds);
    void *delay_ctx;
} eb_repeat_opts;

EB_EXPORT void eb_repeat_opts_init_size(eb_repeat_opts *o, size_t size);
static inline void eb_repeat_opts_init(eb_repeat_opts *o)
{
    eb_repeat_opts_init_size(o, sizeof *o);
}
/* per_rep: energy and time of one repetition; reps: how many ran. Either
 * may be NULL. opts may be NULL for the defaults. */
EB_EXPORT int eb_measure_repeated(eb_bench *b, const char *name, void (*fn)(void *), void *arg,
                                  const eb_repeat_opts *opts, eb_result *per_rep, size_t *reps);

/* Closed windows, aggregated by name: calls, time, energy per domain. */
EB_EXPORT int eb_print_results(eb_bench *b, FILE *out);

/* What the command-line tool knows about a run, for the reports below. */
typedef struct eb_run_meta {
    size_t size;             /* sizeof(eb_run_meta) as built: set by eb_run_meta_init() */
    const char *const *argv; /* the command measured, NULL-terminated; may be NULL */
    int exit_status;         /* as a shell reports it; -1 if unknown */
    double elapsed_s;        /* wall time of the command; NaN if unknown */
    double user_s, sys_s;    /* its CPU time; NaN if unknown */
    /* The window whose instances the report covers ("run": each run of the
     * command; several instances are repetitions, reported as mean +- CI).
     * NULL: the whole timeline. */
    const char *span;
    double skip_s;             /* steady state starts this long into the span;
                                  NaN: detected (docs/METHODOLOGY.md) */
    double carbon_g_per_kwh;   /* NaN: the world average, labelled so */
    const char *carbon_source; /* where carbon_g_per_kwh comes from */
    double pue;                /* facility overhead; NaN: 1.0, labelled so */
    double price_per_kwh;      /* NaN: no cost shown */
    double nodes;              /* for node-hours; NaN: 1 */
    const char *idle_note;     /* how the idle baseline was obtained; NULL: not measured */
    /* Busy CPU-seconds of the whole machine over the span (per run), beside
     * user_s + sys_s of the command: the command is attributed that share of
     * the CPU domains' energy (the report's "attribution"). NaN: unknown. */
    double machine_cpu_s;
    int partial;         /* the run has not ended: a checkpoint (JSON "checkpoint": true) */
    const char *warning; /* said with the report's warnings (a signal cut the run short); NULL */
} eb_run_meta;

/* Carbon intensity of a region's electricity (ISO code "FR" or name), in
 * gCO2/kWh, with the source of the figure. EB_EINVAL if unknown, with the
 * closest known codes written to near. */
EB_EXPORT int eb_region_carbon(const char *region, double *g_per_kwh, const char **source,
                               char *near, size_t near_len);

/* Fills meta with "nothing known". */
EB_EXPORT void eb_run_meta_init_size(eb_run_meta *meta, size_t size);
static inline void eb_run_meta_init(eb_run_meta *meta)
{
    eb_run_meta_init_size(meta, sizeof *meta);
}

/* The perf-stat-like table of the whole timeline. meta may be NULL. */
EB_EXPORT int eb_print_report(eb_bench *b, FILE *out, const eb_run_meta *meta);
/* The JSON report (schema "ebench-report/1", docs/report.schema.json),
 * written to a temporary file and renamed over path. meta may be NULL. */
EB_EXPORT int eb_save_json(eb_bench *b, const char *path, const eb_run_meta *meta);
/* The timeline as CSV, t_s,domain,power_w,energy_j (cumulative), one row per
 * sample and domain; written to a temporary file and renamed over path. */
EB_EXPORT int eb_save_csv(eb_bench *b, const char *path);

/* Same, onto an open stream (no atomicity). */
EB_EXPORT int eb_write_json(eb_bench *b, FILE *out, const eb_run_meta *meta);
EB_EXPORT int eb_write_csv(eb_bench *b, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* EBENCH_H */
