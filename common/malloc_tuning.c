/* Heap settings for a long-running service (see malloc_tuning.h). */
#include "common/malloc_tuning.h"

#include <malloc.h>
#include <stdio.h>

int ss_malloc_tune_service(char *err, size_t errlen)
{
#ifdef __SANITIZE_ADDRESS__
    /* ASan's allocator serves malloc and answers mallopt with 0: nothing to
     * tune in the sanitizer build. */
    (void)err;
    (void)errlen;
    return 0;
#endif
    if (mallopt(M_MMAP_THRESHOLD, SS_MALLOC_MMAP_THRESHOLD) != 1) {
        snprintf(err, errlen, "malloc: M_MMAP_THRESHOLD %d refused", SS_MALLOC_MMAP_THRESHOLD);
        return -1;
    }
    if (mallopt(M_TRIM_THRESHOLD, SS_MALLOC_TRIM_THRESHOLD) != 1) {
        snprintf(err, errlen, "malloc: M_TRIM_THRESHOLD %d refused", SS_MALLOC_TRIM_THRESHOLD);
        return -1;
    }
    return 0;
}
