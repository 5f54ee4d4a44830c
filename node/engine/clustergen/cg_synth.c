/* Text to samples for a clustergen voice (see cg_synth.h). */
#include "node/engine/clustergen/cg_synth.h"

#include "kernels/kernels.h"
#include "node/engine/clustergen/cg_conditioning.h"
#include "node/engine/clustergen/cg_excitation.h"
#include "node/engine/clustergen/cg_params.h"
#include "node/engine/clustergen/cg_postfilter.h"
#include "node/engine/clustergen/cg_states.h"
#include "node/engine/frontend/flite_lock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Excitation then MLSA over all frames into out->samples. */
static int vocode(const ss_cg_voice *v, const ss_cg_params *p, double gain, ss_cg_audio *out,
                  char *err, size_t errlen)
{
    const size_t n = p->nframes * out->frame_period;
    double *buf = malloc(sizeof(double) * n);
    ss_cg_excitation ex;
    ss_mlsa_state mlsa;
    int rc = -1;
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ss_cg_excitation_init(&ex, v, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    ss_cg_excite(&ex, v, p->f0, p->strength, p->nframes, out->frame_period, buf);
    for (size_t i = 0; i < n; i++)
        buf[i] *= gain;
    if (ss_mlsa_state_init(&mlsa, SS_CG_MCEP_DIM - 1, v->db->mlsa_alpha, err, errlen) != 0)
        goto done;
    ss_mlsa_job job = {.state = &mlsa, .mcep = p->mcep, .nframes = p->nframes,
                       .frame_period = out->frame_period, .excitation = buf, .out = buf};
    if (ss_kern_mlsa(&job, 1, err, errlen) != 0)
        goto done;
    out->samples = malloc(sizeof(float) * (n ? n : 1));
    if (!out->samples) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        double x = buf[i] / 32768.0;
        out->samples[i] = (float)(x > 1.0 ? 1.0 : x < -1.0 ? -1.0 : x);
    }
    out->nsamples = n;
    rc = 0;
done:
    ss_cg_excitation_free(&ex);
    free(buf);
    return rc;
}

/* Phone start/end times from the segments' "end" (cg_states.c), capped at
 * the audio's length `total` (seconds). */
static int phone_times(cst_utterance *u, double total, ss_cg_audio *out, char *err, size_t errlen)
{
    size_t n = 0;
    for (cst_item *s = utt_rel_head(u, "Segment"); s; s = item_next(s))
        n++;
    out->phones = calloc(n ? n : 1, sizeof *out->phones);
    if (!out->phones) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double start = 0.0;
    for (cst_item *s = utt_rel_head(u, "Segment"); s; s = item_next(s)) {
        ss_cg_phone_time *p = &out->phones[out->nphones++];
        snprintf(p->name, sizeof p->name, "%s", item_feat_string(s, "name"));
        double end = item_feat_float(s, "end");
        p->start = start;
        p->end = end > total ? total : end < start ? start : end;
        start = p->end;
    }
    return 0;
}

/* The end time of segment s (Segment relation), capped at total. */
static double segment_end(const cst_item *s, double total)
{
    double end = s ? item_feat_float(s, "end") : 0.0;
    return end > total ? total : end < 0 ? 0 : end;
}

/* The index of w's token (its parent in the Token relation) among the
 * utterance's tokens, and the token's name; -1 when it has none. */
static long token_of(cst_utterance *u, cst_item *w, const char **name)
{
    cst_item *tok = item_parent(item_as(w, "Token"));
    *name = tok ? item_feat_string(tok, "name") : "";
    long i = 0;
    for (cst_item *t = utt_rel_head(u, "Token"); t; t = item_next(t), i++)
        if (item_equal(t, tok))
            return i;
    return -1;
}

/* Word times: from the end of the segment before a word's first segment to
 * the end of its last segment (SylStructure: word > syllable > segment),
 * with the written token each word was said for. Words without segments
 * (punctuation) are skipped. */
static int word_times(cst_utterance *u, double total, ss_cg_audio *out, char *err, size_t errlen)
{
    size_t n = 0;
    for (cst_item *w = utt_rel_head(u, "Word"); w; w = item_next(w))
        n++;
    out->words = calloc(n ? n : 1, sizeof *out->words);
    if (!out->words) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double prev_end = 0.0;
    for (cst_item *w = utt_rel_head(u, "Word"); w; w = item_next(w)) {
        cst_item *ws = item_as(w, "SylStructure");
        cst_item *first = ws && item_daughter(ws) ? item_daughter(item_daughter(ws)) : NULL;
        cst_item *last = ws && item_last_daughter(ws) ? item_last_daughter(item_last_daughter(ws)) : NULL;
        if (!first || !last)
            continue;
        cst_item *before = item_prev(item_as(first, "Segment"));
        ss_cg_word_time *t = &out->words[out->nwords++];
        const char *token;
        snprintf(t->text, sizeof t->text, "%s", item_feat_string(w, "name"));
        t->token_index = token_of(u, w, &token);
        snprintf(t->token, sizeof t->token, "%s", token);
        t->start = before ? segment_end(before, total) : 0.0;
        if (t->start < prev_end)
            t->start = prev_end;
        t->end = segment_end(item_as(last, "Segment"), total);
        if (t->end < t->start)
            t->end = t->start;
        prev_end = t->end;
    }
    return 0;
}

/* The flite part, under the flite lock: text analysis, states, parameter
 * prediction (CART features read off the utterance) and the timings. */
static int predict_locked(ss_cg_voice *v, const char *text, const ss_cg_options *opt,
                          ss_cg_params *p, ss_cg_audio *out, char *err, size_t errlen)
{
    cst_utterance *u = ss_cg_voice_analyse(v, text, err, errlen);
    if (!u)
        return -1;
    int rc = -1;
    long nframes = ss_cg_build_states(v, u, opt->duration_scale, err, errlen);
    if (nframes < 0)
        goto done;
    if (ss_cg_predict(v, u, (size_t)nframes, opt->f0_scale, p, err, errlen) != 0)
        goto done;
    const double total = (double)(p->nframes * out->frame_period) / out->rate;
    if (phone_times(u, total, out, err, errlen) != 0 || word_times(u, total, out, err, errlen) != 0)
        goto done;
    rc = 0;
done:
    delete_utterance(u);
    return rc;
}

int ss_cg_prepare(ss_cg_voice *v, const char *text, const ss_cg_options *opt, ss_cg_params *p,
                  ss_cg_audio *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    memset(p, 0, sizeof *p);
    out->rate = v->db->sample_rate;
    out->frame_period = (size_t)lround(v->db->frame_advance * v->db->sample_rate);
    ss_flite_lock();
    int rc = predict_locked(v, text, opt, p, out, err, errlen);
    ss_flite_unlock();
    if (rc != 0) {
        ss_cg_params_free(p);
        ss_cg_audio_free(out);
        return -1;
    }
    if (opt->cond)
        ss_cg_condition_params(p, opt->cond);
    out->nframes = p->nframes;
    return 0;
}

void ss_cg_postfilter_frames(const ss_cg_voice *v, ss_cg_params *p, size_t first, size_t n)
{
    ss_cg_postfilter(p->mcep + first * SS_CG_MCEP_DIM, n, SS_CG_MCEP_DIM, v->db->mlsa_alpha, v->db->mlsa_beta);
}

double ss_cg_gain(const ss_cg_voice *v)
{
    return v->db->gain != 0.0f ? v->db->gain : 1.0;
}

int ss_cg_synthesize(ss_cg_voice *v, const char *text, const ss_cg_options *opt,
                     ss_cg_audio *out, char *err, size_t errlen)
{
    ss_cg_params p;
    if (ss_cg_prepare(v, text, opt, &p, out, err, errlen) != 0)
        return -1;
    ss_cg_postfilter_frames(v, &p, 0, p.nframes);
    int rc = vocode(v, &p, ss_cg_gain(v), out, err, errlen);
    ss_cg_params_free(&p);
    if (rc != 0)
        ss_cg_audio_free(out);
    return rc;
}

void ss_cg_audio_free(ss_cg_audio *a)
{
    free(a->samples);
    free(a->phones);
    free(a->words);
    memset(a, 0, sizeof *a);
}
