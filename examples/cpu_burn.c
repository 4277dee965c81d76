/* cpu_burn.c - a short CPU workload: busy arithmetic for the given seconds
 * (default 1) on one core, then prints what it computed so it cannot be
 * optimised away. Used by `make demo` and the tests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    double end = now_s() + seconds, x = 0.0;
    unsigned long long iterations = 0;

    while (now_s() < end) {
        for (int i = 1; i <= 100000; i++)
            x += sin((double)i) / i;
        iterations++;
    }
    printf("cpu_burn: %llu rounds in %.2f s (checksum %.6f)\n", iterations, seconds, x);
    return 0;
}
