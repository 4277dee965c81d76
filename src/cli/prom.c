/*
 * prom.c - Prometheus text exposition format 0.0.4: HELP and TYPE once per
 * metric, then one line per series; label values escaped (\\, \", \n); a
 * reading that is not available is left out, never exported as 0.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/utf8.h"
#include "prom.h"

/* Label values are UTF-8 (the exposition format): invalid bytes become '?'
 * (src/util/utf8.h), then backslash, quote and newline are escaped. */
void eb_prom_escape(FILE *f, const char *value)
{
    char *copy = value ? eb__utf8_scrub(strdup(value)) : NULL;
    for (const char *s = copy; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    free(copy);
}

typedef struct metric {
    const char *name, *type, *help;
    double (*value)(const eb_reading *r);
    int gpu_only;
} metric;

static double energy(const eb_reading *r)
{
    return r->energy_j;
}
/* what the power sensor shows now where there is one (GPUs), else the
 * power since the previous sample */
static double power(const eb_reading *r)
{
    return isnan(r->instant_power_w) ? r->power_w : r->instant_power_w;
}
static double gpu_util(const eb_reading *r)
{
    return r->gpu_util;
}
static double mem_util(const eb_reading *r)
{
    return r->mem_util;
}
static double sm_hz(const eb_reading *r)
{
    return r->sm_clock_mhz * 1e6;
}
static double temp(const eb_reading *r)
{
    return r->temperature_c;
}
static double limit(const eb_reading *r)
{
    return r->power_limit_w;
}
static double up(const eb_reading *r)
{
    return r->up;
}

static const metric metrics[] = {
    {"ebench_energy_joules_total", "counter",
     "Energy used since the exporter started, in joules; monotonic across hardware counter "
     "wraps.",
     energy, 0},
    {"ebench_power_watts", "gauge", "Power draw in watts.", power, 0},
    {"ebench_gpu_utilization_ratio", "gauge", "Fraction of time a kernel ran on the GPU (0 to 1).",
     gpu_util, 1},
    {"ebench_memory_utilization_ratio", "gauge",
     "Fraction of time GPU memory was read or written (0 to 1).", mem_util, 1},
    {"ebench_sm_clock_hertz", "gauge", "GPU SM clock in hertz.", sm_hz, 1},
    {"ebench_temperature_celsius", "gauge", "GPU temperature in degrees Celsius.", temp, 1},
    {"ebench_power_limit_watts", "gauge", "Enforced GPU power limit in watts.", limit, 1},
    {"ebench_domain_up", "gauge",
     "1 while the domain answers, 0 once it is lost (e.g. the GPU fell off the bus).", up, 0},
};

static void labels(FILE *f, const eb_domain_info *d, const char *host, const char *job)
{
    fputs("{domain=\"", f);
    eb_prom_escape(f, d->id);
    fputs("\",kind=\"", f);
    eb_prom_escape(f, d->kind);
    fputs("\",vendor=\"", f);
    eb_prom_escape(f, d->vendor);
    fputs("\",device=\"", f);
    eb_prom_escape(f, d->name);
    fputs("\",uuid=\"", f);
    eb_prom_escape(f, d->uuid ? d->uuid : "");
    fputs("\",pci_bus_id=\"", f);
    eb_prom_escape(f, d->pci_bus_id ? d->pci_bus_id : "");
    fputs("\",hostname=\"", f);
    eb_prom_escape(f, host);
    fprintf(f, "\",method=\"%s\",in_total=\"%s\"", eb_method_name(d->method),
            d->in_total ? "true" : "false");
    if (job) {
        fputs(",hpc_job=\"", f);
        eb_prom_escape(f, job);
        fputc('"', f);
    }
    if (d->simulated)
        fputs(",simulated=\"true\"", f);
    if (d->method == EB_METHOD_MODEL)
        fputs(",estimate=\"true\"", f);
    fputc('}', f);
}

static void value(FILE *f, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, " %.0f\n", v);
    else
        fprintf(f, " %.15g\n", v); /* 15 digits: exact enough, free of binary noise */
}

/* dcgm-exporter's series, for the dashboards built on it (Grafana 12239). */
typedef struct dcgm {
    const char *name, *type, *help;
    double scale; /* from ebench's unit */
    double (*value)(const eb_reading *r);
} dcgm;

static const dcgm dcgm_metrics[] = {
    {"DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W).", 1, power},
    {"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter",
     "Total energy consumption since the exporter started (in mJ).", 1e3, energy},
    {"DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).", 100, gpu_util},
    {"DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz).", 1e-6, sm_hz},
    {"DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C).", 1, temp},
};

/* The job ids of a GPU in a job-mapping directory: one file per GPU, named
 * as dcgm-exporter names NVIDIA's (the index, "3") or by vendor and index
 * ("amd3", any vendor), one job id per line (a line is one id, however long:
 * the first 63 bytes of it). Returns how many (at most max). */
static size_t jobs_of(const char *dir, const eb_domain_info *d, char jobs[][64], size_t max)
{
    char path[4096], *line = NULL;
    size_t n = 0, cap = 0;
    if (!dir || strcmp(d->kind, "gpu") != 0 || d->vendor_index < 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s%d", dir, d->vendor, d->vendor_index);
    FILE *f = fopen(path, "r");
    if (!f && strcmp(d->vendor, "nvidia") == 0) {
        snprintf(path, sizeof path, "%s/%d", dir, d->vendor_index);
        f = fopen(path, "r");
    }
    if (!f)
        return 0;
    while (n < max && getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            snprintf(jobs[n++], 64, "%.63s", line);
    }
    free(line);
    fclose(f);
    return n;
}

/* dcgm-exporter's names are NVIDIA's: its GPUs only. */
static int dcgm_gpu(const eb_domain_info *d)
{
    return strcmp(d->kind, "gpu") == 0 && strcmp(d->vendor, "nvidia") == 0 && d->vendor_index >= 0;
}

static void dcgm_series(FILE *f, eb_bench *b, const eb_prom_opts *o, const dcgm *m,
                        const eb_reading *r)
{
    for (size_t i = 0; i < eb_domain_count(b); i++) {
        const eb_domain_info *d = eb_domain_get(b, i);
        double v = m->value(&r[i]);
        if (!dcgm_gpu(d) || isnan(v))
            continue;
        char jobs[16][64];
        size_t n_jobs = jobs_of(o->job_map_dir, d, jobs, 16);
        for (size_t k = 0; k < (n_jobs ? n_jobs : 1); k++) {
            fprintf(f, "%s{gpu=\"%d\",UUID=\"", m->name, d->vendor_index);
            eb_prom_escape(f, d->uuid ? d->uuid : "");
            fputs("\",pci_bus_id=\"", f);
            eb_prom_escape(f, d->pci_bus_id ? d->pci_bus_id : "");
            fprintf(f, "\",device=\"nvidia%d\",modelName=\"", d->vendor_index);
            eb_prom_escape(f, d->name);
            fputs("\",Hostname=\"", f);
            eb_prom_escape(f, o->hostname);
            fputc('"', f);
            if (n_jobs) {
                fputs(",hpc_job=\"", f);
                eb_prom_escape(f, jobs[k]);
                fputc('"', f);
            }
            /* a dashboard built for dcgm-exporter must be able to filter
             * simulated GPUs out, as with ebench's own series */
            if (d->simulated)
                fputs(",simulated=\"true\"", f);
            fputc('}', f);
            value(f, v * m->scale);
        }
    }
}

int eb_prom_write(FILE *f, eb_bench *b, const eb_prom_opts *o)
{
    size_t n = eb_domain_count(b);
    eb_reading r[EB_MAX_DOMAINS];
    for (size_t i = 0; i < n; i++)
        eb_latest(b, i, &r[i]);

    for (size_t k = 0; k < sizeof metrics / sizeof *metrics; k++) {
        const metric *m = &metrics[k];
        int header = 0;
        for (size_t i = 0; i < n; i++) {
            const eb_domain_info *d = eb_domain_get(b, i);
            double v = m->value(&r[i]);
            if ((m->gpu_only && strcmp(d->kind, "gpu") != 0) || isnan(v))
                continue;
            if (!header++)
                fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, m->type);
            /* with a job mapping, a GPU's series carry hpc_job, one per job */
            char jobs[16][64];
            size_t n_jobs = jobs_of(o->job_map_dir, d, jobs, 16);
            for (size_t j = 0; j < (n_jobs ? n_jobs : 1); j++) {
                fputs(m->name, f);
                labels(f, d, o->hostname, n_jobs ? jobs[j] : NULL);
                value(f, v);
            }
        }
    }
    fprintf(f,
            "# HELP ebench_build_info ebench's version and this exporter's host.\n"
            "# TYPE ebench_build_info gauge\nebench_build_info{version=\"%s\",hostname=\"",
            EB_VERSION_STRING);
    eb_prom_escape(f, o->hostname);
    fputs("\"} 1\n", f);
    if (o->dcgm_names)
        for (size_t k = 0; k < sizeof dcgm_metrics / sizeof *dcgm_metrics; k++) {
            int any = 0;
            for (size_t i = 0; i < n; i++)
                any |= dcgm_gpu(eb_domain_get(b, i)) && !isnan(dcgm_metrics[k].value(&r[i]));
            if (!any)
                continue;
            fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", dcgm_metrics[k].name, dcgm_metrics[k].help,
                    dcgm_metrics[k].name, dcgm_metrics[k].type);
            dcgm_series(f, b, o, &dcgm_metrics[k], r);
        }
    return ferror(f) ? -1 : 0;
}
