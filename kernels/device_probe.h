/* GPU facts for heartbeats and for choosing kernels.
 *
 * With SS_HAVE_CUDA (CUDA builds) the CUDA runtime is asked for the devices,
 * the name and memory of device 0; without it, or when the runtime answers an
 * error (no driver: error 35, no device: 100), the node has no GPU. "No GPU" is
 * a fact, not a failure: `reason` says why, for the start-up log. */
#ifndef SS_KERNELS_DEVICE_PROBE_H
#define SS_KERNELS_DEVICE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool present;             /* a usable CUDA device exists */
    int count;                /* CUDA devices */
    char name[256];           /* device 0 */
    uint64_t memory_total_mb; /* device 0 */
    uint64_t memory_used_mb;  /* device 0, at the time of the probe */
    char reason[192];         /* why there is no GPU (empty when present) */
} ss_device_facts;

/* Fills *out. Asks the CUDA runtime every time (memory use changes). */
void ss_device_probe(ss_device_facts *out);

#endif
