/* Test-only stand-in for kernels/device_probe.c, linked into the
 * host-emulated node (tests/gpu/emulate_on_cpu.sh node): it reports one
 * device, "CUDA host emulation" with 16 GiB, so `kernels = auto` picks the
 * CUDA table (the .cu code compiled by g++) and the node takes its CUDA path
 * (batch scheduler, lanes, pool reporting) on a machine without a GPU. Never
 * part of a product binary. */
#include "kernels/device_probe.h"

#include <stdio.h>
#include <string.h>

void ss_device_probe(ss_device_facts *out)
{
    memset(out, 0, sizeof *out);
    out->present = true;
    out->count = 1;
    snprintf(out->name, sizeof out->name, "CUDA host emulation");
    out->memory_total_mb = 16384;
    out->memory_used_mb = 0;
}
