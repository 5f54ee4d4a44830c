/* Conditioning parameters: fit, validation, text serialisation; see
 * conditioning.h. */
#include "node/engine/voice/conditioning.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NGRID_LOW 128
#define NGRID_HIGH 32
#define NGRID (NGRID_LOW + NGRID_HIGH)
#define RIDGE 0.002 /* per unit weight, on c1..c8: keeps the bias smooth */

/* Safe ranges: F0 within an octave and a half of the model, spread 0.4..2.5x,
 * alpha 0.30..0.60, bias |c_m| <= 1.5, durations 0.6..1.6x. */
#define SHIFT_MAX 1.05
#define SCALE_MIN 0.4
#define SCALE_MAX 2.5
#define ALPHA_MIN 0.30
#define ALPHA_MAX 0.60
#define BIAS_MAX 1.5
/* Longest bias vector (c1..c8, Euclidean) applied; a longer fit is scaled
 * down to it. Measured toward awb: norm 0.93 gave WER 0.333, capped at 0.75
 * WER 0.296 with LTA_MCD still 3.2 dB below the unconditioned voice's. */
#define BIAS_NORM_MAX 0.75
#define DUR_MIN 0.6
#define DUR_MAX 1.6

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

void ss_conditioning_identity(ss_conditioning *c, double model_lf0_mean, double model_alpha)
{
    memset(c, 0, sizeof *c);
    c->version = SS_CONDITIONING_VERSION;
    snprintf(c->source, sizeof c->source, "identity");
    c->lf0_scale = 1.0;
    c->lf0_pivot = model_lf0_mean;
    c->alpha = model_alpha;
    c->duration_scale = 1.0;
}

double ss_conditioning_target_f0_hz(const ss_conditioning *c)
{
    return exp(c->lf0_pivot + c->lf0_shift);
}

/* Solves the small symmetric system a x = b (n <= 8) by Gaussian elimination
 * with partial pivoting. 0, or -1 when singular. */
static int solve(double *a, double *b, int n)
{
    for (int i = 0; i < n; i++) {
        int p = i;
        for (int r = i + 1; r < n; r++)
            if (fabs(a[r * n + i]) > fabs(a[p * n + i]))
                p = r;
        if (fabs(a[p * n + i]) < 1e-12)
            return -1;
        if (p != i) {
            for (int k = 0; k < n; k++) {
                double t = a[i * n + k];
                a[i * n + k] = a[p * n + k];
                a[p * n + k] = t;
            }
            double t = b[i];
            b[i] = b[p];
            b[p] = t;
        }
        for (int r = i + 1; r < n; r++) {
            double f = a[r * n + i] / a[i * n + i];
            for (int k = i; k < n; k++)
                a[r * n + k] -= f * a[i * n + k];
            b[r] -= f * b[i];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++)
            s -= a[i * n + k] * b[k];
        b[i] = s / a[i * n + i];
    }
    return 0;
}

/* Weighted residual of the best bias at alpha; bias[0..FIT] gets the fit
 * (bias[0] = free level). */
static double fit_at(const double *model, const double *target, const unsigned char *keep,
                     const double *omega, const double *w, double alpha, int rate, double *bias)
{
    enum { K = SS_COND_FIT_ORDER + 1 };
    double mod[NGRID], ata[K * K] = {0}, atb[K] = {0}, basis[NGRID][K];
    /* At the analysis rate the model's spectrum is its LTA re-synthesised
     * with alpha (the HTS voice's MCP stream is in the analysis's terms);
     * at another rate it is the LTA as measured, and the bias basis is the
     * voice's own: cos(m b(w')), w' the grid point in the voice's radians. */
    const double scale = (double)SS_MCEP_RATE / rate;
    ss_mcep_log_amplitude(model, SS_MCEP_ORDER, rate == SS_MCEP_RATE ? alpha : SS_MCEP_ALPHA, omega, NGRID,
                          mod);
    for (int i = 0; i < NGRID; i++) {
        double ow = omega[i] * scale;
        double b = ss_mcep_warp(ow < M_PI ? ow : M_PI, alpha), r = keep[i] ? 0.0 : target[i] - mod[i];
        for (int k = 0; k < K; k++)
            basis[i][k] = cos(k * b);
        for (int k = 0; k < K; k++) {
            atb[k] += w[i] * basis[i][k] * r;
            for (int l = 0; l < K; l++)
                ata[k * K + l] += w[i] * basis[i][k] * basis[i][l];
        }
    }
    double wsum0 = 0;
    for (int i = 0; i < NGRID; i++)
        wsum0 += w[i];
    for (int k = 1; k < K; k++)
        ata[k * K + k] += RIDGE * wsum0;
    if (solve(ata, atb, K) != 0)
        return INFINITY;
    double res = 0, wsum = 0;
    for (int i = 0; i < NGRID; i++) {
        double f = mod[i];
        for (int k = 0; k < K; k++)
            f += atb[k] * basis[i][k];
        double t = keep[i] ? mod[i] : target[i];
        res += w[i] * (t - f) * (t - f);
        wsum += w[i];
    }
    memcpy(bias, atb, sizeof atb);
    return res / wsum;
}

int ss_conditioning_fit(const ss_speaker_stats *model, const ss_speaker_stats *ref, double model_alpha,
                        ss_conditioning *out, char *err, size_t errlen)
{
    return ss_conditioning_fit_at_rate(model, ref, model_alpha, SS_MCEP_RATE, out, err, errlen);
}

int ss_conditioning_fit_at_rate(const ss_speaker_stats *model, const ss_speaker_stats *ref, double model_alpha,
                                int rate, ss_conditioning *out, char *err, size_t errlen)
{
    if (rate < 8000 || rate > SS_MCEP_RATE) {
        snprintf(err, errlen, "conditioning: a voice at %d Hz (8000..%d)", rate, SS_MCEP_RATE);
        return -1;
    }
    ss_conditioning_identity(out, model->lf0_mean, model_alpha);
    if (!(model->lf0_std > 0) || !(ref->lf0_std > 0) || !isfinite(ref->lf0_mean)) {
        snprintf(err, errlen, "conditioning: statistics without voiced speech");
        return -1;
    }
    snprintf(out->source, sizeof out->source, "reference");
    out->lf0_shift = clampd(ref->lf0_mean - model->lf0_mean, -SHIFT_MAX, SHIFT_MAX);
    out->lf0_scale = clampd(ref->lf0_std / model->lf0_std, SCALE_MIN, SCALE_MAX);
    if (model->syllable_rate > 0 && ref->syllable_rate > 0)
        out->duration_scale = clampd(model->syllable_rate / ref->syllable_rate, DUR_MIN, DUR_MAX);

    double omega[NGRID], w[NGRID], target[NGRID];
    unsigned char keep[NGRID] = {0};
    for (int i = 0; i < NGRID_LOW; i++) {
        double b = M_PI * (i + 0.5) / NGRID_LOW;
        omega[i] = 0.5 * ss_mcep_warp(b, -0.42); /* 16 kHz perceptual grid, in 32 kHz radians */
        w[i] = 1.0;
    }
    /* the high band counts only where both recordings hold it */
    double band = ref->bandwidth_hz > 0 && ref->bandwidth_hz < model->bandwidth_hz ? ref->bandwidth_hz
                                                                                  : model->bandwidth_hz;
    for (int i = 0; i < NGRID_HIGH; i++) {
        omega[NGRID_LOW + i] = M_PI * (0.5 + 0.5 * (i + 0.5) / NGRID_HIGH);
        w[NGRID_LOW + i] = 0.25;
        keep[NGRID_LOW + i] = omega[NGRID_LOW + i] / M_PI * SS_MCEP_RATE / 2 >= 0.95 * band;
    }
    for (int i = 0; i < NGRID; i++) /* above the voice's Nyquist there is nothing to move */
        if (omega[i] / M_PI * SS_MCEP_RATE / 2 >= 0.5 * rate)
            w[i] = 0.0;
    ss_mcep_log_amplitude(ref->lta_mcep, SS_MCEP_ORDER, SS_MCEP_ALPHA, omega, NGRID, target);
    double best = INFINITY, best_alpha = model_alpha, best_bias[SS_COND_FIT_ORDER + 1] = {0};
    double a_lo = fmax(ALPHA_MIN, model_alpha - SS_COND_ALPHA_BAND);
    double a_hi = fmin(ALPHA_MAX, model_alpha + SS_COND_ALPHA_BAND);
    for (double a = a_lo; a <= a_hi + 1e-9; a += 0.0025) {
        double bias[SS_COND_FIT_ORDER + 1];
        double r = fit_at(model->lta_mcep, target, keep, omega, w, a, rate, bias);
        for (int k = 1; k <= SS_COND_FIT_ORDER; k++) /* out-of-range terms are clamped, not refused */
            bias[k] = clampd(bias[k], -BIAS_MAX, BIAS_MAX);
        if (r < best) {
            best = r;
            best_alpha = a;
            memcpy(best_bias, bias, sizeof bias);
        }
    }
    if (!isfinite(best)) {
        snprintf(err, errlen, "conditioning: the spectral fit found no solution");
        return -1;
    }
    out->alpha = best_alpha;
    double norm = 0;
    for (int k = 1; k <= SS_COND_FIT_ORDER; k++)
        norm += best_bias[k] * best_bias[k];
    norm = sqrt(norm);
    double shrink = norm > BIAS_NORM_MAX ? BIAS_NORM_MAX / norm : 1.0;
    for (int k = 1; k <= SS_COND_FIT_ORDER; k++)
        out->cep_bias[k] = shrink * best_bias[k];
    out->fit_rms_db = sqrt(best) * 20.0 / log(10.0);
    out->ref_f0_hz = exp(ref->lf0_mean);
    out->ref_lf0_std = ref->lf0_std;
    out->ref_syllable_rate = ref->syllable_rate;
    return ss_conditioning_validate(out, err, errlen);
}

int ss_conditioning_validate(const ss_conditioning *c, char *err, size_t errlen)
{
    if (c->version != SS_CONDITIONING_VERSION) {
        snprintf(err, errlen, "conditioning: version %d, this build reads %d", c->version,
                 SS_CONDITIONING_VERSION);
        return -1;
    }
    const double vals[] = {c->lf0_shift, c->lf0_scale, c->lf0_pivot, c->alpha, c->duration_scale,
                           c->ref_f0_hz, c->ref_lf0_std, c->ref_syllable_rate, c->fit_rms_db};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        if (!isfinite(vals[i])) {
            snprintf(err, errlen, "conditioning: a value is not finite");
            return -1;
        }
    for (int k = 0; k < SS_COND_NBIAS; k++)
        if (!isfinite(c->cep_bias[k]) || fabs(c->cep_bias[k]) > 2 * BIAS_MAX) {
            snprintf(err, errlen, "conditioning: cepstral bias c%d out of range", k);
            return -1;
        }
    if (fabs(c->lf0_shift) > SHIFT_MAX + 1e-9 || c->lf0_scale < SCALE_MIN - 1e-9 ||
        c->lf0_scale > SCALE_MAX + 1e-9 || c->alpha < ALPHA_MIN - 1e-9 || c->alpha > ALPHA_MAX + 1e-9 ||
        c->duration_scale < DUR_MIN - 1e-9 || c->duration_scale > DUR_MAX + 1e-9 ||
        c->lf0_pivot < log(40.0) || c->lf0_pivot > log(1000.0)) {
        snprintf(err, errlen, "conditioning: a parameter is outside its safe range");
        return -1;
    }
    return 0;
}

int ss_conditioning_serialize(const ss_conditioning *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "scaispeak-conditioning %d\nsource %s\nlf0_shift %.17g\nlf0_scale %.17g\n"
                     "lf0_pivot %.17g\nalpha %.17g\nduration_scale %.17g\nref_f0_hz %.17g\n"
                     "ref_lf0_std %.17g\nref_syllable_rate %.17g\nfit_rms_db %.17g\ncep_bias",
                     c->version, c->source, c->lf0_shift, c->lf0_scale, c->lf0_pivot, c->alpha,
                     c->duration_scale, c->ref_f0_hz, c->ref_lf0_std, c->ref_syllable_rate,
                     c->fit_rms_db);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    for (int k = 0; k < SS_COND_NBIAS; k++) {
        int m = snprintf(buf + n, cap - (size_t)n, " %.17g", c->cep_bias[k]);
        if (m < 0 || (size_t)(n + m) >= cap)
            return -1;
        n += m;
    }
    if ((size_t)n + 2 > cap)
        return -1;
    buf[n++] = '\n';
    buf[n] = 0;
    return n;
}

int ss_conditioning_parse(const char *buf, size_t len, ss_conditioning *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *s = malloc(len + 1);
    if (!s) {
        snprintf(err, errlen, "conditioning: out of memory");
        return -1;
    }
    memcpy(s, buf, len);
    s[len] = 0;
    struct { const char *key; double *v; } keys[] = {
        {"lf0_shift", &out->lf0_shift}, {"lf0_scale", &out->lf0_scale}, {"lf0_pivot", &out->lf0_pivot},
        {"alpha", &out->alpha}, {"duration_scale", &out->duration_scale}, {"ref_f0_hz", &out->ref_f0_hz},
        {"ref_lf0_std", &out->ref_lf0_std}, {"ref_syllable_rate", &out->ref_syllable_rate},
        {"fit_rms_db", &out->fit_rms_db}};
    enum { NK = sizeof keys / sizeof keys[0] };
    unsigned seen = 0;
    int rc = -1, have_version = 0, have_source = 0, have_bias = 0;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[32];
        int off = 0;
        if (sscanf(line, "%31s %n", key, &off) != 1)
            continue;
        const char *val = line + off;
        if (!strcmp(key, "scaispeak-conditioning")) {
            out->version = atoi(val);
            have_version = 1;
        } else if (!strcmp(key, "source")) {
            snprintf(out->source, sizeof out->source, "%s", val);
            have_source = 1;
        } else if (!strcmp(key, "cep_bias")) {
            const char *p = val;
            for (int k = 0; k < SS_COND_NBIAS; k++) {
                char *e;
                out->cep_bias[k] = strtod(p, &e);
                if (e == p) {
                    snprintf(err, errlen, "conditioning: cep_bias needs %d numbers", SS_COND_NBIAS);
                    goto out;
                }
                p = e;
            }
            have_bias = 1;
        } else {
            for (int k = 0; k < NK; k++)
                if (!strcmp(key, keys[k].key)) {
                    char *e;
                    *keys[k].v = strtod(val, &e);
                    if (e == val) {
                        snprintf(err, errlen, "conditioning: %s is not a number", key);
                        goto out;
                    }
                    seen |= 1u << k;
                }
        }
    }
    if (!have_version || !have_source || !have_bias || seen != (1u << NK) - 1) {
        snprintf(err, errlen, "conditioning: a field is missing");
        goto out;
    }
    rc = ss_conditioning_validate(out, err, errlen);
out:
    free(s);
    return rc;
}
