/*
 * ebench_mpi.c - see ebench_mpi.h. One bench per node, opened by the node's
 * lowest rank; windows are barriers around the leaders' eb_begin/eb_end;
 * the leaders' figures are gathered to rank 0 over a leaders communicator.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebench_mpi.h"
#include "sources/gpu_select.h" /* every vendor's visible-device variables */

struct eb_mpi {
    MPI_Comm comm;    /* the job */
    MPI_Comm node;    /* the ranks of this node */
    MPI_Comm leaders; /* one rank per node; MPI_COMM_NULL elsewhere */
    int rank, node_rank, node_size;
    eb_bench *b; /* leaders only */
    char name[64];
    /* leaders: each local rank's global rank and, per visible-device
     * variable (vis_var), its value and whether it was unset */
    int *ranks;
    char *cvds[8];
    int *cvd_unset[8];
};

/* Every vendor's visible-device variables, from the GPU layer's table. */
static size_t vis_vars(const char **out)
{
    size_t n = 0;
    for (int v = 0; v < EB__GPU_N_VENDORS; v++)
        for (size_t s = 0; s < sizeof eb__gpu_vendors[v].env / sizeof *eb__gpu_vendors[v].env &&
                           eb__gpu_vendors[v].env[s].var && n < 8;
             s++)
            out[n++] = eb__gpu_vendors[v].env[s].var;
    return n;
}

#define MAX_LOCAL 64 /* ranks per node whose GPUs are reported */

/* Ranks on one shared-memory node that claim different names (tests
 * pretending to be several nodes) are split apart by name. */
static int split_nodes(eb_mpi *m)
{
    MPI_Comm shared;
    int size,
        rc = MPI_Comm_split_type(m->comm, MPI_COMM_TYPE_SHARED, m->rank, MPI_INFO_NULL, &shared);
    if (rc != MPI_SUCCESS)
        return rc;
    MPI_Comm_size(shared, &size);
    char *names = malloc((size_t)size * sizeof m->name);
    if (!names) {
        MPI_Comm_free(&shared);
        return MPI_ERR_NO_MEM;
    }
    MPI_Allgather(m->name, sizeof m->name, MPI_CHAR, names, sizeof m->name, MPI_CHAR, shared);
    int color = 0;
    while (strncmp(names + (size_t)color * sizeof m->name, m->name, sizeof m->name) != 0)
        color++; /* the first rank with my name */
    free(names);
    rc = MPI_Comm_split(shared, color, m->rank, &m->node);
    MPI_Comm_free(&shared);
    return rc;
}

#define CVD_LEN 256

/* The node's GPUs are those of all its ranks: for each visible-device
 * variable (var k), the leader measures the union of its ranks' values (one
 * numbering on one node), or every GPU if a rank sees them all. Returns what
 * to restore in the leader: 0 nothing, 1 the saved value, 2 unset. */
static int gpus_of_node(eb_mpi *m, size_t k, const char *var, const char *mine, char *saved,
                        size_t saved_len)
{
    char cvd[CVD_LEN] = "";
    int unset = mine == NULL;
    if (mine)
        snprintf(cvd, sizeof cvd, "%s", mine);
    char *all = m->node_rank == 0 ? malloc((size_t)m->node_size * CVD_LEN) : NULL;
    int *unsets = m->node_rank == 0 ? malloc((size_t)m->node_size * sizeof(int)) : NULL;
    MPI_Gather(cvd, CVD_LEN, MPI_CHAR, all, CVD_LEN, MPI_CHAR, 0, m->node);
    MPI_Gather(&unset, 1, MPI_INT, unsets, 1, MPI_INT, 0, m->node);
    if (all) { /* kept whole: strtok below cuts this copy */
        m->cvds[k] = malloc((size_t)m->node_size * CVD_LEN);
        if (m->cvds[k])
            memcpy(m->cvds[k], all, (size_t)m->node_size * CVD_LEN);
        m->cvd_unset[k] = malloc((size_t)m->node_size * sizeof(int));
        if (m->cvd_unset[k] && unsets)
            memcpy(m->cvd_unset[k], unsets, (size_t)m->node_size * sizeof(int));
    }
    int restore = 0;
    if (m->node_rank == 0 && all && unsets) {
        int any_unset = 0;
        char joined[CVD_LEN * 4] = "";
        for (int r = 0; r < m->node_size; r++) {
            any_unset |= unsets[r];
            char *list = all + (size_t)r * CVD_LEN, *tok, *save = NULL;
            for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char probe[CVD_LEN + 2];
                snprintf(probe, sizeof probe, ",%s,", tok);
                char within[sizeof joined + 2];
                snprintf(within, sizeof within, ",%s,", joined);
                if (!strstr(within, probe) && strlen(joined) + strlen(tok) + 2 < sizeof joined)
                    snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s",
                             joined[0] ? "," : "", tok);
            }
        }
        if (mine)
            snprintf(saved, saved_len, "%s", mine);
        if (any_unset) {
            if (mine)
                unsetenv(var), restore = 1;
        } else if (!mine || strcmp(mine, joined) != 0) {
            setenv(var, joined, 1);
            restore = mine ? 1 : 2;
        }
    }
    free(all);
    free(unsets);
    return restore;
}

EB_EXPORT int eb_mpi_open(eb_mpi **out, MPI_Comm comm, const eb_config *cfg)
{
    if (!out)
        return EB_EINVAL;
    *out = NULL;
    eb_mpi *m = calloc(1, sizeof *m);
    if (!m)
        return EB_ENOMEM;
    MPI_Comm_dup(comm, &m->comm);
    MPI_Comm_rank(m->comm, &m->rank);
    eb_hostname(m->name, sizeof m->name);
    if (split_nodes(m) != MPI_SUCCESS) {
        MPI_Comm_free(&m->comm);
        free(m);
        return EB_EIO;
    }
    MPI_Comm_rank(m->node, &m->node_rank);
    MPI_Comm_size(m->node, &m->node_size);
    MPI_Comm_split(m->comm, m->node_rank == 0 ? 0 : MPI_UNDEFINED, m->rank, &m->leaders);
    int rc = EB_OK;
    const char *vars[8];
    size_t n_vars = vis_vars(vars);
    char saved[8][256];
    int restore[8];
    m->ranks = m->node_rank == 0 ? malloc((size_t)m->node_size * sizeof(int)) : NULL;
    MPI_Gather(&m->rank, 1, MPI_INT, m->ranks, 1, MPI_INT, 0, m->node);
    for (size_t k = 0; k < n_vars; k++) {
        saved[k][0] = '\0';
        restore[k] = gpus_of_node(m, k, vars[k], getenv(vars[k]), saved[k], sizeof saved[k]);
    }
    if (m->node_rank == 0)
        rc = eb_open(&m->b, cfg);
    for (size_t k = 0; k < n_vars; k++) {
        if (restore[k] == 1)
            setenv(vars[k], saved[k], 1);
        else if (restore[k] == 2)
            unsetenv(vars[k]);
    }
    /* everyone learns whether every leader could open its bench */
    int ok = rc == EB_OK, all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, m->comm);
    if (!all_ok) {
        eb_mpi_close(m);
        return rc < 0 ? rc : EB_EIO;
    }
    *out = m;
    return EB_OK;
}

EB_EXPORT void eb_mpi_close(eb_mpi *m)
{
    if (!m)
        return;
    eb_close(m->b);
    free(m->ranks);
    for (size_t k = 0; k < 8; k++) {
        free(m->cvds[k]);
        free(m->cvd_unset[k]);
    }
    if (m->leaders != MPI_COMM_NULL)
        MPI_Comm_free(&m->leaders);
    MPI_Comm_free(&m->node);
    MPI_Comm_free(&m->comm);
    free(m);
}

EB_EXPORT int eb_mpi_begin(eb_mpi *m, const char *name)
{
    if (!m || !name)
        return EB_EINVAL;
    MPI_Barrier(m->comm);
    return m->b ? eb_begin(m->b, name) : EB_OK;
}

/* Is entry one of the comma-separated list's? */
static int listed(const char *list, const char *entry)
{
    size_t n = strlen(entry);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, entry, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Whether local rank lr's GPUs include domain d: the entry that chose it is
 * in the rank's value of the variable that chose it, or the rank has none of
 * that vendor's variables set (it sees them all). */
static int rank_sees(const eb_mpi *m, int lr, const eb_domain_info *d)
{
    const char *vars[8];
    size_t n_vars = vis_vars(vars);
    int vendor = eb__gpu_vendor_of(d->vendor), all_unset = 1;
    for (size_t k = 0; k < n_vars; k++) {
        int of_vendor = 0;
        for (size_t s = 0; vendor >= 0 && s < 3 && eb__gpu_vendors[vendor].env[s].var; s++)
            of_vendor |= strcmp(eb__gpu_vendors[vendor].env[s].var, vars[k]) == 0;
        if (!of_vendor || !m->cvd_unset[k] || !m->cvds[k])
            continue;
        all_unset &= m->cvd_unset[k][lr];
        if (d->visible_var && d->visible_entry && strcmp(d->visible_var, vars[k]) == 0 &&
            !m->cvd_unset[k][lr] && listed(m->cvds[k] + (size_t)lr * CVD_LEN, d->visible_entry))
            return 1;
    }
    return all_unset;
}

/* The leader's rows: each local rank's GPUs (those its visible-device
 * variables chose; every GPU of a vendor if it sets none of that vendor's)
 * and their energy in this window. */
static void rank_rows(eb_mpi *m, const eb_result *r, int *n_rows, eb_mpi_rank *rows)
{
    *n_rows = 0;
    int *owners = calloc(EB_MAX_DOMAINS, sizeof *owners); /* ranks per GPU domain */
    if (!m->ranks || !m->cvds[0] || !m->cvd_unset[0] || !owners) {
        free(owners);
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int lr = 0; lr < m->node_size && lr < MAX_LOCAL; lr++) {
            eb_mpi_rank row = {m->ranks[lr], 0, 0, 0, 0};
            for (size_t i = 0; i < r->n_domains; i++) {
                const eb_domain_info *d = eb_domain_get(m->b, i);
                if (strcmp(d->kind, "gpu") != 0 || !rank_sees(m, lr, d))
                    continue;
                if (pass == 0) {
                    owners[i]++;
                    continue;
                }
                row.n_gpus++;
                row.gpu_energy_j += isnan(r->domains[i].energy_j) ? 0 : r->domains[i].energy_j;
                row.shared |= owners[i] > 1;
            }
            if (pass == 1 && row.n_gpus > 0)
                rows[(*n_rows)++] = row;
        }
    }
    free(owners);
}

EB_EXPORT int eb_mpi_end(eb_mpi *m, const char *name, eb_mpi_result **result)
{
    eb_mpi_node mine;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    int rc = EB_OK;

    if (result)
        *result = NULL;
    if (!m || !name)
        return EB_EINVAL;
    MPI_Barrier(m->comm);
    if (!m->b)
        return EB_OK;
    rc = eb_end(m->b, name, &r);
    memset(&mine, 0, sizeof mine);
    memcpy(mine.name, m->name, sizeof mine.name);
    mine.leader_rank = m->rank;
    mine.n_ranks = m->node_size;
    mine.duration_s = r.duration_s;
    mine.energy_j = rc == EB_OK ? r.total_energy_j : NAN;
    mine.uncertainty_j = r.total_uncertainty_j;
    for (size_t i = 0; rc == EB_OK && i < r.n_domains; i++) {
        const eb_domain_info *d = eb_domain_get(m->b, i);
        if (strcmp(d->kind, "gpu") == 0 && !isnan(r.domains[i].energy_j)) {
            mine.gpu_energy_j += r.domains[i].energy_j;
            mine.n_gpus++;
        }
    }
    int n_nodes, lrank;
    MPI_Comm_size(m->leaders, &n_nodes);
    MPI_Comm_rank(m->leaders, &lrank);
    eb_mpi_node *all = lrank == 0 ? calloc((size_t)n_nodes, sizeof *all) : NULL;
    MPI_Gather(&mine, sizeof mine, MPI_BYTE, all, sizeof mine, MPI_BYTE, 0, m->leaders);
    struct rows {
        int n;
        eb_mpi_rank row[MAX_LOCAL];
    } my_rows, *all_rows = lrank == 0 ? calloc((size_t)n_nodes, sizeof *all_rows) : NULL;
    rank_rows(m, &r, &my_rows.n, my_rows.row);
    MPI_Gather(&my_rows, sizeof my_rows, MPI_BYTE, all_rows, sizeof my_rows, MPI_BYTE, 0,
               m->leaders);
    if (lrank == 0 && all) {
        eb_mpi_result *res = calloc(1, sizeof *res);
        if (!res) {
            free(all);
            return EB_ENOMEM;
        }
        res->nodes = all;
        res->n_nodes = n_nodes;
        double var = 0;
        for (int k = 0; k < n_nodes; k++) {
            res->energy_j += isnan(all[k].energy_j) ? 0 : all[k].energy_j;
            var += all[k].uncertainty_j * all[k].uncertainty_j;
            res->n_ranks += all[k].n_ranks;
            if (all[k].duration_s > res->duration_s)
                res->duration_s = all[k].duration_s;
        }
        res->uncertainty_j = sqrt(var);
        for (int k = 0; all_rows && k < n_nodes; k++)
            res->n_rank_rows += all_rows[k].n;
        res->ranks = calloc((size_t)(res->n_rank_rows ? res->n_rank_rows : 1), sizeof *res->ranks);
        for (int k = 0, j = 0; all_rows && res->ranks && k < n_nodes; k++)
            for (int i = 0; i < all_rows[k].n; i++, j++) {
                res->ranks[j] = all_rows[k].row[i];
                res->ranks[j].node = k;
            }
        if (!res->ranks)
            res->n_rank_rows = 0;
        if (result)
            *result = res;
        else
            eb_mpi_result_free(res);
    }
    free(all_rows);
    return rc;
}

EB_EXPORT void eb_mpi_result_free(eb_mpi_result *r)
{
    if (r) {
        free(r->nodes);
        free(r->ranks);
        free(r);
    }
}

EB_EXPORT int eb_mpi_print(eb_mpi *m, const eb_mpi_result *r, FILE *out)
{
    if (!m || m->rank != 0 || !r)
        return EB_OK;
    fprintf(out, "\n ebench (MPI): %d ranks on %d node%s, each node measured once\n\n", r->n_ranks,
            r->n_nodes, r->n_nodes == 1 ? "" : "s");
    fprintf(out, "   %-24s %6s %16s %12s %14s\n", "node", "ranks", "energy (J)", "time (s)",
            "GPUs (J)");
    for (int k = 0; k < r->n_nodes; k++)
        fprintf(out, "   %-24s %6d %16.3f %12.6f %14.3f\n", r->nodes[k].name, r->nodes[k].n_ranks,
                r->nodes[k].energy_j, r->nodes[k].duration_s, r->nodes[k].gpu_energy_j);
    fprintf(out, "   %-24s %6d %16.3f %12.6f   +- %.3f J\n\n", "job total", r->n_ranks, r->energy_j,
            r->duration_s, r->uncertainty_j);
    if (r->n_rank_rows > 0)
        fprintf(out, "   %-8s %-24s %6s %16s\n", "rank", "node", "GPUs", "GPU energy (J)");
    for (int k = 0; k < r->n_rank_rows; k++)
        fprintf(out, "   %-8d %-24s %6d %16.3f%s\n", r->ranks[k].rank,
                r->nodes[r->ranks[k].node].name, r->ranks[k].n_gpus, r->ranks[k].gpu_energy_j,
                r->ranks[k].shared ? "   shared with other ranks" : "");
    if (r->n_rank_rows > 0)
        fprintf(out, "\n");
    return ferror(out) ? EB_EIO : EB_OK;
}

EB_EXPORT eb_bench *eb_mpi_bench(eb_mpi *m)
{
    return m ? m->b : NULL;
}

EB_EXPORT int eb_mpi_is_leader(const eb_mpi *m)
{
    return m && m->b != NULL;
}
