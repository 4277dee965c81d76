/*
 * cmd_monitor.c - `ebench monitor`: live readings of every domain, what
 * `nvidia-smi --query-gpu=power.draw --format=csv -l 1` gives for one value,
 * for all of them, as a table or as CSV ready for plotting.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char monitor_usage[] =
    "usage: ebench monitor [--interval MS] [--format table|csv] [--count N] [--gpus LIST]\n"
    "\n"
    "Prints, every interval (default 1000 ms), each domain's power, energy since the\n"
    "start, and for GPUs utilization, memory utilization, SM clock, temperature and\n"
    "power limit, until Ctrl-C or N readings. CSV has one row per domain and reading:\n"
    "time,t_s,domain,power_w,energy_j,gpu_util,mem_util,sm_clock_mhz,temperature_c,\n"
    "power_limit_w (empty where not reported).\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void cell(double v, int decimals, int width)
{
    if (isnan(v))
        printf(" %*s", width, "-");
    else
        printf(" %*.*f", width, decimals, v);
}

static void csv_cell(double v, int decimals)
{
    if (isnan(v))
        printf(",");
    else
        printf(",%.*f", decimals, v);
}

static void print_tick(eb_bench *b, int csv, int first)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (csv && first) {
        /* comment lines, as in the timeline CSV: no simulated or estimated
         * figure passes as a measured one */
        for (int pass = 0; pass < 2; pass++) {
            int n = 0;
            for (size_t i = 0; i < eb_domain_count(b); i++) {
                const eb_domain_info *d = eb_domain_get(b, i);
                if (pass == 0 ? d->simulated : d->method == EB_METHOD_MODEL)
                    printf("%s%s",
                           n++         ? ", "
                           : pass == 0 ? "# SIMULATED (ebench-sim), not measured: "
                                       : "# ESTIMATE (model), not measured: ",
                           d->id);
            }
            if (n)
                printf("\n");
        }
        printf("time,t_s,domain,power_w,energy_j,gpu_util,mem_util,sm_clock_mhz,temperature_c,"
               "power_limit_w\n");
    }
    double total_w = 0, total_j = 0;
    for (size_t i = 0; i < eb_domain_count(b); i++) {
        const eb_domain_info *d = eb_domain_get(b, i);
        eb_reading r;
        eb_latest(b, i, &r);
        /* what the power sensor shows now, as nvidia-smi's power.draw, where
         * there is one; else the power since the last reading */
        if (!isnan(r.instant_power_w))
            r.power_w = r.instant_power_w;
        if (d->in_total) {
            total_w += isnan(r.power_w) ? 0 : r.power_w;
            total_j += isnan(r.energy_j) ? 0 : r.energy_j;
        }
        if (csv) {
            printf("%s,%.3f,%s", stamp, r.t_s, d->id);
            csv_cell(r.power_w, 3);
            csv_cell(r.energy_j, 3);
            csv_cell(r.gpu_util, 2);
            csv_cell(r.mem_util, 2);
            csv_cell(r.sm_clock_mhz, 0);
            csv_cell(r.temperature_c, 0);
            csv_cell(r.power_limit_w, 1);
            printf("\n");
            continue;
        }
        if (i == 0)
            printf("\n %s  t=%.1f s   %9s %11s %6s %6s %7s %6s %8s\n", stamp, r.t_s, "power W",
                   "energy J", "util%", "mem%", "SM MHz", "temp C", "limit W");
        printf("   %-20s", d->id);
        cell(r.power_w, 2, 9);
        cell(r.energy_j, 1, 11);
        cell(r.gpu_util * 100, 0, 6);
        cell(r.mem_util * 100, 0, 6);
        cell(r.sm_clock_mhz, 0, 7);
        cell(r.temperature_c, 0, 6);
        cell(r.power_limit_w, 0, 8);
        printf("%s%s\n", d->method == EB_METHOD_MODEL ? "  (estimate)" : "",
               d->simulated ? "  (simulated)" : "");
    }
    if (!csv && eb_domain_count(b) > 0)
        printf("   %-20s %9.2f %11.1f\n", "total", total_w, total_j);
    fflush(stdout);
}

int eb_cmd_monitor(int argc, char **argv)
{
    static const struct option opts[] = {
        {"interval", required_argument, NULL, 'i'}, {"format", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},    {"gpus", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    eb_config cfg;
    double interval_ms = 1000;
    long count = -1; /* forever */
    int csv = 0, c;

    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.history_samples = 4096; /* only the latest readings are shown: memory stays flat */
    optind = 1;
    while ((c = getopt_long(argc, argv, "+i:f:n:g:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (eb_cli_number("--interval", optarg, 10, 3600000, &interval_ms) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'f':
            if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "table") != 0) {
                fprintf(stderr, "ebench monitor: --format '%s': expected table or csv\n", optarg);
                return EB_EXIT_USAGE;
            }
            csv = strcmp(optarg, "csv") == 0;
            break;
        case 'n':
            if (eb_cli_count("--count", optarg, 1, 1000000000, &count) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'g':
            if (eb_cli_check_gpus(optarg) < 0)
                return EB_EXIT_USAGE;
            cfg.gpus = optarg;
            break;
        case 'h':
            fputs(monitor_usage, stdout);
            return 0;
        default:
            fputs(monitor_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    if (eb_cli_no_operands("monitor", argc, argv, monitor_usage))
        return EB_EXIT_USAGE;
    eb_bench *b;
    int rc = eb_cli_open(&cfg, &b);
    if (rc)
        return rc;
    if (eb_domain_count(b) == 0)
        fprintf(stderr, "ebench monitor: nothing can be measured here (ebench info says why)\n");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long long period_ns = (long long)(interval_ms * 1e6);
    for (long k = 0; (count < 0 || k < count) && !stop; k++) {
        long long ns = next.tv_nsec + period_ns;
        next.tv_sec += (time_t)(ns / 1000000000LL);
        next.tv_nsec = (long)(ns % 1000000000LL);
        while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
        if (stop)
            break;
        eb_tick(b);
        print_tick(b, csv, k == 0);
    }
    eb_close(b);
    return 0;
}
