/*
 * fuzz_text.c - the small parsers of outside text: sysfs numbers
 * (eb__parse_u64), /proc/stat (eb__procstat_read), the CLI's numbers, counts,
 * GPU lists and output path patterns, dcgm-exporter's job-mapping files
 * as `ebench export` turns them into hpc_job labels, the GPU selection's
 * inputs (--gpus, each vendor's visible-device variables, Slurm's list), and
 * hwmon devices' files (name, counters, labels, Grace's OEM label) as the
 * hwmon backend reads them. The first byte picks the parser. The exposition written from a mapping
 * file is checked, not only survived: every line a comment or `name{label="value",...} number`,
 * every byte valid UTF-8, every job id one label.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/cli/cli.h"
#include "../src/cli/prom.h"
#include "../src/sources/gpu_select.h"
#include "../src/sources/source.h"
#include "../src/util/procstat.h"
#include "fuzz_common.h"

static char dir[4096], path[4200], map[4200], sys[4200], hw[4400];
static eb_bench *gpu_bench;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_dir("text", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/in", dir);
    snprintf(map, sizeof map, "%s/map", dir);
    char scenario[4200];
    snprintf(scenario, sizeof scenario, "%s/gpu.json", dir);
    FILE *f = fopen(scenario, "w");
    fputs("{\"gpus\": [{\"pci_bus_id\": \"00000000:07:00.0\", \"sensor\": {\"counter_read_ms\": "
          "0}}]}\n",
          f);
    fclose(f);
    setenv("EBENCH_NVML_LIBRARY", SIM_LIB, 1);
    setenv("EBENCH_SIM_CONFIG", scenario, 1);
    setenv("EBENCH_SIM_CLOCK", "manual", 1);
    if (mkdir(map, 0755) != 0)
        abort();
    /* a hwmon device the way the kernel lays one out, its files rewritten
     * from each input */
    snprintf(sys, sizeof sys, "%s/sys", dir);
    snprintf(hw, sizeof hw, "%s/devices/pci0000:00/0000:c1:00.0/hwmon/hwmon0", sys);
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' '%s/class/hwmon' && ln -s ../.. '%s/device' && "
             "ln -s ../../devices/pci0000:00/0000:c1:00.0/hwmon/hwmon0 '%s/class/hwmon/hwmon0'",
             hw, sys, hw, sys);
    if (system(cmd) != 0)
        abort();
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.sources = EB_SOURCE_NVML;
    if (eb_open(&gpu_bench, &cfg) != EB_OK || eb_domain_count(gpu_bench) != 1)
        abort();
    eb_tick(gpu_bench);
    return 0;
}

/* One UTF-8 sequence at s (n bytes left): its length, or 0 if invalid. */
__attribute__((noinline)) static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (!len || len > n || (s[0] >= 0xf8))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* The exposition format's line grammar, strictly. */
__attribute__((noinline)) static void check_exposition(const char *text, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len((const unsigned char *)text + i, n - i);
        if (!l)
            abort(); /* invalid UTF-8 in the page */
        i += l;
    }
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            abort(); /* every line ends with a newline */
        if (*line != '#') {
            const char *p = line;
            if (!(*p == '_' || *p == ':' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                abort();
            while (*p == '_' || *p == ':' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9'))
                p++;
            if (*p == '{') {
                p++;
                while (*p != '}') {
                    while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9'))
                        p++;
                    if (p[0] != '=' || p[1] != '"')
                        abort();
                    p += 2;
                    for (; *p != '"'; p++) {
                        if (*p == '\n' || !*p)
                            abort(); /* a raw newline inside a label value */
                        if (*p == '\\') {
                            p++;
                            if (*p != '\\' && *p != '"' && *p != 'n')
                                abort();
                        }
                    }
                    p++;
                    if (*p == ',')
                        p++;
                    else if (*p != '}')
                        abort();
                }
                p++;
            }
            if (*p != ' ')
                abort();
            char *num_end;
            strtod(p + 1, &num_end);
            if (num_end == p + 1 || *num_end != '\n')
                abort();
        }
        line = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char why[256], out[4096];
    unsigned long long u, busy, total;
    double d;
    long l;
    switch (data[0] % 7) {
    case 0:
        eb__parse_u64(text, &u, why, sizeof why);
        break;
    case 1: {
        FILE *f = fopen(path, "wb");
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        eb__procstat_read(path, &busy, &total, why, sizeof why);
        int fd = open(path, O_RDONLY); /* the CPU model's way: kept open, pread */
        if (fd >= 0) {
            eb__procstat_read_fd(fd, path, &busy, &total, why, sizeof why);
            close(fd);
        }
        break;
    }
    case 2:
        eb_cli_number("--x", text, -1e9, 1e9, &d);
        eb_cli_count("--n", text, 0, 1000000, &l);
        eb_cli_check_gpus(text);
        break;
    case 3:
        eb_cli_expand_path("--json", text, out, sizeof out);
        break;
    case 5: { /* the GPU selection: lines are --gpus ("-": none), CUDA_, ROCR_,
               * HIP_VISIBLE_DEVICES, ZE_AFFINITY_MASK, SLURM_STEP_GPUS ("-": unset) */
        static const char *const vars[] = {NULL,
                                           "CUDA_VISIBLE_DEVICES",
                                           "ROCR_VISIBLE_DEVICES",
                                           "HIP_VISIBLE_DEVICES",
                                           "ZE_AFFINITY_MASK",
                                           "SLURM_STEP_GPUS"};
        char *line[6] = {0}, *save = NULL, *p = text;
        for (int k = 0; k < 6; k++, p = NULL) {
            line[k] = strtok_r(p, "\n", &save);
            if (!line[k])
                break;
        }
        for (int k = 1; k < 6; k++) {
            if (line[k] && strcmp(line[k], "-") != 0)
                setenv(vars[k], line[k], 1);
            else
                unsetenv(vars[k]);
        }
        eb__gpu_info g[6] = {
            {.vendor = EB__GPU_NVIDIA, .index = 0, .uuid = "GPU-aaaa", .pci = "00000000:07:00.0"},
            {.vendor = EB__GPU_NVIDIA,
             .index = 1,
             .uuid = "GPU-bbbb",
             .pci = "00000000:08:00.0",
             .minor = 1},
            {.vendor = EB__GPU_AMD,
             .uuid = "GPU-cc",
             .pci = "0000:c2:00.0",
             .minor = 2,
             .backend = 1},
            {.vendor = EB__GPU_AMD, .index = 1, .pci = "0000:c1:00.0", .minor = -1, .backend = 1},
            /* the same card, again */
            {.vendor = EB__GPU_AMD, .pci = "0000:C2:00.0", .minor = 2, .backend = 2},
            {.vendor = EB__GPU_INTEL, .pci = "garbage", .minor = 3, .broken = 1, .backend = 2},
        };
        eb__gpu_choice c[6];
        const char *opt = line[0] && strcmp(line[0], "-") != 0 ? line[0] : NULL;
        eb__gpu_select(g, 6, opt, NULL, c, NULL, NULL);
        for (int k = 0; k < 6; k++) {
            if (c[k].selected && (g[k].broken || g[k].covered))
                abort(); /* a broken or twice-listed GPU measured */
            if (!memchr(c[k].rule, '\0', sizeof c[k].rule) ||
                !memchr(c[k].entry, '\0', sizeof c[k].entry))
                abort();
        }
        if (!g[4].covered)
            abort();
        break;
    }
    case 6: { /* hwmon0's files: name, energy1_input, energy1_label, power1_average,
               * the OEM label, in1_input, curr1_input, one per line */
        static const char *const files[] = {"name",           "energy1_input",   "energy1_label",
                                            "power1_average", "power1_oem_info", "in1_input",
                                            "curr1_input"};
        char *save = NULL, *p = text;
        for (size_t k = 0; k < sizeof files / sizeof *files; k++, p = NULL) {
            char *v = strtok_r(p, "\n", &save);
            char file[4600];
            snprintf(file, sizeof file, "%s/%s", hw, files[k]);
            if (!v) {
                unlink(file);
                continue;
            }
            FILE *f = fopen(file, "w");
            if (f) {
                fputs(v, f);
                fclose(f);
            }
        }
        eb_config cfg;
        eb_bench *b = NULL;
        eb_config_init(&cfg);
        cfg.manual = 1;
        cfg.sysfs_root = sys;
        cfg.sources = EB_SOURCE_HWMON;
        if (eb_open(&b, &cfg) == EB_OK) {
            eb_tick(b);
            eb_tick(b);
            for (size_t i = 0; i < eb_domain_count(b); i++)
                if (!eb_domain_get(b, i)->id[0])
                    abort();
            eb_close(b);
        }
        break;
    }
    default: { /* a job-mapping file for GPU 0, exported */
        char file[4300];
        snprintf(file, sizeof file, "%s/0", map);
        FILE *f = fopen(file, "wb");
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        char *page = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&page, &len);
        eb_prom_opts o = {.dcgm_names = 1, .job_map_dir = map, .hostname = "node\"01\n"};
        eb_prom_write(m, gpu_bench, &o);
        fclose(m);
        check_exposition(page, len);
        free(page);
        break;
    }
    }
    free(text);
    return 0;
}
