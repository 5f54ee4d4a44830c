/* Error handling shared by the CUDA kernel wrappers: every runtime call goes
 * through SS_CUDA_TRY, which on failure writes "cuda: <call>: <message>" into
 * the wrapper's err and jumps to its `fail` label. Launches (SS_CUDA_LAUNCH,
 * on the lane's stream) are followed by SS_CUDA_TRY(cudaGetLastError()) and,
 * after the copy back, SS_CUDA_TRY(cudaStreamSynchronize()), so an
 * asynchronous fault is reported too.
 *
 * Host emulation (SS_CUDA_HOST_EMULATION, test-only: tests/gpu/emulate_on_cpu.sh
 * compiles the .cu files with g++): the few runtime calls used here become
 * malloc/memcpy/free (fresh "device" memory filled with NaN bytes, so an
 * unwritten output shows; a lane also refills its pool with them before
 * every call, see cuda_lane.cu), streams are a dummy handle (every "async"
 * copy is done at once), and a launch runs every (block, thread) in turn
 * on the calling thread. That executes the kernels' logic, packing and
 * indexing on a machine without a GPU; it cannot show races or device
 * numerics (those need make test-gpu on a GPU). */
#ifndef SS_KERNELS_CUDA_CHECK_H
#define SS_KERNELS_CUDA_CHECK_H

#include <stdio.h>

#ifdef SS_CUDA_HOST_EMULATION
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost };
typedef struct ss_emu_stream *cudaStream_t;
#define cudaStreamNonBlocking 1u
static inline const char *cudaGetErrorString(cudaError_t e)
{
    return e ? "out of memory (host emulation)" : "no error";
}
static inline cudaError_t cudaMalloc(void **p, size_t n)
{
    *p = malloc(n ? n : 1);
    if (*p)
        memset(*p, 0xff, n ? n : 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
static inline cudaError_t cudaFree(void *p)
{
    free(p);
    return cudaSuccess;
}
static inline cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind)
{
    memcpy(d, s, n);
    return cudaSuccess;
}
static inline cudaError_t cudaMallocHost(void **p, size_t n)
{
    *p = malloc(n ? n : 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
static inline cudaError_t cudaFreeHost(void *p)
{
    free(p);
    return cudaSuccess;
}
static inline cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind,
                                          cudaStream_t)
{
    memcpy(d, s, n);
    return cudaSuccess;
}
static inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned)
{
    static int ss_emu_stream_tag;
    *s = (cudaStream_t)(void *)&ss_emu_stream_tag;
    return cudaSuccess;
}
static inline cudaError_t cudaStreamDestroy(cudaStream_t)
{
    return cudaSuccess;
}
static inline cudaError_t cudaStreamSynchronize(cudaStream_t)
{
    return cudaSuccess;
}
static inline cudaError_t cudaGetLastError(void)
{
    return cudaSuccess;
}
struct ss_emu_dim {
    unsigned x;
};
[[maybe_unused]] static thread_local ss_emu_dim blockIdx, threadIdx, blockDim;
#define __global__
#define __device__
#define __constant__
#define SS_CUDA_LAUNCH(kernel, blocks, threads, stream, ...)                                  \
    do {                                                                                      \
        (void)(stream);                                                                       \
        blockDim.x = (threads);                                                               \
        for (unsigned ss_b_ = 0; ss_b_ < (blocks); ss_b_++)                                   \
            for (unsigned ss_t_ = 0; ss_t_ < (threads); ss_t_++) {                            \
                blockIdx.x = ss_b_;                                                           \
                threadIdx.x = ss_t_;                                                          \
                kernel(__VA_ARGS__);                                                          \
            }                                                                                 \
    } while (0)
#else
#include <cuda_runtime_api.h>
#define SS_CUDA_LAUNCH(kernel, blocks, threads, stream, ...)                                  \
    kernel<<<(blocks), (threads), 0, (stream)>>>(__VA_ARGS__)
#endif

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
