/* Kernel routing (see kernel_route.h): one decision per call, no state. */
#include "kernels/kernel_route.h"

static const ss_kernel_ops *route_ops(const ss_kernel_route *r)
{
    return r && r->ops ? r->ops : ss_kernel_ops_cpu();
}

int ss_route_mlpg(const ss_kernel_route *r, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                  size_t nprobs, double *work, size_t work_len, char *err, size_t errlen)
{
    if (r && r->scheduler)
        return ss_batch_mlpg(r->scheduler, win, probs, nprobs, err, errlen);
    return route_ops(r)->mlpg(win, probs, nprobs, work, work_len, err, errlen);
}

int ss_route_excitation(const ss_kernel_route *r, const ss_excitation_job *jobs, size_t njobs,
                        char *err, size_t errlen)
{
    if (r && r->scheduler)
        return ss_batch_excitation(r->scheduler, jobs, njobs, err, errlen);
    return route_ops(r)->excitation(jobs, njobs, err, errlen);
}

int ss_route_mlsa(const ss_kernel_route *r, const ss_mlsa_job *jobs, size_t njobs, char *err,
                  size_t errlen)
{
    if (r && r->scheduler)
        return ss_batch_mlsa(r->scheduler, jobs, njobs, err, errlen);
    return route_ops(r)->mlsa(jobs, njobs, err, errlen);
}

