/*
 * procstat.h - the whole machine's CPU time from <procfs>/stat: what the CPU
 * model turns into power (src/sources/cpumodel.c) and what `ebench run`
 * divides a command's CPU time by to attribute it a share. Compiled into the
 * library and the CLI (like afile.c).
 */
#ifndef EB_UTIL_PROCSTAT_H
#define EB_UTIL_PROCSTAT_H

#include <stddef.h>

/* Busy and total jiffies of all CPUs (the first "cpu" line: busy is all but
 * idle and iowait). 0, or -1 with why filled in. */
int eb__procstat_read(const char *path, unsigned long long *busy, unsigned long long *total,
                      char *why, size_t why_len);
/* The same from a descriptor kept open (read from its start each time: one
 * system call instead of four); path only names it in why. */
int eb__procstat_read_fd(int fd, const char *path, unsigned long long *busy,
                         unsigned long long *total, char *why, size_t why_len);

#endif
