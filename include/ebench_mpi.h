/*
 * ebench_mpi.h - libebench for MPI programs (libebench_mpi).
 *
 * Collective over a communicator: one process per node (the node leader)
 * samples that node's devices, so no node is counted twice however many
 * ranks it runs; windows begin and end together; rank 0 gets the job total
 * and a per-node table. Nodes are found with MPI_Comm_split_type(SHARED),
 * then told apart by $EBENCH_HOSTNAME where it is set (tests pretend to be
 * several nodes on one machine that way).
 *
 *     eb_mpi *m;
 *     eb_mpi_open(&m, MPI_COMM_WORLD, NULL);
 *     eb_mpi_begin(m, "solve");
 *     solve();
 *     eb_mpi_result *r;
 *     eb_mpi_end(m, "solve", &r);           // r on rank 0, NULL elsewhere
 *     eb_mpi_print(m, r, stdout);           // rank 0 prints
 *     eb_mpi_result_free(r);
 *     eb_mpi_close(m);
 */
#ifndef EBENCH_MPI_H
#define EBENCH_MPI_H

#include <mpi.h>

#include "ebench.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eb_mpi eb_mpi;

typedef struct eb_mpi_node {
    char name[64];   /* the node's name ($EBENCH_HOSTNAME or the host name) */
    int leader_rank; /* the rank that measured it */
    int n_ranks;     /* ranks of the job on it */
    double duration_s;
    double energy_j; /* sum over its domains counted in the total */
    double uncertainty_j;
    double gpu_energy_j;
    int n_gpus;
} eb_mpi_node;

/* The GPUs a rank owns, where CUDA_VISIBLE_DEVICES says which: their energy. */
typedef struct eb_mpi_rank {
    int rank;
    int node; /* index into nodes[] */
    int n_gpus;
    double gpu_energy_j;
    int shared; /* its GPUs are not its alone (it sees every GPU, or shares one) */
} eb_mpi_rank;

typedef struct eb_mpi_result {
    double duration_s;    /* the longest of the nodes' */
    double energy_j;      /* the job's total: every node once */
    double uncertainty_j; /* root-sum-square over the nodes */
    int n_ranks;
    int n_nodes;
    eb_mpi_node *nodes; /* n_nodes entries, by leader rank */
    int n_rank_rows;
    eb_mpi_rank *ranks; /* GPUs per rank (ranks of nodes with GPUs) */
} eb_mpi_result;

/* Collective. cfg is used by the node leaders (NULL: defaults). */
EB_EXPORT int eb_mpi_open(eb_mpi **out, MPI_Comm comm, const eb_config *cfg);
/* Collective. */
EB_EXPORT void eb_mpi_close(eb_mpi *m);
/* Collective: every rank reaches the barrier, then each leader opens the window. */
EB_EXPORT int eb_mpi_begin(eb_mpi *m, const char *name);
/* Collective: on rank 0 *result is the job's figures (free with
 * eb_mpi_result_free); NULL on the other ranks. result may be NULL. */
EB_EXPORT int eb_mpi_end(eb_mpi *m, const char *name, eb_mpi_result **result);
EB_EXPORT void eb_mpi_result_free(eb_mpi_result *r);
/* Rank 0: the job total and one row per node. Others: nothing. */
EB_EXPORT int eb_mpi_print(eb_mpi *m, const eb_mpi_result *r, FILE *out);
/* This process's bench if it leads its node, else NULL. */
EB_EXPORT eb_bench *eb_mpi_bench(eb_mpi *m);
/* 1 if this process measures its node. */
EB_EXPORT int eb_mpi_is_leader(const eb_mpi *m);

#ifdef __cplusplus
}
#endif
#endif
