/*
 * cmd_run.c - `ebench run -- CMD`: spawn CMD, sample until it exits, report
 * the energy per domain like perf stat, and exit with CMD's status.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/afile.h"
#include "cli.h"

extern char **environ;

static const char run_usage[] =
    "usage: ebench run [options] [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD, samples every energy domain until it exits, and prints per domain\n"
    "the energy, average and peak power and how it was measured, then the total,\n"
    "elapsed, user and sys time, on stderr (CMD's stdout stays clean). Exits with\n"
    "CMD's exit status, or 128+N if CMD was killed by signal N. SIGINT, SIGTERM\n"
    "and SIGHUP sent to ebench are passed on to CMD.\n"
    "\n"
    "  -i, --interval MS   sampling interval in milliseconds (default 100; 1 to 3600000)\n"
    "  -j, --json FILE     write the report as JSON (docs/report.schema.json)\n"
    "  -c, --csv FILE      write the timeline: t_s,domain,power_w,energy_j per sample\n"
    "  -q, --quiet         print no table (files are still written)\n"
    "  -g, --gpus LIST     GPUs to measure: all, NVML indices (0,2) or UUIDs (GPU-..., MIG-...);\n"
    "                      default: those CUDA_VISIBLE_DEVICES names, else all\n"
    "      --cpu-tdp W     TDP the CPU model assumes where no CPU sensor can be read\n"
    "  -h, --help          this text\n"
    "\n"
    "FILE may hold %j (job id), %n (node), %r (rank), %p (pid). Output files are\n"
    "checked before CMD starts and written whole (temporary file, then rename).\n"
    "\n"
    "Example: ebench run --json run.json -- ./my_app --size 4096\n";

static volatile sig_atomic_t child_pid;

/* Signals typed at the terminal reach CMD already (same process group); only
 * signals sent to ebench by a process (kill, Slurm, a batch system) are
 * passed on, so CMD never gets one twice. */
static void forward(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (child_pid > 0 && info->si_code != SI_KERNEL)
        kill((pid_t)child_pid, sig);
}

static void install_forwarding(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        sigaction(sigs[i], NULL, &old);
        if (old.sa_handler == SIG_IGN)
            continue; /* ignored (nohup, background job): CMD inherits that */
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = forward;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

typedef struct run_opts {
    eb_config cfg;
    const char *json, *csv;
    int quiet;
    char **cmd;
} run_opts;

static int parse(int argc, char **argv, run_opts *o)
{
    static const struct option opts[] = {
        {"interval", required_argument, NULL, 'i'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},      {"quiet", no_argument, NULL, 'q'},
        {"gpus", required_argument, NULL, 'g'},     {"cpu-tdp", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof *o);
    eb_config_init(&o->cfg);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+i:j:c:qg:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (eb_cli_positive("--interval", optarg, 1, 3600000, &o->cfg.interval_ms) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'j':
            o->json = optarg;
            break;
        case 'c':
            o->csv = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'g':
            if (eb_cli_check_gpus(optarg) < 0)
                return EB_EXIT_USAGE;
            o->cfg.gpus = optarg;
            break;
        case 't':
            if (eb_cli_positive("--cpu-tdp", optarg, 0.1, 100000, &o->cfg.cpu_tdp_w) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'h':
            fputs(run_usage, stdout);
            return 0;
        default:
            fputs(run_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ebench run: no command given\n%s", run_usage);
        return EB_EXIT_USAGE;
    }
    o->cmd = argv + optind;
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
    int rc = eb__afile_open(a, path);
    if (rc < 0) {
        fprintf(stderr, "ebench: %s '%s': cannot write there: %s\n", opt, path,
                rc == -EISDIR ? "it is a directory" : strerror(-rc));
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int spawn(char **cmd, pid_t *pid)
{
    sigset_t block, old;
    posix_spawnattr_t attr;

    /* Handlers installed before CMD exists would have no one to forward to;
     * hold the signals until child_pid is set. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &old);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    int rc = posix_spawnp(pid, cmd[0], NULL, &attr, cmd, environ);
    posix_spawnattr_destroy(&attr);
    if (rc == 0)
        child_pid = *pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int write_output(const char *opt, eb__afile *a, eb_bench *b, const eb_run_meta *meta,
                        int json)
{
    if (!a->f)
        return 0;
    int rc = json ? eb_write_json(b, a->f, meta) : eb_write_csv(b, a->f);
    if (rc < 0) {
        fprintf(stderr, "ebench: %s: %s\n", opt, eb_last_detail(b));
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

int eb_cmd_run(int argc, char **argv)
{
    run_opts o;
    eb__afile json = {0}, csv = {0};
    eb_bench *b;
    pid_t pid;
    int rc = parse(argc, argv, &o);

    if (rc >= 0)
        return rc;
    if (open_output("--json", o.json, &json) < 0 || open_output("--csv", o.csv, &csv) < 0) {
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        return EB_EXIT_USAGE;
    }
    if ((rc = eb_open(&b, &o.cfg)) < 0) {
        fprintf(stderr, "ebench: cannot start measuring: %s\n", eb_strerror(rc));
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        return EB_EXIT_FAIL;
    }
    if (eb_cli_gpus_found(b, o.cfg.gpus) < 0) {
        eb_close(b);
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        return EB_EXIT_USAGE;
    }
    install_forwarding();
    double t_start = now_s();
    if ((rc = spawn(o.cmd, &pid)) != 0) {
        fprintf(stderr, "ebench: cannot run '%s': %s\n", o.cmd[0], strerror(rc));
        eb_close(b);
        eb__afile_abort(&json);
        eb__afile_abort(&csv);
        return rc == ENOENT ? 127 : 126; /* as shells do */
    }

    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    double elapsed = now_s() - t_start;
    child_pid = 0;
    eb_stop(b);

    int exit_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    eb_run_meta meta = {
        .argv = (const char *const *)o.cmd,
        .exit_status = exit_status,
        .elapsed_s = elapsed,
        .user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
        .sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6,
    };
    if (!o.quiet)
        eb_print_report(b, stderr, &meta);
    int bad = write_output("--json", &json, b, &meta, 1) < 0;
    bad |= write_output("--csv", &csv, b, &meta, 0) < 0;
    eb_close(b);
    /* A report that could not be written must not look like success. */
    if (bad && exit_status == 0)
        return EB_EXIT_FAIL;
    return exit_status;
}
