/*
 * test_cli.c - the ebench tool as users call it: golden output of `info` on a
 * fake tree, `run` passing exit statuses and signals through, and every bad
 * input the tool must refuse with a clear error.
 */
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"

extern char **environ;

/* No GPU in these tests: a real driver on the machine must not change them. */
#define NO_NVML "/nonexistent/libnvidia-ml.so.1"
#define NO_NVML_LINE                                                                               \
    "  nvml NVIDIA: cannot load EBENCH_NVML_LIBRARY=" NO_NVML ": " NO_NVML                         \
    ": cannot open shared object file: No such file or directory\n"

static const char *nvml_lib = NO_NVML;
#define NO_AMDSMI "/nonexistent/libamd_smi.so"
#define NO_AMDSMI_LINE                                                                             \
    "  amdsmi AMD SMI: cannot load EBENCH_AMDSMI_LIBRARY=" NO_AMDSMI ": " NO_AMDSMI                \
    ": cannot open shared object file: No such file or directory\n"
static const char *hostname = "node01"; /* EBENCH_HOSTNAME for the runs */

typedef struct out {
    int status; /* exit status as a shell reports it */
    char *out, *err;
} out;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int shell_status(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Runs ebench with argv (NULL-terminated) in the fake environment. */
static out run_ebench(fake *fk, const char *const *args)
{
    char o[PATH_MAX], e[PATH_MAX];
    const char *argv[64] = {EBENCH_BIN};
    size_t n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    snprintf(o, sizeof o, "%s/stdout", fk->root);
    snprintf(e, sizeof e, "%s/stderr", fk->root);

    setenv("EBENCH_SYSFS_ROOT", fk->sysfs, 1);
    setenv("EBENCH_PROCFS_ROOT", fk->procfs, 1);
    setenv("EBENCH_HOSTNAME", hostname, 1);
    setenv("EBENCH_NVML_LIBRARY", nvml_lib, 1);
    setenv("EBENCH_AMDSMI_LIBRARY", NO_AMDSMI, 1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, EBENCH_BIN, &fa, NULL, (char **)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    out r = {shell_status(status), slurp(o), slurp(e)};
    return r;
}

static void out_free(out *r)
{
    free(r->out);
    free(r->err);
}

/* Simulated GPUs for the runs: the scenario is gpus_json ({"gpus": [...]}). */
static void use_sim(fake *fk, const char *gpus_json)
{
    char scenario[PATH_MAX];
    fake_write(fk->root, "gpus.json", "%s\n", gpus_json);
    snprintf(scenario, sizeof scenario, "%s/gpus.json", fk->root);
    setenv("EBENCH_SIM_CONFIG", scenario, 1);
    nvml_lib = SIM_LIB;
}

/* Back to no GPU; the scenario's shared memory is removed. */
static void drop_sim(fake *fk)
{
    out r = run_ebench(fk, (const char *[]){"run", "-q", "--", SIM_LOAD_BIN, "--forget", NULL});
    free(r.out);
    free(r.err);
    nvml_lib = NO_NVML;
    unsetenv("EBENCH_SIM_CONFIG");
}

static void tree(fake *fk)
{
    fake_init(fk);
    fake_zone(fk, "intel-rapl:0", "package-0", 262143328850ull, 1000);
    fake_zone(fk, "intel-rapl:0:0", "core", 262143328850ull, 1000);
    fake_zone(fk, "intel-rapl:0:1", "dram", 65712999613ull, 1000);
    fake_zone(fk, "intel-rapl:1", "package-1", 262143328850ull, 1000);
    fake_write(fk->sysfs, "class/powercap/intel-rapl:1:0/name", "dram\n");
    fake_write(fk->sysfs, "class/powercap/intel-rapl:1:0/energy_uj", "12\n");
}

static void test_info_golden(void **state)
{
    (void)state;
    fake fk;
    tree(&fk);
    out r = run_ebench(&fk, (const char *[]){"info", NULL});
    char expect[4096];
    snprintf(expect, sizeof expect,
             "ebench " EB_VERSION_STRING " on node01\n"
             "\n"
             "Domains measured (4):\n"
             "  ID               KIND      VENDOR   METHOD   UPDATE   READ FROM\n"
             "  cpu0-package     cpu       intel    counter  1 ms     powercap intel-rapl:0 "
             "(package-0)\n"
             "  cpu0-core        cpu       intel    counter  1 ms     powercap intel-rapl:0:0 "
             "(core), part of cpu0-package\n"
             "  cpu0-dram        dram      intel    counter  1 ms     powercap intel-rapl:0:1 "
             "(dram)\n"
             "  cpu1-package     cpu       intel    counter  1 ms     powercap intel-rapl:1 "
             "(package-1)\n"
             "\n"
             "Not available (6):\n" NO_NVML_LINE NO_AMDSMI_LINE
             "  rocmsmi ROCm SMI: not tried: no %s/class/kfd (the amdgpu driver's compute "
             "interface): no AMD GPU driven here\n"
             "  powercap intel-rapl:1:0: cannot read "
             "%s/class/powercap/intel-rapl:1:0/max_energy_range_uj (No such file or directory): "
             "without the counter's range its wraps cannot be corrected\n"
             "  hwmon: no %s/class/hwmon: no hardware monitor here (amdgpu, xe, i915, "
             "acpi_power_meter, amd_energy and ina3221 create them)\n"
             "  cpumodel: not used: CPU energy is measured by a sensor\n",
             fk.sysfs, fk.sysfs, fk.sysfs);
    assert_string_equal(r.out, expect);
    assert_string_equal(r.err, "");
    assert_int_equal(r.status, 0);
    out_free(&r);
    fake_free(&fk);
}

static void test_info_model_only(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    out r = run_ebench(&fk, (const char *[]){"info", "--cpu-tdp", "65", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "  cpu              cpu       intel    model    10 ms    cpumodel ");
    assert_contains(r.out, "cpu: estimate, not a measurement: idle 13 W (default: a fifth of TDP; "
                           "set --cpu-idle W) + CPU utilization x (TDP 65 W - idle)\n");
    assert_contains(r.out, "  powercap: no ");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"info", "--cpu-tdp", "65", "--cpu-idle", "70", NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "ebench: --cpu-idle 70 W is above the TDP the CPU model assumes "
                               "(65 W): a CPU at rest draws less than at full load; give both\n");
    out_free(&r);
    fake_free(&fk);
}

/* The CPU model charges a command its share of the machine's busy CPU time
 * (issue 13): `sleep` beside a process burning a core is attributed almost
 * none of the CPU energy; a command that burns a core, most of it. Real
 * /proc/stat, real CPU time. */
static double attributed_share(fake *fk, const char *const *cmd)
{
    char json[PATH_MAX];
    snprintf(json, sizeof json, "%s/attr.json", fk->root);
    const char *args[16] = {"run", "-q", "--json", json, "--"};
    size_t n = 5;
    for (; *cmd && n < 15; cmd++)
        args[n++] = *cmd;
    args[n] = NULL;
    out r = run_ebench(fk, args);
    assert_int_equal(r.status, 0);
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e);
    assert_non_null(root);
    json_t *a = json_object_get(root, "attribution");
    assert_true(json_is_object(a));
    json_t *cpu = json_array_get(json_object_get(a, "domains"), 0);
    assert_string_equal(json_string_value(json_object_get(cpu, "id")), "cpu");
    double whole = json_real_value(json_object_get(cpu, "energy_j"));
    double idle = json_real_value(json_object_get(cpu, "idle_j"));
    double mine = json_real_value(json_object_get(cpu, "attributed_j"));
    /* the model's idle power (20 W by default) is the machine's, not the
     * command's: only the energy above it is shared out */
    assert_false(json_is_true(json_object_get(cpu, "idle_included")));
    assert_true(whole > idle && idle > 0);
    double share = json_real_value(json_object_get(a, "share"));
    double cmd_s = json_real_value(json_object_get(a, "command_cpu_s"));
    double machine = json_real_value(json_object_get(a, "machine_busy_cpu_s"));
    assert_near(share, fmin(1.0, cmd_s / machine), 1e-9);
    assert_true(machine >= 0.05);
    assert_near(mine, share * (whole - idle), 1e-6 * whole);
    json_decref(root);
    return share;
}

static void test_cpu_attribution(void **state)
{
    (void)state;
    fake fk;
    char stat[PATH_MAX];
    fake_init(&fk); /* no powercap: the model */
    snprintf(stat, sizeof stat, "%s/stat", fk.procfs);
    unlink(stat);
    assert_int_equal(symlink("/proc/stat", stat), 0);
    /* a core burnt by someone else for longer than the command runs */
    pid_t burner;
    const char *burn[] = {CPU_BURN_BIN, "3", NULL};
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&burner, CPU_BURN_BIN, &quiet, NULL, (char **)burn, environ), 0);
    posix_spawn_file_actions_destroy(&quiet);
    double share = attributed_share(&fk, (const char *[]){"sleep", "1", NULL});
    waitpid(burner, NULL, 0);
    assert_true(share < 0.05);
    /* a command that burns: its share is its CPU time over the machine's
     * busy time, whatever else runs beside it (other tests, a build) */
    share = attributed_share(&fk, (const char *[]){CPU_BURN_BIN, "1", NULL});
    assert_true(share > 0 && share <= 1);
    fake_free(&fk);
}

static void test_exit_status_passthrough(void **state)
{
    (void)state;
    fake fk;
    tree(&fk);
    out r = run_ebench(&fk, (const char *[]){"run", "--", "sh", "-c", "exit 3", NULL});
    assert_int_equal(r.status, 3);
    assert_contains(r.err, "Energy stats for 'sh -c exit 3':");
    assert_contains(r.err, "cpu0-package");
    assert_contains(r.err, "seconds time elapsed");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"run", "sh", "-c", "kill -TERM $$", NULL});
    assert_int_equal(r.status, 128 + SIGTERM);
    out_free(&r);

    /* CMD's stdout stays clean; the table goes to stderr. */
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--", "echo", "hello", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "hello\n");
    assert_string_equal(r.err, "");
    out_free(&r);
    fake_free(&fk);
}

/* SIGTERM and SIGINT sent to ebench reach CMD. CMD says "ready" on a pipe
 * once its trap is set, so nothing depends on timing. */
static void forwarded(int sig, const char *script, int expect)
{
    fake fk;
    int p[2];
    tree(&fk);
    assert_int_equal(pipe(p), 0);
    setenv("EBENCH_SYSFS_ROOT", fk.sysfs, 1);
    setenv("EBENCH_PROCFS_ROOT", fk.procfs, 1);
    const char *argv[] = {EBENCH_BIN, "run", "-q", "--", "sh", "-c", script, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, EBENCH_BIN, &fa, NULL, (char **)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    char buf[16] = "";
    assert_true(read(p[0], buf, 6) == 6);
    assert_memory_equal(buf, "ready\n", 6);
    assert_int_equal(kill(pid, sig), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(p[0]);
    assert_int_equal(shell_status(status), expect);
    fake_free(&fk);
}

static void test_signal_forwarding(void **state)
{
    (void)state;
    forwarded(SIGTERM, "trap 'exit 42' TERM; echo ready; while :; do sleep 0.01; done", 42);
    forwarded(SIGINT, "trap 'exit 43' INT; echo ready; while :; do sleep 0.01; done", 43);
    forwarded(SIGHUP, "trap 'exit 44' HUP; echo ready; while :; do sleep 0.01; done", 44);
    /* issue 14: these killed ebench with no report */
    forwarded(SIGQUIT, "trap 'exit 45' QUIT; echo ready; while :; do sleep 0.01; done", 45);
    forwarded(SIGUSR1, "trap 'exit 46' USR1; echo ready; while :; do sleep 0.01; done", 46);
    /* Without a trap CMD dies of the signal and ebench reports 128+N. */
    forwarded(SIGTERM, "echo ready; exec sleep 30", 128 + SIGTERM);
}

/* Entries in a directory ("." and ".." left out); 0 if it cannot be read. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* SIGTERM after `delay` seconds of `ebench run ARGS`: how it ended, and how
 * long it took to (-1: still running 3 s later; it is killed then). */
static int terminated_after(const char *const *args, double delay, double *took)
{
    const char *argv[32] = {EBENCH_BIN};
    size_t n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, EBENCH_BIN, &fa, NULL, (char **)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    /* the delay counts from the moment the bench is open (its sampler thread
     * runs), not from the spawn: on a loaded machine starting takes a while */
    char task[64];
    snprintf(task, sizeof task, "/proc/%d/task", (int)pid);
    for (int i = 0; i < 500 && count_entries(task) < 2; i++) {
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
    }
    struct timespec d = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)}, t0, t1;
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    for (int i = 0; i < 300; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            *took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
            return shell_status(status);
        }
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    *took = INFINITY;
    return -1;
}

/* A run killed where it cannot write its report (SIGKILL, a job's time limit)
 * keeps what was measured: --checkpoint writes the files as it goes, each
 * whole; temporary files of dead writers are cleaned by the next run that
 * writes the same path (issue 14: SIGKILL left only an empty .tmp file). */
static void test_checkpoint_survives_sigkill(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX], stale[PATH_MAX + 32], csv[PATH_MAX], partial[PATH_MAX + 16];
    tree(&fk);
    setenv("EBENCH_SYSFS_ROOT", fk.sysfs, 1);
    setenv("EBENCH_PROCFS_ROOT", fk.procfs, 1);
    setenv("EBENCH_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    snprintf(json, sizeof json, "%s/ck.json", fk.root);
    snprintf(csv, sizeof csv, "%s/ck.csv", fk.root);
    snprintf(partial, sizeof partial, "%s.partial", csv);
    /* another host's or container's (its pid cannot be checked here): kept */
    snprintf(stale, sizeof stale, "%s.tmp.00c0ffee.2147480000.AbCdEf", json);
    fake_write(fk.root, "ck.json.tmp.00c0ffee.2147480000.AbCdEf", "another host's report");
    const char *argv[] = {EBENCH_BIN,     "run", "-q", "--json", json, "--csv", csv,
                          "--checkpoint", "0.2", "--", "sleep",  "10", NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, EBENCH_BIN, NULL, NULL, (char **)argv, environ), 0);
    /* the first checkpoint, within 5 s */
    json_t *root = NULL;
    json_error_t e;
    for (int i = 0; i < 500 && !root; i++) {
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
        root = json_load_file(json, 0, &e);
    }
    assert_non_null(root);
    json_decref(root);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    root = json_load_file(json, 0, &e);
    assert_non_null(root); /* whole, not half-written */
    assert_true(json_is_true(json_object_get(root, "checkpoint")));
    assert_true(json_real_value(json_object_get(root, "duration_s")) > 0.1);
    assert_int_equal(json_array_size(json_object_get(root, "domains")), 4);
    json_decref(root);
    assert_int_equal(access(stale, F_OK), 0);
    out rep = run_ebench(&fk, (const char *[]){"report", json, NULL});
    assert_int_equal(rep.status, 0);
    assert_contains(rep.out, " CHECKPOINT: written while the run was going, not at its end");
    out_free(&rep);
    /* the next run writing there: final, and the killed run's temporaries
     * gone; the timeline it streamed is kept as ck.csv.partial */
    out r = run_ebench(
        &fk, (const char *[]){"run", "-q", "--json", json, "--csv", csv, "--", "true", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    root = json_load_file(json, 0, &e);
    assert_non_null(root);
    assert_false(json_is_true(json_object_get(root, "checkpoint")));
    json_decref(root);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--", "sh", "-c", "ls \"$0\" | grep -c tmp",
                                         fk.root, NULL});
    assert_string_equal(r.out, "1\n"); /* the other host's only: the killed run's is gone */
    assert_int_equal(access(stale, F_OK), 0);
    out_free(&r);
    char *kept = slurp(partial);
    assert_contains(kept, "t_s,domain,power_w,energy_j\n");
    size_t rows = 0;
    for (const char *p = kept; (p = strchr(p, '\n')); p++)
        rows++;
    assert_true(rows > 4 * 2); /* 4 domains, at least two ticks of the 0.2 s it ran */
    free(kept);
    fake_free(&fk);
}

/* The report's last warning contains text. */
static void assert_last_warning(json_t *root, const char *text)
{
    json_t *w = json_object_get(root, "warnings");
    const char *said = json_string_value(json_array_get(w, json_array_size(w) - 1));
    assert_non_null(said);
    if (!strstr(said, text))
        fail_msg("last warning '%s' does not say '%s'", said, text);
}

/* A signal at any phase ends the run promptly, with the report of what was
 * measured: between repetitions (it was lost there: 4 of 5 tries still ran
 * 8 s later) and during the idle baseline (it killed ebench, no report). */
static void test_signal_at_every_phase(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    double took;
    tree(&fk);
    setenv("EBENCH_SYSFS_ROOT", fk.sysfs, 1);
    setenv("EBENCH_PROCFS_ROOT", fk.procfs, 1);
    snprintf(json, sizeof json, "%s/rep.json", fk.root);
    int rc = terminated_after(
        (const char *[]){"run", "-q", "--json", json, "-r", "100000", "--", "true", NULL}, 0.8,
        &took);
    assert_int_equal(rc, 128 + SIGTERM);
    assert_true(took < 2.0);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e);
    assert_non_null(root);
    json_t *n = json_object_get(json_object_get(root, "repetitions"), "n");
    assert_true(json_integer_value(n) >= 1); /* the runs made before the signal */
    assert_int_equal(json_integer_value(json_object_get(root, "exit_status")), 128 + SIGTERM);
    json_decref(root);

    snprintf(json, sizeof json, "%s/idle.json", fk.root); /* a fresh file: no stale report */
    rc = terminated_after(
        (const char *[]){"run", "-q", "--idle", "5", "--json", json, "--", "sleep", "5", NULL}, 0.8,
        &took);
    assert_int_equal(rc, 128 + SIGTERM);
    assert_true(took < 2.0);
    root = json_load_file(json, 0, &e);
    assert_non_null(root);
    const char *idle = json_string_value(json_object_get(root, "idle_baseline"));
    assert_non_null(idle);
    assert_non_null(strstr(idle, "a signal cut it short"));
    /* the saved report says the command never ran (a user read the idle
     * baseline's joules as the command's) */
    assert_last_warning(root, "the command did not run: Terminated arrived before it started");
    json_decref(root);

    /* a signal in the middle of a run: the report says that run was cut */
    snprintf(json, sizeof json, "%s/cut.json", fk.root);
    rc = terminated_after(
        (const char *[]){"run", "-q", "--json", json, "-r", "3", "--", "sleep", "5", NULL}, 0.8,
        &took);
    assert_int_equal(rc, 128 + SIGTERM);
    root = json_load_file(json, 0, &e);
    assert_non_null(root);
    assert_last_warning(root, "run 1 of 3 was cut short by Terminated");
    json_decref(root);

    /* a later repetition cut short leaves the mean: every run in it is whole
     * (a user saw a 0.57 s run averaged in with 1 s ones, +-349%) */
    snprintf(json, sizeof json, "%s/cut2.json", fk.root);
    rc = terminated_after(
        (const char *[]){"run", "-q", "--json", json, "-r", "6", "--", "sleep", "0.3", NULL}, 1.0,
        &took);
    assert_int_equal(rc, 128 + SIGTERM);
    root = json_load_file(json, 0, &e);
    assert_non_null(root);
    json_t *reps = json_object_get(root, "repetitions");
    if (json_is_object(reps)) /* two whole runs or more before the signal */
        assert_true(json_real_value(json_object_get(json_object_get(reps, "duration_s"), "min")) >=
                    0.29);
    json_t *w = json_object_get(root, "warnings");
    const char *said = json_string_value(json_array_get(w, json_array_size(w) - 1));
    assert_non_null(said);
    if (strstr(said, "was cut short") && !strstr(said, "run 1 of"))
        assert_non_null(strstr(said, "and is left out: the figures are the"));
    json_decref(root);
    fake_free(&fk);
}

static void test_bad_input(void **state)
{
    (void)state;
    fake fk;
    char marker[PATH_MAX], script[PATH_MAX + 16], path[PATH_MAX];
    tree(&fk);
    snprintf(marker, sizeof marker, "%s/ran", fk.root);
    snprintf(script, sizeof script, "touch %s", marker);

    out r = run_ebench(&fk, (const char *[]){"run", "--bogus", "--", "true", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "usage: ebench run");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"run", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench run: no command given");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"run", "--", NULL});
    assert_int_equal(r.status, 2);
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"frobnicate", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench: unknown command 'frobnicate'");
    out_free(&r);

    static const char *const intervals[] = {"0", "-5", "abc", "", "10ms", "nan", "inf"};
    for (size_t i = 0; i < sizeof intervals / sizeof *intervals; i++) {
        r = run_ebench(&fk, (const char *[]){"run", "--interval", intervals[i], "--", "sh", "-c",
                                             script, NULL});
        assert_int_equal(r.status, 2);
        assert_contains(r.err, "ebench: --interval '");
        assert_contains(r.err, "expected a number from 1 to 3600000");
        out_free(&r);
    }

    static const char *const tdps[] = {"0", "-1", "abc", "1e9"};
    for (size_t i = 0; i < sizeof tdps / sizeof *tdps; i++) {
        r = run_ebench(
            &fk, (const char *[]){"run", "--cpu-tdp", tdps[i], "--", "sh", "-c", script, NULL});
        assert_int_equal(r.status, 2);
        assert_contains(r.err, "ebench: --cpu-tdp '");
        out_free(&r);
    }

    r = run_ebench(&fk, (const char *[]){"info", "extra", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench info: unexpected argument 'extra'");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"run", "--", "ebench-no-such-command", NULL});
    assert_int_equal(r.status, 127);
    assert_string_equal(r.err,
                        "ebench: cannot run 'ebench-no-such-command': No such file or directory\n");
    out_free(&r);

    /* Unwritable outputs are refused before CMD starts. */
    r = run_ebench(&fk, (const char *[]){"run", "--json", "/nonexistent-dir/r.json", "--", "sh",
                                         "-c", script, NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "ebench: --json '/nonexistent-dir/r.json': cannot write there: "
                               "No such file or directory\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"run", "--csv", fk.root, "--", "sh", "-c", script, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "cannot write there: it is a directory");
    out_free(&r);
    snprintf(path, sizeof path, "%s/%%q.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"run", "--json", path, "--", "sh", "-c", script, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "unknown '%q'");
    out_free(&r);
    assert_int_equal(access(marker, F_OK), -1); /* CMD never ran */
    fake_free(&fk);
}

static void test_outputs_written(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX], csv[PATH_MAX], pattern[PATH_MAX];
    tree(&fk);
    snprintf(pattern, sizeof pattern, "%s/run-%%n.json", fk.root);
    snprintf(json, sizeof json, "%s/run-node01.json", fk.root);
    snprintf(csv, sizeof csv, "%s/t.csv", fk.root);
    out r = run_ebench(&fk, (const char *[]){"run", "-q", "-i", "5", "--json", pattern, "--csv",
                                             csv, "--", CPU_BURN_BIN, "0.05", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    char *j = slurp(json), *c = slurp(csv);
    assert_contains(j, "\"schema\": \"ebench-report/1\"");
    assert_contains(j, "\"hostname\": \"node01\"");
    assert_contains(c, "t_s,domain,power_w,energy_j\n0.000000,cpu0-package,,0.000000\n");
    free(j);
    free(c);
    /* no temporary file is left behind */
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--", "sh", "-c",
                                         "ls -a \"$0\" | grep -c tmp", fk.root, NULL});
    assert_string_equal(r.out, "0\n");
    out_free(&r);
    fake_free(&fk);
}

/* Simulated GPUs driven live by ebench-sim-load in the measured process. */
static void test_gpus_end_to_end(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"uuid\": \"GPU-11111111-0000-4000-8000-000000000000\", "
                 "\"pci_bus_id\": \"00000000:07:00.0\", \"live\": true, \"sensor\": "
                 "{\"energy_update_ms\": 10}}, {\"uuid\": "
                 "\"GPU-22222222-0000-4000-8000-000000000000\", \"pci_bus_id\": "
                 "\"00000000:08:00.0\", \"live\": true, \"sensor\": {\"energy_update_ms\": "
                 "10}}]}");
    snprintf(json, sizeof json, "%s/r.json", fk.root);

    out r = run_ebench(&fk, (const char *[]){"info", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "  nvidia0          gpu       nvidia   counter  100 ms   nvml index 0, "
                           "PCI 00000000:07:00.0, limit 400 W (Simulated H100 80GB HBM3) "
                           "[SIMULATED]\n");
    assert_contains(r.out, "uuid GPU-22222222-0000-4000-8000-000000000000\n");
    assert_contains(r.out, "reads energy counter, instant power, utilization, SM clock, "
                           "temperature, power limit\n");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"info", "--gpus", "5", NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "ebench: --gpus=5: '5' matches no GPU\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"run", "--gpus", "0;1", "--", "true", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench: --gpus '0;1': expected 'all' or a comma-separated list");
    out_free(&r);

    /* 0.5 s light (150 W) and 0.5 s heavy (400 W): 275 J per GPU, plus idle
     * 50 W for the few ms ebench runs before and after. The counter moves every
     * 10 ms here, so each end of the run, where the power steps, costs at most
     * 10 ms of the step: 1 J at the start (50 -> 150 W), 3.5 J at the end. */
    r = run_ebench(&fk, (const char *[]){"run", "--gpus", "1", "--json", json, "--", SIM_LOAD_BIN,
                                         "--gpus", "0,1", "light:0.5", "heavy:0.5", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "nvidia1        #");
    assert_contains(r.err, "counter (simulated)");
    assert_null(strstr(r.err, "nvidia0 "));
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e);
    assert_non_null(root);
    json_t *doms = json_object_get(root, "domains");
    json_t *g = NULL;
    for (size_t i = 0; i < json_array_size(doms); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(doms, i), "kind")), "gpu") == 0)
            g = json_array_get(doms, i);
    assert_non_null(g);
    assert_string_equal(json_string_value(json_object_get(g, "id")), "nvidia1");
    assert_true(json_is_true(json_object_get(g, "simulated")));
    /* the rest of the run is the GPU at rest (50 W): the command's start-up and
     * exit, which a loaded machine (the sanitizer pass beside other tests)
     * stretches by a tenth of a second or more */
    double dur = json_real_value(json_object_get(root, "duration_s"));
    assert_true(dur >= 1.0);
    assert_near(json_real_value(json_object_get(g, "energy_j")), 275.0 + 50.0 * (dur - 1.0), 5.0);
    json_decref(root);
    drop_sim(&fk);
    fake_free(&fk);
}

/* Methodology options: every bad value is refused before CMD runs. */
static void test_method_bad_input(void **state)
{
    (void)state;
    fake fk;
    char marker[PATH_MAX], script[PATH_MAX + 16];
    tree(&fk);
    snprintf(marker, sizeof marker, "%s/ran", fk.root);
    snprintf(script, sizeof script, "touch %s", marker);
    static const struct {
        const char *opt, *value, *expect;
    } cases[] = {
        {"--work", "5", "ebench: --work '5': expected AMOUNT:UNIT"},
        {"--work", "abc:flop", "ebench: --work 'abc:flop': expected AMOUNT:UNIT"},
        {"--work", "5:", "ebench: --work '5:': expected AMOUNT:UNIT"},
        {"--work", "-3:token", "ebench: --work '-3:token': expected AMOUNT:UNIT"},
        {"--pue", "-1", "ebench: --pue '-1': expected a number from 1 to 10"},
        {"--pue", "0.5", "ebench: --pue '0.5': expected a number from 1 to 10"},
        {"--price", "-0.2", "ebench: --price '-0.2': expected a number from 0 to"},
        {"--region", "Frnace", "ebench: --region 'Frnace': unknown; close: FR (France)"},
        {"--repeat", "0", "ebench: --repeat '0': expected a whole number from 1 to 1000000"},
        {"--repeat", "2x", "ebench: --repeat '2x': expected a whole number"},
        {"--warmup", "-1", "ebench: --warmup '-1': expected a whole number from 0"},
        {"--idle", "0", "ebench: --idle '0': expected a number from 0.001"},
        {"--idle-power", "nvidia0", "ebench: --idle-power 'nvidia0': expected DOMAIN=W"},
        {"--idle-power", "nvidia0=-5", "ebench: --idle-power '-5': expected a number from 0"},
        {"--skip", "-2", "ebench: --skip '-2': expected a number from 0"},
        {"--carbon-intensity", "-10", "ebench: --carbon-intensity '-10': expected a number"},
        {"--nodes", "0", "ebench: --nodes '0': expected a number from 1"},
        {"--checkpoint", "0.01", "ebench: --checkpoint '0.01': expected a number from 0.1"},
        {"--checkpoint", "soon", "ebench: --checkpoint 'soon': expected a number"},
        {"--cpu-idle", "-1", "ebench: --cpu-idle '-1': expected a number from 0"},
        {"--cpu-idle", "150", "ebench: --cpu-idle 150 W is above the TDP the CPU model assumes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        out r = run_ebench(&fk, (const char *[]){"run", cases[i].opt, cases[i].value, "--", "sh",
                                                 "-c", script, NULL});
        if (r.status != 2 || !strstr(r.err, cases[i].expect))
            fail_msg("%s %s: exit %d, stderr '%s'", cases[i].opt, cases[i].value, r.status, r.err);
        out_free(&r);
    }
    /* an --idle-power domain that does not exist is refused after probing */
    out r = run_ebench(
        &fk, (const char *[]){"run", "--idle-power", "nvidia7=50", "--", "sh", "-c", script, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(
        r.err, "ebench: --idle-power nvidia7=50: no domain 'nvidia7' (ebench info lists them)");
    out_free(&r);
    assert_int_equal(access(marker, F_OK), -1); /* CMD never ran */
    fake_free(&fk);
}

/* --repeat, --warmup, --idle, --work and --region on simulated GPUs, checked
 * in the JSON report against what the simulator was told to draw. */
static void test_method_end_to_end(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    /* reads as fast as a bare-metal driver's: this test is about the idle
     * baseline and the net energy, not about slow reads (test_realtime) */
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"live\": true, "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}]}");
    snprintf(json, sizeof json, "%s/r.json", fk.root);
    out r = run_ebench(&fk, (const char *[]){"run", "-r", "3", "--warmup", "1", "--idle", "0.3",
                                             "-w", "4e12:flop", "--region", "NO", "--json", json,
                                             "--", SIM_LOAD_BIN, "heavy:1", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "(3 runs, after warm-up):");
    assert_contains(r.err, "( +- ");
    assert_contains(r.err, "idle baseline (measured at rest over 0.3 s before the command):");
    assert_contains(r.err, "TFLOP/J (= TFLOPS/W)");
    assert_contains(r.err, "at 30 g/kWh (NO, Ember");
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e);
    assert_non_null(root);
    json_t *reps = json_object_get(root, "repetitions");
    assert_int_equal(json_integer_value(json_object_get(reps, "n")), 3);
    assert_int_equal(json_integer_value(json_object_get(reps, "warmup")), 1);
    json_t *gpu = json_array_get(json_object_get(root, "domains"), 0);
    assert_string_equal(json_string_value(json_object_get(gpu, "id")), "nvidia0");
    /* 1 s at 400 W per run = 400 J; idle 50 W, so 350 J above idle. The
     * counter moves every 10 ms here: a run's start and end, where the power
     * steps by 350 W, each cost at most 3.5 J; process start-up at idle adds
     * well under 1 J. */
    double energy = json_real_value(json_object_get(gpu, "energy_j"));
    assert_near(energy, 400.0, 8.0);
    assert_near(json_real_value(json_object_get(gpu, "idle_power_w")), 50.0, 0.5);
    assert_near(json_real_value(json_object_get(gpu, "net_energy_j")), 350.0, 8.0);
    json_t *eff = json_array_get(json_object_get(root, "efficiency"), 0);
    assert_near(json_real_value(json_object_get(eff, "gpus_per_joule")), 4.0 / energy, 1e-9);
    json_t *acc = json_object_get(root, "accounting");
    assert_near(json_real_value(json_object_get(acc, "carbon_g_per_kwh")), 30, 0);
    json_decref(root);
    drop_sim(&fk);
    fake_free(&fk);
}

/* The CSV timeline says where each run lies, and its energy over a run's
 * interval is the report's figure for that run (issue 13: the CSV's last
 * cumulative energy included the idle baseline and the settle tail, and
 * nothing marked where the command started and ended). */
static void test_csv_marks_the_runs(void **state)
{
    (void)state;
    fake fk;
    char csv[PATH_MAX], json[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"phases\": "
                 "[{\"seconds\": 1000, \"power_w\": 300}]}]}");
    snprintf(csv, sizeof csv, "%s/t.csv", fk.root);
    snprintf(json, sizeof json, "%s/t.json", fk.root);
    out r = run_ebench(&fk, (const char *[]){"run", "-q", "--idle", "0.2", "--csv", csv, "--json",
                                             json, "--", "sleep", "0.4", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    FILE *f = fopen(csv, "r");
    assert_non_null(f);
    char line[512], t0s[32] = "", t1s[32] = "";
    double report_j = NAN, e0 = NAN, e1 = NAN;
    int idle = 0;
    /* the '#' lines come after the rows (they are streamed as the run goes) */
    while (fgets(line, sizeof line, f)) {
        idle |= strncmp(line, "# idle baseline: t_s ", 21) == 0;
        sscanf(line, "# command, run 1: t_s %31s to %31[0-9.], %lf J", t0s, t1s, &report_j);
    }
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        /* nvidia0's cumulative energy at exactly the run's two ends */
        size_t l0 = strlen(t0s), l1 = strlen(t1s);
        if (l0 && strncmp(line, t0s, l0) == 0 && strncmp(line + l0, ",nvidia0,", 6) == 0)
            e0 = atof(strrchr(line, ',') + 1);
        if (l1 && strncmp(line, t1s, l1) == 0 && strncmp(line + l1, ",nvidia0,", 6) == 0)
            e1 = atof(strrchr(line, ',') + 1);
    }
    fclose(f);
    assert_true(idle);
    assert_true(t0s[0] && t1s[0]);
    json_error_t je;
    json_t *root = json_load_file(json, 0, &je);
    assert_non_null(root);
    double gpu_j = json_real_value(
        json_object_get(json_array_get(json_object_get(root, "domains"), 0), "energy_j"));
    json_decref(root);
    if (!(fabs((e1 - e0) - gpu_j) <= 0.001 * gpu_j))
        fail_msg("CSV over the run %.4f J, report %.4f J", e1 - e0, gpu_j);
    if (!(report_j >= gpu_j - 1e-6))
        fail_msg("the run's total %.6f J below its nvidia0 %.6f J", report_j, gpu_j);
    drop_sim(&fk);
    fake_free(&fk);
}

/* --calls: one row per run of the command, with its work and the figures
 * the report's mean comes from; --timeline is --csv; one path for two
 * outputs is refused before the command runs. */
static void test_calls_file(void **state)
{
    (void)state;
    fake fk;
    char calls[PATH_MAX], tl[PATH_MAX], json[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"phases\": "
                 "[{\"seconds\": 1000, \"power_w\": 250}]}]}");
    snprintf(calls, sizeof calls, "%s/c.csv", fk.root);
    snprintf(tl, sizeof tl, "%s/t.csv", fk.root);
    snprintf(json, sizeof json, "%s/r.json", fk.root);
    out r = run_ebench(&fk, (const char *[]){"run", "-q", "-r", "2", "-w", "10:sample", "--calls",
                                             calls, "--timeline", tl, "--json", json, "--", "sleep",
                                             "0.2", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    FILE *f = fopen(calls, "r");
    assert_non_null(f);
    char line[512];
    int runs = 0;
    double sum = 0;
    while (fgets(line, sizeof line, f)) {
        double t0, t1, d, e;
        if (strncmp(line, "run,", 4) != 0)
            continue;
        assert_int_equal(sscanf(line + 4, "%lf,%lf,%lf,%lf", &t0, &t1, &d, &e), 4);
        assert_near(t1 - t0, d, 2e-6);
        assert_contains(line, ",10 sample\n");
        sum += e;
        runs++;
    }
    fclose(f);
    assert_int_equal(runs, 2);
    json_error_t je;
    json_t *root = json_load_file(json, 0, &je);
    assert_non_null(root);
    double mean = json_real_value(json_object_get(json_object_get(root, "total"), "energy_j"));
    json_decref(root);
    assert_near(sum / 2, mean, 1e-5 * mean);
    f = fopen(tl, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    r = run_ebench(
        &fk, (const char *[]){"run", "-q", "--calls", json, "--json", json, "--", "true", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--json and --calls both name");
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

/* Outputs that are this process's own standard output: the calls (streamed
 * as the run goes) come after the command's output, never inside it; a
 * report to /dev/stdout goes after what the command wrote (not over it)
 * and /dev/stdout stays a link; a link to a file keeps being a link. */
static void test_outputs_to_stdout_and_links(void **state)
{
    (void)state;
    fake fk;
    tree(&fk);
    out r = run_ebench(&fk, (const char *[]){"run", "-q", "-i", "5", "-r", "3", "--calls", "-",
                                             "--", "sh", "-c", "echo CMD-OUT", NULL});
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "CMD-OUT\nCMD-OUT\nCMD-OUT\nname,t_begin_s,", 39) == 0);
    size_t rows = 0;
    for (const char *p = r.out; (p = strstr(p, "\nrun,")); p++)
        rows++;
    assert_int_equal(rows, 3);
    out_free(&r);
    r = run_ebench(
        &fk, (const char *[]){"run", "-q", "--json", "/dev/stdout", "--", "echo", "hi", NULL});
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "hi\n{", 4) == 0);
    struct stat st;
    assert_int_equal(lstat("/dev/stdout", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    out_free(&r);
    char real[PATH_MAX], link[PATH_MAX];
    snprintf(real, sizeof real, "%s/real.json", fk.root);
    snprintf(link, sizeof link, "%s/link.json", fk.root);
    assert_int_equal(symlink(real, link), 0);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", link, "--", "true", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *j = slurp(real);
    assert_contains(j, "\"schema\": \"ebench-report/1\"");
    free(j);
    /* a regular file under /dev (tmpfs at /dev/shm): replaced whole, as anywhere */
    if (access("/dev/shm", W_OK) == 0) {
        char shm[64];
        snprintf(shm, sizeof shm, "/dev/shm/ebench-test-%d.json", (int)getpid());
        fake_write("/dev/shm", shm + 9, "%0*d", 100000, 7); /* longer than a report */
        r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", shm, "--", "true", NULL});
        assert_int_equal(r.status, 0);
        out_free(&r);
        json_error_t e;
        json_t *root = json_load_file(shm, 0, &e);
        assert_non_null(root); /* whole: no old bytes after it */
        json_decref(root);
        unlink(shm);
    }
    /* the timeline to standard error: after the command's own lines there */
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--csv", "/dev/stderr", "--", "sh", "-c",
                                         "sleep 0.3; echo CMDERR >&2", NULL});
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.err, "CMDERR\n", 7) == 0);
    assert_contains(r.err, "t_s,domain,power_w,energy_j\n");
    out_free(&r);
    fake_free(&fk);
}

/* An output that is a device or a pipe is written directly, never replaced
 * (as root, `--json /dev/null` once turned /dev/null into a regular file);
 * "-" is standard output; a FIFO without a reader is an error, not a hang. */
/* A report file gets the umask's mode when new and keeps its own when
 * replaced; --json and --csv naming one file is refused (issue 14). */
static void test_output_modes_and_paths(void **state)
{
    (void)state;
    fake fk;
    struct stat st;
    char path[PATH_MAX];
    tree(&fk);
    snprintf(path, sizeof path, "%s/m.json", fk.root);
    mode_t old = umask(077);
    out r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", path, "--", "true", NULL});
    umask(old);
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* new: 0666 less the umask 077 */
    assert_int_equal(chmod(path, 0640), 0);
    old = umask(022);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", path, "--", "true", NULL});
    umask(old);
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* replaced: its own mode kept */

    r = run_ebench(
        &fk, (const char *[]){"run", "-q", "--json", path, "--csv", path, "--", "true", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench: --json and --csv both name '");
    out_free(&r);
    r = run_ebench(&fk,
                   (const char *[]){"run", "-q", "--json", "-", "--csv", "-", "--", "true", NULL});
    assert_int_equal(r.status, 2);
    out_free(&r);
    fake_free(&fk);
}

static void test_outputs_not_regular_files(void **state)
{
    (void)state;
    fake fk;
    struct stat st;
    char fifo[PATH_MAX], got[PATH_MAX];
    tree(&fk);
    out r =
        run_ebench(&fk, (const char *[]){"run", "-q", "--json", "/dev/null", "--", "true", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", "-", "--", "true", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "\"schema\": \"ebench-report/1\"");
    out_free(&r);
    snprintf(fifo, sizeof fifo, "%s/fifo", fk.root);
    snprintf(got, sizeof got, "%s/got", fk.root);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", fifo, "--", "true", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "a FIFO with no reader");
    out_free(&r);
    /* with a reader: it gets the whole report, and the FIFO stays a FIFO */
    char cmd[PATH_MAX * 2 + 32];
    snprintf(cmd, sizeof cmd, "cat '%s' > '%s' &", fifo, got);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < 200; i++) { /* until cat has the FIFO open */
        r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", fifo, "--", "true", NULL});
        int ok = r.status == 0;
        out_free(&r);
        if (ok)
            break;
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
    }
    char *text = NULL;
    for (int i = 0; i < 200; i++) { /* until cat has written all of it */
        free(text);
        text = stat(got, &st) == 0 ? slurp(got) : NULL;
        if (text && strstr(text, "\n}\n"))
            break;
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
    }
    assert_non_null(text);
    assert_contains(text, "\"schema\": \"ebench-report/1\"");
    free(text);
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* a stderr whose reader is gone (`2>&1 | head -1`) does not cost the
     * report: the files are written before the table */
    char piped[PATH_MAX], shcmd[PATH_MAX * 3];
    snprintf(piped, sizeof piped, "%s/piped.json", fk.root);
    snprintf(shcmd, sizeof shcmd,
             "'%s' run --json '%s' -- sh -c 'echo a; sleep 0.3' 2>&1 | head -1 > /dev/null",
             EBENCH_BIN, piped);
    signal(SIGPIPE, SIG_DFL); /* as a user's shell has it (this test ignores it) */
    int sys_rc = system(shcmd);
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(sys_rc, 0);
    text = slurp(piped);
    assert_non_null(text);
    assert_contains(text, "\"schema\": \"ebench-report/1\"");
    free(text);
    /* a plot's image must be a file */
    char rep[PATH_MAX];
    snprintf(rep, sizeof rep, "%s/rep.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--json", rep, "--", "true", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    char png[PATH_MAX];
    snprintf(png, sizeof png, "%s/img.png", fk.root);
    assert_int_equal(mkfifo(png, 0600), 0);
    r = run_ebench(&fk, (const char *[]){"plot", rep, "-o", png, NULL});
    assert_int_equal(r.status, 2);
    if (access("/usr/bin/gnuplot", X_OK) == 0)
        assert_contains(r.err, "not a regular file");
    assert_int_equal(stat(png, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    out_free(&r);
    fake_free(&fk);
}

/* A minimal saved report: one GPU, repeated runs with a confidence interval. */
static void write_report(fake *fk, const char *name, double gpu_j, double ci_j, double time_s,
                         double flop)
{
    char rel[64];
    snprintf(rel, sizeof rel, "%s", name);
    fake_write(fk->root, rel,
               "{\"schema\": \"ebench-report/1\", \"hostname\": \"node01\", "
               "\"start_time\": \"2026-11-25T10:00:00Z\", \"command\": [\"./gemm\"], "
               "\"duration_s\": %g, \"elapsed_s\": %g,\n"
               " \"domains\": [{\"id\": \"nvidia0\", \"kind\": \"gpu\", \"method\": \"counter\", "
               "\"in_total\": true, \"energy_j\": %g, \"uncertainty_j\": %g, "
               "\"avg_power_w\": %g, \"peak_power_w\": 400, \"net_energy_j\": null}],\n"
               " \"total\": {\"energy_j\": %g, \"uncertainty_j\": %g, \"avg_power_w\": %g},\n"
               " \"repetitions\": {\"n\": 5, \"duration_s\": {\"mean\": %g, \"ci95\": 0.01}, "
               "\"domains\": [{\"id\": \"nvidia0\", \"mean\": %g, \"ci95\": %g}]},\n"
               " \"efficiency\": [{\"unit\": \"flop\", \"amount\": %g, \"per_joule\": %g, "
               "\"per_joule_unit\": \"TFLOP/J\"}], \"idle_baseline\": \"not measured\"}\n",
               time_s, time_s, gpu_j, 0.05 * gpu_j, gpu_j / time_s, gpu_j, 0.05 * gpu_j,
               gpu_j / time_s, time_s, gpu_j, ci_j, flop, flop / 1e12 / gpu_j);
}

/* One node with NVIDIA (simulated), AMD and Intel GPUs: info lists each
 * vendor's, --gpus names them by vendor, and a bare index is refused. */
static void test_info_every_vendor(void **state)
{
    (void)state;
    fake fk;
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"uuid\": \"GPU-11111111-0000-4000-8000-000000000000\", "
                 "\"pci_bus_id\": \"00000000:07:00.0\"}]}");
    const char *cards[][3] = {{"0000:c1:00.0", "amdgpu", "power1_average"},
                              {"0000:03:00.0", "xe", "energy1_input"}};
    for (int i = 0; i < 2; i++) {
        char parent[64];
        snprintf(parent, sizeof parent, "devices/pci0000:00/%s", cards[i][0]);
        fake_hwmon(&fk, i, parent, cards[i][1]);
        fake_hw(&fk, i, cards[i][2], "200000000\n");
    }
    out r = run_ebench(&fk, (const char *[]){"info", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "  nvidia0          gpu       nvidia   counter  100 ms   nvml index 0");
    assert_contains(r.out, "  amd0             gpu       amd      power    1 ms     hwmon hwmon0 "
                           "(amdgpu), PCI 0000:c1:00.0");
    assert_contains(r.out, "  intel0           gpu       intel    counter  1 ms     hwmon hwmon1 "
                           "(xe), PCI 0000:03:00.0, energy1_input");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"run", "--gpus", "0", "--", "true", NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "ebench: --gpus=0: '0' is ambiguous: this node has NVIDIA and AMD "
                               "and Intel GPUs; name each by vendor and index (nvidia0, amd0, "
                               "intel0) or by UUID\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"info", "--gpus", "amd0,intel0", NULL});
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "  nvidia0   "));
    assert_contains(r.out, "nvml nvidia0: not selected: --gpus=amd0,intel0 does not name it");
    assert_contains(r.out, "  amd0  ");
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

static void test_report_and_compare(void **state)
{
    (void)state;
    fake fk;
    char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], bad[PATH_MAX], other[PATH_MAX], cpu[PATH_MAX];
    fake_init(&fk);
    write_report(&fk, "a.json", 500, 5, 2.0, 2e13);
    write_report(&fk, "b.json", 400, 4, 1.6, 2e13);
    write_report(&fk, "c.json", 495, 10, 2.0, 2e13);
    snprintf(a, sizeof a, "%s/a.json", fk.root);
    snprintf(b, sizeof b, "%s/b.json", fk.root);
    snprintf(c, sizeof c, "%s/c.json", fk.root);

    out r = run_ebench(&fk, (const char *[]){"report", "--format", "csv", a, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "domain,kind,method,energy_j,uncertainty_j,avg_power_w,peak_power_w,"
                               "net_energy_j\n"
                               "nvidia0,gpu,counter,500,25,250,400,\n"
                               "total,,,500,25,250,,\n");
    out_free(&r);

    /* a report from before 2.3, whose NVIDIA GPU was gpu0: read as nvidia0,
     * so it compares with today's domain by domain */
    char old_report[PATH_MAX];
    fake_write(
        fk.root, "old.json",
        "{\"schema\": \"ebench-report/1\", \"command\": [\"./gemm\"], \"duration_s\": 2,\n"
        " \"domains\": [{\"id\": \"gpu0\", \"kind\": \"gpu\", \"vendor\": \"nvidia\", "
        "\"method\": \"counter\", \"in_total\": true, \"energy_j\": 520, \"uncertainty_j\": 26, "
        "\"avg_power_w\": 260, \"peak_power_w\": 400, \"net_energy_j\": null}],\n"
        " \"windows\": [{\"name\": \"step\", \"domains\": [{\"id\": \"gpu0\", "
        "\"energy_j\": 1}]}], \"job\": {\"id\": \"gpu0\"},\n"
        " \"total\": {\"energy_j\": 520, \"uncertainty_j\": 26, \"avg_power_w\": 260}}\n");
    snprintf(old_report, sizeof old_report, "%s/old.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "csv", old_report, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "\nnvidia0,gpu,counter,520,26,260,400,\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "json", old_report, NULL});
    /* every domain named nvidia0, the window's too; a job id is not a domain */
    const char *first = strstr(r.out, "\"gpu0\"");
    assert_non_null(first);
    assert_null(strstr(first + 1, "\"gpu0\""));
    assert_contains(r.out, "\"job\": {\n    \"id\": \"gpu0\"");
    first = strstr(r.out, "\"nvidia0\"");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "\"nvidia0\""));
    out_free(&r);
    /* tables to paste: the run and its phases, flop work giving TFLOPS and
     * TFLOPS/W; names escaped for each format */
    char phases[PATH_MAX];
    fake_write(
        fk.root, "phases.json",
        "{\"schema\": \"ebench-report/1\", \"command\": [\"./gemm\"], \"duration_s\": 3,\n"
        " \"domains\": [{\"id\": \"nvidia0\", \"kind\": \"gpu\", \"method\": \"counter\", "
        "\"in_total\": true, \"energy_j\": 900, \"uncertainty_j\": 45, \"avg_power_w\": 300, "
        "\"peak_power_w\": 400}],\n"
        " \"total\": {\"energy_j\": 900, \"uncertainty_j\": 45, \"avg_power_w\": 300},\n"
        " \"windows\": [{\"name\": \"heavy_gemm|x&y\", \"calls\": 2, \"duration_s\": 2, "
        "\"energy_j\": 800, \"work\": [{\"unit\": \"flop\", \"amount\": 3.8e13}]},\n"
        "  {\"name\": \"idle\", \"calls\": 1, \"duration_s\": 1, \"energy_j\": 100, "
        "\"work\": []}]}\n");
    snprintf(phases, sizeof phases, "%s/phases.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "markdown", phases, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(
        r.out, "| domain | method | energy (J) | ± (J) | avg power (W) | peak power (W) |\n"
               "|:---|:---|---:|---:|---:|---:|\n"
               "| nvidia0 | counter | 900.000 | 45.000 | 300.00 | 400.00 |\n"
               "| **total** |  | 900.000 | 45.000 | 300.00 |  |\n"
               "\n"
               "| phase | calls | time (s) | energy (J) | power (W) | TFLOPS | TFLOPS/W |\n"
               "|:---|---:|---:|---:|---:|---:|---:|\n"
               "| heavy_gemm\\|x&y | 2 | 2.000 | 800.000 | 400.00 | 19.00 | 0.0475 |\n"
               "| idle | 1 | 1.000 | 100.000 | 100.00 | n/a | n/a |\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "latex", phases, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out,
                    "\\begin{tabular}{lrrrrrr}\n\\toprule\n"
                    "phase & calls & time (s) & energy (J) & power (W) & TFLOPS & TFLOPS/W "
                    "\\\\\n\\midrule\n"
                    "heavy\\_gemm|x\\&y & 2 & 2.000 & 800.000 & 400.00 & 19.00 & 0.0475 \\\\\n"
                    "idle & 1 & 1.000 & 100.000 & 100.00 & -- & -- \\\\\n"
                    "\\bottomrule\n\\end{tabular}\n");
    assert_contains(r.out, "nvidia0 & counter & 900.000 & 45.000 & 300.00 & 400.00 \\\\\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "html", phases, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "expected table, csv, json, markdown or latex");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"compare", old_report, a, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "over the 1 domain all reports share");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"report", a, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, " Energy stats for './gemm' (5 runs):\n (from ");
    assert_contains(r.out, "          500.000 J +-  5%  nvidia0        #    250.00 W avg    400.00 "
                           "W peak         counter\n"); /* no span in this report */
    assert_contains(r.out, " efficiency, 2e+13 flop per run:\n"
                           "           0.04 TFLOP/J (= TFLOPS/W)  total;  2.5e-11 J per flop\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "json", a, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "\"schema\": \"ebench-report/1\"");
    out_free(&r);

    r = run_ebench(&fk, (const char *[]){"compare", a, b, c, NULL});
    assert_int_equal(r.status, 0);
    /* B: 20% less, beyond the noise (sqrt(5^2 + 4^2) = 6.4 J) and the sensors
     * (sqrt(25^2 + 20^2) = 32 J); C: 1% less, within both */
    assert_contains(r.out, " B uses 20.0% less energy than A; beyond the run-to-run noise (95% CI "
                           "+-1.3%); beyond the sensors' uncertainty (+-6.4%, which matters across "
                           "different devices)\n"
                           "   work per joule: B is 1.25x as energy-efficient (0.05 against 0.04 "
                           "TFLOP/J)\n");
    assert_contains(r.out, " C uses 1.0% less energy than A; within the run-to-run noise (95% CI "
                           "+-2.2%); within the sensors'");
    assert_contains(r.out, "  A  a.json ");
    out_free(&r);

    /* the efficiency ratio is work per joule, as the table's column says, not
     * the energy ratio: D did 10% less work with 20% less energy, 1.125x; E
     * has no work: only "for the same work". Names: the shortest suffixes
     * that tell the paths apart */
    char d[PATH_MAX], e[PATH_MAX];
    write_report(&fk, "x/examples/r.json", 500, 5, 2.0, 2e13);
    write_report(&fk, "y/r.json", 400, 4, 2.0, 1.8e13);
    snprintf(d, sizeof d, "%s/x/examples/r.json", fk.root);
    snprintf(e, sizeof e, "%s/y/r.json", fk.root);
    fake_write(fk.root, "nowork.json",
               "{\"schema\": \"ebench-report/1\", \"duration_s\": 2, \"domains\": [{\"id\": "
               "\"nvidia0\", \"in_total\": true, \"energy_j\": 400}], \"total\": {\"energy_j\": "
               "400}}\n");
    char nowork[PATH_MAX];
    snprintf(nowork, sizeof nowork, "%s/nowork.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"compare", d, e, nowork, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "  A  examples/r.json ");
    assert_contains(r.out, "  B  y/r.json ");
    assert_contains(r.out, "  C  nowork.json ");
    assert_contains(r.out, "   work per joule: B is 1.12x as energy-efficient (0.045 against 0.04 "
                           "TFLOP/J)\n");
    assert_contains(r.out,
                    "   work per joule: not compared (the reports carry no common work; "
                    "`ebench run --work`); only if they did the same work would C be 1.25x as "
                    "energy-efficient\n");
    out_free(&r);
    /* a domain whose id is not a string (hostile input): refused, no crash */
    fake_write(fk.root, "noid.json",
               "{\"schema\": \"ebench-report/1\", \"domains\": [{\"id\": 5, \"in_total\": "
               "true, \"energy_j\": 4}], \"total\": {\"energy_j\": 4}}\n");
    char noid[PATH_MAX];
    snprintf(noid, sizeof noid, "%s/noid.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"compare", noid, a, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "no measured domain in common");
    out_free(&r);

    /* bad input: a truncated file names file, line and column */
    fake_write(fk.root, "bad.json", "{\"schema\": \"ebench-report/1\",\n \"domains\": [\n");
    snprintf(bad, sizeof bad, "%s/bad.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"report", bad, NULL});
    assert_int_equal(r.status, 2);
    char expect[PATH_MAX + 64];
    snprintf(expect, sizeof expect, "ebench: %s:3:0: ", bad);
    assert_contains(r.err, expect);
    out_free(&r);
    fake_write(fk.root, "other.json",
               "{\"schema\": \"ebench-report/2\", \"domains\": [], "
               "\"total\": {}}\n");
    snprintf(other, sizeof other, "%s/other.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"compare", a, other, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "not an ebench report (schema \"ebench-report/2\"");
    out_free(&r);
    fake_write(fk.root, "cpu.json",
               "{\"schema\": \"ebench-report/1\", \"domains\": [{\"id\": \"cpu\", "
               "\"in_total\": true, \"energy_j\": 5}], \"total\": {\"energy_j\": 5}}\n");
    snprintf(cpu, sizeof cpu, "%s/cpu.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"compare", a, cpu, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "the reports have no measured domain in common");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"compare", a, NULL});
    assert_int_equal(r.status, 2);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"report", "--format", "xml", a, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--format 'xml': expected table, csv, json, markdown or latex");
    out_free(&r);
    fake_free(&fk);
}

static void test_monitor_and_progress(void **state)
{
    (void)state;
    fake fk;
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"phases\": [{\"seconds\": "
                 "100, \"power_w\": 250}]}]}");
    out r = run_ebench(&fk,
                       (const char *[]){"monitor", "-i", "50", "-n", "3", "--format", "csv", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "# SIMULATED (ebench-sim), not measured: nvidia0\n"
                           "time,t_s,domain,power_w,energy_j,gpu_util,mem_util,sm_clock_mhz,"
                           "temperature_c,power_limit_w\n");
    /* 3 readings x 5 domains (nvidia0 and the fake tree's 4 RAPL zones) */
    int rows = 0;
    for (const char *p = r.out; (p = strstr(p, ",nvidia0,")); p++)
        rows++;
    assert_int_equal(rows, 3);
    assert_contains(r.out, ",nvidia0,250.000,"); /* the sensor sees the constant 250 W */
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"monitor", "-n", "1", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "   nvidia0                 250.00");
    assert_contains(r.out, "(simulated)");
    out_free(&r);
    static const char *const bad[][2] = {
        {"--count", "0"}, {"--count", "1.5"}, {"--format", "xml"}, {"--interval", "0"}};
    for (size_t i = 0; i < 4; i++) {
        r = run_ebench(&fk, (const char *[]){"monitor", bad[i][0], bad[i][1], NULL});
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, "");
        out_free(&r);
    }

    /* the progress line: on a terminal only (script(1) provides one) */
    if (access("/usr/bin/script", X_OK) == 0) {
        char cmd[PATH_MAX * 2];
        snprintf(cmd, sizeof cmd, "%s run -- %s --gpus 0 heavy:1.2", EBENCH_BIN, SIM_LOAD_BIN);
        r = run_ebench(&fk, (const char *[]){"run", "-q", "--", "/usr/bin/script", "-qec", cmd,
                                             "/dev/null", NULL});
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "\r ebench: ");
        assert_contains(r.out, " J so far ");
        /* the GPU's 250 W on the last line: its power is over the run so far
         * (1 s at the second line), the ends of that second placed within a
         * few ms each (the simulator's reads take 2.2 ms and more, as an
         * H200's; longer on a busy machine under the sanitizers): 3% */
        const char *at = strstr(r.out, "\r ebench: ");
        for (const char *next; at && (next = strstr(at + 1, "\r ebench: "));)
            at = next;
        double secs, watts;
        assert_int_equal(sscanf(at, "\r ebench: %lf s %lf W", &secs, &watts), 2);
        if (!(fabs(watts - 250) <= 7.5))
            fail_msg("progress line shows %.1f W for a 250 W GPU", watts);
        out_free(&r);
    }
    r = run_ebench(&fk,
                   (const char *[]){"run", "--", SIM_LOAD_BIN, "--gpus", "0", "heavy:0.7", NULL});
    assert_null(strstr(r.err, "\r ebench:")); /* stderr is a file: no progress line */
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

static int file_starts(const char *path, const char *magic, size_t n)
{
    char buf[16] = "";
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return got == n && memcmp(buf, magic, n) == 0;
}

static void test_plot(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX], png[PATH_MAX], svg[PATH_MAX], pdf[PATH_MAX], gp[PATH_MAX], bad[PATH_MAX];
    tree(&fk);
    snprintf(json, sizeof json, "%s/r.json", fk.root);
    out r = run_ebench(&fk, (const char *[]){"run", "-q", "-i", "10", "--json", json, "--",
                                             CPU_BURN_BIN, "0.3", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    if (access("/usr/bin/gnuplot", X_OK) != 0)
        skip(); /* make test installs it; a bare developer machine may not have it */
    snprintf(png, sizeof png, "%s/p.png", fk.root);
    snprintf(svg, sizeof svg, "%s/p.svg", fk.root);
    snprintf(pdf, sizeof pdf, "%s/p.pdf", fk.root);
    snprintf(gp, sizeof gp, "%s/p.gp", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(file_starts(png, "\x89PNG", 4));
    char *script = slurp(gp);
    char expect[PATH_MAX + 32];
    snprintf(expect, sizeof expect, "set output '%s'\n", png);
    assert_contains(script, expect);
    assert_contains(script, "title 'cpu0-package (counter)'");
    /* titled by the program's name, host and date, not the command line; the
     * key below the plot, not beside it; the run named in the strip above
     * the traces, not on them */
    assert_contains(script, "set title 'cpu_burn on node01, 20");
    assert_contains(script, " UTC' noenhanced\n");
    assert_contains(script, "set key at screen 0.5, screen ");
    assert_contains(script, " center top vertical maxrows ");
    assert_contains(script, "# the strip: the runs\n");
    assert_contains(script, "set label 1 'run' at ");
    assert_null(strstr(script, "graph 0.97")); /* no label inside the traces' frame */
    /* the x axis spans the data, no more */
    {
        json_error_t e0;
        json_t *rr = json_load_file(json, 0, &e0), *td;
        assert_non_null(rr);
        double lo = INFINITY, hi = -INFINITY;
        size_t ti;
        json_array_foreach(json_object_get(rr, "timeline"), ti, td)
        {
            json_t *t = json_object_get(td, "t_s");
            lo = fmin(lo, json_number_value(json_array_get(t, 0)));
            hi = fmax(hi, json_number_value(json_array_get(t, json_array_size(t) - 1)));
        }
        char xr[128];
        snprintf(xr, sizeof xr, "set xrange [%.6f:%.6f]\n", lo, hi);
        assert_contains(script, xr);
        json_decref(rr);
    }
    free(script);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", png, "--script", gp, "--title",
                                         "Figure 3: it's a burn", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    script = slurp(gp);
    assert_contains(script, "set title 'Figure 3: it''s a burn' noenhanced");
    free(script);
    /* the plot draws each steady state where the report says it starts
     * (issue 13: they disagreed by a second); a run long enough to settle */
    r = run_ebench(
        &fk, (const char *[]){"run", "-q", "-i", "20", "--json", json, "--", "sleep", "1.3", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    script = slurp(gp);
    json_error_t je;
    json_t *root = json_load_file(json, 0, &je), *d;
    assert_non_null(root);
    double span0 = json_real_value(json_object_get(root, "span_t0_s"));
    size_t i, drawn = 0;
    json_array_foreach(json_object_get(root, "domains"), i, d)
    {
        json_t *from = json_object_get(json_object_get(d, "steady_state"), "from_s");
        if (!json_is_number(from))
            continue;
        char arrow[128];
        snprintf(arrow, sizeof arrow, " from %.6f, graph 0 to %.6f, graph 1 nohead dt 2 lc %zu\n",
                 span0 + json_number_value(from), span0 + json_number_value(from), i + 1);
        assert_contains(script, arrow);
        drawn++;
    }
    assert_true(drawn > 0);
    json_decref(root);
    free(script);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", svg, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    char *text = slurp(svg);
    assert_contains(text, "<svg");
    free(text);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", pdf, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(file_starts(pdf, "%PDF", 4));

    snprintf(bad, sizeof bad, "%s/p.jpg", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", bad, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "unknown extension (use .png, .svg or .pdf)");
    out_free(&r);
    assert_int_equal(access(bad, F_OK), -1);

    /* no gnuplot on the PATH: a clear error, no image, the script kept */
    unlink(png);
    unlink(gp);
    const char *path = getenv("PATH");
    char *saved = strdup(path ? path : "");
    setenv("PATH", "/nonexistent", 1);
    r = run_ebench(&fk, (const char *[]){"plot", json, "-o", png, "--script", gp, NULL});
    setenv("PATH", saved, 1);
    free(saved);
    assert_int_equal(r.status, 1);
    assert_contains(r.err,
                    "ebench plot: gnuplot not found (install it: apt-get install gnuplot-nox)");
    out_free(&r);
    assert_int_equal(access(png, F_OK), -1);
    assert_int_equal(access(gp, F_OK), 0);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--", "sh", "-c",
                                         "ls -a \"$0\" | grep -c tmp", fk.root, NULL});
    assert_string_equal(r.out, "0\n"); /* nothing half-written */
    out_free(&r);
    fake_free(&fk);
}

/* Issue 19: every repetition shaded and named, a warm-up's windows apart,
 * --split (a panel per GPU), --energy (cumulative, adding up to the
 * report's figure), --size, and the comparison of several reports. */
static size_t png_size(const char *path, unsigned *w, unsigned *h)
{
    FILE *f = fopen(path, "rb");
    unsigned char b[24];
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f)
        fclose(f);
    if (n < 24 || memcmp(b, "\x89PNG", 4) != 0)
        return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static void test_plot_figures(void **state)
{
    (void)state;
    fake fk;
    char a[PATH_MAX], b[PATH_MAX], png[PATH_MAX], gp[PATH_MAX], job[PATH_MAX];
    tree(&fk);
    if (access("/usr/bin/gnuplot", X_OK) != 0) {
        fake_free(&fk);
        skip();
    }
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"live\": true, "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}, "
                 "{\"pci_bus_id\": \"00000000:08:00.0\", \"live\": true, "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}]}");
    snprintf(a, sizeof a, "%s/a.json", fk.root);
    snprintf(b, sizeof b, "%s/b.json", fk.root);
    snprintf(png, sizeof png, "%s/f.png", fk.root);
    snprintf(gp, sizeof gp, "%s/f.gp", fk.root);
    out r = run_ebench(&fk,
                       (const char *[]){"run", "-q", "-r", "3", "--warmup", "1", "-i", "10",
                                        "--idle", "0.2", "--json", a, "--", "sleep", "0.15", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"plot", a, "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    unsigned w = 0, h = 0;
    assert_true(png_size(png, &w, &h) > 5000);
    assert_int_equal(w, 1200);
    assert_int_equal(h, 600);
    char *script = slurp(gp);
    /* the strip names the idle baseline, the warm-up and each run; the
     * panel shades every run (the program names no window) */
    assert_contains(script, "'idle' at ");
    assert_contains(script, "'warm-up 1' at ");
    assert_contains(script, "'run 1' at ");
    assert_contains(script, "'run 2' at ");
    assert_contains(script, "'run 3' at ");
    size_t shaded = 0;
    for (const char *p = script; (p = strstr(p, "fs solid 0.35 noborder behind")); p++)
        shaded++;
    assert_int_equal(shaded, 5); /* idle, warm-up, 3 runs */
    assert_contains(script, "NaN with lines dt 3 lc rgb '#525252' title 'idle level'");
    free(script);

    /* --split --energy: a panel per GPU, one for the CPU, one of energy */
    r = run_ebench(
        &fk, (const char *[]){"run", "-q", "-i", "10", "--json", b, "--", "sleep", "0.4", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(
        &fk, (const char *[]){"plot", b, "--split", "--energy", "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    script = slurp(gp);
    assert_contains(script, "# panel 4\n");
    assert_null(strstr(script, "# panel 5\n"));
    assert_contains(script, "set ylabel 'nvidia0 (W)' noenhanced\n");
    assert_contains(script, "set ylabel 'nvidia1 (W)' noenhanced\n");
    assert_contains(script, "set ylabel 'energy since t = 0 (J)'\n");
    /* the GPUs' panels share one power scale, so they read side by side */
    {
        const char *y1 = strstr(script, "# panel 1\n"), *y2 = strstr(script, "# panel 2\n");
        assert_non_null(y1);
        assert_non_null(y2);
        y1 = strstr(y1, "set yrange [0:");
        y2 = strstr(y2, "set yrange [0:");
        assert_non_null(y1);
        assert_non_null(y2);
        assert_true(y1[14] != '*');
        assert_memory_equal(y1, y2, (size_t)(strchr(y1, '\n') - y1));
    }
    assert_true(png_size(png, &w, &h) > 5000);
    assert_int_equal(w, 1200);
    assert_int_equal(h, 1320); /* 4 rows: 600 x (1 + 3 x 0.4) */
    /* the cumulative energy ends at what the timeline adds up to, which
     * is the report's figure for the run (the timeline runs a little past
     * the run's end to settle it: at most a few percent at rest) */
    json_error_t je;
    json_t *rep = json_load_file(b, 0, &je),
           *tl0 = json_array_get(json_object_get(rep, "timeline"), 0);
    assert_non_null(tl0);
    const char *id0 = json_string_value(json_object_get(tl0, "id"));
    double report_j = NAN;
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(rep, "domains"), i,
                       d) if (strcmp(json_string_value(json_object_get(d, "id")), id0) == 0)
        report_j = json_number_value(json_object_get(d, "energy_j"));
    json_decref(rep);
    const char *e0 = strstr(script, "$e0 << EOD\n");
    assert_non_null(e0);
    const char *end = strstr(e0 + 11, "EOD\n");
    assert_non_null(end);
    const char *lastline = end - 1;
    while (lastline > e0 && lastline[-1] != '\n')
        lastline--;
    double t_last, e_last;
    assert_int_equal(sscanf(lastline, "%lf %lf", &t_last, &e_last), 2);
    assert_true(report_j > 0);
    assert_near(e_last, report_j, 0.05 * report_j);
    free(script);

    /* sizes: a one-column figure at 300 dpi, a 16:9 slide, SVG and PDF */
    r = run_ebench(&fk, (const char *[]){"plot", a, "--size", "column", "-o", png, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(png_size(png, &w, &h) > 5000);
    assert_int_equal(w, 1050);
    assert_int_equal(h, 780);
    r = run_ebench(&fk, (const char *[]){"plot", a, "--size", "slide", "-o", png, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(png_size(png, &w, &h) > 5000);
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1080);
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s/f.svg", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", a, "--size", "column", "-o", other, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    char *text = slurp(other);
    assert_contains(text, "width=\"504\" height=\"374\"");
    free(text);
    snprintf(other, sizeof other, "%s/f.pdf", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", a, "--size", "column", "-o", other, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(file_starts(other, "%PDF", 4));
    r = run_ebench(&fk, (const char *[]){"plot", a, "--size", "poster", "-o", png, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench plot: --size 'poster': expected default, column (a one-column "
                           "paper figure) or slide\n");
    out_free(&r);

    /* the comparison: a bar per report, the mean and its 95% interval as
     * the reports state them, work per joule where both have the work */
    r = run_ebench(&fk, (const char *[]){"run", "-q", "-r", "3", "-i", "10", "-w", "2e12:flop",
                                         "--json", a, "--", "sleep", "0.1", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "-r", "2", "-i", "10", "-w", "2e12:flop",
                                         "--json", b, "--", "sleep", "0.2", NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"plot", a, b, "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(png_size(png, &w, &h) > 5000);
    script = slurp(gp);
    const char *files[2] = {a, b};
    for (size_t k = 0; k < 2; k++) {
        json_t *x = json_load_file(files[k], 0, &je);
        assert_non_null(x);
        json_t *e = json_object_get(json_object_get(x, "repetitions"), "energy_j");
        json_t *f0 = json_array_get(json_object_get(x, "efficiency"), 0);
        char row[256];
        snprintf(row, sizeof row, "%zu %.6g %.6g %.6g %.6g \"%s (SIMULATED)\"\n", k,
                 json_number_value(json_object_get(e, "mean")),
                 json_number_value(json_object_get(e, "ci95")),
                 json_number_value(json_object_get(f0, "per_joule")),
                 json_number_value(json_object_get(f0, "per_joule")) *
                     json_number_value(json_object_get(e, "ci95")) /
                     json_number_value(json_object_get(e, "mean")),
                 k ? "b" : "a");
        assert_contains(script, row);
        json_decref(x);
    }
    assert_contains(script, "set ylabel 'TFLOP/J (run''s work)' noenhanced\n");
    assert_contains(script, "with yerrorbars");
    assert_contains(script, "'energy per run, mean and 95% confidence interval'");
    free(script);
    /* names are text in the figure, never gnuplot commands: a file name
     * with a newline and EOD in it (a comparison's data block) */
    char evil[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(evil, sizeof evil, "%s/x\nEOD\nprint system('touch ebP')\n\"q\\.json", fk.root);
    snprintf(cmd, sizeof cmd, "ebP"); /* where gnuplot runs: this directory */
    unlink(cmd);
    assert_int_equal(link(b, evil), 0);
    r = run_ebench(&fk, (const char *[]){"plot", a, evil, "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_int_equal(access(cmd, F_OK), -1);
    script = slurp(gp);
    assert_contains(script, "\"x?EOD?print system('touch ");
    assert_contains(script, "?'q\\\\ (SIMULATED)\"\n"); /* the quote and the backslash kept */
    free(script);
    unlink(evil);
    /* an image name gnuplot would take for another; a script that would
     * replace the image or a report; uppercase extensions are fine */
    snprintf(evil, sizeof evil, "%s/nl\nx.png", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", a, "-o", evil, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "-o: the name has a control character");
    out_free(&r);
    assert_int_equal(access(evil, F_OK), -1);
    r = run_ebench(&fk, (const char *[]){"plot", a, "-o", png, "--script", png, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "is the image or a report it reads: name another file");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"plot", a, "-o", png, "--script", a, NULL});
    assert_int_equal(r.status, 2);
    out_free(&r);
    json_t *still = json_load_file(a, 0, &je);
    assert_non_null(still); /* the report is untouched */
    json_decref(still);
    snprintf(other, sizeof other, "%s/UP.PNG", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", a, "-o", other, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    assert_true(file_starts(other, "\x89PNG", 4));
    /* a GPU with no sample (all power null): its panel says so, the figure
     * is drawn; reports that share no domain do not compare */
    {
        json_t *x = json_load_file(b, 0, &je), *dd;
        assert_non_null(x);
        json_t *pw = json_object_get(json_array_get(json_object_get(x, "timeline"), 0), "power_w");
        for (size_t q = 0; q < json_array_size(pw); q++)
            json_array_set_new(pw, q, json_null());
        snprintf(other, sizeof other, "%s/nulls.json", fk.root);
        assert_int_equal(json_dump_file(x, other, 0), 0);
        json_array_foreach(json_object_get(x, "domains"), i, dd)
            json_object_set_new(dd, "id", json_sprintf("zz%zu", i));
        snprintf(job, sizeof job, "%s/alien.json", fk.root);
        assert_int_equal(json_dump_file(x, job, 0), 0);
        json_decref(x);
    }
    r = run_ebench(&fk,
                   (const char *[]){"plot", other, "--split", "-o", png, "--script", gp, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    script = slurp(gp);
    assert_contains(script, "plot NaN title 'no samples'");
    free(script);
    r = run_ebench(&fk, (const char *[]){"plot", a, job, "-o", png, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "the reports share no measured domain");
    out_free(&r);
    /* what a comparison refuses */
    r = run_ebench(&fk, (const char *[]){"plot", a, b, "--split", "-o", png, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--split draws one report over time");
    out_free(&r);
    snprintf(job, sizeof job, "%s/job.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"merge", "--force", a, b, "-o", job, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"plot", a, job, "-o", png, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "is a merged job report: a comparison takes one node's runs");
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

/* Phase markers: the program's windows, measured by the parent ebench run. */
static void test_phase_markers(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    /* a counter that moves every 10 ms, so window ends cost at most 3.5 J;
     * reads as fast as a bare-metal driver's: this test is about phase
     * markers, not about slow reads (test_realtime) */
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"live\": true, "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}]}");
    snprintf(json, sizeof json, "%s/r.json", fk.root);
    out r = run_ebench(
        &fk, (const char *[]){"run", "-i", "10", "--json", json, "--", MARKER_CHILD_BIN, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "marker mode: 1\n");
    assert_contains(r.out, "energy: measured by the `ebench run` (pid ");
    assert_contains(r.err, " phases (the program's windows):\n   prepare ");
    assert_contains(r.err, "\n   compute                       1 call ");
    /* the program gets its figures back (issue 13): from eb_end at once, and
     * final from eb_window_result after its eb_stop, its own table too */
    double end_j = NAN, child_prepare = NAN, child_compute = NAN;
    int provisional = -1;
    const char *p = strstr(r.out, "eb_end: compute ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "eb_end: compute %lf J over 2 domains", &end_j), 1);
    p = strstr(r.out, "result: prepare ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "result: prepare %*f J, nvidia0 %lf J, provisional %d",
                            &child_prepare, &provisional),
                     2);
    assert_int_equal(provisional, 0);
    p = strstr(r.out, "result: compute ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "result: compute %*f J, nvidia0 %lf J, provisional %d",
                            &child_compute, &provisional),
                     2);
    assert_int_equal(provisional, 0);
    assert_contains(r.out, " compute: 1 call, ");
    assert_contains(r.out, "  nvidia0        #    ");
    assert_contains(r.out, "work 1.14e+13 flop: ");
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e), *w;
    size_t i;
    double prepare = NAN, compute = NAN, eff = NAN, prepare_s = NAN, compute_s = NAN;
    json_array_foreach(json_object_get(root, "windows"), i, w)
    {
        const char *name = json_string_value(json_object_get(w, "name"));
        json_t *gpu = json_array_get(json_object_get(w, "domains"), 0);
        double j = json_real_value(json_object_get(gpu, "energy_j"));
        double s = json_real_value(json_object_get(w, "duration_s"));
        if (strcmp(name, "prepare") == 0) {
            prepare = j;
            prepare_s = s;
        }
        if (strcmp(name, "compute") == 0) {
            compute = j;
            compute_s = s;
            eff = json_real_value(
                json_object_get(json_array_get(json_object_get(w, "work"), 0), "per_joule"));
        }
    }
    json_decref(root);
    if (access("/usr/bin/gnuplot", X_OK) == 0) {
        char gp[PATH_MAX], png[PATH_MAX];
        snprintf(gp, sizeof gp, "%s/m.gp", fk.root);
        snprintf(png, sizeof png, "%s/m.png", fk.root);
        r = run_ebench(&fk, (const char *[]){"plot", json, "-o", png, "--script", gp, NULL});
        assert_int_equal(r.status, 0);
        out_free(&r);
        char *script = slurp(gp);
        assert_contains(script, "set label 1 'prepare' at ");
        assert_contains(script, "set label 2 'compute' at ");
        free(script);
    }
    /* idle, then busy for at least 0.6 s: a loaded machine (a sanitizer, a
     * parallel build) stretches the windows, so the bounds are what the
     * windows as measured can hold, each side give or take a 100 ms update */
    assert_true(prepare_s >= 0.3 && compute_s >= 0.6);
    assert_near(prepare, prepare_s * 50, 3.5);
    assert_true(compute > 0.6 * 400 - 3.5 && compute < compute_s * 400 + 3.5);
    assert_true(eff > 0.0);
    /* the same windows (the program's own edges): the same figures, to the
     * microseconds between the parent's answer and its final report */
    assert_near(child_prepare, prepare, 0.05);
    assert_near(child_compute, compute, 0.05);
    assert_true(end_j > 0.6 * 400 - 3.5 - 1 && end_j < compute_s * 400 + 3.5 + 1);

    /* alone, it measures on its own */
    unsetenv("EBENCH_MARKER_FD");
    r = run_ebench(&fk,
                   (const char *[]){"run", "-q", "--", "sh", "-c",
                                    "unset EBENCH_MARKER_FD; exec \"$0\"", MARKER_CHILD_BIN, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "marker mode: 0\n");
    assert_contains(r.out, " compute: 1 call, ");
    assert_contains(r.out, "  nvidia0        #    ");
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

/* A program that closed its marker descriptor and reused the number, before
 * or after eb_open: nothing reaches its own socket or file, and before, it
 * measures on its own (the review of issue 13 found markers written into a
 * program's own files). */
static void test_phase_markers_fd_reuse(void **state)
{
    (void)state;
    fake fk;
    tree(&fk);
    out r =
        run_ebench(&fk, (const char *[]){"run", "-q", "--", MARKER_FDREUSE_BIN, "before", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "marker mode: 0, domains: ");
    assert_contains(r.out, ", bytes to my socket: 0\n");
    assert_null(strstr(r.out, "domains: 0,"));
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "--", MARKER_FDREUSE_BIN, "after", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "bytes to my file: 0\n");
    out_free(&r);
    fake_free(&fk);
}

/* Text that is not UTF-8 (a command argument, a zone name) keeps the report
 * whole: invalid bytes become '?', nothing is dropped (issue 14). */
static void test_not_utf8(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    fake_zone(&fk, "intel-rapl:2", "package-\xff\xfe", 262143328850ull, 1000);
    /* two subzones of one long name with a two-byte character at its cut:
     * the second's id (-2) once split the character and lost the domain */
    fake_zone(&fk, "intel-rapl:2:0", "aaaaaaaaaaaaaa\xc3\xa9", 262143328850ull, 1000);
    fake_zone(&fk, "intel-rapl:2:1", "aaaaaaaaaaaaaa\xc3\xa9", 262143328850ull, 1000);
    snprintf(json, sizeof json, "%s/u.json", fk.root);
    out r =
        run_ebench(&fk, (const char *[]){"run", "-q", "--json", json, "--", "sh", "-c", "exit 0",
                                         "a\xff"
                                         "b",
                                         NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e), *d; /* jansson refuses invalid UTF-8 */
    assert_non_null(root);
    assert_string_equal(json_string_value(json_array_get(json_object_get(root, "command"), 3)),
                        "a?b");
    size_t i, found = 0;
    json_array_foreach(json_object_get(root, "domains"), i, d)
    {
        found += strcmp(json_string_value(json_object_get(d, "name")), "package-??") == 0;
        /* ids: letters, digits and _.:- (the schema's pattern) */
        for (const char *c = json_string_value(json_object_get(d, "id")); *c; c++)
            assert_true(isalnum((unsigned char)*c) || strchr("_.:-", *c));
    }
    assert_int_equal(found, 1);
    /* every zone is a domain: the tree's four readable ones, the package and
     * its two subzones */
    assert_int_equal(json_array_size(json_object_get(root, "domains")), 7);
    json_decref(root);
    fake_free(&fk);
}

/* `ebench report run.json` reprints the table `ebench run` printed, byte for
 * byte apart from the line that names the file (issue 13: one renderer,
 * src/util/render.c, draws both from the saved report). */
static void test_report_reprints_run(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"live\": true, "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}]}");
    snprintf(json, sizeof json, "%s/same.json", fk.root);
    const char *runs[][16] = {
        /* phases, idle baseline, work, accounting */
        {"run", "-i", "10", "--idle", "0.2", "--work", "1e12:flop", "--price", "0.3", "--json",
         json, "--", MARKER_CHILD_BIN, NULL},
        /* repetitions after a warm-up, --skip */
        {"run", "-r", "3", "--warmup", "1", "--pue", "1.2", "--work", "5:sample", "--json", json,
         "--", "sleep", "0.1", NULL},
        {"run", "--skip", "0.05", "--json", json, "--", "sleep", "0.2", NULL},
    };
    for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
        out r = run_ebench(&fk, runs[k]);
        assert_int_equal(r.status, 0);
        out rep = run_ebench(&fk, (const char *[]){"report", json, NULL});
        assert_int_equal(rep.status, 0);
        char *from = strstr(rep.out, "\n (from ");
        assert_non_null(from);
        char *eol = strchr(from + 1, '\n');
        assert_non_null(eol);
        memmove(from, eol, strlen(eol) + 1);
        assert_string_equal(rep.out, r.err);
        out_free(&rep);
        out_free(&r);
    }
    /* compare says what is simulated or estimated, as every other output does */
    out c = run_ebench(&fk, (const char *[]){"compare", json, json, NULL});
    assert_int_equal(c.status, 0);
    assert_contains(c.out, "  A: SIMULATED, not measured: nvidia0\n");
    out_free(&c);
    drop_sim(&fk);
    fake_free(&fk);
}

/* `--warmup`: the program's windows in a warm-up run are kept apart as
 * "<name> (warmup)", with the work added to them, out of the measured phases
 * (a real H100 run showed "load 6 calls" for 5 runs after a warm-up). */
static void test_warmup_phases(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"live\": true, "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}]}");
    snprintf(json, sizeof json, "%s/w.json", fk.root);
    out r = run_ebench(&fk, (const char *[]){"run", "-r", "2", "--warmup", "1", "-i", "10",
                                             "--json", json, "--", MARKER_CHILD_BIN, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "\n   compute (warmup)              1 call ");
    assert_contains(r.err, "\n   compute                       2 calls ");
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e), *w;
    assert_non_null(root);
    size_t i, seen = 0;
    json_array_foreach(json_object_get(root, "windows"), i, w)
    {
        const char *name = json_string_value(json_object_get(w, "name"));
        json_int_t calls = json_integer_value(json_object_get(w, "calls"));
        json_t *work = json_array_get(json_object_get(w, "work"), 0);
        double amount = json_real_value(json_object_get(work, "amount"));
        if (strcmp(name, "compute") == 0) {
            assert_int_equal(calls, 2);
            assert_near(amount, 2 * 11.4e12, 1);
            seen++;
        } else if (strcmp(name, "compute (warmup)") == 0) {
            assert_int_equal(calls, 1);
            assert_near(amount, 11.4e12, 1);
            seen++;
        } else if (strcmp(name, "prepare") == 0) {
            assert_int_equal(calls, 2);
            seen++;
        } else if (strcmp(name, "prepare (warmup)") == 0) {
            assert_int_equal(calls, 1);
            seen++;
        }
    }
    assert_int_equal(seen, 4);
    json_decref(root);
    /* compare takes the work per joule from the program's windows where the
     * runs carry none (--work), as the comparison figure does */
    char json2[PATH_MAX];
    snprintf(json2, sizeof json2, "%s/w2.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"run", "-q", "-i", "10", "--json", json2, "--",
                                         MARKER_CHILD_BIN, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"compare", json, json2, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "   work per joule in the program's window 'compute': ");
    assert_contains(r.out, " TFLOP/J)\n");
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

/* A program that abuses the marker protocol: garbage, stray descriptors, a
 * flood of questions it never reads. The run keeps its figures and ends
 * promptly; a program that behaves still gets its answer. */
static void test_phase_markers_hostile(void **state)
{
    (void)state;
    fake fk;
    char json[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", "
                 "\"phases\": [{\"seconds\": 1000, \"power_w\": 100}], "
                 "\"sensor\": {\"energy_update_ms\": 10, \"counter_read_ms\": 0}}]}");
    snprintf(json, sizeof json, "%s/h.json", fk.root);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    out r = run_ebench(
        &fk, (const char *[]){"run", "-q", "--json", json, "--", MARKER_HOSTILE_BIN, NULL});
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, " domains, a figure\n");
    assert_null(strstr(r.out, "fine: 0 domains"));
    /* the flood's answers are dropped, not waited for: well under the
     * program's 2 s wait for an answer that never comes */
    assert_true((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9 < 10);
    out_free(&r);
    json_error_t e;
    json_t *root = json_load_file(json, 0, &e);
    assert_non_null(root);
    json_t *w, *d;
    size_t i, k, fine = 0, tiny = 0;
    json_array_foreach(json_object_get(root, "windows"), i, w)
    {
        const char *name = json_string_value(json_object_get(w, "name"));
        assert_true(strcmp(name, "never-begun") != 0);
        if (strcmp(name, "tiny") == 0) { /* issue 14: windows under ~1 us were dropped */
            tiny++;
            assert_true(json_real_value(json_object_get(w, "duration_s")) < 1e-6);
        }
        if (strcmp(name, "fine") != 0)
            continue;
        fine++;
        /* the parent's figure for it: 100 W over its 0.4 s, garbage or not */
        double dur = json_real_value(json_object_get(w, "duration_s"));
        assert_near(dur, 0.4, 0.1);
        json_array_foreach(json_object_get(w, "domains"), k, d)
        {
            if (strcmp(json_string_value(json_object_get(d, "id")), "nvidia0") == 0)
                assert_near(json_real_value(json_object_get(d, "energy_j")), 100 * dur, 1.0);
        }
    }
    assert_int_equal(fine, 1);
    assert_int_equal(tiny, 1);
    json_decref(root);
    drop_sim(&fk);
    fake_free(&fk);
}

/* A job across nodes: one measuring process per node, reports merged. */
static void test_launcher_and_merge(void **state)
{
    (void)state;
    fake fk;
    char pattern[PATH_MAX], a[PATH_MAX], b[PATH_MAX], job[PATH_MAX], other[PATH_MAX],
        marker[PATH_MAX];
    tree(&fk);
    use_sim(&fk, "{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"phases\": [{\"seconds\": "
                 "100, \"power_w\": 300}]}, {\"pci_bus_id\": \"00000000:08:00.0\", \"minor\": 4, "
                 "\"phases\": [{\"seconds\": 100, \"power_w\": 100}]}]}");

    /* local rank 1: runs the command, measures nothing, writes nothing */
    snprintf(marker, sizeof marker, "%s/r1.json", fk.root);
    setenv("SLURM_LOCALID", "1", 1);
    out r = run_ebench(&fk, (const char *[]){"run", "--json", marker, "--", "sh", "-c",
                                             "echo rank1; exit 3", NULL});
    assert_int_equal(r.status, 3);
    assert_string_equal(r.out, "rank1\n");
    assert_string_equal(r.err, "");
    assert_int_equal(access(marker, F_OK), -1);
    out_free(&r);

    /* local rank 0 on two pretended nodes of job 42, only the step's GPU
     * (minor number 4 = NVML index 1, drawing 100 W) */
    setenv("SLURM_LOCALID", "0", 1);
    setenv("SLURM_JOB_ID", "42", 1);
    setenv("SLURM_STEP_GPUS", "4", 1);
    snprintf(pattern, sizeof pattern, "%s/run.%%j.%%n.json", fk.root);
    const char *nodes[] = {"nodeA", "nodeB"};
    for (int k = 0; k < 2; k++) {
        setenv("SLURM_PROCID", k ? "1" : "0", 1);
        hostname = nodes[k]; /* two nodes, pretended */
        r = run_ebench(&fk, (const char *[]){"run", "-q", "-i", "10", "-w", "1e12:flop", "-o",
                                             pattern, "--", "sleep", "0.5", NULL});
        assert_int_equal(r.status, 0);
        out_free(&r);
    }
    hostname = "node01";
    unsetenv("SLURM_LOCALID");
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_STEP_GPUS");
    unsetenv("SLURM_PROCID");
    snprintf(a, sizeof a, "%s/run.42.nodeA.json", fk.root);
    snprintf(b, sizeof b, "%s/run.42.nodeB.json", fk.root);
    snprintf(job, sizeof job, "%s/job.json", fk.root);
    char *ta = slurp(a);
    assert_contains(ta, "\"id\": \"nvidia1\""); /* the step's GPU only */
    assert_null(strstr(ta, "\"id\": \"nvidia0\""));
    assert_contains(ta, "selected: SLURM_STEP_GPUS=4 (by device minor number)");
    assert_contains(ta, "\"id\": \"42\"");
    free(ta);

    r = run_ebench(&fk, (const char *[]){"merge", a, b, "-o", job, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "   nodeA ");
    assert_contains(r.out, "   job total ");
    out_free(&r);
    json_error_t e;
    json_t *ja = json_load_file(a, 0, &e), *jb = json_load_file(b, 0, &e),
           *jj = json_load_file(job, 0, &e);
    double ea = json_real_value(json_object_get(json_object_get(ja, "total"), "energy_j"));
    double eb = json_real_value(json_object_get(json_object_get(jb, "total"), "energy_j"));
    double ej = json_real_value(json_object_get(json_object_get(jj, "total"), "energy_j"));
    assert_near(ej, ea + eb, 1e-6); /* each node once */
    assert_int_equal(json_array_size(json_object_get(jj, "nodes")), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(jj, "domains"), 0), "id")),
        "nodeA/nvidia1");
    json_t *eff = json_array_get(json_object_get(jj, "efficiency"), 0);
    assert_near(json_real_value(json_object_get(eff, "amount")), 2e12, 1); /* both nodes' work */
    json_decref(ja);
    json_decref(jb);
    json_decref(jj);
    /* the merged report says what it does not have (issue 13): no steady
     * state per node, no timeline to plot */
    r = run_ebench(&fk, (const char *[]){"report", job, NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "\n steady state: not computed for merged reports\n");
    assert_null(strstr(r.out, "never settled"));
    assert_null(strstr(r.out, "partial: covers"));
    out_free(&r);
    snprintf(other, sizeof other, "%s/job.png", fk.root);
    r = run_ebench(&fk, (const char *[]){"plot", job, "-o", other, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, " is a merged job report (2 nodes): it keeps each node's totals");
    assert_int_equal(access(other, F_OK), -1);
    out_free(&r);

    /* refusals */
    r = run_ebench(&fk, (const char *[]){"merge", a, a, "-o", job, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench merge: node nodeA appears twice");
    out_free(&r);
    fake_write(fk.root, "other.json",
               "{\"schema\": \"ebench-report/1\", \"domains\": [], \"total\": {}, "
               "\"job\": {\"id\": \"43\", \"node\": \"nodeC\"}}\n");
    snprintf(other, sizeof other, "%s/other.json", fk.root);
    r = run_ebench(&fk, (const char *[]){"merge", a, other, "-o", job, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "ebench merge: different jobs: 42 in ");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"merge", "--force", a, a, "-o", job, NULL});
    assert_int_equal(r.status, 0);
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"merge", a, NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "give the reports and -o JOB.json");
    out_free(&r);
    drop_sim(&fk);
    fake_free(&fk);
}

static void test_version_and_help(void **state)
{
    (void)state;
    fake fk;
    fake_init(&fk);
    out r = run_ebench(&fk, (const char *[]){"--version", NULL});
    assert_string_equal(r.out, "ebench " EB_VERSION_STRING "\n");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"run", "--help", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "usage: ebench run [options] [--] CMD [ARGS...]");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){"help", "info", NULL});
    assert_contains(r.out, "usage: ebench info");
    out_free(&r);
    r = run_ebench(&fk, (const char *[]){NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "Commands:");
    out_free(&r);
    fake_free(&fk);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* started as a background job (a script's `&`), the test inherits SIGINT
     * and SIGQUIT ignored, and so would ebench and the shells it forwards
     * them to, which then cannot trap them: the signal tests need them as a
     * terminal would leave them (ctest resets them too) */
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_golden),
        cmocka_unit_test(test_info_model_only),
        cmocka_unit_test(test_exit_status_passthrough),
        cmocka_unit_test(test_signal_forwarding),
        cmocka_unit_test(test_signal_at_every_phase),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_outputs_written),
        cmocka_unit_test(test_version_and_help),
        cmocka_unit_test(test_gpus_end_to_end),
        cmocka_unit_test(test_info_every_vendor),
        cmocka_unit_test(test_method_bad_input),
        cmocka_unit_test(test_method_end_to_end),
        cmocka_unit_test(test_report_and_compare),
        cmocka_unit_test(test_csv_marks_the_runs),
        cmocka_unit_test(test_calls_file),
        cmocka_unit_test(test_outputs_to_stdout_and_links),
        cmocka_unit_test(test_outputs_not_regular_files),
        cmocka_unit_test(test_output_modes_and_paths),
        cmocka_unit_test(test_checkpoint_survives_sigkill),
        cmocka_unit_test(test_monitor_and_progress),
        cmocka_unit_test(test_plot),
        cmocka_unit_test(test_plot_figures),
        cmocka_unit_test(test_phase_markers),
        cmocka_unit_test(test_warmup_phases),
        cmocka_unit_test(test_cpu_attribution),
        cmocka_unit_test(test_phase_markers_hostile),
        cmocka_unit_test(test_report_reprints_run),
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_phase_markers_fd_reuse),
        cmocka_unit_test(test_launcher_and_merge),
    };
    const char *only = getenv("EB_CLI_ONLY"); /* one test by name, when chasing one */
    if (only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
