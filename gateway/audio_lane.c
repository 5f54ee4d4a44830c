/* Audio lanes (see audio_lane.h).
 *
 * State on the loop: `pending` (PCM not yet handed to a job), `job` (the one
 * batch on the pool, or NULL), `finish_asked` and `finish_sent` (the job that
 * carries the flush). A job owns its PCM batch and its output copy while it
 * runs; the encoder is touched only by the job in flight, so only one thread
 * at a time uses it. `freed` marks a lane whose owner let go while a job was
 * out: the job's return frees it. `dispatching` keeps a callback that frees
 * the lane from freeing it under our feet (the free is deferred to the end of
 * the dispatch). */
#include "gateway/audio_lane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lane_job {
    gw_audio_lane *lane;
    int16_t *pcm;
    size_t n;
    bool finish;
    uint8_t *out;          /* bytes the encoder made during this job */
    size_t out_len;
    uint64_t samples_out;
    bool failed;
    char err[256];
} lane_job;

struct gw_audio_lane {
    ss_loop_pool *pool;
    gw_audio_lane_spec spec;
    gw_audio_lane_events ev;
    void *user;
    ss_audio_encoder *enc;  /* created and used by jobs */
    int16_t *pending;
    size_t npending, cap;
    lane_job *job;
    bool finish_asked, finish_sent, ended, freed, dispatching;
    bool started;             /* pass-through: the first bytes went out */
    uint64_t samples_passed;  /* pass-through: samples handed over so far */
};

gw_audio_lane *gw_audio_lane_new(ss_loop_pool *pool, const gw_audio_lane_spec *spec,
                                 const gw_audio_lane_events *ev, void *user)
{
    gw_audio_lane *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->pool = pool;
    l->spec = *spec;
    l->ev = *ev;
    l->user = user;
    return l;
}

static void lane_release(gw_audio_lane *l)
{
    ss_audio_encoder_free(l->enc);
    free(l->pending);
    free(l);
}

static void job_free(lane_job *j)
{
    free(j->pcm);
    free(j->out);
    free(j);
}

/* PCM, and streamed WAV, at the node's rate on a little-endian host: the
 * node's samples already are the answer's bytes (s16le), so no encoder is
 * made and a job hands its PCM buffer over as its output, uncopied. The
 * first job of a WAV answer puts the stream header (sizes "unknown", as the
 * stream-mode encoder writes) before its samples, in one buffer. A WAV
 * answer made as a whole file needs its sizes at the end: it goes through
 * the encoder. */
static bool passes_through(const gw_audio_lane_spec *s)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return s->in_rate == s->out_rate && (s->format == SS_FMT_PCM || (s->format == SS_FMT_WAV && s->stream));
#else
    (void)s;
    return false;
#endif
}

/* Loop thread (a pass-through lane's jobs run there): the job's output is
 * its PCM, after the WAV header on the first. */
static void job_pass_through(lane_job *j)
{
    gw_audio_lane *l = j->lane;
    size_t bytes = j->n * sizeof *j->pcm;
    if (!l->started && l->spec.format == SS_FMT_WAV) {
        j->out = malloc(SS_AUDIO_WAV_HEADER_BYTES + bytes);
        if (!j->out) {
            snprintf(j->err, sizeof j->err, "out of memory (encoded audio)");
            j->failed = true;
            return;
        }
        ss_audio_wav_stream_header(j->out, l->spec.out_rate);
        if (bytes)
            memcpy(j->out + SS_AUDIO_WAV_HEADER_BYTES, j->pcm, bytes);
        j->out_len = SS_AUDIO_WAV_HEADER_BYTES + bytes;
    } else {
        j->out = (uint8_t *)j->pcm;
        j->pcm = NULL;
        j->out_len = bytes;
    }
    l->started = true;
    l->samples_passed += j->n;
    j->samples_out = l->samples_passed;
}

/* Pool thread: create the encoder once, encode the batch, copy its bytes. */
static void job_run(void *arg)
{
    lane_job *j = arg;
    gw_audio_lane *l = j->lane;
    const gw_audio_lane_spec *s = &l->spec;
    if (passes_through(s)) {
        job_pass_through(j);
        return;
    }
    if (!l->enc) {
        l->enc = s->stream ? ss_audio_encoder_new_stream(s->format, s->in_rate, s->out_rate, j->err,
                                                         sizeof j->err)
                           : ss_audio_encoder_new(s->format, s->in_rate, s->out_rate, j->err,
                                                  sizeof j->err);
        if (!l->enc) {
            j->failed = true;
            return;
        }
    }
    if ((j->n && ss_audio_encoder_write(l->enc, j->pcm, j->n, j->err, sizeof j->err) != 0) ||
        (j->finish && ss_audio_encoder_finish(l->enc, j->err, sizeof j->err) != 0)) {
        j->failed = true;
        return;
    }
    size_t len = 0;
    const uint8_t *data = ss_audio_encoder_data(l->enc, &len);
    if (len) {
        j->out = malloc(len);
        if (!j->out) {
            snprintf(j->err, sizeof j->err, "out of memory (encoded audio)");
            j->failed = true;
            return;
        }
        memcpy(j->out, data, len);
        j->out_len = len;
        ss_audio_encoder_consume(l->enc, len);
    }
    j->samples_out = ss_audio_encoder_samples_out(l->enc);
}

static int lane_kick(gw_audio_lane *l);

/* Loop thread: hand the job's bytes to the owner, then start the next one. */
static void job_done(void *arg)
{
    lane_job *j = arg;
    gw_audio_lane *l = j->lane;
    l->job = NULL;
    if (l->freed) {
        job_free(j);
        lane_release(l);
        return;
    }
    l->dispatching = true;
    if (j->failed) {
        l->ended = true;
        l->ev.on_error(l->user, j->err);
    } else {
        l->ev.on_bytes(l->user, j->out, j->out_len); /* also empty: the backlog shrank */
        if (j->finish && !l->freed) {
            l->ended = true;
            l->ev.on_finished(l->user, j->samples_out);
        }
    }
    l->dispatching = false;
    job_free(j);
    if (l->freed) {
        lane_release(l);
        return;
    }
    if (lane_kick(l) != 0) {
        l->dispatching = true;
        l->ev.on_error(l->user, "out of memory (audio job)");
        l->dispatching = false;
        if (l->freed)
            lane_release(l);
    }
}

/* PCM or WAV at the node's own rate: the "encoding" is at most a copy (and
 * a 44-byte header; none at all when it passes through), cheaper than the
 * two thread switches of a pool job, so it runs on the loop
 * (ss_loop_pool_run_here). Everything that computes — resampling,
 * compression — goes to the audio threads. */
static bool identity(const gw_audio_lane_spec *s)
{
    return s->in_rate == s->out_rate && (s->format == SS_FMT_PCM || s->format == SS_FMT_WAV);
}

/* Starts a job when none is out and there is PCM or a flush to send.
 * -1 when out of memory: the lane has ended (the caller reports it). */
static int lane_kick(gw_audio_lane *l)
{
    if (l->job || l->ended || l->freed)
        return 0;
    bool finish = l->finish_asked && !l->finish_sent;
    if (!l->npending && !finish)
        return 0;
    lane_job *j = calloc(1, sizeof *j);
    if (!j) {
        l->ended = true;
        return -1;
    }
    j->lane = l;
    j->pcm = l->pending; /* the job takes the buffer; the next write makes a new one */
    j->n = l->npending;
    j->finish = finish;
    l->pending = NULL;
    l->npending = l->cap = 0;
    if ((identity(&l->spec) ? ss_loop_pool_run_here(l->pool, job_run, job_done, j)
                            : ss_loop_pool_submit(l->pool, job_run, job_done, j)) != 0) {
        job_free(j);
        l->ended = true;
        return -1;
    }
    l->job = j;
    if (finish)
        l->finish_sent = true;
    return 0;
}

int gw_audio_lane_write(gw_audio_lane *l, const int16_t *pcm, size_t n)
{
    if (l->ended)
        return l->finish_sent ? 0 : -1;
    if (l->finish_asked || !n)
        return 0;
    if (l->npending + n > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->npending + n)
            cap *= 2;
        int16_t *g = realloc(l->pending, cap * sizeof *g);
        if (!g)
            return -1;
        l->pending = g;
        l->cap = cap;
    }
    memcpy(l->pending + l->npending, pcm, n * sizeof *pcm);
    l->npending += n;
    return lane_kick(l);
}

int gw_audio_lane_finish(gw_audio_lane *l)
{
    if (l->finish_asked)
        return l->ended && !l->finish_sent ? -1 : 0;
    l->finish_asked = true;
    return lane_kick(l);
}

size_t gw_audio_lane_backlog(const gw_audio_lane *l)
{
    return l->npending + (l->job ? l->job->n : 0);
}

void gw_audio_lane_free(gw_audio_lane *l)
{
    if (!l || l->freed)
        return;
    l->freed = true;
    if (!l->job && !l->dispatching)
        lane_release(l);
}
