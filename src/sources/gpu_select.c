/* gpu_select.c - see gpu_select.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ebench.h"
#include "gpu_select.h"

const eb__gpu_vendor eb__gpu_vendors[EB__GPU_N_VENDORS] = {
    [EB__GPU_NVIDIA] =
        {"nvidia", "NVIDIA", {{"CUDA_VISIBLE_DEVICES", "CUDA"}}, "cuda", "/dev/nvidia"},
    [EB__GPU_AMD] = {"amd",
                     "AMD",
                     {{"ROCR_VISIBLE_DEVICES", "ROCm"}, {"HIP_VISIBLE_DEVICES", "HIP"}},
                     "hip",
                     "/dev/dri/card"},
    [EB__GPU_INTEL] =
        {"intel", "Intel", {{"ZE_AFFINITY_MASK", "Level Zero"}}, "ze", "/dev/dri/card"},
};

int eb__gpu_vendor_of(const char *name)
{
    for (int v = 0; v < EB__GPU_N_VENDORS; v++)
        if (name && strcmp(name, eb__gpu_vendors[v].name) == 0)
            return v;
    return -1;
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

/* A PCI bus id as "dddd:bb:dd.f" whatever the writer's domain width
 * (NVML "00000000:07:00.0", sysfs "0000:07:00.0"); "" if it is not one. */
void eb__pci_key(const char *pci, char *out, size_t len)
{
    unsigned dom, bus, dev, fn;
    char end;
    if (sscanf(pci, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &end) == 4)
        snprintf(out, len, "%04x:%02x:%02x.%x", dom & 0xffffu, bus, dev, fn);
    else
        out[0] = '\0';
}

/* Positions in info[] of vendor v's GPUs that are not covered, in PCI bus
 * order (how CUDA with CUDA_DEVICE_ORDER=PCI_BUS_ID, ROCm and Level Zero
 * number them). Returns how many. */
static unsigned vendor_order(const eb__gpu_info *info, unsigned n, int v, unsigned *order)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (info[i].vendor == v && !info[i].covered && !info[i].excluded)
            order[k++] = i;
    for (unsigned i = 1; i < k; i++)
        for (unsigned j = i; j > 0 && strcasecmp(info[order[j - 1]].pci, info[order[j]].pci) > 0;
             j--) {
            unsigned t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return k;
}

/* Position of the GPU among list[0..k) whose UUID starts with id (runtimes
 * accept unique prefixes): -1 if none, -2 if several. */
static int by_uuid(const eb__gpu_info *info, const unsigned *list, unsigned k, const char *id,
                   size_t len)
{
    int found = -1;
    for (unsigned i = 0; i < k; i++) {
        if (!info[list[i]].broken && info[list[i]].uuid[0] &&
            strncasecmp(info[list[i]].uuid, id, len) == 0) {
            if (found >= 0)
                return -2;
            found = (int)i;
        }
    }
    return found;
}

typedef struct problems {
    eb__gpu_problem_fn fn;
    void *ctx;
} problems;

__attribute__((format(printf, 4, 5))) static void say(const problems *p, int vendor, int code,
                                                      const char *fmt, ...)
{
    char text[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (p->fn)
        p->fn(p->ctx, vendor, code, text);
}

static void mark_covered(eb__gpu_info *info, unsigned n)
{
    int first_backend[EB__GPU_N_VENDORS];
    for (int v = 0; v < EB__GPU_N_VENDORS; v++)
        first_backend[v] = -1;
    for (unsigned i = 0; i < n; i++) {
        char a[32], b[32];
        info[i].covered = info[i].excluded = 0;
        info[i].primary = -1;
        eb__pci_key(info[i].pci, a, sizeof a);
        for (unsigned j = 0; a[0] && j < i && !info[i].covered; j++) {
            eb__pci_key(info[j].pci, b, sizeof b);
            if (info[j].backend != info[i].backend && !info[j].covered && !info[j].excluded &&
                strcmp(a, b) == 0) {
                info[i].covered = 1;
                info[i].primary = (int)j;
                info[i].index = info[j].index; /* one numbering per vendor */
            }
        }
        int v = info[i].vendor;
        if (v < 0 || v >= EB__GPU_N_VENDORS || info[i].covered)
            continue;
        /* the first backend to list a vendor's GPUs lists those this
         * process may use (a library sees the job's cgroup; sysfs shows all) */
        if (first_backend[v] < 0)
            first_backend[v] = info[i].backend;
        else if (info[i].backend != first_backend[v])
            info[i].excluded = 1;
    }
}

/* The legacy MIG form "MIG-GPU-<uuid>/<gi>/<ci>" (CUDA 11.0-11.3, driver
 * R450-R465) names its GPU: "GPU-<uuid>" into out, its length returned; 0 if
 * s is not of that form. */
static size_t legacy_mig(const char *s, char *out, size_t len)
{
    if (strncasecmp(s, "MIG-GPU-", 8) != 0 || !strchr(s, '/'))
        return 0;
    size_t n = strcspn(s + 4, "/");
    if (n + 1 > len)
        return 0;
    memcpy(out, s + 4, n);
    out[n] = '\0';
    return n;
}

/* ---- --gpus --------------------------------------------------------------- */

static int vendors_present(const eb__gpu_info *info, unsigned n, int *only)
{
    int seen[EB__GPU_N_VENDORS] = {0}, count = 0;
    for (unsigned i = 0; i < n; i++)
        if (!info[i].covered && !info[i].excluded && info[i].vendor >= 0 &&
            info[i].vendor < EB__GPU_N_VENDORS && !seen[info[i].vendor]++) {
            count++;
            *only = info[i].vendor;
        }
    return count;
}

static int by_index(const eb__gpu_info *info, unsigned n, int v, unsigned long k)
{
    for (unsigned i = 0; i < n; i++)
        if (info[i].vendor == v && !info[i].covered && !info[i].excluded && info[i].index == k)
            return (int)i;
    return -1;
}

/* One --gpus entry: its position in info[], or -1 (no such GPU), -2 (several),
 * -3 (ambiguous bare index), -4 (not an entry). */
static int opt_entry(const eb__gpu_info *info, unsigned n, const char *e, size_t len,
                     const eb__gpu_mig_resolver *mig, int *is_mig)
{
    char buf[128];
    unsigned all[256];
    *is_mig = 0;
    if (len == 0 || len >= sizeof buf)
        return -4;
    memcpy(buf, e, len);
    buf[len] = '\0';
    size_t alpha = 0;
    while (isalpha((unsigned char)buf[alpha]))
        alpha++;
    if (all_digits(buf + alpha, len - alpha) &&
        (alpha == 0 || (alpha == 3 && strncmp(buf, "gpu", 3) == 0))) {
        int only = -1;
        int vendors = vendors_present(info, n, &only);
        if (vendors > 1)
            return -3;
        return vendors ? by_index(info, n, only, strtoul(buf + alpha, NULL, 10)) : -1;
    }
    if (alpha && all_digits(buf + alpha, len - alpha)) {
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(alpha < 31 ? alpha : 31), buf);
        int v = eb__gpu_vendor_of(name);
        return v < 0 ? -4 : by_index(info, n, v, strtoul(buf + alpha, NULL, 10));
    }
    char parent[128];
    size_t plen = legacy_mig(buf, parent, sizeof parent);
    if (strncasecmp(buf, "MIG-", 4) == 0 && !plen) {
        *is_mig = 1;
        return mig && mig->index_of ? mig->index_of(mig->ctx, buf, info, n) : -1;
    }
    if (plen) { /* the legacy MIG form: its GPU by UUID */
        *is_mig = 1;
        memcpy(buf, parent, plen + 1);
        len = plen;
    }
    if (!strchr(buf, '-'))
        return -4;
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < 256; i++)
        if (!info[i].covered && !info[i].excluded)
            all[k++] = i;
    int pos = by_uuid(info, all, k, buf, len);
    return pos >= 0 ? (int)all[pos] : pos;
}

static void vendor_list(const eb__gpu_info *info, unsigned n, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    int seen[EB__GPU_N_VENDORS] = {0};
    for (unsigned i = 0; i < n; i++)
        if (!info[i].covered && !info[i].excluded && !seen[info[i].vendor]++ && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " and " : "",
                                     eb__gpu_vendors[info[i].vendor].display);
}

static void select_opt(const eb__gpu_info *info, unsigned n, const char *list,
                       const eb__gpu_mig_resolver *mig, eb__gpu_choice *choice, const problems *pr)
{
    if (strcmp(list, "all") == 0) {
        for (unsigned i = 0; i < n; i++) {
            choice[i].selected = !info[i].broken && !info[i].covered && !info[i].excluded;
            snprintf(choice[i].rule, sizeof choice[i].rule, "--gpus all");
        }
        return;
    }
    for (unsigned i = 0; i < n; i++)
        snprintf(choice[i].rule, sizeof choice[i].rule, "--gpus=%.64s does not name it", list);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int is_mig;
        int k = opt_entry(info, n, p, len, mig, &is_mig);
        if (k < 0) {
            char vendors[64];
            vendor_list(info, n, vendors, sizeof vendors);
            int shown = (int)(len > 64 ? 64 : len);
            if (k == -3)
                say(pr, -1, EB_EGPUSEL,
                    "--gpus=%s: '%.*s' is ambiguous: this node has %s GPUs; name each by "
                    "vendor and index (nvidia0, amd0, intel0) or by UUID",
                    list, shown, p, vendors);
            else if (k == -4)
                say(pr, -1, EB_EGPUSEL,
                    "--gpus=%s: '%.*s' is not a GPU: expected 'all', indices (as nvidia-smi or "
                    "amd-smi shows them), vendor and index (nvidia0, amd1, intel0) or UUIDs",
                    list, shown, p);
            else
                say(pr, -1, EB_EGPUSEL, "--gpus=%s: '%.*s' %s", list, shown, p,
                    k == -2 ? "matches several GPUs" : "matches no GPU");
            return;
        }
        if (!choice[k].selected && !info[k].broken && !info[k].excluded) {
            choice[k].selected = 1;
            if (is_mig)
                snprintf(choice[k].mig, sizeof choice[k].mig, "%.*s", (int)(len > 95 ? 95 : len),
                         p);
            snprintf(choice[k].rule, sizeof choice[k].rule, "--gpus %.64s", list);
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

/* ---- Slurm ---------------------------------------------------------------- */

static int select_slurm(const eb__gpu_info *info, unsigned n, eb__gpu_choice *choice,
                        const problems *pr)
{
    const char *var = "SLURM_STEP_GPUS", *v = getenv(var);
    if (!v || !*v)
        v = getenv(var = "SLURM_JOB_GPUS");
    int any_minor = 0;
    for (unsigned i = 0; i < n; i++)
        any_minor |= info[i].minor >= 0;
    if (!v || !*v || !any_minor)
        return -1;
    for (unsigned i = 0; i < n; i++)
        snprintf(choice[i].rule, sizeof choice[i].rule,
                 "%s=%.200s (by device minor number) does not name it", var, v);
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",");
        unsigned long want = all_digits(p, len) && len < 10 ? strtoul(p, NULL, 10) : ~0ul;
        int found = 0, vendors = 0, seen[EB__GPU_N_VENDORS] = {0};
        char names[160] = "";
        size_t used = 0;
        for (unsigned i = 0; want != ~0ul && i < n; i++) {
            /* Slurm's number is the device file's: /dev/nvidiaN, or for AMD
             * and Intel /dev/dri/cardN (renderD(128+N) where gres names those) */
            long m = info[i].minor;
            int drm = info[i].vendor != EB__GPU_NVIDIA;
            if (info[i].broken || info[i].covered || info[i].excluded || m < 0 ||
                !((unsigned long)m == want || (drm && (unsigned long)m + 128 == want)))
                continue;
            found = 1;
            vendors += !seen[info[i].vendor]++;
            if (used < sizeof names)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s%u",
                                         used ? " and " : "", eb__gpu_vendors[info[i].vendor].name,
                                         info[i].index);
            choice[i].selected = 1;
            snprintf(choice[i].rule, sizeof choice[i].rule, "%s=%.200s (by device minor number)",
                     var, v);
        }
        if (want == ~0ul)
            say(pr, -1, 0, "%s=%s: '%.*s' is not a device number; ignored", var, v,
                (int)(len > 32 ? 32 : len), p);
        else if (!found)
            say(pr, -1, 0,
                "%s=%s: no GPU here has device minor number %.*s (NVIDIA: the Minor Number in "
                "nvidia-smi -q; AMD and Intel: N of /dev/dri/cardN)",
                var, v, (int)len, p);
        else if (vendors > 1)
            say(pr, -1, 0,
                "%s=%s: %.*s is the device number of %s (GPUs of several vendors): all are "
                "measured; name the job's with --gpus",
                var, v, (int)len, p, names);
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* ---- each vendor's runtime variables ------------------------------------- */

/* One entry of a runtime variable against the GPUs still visible
 * (list[0..k)): its position in list, or -1 / -2 (several). */
static int env_entry(const eb__gpu_info *info, unsigned n, const unsigned *list, unsigned k,
                     const char *e, size_t len, int vendor, const eb__gpu_mig_resolver *mig,
                     int *is_mig, long *tile)
{
    char buf[128];
    *is_mig = 0;
    *tile = -1;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, e, len);
    buf[len] = '\0';
    size_t digits = strspn(buf, "0123456789");
    /* Level Zero: "card.tile" */
    if (vendor == EB__GPU_INTEL && digits && buf[digits] == '.' &&
        all_digits(buf + digits + 1, len - digits - 1)) {
        *tile = strtol(buf + digits + 1, NULL, 10);
        buf[digits] = '\0';
        len = digits;
    }
    if (all_digits(buf, len)) {
        unsigned long i = strtoul(buf, NULL, 10);
        return i < k ? (int)i : -1;
    }
    char parent[128];
    size_t plen = vendor == EB__GPU_NVIDIA ? legacy_mig(buf, parent, sizeof parent) : 0;
    if (plen) { /* the legacy MIG form: its GPU by UUID */
        *is_mig = 1;
        return by_uuid(info, list, k, parent, plen);
    }
    if (vendor == EB__GPU_NVIDIA && strncasecmp(buf, "MIG-", 4) == 0 && mig && mig->index_of) {
        *is_mig = 1;
        int at = mig->index_of(mig->ctx, buf, info, n);
        for (unsigned i = 0; at >= 0 && i < k; i++)
            if (list[i] == (unsigned)at)
                return (int)i;
        return -1;
    }
    if (!strchr(buf, '-'))
        return -1;
    return by_uuid(info, list, k, buf, len);
}

static void select_vendor(const eb__gpu_info *info, unsigned n, int v,
                          const eb__gpu_mig_resolver *mig, eb__gpu_choice *choice,
                          const problems *pr)
{
    const eb__gpu_vendor *vd = &eb__gpu_vendors[v];
    unsigned list[256], next[256];
    unsigned k = vendor_order(info, n, v, list);
    int any_set = 0, any_digit = 0;
    if (k == 0)
        return; /* its variables are for another node's GPUs */
    /* per GPU still visible, the stages' text so far */
    char(*trail)[256] = calloc(k, sizeof *trail);
    char(*next_trail)[256] = calloc(k, sizeof *next_trail);
    if (!trail || !next_trail) {
        free(trail);
        free(next_trail);
        return;
    }
    for (size_t s = 0; s < sizeof vd->env / sizeof *vd->env && vd->env[s].var; s++) {
        const char *var = vd->env[s].var, *val = getenv(var);
        if (!val)
            continue;
        any_set = 1;
        for (unsigned i = 0; i < k; i++)
            snprintf(choice[list[i]].rule, sizeof choice[list[i]].rule, "%s=%.64s does not name it",
                     var, val);
        if (!*val) {
            say(pr, v, 0, "%s is empty: %s sees no GPU, so none is measured", var,
                vd->env[s].runtime);
            k = 0;
            break;
        }
        unsigned m = 0;
        for (const char *p = val; *p;) {
            size_t len = strcspn(p, ",");
            int is_mig;
            long tile;
            int at = env_entry(info, n, list, k, p, len, v, mig, &is_mig, &tile);
            if (at < 0) {
                say(pr, v, 0, "%s=%s: '%.*s' %s; %s ignores it and every entry after it", var, val,
                    (int)(len > 64 ? 64 : len), p,
                    at == -2 ? "matches several GPUs" : "matches no GPU", vd->env[s].runtime);
                break;
            }
            int dup = 0;
            for (unsigned j = 0; j < m; j++)
                dup |= next[j] == list[at];
            if (!dup && m < k) {
                unsigned g = list[at];
                any_digit |= isdigit((unsigned char)*p) != 0;
                snprintf(next_trail[m], sizeof next_trail[m], "%s%s%s=%.48s, entry '%.*s'%s",
                         trail[at], trail[at][0] ? "; then " : "", var, val,
                         (int)(len > 40 ? 40 : len), p,
                         is_mig      ? ", a MIG instance of it"
                         : tile >= 0 ? ", one tile of it (measured as the whole card)"
                                     : "");
                snprintf(choice[g].entry, sizeof choice[g].entry, "%.*s",
                         (int)(len > 95 ? 95 : len), p);
                choice[g].var = var;
                if (is_mig)
                    snprintf(choice[g].mig, sizeof choice[g].mig, "%.*s",
                             (int)(len > 95 ? 95 : len), p);
                next[m++] = g;
            }
            p += len;
            if (*p == ',')
                p++;
        }
        memcpy(list, next, m * sizeof *list);
        for (unsigned i = 0; i < m; i++)
            memcpy(trail[i], next_trail[i], sizeof trail[i]);
        k = m;
    }
    if (!any_set) {
        char names[160] = "";
        size_t used = 0, count = 0;
        for (size_t s = 0; s < sizeof vd->env / sizeof *vd->env && vd->env[s].var; s++, count++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? " and " : "",
                                     vd->env[s].var);
        for (unsigned i = 0; i < n; i++)
            if (info[i].vendor == v && !info[i].covered && !info[i].excluded) {
                choice[i].selected = !info[i].broken;
                snprintf(choice[i].rule, sizeof choice[i].rule, "all GPUs (%.200s %s not set)",
                         names, count > 1 ? "are" : "is");
            }
        free(trail);
        free(next_trail);
        return;
    }
    const char *order_env = getenv("CUDA_DEVICE_ORDER");
    const char *pci_note =
        v == EB__GPU_NVIDIA && any_digit && !(order_env && strcmp(order_env, "PCI_BUS_ID") == 0)
            ? "; indices taken in PCI bus order, as CUDA_DEVICE_ORDER=PCI_BUS_ID "
              "numbers them"
            : "";
    for (unsigned i = 0; i < k; i++) {
        eb__gpu_choice *c = &choice[list[i]];
        c->selected = !info[list[i]].broken;
        snprintf(c->rule, sizeof c->rule, "%.250s (the program's %s:%u)%s", trail[i],
                 vd->program_dev, i, isdigit((unsigned char)c->entry[0]) ? pci_note : "");
    }
    free(trail);
    free(next_trail);
}

void eb__gpu_select(eb__gpu_info *info, unsigned n, const char *gpus_opt,
                    const eb__gpu_mig_resolver *mig, eb__gpu_choice *choice,
                    eb__gpu_problem_fn problem, void *problem_ctx)
{
    problems pr = {problem, problem_ctx};
    if (n > 256)
        n = 256;
    memset(choice, 0, n * sizeof *choice);
    mark_covered(info, n);
    for (unsigned i = 0; i < n; i++)
        if (info[i].vendor < 0 || info[i].vendor >= EB__GPU_N_VENDORS)
            info[i].broken = 1;
    if (n == 0) {
        /* the backends say why there is no GPU; asking for some is an error */
        if (gpus_opt && strcmp(gpus_opt, "all") != 0)
            say(&pr, -1, EB_EGPUSEL, "--gpus=%.64s: no GPU was found here (ebench info says why)",
                gpus_opt);
        return;
    }
    if (gpus_opt)
        select_opt(info, n, gpus_opt, mig, choice, &pr);
    else if (select_slurm(info, n, choice, &pr) < 0)
        for (int v = 0; v < EB__GPU_N_VENDORS; v++)
            select_vendor(info, n, v, mig, choice, &pr);
    for (unsigned i = 0; i < n; i++)
        if (info[i].covered) {
            /* the same GPU: chosen as its primary listing is; measured there */
            choice[i] = choice[info[i].primary];
            choice[i].selected = 0;
            choice[i].measured = 0;
        } else if (info[i].excluded) {
            choice[i].selected = 0;
            snprintf(choice[i].rule, sizeof choice[i].rule,
                     "the first source of %s GPUs does not list it: not one this process may "
                     "use (another job's, or not accessible)",
                     eb__gpu_vendors[info[i].vendor].display);
        }
}
