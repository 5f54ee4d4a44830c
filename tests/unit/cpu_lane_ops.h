/* Test support: a lane table over the CPU kernels (kernels_select.h), so
 * code that drives lanes (the batch scheduler, the heartbeat's memory
 * report) is tested where no GPU exists. Each lane remembers the one
 * thread that may use it and counts calls from any other in `splits`;
 * usage reports 1 MiB held once a lane has been used. Header-only, for
 * the unit tests. */
#ifndef SS_TESTS_UNIT_CPU_LANE_OPS_H
#define SS_TESTS_UNIT_CPU_LANE_OPS_H

#include "kernels/kernels_select.h"

#include <pthread.h>
#include <stdlib.h>

struct ss_kernel_lane {
    pthread_t owner;
    int owned;
    size_t limit, calls, foreign;
};

static ss_kernel_lane *test_lane_new(size_t limit, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    ss_kernel_lane *l = calloc(1, sizeof *l);
    l->limit = limit;
    return l;
}

static void test_lane_free(ss_kernel_lane *l)
{
    free(l);
}

static void test_lane_use(ss_kernel_lane *l)
{
    if (!l->owned) {
        l->owner = pthread_self();
        l->owned = 1;
    } else if (!pthread_equal(l->owner, pthread_self())) {
        l->foreign++;
    }
    l->calls++;
}

static void test_lane_usage(const ss_kernel_lane *l, ss_kernel_lane_usage *u)
{
    *u = (ss_kernel_lane_usage){.device_bytes = l->calls ? 1u << 20 : 0, .device_limit = l->limit,
                                .calls = l->calls, .splits = l->foreign};
}

static int test_lane_mlpg(ss_kernel_lane *l, const ss_mlpg_windows *w, const ss_mlpg_problem *p,
                          size_t n, char *err, size_t errlen)
{
    test_lane_use(l);
    size_t maxT = 0;
    for (size_t k = 0; k < n; k++)
        maxT = p[k].length > maxT ? p[k].length : maxT;
    size_t wl = ss_kern_mlpg_workspace(maxT);
    double *work = malloc((wl ? wl : 1) * sizeof(double));
    int rc = ss_kern_mlpg(w, p, n, work, wl, err, errlen);
    free(work);
    return rc;
}

static int test_lane_excitation(ss_kernel_lane *l, const ss_excitation_job *j, size_t n, char *err,
                                size_t errlen)
{
    test_lane_use(l);
    return ss_kern_excitation(j, n, err, errlen);
}

static int test_lane_mlsa(ss_kernel_lane *l, const ss_mlsa_job *j, size_t n, char *err, size_t errlen)
{
    test_lane_use(l);
    return ss_kern_mlsa(j, n, err, errlen);
}

static const ss_kernel_ops cpu_lane_ops = {.name = "cpu-lanes",
                                       .mlpg = ss_kern_mlpg,
                                       .excitation = ss_kern_excitation,
                                       .mlsa = ss_kern_mlsa,
                                       .lane_new = test_lane_new,
                                       .lane_free = test_lane_free,
                                       .lane_usage = test_lane_usage,
                                       .lane_mlpg = test_lane_mlpg,
                                       .lane_excitation = test_lane_excitation,
                                       .lane_mlsa = test_lane_mlsa};

#endif
