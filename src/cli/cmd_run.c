/*
 * cmd_run.c - `ebench run -- CMD`: spawn CMD, sample until it exits, report
 * the energy per domain like perf stat, and exit with CMD's status.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/afile.h"
#include "../util/mono.h"
#include "../util/procstat.h"
#include "child.h"
#include "cli.h"
#include "progress.h"

static const char run_usage[] =
    "usage: ebench run [options] [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD, samples every energy domain until it exits, and prints per domain\n"
    "the energy (+- the sensor's uncertainty), average and peak power (a mean over\n"
    "the interval it names, 'peak/100ms': never finer than the sensor updates) and\n"
    "how it was measured, the total, elapsed, user and sys time, then the idle baseline,\n"
    "steady state, efficiency, carbon, cost and allocation, on stderr (CMD's stdout\n"
    "stays clean). Exits with CMD's exit status, or 128+N if CMD was killed by\n"
    "signal N. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to ebench are\n"
    "passed on to CMD, and end the idle baseline, warm-ups and repetitions at once with\n"
    "the report of what was measured (exit 128+N unless CMD exited otherwise). Against\n"
    "SIGKILL, --checkpoint keeps the files written as the run goes.\n"
    "\n"
    "Measuring:\n"
    "  -i, --interval MS       sampling interval in milliseconds (default 100; 1 to 3600000)\n"
    "  -g, --gpus LIST         GPUs to measure: all, vendor and index (nvidia0,amd1,intel0),\n"
    "                          UUIDs (GPU-..., MIG-...), or indices (0,2) where one vendor's;\n"
    "                          default: Slurm's, else CUDA_VISIBLE_DEVICES, ROCR_/\n"
    "                          HIP_VISIBLE_DEVICES, ZE_AFFINITY_MASK per vendor, else all\n"
    "      --cpu-tdp W         TDP the CPU model assumes where no CPU sensor can be read\n"
    "      --cpu-idle W        its power at rest (default: a fifth of the TDP); the command\n"
    "                          is attributed the CPU energy in proportion to its CPU time\n"
    "Method (docs/METHODOLOGY.md):\n"
    "  -r, --repeat N          run CMD N times: mean per run, +- 95% confidence interval\n"
    "      --warmup K          run CMD K times first, unmeasured (with --repeat)\n"
    "      --idle SECONDS      measure each domain at rest for SECONDS before CMD; report\n"
    "                          energy above idle\n"
    "      --idle-power D=W    a known idle power for domain D (repeatable)\n"
    "      --skip SECONDS      steady state starts SECONDS into the run (default: detected)\n"
    "  -w, --work AMOUNT:UNIT  work one run of CMD does, for efficiency (repeatable):\n"
    "                          1.2e13:flop (TFLOPS/W), 512:sample, 4096:token, or any word\n"
    "Carbon, cost, allocation:\n"
    "      --region CODE       carbon intensity of that grid (NO FR GB US DE CN IN WORLD)\n"
    "      --carbon-intensity G  gCO2 per kWh (default: the world average, 481)\n"
    "      --pue X             facility power usage effectiveness (default 1.0, assumed)\n"
    "      --price P           price per kWh, for the cost\n"
    "      --nodes N           nodes the job holds, for node-hours (default 1)\n"
    "Output:\n"
    "  -j, -o, --json FILE     write the report as JSON (docs/report.schema.json)\n"
    "  -c, --csv, --timeline FILE  the full timeline, t_s,domain,power_w,energy_j per\n"
    "                          sample, written as the run goes (memory stays flat), then\n"
    "                          '#' lines saying where the idle baseline and each run lie\n"
    "      --calls FILE        every window one row (name, times, energy per domain, work):\n"
    "                          each run of CMD and each window the program measures\n"
    "      --checkpoint S      while CMD runs, write the --json report with what was measured\n"
    "                          so far every S seconds (default 60; 0: never), so a run killed\n"
    "                          before it can write (SIGKILL, a time limit) keeps it; the\n"
    "                          timeline and calls it streamed are kept as FILE.partial by\n"
    "                          the next run writing FILE\n"
    "  -q, --quiet             no progress line and no table (files are still written)\n"
    "  -h, --help              this text\n"
    "\n"
    "FILE may hold %j (job id), %n (node), %r (rank), %p (pid). Output files are\n"
    "checked before CMD starts and appear whole: written to FILE.tmp.*, renamed at\n"
    "the end (that file holds the timeline so far if ebench is killed).\n"
    "\n"
    "Under srun or mpirun, one process per node measures (local rank 0, from\n"
    "SLURM_LOCALID or OMPI_COMM_WORLD_LOCAL_RANK); the others only run CMD, so a\n"
    "node's energy is counted once. --all-ranks measures in every process. On a\n"
    "shared node only the step's GPUs (SLURM_STEP_GPUS) are measured. Merge the\n"
    "per-node reports with `ebench merge`.\n"
    "\n"
    "Example: ebench run -r 5 --warmup 1 -w 2.4e13:flop --json run.json -- ./gemm 8192\n";

#define MAX_IDLE 16

typedef struct run_opts {
    eb_config cfg;
    eb_run_meta meta;
    const char *json, *csv, *calls;
    double checkpoint_s; /* 0: none */
    int quiet, all_ranks;
    char **cmd;
    long repeat, warmup;
    double idle_s;
    struct {
        char id[64];
        double w;
    } idle[MAX_IDLE];
    size_t n_idle;
    struct {
        char unit[24];
        double amount;
    } work[EB_MAX_WORK];
    size_t n_work;
    char carbon_source[160];
} run_opts;

static int parse_work(run_opts *o, const char *text)
{
    const char *colon = strchr(text, ':');
    char *end;
    double v = colon ? strtod(text, &end) : NAN;
    const char *unit = colon ? colon + 1 : "";
    int unit_ok = *unit && strlen(unit) < sizeof o->work[0].unit;
    for (const char *p = unit; *p; p++)
        unit_ok &= isalnum((unsigned char)*p) || *p == '_' || *p == '-';
    if (!colon || end != colon || !(v >= 0) || isinf(v) || !unit_ok) {
        fprintf(stderr,
                "ebench: --work '%s': expected AMOUNT:UNIT, e.g. 1.2e13:flop, 512:sample, "
                "4096:token\n",
                text);
        return -1;
    }
    if (o->n_work == EB_MAX_WORK) {
        fprintf(stderr, "ebench: --work: at most %d units\n", EB_MAX_WORK);
        return -1;
    }
    snprintf(o->work[o->n_work].unit, sizeof o->work[0].unit, "%s", unit);
    o->work[o->n_work++].amount = v;
    return 0;
}

static int parse_idle_power(run_opts *o, const char *text)
{
    const char *eq = strchr(text, '=');
    double w;
    if (!eq || eq == text || (size_t)(eq - text) >= sizeof o->idle[0].id ||
        eb_cli_number("--idle-power", eq + 1, 0, 1e6, &w) < 0) {
        if (!eq || eq == text)
            fprintf(stderr, "ebench: --idle-power '%s': expected DOMAIN=W, e.g. nvidia0=52.5\n",
                    text);
        return -1;
    }
    if (o->n_idle == MAX_IDLE) {
        fprintf(stderr, "ebench: --idle-power: at most %d domains\n", MAX_IDLE);
        return -1;
    }
    snprintf(o->idle[o->n_idle].id, sizeof o->idle[0].id, "%.*s", (int)(eq - text), text);
    o->idle[o->n_idle++].w = w;
    return 0;
}

static int parse_region(run_opts *o, const char *code)
{
    char near[256];
    const char *source;
    if (eb_region_carbon(code, &o->meta.carbon_g_per_kwh, &source, near, sizeof near) < 0) {
        fprintf(stderr,
                "ebench: --region '%s': unknown; close: %s (or give --carbon-intensity G)\n", code,
                near);
        return -1;
    }
    snprintf(o->carbon_source, sizeof o->carbon_source, "%s, %s", code, source);
    o->meta.carbon_source = o->carbon_source;
    return 0;
}

enum {
    OPT_CPU_TDP = 256,
    OPT_CPU_IDLE,
    OPT_CHECKPOINT,
    OPT_WARMUP,
    OPT_IDLE,
    OPT_IDLE_POWER,
    OPT_SKIP,
    OPT_REGION,
    OPT_CARBON,
    OPT_PUE,
    OPT_PRICE,
    OPT_NODES,
    OPT_ALL_RANKS,
    OPT_CALLS
};

static int parse_one(run_opts *o, int c)
{
    switch (c) {
    case 'i':
        return eb_cli_number("--interval", optarg, 1, 3600000, &o->cfg.interval_ms);
    case 'j':
    case 'o':
        o->json = optarg;
        return 0;
    case OPT_ALL_RANKS:
        o->all_ranks = 1;
        return 0;
    case 'c':
        o->csv = optarg;
        return 0;
    case OPT_CALLS:
        o->calls = optarg;
        return 0;
    case 'q':
        o->quiet = 1;
        return 0;
    case 'g':
        o->cfg.gpus = optarg;
        return eb_cli_check_gpus(optarg);
    case OPT_CPU_TDP:
        return eb_cli_number("--cpu-tdp", optarg, 0.1, 100000, &o->cfg.cpu_tdp_w);
    case OPT_CHECKPOINT:
        if (strcmp(optarg, "0") == 0) {
            o->checkpoint_s = 0;
            return 0;
        }
        return eb_cli_number("--checkpoint", optarg, 0.1, 86400, &o->checkpoint_s);
    case OPT_CPU_IDLE:
        return eb_cli_number("--cpu-idle", optarg, 0, 100000, &o->cfg.cpu_idle_w);
    case 'r':
        return eb_cli_count("--repeat", optarg, 1, 1000000, &o->repeat);
    case OPT_WARMUP:
        return eb_cli_count("--warmup", optarg, 0, 1000000, &o->warmup);
    case OPT_IDLE:
        return eb_cli_number("--idle", optarg, 0.001, 86400, &o->idle_s);
    case OPT_IDLE_POWER:
        return parse_idle_power(o, optarg);
    case OPT_SKIP:
        return eb_cli_number("--skip", optarg, 0, 1e9, &o->meta.skip_s);
    case 'w':
        return parse_work(o, optarg);
    case OPT_REGION:
        return parse_region(o, optarg);
    case OPT_CARBON:
        o->meta.carbon_source = "given with --carbon-intensity";
        return eb_cli_number("--carbon-intensity", optarg, 0, 5000, &o->meta.carbon_g_per_kwh);
    case OPT_PUE:
        return eb_cli_number("--pue", optarg, 1, 10, &o->meta.pue);
    case OPT_PRICE:
        return eb_cli_number("--price", optarg, 0, 1e6, &o->meta.price_per_kwh);
    case OPT_NODES:
        return eb_cli_number("--nodes", optarg, 1, 1e6, &o->meta.nodes);
    default:
        fputs(run_usage, stderr);
        return -1;
    }
}

static int parse(int argc, char **argv, run_opts *o)
{
    static const struct option opts[] = {
        {"interval", required_argument, NULL, 'i'},
        {"json", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"all-ranks", no_argument, NULL, OPT_ALL_RANKS},
        {"csv", required_argument, NULL, 'c'},
        {"timeline", required_argument, NULL, 'c'},
        {"calls", required_argument, NULL, OPT_CALLS},
        {"quiet", no_argument, NULL, 'q'},
        {"gpus", required_argument, NULL, 'g'},
        {"cpu-tdp", required_argument, NULL, OPT_CPU_TDP},
        {"cpu-idle", required_argument, NULL, OPT_CPU_IDLE},
        {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
        {"repeat", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"idle", required_argument, NULL, OPT_IDLE},
        {"idle-power", required_argument, NULL, OPT_IDLE_POWER},
        {"skip", required_argument, NULL, OPT_SKIP},
        {"work", required_argument, NULL, 'w'},
        {"region", required_argument, NULL, OPT_REGION},
        {"carbon-intensity", required_argument, NULL, OPT_CARBON},
        {"pue", required_argument, NULL, OPT_PUE},
        {"price", required_argument, NULL, OPT_PRICE},
        {"nodes", required_argument, NULL, OPT_NODES},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof *o);
    eb_config_init(&o->cfg);
    eb_run_meta_init(&o->meta);
    o->repeat = 1;
    o->checkpoint_s = 60;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+i:j:o:c:qg:r:w:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(run_usage, stdout);
            return 0;
        }
        if (parse_one(o, c) < 0)
            return EB_EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "ebench run: no command given\n%s", run_usage);
        return EB_EXIT_USAGE;
    }
    o->cmd = argv + optind;
    if (eb_cli_check_cpu_model(&o->cfg) < 0)
        return EB_EXIT_USAGE;
    return -1;
}

/* Opens an output early, so a bad path is refused before CMD runs. */
static int open_output(const char *opt, const char *pattern, eb__afile *a)
{
    char path[4096];
    if (!pattern)
        return 0;
    if (eb_cli_expand_path(opt, pattern, path, sizeof path) < 0)
        return -1;
    int rc = eb__afile_open_stream(a, path);
    if (rc < 0) {
        fprintf(stderr, "ebench: %s '%s': cannot write there: %s\n", opt, path,
                rc == -EISDIR  ? "it is a directory"
                : rc == -ENXIO ? "a FIFO with no reader (start the reader first)"
                               : strerror(-rc));
        return -1;
    }
    return 0;
}

/* Where a path would land: its folder resolved (links, "..") and its own
 * name; "-" and a path that does not resolve stay as they are. */
static void landing(const char *path, char *out, size_t len)
{
    char dir[4096], real[4096];
    snprintf(out, len, "%s", path);
    if (strcmp(path, "-") == 0)
        return;
    if (realpath(path, real)) { /* there already: the file itself */
        snprintf(out, len, "%s", real);
        return;
    }
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash)
        *slash = '\0';
    if (!realpath(slash ? (dir[0] ? dir : "/") : ".", real))
        return;
    size_t rl = strcmp(real, "/") == 0 ? 0 : strlen(real);
    if (rl + 1 + strlen(base) < len) {
        memcpy(out, real, rl);
        out[rl] = '/';
        strcpy(out + rl + 1, base);
    }
}

/* Two outputs naming one file (or "-" twice): one would overwrite or
 * interleave with the other. -1 with the message. */
static int distinct_pair(const char *opt_a, const char *pa, const char *opt_b, const char *pb)
{
    char a[4096], b[4096], la[4096], lb[4096];
    if (!pa || !pb || eb_cli_expand_path(opt_a, pa, a, sizeof a) < 0 ||
        eb_cli_expand_path(opt_b, pb, b, sizeof b) < 0)
        return 0; /* a bad pattern is reported when it is opened */
    struct stat sa, sb;
    landing(a, la, sizeof la);
    landing(b, lb, sizeof lb);
    if (strcmp(la, lb) == 0 || (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
                                sa.st_ino == sb.st_ino && S_ISREG(sa.st_mode))) {
        fprintf(stderr,
                "ebench: %s and %s both name '%s': one would replace the other; give two "
                "files\n",
                opt_a, opt_b, a);
        return -1;
    }
    return 0;
}

static int distinct_outputs(const run_opts *o)
{
    return distinct_pair("--json", o->json, "--csv", o->csv) < 0 ||
                   distinct_pair("--json", o->json, "--calls", o->calls) < 0 ||
                   distinct_pair("--csv", o->csv, "--calls", o->calls) < 0
               ? -1
               : 0;
}

/* The CSV timeline says where the idle baseline and each run of the command
 * lie in it (comment lines: gnuplot and pandas' comment='#' skip them), so its
 * energy over a run's interval can be checked against the report's. */
static void csv_spans(FILE *f, eb_bench *b, const char *span)
{
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    eb_stats st = EB_STATS_TOTALS;
    char warm[64];
    if (eb_window_result(b, "idle", 0, &r) == EB_OK)
        fprintf(f, "# idle baseline: t_s %.6f to %.6f\n", r.t_begin_s, r.t_end_s);
    snprintf(warm, sizeof warm, "%s (warmup)", span);
    for (size_t i = 0; eb_window_result(b, warm, i, &r) == EB_OK; i++)
        fprintf(f, "# warm-up %zu: t_s %.6f to %.6f\n", i + 1, r.t_begin_s, r.t_end_s);
    /* the runs still kept one by one (the last eb_config.window_records) */
    size_t n = eb_window_stats(b, span, &st) == EB_OK ? st.n : 0;
    for (size_t i = 0; i < n; i++)
        if (eb_window_result(b, span, i, &r) == EB_OK)
            fprintf(f,
                    "# command, run %zu: t_s %.6f to %.6f, %.6f J in all (the report's figure)\n",
                    i + 1, r.t_begin_s, r.t_end_s, r.total_energy_j);
}

/* The timeline and the calls are written by the library as the run goes;
 * to standard output or error (or where they point) they would mix with the
 * command's own output, so they go to a spool file first, copied at the end. The
 * FILE the library gets (NULL: none, or no spool: then written at the end
 * from memory, the timeline at least). */
static FILE *stream_to(const eb__afile *a, FILE **spool)
{
    struct stat sa, so;
    *spool = NULL;
    if (!a->f || fstat(fileno(a->f), &sa) != 0)
        return a->f;
    for (int own = STDOUT_FILENO; own <= STDERR_FILENO; own++)
        if (fstat(own, &so) == 0 && sa.st_dev == so.st_dev && sa.st_ino == so.st_ino) {
            *spool = tmpfile(); /* the command writes there too */
            return *spool;
        }
    return a->f;
}

static int copy_spool(FILE *spool, FILE *to)
{
    char buf[65536];
    size_t n;
    if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
        if (fwrite(buf, 1, n, to) != n)
            return -1;
    return ferror(spool) ? -1 : 0;
}

/* kind: 'j' the report, 't' the timeline, 'c' the calls; spool: where the
 * library streamed it when not straight to the file; streamed: whether it
 * did at all. */
static int write_output(const char *opt, eb__afile *a, eb_bench *b, const eb_run_meta *meta,
                        int kind, FILE *spool, int streamed)
{
    if (!a->f) {
        if (spool)
            fclose(spool);
        return 0;
    }
    int rc = EB_OK;
    if (kind == 'j')
        rc = eb_write_json(b, a->f, meta);
    else if (spool)
        rc = copy_spool(spool, a->f) < 0 ? EB_EIO : EB_OK;
    else if (kind == 't' && !streamed)
        rc = eb_write_csv(b, a->f); /* no spool file: what memory holds */
    else if (kind == 'c' && !streamed)
        rc = EB_EIO;
    if (spool)
        fclose(spool);
    /* the timeline ends with where each run lies */
    if (rc == EB_OK && kind == 't' && meta && meta->span)
        csv_spans(a->f, b, meta->span);
    if (rc < 0) {
        fprintf(stderr, "ebench: %s: %s\n", opt,
                kind == 'j' ? eb_last_detail(b) : "cannot write it (no temporary spool file)");
        eb__afile_abort(a);
        return -1;
    }
    char *path = strdup(a->path);
    rc = eb__afile_commit(a);
    if (rc < 0)
        fprintf(stderr, "ebench: %s '%s': %s\n", opt, path ? path : "", strerror(-rc));
    free(path);
    return rc < 0 ? -1 : 0;
}

static int idle_baseline(run_opts *o, eb_bench *b, char *note, size_t len)
{
    if (o->idle_s > 0) {
        eb_begin(b, "idle");
        eb_child_sleep(o->idle_s);
        eb_end(b, "idle", NULL);
        eb_set_idle_from_window(b, "idle");
        eb_domain_energy r_d[EB_MAX_DOMAINS];
        eb_result r = EB_RESULT_INIT(r_d);
        if (eb_child_stop_sig && eb_window_result(b, "idle", 0, &r) == EB_OK)
            snprintf(note, len,
                     "measured at rest over %.3g s before the command (of %g s: a "
                     "signal cut it short)",
                     r.duration_s, o->idle_s);
        else
            snprintf(note, len, "measured at rest over %g s before the command", o->idle_s);
    }
    for (size_t i = 0; i < o->n_idle; i++) {
        if (eb_set_idle_power(b, o->idle[i].id, o->idle[i].w) < 0) {
            fprintf(stderr, "ebench: --idle-power %s=%g: %s\n", o->idle[i].id, o->idle[i].w,
                    eb_last_detail(b));
            return -1;
        }
        snprintf(note + strlen(note), len - strlen(note), "%sgiven with --idle-power for %s",
                 note[0] ? "; " : "", o->idle[i].id);
    }
    if (note[0])
        o->meta.idle_note = note;
    return 0;
}

/* The whole machine's busy CPU-seconds so far (<procfs>/stat, the root the
 * library reads too); NaN if it cannot be read. */
static double machine_busy_s(const run_opts *o)
{
    const char *root = o->cfg.procfs_root ? o->cfg.procfs_root : getenv("EBENCH_PROCFS_ROOT");
    char path[4096], why[256];
    unsigned long long busy, total;
    long hz = sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "%s/stat", root && *root ? root : "/proc");
    if (hz <= 0 || eb__procstat_read(path, &busy, &total, why, sizeof why) < 0)
        return NAN;
    return (double)busy / (double)hz;
}

/* Runs CMD once inside window `name`. Returns its shell status, or -1 if it
 * could not start (error printed, *exit_code set). */
static int run_once(run_opts *o, eb_bench *b, const char *name, struct rusage *ru, int *exit_code)
{
    pid_t pid;
    int status, rc;

    eb_begin(b, name);
    if ((rc = eb_child_spawn(o->cmd, &pid)) != 0) {
        eb_end(b, name, NULL);
        fprintf(stderr, "ebench: cannot run '%s': %s\n", o->cmd[0], strerror(rc));
        *exit_code = rc == ENOENT ? 127 : 126; /* as shells do */
        return -1;
    }
    eb_child_wait(pid, &status, ru);
    eb_end(b, name, NULL);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int eb_cmd_run(int argc, char **argv)
{
    run_opts o;
    eb__afile json = {0}, csv = {0}, calls = {0};
    eb_bench *b;
    char idle_note[512] = "";
    int rc = parse(argc, argv, &o);

    if (rc >= 0)
        return rc;
    /* Another process on this node measures it: only run the command. */
    eb_job job;
    eb_job_get(&job);
    if (!o.all_ranks && job.local_rank > 0) {
        execvp(o.cmd[0], o.cmd);
        fprintf(stderr, "ebench: cannot run '%s': %s\n", o.cmd[0], strerror(errno));
        return errno == ENOENT ? 127 : 126;
    }
    /* from here a signal ends the run with its report, even one that comes
     * while the bench opens: the report then says the command did not run */
    eb_child_forward_signals();
    if (distinct_outputs(&o) < 0 || open_output("--json", o.json, &json) < 0 ||
        open_output("--csv", o.csv, &csv) < 0 || open_output("--calls", o.calls, &calls) < 0) {
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        eb__afile_abort(&calls);
        return EB_EXIT_USAGE;
    }
    /* streamed by the library as figures become final */
    FILE *csv_spool, *calls_spool;
    o.cfg.timeline_csv = stream_to(&csv, &csv_spool);
    o.cfg.calls_csv = stream_to(&calls, &calls_spool);
    if ((rc = eb_cli_open(&o.cfg, &b)) != 0) {
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        eb__afile_abort(&calls);
        return rc;
    }
    if (idle_baseline(&o, b, idle_note, sizeof idle_note) < 0) {
        eb_close(b);
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        eb__afile_abort(&calls);
        return EB_EXIT_USAGE;
    }
    /* phase markers: the program's windows join this bench's timeline, and
     * it gets their figures back (src/lib/markers.c) */
    eb_marker_server *marks = NULL;
    eb_markers_serve(b, &marks);
    eb_progress prog;
    int show_progress =
        eb_progress_start(&prog, b, !o.quiet && isatty(STDERR_FILENO), o.checkpoint_s,
                          (const char *const *)o.cmd, json.tmp ? json.path : NULL,
                          NULL) == 0; /* checkpoints: regular files only; the timeline streams */

    int exit_status = 0;
    long cut_run = 0; /* the run a signal ended early, if any */
    double user = 0, sys = 0, wall = 0, machine = 0;
    long measured = 0;
    for (long i = 0; i < o.warmup + o.repeat && !eb_child_stop_sig; i++) {
        struct rusage ru;
        int warm = i < o.warmup;
        double t0 = eb__mono_s(), busy0 = machine_busy_s(&o);
        int not_started = 127;
        int sig_before = eb_child_stop_sig;
        if (warm && i == 0)
            eb_markers_warmup(marks, INFINITY); /* the program's windows are warm-ups' */
        exit_status = run_once(&o, b, warm ? "run (warmup)" : "run", &ru, &not_started);
        if (warm && i == o.warmup - 1) {
            eb_domain_energy w_d[EB_MAX_DOMAINS];
            eb_result w = EB_RESULT_INIT(w_d);
            eb_markers_warmup(marks, eb_window_result(b, "run (warmup)", (size_t)i, &w) == EB_OK
                                         ? w.t_end_s
                                         : eb_now(b));
        }
        if (!warm && eb_child_stop_sig && !sig_before) {
            cut_run = measured + 1; /* the signal came while this run went */
            if (measured >= 1) {
                /* a repetition cut short is not one run of the command: it
                 * leaves the mean (the whole ones stay); a single run stays,
                 * with the warning, as what was measured */
                eb_drop_last_window(b, "run");
                break;
            }
        }
        if (exit_status < 0) {
            if (show_progress)
                eb_progress_stop(&prog);
            eb_markers_close(marks);
            eb_close(b);
            eb__afile_abort(&json);
            eb__afile_abort(&csv);
            eb__afile_abort(&calls);
            return not_started;
        }
        if (warm)
            continue;
        wall += eb__mono_s() - t0;
        machine += machine_busy_s(&o) - busy0; /* NaN once unreadable */
        user += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
        sys += (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
        measured++;
        for (size_t k = 0; k < o.n_work; k++)
            eb_add_work(b, "run", o.work[k].amount, o.work[k].unit);
        if (exit_status != 0 && o.repeat > 1) {
            fprintf(stderr, "ebench: run %ld of %ld exited with %d; stopping the repetitions\n",
                    measured, o.repeat, exit_status);
            break;
        }
    }
    if (show_progress)
        eb_progress_stop(&prog);
    if (eb_child_stop_sig) {
        /* what was measured is reported; the exit status says why it ended */
        fprintf(stderr, "ebench: %s: stopping after %ld of %ld run%s\n",
                strsignal(eb_child_stop_sig), measured, o.repeat, o.repeat == 1 ? "" : "s");
        if (exit_status == 0)
            exit_status = 128 + eb_child_stop_sig;
        /* said in the report too, not only here: a saved report must not
         * pass for a whole run */
        static char said[256];
        if (measured == 0)
            snprintf(said, sizeof said,
                     "the command did not run: %s arrived before it started; these figures are "
                     "the idle baseline's",
                     strsignal(eb_child_stop_sig));
        else if (cut_run && cut_run > measured)
            snprintf(said, sizeof said,
                     "run %ld of %ld was cut short by %s (CMD got the signal) and is left out: "
                     "the figures are the %ld whole run%s",
                     cut_run, o.repeat, strsignal(eb_child_stop_sig), measured,
                     measured == 1 ? "" : "s");
        else if (cut_run)
            snprintf(said, sizeof said,
                     "run %ld of %ld was cut short by %s (CMD got the signal): its figures are "
                     "in the report as measured",
                     cut_run, o.repeat, strsignal(eb_child_stop_sig));
        else
            snprintf(said, sizeof said, "%s ended the repetitions after %ld of %ld runs",
                     strsignal(eb_child_stop_sig), measured, o.repeat);
        o.meta.warning = said;
    }
    eb_markers_close(marks);
    eb_stop(b);

    o.meta.argv = (const char *const *)o.cmd;
    o.meta.exit_status = exit_status;
    o.meta.span = "run";
    o.meta.elapsed_s = measured ? wall / (double)measured : NAN;
    o.meta.user_s = measured ? user / (double)measured : NAN;
    o.meta.sys_s = measured ? sys / (double)measured : NAN;
    o.meta.machine_cpu_s = measured ? machine / (double)measured : NAN;
    /* the files first: a closed stderr (`2>&1 | head -1`) must not cost the
     * report; then the table, with SIGPIPE ignored (the command has ended, so
     * no child inherits it): a write to a closed pipe just fails */
    signal(SIGPIPE, SIG_IGN);
    int bad = write_output("--json", &json, b, &o.meta, 'j', NULL, 0) < 0;
    bad |= write_output("--csv", &csv, b, &o.meta, 't', csv_spool, o.cfg.timeline_csv != NULL) < 0;
    bad |= write_output("--calls", &calls, b, NULL, 'c', calls_spool, o.cfg.calls_csv != NULL) < 0;
    if (!o.quiet)
        eb_print_report(b, stderr, &o.meta);
    eb_close(b);
    /* A report that could not be written must not look like success. */
    if (bad && exit_status == 0)
        return EB_EXIT_FAIL;
    return exit_status;
}
