/* Wall-clock time as records and answers state it: milliseconds since the
 * epoch (Redis index members, licence expiry) and the one ISO 8601 form the
 * API writes ("2026-12-05T14:20:01.123Z", UTC, millisecond precision).
 * Durations are measured with the monotonic clock elsewhere; this is only
 * for times a person or another process reads. */
#ifndef SS_COMMON_WALL_CLOCK_H
#define SS_COMMON_WALL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t ss_wall_ms(void);

/* ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (cap >= 25). */
void ss_iso8601_ms(int64_t ms, char *out, size_t cap);

#endif
