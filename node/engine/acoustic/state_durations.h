/* State durations in frames from the duration model, as HTS computes them.
 *
 * speed == 1: each state gets round(mean) frames, at least 1.
 * speed != 1: the utterance's target length is round(sum(mean) / speed)
 * frames; each state gets mean + rho * variance (rho shared, solving for the
 * target), rounded, at least 1, and the rounding error is then removed one
 * frame at a time from/to the state whose duration deviates least from its
 * ideal. This is the same procedure and arithmetic as libHTSEngine 1.10, so
 * durations are identical. */
#ifndef SS_ENGINE_STATE_DURATIONS_H
#define SS_ENGINE_STATE_DURATIONS_H

#include <stddef.h>

/* mean/vari: [n] per state. dur: [n] out. Returns total frames, or 0 when
 * speed is not a finite positive number. */
size_t ss_state_durations(const double *mean, const double *vari, size_t n, double speed, size_t *dur);

/* The speed != 1 procedure for an explicit length: fits n states to
 * round(frame_length) frames (at least n). Returns the total, or 0 for a
 * negative/NaN/inf length. Used for SSML breaks and per-word rates. */
size_t ss_state_durations_fit(const double *mean, const double *vari, size_t n, double frame_length,
                              size_t *dur);

#endif
