// gemm_load.cu - a GPU workload of known work at a chosen load, for the H100
// validation (bench/gpu/validate.sh).
//
//   gemm_load --precision fp32|tf32|fp16|bf16 --n N --duty D --seconds S [--period P]
//
// Every period (P seconds, default 0.1) it runs cuBLAS GEMMs (N x N x N) for D of the period and
// sleeps the rest: D = 1 is heavy, 0.5 medium, 0.2 light. The loop is a
// libebench window "load" with its FLOPs (2 N^3 per GEMM) added as work, so
// under `ebench run` the report gives TFLOPS/W for it (phase markers).
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern "C" {
#include "ebench.h"
}

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        cudaError_t e_ = (x);                                                                      \
        if (e_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "gemm_load: %s: %s\n", #x, cudaGetErrorString(e_));                    \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define CHECK_BLAS(x)                                                                              \
    do {                                                                                           \
        cublasStatus_t s_ = (x);                                                                   \
        if (s_ != CUBLAS_STATUS_SUCCESS) {                                                         \
            fprintf(stderr, "gemm_load: %s: cuBLAS status %d\n", #x, (int)s_);                    \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static __global__ void fill(void *p, size_t n, int kind)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float v = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    if (kind == 0)
        ((float *)p)[i] = v;
    else if (kind == 1)
        ((__half *)p)[i] = __float2half(v);
    else
        ((__nv_bfloat16 *)p)[i] = __float2bfloat16(v);
}

int main(int argc, char **argv)
{
    const char *prec = "fp32";
    int n = 8192;
    double duty = 1.0, seconds = 3.0, period = 0.1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--precision"))
            prec = argv[i + 1];
        else if (!strcmp(argv[i], "--n"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--duty"))
            duty = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--period"))
            period = atof(argv[i + 1]);
        else {
            fprintf(stderr, "usage: gemm_load --precision fp32|tf32|fp16|bf16 --n N --duty D "
                            "--seconds S [--period P]\n");
            return 2;
        }
    }
    int kind = !strcmp(prec, "fp16") ? 1 : !strcmp(prec, "bf16") ? 2 : 0;
    cudaDataType_t type = kind == 1 ? CUDA_R_16F : kind == 2 ? CUDA_R_16BF : CUDA_R_32F;
    cublasComputeType_t compute =
        !strcmp(prec, "tf32") ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    size_t elems = (size_t)n * n, bytes = elems * (kind ? 2 : 4);
    void *a, *b, *c;
    CHECK(cudaMalloc(&a, bytes));
    CHECK(cudaMalloc(&b, bytes));
    CHECK(cudaMalloc(&c, bytes));
    fill<<<(unsigned)((elems + 255) / 256), 256>>>(a, elems, kind);
    fill<<<(unsigned)((elems + 255) / 256), 256>>>(b, elems, kind);
    CHECK(cudaDeviceSynchronize());
    cublasHandle_t h;
    CHECK_BLAS(cublasCreate(&h));
    float alpha = 1.0f, beta = 0.0f;
    /* one warm-up GEMM, outside the measured window */
    CHECK_BLAS(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, type, n, b, type, n,
                            &beta, c, type, n, compute, CUBLAS_GEMM_DEFAULT));
    CHECK(cudaDeviceSynchronize());

    eb_bench *bench = NULL;
    eb_open(&bench, NULL);
    eb_begin(bench, "load");
    double start = now_s(), gemms = 0;
    while (now_s() - start < seconds) {
        double p0 = now_s();
        while (now_s() - p0 < duty * period) {
            CHECK_BLAS(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, type, n, b,
                                    type, n, &beta, c, type, n, compute, CUBLAS_GEMM_DEFAULT));
            CHECK(cudaDeviceSynchronize());
            gemms++;
        }
        double rest = period - (now_s() - p0);
        if (rest > 0) {
            struct timespec ts = {0, (long)(rest * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    double elapsed = now_s() - start, flop = gemms * 2.0 * n * (double)n * n;
    eb_end(bench, "load", NULL);
    eb_add_work(bench, "load", flop, "flop");
    eb_close(bench);
    printf("gemm_load: %s n=%d duty=%.2f: %.0f GEMMs, %.4g TFLOP in %.2f s, %.1f TFLOPS\n", prec,
           n, duty, gemms, flop / 1e12, elapsed, flop / 1e12 / elapsed);
    cublasDestroy(h);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
    return 0;
}
