/* procstat.c - see procstat.h. */
#include "procstat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The first line of a stat file in buf (NUL-terminated). */
static int parse(const char *buf, const char *path, unsigned long long *busy,
                 unsigned long long *total, char *why, size_t why_len)
{
    unsigned long long v[8] = {0};
    /* user nice system idle iowait irq softirq steal (guest is inside user) */
    int n = sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    if (n < 4) {
        snprintf(why, why_len, "%s: first line is not 'cpu user nice system idle ...'", path);
        return -1;
    }
    *total = 0;
    for (int i = 0; i < 8; i++)
        *total += v[i];
    *busy = *total - v[3] - v[4];
    return 0;
}

int eb__procstat_read(const char *path, unsigned long long *busy, unsigned long long *total,
                      char *why, size_t why_len)
{
    char buf[512];
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) {
        snprintf(why, why_len, "cannot read %s: %s", path, f ? "empty" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    return parse(buf, path, busy, total, why, why_len);
}

int eb__procstat_read_fd(int fd, const char *path, unsigned long long *busy,
                         unsigned long long *total, char *why, size_t why_len)
{
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) {
        snprintf(why, why_len, "cannot read %s: %s", path, n == 0 ? "empty" : strerror(errno));
        return -1;
    }
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0'; /* the first line only, as fgets gives it */
    return parse(buf, path, busy, total, why, why_len);
}
