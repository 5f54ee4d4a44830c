/* Conditioned voice construction; see conditioned_voice.h.
 *
 * The base voice keeps every PDF in one float pool (v->floats); each model's
 * pdf[t] points into it. The copy duplicates the pool up to the furthest PDF
 * end, re-points copied pdf[] arrays by the same offsets, and transforms the
 * MCP and LF0 stream PDFs and the LF0 GV in place (the MCP bias beyond c0
 * weighted by how sonorant each state is). Trees, npdf arrays and
 * patterns are shared (read-only). */
#include "node/engine/voice/conditioned_voice.h"

#include "node/engine/synth/engine_voice.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ss_voice voice;          /* first: the ss_voice handed out */
    ss_htsvoice hts;         /* shallow copy of the base, PDFs re-pointed */
    float **pdf_arrays[1 + 2 * SS_VOICE_MAX_STREAMS];
    size_t narrays;
} conditioned;

double ss_voice_mcp_alpha(const ss_voice *v)
{
    int s = ss_htsvoice_stream_index(v->hts, "MCP");
    return s >= 0 ? v->hts->streams[s].alpha : 0.0;
}

double ss_conditioned_speed(const ss_conditioning *c, double speed)
{
    double s = speed / (c->duration_scale > 0 ? c->duration_scale : 1.0);
    return s < SS_ENGINE_SPEED_MIN ? SS_ENGINE_SPEED_MIN : s > SS_ENGINE_SPEED_MAX ? SS_ENGINE_SPEED_MAX : s;
}

/* Re-points m's PDFs into pool (same offsets as from base). */
static int repoint(conditioned *cv, ss_voice_model *m, const float *base, float *pool)
{
    size_t nt = m->trees.ntrees;
    float **np = calloc(nt ? nt : 1, sizeof *np);
    if (!np)
        return -1;
    for (size_t t = 0; t < nt; t++)
        np[t] = m->pdf[t] ? pool + (m->pdf[t] - base) : NULL;
    m->pdf = np;
    cv->pdf_arrays[cv->narrays++] = np;
    return 0;
}

static void for_each_pdf(ss_voice_model *m, void (*fn)(float *p, size_t len, void *u), void *u)
{
    for (size_t t = 0; t < m->trees.ntrees; t++)
        for (size_t i = 0; m->pdf[t] && i < m->npdf[t]; i++)
            fn(m->pdf[t] + i * m->pdf_len, m->pdf_len, u);
}

typedef struct {
    const ss_conditioning *c;
    int vlen, nwin;
} xform;

static void lf0_pdf(float *p, size_t len, void *u)
{
    const xform *x = u;
    const ss_conditioning *c = x->c;
    size_t w = (size_t)x->vlen * (size_t)x->nwin;
    if (len < 2 * w)
        return;
    for (size_t j = 0; j < w; j++) {
        if (j < (size_t)x->vlen)
            p[j] = (float)(c->lf0_pivot + c->lf0_shift + c->lf0_scale * (p[j] - c->lf0_pivot));
        else
            p[j] = (float)(c->lf0_scale * p[j]);
        p[w + j] = (float)(c->lf0_scale * c->lf0_scale * p[w + j]);
    }
}

static void lf0_gv(float *p, size_t len, void *u)
{
    const xform *x = u;
    double s2 = x->c->lf0_scale * x->c->lf0_scale;
    size_t v = (size_t)x->vlen;
    if (len < 2 * v)
        return;
    for (size_t j = 0; j < v; j++) {
        p[j] = (float)(s2 * p[j]);
        p[v + j] = (float)(s2 * s2 * p[v + j]);
    }
}

/* How sonorant an MCP state is, from its own static mean: vowels, glides
 * and nasals are loud (c0) with a falling spectrum (c1 > 0); silences and
 * fricatives are not (slt: c0 5th..95th percentile 1.4..5.9, c1 -0.5..2.9).
 * 0..1. The spectral bias is fitted on voiced frames, and applied to
 * silences and fricatives it only hurt intelligibility (measured: WER 0.70
 * -> 0.44 on 8 sentences toward awb when weighted). */
static double sonorant_weight(const float *p)
{
    double a = (p[1] - 0.5) / 1.0, b = (p[0] - 2.5) / 1.5;
    a = a < 0 ? 0 : a > 1 ? 1 : a;
    b = b < 0 ? 0 : b > 1 ? 1 : b;
    return a * b;
}

static void mcp_pdf(float *p, size_t len, void *u)
{
    const xform *x = u;
    double w = len >= 2 && x->vlen >= 2 ? sonorant_weight(p) : 1.0;
    for (int m = 0; m < SS_COND_NBIAS && m < x->vlen && (size_t)m < len; m++)
        p[m] = (float)(p[m] + (m == 0 ? 1.0 : w) * x->c->cep_bias[m]);
}

ss_voice *ss_conditioned_voice_new(const ss_voice *base, const ss_conditioning *c, size_t *bytes,
                                   char *err, size_t errlen)
{
    if (ss_conditioning_validate(c, err, errlen) != 0)
        return NULL;
    const ss_htsvoice *b = base->hts;
    int smcp = ss_htsvoice_stream_index(b, "MCP"), slf0 = ss_htsvoice_stream_index(b, "LF0");
    if (smcp < 0 || slf0 < 0 || !b->floats) {
        snprintf(err, errlen, "conditioning needs a voice with MCP and LF0 streams");
        return NULL;
    }
    conditioned *cv = calloc(1, sizeof *cv);
    if (!cv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cv->hts = *b;
    cv->hts.floats_mapped_bytes = 0; /* our pool below is malloc'd */
    cv->hts.prepared_map = NULL;
    size_t extent = ss_htsvoice_pool_floats(b);
    float *pool = malloc((extent ? extent : 1) * sizeof *pool);
    cv->hts.floats = pool;
    if (!pool)
        goto oom;
    memcpy(pool, b->floats, extent * sizeof *pool);
    if (repoint(cv, &cv->hts.dur, b->floats, pool) != 0)
        goto oom;
    for (int s = 0; s < b->nstreams; s++) {
        if (repoint(cv, &cv->hts.streams[s].pdf, b->floats, pool) != 0)
            goto oom;
        if (b->streams[s].use_gv && repoint(cv, &cv->hts.streams[s].gv, b->floats, pool) != 0)
            goto oom;
    }
    ss_voice_stream *lf0 = &cv->hts.streams[slf0], *mcp = &cv->hts.streams[smcp];
    xform xl = {c, lf0->vector_length, lf0->nwin}, xm = {c, mcp->vector_length, mcp->nwin};
    for_each_pdf(&lf0->pdf, lf0_pdf, &xl);
    if (lf0->use_gv)
        for_each_pdf(&lf0->gv, lf0_gv, &xl);
    for_each_pdf(&mcp->pdf, mcp_pdf, &xm);
    mcp->alpha = c->alpha;
    cv->voice.hts = &cv->hts;
    if (bytes)
        *bytes = sizeof *cv + extent * sizeof *pool;
    return &cv->voice;
oom:
    ss_conditioned_voice_free(&cv->voice);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

void ss_conditioned_voice_free(ss_voice *v)
{
    if (!v)
        return;
    conditioned *cv = (conditioned *)v;
    for (size_t i = 0; i < cv->narrays; i++)
        free(cv->pdf_arrays[i]);
    free(cv->hts.floats);
    free(cv);
}
