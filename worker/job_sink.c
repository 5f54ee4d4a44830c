/* PCM → encoder → object store for one job attempt (see job_sink.h).
 *
 * Two stages, each with at most one job on the pool at a time, so bytes
 * stay in order: the audio lane encodes (its own queue), and the writer
 * stage takes every encoded byte gathered on the loop since its last job
 * and appends it to the object. The loop only moves buffers between them.
 * The sink ends in one of two ways: finish (lane flushed → last bytes
 * written → header fixed → commit → on_done) or abort (the writer's
 * object is dropped on the pool, then the sink is freed). */
#include "worker/job_sink.h"

#include "gateway/audio_lane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAV_HEADER_BYTES 44
/* "fLaC", STREAMINFO's block header and the STREAMINFO bytes up to the end
 * of its total-samples field (36 bits ending at file offset 25) */
#define FLAC_HEAD_BYTES 26
#define PENDING_HIGH (4u * 1024 * 1024) /* encoded bytes waiting for the writer */
#define BACKLOG_SECONDS_HIGH 5          /* PCM waiting for the encoder */

struct job_sink {
    ss_loop_pool *pool;
    ss_object_store *objects;
    char key[SS_OBJECT_KEY_MAX + 1];
    ss_audio_format format;
    int in_rate;
    gw_audio_lane *lane;
    job_sink_events ev;
    void *user;
    /* encoded bytes on the loop, not yet given to the writer */
    uint8_t *pending;
    size_t npending, cap;
    /* the writer stage */
    ss_object_writer *writer;     /* touched on the pool only */
    uint8_t *batch;               /* the bytes of the job in flight */
    size_t nbatch;
    bool writing;                 /* a writer job is on the pool */
    uint64_t bytes;               /* written to the object */
    uint8_t head[FLAC_HEAD_BYTES]; /* the object's first bytes (FLAC: STREAMINFO) */
    size_t nhead;
    uint64_t samples_out;
    bool lane_finished, finishing, committing, aborting, was_full;
    char err[256];                /* the first failure ("" = none) */
    ss_object_info info;
};

static void sink_free(job_sink *s)
{
    gw_audio_lane_free(s->lane);
    free(s->pending);
    free(s->batch);
    free(s);
}

static void set_error(job_sink *s, const char *msg)
{
    if (!*s->err)
        snprintf(s->err, sizeof s->err, "%s", msg);
}

/* --- the pool side */

static void write_batch(void *arg)
{
    job_sink *s = arg;
    if (*s->err)
        return;
    if (!s->writer &&
        ss_object_put_begin(s->objects, s->key, &s->writer, s->err, sizeof s->err) != SS_OBJECT_OK)
        return;
    if (s->nhead < FLAC_HEAD_BYTES) {
        size_t n = s->nbatch < FLAC_HEAD_BYTES - s->nhead ? s->nbatch : FLAC_HEAD_BYTES - s->nhead;
        memcpy(s->head + s->nhead, s->batch, n);
        s->nhead += n;
    }
    if (ss_object_put_write(s->writer, s->batch, s->nbatch, s->err, sizeof s->err) == SS_OBJECT_OK)
        s->bytes += s->nbatch;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A streamed WAV's header says "length unknown"; the object is a file whose
 * length is known now. Past 4 GiB the sizes stay unknown. */
static void fix_wav_header(job_sink *s)
{
    if (s->format != SS_FMT_WAV || s->bytes < WAV_HEADER_BYTES || s->bytes - 8 > UINT32_MAX)
        return;
    uint8_t riff[4], data[4];
    put_le32(riff, (uint32_t)(s->bytes - 8));
    put_le32(data, (uint32_t)(s->bytes - WAV_HEADER_BYTES));
    if (ss_object_put_rewrite(s->writer, 4, riff, 4, s->err, sizeof s->err) == SS_OBJECT_OK)
        ss_object_put_rewrite(s->writer, 40, data, 4, s->err, sizeof s->err);
}

/* A streamed FLAC's STREAMINFO says "total samples unknown" (0): the
 * stored file's count is known now (36 bits; the MD5 stays 0, "not
 * computed", which decoders accept). Only a stream that opens with
 * STREAMINFO, as the encoder writes it, is touched. */
static void fix_flac_streaminfo(job_sink *s)
{
    if (s->format != SS_FMT_FLAC || s->nhead < FLAC_HEAD_BYTES || memcmp(s->head, "fLaC", 4) != 0 ||
        (s->head[4] & 0x7f) != 0 || s->samples_out >> 36)
        return;
    uint8_t total[5] = {(uint8_t)((s->head[21] & 0xf0) | ((s->samples_out >> 32) & 0x0f)),
                        (uint8_t)(s->samples_out >> 24), (uint8_t)(s->samples_out >> 16),
                        (uint8_t)(s->samples_out >> 8), (uint8_t)s->samples_out};
    ss_object_put_rewrite(s->writer, 21, total, sizeof total, s->err, sizeof s->err);
}

static void commit(void *arg)
{
    job_sink *s = arg;
    if (!*s->err && !s->writer)
        ss_object_put_begin(s->objects, s->key, &s->writer, s->err, sizeof s->err); /* no bytes at all */
    if (!*s->err)
        fix_wav_header(s);
    if (!*s->err)
        fix_flac_streaminfo(s);
    if (*s->err) {
        ss_object_put_abort(s->writer);
    } else {
        ss_object_put_commit(s->writer, &s->info, s->err, sizeof s->err);
    }
    s->writer = NULL;
}

static void drop(void *arg)
{
    job_sink *s = arg;
    ss_object_put_abort(s->writer);
    s->writer = NULL;
}

/* --- the loop side */

static void freed_after_drop(void *arg)
{
    sink_free(arg);
}

static void committed(void *arg)
{
    job_sink *s = arg;
    s->committing = false;
    if (s->ev.on_done) /* NULL: aborted while committing */
        s->ev.on_done(s->user, *s->err ? 0 : s->info.size, s->samples_out, *s->err ? s->err : NULL);
    sink_free(s);
}

static void pump(job_sink *s);

static void batch_written(void *arg)
{
    job_sink *s = arg;
    s->writing = false;
    s->nbatch = 0;
    if (s->aborting && !s->committing) {
        if (ss_loop_pool_submit(s->pool, drop, freed_after_drop, s) != 0) {
            drop(s);
            sink_free(s);
        }
        return;
    }
    pump(s);
}

static void notify_drained(job_sink *s)
{
    if (s->was_full && !job_sink_full(s)) {
        s->was_full = false;
        if (s->ev.on_drained)
            s->ev.on_drained(s->user);
    }
}

/* Hands the gathered bytes to the writer, or commits once everything is
 * written. */
static void pump(job_sink *s)
{
    if (s->writing || s->committing || s->aborting) /* aborting: the drop job owns the writer */
        return;
    if (s->npending > 0 && !*s->err) {
        free(s->batch); /* the previous batch is written */
        s->batch = s->pending;
        s->nbatch = s->npending;
        s->pending = NULL;
        s->npending = s->cap = 0;
        s->writing = true;
        if (ss_loop_pool_submit(s->pool, write_batch, batch_written, s) != 0) {
            s->writing = false;
            set_error(s, "out of memory");
        }
        notify_drained(s);
        return;
    }
    if (s->finishing && (s->lane_finished || *s->err)) {
        s->committing = true;
        if (ss_loop_pool_submit(s->pool, commit, committed, s) != 0) {
            set_error(s, "out of memory");
            commit(s);
            committed(s);
        }
    }
}

static void on_lane_bytes(void *user, const uint8_t *data, size_t len)
{
    job_sink *s = user;
    if (s->aborting)
        return;
    if (len > 0 && !*s->err) {
        if (s->npending + len > s->cap) {
            size_t cap = s->cap ? s->cap : 65536;
            while (cap < s->npending + len)
                cap *= 2;
            uint8_t *g = realloc(s->pending, cap);
            if (!g) {
                set_error(s, "out of memory");
                return;
            }
            s->pending = g;
            s->cap = cap;
        }
        memcpy(s->pending + s->npending, data, len);
        s->npending += len;
    }
    pump(s);
    notify_drained(s);
}

static void on_lane_finished(void *user, uint64_t samples_out)
{
    job_sink *s = user;
    s->samples_out = samples_out;
    s->lane_finished = true;
    pump(s);
}

static void on_lane_error(void *user, const char *message)
{
    job_sink *s = user;
    set_error(s, message);
    s->lane_finished = true;
    pump(s);
}

job_sink *job_sink_new(ss_loop_pool *pool, ss_object_store *objects, const char *key, ss_audio_format f,
                       int in_rate, int out_rate, const job_sink_events *ev, void *user, char *err,
                       size_t errlen)
{
    job_sink *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->pool = pool;
    s->objects = objects;
    snprintf(s->key, sizeof s->key, "%s", key);
    s->format = f;
    s->in_rate = in_rate;
    s->ev = *ev;
    s->user = user;
    static const gw_audio_lane_events lane_ev = {on_lane_bytes, on_lane_finished, on_lane_error};
    gw_audio_lane_spec spec = {.format = f, .in_rate = in_rate, .out_rate = out_rate, .stream = true};
    s->lane = gw_audio_lane_new(pool, &spec, &lane_ev, s);
    if (!s->lane) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return s;
}

int job_sink_write(job_sink *s, const int16_t *pcm, size_t n)
{
    if (*s->err || s->finishing)
        return -1;
    if (gw_audio_lane_write(s->lane, pcm, n) != 0) {
        set_error(s, "out of memory");
        return -1;
    }
    if (job_sink_full(s))
        s->was_full = true;
    return 0;
}

bool job_sink_full(const job_sink *s)
{
    return s->npending + s->nbatch > PENDING_HIGH ||
           gw_audio_lane_backlog(s->lane) > (size_t)s->in_rate * BACKLOG_SECONDS_HIGH;
}

void job_sink_finish(job_sink *s)
{
    s->finishing = true;
    if (!*s->err && gw_audio_lane_finish(s->lane) != 0)
        set_error(s, "out of memory");
    if (*s->err)
        s->lane_finished = true;
    pump(s);
}

void job_sink_abort(job_sink *s)
{
    if (!s)
        return;
    s->aborting = true;
    if (s->writing || s->committing) {
        /* committing cannot be aborted: the object stays and the caller's
         * attempt is refused by the job's state (the sweeper removes it) */
        if (s->committing)
            s->ev.on_done = NULL;
        return;
    }
    if (ss_loop_pool_submit(s->pool, drop, freed_after_drop, s) != 0) {
        drop(s);
        sink_free(s);
    }
}
