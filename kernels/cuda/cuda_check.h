/* Error handling shared by the CUDA kernel wrappers: every runtime call goes
 * through SS_CUDA_TRY, which on failure writes "cuda: <call>: <message>" into
 * the wrapper's err and jumps to its `fail` label (where device memory is
 * released). Launches are followed by SS_CUDA_TRY(cudaGetLastError()) and the
 * synchronising copy back, so an asynchronous fault is reported too. */
#ifndef SS_KERNELS_CUDA_CHECK_H
#define SS_KERNELS_CUDA_CHECK_H

#include <cuda_runtime_api.h>
#include <stdio.h>

#define SS_CUDA_TRY(call)                                                                     \
    do {                                                                                      \
        cudaError_t ss_cuda_e_ = (call);                                                      \
        if (ss_cuda_e_ != cudaSuccess) {                                                      \
            snprintf(err, errlen, "cuda: %s: %s", #call, cudaGetErrorString(ss_cuda_e_));     \
            goto fail;                                                                        \
        }                                                                                     \
    } while (0)

#define SS_CUDA_THREADS 64

#endif
