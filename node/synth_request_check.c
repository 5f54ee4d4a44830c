/* SynthesizeRequest field checks (see synth_request_check.h). One small
 * function per part of the request, run in order by a table; the first
 * that fails writes the message. NaN passes every ordered comparison, so
 * finiteness is checked before ranges. */
#include "node/synth_request_check.h"

#include "common/synth_limits.h"
#include "common/utf8.h"
#include "node/engine/voice/voice_design.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { SAMPLE_RATE_MIN = 8000, SAMPLE_RATE_MAX = 48000, CHUNK_MS_MAX = 10000, SHA256_HEX = 64 };

typedef bool (*field_check)(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen);

/* A string field: well-formed UTF-8 (protobuf-c strings are NUL-terminated
 * at their wire length, so a NUL inside one ends it early: not checked). */
static bool string_ok(const char *name, const char *s, char *msg, size_t msglen)
{
    if (s && !ss_utf8_valid(s, strlen(s))) {
        snprintf(msg, msglen, "%s is not valid UTF-8", name);
        return false;
    }
    return true;
}

static bool text_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    if (!r->text[0]) {
        snprintf(msg, msglen, "text is empty");
        return false;
    }
    if (!string_ok("text", r->text, msg, msglen))
        return false;
    size_t chars = ss_utf8_chars(r->text);
    if (chars > SS_TEXT_MAX_CHARS) {
        snprintf(msg, msglen, "text is %zu characters; at most %d are accepted", chars, SS_TEXT_MAX_CHARS);
        return false;
    }
    return true;
}

static bool engine_id_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    return string_ok("engine_id", r->engine_id, msg, msglen);
}

static bool speed_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    char why[64];
    if (r->speed != 0 && !ss_engine_speed_ok(r->speed, why, sizeof why)) { /* 0 = the default, 1 */
        snprintf(msg, msglen, "speed %s (got %g)", why, (double)r->speed);
        return false;
    }
    return true;
}

static bool pitch_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    char why[64];
    if (!ss_pitch_ok(r->pitch, why, sizeof why)) {
        snprintf(msg, msglen, "pitch %s (got %g)", why, (double)r->pitch);
        return false;
    }
    return true;
}

/* voice.voice_id UTF-8; voice.reference_sha256 empty or 64 hex digits (the
 * digest the cache is keyed by and the engine checks the bytes against). */
static bool voice_ids_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    if (!r->voice)
        return true;
    if (!string_ok("voice.voice_id", r->voice->voice_id, msg, msglen))
        return false;
    const char *d = r->voice->reference_sha256 ? r->voice->reference_sha256 : "";
    size_t n = strlen(d);
    bool hex = n == SHA256_HEX && strspn(d, "0123456789abcdefABCDEF") == n;
    if (n != 0 && !hex) {
        snprintf(msg, msglen, "voice.reference_sha256 must be empty or 64 hex digits (got %zu bytes)", n);
        return false;
    }
    return true;
}

static bool design_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    if (!r->voice || !r->voice->design)
        return true;
    const Scaiinfer__Tts__V1__VoiceDesign *d = r->voice->design;
    if (!isfinite(d->f0_shift_semitones) || !isfinite(d->f0_range_scale) || !isfinite(d->alpha_shift) ||
        !isfinite(d->brightness) || !isfinite(d->energy) || !isfinite(d->rate_scale) || d->rate_scale < 0 ||
        d->f0_range_scale < 0) {
        snprintf(msg, msglen, "voice.design values must be finite numbers "
                 "(rate_scale and f0_range_scale not negative)");
        return false;
    }
    if (!string_ok("voice.design.prompt", d->prompt, msg, msglen))
        return false;
    if (d->prompt && strlen(d->prompt) > SS_DESIGN_MAX_PROMPT) {
        snprintf(msg, msglen, "voice.design.prompt is over %d bytes", SS_DESIGN_MAX_PROMPT);
        return false;
    }
    return true;
}

static bool sample_rate_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    if (r->sample_rate != 0 && (r->sample_rate < SAMPLE_RATE_MIN || r->sample_rate > SAMPLE_RATE_MAX)) {
        snprintf(msg, msglen, "sample_rate must be 0 (engine rate) or %d..%d (got %u)", SAMPLE_RATE_MIN,
                 SAMPLE_RATE_MAX, r->sample_rate);
        return false;
    }
    return true;
}

static bool chunk_ms_ok(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    if (r->chunk_ms > CHUNK_MS_MAX) {
        snprintf(msg, msglen, "chunk_ms must be at most %d (got %u)", CHUNK_MS_MAX, r->chunk_ms);
        return false;
    }
    return true;
}

static const field_check CHECKS[] = {text_ok,   engine_id_ok,   speed_ok,    pitch_ok,
                                     voice_ids_ok, design_ok, sample_rate_ok, chunk_ms_ok};

bool ss_synth_request_check(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen)
{
    for (size_t i = 0; i < sizeof CHECKS / sizeof CHECKS[0]; i++)
        if (!CHECKS[i](r, msg, msglen))
            return false;
    return true;
}
