/*
 * gpu_select.h - which GPUs to measure: --gpus, else CUDA_VISIBLE_DEVICES,
 * else all. Pure: it works on a list of (index, UUID, PCI bus id).
 *
 * The NVML index is not the CUDA index: CUDA numbers GPUs fastest first, or
 * in PCI bus order with CUDA_DEVICE_ORDER=PCI_BUS_ID. Indices in
 * CUDA_VISIBLE_DEVICES are taken in PCI bus order (the output says so);
 * UUIDs (GPU-..., MIG-...) are exact. As CUDA does, an entry that matches no
 * GPU ends the list.
 */
#ifndef EB_GPU_SELECT_H
#define EB_GPU_SELECT_H

#include <stddef.h>

typedef struct eb__gpu_info {
    unsigned index; /* NVML index */
    char uuid[96];
    char pci[32];
    int broken; /* no handle: never selected */
} eb__gpu_info;

typedef struct eb__gpu_choice {
    int selected;
    char rule[320];      /* why it was (or was not) chosen, for the output */
    char mig[96];        /* the MIG instance that chose it, "" if none */
    char cuda_entry[96]; /* the CUDA_VISIBLE_DEVICES entry that chose it, "" if none */
} eb__gpu_choice;

typedef struct eb__gpu_mig_resolver {
    /* NVML index of the GPU a MIG-... UUID belongs to, or -1. NULL: none. */
    int (*index_of)(void *ctx, const char *mig_uuid, const eb__gpu_info *info, unsigned n);
    void *ctx;
} eb__gpu_mig_resolver;

/* Fills choice[0..n). gpus_opt: the --gpus value or NULL (opt_name: what to
 * call it in the output, NULL for "--gpus"); cuda_env: the value
 * of CUDA_VISIBLE_DEVICES or NULL. A problem with either is written to err
 * ("" if none). */
void eb__gpu_select(const eb__gpu_info *info, unsigned n, const char *gpus_opt,
                    const char *opt_name, const char *cuda_env, const eb__gpu_mig_resolver *mig,
                    eb__gpu_choice *choice, char *err, size_t err_len);

#endif
