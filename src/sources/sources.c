/* sources.c - the list of backends and the helpers they share. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"

/* In probe order: GPU libraries before the hwmon files that cover the same
 * GPUs less well (gpu_select.c skips a GPU an earlier source lists), CPU
 * sensors before the model. Adding a vendor's backend: one line here. */
const eb__source_ops *const eb__sources[] = {
    &eb__nvml_ops,     /* NVIDIA */
    &eb__amdsmi_ops,   /* AMD */
    &eb__rocmsmi_ops,  /* AMD, where AMD SMI is not */
    &eb__powercap_ops, /* RAPL */
    &eb__hwmon_ops,    /* amdgpu, xe/i915, Grace, amd_energy, Jetson, other meters */
    &eb__cpumodel_ops, /* the estimate, where no CPU sensor was found */
    NULL,
};

void eb__gpu_desc(eb__domain_desc *d, const eb__gpu_info *info, const eb__gpu_choice *choice)
{
    const eb__gpu_vendor *v = &eb__gpu_vendors[info->vendor];
    snprintf(d->id, sizeof d->id, "%s%u", v->name, info->index);
    snprintf(d->kind, sizeof d->kind, "gpu");
    snprintf(d->vendor, sizeof d->vendor, "%s", v->name);
    d->vendor_index = (int)info->index;
    snprintf(d->uuid, sizeof d->uuid, "%s", info->uuid);
    snprintf(d->pci_bus_id, sizeof d->pci_bus_id, "%s", info->pci);
    snprintf(d->visible_var, sizeof d->visible_var, "%s", choice->var ? choice->var : "");
    snprintf(d->visible_entry, sizeof d->visible_entry, "%s", choice->var ? choice->entry : "");
}

long eb__drm_card(const char *sysfs_root, const char *pci)
{
    char path[4096];
    if (eb__pathf(path, sizeof path, "%s/bus/pci/devices/%s/drm", sysfs_root, pci) < 0)
        return -1;
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    long card = -1;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (strncmp(e->d_name, "card", 4) == 0 && e->d_name[4] >= '0' && e->d_name[4] <= '9' &&
            strspn(e->d_name + 4, "0123456789") == strlen(e->d_name + 4))
            card = strtol(e->d_name + 4, NULL, 10);
    closedir(dir);
    return card;
}

int eb__parse_u64(const char *text, unsigned long long *out, char *why, size_t why_len)
{
    const char *p = text;
    unsigned long long v = 0;
    size_t digits = 0;

    while (*p == ' ' || *p == '\t')
        p++;
    for (; isdigit((unsigned char)*p); p++, digits++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (~0ull - d) / 10) {
            snprintf(why, why_len, "value '%.40s' is too large for a 64-bit counter", text);
            return -1;
        }
        v = v * 10 + d;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (digits == 0 || *p != '\0') {
        char shown[48];
        size_t n = strcspn(text, "\n");
        snprintf(shown, sizeof shown, "%.*s", (int)(n < 40 ? n : 40), text);
        snprintf(why, why_len, "'%s' is not a non-negative integer", shown);
        return -1;
    }
    *out = v;
    return 0;
}

int eb__pathf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int eb__read_text(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    buf[n] = '\0';
    return 0;
}

const char *eb__cpu_vendor(const char *procfs_root)
{
    char path[4096];
    if (eb__pathf(path, sizeof path, "%s/cpuinfo", procfs_root) < 0)
        return "unknown";
    FILE *f = fopen(path, "re");
    if (!f)
        return "unknown";
    char line[256];
    const char *vendor = "unknown";
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "vendor_id", 9) != 0)
            continue;
        if (strstr(line, "GenuineIntel"))
            vendor = "intel";
        else if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
            vendor = "amd";
        break;
    }
    fclose(f);
    return vendor;
}
