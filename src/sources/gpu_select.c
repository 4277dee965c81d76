/* gpu_select.c - see gpu_select.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gpu_select.h"

/* Index of the GPU whose UUID starts with id (CUDA accepts unique
 * prefixes), -1 if none, -2 if several. */
static int by_uuid(const eb__gpu_info *info, unsigned n, const char *id, size_t len)
{
    int found = -1;
    for (unsigned i = 0; i < n; i++) {
        if (!info[i].broken && strncasecmp(info[i].uuid, id, len) == 0) {
            if (found >= 0)
                return -2;
            found = (int)i;
        }
    }
    return found;
}

/* NVML indices in PCI bus order: CUDA's order with CUDA_DEVICE_ORDER=PCI_BUS_ID. */
static void pci_order(const eb__gpu_info *info, unsigned n, unsigned *order)
{
    for (unsigned i = 0; i < n; i++)
        order[i] = i;
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && strcasecmp(info[order[j - 1]].pci, info[order[j]].pci) > 0;
             j--) {
            unsigned t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* One entry of a list: the NVML index it names, or a negative value. */
static int resolve(const eb__gpu_info *info, unsigned n, const char *e, size_t len, int cuda,
                   const unsigned *order, const eb__gpu_mig_resolver *mig, int *is_mig)
{
    char buf[128];
    *is_mig = 0;
    if (all_digits(e, len)) {
        unsigned long k = strtoul(e, NULL, 10);
        if (k >= n)
            return -1;
        return cuda ? (int)order[k] : (int)k;
    }
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, e, len);
    buf[len] = '\0';
    if (strncasecmp(buf, "GPU-", 4) == 0)
        return by_uuid(info, n, buf, len);
    if (strncasecmp(buf, "MIG-", 4) == 0 && mig && mig->index_of) {
        *is_mig = 1;
        return mig->index_of(mig->ctx, buf, info, n);
    }
    return -1;
}

void eb__gpu_select(const eb__gpu_info *info, unsigned n, const char *gpus_opt,
                    const char *opt_name, const char *cuda_env, const eb__gpu_mig_resolver *mig,
                    eb__gpu_choice *choice, char *err, size_t err_len)
{
    unsigned order[256];
    const int cuda = gpus_opt == NULL;
    const char *list = cuda ? cuda_env : gpus_opt;
    const char *pci_note = "";
    const char *name = cuda ? "CUDA_VISIBLE_DEVICES" : opt_name ? opt_name : "--gpus";

    err[0] = '\0';
    if (n > 256)
        n = 256;
    memset(choice, 0, n * sizeof *choice);
    pci_order(info, n, order);
    if (!list || strcmp(list, "all") == 0) {
        for (unsigned i = 0; i < n; i++) {
            choice[i].selected = !info[i].broken;
            snprintf(choice[i].rule, sizeof choice[i].rule, "%s%s",
                     list ? name : "all GPUs (CUDA_VISIBLE_DEVICES is not set)",
                     list ? " all" : "");
        }
        return;
    }
    if (cuda) {
        const char *order_env = getenv("CUDA_DEVICE_ORDER");
        if (!order_env || strcmp(order_env, "PCI_BUS_ID") != 0)
            pci_note = "; indices taken in PCI bus order, as CUDA_DEVICE_ORDER=PCI_BUS_ID numbers "
                       "them";
    }
    for (unsigned i = 0; i < n; i++)
        snprintf(choice[i].rule, sizeof choice[i].rule, "%s%s%.64s does not name it", name,
                 strchr(name, '=') ? "" : "=", strchr(name, '=') ? "" : list);

    const char *p = list;
    for (unsigned pos = 0; *p; pos++) {
        size_t len = strcspn(p, ",");
        int is_mig;
        int k = resolve(info, n, p, len, cuda, order, mig, &is_mig);
        if (k < 0) {
            snprintf(err, err_len, "%s=%s: '%.*s' %s%s", name, list, (int)(len > 64 ? 64 : len), p,
                     k == -2 ? "matches several GPUs" : "matches no GPU",
                     cuda ? "; CUDA ignores it and every entry after it" : "");
            break;
        }
        if (!choice[k].selected) {
            choice[k].selected = 1;
            if (cuda)
                snprintf(choice[k].cuda_entry, sizeof choice[k].cuda_entry, "%.*s",
                         (int)(len > 95 ? 95 : len), p);
            if (is_mig)
                snprintf(choice[k].mig, sizeof choice[k].mig, "%.*s", (int)(len > 95 ? 95 : len),
                         p);
            if (cuda)
                snprintf(choice[k].rule, sizeof choice[k].rule,
                         "CUDA_VISIBLE_DEVICES=%.48s, entry '%.*s' (the program's cuda:%u)%s%s",
                         list, (int)(len > 40 ? 40 : len), p, pos,
                         is_mig ? ", a MIG instance of it" : "",
                         all_digits(p, len) ? pci_note : "");
            else
                snprintf(choice[k].rule, sizeof choice[k].rule, "%s%s%.64s", name,
                         strchr(name, '=') ? "" : " ", strchr(name, '=') ? "" : list);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (cuda && !*list)
        snprintf(err, err_len,
                 "CUDA_VISIBLE_DEVICES is empty: CUDA sees no GPU, so none is measured");
}
