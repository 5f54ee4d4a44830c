/* An audio lane: one answer's PCM → encoder → encoded bytes, with the
 * encoding done on the work pool (common/loop_pool.h), never on the loop.
 *
 * The loop side writes PCM as the node delivers it; the lane keeps it in a
 * pending buffer and has at most one job on the pool at a time, which takes
 * everything pending, feeds the encoder and copies out the bytes the encoder
 * made. So the bytes come back in order, and when encoding falls behind the
 * next job simply takes a bigger batch. PCM and WAV at the node's own rate
 * need no computing (a copy): their jobs run on the loop itself, queued the
 * same way, sparing two thread switches per chunk; on a little-endian host
 * a streamed one passes the node's samples through without an encoder or a
 * copy (audio_lane.c). The encoder is created by the first
 * job (creating some, LAME's, costs a millisecond) and freed by the lane.
 *
 * Callbacks come on the loop, in order: on_bytes for every batch encoded
 * (len 0 when the encoder held everything back: the backlog still shrank),
 * then exactly one of on_finished (after gw_audio_lane_finish, all bytes
 * delivered) or on_error (the encoder failed or memory ran out; the lane
 * then delivers nothing more; out of memory while queueing is returned by
 * write/finish instead). A callback may free the lane. Freeing a lane
 * with a job in flight is fine: the job finishes on its thread and its
 * result is dropped (no callback after free). */
#ifndef SS_GATEWAY_AUDIO_LANE_H
#define SS_GATEWAY_AUDIO_LANE_H

#include "common/audio_encode.h"
#include "common/loop_pool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw_audio_lane gw_audio_lane;

typedef struct {
    void (*on_bytes)(void *user, const uint8_t *data, size_t len);
    void (*on_finished)(void *user, uint64_t samples_out);
    void (*on_error)(void *user, const char *message);
} gw_audio_lane_events;

typedef struct {
    ss_audio_format format;
    int in_rate;   /* the node's PCM rate */
    int out_rate;  /* the answer's rate (ss_audio_rate_allowed) */
    bool stream;   /* every byte readable as made (a streamed answer); else a whole file */
} gw_audio_lane_spec;

/* NULL when out of memory. */
gw_audio_lane *gw_audio_lane_new(ss_loop_pool *pool, const gw_audio_lane_spec *spec,
                                 const gw_audio_lane_events *ev, void *user);
/* Queues n samples (copied). 0, or -1 when out of memory: the lane has
 * ended and calls nothing back; the caller reports the failure. */
int gw_audio_lane_write(gw_audio_lane *l, const int16_t *pcm, size_t n);
/* No more PCM: flush the encoder and end with on_finished. 0, or -1 as for
 * write. */
int gw_audio_lane_finish(gw_audio_lane *l);
/* Samples written but not yet taken by an encoding job. */
size_t gw_audio_lane_backlog(const gw_audio_lane *l);
/* Frees the lane now or, with a job in flight, when that job returns. */
void gw_audio_lane_free(gw_audio_lane *l);

#endif
