/*
 * test_mpi.c - the MPI layer under mpirun -np 4 on simulated GPUs drawing a
 * constant 300 + 100 W: as one node, the job total is the GPUs' energy once
 * (not four times); with --pretend 2 (EBENCH_HOSTNAME by rank parity) two
 * nodes each measure their GPUs once. Exits non-zero on a wrong figure.
 * --amd: the same with simulated AMD GPUs (AMD SMI) and HIP_VISIBLE_DEVICES.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ebench_mpi.h"

int main(int argc, char **argv)
{
    int rank, size, pretend = argc > 2 && strcmp(argv[1], "--pretend") == 0 ? atoi(argv[2]) : 1;
    int amd = argc > 4 && strcmp(argv[4], "--amd") == 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* one GPU per rank on a node, as CUDA_VISIBLE_DEVICES usually says: the
     * node's leader must still measure both (the union) */
    if (argc > 3 && strcmp(argv[3], "--gpu-per-rank") == 0)
        setenv(amd ? "HIP_VISIBLE_DEVICES" : "CUDA_VISIBLE_DEVICES",
               (rank / (pretend > 1 ? pretend : 1)) % 2 ? "1" : "0", 1);
    if (pretend > 1) {
        char name[32];
        snprintf(name, sizeof name, "node%d", rank % pretend);
        setenv("EBENCH_HOSTNAME", name, 1);
    }
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.sources = amd ? EB_SOURCE_AMDSMI : EB_SOURCE_NVML;
    cfg.interval_ms = 20;
    eb_mpi *m;
    if (eb_mpi_open(&m, MPI_COMM_WORLD, &cfg) != EB_OK) {
        fprintf(stderr, "rank %d: eb_mpi_open failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    eb_mpi_result *r;
    eb_mpi_begin(m, "work");
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    eb_mpi_end(m, "work", &r);
    int bad = 0;
    if (rank == 0) {
        eb_mpi_print(m, r, stdout);
        /* constant power: the counters' straight lines are exact */
        double truth = 0;
        for (int k = 0; k < r->n_nodes; k++)
            truth += 400.0 * r->nodes[k].duration_s;
        int nodes_ok = r->n_nodes == pretend && r->n_ranks == size;
        int energy_ok = fabs(r->energy_j - truth) <= 0.01 * truth;
        printf("nodes %d (expected %d), ranks %d, energy %.3f J, truth %.3f J: %s\n", r->n_nodes,
               pretend, r->n_ranks, r->energy_j, truth, nodes_ok && energy_ok ? "right" : "WRONG");
        /* one GPU per rank: ranks that see CUDA device 0 (the 300 W GPU at
         * 07:00.0) own 300 W, those that see 1 own 100 W */
        int ranks_ok = 1;
        if (argc > 3 && strcmp(argv[3], "--gpu-per-rank") == 0) {
            ranks_ok = r->n_rank_rows == size;
            for (int k = 0; k < r->n_rank_rows; k++) {
                int rk = r->ranks[k].rank;
                double want =
                    ((rk / pretend) % 2 ? 100.0 : 300.0) * r->nodes[r->ranks[k].node].duration_s;
                /* 2 GPUs per node: more ranks than that share them */
                int shared = size / pretend > 2;
                ranks_ok &= r->ranks[k].n_gpus == 1 && r->ranks[k].shared == shared &&
                            fabs(r->ranks[k].gpu_energy_j - want) <= 0.01 * want;
            }
            printf("per-rank GPUs: %s\n", ranks_ok ? "right" : "WRONG");
        }
        bad = !(nodes_ok && energy_ok && ranks_ok);
        printf("%s\n", bad ? "WRONG" : "result: ok");
        eb_mpi_result_free(r);
    }
    eb_mpi_close(m);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return bad;
}
