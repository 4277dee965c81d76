/* child.h - the command ebench run measures: spawn, signals, wait (child.c). */
#ifndef EB_CLI_CHILD_H
#define EB_CLI_CHILD_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

/* The last forwarded signal ebench received (0: none): the repetitions, the
 * idle baseline and the warm-ups stop at once, and the report says what was
 * measured up to then. */
extern volatile sig_atomic_t eb_child_stop_sig;

/* From here on SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent
 * to ebench by a process are passed on to the command (those typed at the
 * terminal reach it already) and end the run with its report. */
void eb_child_forward_signals(void);
/* posix_spawnp of cmd, the forwarded signals held until its pid is known:
 * 0, or the errno. */
int eb_child_spawn(char **cmd, pid_t *pid);
/* Waits for it to end; after this nothing is forwarded to it. */
void eb_child_wait(pid_t pid, int *status, struct rusage *ru);
/* Sleeps s seconds, less if a forwarded signal arrives. */
void eb_child_sleep(double s);

#endif
