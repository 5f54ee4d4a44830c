/* A job's audio on its way into the object store: PCM in, encoded by an
 * audio lane (gateway/audio_lane.h, on the pool) and written to one object
 * (common/object_store.h, also on the pool), never on the loop.
 *
 * Memory stays bounded whatever the job's length: the caller asks
 * job_sink_full() after each write and pauses its source (the node call)
 * while it says so; on_drained tells it to resume. The lane encodes in
 * stream mode (nothing held back for a rewrite at the end), and a WAV's
 * RIFF sizes, unknown while streaming, are written into its header just
 * before the object is committed; FLAC keeps "total samples unknown" in
 * STREAMINFO and MP3 has no Xing/LAME tag (decoders read to the end; see
 * common/audio_encode.h). The object appears under its key only at commit,
 * whole; an aborted sink leaves nothing. */
#ifndef SS_WORKER_JOB_SINK_H
#define SS_WORKER_JOB_SINK_H

#include "common/audio_encode.h"
#include "common/loop_pool.h"
#include "common/object_store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct job_sink job_sink;

typedef struct {
    void (*on_drained)(void *user); /* job_sink_full() turned false */
    /* After job_sink_finish: the object is committed (err NULL: bytes and
     * samples_out at the output rate), or it failed and nothing is stored.
     * The sink is freed after this returns. */
    void (*on_done)(void *user, uint64_t bytes, uint64_t samples_out, const char *err);
} job_sink_events;

/* NULL with err when out of memory. The object is opened by the first pool
 * job (an open failure is reported by on_done). */
job_sink *job_sink_new(ss_loop_pool *pool, ss_object_store *objects, const char *key, ss_audio_format f,
                       int in_rate, int out_rate, const job_sink_events *ev, void *user, char *err,
                       size_t errlen);
/* Queues n samples. 0, or -1 when the sink has failed (finish then reports
 * why) or memory ran out. */
int job_sink_write(job_sink *s, const int16_t *pcm, size_t n);
/* Whether the caller should stop writing until on_drained. */
bool job_sink_full(const job_sink *s);
/* No more audio: encode the rest, fix the header, commit; on_done follows. */
void job_sink_finish(job_sink *s);
/* Drops everything (nothing is stored) and frees the sink; no callback. */
void job_sink_abort(job_sink *s);

#endif
