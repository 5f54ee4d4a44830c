/* From a reference clip's bytes to conditioning, with the reasons a clip
 * cannot be used. The one entry point the node (hts_node_engine.c) and the
 * CLI (`scaispeak analyze`) share.
 *
 * Steps: decode (audio_input.h, any supported format, stereo mixed down),
 * preflight figures at the clip's own rate (preflight.h; reported, and used
 * for the hard floors below — the API's softer thresholds are the gateway's
 * business), speaker statistics at 32 kHz (speaker_stats.h), the fit against
 * the model's own statistics (conditioning.h).
 *
 * A clip fails with err = "analysis_failed: REASON: detail", REASON one of
 *   unreadable, truncated, empty, too_long, too_large  (decoding, audio_input.h)
 *   too_short     under 2 s of audio;
 *   silent        peak below -60 dBFS;
 *   noise_only    voice-activity ratio under 0.1 or SNR under 5 dB;
 *   clipped       peak at full scale (>= 0.99) and >= 1 % of the active
 *                 samples within 2 % of it;
 *   too_little_voiced_speech  under 1.5 s of voicing (speaker_stats.h);
 *   fit_failed    the spectral fit found nothing (should not happen). */
#ifndef SS_ENGINE_REFERENCE_ANALYSIS_H
#define SS_ENGINE_REFERENCE_ANALYSIS_H

#include "common/preflight.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/voice/speaker_stats.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char format[32];
    ss_preflight_result preflight;  /* valid once decoding worked */
    int have_preflight;
    ss_speaker_stats stats;         /* valid on success */
    double clipped_ratio;           /* share of active samples near full scale */
} ss_reference_report;

/* 0 with *out (and *rep, may be NULL) filled, or -1 with err as above.
 * reason (may be NULL) gets REASON alone. */
int ss_reference_condition(const uint8_t *data, size_t len, const ss_speaker_stats *model,
                           double model_alpha, ss_conditioning *out, ss_reference_report *rep,
                           char *reason, size_t reasonlen, char *err, size_t errlen);

/* The same analysis without the fit: 0 with rep->stats (the reference's
 * speaker statistics, for choosing a base voice: base_choice.h), or -1 with
 * err and reason as above. */
int ss_reference_analyse(const uint8_t *data, size_t len, ss_reference_report *rep, char *reason,
                         size_t reasonlen, char *err, size_t errlen);

#endif
