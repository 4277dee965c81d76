/* prom.h - the Prometheus text exposition format 0.0.4 of a bench's latest
 * readings (ebench export). */
#ifndef EB_PROM_H
#define EB_PROM_H

#include <stdio.h>

#include "ebench.h"

typedef struct eb_prom_opts {
    int dcgm_names;          /* also dcgm-exporter's DCGM_FI_DEV_* series */
    const char *job_map_dir; /* dcgm-exporter's hpc_job mapping: DIR/<gpu index> */
    const char *hostname;
} eb_prom_opts;

/* Writes value escaped for a label (backslash, double quote, newline). */
void eb_prom_escape(FILE *f, const char *value);
/* Writes every metric of every domain; NaN readings are left out. */
int eb_prom_write(FILE *f, eb_bench *b, const eb_prom_opts *o);

#endif
