/* Unit tests for node/hts_node_engine, the HTS engine with voices: the
 * reference protocol on a real engine. A reference is made in the test by
 * the engine itself with a known change (7 semitones down); synthesis toward
 * it moves the output's F0 there; the second call hits the cache; EvictVoice
 * makes the node ask for the bytes again; unusable clips are INVALID with
 * "analysis_failed: REASON"; design parameters move F0. */
#include "common/api_keys.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/pitch_tracker.h"
#include "node/hts_node_engine.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

typedef struct {
    int16_t *pcm;
    size_t n;
    size_t chunks, lasts, after_last; /* chunks marked last; chunks after one */
} collected;

static int on_audio(void *user, const int16_t *pcm, size_t n, uint64_t start, bool last)
{
    collected *c = user;
    (void)start;
    c->chunks++;
    c->after_last += c->lasts > 0;
    c->lasts += last;
    c->pcm = realloc(c->pcm, (c->n + n) * sizeof *c->pcm);
    memcpy(c->pcm + c->n, pcm, n * sizeof *pcm);
    c->n += n;
    return 0;
}
static int on_align(void *u, const ss_word_timing *w, size_t nw, const ss_phoneme_timing *p, size_t np)
{
    (void)u, (void)w, (void)nw, (void)p, (void)np;
    return 0;
}
static bool never(void *u)
{
    (void)u;
    return false;
}

static double gmean_f0(const collected *c)
{
    float *x = malloc(c->n * sizeof *x);
    for (size_t i = 0; i < c->n; i++)
        x[i] = c->pcm[i] / 32768.0f;
    ss_pitch_options o;
    ss_pitch_options_default(&o);
    ss_pitch_track t;
    char err[128];
    cr_assert_eq(ss_pitch_track_compute(x, c->n, 32000, &o, &t, err, sizeof err), 0);
    double s = 0;
    size_t k = 0;
    for (size_t f = 0; f < t.nframes; f++)
        if (t.f0[f] > 0) {
            s += log(t.f0[f]);
            k++;
        }
    ss_pitch_track_free(&t);
    free(x);
    cr_assert(k > 50);
    return exp(s / (double)k);
}

/* WAV bytes of text spoken by the base voice 7 semitones down. */
static uint8_t *make_reference(size_t *len)
{
    char err[256];
    ss_voice *base = ss_voice_load(VOICE, err, sizeof err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    cr_assert(base && fe);
    ss_conditioning k;
    ss_conditioning_identity(&k, log(170.0), 0.45);
    k.lf0_shift = -7 * log(2.0) / 12;
    ss_voice *v = ss_conditioned_voice_new(base, &k, NULL, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    float *pcm;
    size_t n;
    const char *text = "When the sunlight strikes raindrops in the air, they act as a prism and form a "
                       "rainbow. The rainbow is a division of white light into many beautiful colors. "
                       "People look, but no one ever finds it.";
    cr_assert_eq(ss_model_speak(v, fe, text, 1.0, &pcm, &n, err, sizeof err), 0, "%s", err);
    char path[] = "/tmp/ss_clone_ref_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    SF_INFO info = {.samplerate = 32000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    sf_writef_float(sf, pcm, (sf_count_t)n);
    sf_close(sf);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*len);
    cr_assert_eq(fread(d, 1, *len, f), *len);
    fclose(f);
    unlink(path);
    free(pcm);
    ss_conditioned_voice_free(v);
    ss_frontend_free(fe);
    ss_voice_free(base);
    return d;
}

static ss_node_synth_status run(ss_node_engine *e, ss_node_synth_request *req, collected *out, char *err)
{
    ss_node_synth_sink sink = {out, on_audio, on_align, never};
    out->n = out->chunks = out->lasts = out->after_last = 0;
    return e->synthesize(e, req, &sink, err, 256);
}

Test(hts_node_engine, reference_protocol_conditions_and_caches, .timeout = 60)
{
    char err[256];
    ss_node_engine *e = ss_hts_node_engine_new(VOICE, "cpu", err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    ss_voice_cache *cache = ss_voice_cache_new();
    ss_node_synth_request req = {.request_id = "req_clone", .text = "Glue the sheet to the dark blue "
                                 "background. The birch canoe slid on the smooth planks.",
                                 .voice_id = "", .reference_sha256 = "", .speed = 1.0f, .chunk_ms = 200,
                                 .voices = cache};
    collected base = {0}, cloned = {0};
    cr_assert_eq(run(e, &req, &base, err), SS_NODE_SYNTH_OK, "%s", err);

    size_t len;
    uint8_t *ref = make_reference(&len);
    char d1[65];
    ss_sha256_hex((const char *)ref, len, d1);
    req.voice_id = "vc_low";
    req.reference_sha256 = d1;
    cr_assert_eq(run(e, &req, &cloned, err), SS_NODE_SYNTH_REFERENCE_REQUIRED);
    /* bytes that are not the digest's: refused, nothing cached */
    req.reference_audio = ref;
    req.reference_audio_len = len - 2;
    cr_assert_eq(run(e, &req, &cloned, err), SS_NODE_SYNTH_INVALID);
    cr_assert(strstr(err, "reference_sha256 does not match"), "%s", err);
    cr_assert_eq(ss_voice_cache_count(cache), 0);
    req.reference_audio_len = len;
    cr_assert_eq(run(e, &req, &cloned, err), SS_NODE_SYNTH_OK, "%s", err);
    double moved = 12 * log2(gmean_f0(&cloned) / gmean_f0(&base));
    cr_assert(fabs(moved + 7.0) < 1.0, "F0 moved %.2f st toward a reference 7 st down", moved);
    cr_assert_eq(ss_voice_cache_count(cache), 1);
    cr_assert(ss_voice_cache_bytes(cache) > 100000);

    req.reference_audio = NULL; /* cached now: no bytes needed */
    req.reference_audio_len = 0;
    collected again = {0};
    cr_assert_eq(run(e, &req, &again, err), SS_NODE_SYNTH_OK, "%s", err);
    cr_assert_eq(again.n, cloned.n);
    cr_assert_eq(memcmp(again.pcm, cloned.pcm, again.n * sizeof *again.pcm), 0);
    cr_assert(ss_voice_cache_evict(cache, "vc_low"));
    cr_assert_eq(run(e, &req, &again, err), SS_NODE_SYNTH_REFERENCE_REQUIRED);

    /* unusable clips */
    const char *text = "not audio at all, a text file named ref.wav";
    char d2[65];
    ss_sha256_hex(text, strlen(text), d2);
    req.reference_sha256 = d2;
    req.reference_audio = (const uint8_t *)text;
    req.reference_audio_len = strlen(text);
    cr_assert_eq(run(e, &req, &again, err), SS_NODE_SYNTH_INVALID);
    cr_assert(strstr(err, "analysis_failed: unreadable"), "%s", err);
    req.reference_audio = ref;
    req.reference_audio_len = 44 + 2 * 32000 / 2; /* header + 0.5 s, header says more */
    char d3[65];
    ss_sha256_hex((const char *)ref, req.reference_audio_len, d3);
    req.reference_sha256 = d3;
    cr_assert_eq(run(e, &req, &again, err), SS_NODE_SYNTH_INVALID);
    cr_assert(strstr(err, "analysis_failed: truncated"), "%s", err);
    cr_assert_eq(ss_voice_cache_count(cache), 0);

    /* design parameters */
    req.voice_id = "";
    req.reference_sha256 = "";
    req.reference_audio = NULL;
    req.reference_audio_len = 0;
    req.has_design = true;
    req.design.f0_shift_semitones = 4;
    collected designed = {0};
    cr_assert_eq(run(e, &req, &designed, err), SS_NODE_SYNTH_OK, "%s", err);
    moved = 12 * log2(gmean_f0(&designed) / gmean_f0(&base));
    cr_assert(fabs(moved - 4.0) < 0.7, "design moved F0 %.2f st", moved);
    req.design.rate_scale = NAN;
    cr_assert_eq(run(e, &req, &designed, err), SS_NODE_SYNTH_INVALID);

    free(ref);
    free(base.pcm), free(cloned.pcm), free(again.pcm), free(designed.pcm);
    ss_voice_cache_free(cache);
    e->destroy(e);
}

/* The call's last audio is marked (the node writes it to leave with the end
 * of the call): once, on the last chunk, for one sentence and for several. */
Test(hts_node_engine, the_last_chunk_is_marked, .timeout = 60)
{
    char err[256];
    ss_node_engine *e = ss_hts_node_engine_new(VOICE, "cpu", err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    ss_voice_cache *cache = ss_voice_cache_new();
    const char *texts[] = {"The birch canoe slid on the smooth planks.",
                           "Glue the sheet to the dark blue background. It is easy to tell the depth "
                           "of a well. These days a chicken leg is a rare dish.",
                           "<speak>Rice is often served in round bowls.<break time=\"200ms\"/>"
                           "The juice of lemons makes fine punch.</speak>"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        ss_node_synth_request req = {.request_id = "req_last", .text = texts[i], .voice_id = "",
                                     .reference_sha256 = "", .speed = 1.0f, .chunk_ms = 200,
                                     .voices = cache};
        collected c = {0};
        cr_assert_eq(run(e, &req, &c, err), SS_NODE_SYNTH_OK, "%s", err);
        cr_assert_geq(c.chunks, i == 0 ? 1 : 2, "text %zu: %zu chunks", i, c.chunks);
        cr_assert_eq(c.lasts, 1, "text %zu: %zu chunks marked last", i, c.lasts);
        cr_assert_eq(c.after_last, 0, "text %zu: audio after the last chunk", i);
        free(c.pcm);
    }
    ss_voice_cache_free(cache);
    e->destroy(e);
}
