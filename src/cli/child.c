/*
 * child.c - the command `ebench run` measures: started with the forwarded
 * signals held until its pid is known, signals sent to ebench passed on to
 * it, and waited for in a way that lets those signals through at once.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

static volatile sig_atomic_t child_pid;
/* The last SIGINT/SIGTERM/SIGHUP ebench received: the repetitions, the idle
 * baseline and the warm-ups stop at once, and the report says what was
 * measured up to then. */
volatile sig_atomic_t eb_child_stop_sig;

/* Signals typed at the terminal reach CMD already (same process group); only
 * signals sent to ebench by a process (kill, Slurm, a batch system) are
 * passed on, so CMD never gets one twice. */
static void forward(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    eb_child_stop_sig = sig;
    if (child_pid > 0 && info->si_code != SI_KERNEL)
        kill((pid_t)child_pid, sig);
}

/* The signals passed on to CMD, each ending the run with its report (a
 * SIGKILL cannot be caught: --checkpoint is for that). */
static const int forwarded_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_FORWARDED (sizeof forwarded_sigs / sizeof *forwarded_sigs)

void eb_child_forward_signals(void)
{
    const int *sigs = forwarded_sigs;
    for (size_t i = 0; i < N_FORWARDED; i++) {
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

int eb_child_spawn(char **cmd, pid_t *pid)
{
    sigset_t block, old;
    posix_spawnattr_t attr;

    /* Handlers installed before CMD exists would have no one to forward to;
     * hold the signals until child_pid is set. */
    sigemptyset(&block);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaddset(&block, forwarded_sigs[i]);
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

/* Waits for the command to end. The wait itself is a poll on the child's
 * pidfd where the kernel has them (5.3+), a call during which a signal's
 * handler runs at once, also under ThreadSanitizer, which defers handlers
 * during wait4 until it returns: the signal the handler forwards to the
 * command would then wait for the command to end. */
void eb_child_wait(pid_t pid, int *status, struct rusage *ru)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
        close(fd);
    }
#endif
    while (wait4(pid, status, 0, ru) < 0 && errno == EINTR)
        ;
    child_pid = 0;
}

void eb_child_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (!eb_child_stop_sig && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Idle baseline: measured at rest before CMD, and/or given per domain. */
