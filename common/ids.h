/* Identifier generation: prefixed random base62 ids ("req_", "vc_", "job_").
 *
 * Randomness comes from getrandom(2); ids are unguessable, not sequential. */
#ifndef SS_COMMON_IDS_H
#define SS_COMMON_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define SS_REQUEST_ID_MAX 64

/* Writes prefix + n random base62 characters into out (cap bytes). Returns 0,
 * or -1 when the buffer is too small or the kernel gave no randomness. */
int ss_id_new(const char *prefix, size_t n, char *out, size_t cap);

/* n bytes of kernel randomness (from this thread's pool; see ids.c). 0, or
 * -1 when the kernel gave none. */
int ss_random_bytes(void *buf, size_t n);

/* Fills buf with n random base62 characters (no terminator). 0 or -1. */
int ss_random_base62(char *buf, size_t n);

/* An incoming X-Request-Id is reused when it is 1..64 characters of
 * [A-Za-z0-9_.:-]; anything else is replaced by a fresh id. */
bool ss_request_id_acceptable(const char *s);

#endif
