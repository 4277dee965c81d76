/*
 * abi.c - what keeps programs built against an older header working with
 * this library (docs/API.md, "ABI rules"): its version, option structs read
 * as far as the caller's size goes, results written into the caller's arrays
 * as far as their capacity and element size go.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

EB_EXPORT const char *eb_version(void)
{
    return EB_VERSION_STRING;
}

EB_EXPORT unsigned eb_version_number(void)
{
    return EB_VERSION_NUMBER;
}

/* Every size each caller-filled struct has had in a release, oldest first:
 * a size between two of them would end inside a field (half a pointer of
 * the caller's, half of the default's), so only these are taken. A release
 * that adds fields adds its size here (docs/API.md, "ABI rules"). */
static const size_t config_sizes[] = {
    offsetof(eb_config, history_samples) /* 2.0 */, offsetof(eb_config, window_records) /* 2.1 */,
    offsetof(eb_config, sync) /* 2.2 */, sizeof(eb_config) /* 2.3 */};
static const size_t repeat_opts_sizes[] = {sizeof(eb_repeat_opts) /* 2.0 */};
static const size_t run_meta_sizes[] = {sizeof(eb_run_meta) /* 2.0 */};
static const size_t result_sizes[] = {sizeof(eb_result) /* 2.0 */};
static const size_t domain_energy_sizes[] = {sizeof(eb_domain_energy) /* 2.0 */};
static const size_t stats_sizes[] = {sizeof(eb_stats) /* 2.0 */};
static const size_t stat_sizes[] = {sizeof(eb_stat) /* 2.0 */};
#define EB__N(a) (sizeof(a) / sizeof((a)[0]))

/* EB_OK if size is one of known (n of them, the library's own last), else
 * EB_EINVAL with the detail: not initialised, a newer header, or no release's. */
static int size_known(eb_bench *b, const char *what, size_t size, const size_t *known, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (size == known[i])
            return EB_OK;
    if (size == 0)
        return eb__fail(b, EB_EINVAL, "%s.size is 0: fill it with its _init function first", what);
    if (size > known[n - 1])
        return eb__fail(b, EB_EINVAL,
                        "%s of %zu bytes: this libebench %s knows %zu (the program was built "
                        "against a newer ebench.h; run it with that version's library)",
                        what, size, EB_VERSION_STRING, known[n - 1]);
    return eb__fail(b, EB_EINVAL,
                    "%s of %zu bytes: no release of ebench.h has that size (this libebench %s "
                    "knows %zu); fill it with its _init function",
                    what, size, EB_VERSION_STRING, known[n - 1]);
}

static int options_in(eb_bench *b, const char *what, void *full, size_t full_size, const void *in,
                      const size_t *known, size_t n)
{
    size_t size;
    memcpy(&size, in, sizeof size);
    int rc = size_known(b, what, size, known, n);
    if (rc == EB_OK) {
        memcpy(full, in, size);
        memcpy(full, &full_size, sizeof full_size); /* now the library's own, whole */
    }
    return rc;
}

int eb__config_in(eb_bench *b, eb_config *full, const eb_config *in)
{
    return options_in(b, "eb_config", full, sizeof *full, in, config_sizes, EB__N(config_sizes));
}

int eb__repeat_opts_in(eb_bench *b, eb_repeat_opts *full, const eb_repeat_opts *in)
{
    return options_in(b, "eb_repeat_opts", full, sizeof *full, in, repeat_opts_sizes,
                      EB__N(repeat_opts_sizes));
}

int eb__run_meta_in(eb_bench *b, eb_run_meta *full, const eb_run_meta *in)
{
    return options_in(b, "eb_run_meta", full, sizeof *full, in, run_meta_sizes,
                      EB__N(run_meta_sizes));
}

int eb__result_check(eb_bench *b, const eb_result *out)
{
    if (!out)
        return EB_OK;
    int rc = size_known(b, "eb_result", out->size, result_sizes, EB__N(result_sizes));
    if (rc == EB_OK && out->capacity > 0 && !out->domains)
        rc = eb__fail(b, EB_EINVAL, "eb_result: room for %zu domains at NULL: use eb_result_init()",
                      out->capacity);
    if (rc == EB_OK && out->capacity > 0)
        rc = size_known(b, "eb_result.domain_size", out->domain_size, domain_energy_sizes,
                        EB__N(domain_energy_sizes));
    return rc;
}

int eb__stats_check(eb_bench *b, const eb_stats *out)
{
    if (!out)
        return EB_OK;
    int rc = size_known(b, "eb_stats", out->size, stats_sizes, EB__N(stats_sizes));
    if (rc == EB_OK && out->capacity > 0 && !out->energy_j)
        rc = eb__fail(b, EB_EINVAL, "eb_stats: room for %zu domains at NULL: use eb_stats_init()",
                      out->capacity);
    if (rc == EB_OK && out->capacity > 0)
        rc = size_known(b, "eb_stats.stat_size", out->stat_size, stat_sizes, EB__N(stat_sizes));
    return rc;
}

/* Copies the fields both sides know: the caller's struct up to its size. */
#define EB__OUT(type, out, field, value)                                                           \
    do {                                                                                           \
        if ((out)->size >= offsetof(type, field) + sizeof((out)->field))                           \
            (out)->field = (value);                                                                \
    } while (0)

void eb__result_out(const eb__result *in, eb_result *out)
{
    if (!out)
        return;
    EB__OUT(eb_result, out, t_begin_s, in->t_begin_s);
    EB__OUT(eb_result, out, t_end_s, in->t_end_s);
    EB__OUT(eb_result, out, duration_s, in->duration_s);
    EB__OUT(eb_result, out, total_energy_j, in->total_energy_j);
    EB__OUT(eb_result, out, total_incomplete, in->total_incomplete);
    EB__OUT(eb_result, out, total_uncertainty_j, in->total_uncertainty_j);
    EB__OUT(eb_result, out, total_net_energy_j, in->total_net_energy_j);
    EB__OUT(eb_result, out, n_domains, in->n_domains);
    if (out->size < offsetof(eb_result, domain_size) + sizeof(size_t) || !out->domains)
        return;
    for (size_t i = 0; i < in->n_domains && i < out->capacity; i++)
        memcpy((char *)out->domains + i * out->domain_size, &in->domains[i], out->domain_size);
}

void eb__stats_out(const eb__stats *in, eb_stats *out)
{
    if (!out)
        return;
    EB__OUT(eb_stats, out, n, in->n);
    EB__OUT(eb_stats, out, duration_s, in->duration_s);
    EB__OUT(eb_stats, out, total_energy_j, in->total_energy_j);
    EB__OUT(eb_stats, out, n_outliers, in->n_outliers);
    if (out->size >= offsetof(eb_stats, outliers) + sizeof out->outliers)
        memcpy(out->outliers, in->outliers, sizeof out->outliers);
    EB__OUT(eb_stats, out, n_domains, in->n_domains);
    if (out->size < offsetof(eb_stats, stat_size) + sizeof(size_t) || !out->energy_j)
        return;
    for (size_t i = 0; i < in->n_domains && i < out->capacity; i++)
        memcpy((char *)out->energy_j + i * out->stat_size, &in->energy_j[i], out->stat_size);
}
