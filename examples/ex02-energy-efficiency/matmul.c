/*
 * matmul.c - exercise 2: the same work done two ways, compared by energy.
 *
 *   matmul naive|blocked N [REPEAT]
 *
 * C = A x B for N x N doubles, REPEAT times (default 1). The naive loop
 * walks B by columns and misses the cache; the blocked one works on tiles
 * that fit in it. Both do 2 N^3 FLOPs per multiply, so with
 * `ebench run --work 2N^3xREPEAT:flop` ebench gives TFLOPS/W for each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TILE 32

static void naive(const double *a, const double *b, double *c, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
}

static void blocked(const double *a, const double *b, double *c, int n)
{
    memset(c, 0, sizeof *c * (size_t)n * (size_t)n);
    for (int ii = 0; ii < n; ii += TILE)
        for (int kk = 0; kk < n; kk += TILE)
            for (int jj = 0; jj < n; jj += TILE)
                for (int i = ii; i < ii + TILE && i < n; i++)
                    for (int k = kk; k < kk + TILE && k < n; k++) {
                        double aik = a[i * n + k];
                        for (int j = jj; j < jj + TILE && j < n; j++)
                            c[i * n + j] += aik * b[k * n + j];
                    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "naive") != 0 && strcmp(argv[1], "blocked") != 0)) {
        fprintf(stderr, "usage: matmul naive|blocked N [REPEAT]\n");
        return 2;
    }
    int n = atoi(argv[2]), rep = argc > 3 ? atoi(argv[3]) : 1;
    if (n < 1 || n > 8192 || rep < 1) {
        fprintf(stderr, "matmul: N must be 1..8192 and REPEAT >= 1\n");
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "matmul: out of memory\n");
        free(a);
        free(b);
        free(c);
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (double)(i % 7) * 0.5;
        b[i] = (double)(i % 5) * 0.25;
    }
    for (int r = 0; r < rep; r++)
        (strcmp(argv[1], "naive") == 0 ? naive : blocked)(a, b, c, n);
    double check = 0;
    for (size_t i = 0; i < nn; i++)
        check += c[i];
    printf("matmul %s %d x%d: checksum %.6e, %.3g FLOP\n", argv[1], n, rep, check,
           2.0 * n * n * (double)n * rep);
    free(a);
    free(b);
    free(c);
    return 0;
}
