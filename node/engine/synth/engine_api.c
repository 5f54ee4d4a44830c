/* Engine API plumbing: voice handle, options and their validation, result
 * lifetime, sample conversion. The synthesis pipeline itself is in
 * synth_stream.c. */
#include "node/engine/engine.h"

#include "node/engine/acoustic/htsvoice_prepared.h"
#include "node/engine/synth/engine_voice.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ss_voice *ss_voice_load(const char *path, char *err, size_t errlen)
{
    char note[8];
    return ss_voice_load_cached(path, NULL, note, sizeof note, err, errlen);
}

ss_voice *ss_voice_load_cached(const char *path, const char *cache_dir, char *note, size_t notelen,
                               char *err, size_t errlen)
{
    if (notelen)
        note[0] = '\0';
    if (!path || !*path) {
        snprintf(err, errlen, "no voice path given");
        return NULL;
    }
    ss_voice *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v->hts = ss_htsvoice_load_cached(path, cache_dir, note, notelen, err, errlen);
    if (!v->hts) {
        free(v);
        return NULL;
    }
    int lf0 = -1, mcp = -1;
    for (int s = 0; s < v->hts->nstreams; s++) {
        if (v->hts->streams[s].is_msd && lf0 < 0)
            lf0 = s;
        else if (!v->hts->streams[s].is_msd && mcp < 0)
            mcp = s;
    }
    if (lf0 < 0 || mcp < 0 || v->hts->streams[lf0].vector_length != 1 ||
        v->hts->streams[mcp].vector_length - 1 > SS_MLSA_MAX_ORDER || v->hts->streams[mcp].vector_length < 3) {
        snprintf(err, errlen, "%s: voice needs a mel-cepstrum stream (order 2..%d) and a multi-space log-F0 stream",
                 path, SS_MLSA_MAX_ORDER);
        ss_htsvoice_free(v->hts);
        free(v);
        return NULL;
    }
    return v;
}

void ss_voice_free(ss_voice *v)
{
    if (!v)
        return;
    ss_htsvoice_free(v->hts);
    free(v);
}

int ss_voice_native_rate(const ss_voice *v)
{
    return v->hts->sample_rate;
}

double ss_voice_frame_ms(const ss_voice *v)
{
    return 1000.0 * v->hts->frame_period / v->hts->sample_rate;
}

void ss_synth_options_init(ss_synth_options *o)
{
    memset(o, 0, sizeof *o);
    o->speed = 1.0;
    o->pitch = 0.0;
    o->sample_rate = 32000;
    o->stream = 0;
    o->keep_audio = 1;
    o->first_chunk_ms = SS_ENGINE_FIRST_CHUNK_MS;
}

int ss_synth_options_validate(const ss_synth_options *o, char *err, size_t errlen)
{
    if (!o) {
        snprintf(err, errlen, "no options");
        return -1;
    }
    char why[64];
    if (!ss_engine_speed_ok(o->speed, why, sizeof why)) {
        snprintf(err, errlen, "speed %s (got %g)", why, o->speed);
        return -1;
    }
    if (!ss_pitch_ok(o->pitch, why, sizeof why)) {
        snprintf(err, errlen, "pitch %s (got %g)", why, o->pitch);
        return -1;
    }
    if (!ss_vocoder_rate_supported(o->sample_rate)) {
        snprintf(err, errlen, "unsupported sample rate %d (use 8000, 16000, 22050, 24000, 32000, 44100 or 48000)", o->sample_rate);
        return -1;
    }
    if (!(o->first_chunk_ms >= 0 && o->first_chunk_ms <= 10000)) {
        snprintf(err, errlen, "first_chunk_ms must be 0..10000 (got %g)", o->first_chunk_ms);
        return -1;
    }
    return 0;
}

void ss_synth_result_free(ss_synth_result *r)
{
    if (!r)
        return;
    free(r->samples);
    free(r->phones);
    free(r->words);
    memset(r, 0, sizeof *r);
}

void ss_samples_to_s16(const float *in, size_t n, int16_t *out)
{
    for (size_t i = 0; i < n; i++) {
        float x = in[i] * 32768.0f;
        if (x > 32767.0f)
            out[i] = 32767;
        else if (x < -32768.0f)
            out[i] = -32768;
        else
            out[i] = (int16_t)lrintf(x);
    }
}
