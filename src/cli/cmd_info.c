/* cmd_info.c - `ebench info`: what can be measured here, and why not. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char info_usage[] =
    "usage: ebench info [--gpus LIST] [--cpu-tdp W] [--cpu-idle W]\n"
    "\n"
    "Lists every energy domain this machine exposes (id, kind, vendor, method,\n"
    "how often its sensor updates, where it is read) and, for every source that\n"
    "cannot be read, the reason and the fix.\n"
    "\n"
    "Methods: counter = a hardware energy counter (best); power = power readings\n"
    "integrated over time; model = an estimate, not a measurement.\n"
    "\n"
    "  --gpus LIST   GPUs to look at: all, vendor and index (nvidia0,amd1,intel0),\n"
    "                UUIDs (GPU-..., MIG-...), or indices (0,2) where one vendor's;\n"
    "                default: Slurm's (SLURM_STEP_GPUS), else each vendor's variable\n"
    "                (CUDA_VISIBLE_DEVICES, ROCR_/HIP_VISIBLE_DEVICES, ZE_AFFINITY_MASK),\n"
    "                else all\n"
    "  --cpu-tdp W   TDP the CPU model assumes where no CPU sensor can be read\n"
    "  --cpu-idle W  its power at rest (default: a fifth of the TDP)\n"
    "\n"
    "GPUs: NVIDIA's from libnvidia-ml.so.1 (EBENCH_NVML_LIBRARY names another file,\n"
    "e.g. the simulated driver build/sim/libnvidia-ml.so.1 with EBENCH_SIM_CONFIG);\n"
    "AMD's from libamd_smi.so (EBENCH_AMDSMI_LIBRARY), else librocm_smi64.so.1\n"
    "(EBENCH_ROCMSMI_LIBRARY), else the amdgpu hwmon; Intel's (xe, i915), NVIDIA Grace's,\n"
    "amd_energy's and Jetson's meters from /sys/class/hwmon.\n"
    "  -h, --help    this text\n";

static void print_period(char *buf, size_t len, double s)
{
    if (s >= 1.0)
        snprintf(buf, len, "%g s", s);
    else
        snprintf(buf, len, "%g ms", s * 1e3);
}

int eb_cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cpu-tdp", required_argument, NULL, 't'},
        {"cpu-idle", required_argument, NULL, 'I'},
        {"gpus", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    eb_config cfg;
    eb_bench *b;
    int c;

    eb_config_init(&cfg);
    cfg.manual = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (eb_cli_number("--cpu-tdp", optarg, 0.1, 100000, &cfg.cpu_tdp_w) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'I':
            if (eb_cli_number("--cpu-idle", optarg, 0, 100000, &cfg.cpu_idle_w) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'g':
            if (eb_cli_check_gpus(optarg) < 0)
                return EB_EXIT_USAGE;
            cfg.gpus = optarg;
            break;
        case 'h':
            fputs(info_usage, stdout);
            return 0;
        default:
            fputs(info_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    if (eb_cli_no_operands("info", argc, argv, info_usage) || eb_cli_check_cpu_model(&cfg) < 0)
        return EB_EXIT_USAGE;
    int rc = eb_cli_open(&cfg, &b);
    if (rc)
        return rc;
    char host[256];
    eb_hostname(host, sizeof host);
    printf("ebench %s on %s\n\n", EB_VERSION_STRING, host);
    size_t n = eb_domain_count(b);
    printf("Domains measured (%zu):\n", n);
    if (n > 0)
        printf("  %-16s %-9s %-8s %-8s %-8s %s\n", "ID", "KIND", "VENDOR", "METHOD", "UPDATE",
               "READ FROM");
    for (size_t i = 0; i < n; i++) {
        const eb_domain_info *d = eb_domain_get(b, i);
        char period[32];
        print_period(period, sizeof period, d->update_period_s);
        printf("  %-16s %-9s %-8s %-8s %-8s %s (%s)%s%s%s\n", d->id, d->kind, d->vendor,
               eb_method_name(d->method), period, d->location, d->name,
               d->part_of ? ", part of " : "", d->part_of ? d->part_of : "",
               d->simulated ? " [SIMULATED]" : "");
        if (d->uuid)
            printf("  %-16s uuid %s\n", "", d->uuid);
        if (d->readings)
            printf("  %-16s reads %s\n", "", d->readings);
    }
    if (n == 0)
        printf("  none: no energy source can be read here (see below)\n");
    for (size_t i = 0, first = 1; i < n; i++) {
        const eb_domain_info *d = eb_domain_get(b, i);
        if (!d->note)
            continue;
        printf("%s  %s: %s\n", first ? "\nNotes:\n" : "", d->id, d->note);
        first = 0;
    }
    size_t nu = eb_unavailable_count(b);
    if (nu > 0)
        printf("\nNot available (%zu):\n", nu);
    for (size_t i = 0; i < nu; i++) {
        const eb_unavailable *u = eb_unavailable_get(b, i);
        if (strcmp(u->source, u->what) == 0)
            printf("  %s: %s\n", u->source, u->reason);
        else
            printf("  %s %s: %s\n", u->source, u->what, u->reason);
    }
    eb_close(b);
    return 0;
}
