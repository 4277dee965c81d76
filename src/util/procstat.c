/* procstat.c - see procstat.h. */
#include "procstat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int eb__procstat_read(const char *path, unsigned long long *busy, unsigned long long *total,
                      char *why, size_t why_len)
{
    char buf[512];
    unsigned long long v[8] = {0};
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) {
        snprintf(why, why_len, "cannot read %s: %s", path, f ? "empty" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
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
