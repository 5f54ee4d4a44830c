/* Per-frame parameter prediction and MLPG for a clustergen voice (see
 * cg_params.h). */
#include "node/engine/clustergen/cg_params.h"

#include "kernels/kernels.h"
#include "node/engine/clustergen/cg_cart.h"
#include "node/engine/clustergen/cg_spamf0.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Channel layout of a model vector (mean at even, stddev at odd index). */
#define CH_STATIC (2)                              /* c_d mean: 2 + 2d */
#define CH_DELTA (2 + 2 * SS_CG_MCEP_DIM)          /* delta c_d mean */
#define CH_ME (2 + 4 * SS_CG_MCEP_DIM)             /* strength b mean: CH_ME + 2b */
#define CH_VOICING (CH_ME + 2 * SS_CG_ME_BANDS)    /* voicing degree mean */
#define MIN_STDDEV 1.0e-5

typedef struct {
    double *track;  /* [nframes][CH_ME]: F0, statics, deltas (means, stddevs) */
    double *voicing;
} frame_models;

static const char *const path_to_token =
    "R:mcep_link.parent.R:segstate.parent.R:SylStructure.parent.parent.R:Token.parent.";

static float token_feature(cst_item *frame, const char *name)
{
    char path[200];
    snprintf(path, sizeof path, "%s%s", path_to_token, name);
    return ffeature_float(frame, path);
}

static int tree_set(const cst_cg_db *db, const char *name)
{
    for (int p = 0; db->types[p]; p++)
        if (strcmp(name, db->types[p]) == 0)
            return p;
    return 0;
}

/* F0 leaves averaged over the models; under 50 Hz is unvoiced (0). */
static int predict_f0(const ss_cg_voice *v, cst_item *frame, int set, double *f0, char *err,
                      size_t errlen)
{
    const cst_cg_db *db = v->db;
    double sum = 0.0;
    for (int pm = 0; pm < db->num_f0_models; pm++) {
        const cst_val *leaf = ss_cg_cart_eval(db->f0_trees[pm][set], frame, v->paths, err, errlen);
        if (!leaf)
            return -1;
        sum += val_float(leaf);
    }
    *f0 = sum / db->num_f0_models;
    if (*f0 < 50.0)
        *f0 = 0.0;
    return 0;
}

/* Adds model pm's vector for the frame (1/npm of it) to row and str. */
static int add_model_vector(const ss_cg_voice *v, int pm, cst_item *frame, int set, double *row,
                            double *str, double *voicing, char *err, size_t errlen)
{
    const cst_cg_db *db = v->db;
    const cst_val *leaf = ss_cg_cart_eval(db->param_trees[pm][set], frame, v->paths, err, errlen);
    if (!leaf)
        return -1;
    int f = val_int(leaf);
    if (f < 0 || f >= db->num_frames[pm]) {
        snprintf(err, errlen, "cg: model vector %d out of range", f);
        return -1;
    }
    const unsigned short *q = db->model_vectors[pm][f];
    const double share = 1.0 / db->num_param_models;
    for (int j = CH_STATIC; j < db->num_channels[pm]; j++) {
        double x = db->model_min[j] + (q[j] / 65535.0) * db->model_range[j];
        if (j < CH_ME)
            row[j] += x * share;
        else if (str && j < CH_VOICING && (j - CH_ME) % 2 == 0)
            str[(j - CH_ME) / 2] += x * share;
        else if (j == CH_VOICING)
            *voicing += x * share;
    }
    return 0;
}

static int predict_frames(const ss_cg_voice *v, cst_utterance *u, size_t n, frame_models *m,
                          ss_cg_params *out, char *err, size_t errlen)
{
    const cst_cg_db *db = v->db;
    size_t i = 0;
    for (cst_item *fr = utt_rel_head(u, "mcep"); fr && i < n; fr = item_next(fr), i++) {
        int set = tree_set(db, item_feat_string(fr, "name"));
        double *row = m->track + i * CH_ME;
        double *str = out->strength ? out->strength + i * SS_CG_ME_BANDS : NULL;
        if (predict_f0(v, fr, set, &row[0], err, errlen) != 0)
            return -1;
        for (int pm = 0; pm < db->num_param_models; pm++)
            if (add_model_vector(v, pm, fr, set, row, str, &m->voicing[i], err, errlen) != 0)
                return -1;
        item_set_float(fr, "voicing", (float)m->voicing[i]);
        double gain = token_feature(fr, "local_gain");
        if (gain != 0.0)
            row[CH_STATIC] *= gain;
    }
    if (i != n) {
        snprintf(err, errlen, "cg: %zu frames, expected %zu", i, n);
        return -1;
    }
    return 0;
}

static double catmull_rom(double p, double p0, double p1, double p2, double p3)
{
    return 0.5 * (2.0 * p1 + p * (-p0 + p2) + p * p * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) +
                  p * p * p * (-p0 + 3.0 * p1 - 3.0 * p2 + p3));
}

static int frame_at(cst_item *syl, const char *path)
{
    return ffeature_int(syl, path);
}

/* Spline through each syllable's start, middle and end F0 (column 0). */
static void spline_f0(cst_utterance *u, double *track, size_t n)
{
    static const char *first = "R:SylStructure.daughter1.R:segstate.daughter1.R:mcep_link.daughter1.frame_number";
    static const char *last = "R:SylStructure.daughtern.R:segstate.daughtern.R:mcep_link.daughtern.frame_number";
    static const char *nfirst = "n.R:SylStructure.daughter1.R:segstate.daughter1.R:mcep_link.daughter1.frame_number";
    static const char *nlast = "n.R:SylStructure.daughtern.R:segstate.daughtern.R:mcep_link.daughtern.frame_number";
#define F0(k) track[(size_t)(k) * CH_ME]
    double start_f0, mid_f0 = -1.0, end_f0 = -1.0, pmid_f0, nmid_f0;
    for (cst_item *syl = utt_rel_head(u, "Syllable"); syl; syl = item_next(syl)) {
        int si = frame_at(syl, first), ei = frame_at(syl, last), mi = (si + ei) / 2;
        if (ei <= si || ei >= (int)n || si < 0)
            continue;
        start_f0 = end_f0 > 0.0 ? end_f0 : F0(si);
        pmid_f0 = mid_f0 < 0.0 ? start_f0 : mid_f0;
        mid_f0 = F0(mi);
        end_f0 = item_next(syl) ? (F0(ei - 1) + F0(ei)) / 2.0 : F0(ei - 1);
        nmid_f0 = end_f0;
        if (item_next(syl)) {
            int nmi = (frame_at(syl, nfirst) + frame_at(syl, nlast)) / 2;
            if (nmi >= 0 && nmi < (int)n)
                nmid_f0 = F0(nmi);
        }
        if (mi > si)
            for (int k = 0; si + k < mi; k++)
                F0(si + k) = catmull_rom((double)k / (mi - si), pmid_f0, start_f0, mid_f0, end_f0);
        for (int k = 0; mi + k < ei; k++)
            F0(mi + k) = catmull_rom((double)k / (ei - mi), start_f0, mid_f0, end_f0, nmid_f0);
    }
#undef F0
}

static int voiced_frame(cst_item *frame, double voicing)
{
    const char *base = "R:mcep_link.parent.R:segstate.parent.";
    char path[96];
    snprintf(path, sizeof path, "%sname", base);
    if (strcmp(ffeature_string(frame, path), "pau") == 0)
        return 0;
    snprintf(path, sizeof path, "%sph_vc", base);
    if (strcmp(ffeature_string(frame, path), "+") == 0)
        return 1;
    return voicing > 0.5;
}

/* Rescales voiced F0 to the target mean/stddev, unvoices the rest. */
static void finish_f0(const cst_cg_db *db, cst_utterance *u, const frame_models *m,
                      double f0_scale, double *f0, size_t n)
{
    size_t i = 0;
    for (cst_item *fr = utt_rel_head(u, "mcep"); fr && i < n; fr = item_next(fr), i++) {
        if (!voiced_frame(fr, m->voicing[i])) {
            f0[i] = 0.0;
            continue;
        }
        double mean = db->f0_mean * f0_scale, stddev = db->f0_stddev;
        double local_mean = token_feature(fr, "local_f0_mean");
        double local_range = token_feature(fr, "local_f0_range");
        if (local_mean != 0.0)
            mean = local_mean;
        if (local_range > 0.0)
            stddev = local_range - 1.0;
        double x = (m->track[i * CH_ME] - db->f0_mean) / db->f0_stddev * stddev + mean;
        f0[i] = x < 50.0 ? 50.0 : x > 700.0 ? 700.0 : x;
    }
}

static double ivar_of(double sd)
{
    if (sd < MIN_STDDEV)
        sd = MIN_STDDEV;
    return 1.0 / (sd * sd);
}

/* MLPG per mel-cepstral dimension (static + delta window, no GV). */
static int solve_mcep(const cst_cg_db *db, const frame_models *m, size_t n, double *mcep,
                      char *err, size_t errlen)
{
    ss_mlpg_windows win = {.nwin = 2, .left = {0, -1}, .right = {0, 1}};
    win.coef[0][1] = 1.0;
    for (int k = 0; k < 3; k++)
        win.coef[1][k] = db->dynwin[k];
    size_t wlen = ss_kern_mlpg_workspace(n);
    double *mean = malloc(sizeof(double) * n * 2 * SS_CG_MCEP_DIM);
    double *ivar = malloc(sizeof(double) * n * 2 * SS_CG_MCEP_DIM);
    double *work = malloc(sizeof(double) * wlen);
    ss_mlpg_problem probs[SS_CG_MCEP_DIM];
    int rc = -1;
    if (!mean || !ivar || !work) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int d = 0; d < SS_CG_MCEP_DIM; d++) {
        double *md = mean + (size_t)d * n * 2, *vd = ivar + (size_t)d * n * 2;
        for (size_t t = 0; t < n; t++) {
            const double *row = m->track + t * CH_ME;
            md[t * 2] = row[CH_STATIC + 2 * d];
            vd[t * 2] = ivar_of(row[CH_STATIC + 2 * d + 1]);
            md[t * 2 + 1] = row[CH_DELTA + 2 * d];
            vd[t * 2 + 1] = (t == 0 || t + 1 == n) ? 0.0 : ivar_of(row[CH_DELTA + 2 * d + 1]);
        }
        probs[d] = (ss_mlpg_problem){.length = n, .mean = md, .ivar = vd, .out = mcep + d,
                                     .out_stride = SS_CG_MCEP_DIM};
    }
    rc = ss_kern_mlpg(&win, probs, SS_CG_MCEP_DIM, work, wlen, err, errlen);
done:
    free(mean);
    free(ivar);
    free(work);
    return rc;
}

int ss_cg_predict(const ss_cg_voice *v, cst_utterance *u, size_t nframes, double f0_scale,
                  ss_cg_params *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    frame_models m = {calloc(nframes * CH_ME, sizeof(double)), calloc(nframes, sizeof(double))};
    out->nframes = nframes;
    out->mcep = calloc(nframes * SS_CG_MCEP_DIM, sizeof(double));
    out->f0 = calloc(nframes, sizeof(double));
    if (v->db->mixed_excitation)
        out->strength = calloc(nframes * SS_CG_ME_BANDS, sizeof(double));
    int rc = -1;
    if (!m.track || !m.voicing || !out->mcep || !out->f0 ||
        (v->db->mixed_excitation && !out->strength)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (predict_frames(v, u, nframes, &m, out, err, errlen) != 0)
        goto done;
    spline_f0(u, m.track, nframes);
    finish_f0(v->db, u, &m, f0_scale, out->f0, nframes);
    if (v->db->spamf0 &&
        ss_cg_spamf0(v, u, out->f0, nframes, f0_scale, err, errlen) != 0)
        goto done;
    rc = solve_mcep(v->db, &m, nframes, out->mcep, err, errlen);
done:
    free(m.track);
    free(m.voicing);
    if (rc != 0)
        ss_cg_params_free(out);
    return rc;
}

void ss_cg_params_free(ss_cg_params *p)
{
    free(p->mcep);
    free(p->f0);
    free(p->strength);
    memset(p, 0, sizeof *p);
}
