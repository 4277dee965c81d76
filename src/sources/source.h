/*
 * source.h - the contract between the core and each energy backend.
 *
 * A backend is a const ops table. probe() looks at the machine and either
 * adds domains through the probe context or says, in words a user can act on,
 * why it cannot measure anything. read() returns one reading of one domain.
 * A backend that fails never fails the bench: the others keep measuring.
 */
#ifndef EB_SOURCE_H
#define EB_SOURCE_H

#include <stddef.h>

#include "ebench.h"
#include "gpu_select.h"

#define EB__ID_LEN 32
#define EB__TEXT_LEN 512

/* What a backend says about one domain when it adds it. */
typedef struct eb__domain_desc {
    char id[EB__ID_LEN];
    char kind[16];
    char vendor[16];
    char name[64];
    char location[EB__TEXT_LEN];
    char part_of[EB__ID_LEN]; /* "" if none */
    char note[EB__TEXT_LEN];  /* "" if none */
    eb_method method;
    double update_period_s;
    int in_total;
    /* EB_METHOD_COUNTER: joules per counter unit and the value at which the
     * counter wraps to 0 (0: it never wraps). */
    double counter_unit_j;
    unsigned long long counter_range;
    /* The counter moves only every update_period_s (NVML: ~100 ms): between
     * moves, samples are estimates, made exact when it moves again. */
    int counter_holds;
    /* The most the device can draw (a GPU's power limit), W; 0: unknown. A
     * counter that moves by more than this allows was reset. */
    double max_power_w;
    /* Power methods: the reading is the mean since the previous read (so
     * energy is power x dt), not an instant value (trapezoids). */
    int power_is_interval_mean;
    char uuid[96];               /* "" if none */
    char pci_bus_id[32];         /* "" if none */
    int vendor_index;            /* GPUs: index within the vendor (nvidia0 -> 0); -1 otherwise */
    char visible_var[32];        /* GPUs: the variable that chose it, "" if none */
    char visible_entry[96];      /* its entry (CUDA_VISIBLE_DEVICES: eb_domain_info.cuda_entry) */
    char scope[16];              /* "" (the device), "module", "package" */
    char readings[EB__TEXT_LEN]; /* what else it reports, "" if nothing */
    int simulated;               /* read from the simulated driver (sim/) */
    int has_aux;                 /* fills eb__reading.aux */
    double uncertainty_rel;      /* relative uncertainty of the energy (source in the backend) */
    double sensor_window_s;      /* each power reading averages this long; 0: continuous */
    double model_idle_w;         /* a model's power at rest (the CPU model's idle); 0: none */
} eb__domain_desc;

/* Readings besides energy that a domain may report each tick (NaN if not). */
enum {
    EB__AUX_POWER_INSTANT_W,
    EB__AUX_GPU_UTIL, /* 0..1 */
    EB__AUX_MEM_UTIL, /* 0..1 */
    EB__AUX_SM_CLOCK_MHZ,
    EB__AUX_TEMP_C,
    EB__AUX_POWER_LIMIT_W,
    EB__AUX_N
};

/* One reading: a counter value for counter domains, power otherwise. */
typedef struct eb__reading {
    unsigned long long counter;
    double power_w;
    double aux[EB__AUX_N];
} eb__reading;

/* read() results besides 0: */
#define EB__READ_BAD (-1)  /* this sample is unusable; try again next tick */
#define EB__READ_LOST (-2) /* the device is gone; stop reading it */

typedef struct eb__probe_ctx {
    const char *sysfs_root;
    const char *procfs_root;
    double cpu_tdp_w;
    int cpu_tdp_given;  /* the user chose cpu_tdp_w */
    double cpu_idle_w;  /* the model's power at rest, <= cpu_tdp_w */
    int cpu_idle_given; /* the user chose cpu_idle_w */
    size_t cpu_domains; /* CPU domains added by earlier backends */
    const char *gpus;   /* --gpus: "all", "0,2", "GPU-uuid,..."; NULL: default */
    /* GPU backends, in probe: what their gpu_list gave (gpu_info[i]) and
     * whether gpu_select.c chose it (gpu_choice[i]); n_gpu entries. */
    const eb__gpu_info *gpu_info;
    eb__gpu_choice *gpu_choice; /* the backend sets .measured on those it reads */
    unsigned n_gpu;
    /* every backend's listed GPUs and choices (a Grace meter looks for the
     * GH200 of its socket, selected or not) */
    const eb__gpu_info *all_gpu_info;
    const eb__gpu_choice *all_gpu_choice;
    unsigned n_all_gpu;
    /* The domains earlier backends added (a meter that covers one of them
     * says so: a Grace module meter and a GH200's NVML reading). */
    size_t (*n_domains)(struct eb__probe_ctx *ctx);
    const eb__domain_desc *(*domain)(struct eb__probe_ctx *ctx, size_t i);
    /* Adds a domain; returns its index in the bench, or a negative eb_error. */
    int (*add_domain)(struct eb__probe_ctx *ctx, const eb__domain_desc *d, size_t local);
    /* Records that something cannot be measured, and why. */
    void (*unavailable)(struct eb__probe_ctx *ctx, const char *what, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    void *bench;
    const char *source; /* set by the core to the backend's name */
} eb__probe_ctx;

typedef struct eb__source_ops {
    const char *name;
    unsigned flag; /* its bit in eb_config.sources */
    size_t priv_size;
    /* Adds the backend's domains; local indices are the backend's own. */
    void (*probe)(void *priv, eb__probe_ctx *ctx);
    /* Optional, GPU backends: called before any probe, lists up to max GPUs
     * (vendor, index within the vendor, UUID, PCI bus id, minor; `broken`
     * with the reason given through ctx->unavailable). The selection across
     * vendors is made once on every backend's list (gpu_select.c), then
     * probe adds the chosen ones (ctx->gpu_choice). Returns how many. */
    unsigned (*gpu_list)(void *priv, eb__probe_ctx *ctx, eb__gpu_info *out, unsigned max);
    /* Optional: the position in this backend's list of the GPU that a
     * MIG-... UUID belongs to, or -1. */
    int (*gpu_mig)(void *priv, const char *mig_uuid);
    /* Reads domain `local`. Returns 0, or EB__READ_BAD / EB__READ_LOST with
     * the cause written to why. */
    int (*read)(void *priv, size_t local, eb__reading *out, char *why, size_t why_len);
    /* Optional, for counters that move in steps: the counter alone, as
     * cheaply as the device allows (the tracker reads it between samples).
     * Returns 0 or EB__READ_BAD / EB__READ_LOST. */
    int (*read_counter)(void *priv, size_t local, unsigned long long *out);
    void (*close)(void *priv);
} eb__source_ops;

extern const eb__source_ops eb__nvml_ops;
extern const eb__source_ops eb__powercap_ops;
extern const eb__source_ops eb__cpumodel_ops;
extern const eb__source_ops eb__hwmon_ops;
extern const eb__source_ops eb__amdsmi_ops;
extern const eb__source_ops eb__rocmsmi_ops;

/* NULL-terminated, in probe order: sensors before the model. */
extern const eb__source_ops *const eb__sources[];

/* Fills a GPU domain's id ("amd1"), kind, vendor, vendor_index, UUID, PCI
 * bus id and the visible-device entry that chose it, from its listing. */
void eb__gpu_desc(eb__domain_desc *d, const eb__gpu_info *info, const eb__gpu_choice *choice);

/* The DRM card number N (/dev/dri/cardN) of the PCI device pci under
 * <sysfs_root>/bus/pci/devices: what Slurm's gres numbers AMD and Intel GPUs
 * by. -1 if unknown. */
long eb__drm_card(const char *sysfs_root, const char *pci);

/* Parses a non-negative decimal counter as sysfs writes it ("123\n").
 * Returns 0, or -1 with a reason in why. */
int eb__parse_u64(const char *text, unsigned long long *out, char *why, size_t why_len);
/* snprintf for paths: returns 0, or -1 if the result did not fit. */
int eb__pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads a small text file whole into buf (NUL-terminated, trailing newline
 * kept). Returns 0 or -errno. */
int eb__read_text(const char *path, char *buf, size_t len);
/* The CPU vendor from <procfs>/cpuinfo: "intel", "amd" or "unknown". */
const char *eb__cpu_vendor(const char *procfs_root);

#endif
