/* Unit tests for kernels/device_probe: either a described GPU or a stated
 * reason for none. */
#include "kernels/device_probe.h"

#include <criterion/criterion.h>
#include <string.h>

Test(device_probe, facts_are_consistent)
{
    ss_device_facts f;
    memset(&f, 0x5a, sizeof f);
    ss_device_probe(&f);
    if (f.present) {
        cr_assert_gt(f.count, 0);
        cr_assert_gt(strlen(f.name), 0);
        cr_assert_gt(f.memory_total_mb, 0);
        cr_assert_leq(f.memory_used_mb, f.memory_total_mb);
        cr_assert_eq(f.reason[0], 0);
    } else {
        cr_assert_gt(strlen(f.reason), 0, "no GPU and no reason");
        cr_assert_eq(f.count, 0);
        cr_assert_eq(f.memory_total_mb, 0);
    }
}
