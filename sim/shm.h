/* shm.h - the shared memory through which workloads drive simulated GPUs. */
#ifndef EBSIM_SHM_H
#define EBSIM_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "ebsim.h"

#define EBSIM_SHM_EVENTS 1024
#define EBSIM_SHM_MAGIC 0x65627369u

typedef struct ebsim_event {
    double t_mono_s; /* CLOCK_MONOTONIC, the same on every process */
    double util;
} ebsim_event;

typedef struct ebsim_shm {
    uint32_t magic;
    struct {
        uint32_t n; /* published events; written last, read with acquire */
        ebsim_event ev[EBSIM_SHM_EVENTS];
    } gpu[EBSIM_MAX_GPUS];
} ebsim_shm;

/* Maps the segment for the scenario file; creates it if asked. NULL if
 * there is none (no workload has driven a GPU yet). */
ebsim_shm *ebsim_shm_map(const char *config_path, int create);
void ebsim_shm_name(const char *config_path, char *name, size_t len);
double ebsim_mono(void);

#endif
