/* A clone request's two clips judged (API.md §4): the reference through
 * preflight, the consent clip through the lighter check, and the digests
 * the voice record keeps.
 *
 * Reference: decoded (common/audio_input.h: WAV, FLAC, Ogg, MP3; any rate;
 * channels mixed down) and analysed by common/preflight.h at the clip's own
 * rate, against the thresholds of the settings (preflight_*). A clip that
 * does not decode (not audio, truncated, empty, over the decoder's limits)
 * is "unreadable" — 422 SCAISPEAK_AUDIO_UNREADABLE; one that decodes but
 * fails a threshold gets the preflight block of 422
 * SCAISPEAK_VOICE_PREFLIGHT_FAILED.
 *
 * Consent: readable, and at least VOICE_CONSENT_MIN_SPEECH_S of speech,
 * where speech is preflight's voice-activity ratio times the clip's
 * duration (the same 20 ms frame decision the reference gets, so a consent
 * clip of silence or a steady hum has no speech). Its digest is SHA-256
 * over consent_text's bytes followed by the clip's bytes.
 *
 * Pure functions (CPU only, no I/O): the gateway runs them on its audio
 * threads, never on the event loop. */
#ifndef SS_GATEWAY_VOICE_CLIPS_H
#define SS_GATEWAY_VOICE_CLIPS_H

#include "common/preflight.h"
#include "common/settings.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define VOICE_CONSENT_MIN_SPEECH_S 2.0

typedef enum {
    VOICE_CLIP_OK = 0,
    VOICE_CLIP_UNREADABLE, /* does not decode: err says why */
    VOICE_CLIP_NO_MEMORY,
} voice_clip_status;

/* The preflight thresholds of the settings. */
void voice_preflight_thresholds(const ss_settings *s, ss_preflight_thresholds *t);

/* Decodes the reference and runs preflight: VOICE_CLIP_OK with *out filled
 * (out->passed tells), or another status with err. *format gets the
 * decoder's format name ("wav", ...; at least 32 bytes). */
voice_clip_status voice_reference_judge(const uint8_t *data, size_t len, const ss_preflight_thresholds *t,
                                        ss_preflight_result *out, char *format, char *err, size_t errlen);

/* Decodes the consent clip: VOICE_CLIP_OK with its seconds of speech in
 * *speech_s and its format name in *format (32 bytes), or another status
 * with err. Whether *speech_s is enough is the caller's test
 * (VOICE_CONSENT_MIN_SPEECH_S). */
voice_clip_status voice_consent_judge(const uint8_t *data, size_t len, double *speech_s, char *format, char *err,
                                      size_t errlen);

/* Lower-case hex SHA-256 of a[0..alen) followed by b[0..blen) (either may
 * be empty). */
void voice_sha256_hex(const void *a, size_t alen, const void *b, size_t blen, char out[65]);

/* The API's preflight block: {passed, duration_s, voice_activity_ratio,
 * peak_dbfs, snr_db, sample_rate, channels, fail_reasons[], thresholds{}}
 * (NULL when out of memory). Figures are rounded to 3 decimals. */
json_t *voice_preflight_json(const ss_preflight_result *r);

#endif
