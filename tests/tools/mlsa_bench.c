/* mlsa_bench: nanoseconds per output sample of the CPU MLSA kernel
 * (kernels/cpu/mlsa.c), both builds, on the shipped voice's shape.
 *
 *   mlsa_bench [--order M] [--alpha A] [--frame-period P] [--seconds S]
 *              [--rate HZ] [--repeat N]
 *
 * Input: S seconds of random mel-cepstra (decaying with the index, as in the
 * unit test) and excitation with a pulse every 97 samples over noise, so
 * both the gain exp() and the zero-input path are exercised. Defaults are
 * cmu_us_slt_arctic_hts: order 44, alpha 0.45, 160 samples per frame at
 * 32 kHz. Time is thread CPU time (the machine is shared); each build runs N
 * times, alternating, and the median and best are printed with a checksum of
 * the output so two binaries can be compared for identical samples. The
 * cell mode (mlsa_cells.c) runs in both builds too; its two checksums must
 * be equal (same samples on every CPU). */
#include "kernels/kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* FNV-1a over the bytes of the output: equal only for identical samples. */
static unsigned long long checksum(const double *v, size_t n)
{
    unsigned long long h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < n * sizeof *v; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* One pass of the kernel over the whole input; seconds of thread CPU time. */
static double run_once(int portable, int cells, int order, double alpha, size_t fp, size_t nframes,
                       const double *mc, const double *ex, double *out)
{
    static ss_mlsa_state st;
    char err[160];
    if (ss_mlsa_state_init(&st, order, alpha, err, sizeof err) != 0) {
        fprintf(stderr, "mlsa_bench: %s\n", err);
        exit(2);
    }
    st.portable = portable;
    st.cells = cells;
    ss_mlsa_job j = {.state = &st, .mcep = mc, .nframes = nframes, .frame_period = fp,
                     .excitation = ex, .out = out};
    double t0 = cpu_s();
    if (ss_kern_mlsa(&j, 1, err, sizeof err) != 0) {
        fprintf(stderr, "mlsa_bench: %s\n", err);
        exit(2);
    }
    double t = cpu_s() - t0;
    ss_mlsa_state_release(&st);
    return t;
}

int main(int argc, char **argv)
{
    int order = 44, repeat = 7;
    double alpha = 0.45, seconds = 10.0, rate = 32000.0;
    size_t fp = 160;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--order") == 0)
            order = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--alpha") == 0)
            alpha = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--frame-period") == 0)
            fp = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--rate") == 0)
            rate = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "mlsa_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (order < 2 || order > SS_MLSA_MAX_ORDER || fp < 1 || seconds <= 0 || rate <= 0 ||
        repeat < 1 || repeat > 99) {
        fprintf(stderr, "usage: mlsa_bench [--order 2..%d] [--alpha A] [--frame-period P] "
                        "[--seconds S] [--rate HZ] [--repeat 1..99]\n",
                SS_MLSA_MAX_ORDER);
        return 2;
    }
    size_t nframes = (size_t)(seconds * rate / (double)fp) + 1, nsamp = nframes * fp;
    double *mc = malloc(sizeof(double) * nframes * (size_t)(order + 1));
    double *ex = malloc(sizeof(double) * nsamp);
    double *out = malloc(sizeof(double) * nsamp);
    if (!mc || !ex || !out) {
        fprintf(stderr, "mlsa_bench: out of memory\n");
        return 2;
    }
    unsigned seed = 7;
    for (size_t f = 0; f < nframes; f++)
        for (int i = 0; i <= order; i++)
            mc[f * (size_t)(order + 1) + (size_t)i] =
                (i == 0 ? 1.0 : 0.3 / (i + 1)) * ((double)rand_r(&seed) / RAND_MAX - 0.5) * 2;
    for (size_t n = 0; n < nsamp; n++)
        ex[n] = (n % 97 == 0) ? 9.0 : ((double)rand_r(&seed) / RAND_MAX - 0.5);

    enum { NB = 4 };
    const char *name[NB] = {"dispatched (AVX2+FMA where the CPU has it)", "baseline (SSE2)",
                            "cells, 16 float lanes (AVX-512 or AVX2+FMA)", "cells, portable (fmaf())"};
    double t[NB][99];
    unsigned long long sum[NB] = {0, 0, 0, 0};
    for (int r = 0; r < repeat; r++)
        for (int b = 0; b < NB; b++) {
            t[b][r] = run_once(b & 1, b >= 2, order, alpha, fp, nframes, mc, ex, out);
            sum[b] = checksum(out, nsamp);
        }
    printf("mlsa: order %d, alpha %.2f, %zu samples per frame, %zu samples; thread CPU time, %d runs\n",
           order, alpha, fp, nsamp, repeat);
    for (int b = 0; b < NB; b++) {
        qsort(t[b], (size_t)repeat, sizeof(double), cmp_double);
        double med = t[b][repeat / 2] / (double)nsamp * 1e9, best = t[b][0] / (double)nsamp * 1e9;
        printf("%-48s median %7.1f ns/sample  best %7.1f  RTF %.5f  checksum %016llx\n", name[b], med,
               best, med * 1e-9 * rate, sum[b]);
    }
    free(mc);
    free(ex);
    free(out);
    return 0;
}
