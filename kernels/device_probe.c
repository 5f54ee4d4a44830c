/* GPU discovery through the CUDA runtime API, called from C (see
 * device_probe.h). Only device 0 is described: one node drives one GPU. */
#include "kernels/device_probe.h"

#include <stdio.h>
#include <string.h>

#ifdef SS_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

void ss_device_probe(ss_device_facts *out)
{
    memset(out, 0, sizeof *out);
#ifdef SS_HAVE_CUDA
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(out->reason, sizeof out->reason, "CUDA runtime: %s (error %d)",
                 cudaGetErrorString(e), (int)e);
        return;
    }
    if (count <= 0) {
        snprintf(out->reason, sizeof out->reason, "CUDA runtime reports no device");
        return;
    }
    struct cudaDeviceProp prop;
    e = cudaGetDeviceProperties(&prop, 0);
    if (e != cudaSuccess) {
        snprintf(out->reason, sizeof out->reason, "cudaGetDeviceProperties: %s (error %d)",
                 cudaGetErrorString(e), (int)e);
        return;
    }
    size_t free_b = 0, total_b = 0;
    e = cudaSetDevice(0);
    if (e == cudaSuccess)
        e = cudaMemGetInfo(&free_b, &total_b);
    if (e != cudaSuccess) {
        snprintf(out->reason, sizeof out->reason, "cudaMemGetInfo: %s (error %d)",
                 cudaGetErrorString(e), (int)e);
        return;
    }
    out->present = true;
    out->count = count;
    snprintf(out->name, sizeof out->name, "%s", prop.name);
    out->memory_total_mb = (uint64_t)total_b / (1024 * 1024);
    out->memory_used_mb = (uint64_t)(total_b - free_b) / (1024 * 1024);
#else
    snprintf(out->reason, sizeof out->reason, "built without CUDA");
#endif
}
