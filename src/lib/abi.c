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

/* A size from a caller's struct: at least its own size field, at most the
 * struct as this library knows it (a larger one is from a newer header). */
static int size_known(eb_bench *b, const char *what, size_t size, size_t full)
{
    if (size >= sizeof(size_t) && size <= full)
        return EB_OK;
    if (size > full)
        return eb__fail(b, EB_EINVAL,
                        "%s of %zu bytes: this libebench %s knows %zu (the program was built "
                        "against a newer ebench.h; run it with that version's library)",
                        what, size, EB_VERSION_STRING, full);
    return eb__fail(b, EB_EINVAL, "%s.size is %zu: fill it with its _init function first", what,
                    size);
}

int eb__options_in(eb_bench *b, const char *what, void *full, size_t full_size, const void *in)
{
    size_t size;
    memcpy(&size, in, sizeof size);
    int rc = size_known(b, what, size, full_size);
    if (rc == EB_OK) {
        memcpy(full, in, size);
        memcpy(full, &full_size, sizeof full_size); /* now the library's own, whole */
    }
    return rc;
}

int eb__result_check(eb_bench *b, const eb_result *out)
{
    if (!out)
        return EB_OK;
    int rc = size_known(b, "eb_result", out->size, sizeof *out);
    if (rc == EB_OK && out->size >= offsetof(eb_result, domain_size) + sizeof(size_t) &&
        out->capacity > 0 &&
        (!out->domains || out->domain_size == 0 || out->domain_size > sizeof(eb_domain_energy)))
        rc = eb__fail(b, EB_EINVAL,
                      "eb_result: %zu domain entries of %zu bytes at %p (this libebench's "
                      "eb_domain_energy has %zu): use eb_result_init()",
                      out->capacity, out->domain_size, (void *)out->domains,
                      sizeof(eb_domain_energy));
    return rc;
}

int eb__stats_check(eb_bench *b, const eb_stats *out)
{
    if (!out)
        return EB_OK;
    int rc = size_known(b, "eb_stats", out->size, sizeof *out);
    if (rc == EB_OK && out->size >= offsetof(eb_stats, stat_size) + sizeof(size_t) &&
        out->capacity > 0 &&
        (!out->energy_j || out->stat_size == 0 || out->stat_size > sizeof(eb_stat)))
        rc = eb__fail(b, EB_EINVAL,
                      "eb_stats: %zu entries of %zu bytes at %p (this libebench's eb_stat has "
                      "%zu): use eb_stats_init()",
                      out->capacity, out->stat_size, (void *)out->energy_j, sizeof(eb_stat));
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
