/*
 * gpu_select.h - which GPUs to measure, for every vendor, in one place.
 * Pure: it works on the list of (vendor, index, UUID, PCI bus id, minor) that
 * the GPU backends give before they add domains (bench.c collects it).
 *
 * Rules, first that applies:
 *   1. --gpus (eb_config.gpus): "all", or entries naming GPUs of any vendor:
 *      "nvidia0", "amd1", "intel0" (vendor and index within the vendor), UUID
 *      prefixes ("GPU-...", "MIG-..." through the NVIDIA backend), and bare
 *      indices "0" or "gpu0", which are accepted only where the node's GPUs
 *      are of one vendor (elsewhere they would be ambiguous).
 *   2. Slurm: SLURM_STEP_GPUS, else SLURM_JOB_GPUS, by device minor number
 *      (/dev/nvidiaN for NVIDIA, /dev/dri/cardN for AMD and Intel).
 *   3. Each vendor's own runtime variables, applied in order, each one
 *      numbering the GPUs the previous one left, in PCI bus order:
 *      NVIDIA CUDA_VISIBLE_DEVICES; AMD ROCR_VISIBLE_DEVICES then
 *      HIP_VISIBLE_DEVICES; Intel ZE_AFFINITY_MASK ("card" or "card.tile").
 *      As the runtimes do, an entry that matches no GPU ends the list.
 *   4. All.
 * Adding a vendor: one line in eb__gpu_vendors[] (gpu_select.c).
 */
#ifndef EB_GPU_SELECT_H
#define EB_GPU_SELECT_H

#include <stddef.h>

enum { EB__GPU_NVIDIA, EB__GPU_AMD, EB__GPU_INTEL, EB__GPU_N_VENDORS };

typedef struct eb__gpu_env {
    const char *var;     /* "CUDA_VISIBLE_DEVICES"; NULL ends the list */
    const char *runtime; /* who reads it: "CUDA" */
} eb__gpu_env;

typedef struct eb__gpu_vendor {
    const char *name;        /* "nvidia": ids ("nvidia0"), --gpus entries, labels */
    const char *display;     /* "NVIDIA" */
    eb__gpu_env env[3];      /* visible-device variables, in the order applied */
    const char *program_dev; /* how the program numbers them: "cuda" -> "cuda:0" */
    const char *minor_dev;   /* the device node Slurm's numbers are the minor of */
} eb__gpu_vendor;

/* Indexed by EB__GPU_NVIDIA ... */
extern const eb__gpu_vendor eb__gpu_vendors[EB__GPU_N_VENDORS];

/* The vendor whose name is `name` ("amd"), or -1. */
int eb__gpu_vendor_of(const char *name);

typedef struct eb__gpu_info {
    int vendor;     /* EB__GPU_* */
    unsigned index; /* within the vendor: NVML's index, AMD SMI's, the card's rank */
    char uuid[96];
    char pci[32];
    long minor;  /* the device minor number Slurm names; -1: unknown */
    int broken;  /* listed but unusable: never selected */
    int backend; /* which GPU backend listed it (set by the caller) */
    int covered; /* an earlier backend lists the same GPU (PCI bus id): skipped */
    /* set by eb__gpu_select */
    int primary;  /* covered: the position in info[] of the earlier listing */
    int excluded; /* an earlier backend lists this vendor's GPUs and not this one:
                     not one this process may use (another job's, or not accessible) */
    /* its reading covers a whole superchip module (a GH200's NVML reading):
     * the socket-th of the node's, in NVML order; 0 and 0 otherwise */
    int module;
    int socket;
} eb__gpu_info;

typedef struct eb__gpu_choice {
    int selected;
    char rule[400];  /* why it was (or was not) chosen, for the output */
    char mig[96];    /* the MIG instance that chose it, "" if none */
    char entry[96];  /* the visible-device variable's entry that chose it, "" if none */
    const char *var; /* that variable, NULL if none */
    int measured;    /* set by the backend's probe once a domain reads it */
} eb__gpu_choice;

typedef struct eb__gpu_mig_resolver {
    /* Position in info[] of the GPU a MIG-... UUID belongs to, or -1. NULL: none. */
    int (*index_of)(void *ctx, const char *mig_uuid, const eb__gpu_info *info, unsigned n);
    void *ctx;
} eb__gpu_mig_resolver;

/* A problem with a rule, said once. code: EB_EGPUSEL when --gpus cannot be
 * honoured (a caller should refuse the run), 0 when it is for information
 * (a runtime variable's bad entry: the runtime ignores it too). vendor: the
 * vendor it concerns, or -1. */
typedef void (*eb__gpu_problem_fn)(void *ctx, int vendor, int code, const char *text);

/* Fills choice[0..n) for the GPUs of every vendor in info[0..n). gpus_opt:
 * the --gpus value or NULL. Marks `covered` duplicates first. */
void eb__gpu_select(eb__gpu_info *info, unsigned n, const char *gpus_opt,
                    const eb__gpu_mig_resolver *mig, eb__gpu_choice *choice,
                    eb__gpu_problem_fn problem, void *problem_ctx);

/* A PCI bus id as "dddd:bb:dd.f" whatever the writer's domain width; "" if
 * it is not one. */
void eb__pci_key(const char *pci, char *out, size_t len);

#endif
