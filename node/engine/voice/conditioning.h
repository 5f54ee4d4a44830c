/* Speaker conditioning parameters (ENGINE.md step 8): what turns the model's
 * voice toward a reference speaker or a design prompt. Small, versioned and
 * serialisable, so the node can cache it per (voice id, reference digest)
 * and tools can print it.
 *
 * Meaning (applied by conditioned_voice.h):
 *   log F0: every LF0 state mean mu becomes pivot + shift + scale*(mu - pivot),
 *           deltas scale by `scale`, variances by scale^2, the LF0 GV mean by
 *           scale^2 (GV variance by scale^4). pivot is the model's measured
 *           mean log F0, so shift moves the output mean by exactly `shift`.
 *   spectrum: the MCP stream is synthesised with all-pass constant `alpha`
 *           (the model's own is 0.45; larger moves formants down, a longer
 *           vocal tract) and cep_bias[m] is added to the static mean of c_m,
 *           m = 0..SS_COND_NBIAS-1 (c0 is loudness: the fit leaves it 0;
 *           c1.. go to sonorant states only, see conditioned_voice.h).
 *   durations: multiplied by duration_scale (> 1 slower).
 * The identity (no change) is shift 0, scale 1, alpha = model alpha, bias 0,
 * duration_scale 1.
 *
 * Fitting from a reference (ss_conditioning_fit): shift and scale from the
 * two log-F0 means and spreads; duration_scale = model syllable rate /
 * reference rate; alpha and bias c1..c8 minimise the weighted squared
 * difference between the log amplitude spectra of the model's long-term
 * average mel-cepstrum (re-synthesised with alpha, plus the bias) and the
 * reference's, on 160 frequencies: 128 spread uniformly in perceptual
 * (alpha 0.42 at 16 kHz) frequency over 0..8 kHz, weight 1, and 32 over
 * 8..16 kHz, weight 0.25 (where a band-limited reference holds nothing there,
 * those points ask for no change). For each alpha on a 0.0025 grid within
 * SS_COND_ALPHA_BAND of the model's the bias is a ridge-regularised linear
 * least-squares fit (with a free level term that is then dropped); the alpha
 * with the least residual wins. A bias vector longer than 0.75 (Euclidean,
 * c1..c8) is scaled down to that length (conditioning.c: WER).
 *
 * Measured (tests/quality/clone_quality.sh, pocketsphinx WER): moving the
 * synthesis alpha itself by 0.04 doubled the word error rate without
 * bringing the spectrum closer, while the cepstral bias (applied to sonorant
 * states only, conditioned_voice.h) brought LTA_MCD down 1.8-3.7 dB at little
 * WER cost; hence the narrow alpha band. Parameters are clamped to safe
 * ranges (documented at the clamps).
 *
 * Serialised form: text lines "key value", first line "scaispeak-conditioning
 * 1"; numbers printed with 17 significant digits so a round trip is exact. */
#ifndef SS_ENGINE_CONDITIONING_H
#define SS_ENGINE_CONDITIONING_H

#include "node/engine/voice/speaker_stats.h"

#include <stddef.h>

#define SS_CONDITIONING_VERSION 1
#define SS_COND_NBIAS 12
#define SS_COND_FIT_ORDER 8     /* bias fitted on c1..c8 */
#define SS_COND_ALPHA_BAND 0.0  /* alpha searched within this of the model's */

typedef struct {
    int version;
    char source[16];        /* "reference", "design", "identity" */
    double lf0_shift;       /* natural-log units */
    double lf0_scale;
    double lf0_pivot;
    double alpha;
    double cep_bias[SS_COND_NBIAS];
    double duration_scale;
    /* what the reference measured (0 for design/identity): informational */
    double ref_f0_hz;
    double ref_lf0_std;
    double ref_syllable_rate;
    double fit_rms_db;      /* residual of the spectral fit, dB */
} ss_conditioning;

void ss_conditioning_identity(ss_conditioning *c, double model_lf0_mean, double model_alpha);

/* Fits conditioning moving `model` (the voice's own measured statistics) to
 * `ref`. 0, or -1 with err. */
int ss_conditioning_fit(const ss_speaker_stats *model, const ss_speaker_stats *ref, double model_alpha,
                        ss_conditioning *out, char *err, size_t errlen);

/* The same fit for a voice that synthesises at `rate` Hz (8000..32000)
 * with all-pass constant model_alpha, its statistics measured by the same
 * analyser (a clustergen voice: 16 kHz, alpha 0.42, order 24). The bias is
 * then fitted in the voice's own cepstral terms: basis cos(m b(w)) with w
 * the grid frequency in the voice's radians, grid points at or above its
 * Nyquist weigh nothing, and alpha stays the voice's. At SS_MCEP_RATE this is
 * ss_conditioning_fit. 0, or -1 with err. */
int ss_conditioning_fit_at_rate(const ss_speaker_stats *model, const ss_speaker_stats *ref, double model_alpha,
                                int rate, ss_conditioning *out, char *err, size_t errlen);

/* 0 when every field is finite and in its range, else -1 with err. */
int ss_conditioning_validate(const ss_conditioning *c, char *err, size_t errlen);

/* Writes the text form into buf (NUL-terminated); returns its length, or -1
 * when cap is too small. 1024 bytes always suffice. */
int ss_conditioning_serialize(const ss_conditioning *c, char *buf, size_t cap);
/* Parses the text form (any key order; every key required; version checked).
 * 0, or -1 with err. */
int ss_conditioning_parse(const char *buf, size_t len, ss_conditioning *out, char *err, size_t errlen);

/* Output F0 mean in Hz the conditioning asks for. */
double ss_conditioning_target_f0_hz(const ss_conditioning *c);

#endif
