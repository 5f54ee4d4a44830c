/* Streamed vocoding of a clustergen utterance (see cg_stream.h). Per chunk
 * of frames: the postfilter on its mel-cepstra (a per-frame operation and a
 * fifth of a sentence's CPU, so it is not paid before the first chunk), then
 * vocode()'s work in cg_synth.c: excitation, times the voice's gain, MLSA in
 * place, then scaled from the 16-bit range to [-1, 1] and clamped. */
#include "node/engine/clustergen/cg_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ss_cg_stream_open(ss_cg_stream *s, ss_cg_voice *v, const char *text, const ss_cg_options *opt,
                      char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (ss_cg_prepare(v, text, opt, &s->params, &s->audio, err, errlen) != 0)
        return -1;
    s->voice = v;
    s->gain = ss_cg_gain(v);
    if (ss_cg_excitation_init(&s->ex, v, err, errlen) != 0 ||
        ss_mlsa_state_init(&s->mlsa, SS_CG_MCEP_DIM - 1, v->db->mlsa_alpha, err, errlen) != 0) {
        ss_cg_stream_close(s);
        return -1;
    }
    return 0;
}

/* Room for n samples in s->buf. */
static int reserve(ss_cg_stream *s, size_t n, char *err, size_t errlen)
{
    if (n <= s->buf_cap)
        return 0;
    double *b = realloc(s->buf, n * sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->buf = b;
    s->buf_cap = n;
    return 0;
}

int ss_cg_stream_next(ss_cg_stream *s, size_t max_frames, float *out, size_t *nout, char *err, size_t errlen)
{
    *nout = 0;
    const size_t f0 = s->next_frame, left = s->params.nframes - f0;
    const size_t nf = max_frames < left ? max_frames : left, fp = s->audio.frame_period;
    if (!nf)
        return 0;
    const size_t n = nf * fp;
    if (reserve(s, n, err, errlen) != 0)
        return -1;
    ss_cg_postfilter_frames(s->voice, &s->params, f0, nf);
    const double *strength = s->params.strength ? s->params.strength + f0 * SS_CG_ME_BANDS : NULL;
    ss_cg_excite(&s->ex, s->voice, s->params.f0 + f0, strength, nf, fp, s->buf);
    for (size_t i = 0; i < n; i++)
        s->buf[i] *= s->gain;
    ss_mlsa_job job = {.state = &s->mlsa, .mcep = s->params.mcep + f0 * SS_CG_MCEP_DIM, .nframes = nf,
                       .frame_period = fp, .excitation = s->buf, .out = s->buf};
    if (ss_kern_mlsa(&job, 1, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        double x = s->buf[i] / 32768.0;
        out[i] = (float)(x > 1.0 ? 1.0 : x < -1.0 ? -1.0 : x);
    }
    s->next_frame = f0 + nf;
    *nout = n;
    return 0;
}

void ss_cg_stream_close(ss_cg_stream *s)
{
    ss_cg_excitation_free(&s->ex);
    ss_mlsa_state_release(&s->mlsa);
    ss_cg_params_free(&s->params);
    ss_cg_audio_free(&s->audio);
    free(s->buf);
    memset(s, 0, sizeof *s);
}
