/* Unit tests for gateway/audio_lane: PCM written on the loop comes back as
 * encoded bytes, in order and complete, from the audio threads; a lane freed
 * with a job in flight calls nothing back. */
#include "gateway/audio_lane.h"

#include <criterion/criterion.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    uint8_t *bytes;
    size_t len;
    int batches;
    bool finished, failed;
    uint64_t samples_out;
} sink;

static void on_bytes(void *user, const uint8_t *data, size_t len)
{
    sink *s = user;
    s->batches++;
    s->bytes = realloc(s->bytes, s->len + len + 1);
    if (len) /* an empty batch may come as (NULL, 0) */
        memcpy(s->bytes + s->len, data, len);
    s->len += len;
}

static void on_finished(void *user, uint64_t samples_out)
{
    sink *s = user;
    s->finished = true;
    s->samples_out = samples_out;
}

static void on_error(void *user, const char *message)
{
    (void)message;
    ((sink *)user)->failed = true;
}

static const gw_audio_lane_events EV = {on_bytes, on_finished, on_error};

static void run_until(struct event_base *base, const bool *flag)
{
    for (int spins = 0; !*flag && spins < 5000; spins++) {
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

Test(audio_lane, pcm_comes_back_whole_and_in_order)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *pool = ss_loop_pool_new(base, 2, err, sizeof err);
    cr_assert_not_null(pool, "%s", err);
    sink s = {0};
    gw_audio_lane_spec spec = {.format = SS_FMT_PCM, .in_rate = 16000, .out_rate = 16000, .stream = true};
    gw_audio_lane *l = gw_audio_lane_new(pool, &spec, &EV, &s);
    cr_assert_not_null(l);
    int16_t chunk[1000];
    for (int k = 0; k < 20; k++) { /* a ramp: order is visible in the bytes */
        for (int i = 0; i < 1000; i++)
            chunk[i] = (int16_t)(k * 1000 + i);
        cr_assert_eq(gw_audio_lane_write(l, chunk, 1000), 0);
        if (k % 5 == 0)
            event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    cr_assert_eq(gw_audio_lane_finish(l), 0);
    run_until(base, &s.finished);
    cr_assert(s.finished && !s.failed);
    cr_assert_eq(s.len, 20000 * sizeof(int16_t));
    cr_assert_eq(s.samples_out, 20000);
    const int16_t *pcm = (const int16_t *)(const void *)s.bytes;
    for (int i = 0; i < 20000; i++)
        cr_assert_eq(pcm[i], (int16_t)i, "sample %d", i);
    cr_assert_eq(gw_audio_lane_backlog(l), 0);
    gw_audio_lane_free(l);
    ss_loop_pool_free(pool);
    event_base_free(base);
    free(s.bytes);
}

Test(audio_lane, freed_with_a_job_in_flight_calls_nothing_back)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *pool = ss_loop_pool_new(base, 1, err, sizeof err);
    cr_assert_not_null(pool, "%s", err);
    sink s = {0};
    gw_audio_lane_spec spec = {.format = SS_FMT_OPUS, .in_rate = 32000, .out_rate = 48000, .stream = true};
    gw_audio_lane *l = gw_audio_lane_new(pool, &spec, &EV, &s);
    static int16_t second[32000];
    cr_assert_eq(gw_audio_lane_write(l, second, 32000), 0);
    cr_assert_gt(gw_audio_lane_backlog(l), 0);
    gw_audio_lane_free(l);
    ss_loop_pool_free(pool); /* runs the job, then its done frees the lane */
    cr_assert_eq(s.batches, 0);
    cr_assert(!s.finished && !s.failed);
    event_base_free(base);
}

Test(audio_lane, an_encoder_that_cannot_start_reports_an_error)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *pool = ss_loop_pool_new(base, 1, err, sizeof err);
    sink s = {0};
    gw_audio_lane_spec spec = {.format = SS_FMT_OPUS, .in_rate = 32000, .out_rate = 44100, .stream = true};
    gw_audio_lane *l = gw_audio_lane_new(pool, &spec, &EV, &s);
    int16_t pcm[100] = {0};
    cr_assert_eq(gw_audio_lane_write(l, pcm, 100), 0);
    run_until(base, &s.failed);
    cr_assert(s.failed && !s.finished);
    cr_assert_eq(gw_audio_lane_write(l, pcm, 100), -1); /* ended */
    gw_audio_lane_free(l);
    ss_loop_pool_free(pool);
    event_base_free(base);
}

/* Everything one lane of spec gives for a 5 000-sample ramp written in five
 * pieces (n = 0: nothing written), in s. */
static void lane_output(const gw_audio_lane_spec *spec, size_t n, sink *s)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *pool = ss_loop_pool_new(base, 1, err, sizeof err);
    cr_assert_not_null(pool, "%s", err);
    gw_audio_lane *l = gw_audio_lane_new(pool, spec, &EV, s);
    cr_assert_not_null(l);
    int16_t ramp[5000];
    for (int i = 0; i < 5000; i++)
        ramp[i] = (int16_t)(i * 7 - 12000);
    for (size_t at = 0; at < n; at += n / 5) {
        cr_assert_eq(gw_audio_lane_write(l, ramp + at, n / 5), 0);
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    cr_assert_eq(gw_audio_lane_finish(l), 0);
    run_until(base, &s->finished);
    cr_assert(s->finished && !s->failed);
    gw_audio_lane_free(l);
    ss_loop_pool_free(pool);
    event_base_free(base);
}

/* The encoder's own bytes for the same ramp (file or stream mode). */
static uint8_t *encoder_output(ss_audio_format f, bool stream, size_t n, size_t *len)
{
    char err[128];
    ss_audio_encoder *e = stream ? ss_audio_encoder_new_stream(f, 24000, 24000, err, sizeof err)
                                 : ss_audio_encoder_new(f, 24000, 24000, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    int16_t ramp[5000];
    for (int i = 0; i < 5000; i++)
        ramp[i] = (int16_t)(i * 7 - 12000);
    cr_assert_eq(ss_audio_encoder_write(e, ramp, n, err, sizeof err), 0);
    cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0);
    const uint8_t *d = ss_audio_encoder_data(e, len);
    uint8_t *copy = malloc(*len + 1);
    memcpy(copy, d, *len);
    ss_audio_encoder_free(e);
    return copy;
}

/* PCM and streamed WAV at the node's rate pass the samples through without
 * an encoder: the bytes must be exactly what the encoder would have made,
 * header included, also for an answer of no samples; a WAV file (sizes at
 * the end) still goes through the encoder. */
Test(audio_lane, passed_through_audio_equals_the_encoders_bytes)
{
    struct { ss_audio_format f; bool stream; size_t n; } cases[] = {
        {SS_FMT_WAV, true, 5000}, {SS_FMT_WAV, true, 0}, {SS_FMT_PCM, true, 5000},
        {SS_FMT_PCM, false, 5000}, {SS_FMT_WAV, false, 5000}, {SS_FMT_WAV, false, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sink s = {0};
        gw_audio_lane_spec spec = {.format = cases[c].f, .in_rate = 24000, .out_rate = 24000,
                                   .stream = cases[c].stream};
        lane_output(&spec, cases[c].n, &s);
        size_t want_len = 0;
        uint8_t *want = encoder_output(cases[c].f, cases[c].stream, cases[c].n, &want_len);
        cr_assert_eq(s.len, want_len, "case %zu: %zu bytes, want %zu", c, s.len, want_len);
        cr_assert(s.len == 0 || memcmp(s.bytes, want, s.len) == 0, "case %zu: bytes differ", c);
        cr_assert_eq(s.samples_out, cases[c].n, "case %zu", c);
        free(want);
        free(s.bytes);
    }
}
