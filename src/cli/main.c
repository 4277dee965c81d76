/* main.c - the ebench command-line tool: a thin client of libebench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: ebench [--version] [--help] COMMAND [ARGS]\n"
    "\n"
    "Measure the energy of programs: GPUs, CPU packages and DRAM.\n"
    "\n"
    "Commands:\n"
    "  info      what can be measured on this machine, and why not\n"
    "  run       run a command and report the energy it took (like perf stat)\n"
    "  report    print a saved run again (table, csv, json)\n"
    "  compare   compare saved runs by energy, time and efficiency\n"
    "  monitor   live readings of every domain (table or CSV)\n"
    "  plot      power over time of a saved run, with its phases (gnuplot)\n"
    "  export    serve every domain's readings to Prometheus (/metrics)\n"
    "  merge     one job report from the reports of its nodes\n"
    "\n"
    "'ebench COMMAND --help' tells more about each.\n"
    "Environment: EBENCH_SYSFS_ROOT, EBENCH_PROCFS_ROOT (roots for /sys and /proc\n"
    "reads), EBENCH_HOSTNAME (the node name in reports), EBENCH_NVML_LIBRARY,\n"
    "EBENCH_AMDSMI_LIBRARY, EBENCH_ROCMSMI_LIBRARY (the GPU libraries to load),\n"
    "EBENCH_TRACK=off (do not follow the update instants of GPU energy counters; for\n"
    "comparisons only). Which GPUs: --gpus, else SLURM_STEP_GPUS / SLURM_JOB_GPUS,\n"
    "else CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES,\n"
    "ZE_AFFINITY_MASK, each for its vendor's GPUs.\n";

static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    {"info", eb_cmd_info},       {"run", eb_cmd_run},         {"report", eb_cmd_report},
    {"compare", eb_cmd_compare}, {"monitor", eb_cmd_monitor}, {"plot", eb_cmd_plot},
    {"export", eb_cmd_export},   {"merge", eb_cmd_merge},
};

int main(int argc, char **argv)
{
    /* Phase markers are for programs ebench runs; ebench itself always
     * measures, even when another ebench run started it. */
    unsetenv("EBENCH_MARKER_FD");
    if (argc < 2) {
        fputs(usage, stderr);
        return EB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("ebench %s\n", EB_VERSION_STRING);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *sub[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
                if (strcmp(argv[2], commands[i].name) == 0)
                    return commands[i].fn(2, sub);
        }
        fputs(usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ebench: unknown command '%s'\n\n%s", argv[1], usage);
    return EB_EXIT_USAGE;
}

int eb_cli_number(const char *opt, const char *text, double min, double max, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= min && v <= max)) {
        fprintf(stderr, "ebench: %s '%s': expected a number from %.15g to %.15g\n", opt, text, min,
                max);
        return -1;
    }
    *out = v;
    return 0;
}

int eb_cli_count(const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < min || v > max) {
        fprintf(stderr, "ebench: %s '%s': expected a whole number from %ld to %ld\n", opt, text,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int eb_cli_no_operands(const char *cmd, int argc, char **argv, const char *cmd_usage)
{
    if (optind >= argc)
        return 0;
    fprintf(stderr, "ebench %s: unexpected argument '%s'\n%s", cmd, argv[optind], cmd_usage);
    return EB_EXIT_USAGE;
}

int eb_cli_check_cpu_model(const eb_config *cfg)
{
    double tdp = cfg->cpu_tdp_w > 0 ? cfg->cpu_tdp_w : EB_DEFAULT_CPU_TDP_W;
    if (cfg->cpu_idle_w > tdp) {
        fprintf(stderr,
                "ebench: --cpu-idle %.10g W is above the TDP the CPU model assumes (%.10g W%s): a "
                "CPU at "
                "rest draws less than at full load; give both\n",
                cfg->cpu_idle_w, tdp, cfg->cpu_tdp_w > 0 ? "" : ", the default; set --cpu-tdp");
        return -1;
    }
    return 0;
}

int eb_cli_check_gpus(const char *value)
{
    if (strcmp(value, "all") == 0)
        return 0;
    const char *p = value;
    while (*p) {
        size_t len = strcspn(p, ",");
        /* what each entry names is checked against the GPUs found (gpu_select.c) */
        size_t ok_chars = strspn(p, "0123456789abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ-/._"); /* MIG-GPU-u/1/0 */
        if (len == 0 || ok_chars < len) {
            fprintf(stderr,
                    "ebench: --gpus '%s': expected 'all' or a comma-separated list of GPUs: "
                    "indices (as nvidia-smi or amd-smi shows them), vendor and index (nvidia0, "
                    "amd1, intel0) or UUIDs (GPU-..., MIG-...)\n",
                    value);
            return -1;
        }
        p += len;
        if (*p == ',' && *++p == '\0') {
            fprintf(stderr, "ebench: --gpus '%s': ends with a comma\n", value);
            return -1;
        }
    }
    return *value ? 0 : (fprintf(stderr, "ebench: --gpus is empty\n"), -1);
}

int eb_cli_open(const eb_config *cfg, eb_bench **b)
{
    int rc = eb_open(b, cfg);
    if (rc < 0) {
        fprintf(stderr, "ebench: cannot start measuring: %s\n", eb_strerror(rc));
        return EB_EXIT_FAIL;
    }
    if (eb_cli_gpus_found(*b, cfg->gpus) < 0) {
        eb_close(*b);
        *b = NULL;
        return EB_EXIT_USAGE;
    }
    return 0;
}

int eb_cli_gpus_found(eb_bench *b, const char *value)
{
    for (size_t i = 0; value && i < eb_unavailable_count(b); i++) {
        const eb_unavailable *u = eb_unavailable_get(b, i);
        if (u->code == EB_EGPUSEL) {
            fprintf(stderr, "ebench: %s\n", u->reason);
            return -1;
        }
    }
    return 0;
}

int eb_cli_expand_path(const char *opt, const char *pattern, char *out, size_t len)
{
    char host[256], num[32];
    eb_job job;
    eb_job_get(&job);
    size_t used = 0;

    for (const char *p = pattern; *p; p++) {
        const char *piece;
        char one[2] = {*p, '\0'};
        if (*p != '%') {
            piece = one;
        } else {
            switch (*++p) {
            case 'j':
                piece = job.id ? job.id : "nojob";
                break;
            case 'n':
                eb_hostname(host, sizeof host);
                piece = host;
                break;
            case 'r':
                snprintf(num, sizeof num, "%ld", job.rank >= 0 ? job.rank : 0);
                piece = num;
                break;
            case 'p':
                snprintf(num, sizeof num, "%ld", (long)getpid());
                piece = num;
                break;
            case '%':
                piece = "%";
                break;
            default:
                fprintf(stderr,
                        "ebench: %s '%s': unknown '%%%c' (use %%j job, %%n node, %%r rank, "
                        "%%p pid, %%%% for %%)\n",
                        opt, pattern, *p ? *p : ' ');
                return -1;
            }
        }
        size_t n = strlen(piece);
        if (used + n + 1 > len) {
            fprintf(stderr, "ebench: %s '%s': path too long\n", opt, pattern);
            return -1;
        }
        memcpy(out + used, piece, n);
        used += n;
    }
    out[used] = '\0';
    return 0;
}
