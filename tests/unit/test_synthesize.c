/* Unit tests for node/engine/synth/synthesize (ss_synthesize, the pipeline
 * over labels): one voice shared by several threads gives the same audio as
 * a single thread; streaming callbacks and the cancel flag stop it; a
 * streamed call's first chunk is its first SS_ENGINE_FIRST_CHUNK_MS, handed
 * over before the rest of the phrase, with the one-shot samples; resampled
 * rates have the expected length; per-label prosody moves pauses and word
 * lengths; bad labels and options are refused with clear messages. */
#include "node/engine/engine.h"

#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

#include "tests/unit/hello_labels.h"


typedef struct {
    const ss_voice *v;
    ss_synth_result r;
    int rc;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    ss_synth_options o;
    ss_synth_options_init(&o);
    o.stream = 1;
    char err[256];
    j->rc = ss_synthesize(j->v, LABELS, NLAB, &o, NULL, NULL, &j->r, err, sizeof err);
    return NULL;
}

Test(synthesize, shared_voice_across_threads)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].v = v;
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(jobs[i].rc, 0);
        cr_assert_eq(jobs[i].r.nsamples, jobs[0].r.nsamples, "job %d: %zu vs %zu samples, %zu vs %zu frames", i, jobs[i].r.nsamples, jobs[0].r.nsamples, jobs[i].r.nframes, jobs[0].r.nframes);
        cr_assert_eq(memcmp(jobs[i].r.samples, jobs[0].r.samples, jobs[0].r.nsamples * sizeof(float)), 0);
        cr_assert_eq(jobs[i].r.nchunks, 2, "one interior pause -> two chunks");
    }
    for (int i = 0; i < 4; i++)
        ss_synth_result_free(&jobs[i].r);
    ss_voice_free(v);
}

typedef struct {
    atomic_int *flag;
    int calls;
    int stop_by_return;
} canceller;

static int on_chunk(void *user, const ss_audio_chunk *ch)
{
    canceller *c = user;
    c->calls++;
    cr_assert_gt(ch->nsamples, 0);
    if (c->flag)
        atomic_store(c->flag, 1);
    return c->stop_by_return;
}

Test(synthesize, cancel_mid_stream)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_synth_options o;
    ss_synth_options_init(&o);
    o.stream = 1;
    ss_synth_result r;
    canceller c = {.stop_by_return = 1};
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, on_chunk, &c, &r, err, sizeof err), SS_SYNTH_CANCELLED);
    cr_assert_eq(c.calls, 1);
    ss_synth_result_free(&r);
    atomic_int flag = 0;
    canceller c2 = {.flag = &flag};
    o.cancel = &flag;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, on_chunk, &c2, &r, err, sizeof err), SS_SYNTH_CANCELLED);
    cr_assert_eq(c2.calls, 1, "flag raised in the first chunk stops before the second");
    ss_synth_result_free(&r);
    ss_voice_free(v);
}

/* Every chunk of a streamed call, concatenated. */
typedef struct {
    float *s;
    size_t n, cap, chunks, first;
} collected;

static int collect(void *user, const ss_audio_chunk *ch)
{
    collected *c = user;
    cr_assert_eq(ch->index, c->chunks, "chunks are numbered in order");
    cr_assert_eq(ch->first_sample, c->n);
    if (c->n + ch->nsamples > c->cap) {
        c->cap = 2 * (c->n + ch->nsamples);
        c->s = realloc(c->s, c->cap * sizeof(float));
        cr_assert_not_null(c->s);
    }
    memcpy(c->s + c->n, ch->samples, ch->nsamples * sizeof(float));
    if (c->chunks++ == 0)
        c->first = ch->nsamples;
    c->n += ch->nsamples;
    return 0;
}

Test(synthesize, first_chunk_is_the_first_50_ms_and_the_samples_do_not_change)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    const int rates[] = {32000, 24000};
    for (size_t i = 0; i < 2; i++) {
        ss_synth_options o;
        ss_synth_options_init(&o);
        o.sample_rate = rates[i];
        ss_synth_result one, st;
        cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &one, err, sizeof err), 0, "%s", err);
        o.stream = 1;
        o.keep_audio = 0;
        collected c = {0};
        cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, collect, &c, &st, err, sizeof err), 0, "%s", err);
        const size_t want = (size_t)(rates[i] * SS_ENGINE_FIRST_CHUNK_MS / 1000.0);
        /* 32 kHz: exactly the first frames; 24 kHz: less the resampler's delay */
        cr_assert(c.first > want / 2 && c.first <= want, "rate %d: first chunk %zu samples, want <= %zu", rates[i],
                  c.first, want);
        cr_assert_gt(c.chunks, 1);
        cr_assert_eq(st.nchunks, c.chunks);
        cr_assert_eq(c.n, one.nsamples, "rate %d: streamed %zu samples, one-shot %zu", rates[i], c.n, one.nsamples);
        cr_assert_eq(memcmp(c.s, one.samples, c.n * sizeof(float)), 0, "rate %d: streamed samples differ", rates[i]);
        free(c.s);
        ss_synth_result_free(&one);
        ss_synth_result_free(&st);
    }
    ss_voice_free(v);
}

Test(synthesize, resampled_rates_have_expected_length)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    const int rates[] = {8000, 22050, 48000};
    ss_synth_options o;
    ss_synth_result r32, r;
    ss_synth_options_init(&o);
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &r32, err, sizeof err), 0);
    for (size_t i = 0; i < 3; i++) {
        o.sample_rate = rates[i];
        cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &r, err, sizeof err), 0, "%s", err);
        double expect = (double)r32.nsamples * rates[i] / 32000.0;
        cr_assert(fabs((double)r.nsamples - expect) <= 2.0, "rate %d: %zu samples, expected %.1f", rates[i],
                  r.nsamples, expect);
        ss_synth_result_free(&r);
    }
    ss_synth_result_free(&r32);
    ss_voice_free(v);
}

Test(synthesize, per_label_prosody)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_synth_options o;
    ss_synth_options_init(&o);
    ss_synth_result base, r;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &base, err, sizeof err), 0);
    ss_label_prosody pr[NLAB];
    memset(pr, 0, sizeof pr);
    pr[5].pause_ms = 700;                   /* the interior pause */
    for (int i = 6; i <= 9; i++)
        pr[i].rate = 2.0;                    /* second "hello" twice as fast */
    o.prosody = pr;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &r, err, sizeof err), 0, "%s", err);
    double pause = r.phones[5].end_ms - r.phones[5].start_ms;
    cr_assert(fabs(pause - 700.0) <= 5.0, "pause lasts %.1f ms", pause);
    double w_base = base.words[1].end_ms - base.words[1].start_ms;
    double w_fast = r.words[1].end_ms - r.words[1].start_ms;
    cr_assert(w_fast < 0.6 * w_base && w_fast > 0.4 * w_base, "fast word %.1f vs %.1f ms", w_fast, w_base);
    double w0 = base.words[0].end_ms - base.words[0].start_ms, w0r = r.words[0].end_ms - r.words[0].start_ms;
    cr_assert_float_eq(w0, w0r, 1e-9, "untouched word keeps its length");
    ss_synth_result_free(&r);
    pr[2].pitch = 30.0;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "prosody") != NULL);
    ss_synth_result_free(&r);
    pr[2].pitch = 0.0;
    pr[3].rate = 0.1;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    ss_synth_result_free(&base);
    ss_voice_free(v);
}

/* One word, "hello", between pauses. */
static const char *HELLO[] = {
    "x^x-pau+hh=ax@x_x/A:0_0_0/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:1+0+2/D:0_0/E:x+x@x+x&x+x#x+x/F:content_2/G:0_0/H:x=x@1=1|0/I:2=1/J:2+1-1",
    "x^pau-hh+ax=l@1_2/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "pau^hh-ax+l=ow@2_1/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "hh^ax-l+ow=pau@1_2/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "ax^l-ow+pau=x@2_1/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "l^ow-pau+x=x@x_x/A:0_0_1/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:0+0+0/D:content_2/E:x+x@x+x&x+x#x+x/F:0_0/G:2_1/H:x=x@1=1|0/I:0=0/J:2+1-1",
};

Test(synthesize, synthesize_and_reject_bad_labels)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_synth_options o;
    ss_synth_options_init(&o);
    ss_synth_result r;
    size_t n = sizeof HELLO / sizeof HELLO[0];
    cr_assert_eq(ss_synthesize(v, HELLO, n, &o, NULL, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_assert_gt(r.nsamples, 1000);
    cr_assert_eq(r.nsamples, r.nframes * 160);
    cr_assert_eq(r.nphones, n);
    cr_assert_str_eq(r.phones[0].phone, "pau");
    cr_assert_str_eq(r.phones[2].phone, "ax");
    cr_assert_eq(r.nwords, 1, "one word 'hello' (got %zu)", r.nwords);
    cr_assert_eq(r.words[0].first_phone, 1);
    cr_assert_eq(r.words[0].last_phone, 4);
    cr_assert_float_eq(r.words[0].start_ms, r.phones[1].start_ms, 1e-9);
    ss_synth_result_free(&r);

    cr_assert_eq(ss_synthesize(v, HELLO, 0, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    const char *with_null[] = {HELLO[0], NULL};
    cr_assert_eq(ss_synthesize(v, with_null, 2, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    const char *bad[] = {"1 2 3 4 5"};
    cr_assert_eq(ss_synthesize(v, bad, 1, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    const char **many = malloc((SS_SYNTH_MAX_LABELS + 1) * sizeof *many);
    for (size_t i = 0; i <= SS_SYNTH_MAX_LABELS; i++)
        many[i] = HELLO[1];
    cr_assert_eq(ss_synthesize(v, many, SS_SYNTH_MAX_LABELS + 1, &o, NULL, NULL, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "too many labels") != NULL);
    ss_synth_result_free(&r);
    free(many);
    o.speed = 0;
    cr_assert_eq(ss_synthesize(v, HELLO, n, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);

    /* cancellation flag set before the first chunk */
    ss_synth_options_init(&o);
    atomic_int cancel = 1;
    o.cancel = &cancel;
    cr_assert_eq(ss_synthesize(v, HELLO, n, &o, NULL, NULL, &r, err, sizeof err), SS_SYNTH_CANCELLED);
    ss_synth_result_free(&r);
    ss_voice_free(v);
}
