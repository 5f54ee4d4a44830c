/* libFuzzer target: a SynthesizeRequest as a node receives it from the
 * wire — protobuf-c's unpack, then the node's field checks
 * (node/synth_request_check.c). A request the checks accept must hold only
 * what the engine is promised: non-empty text of at most 100 000
 * characters, every string it reads well-formed UTF-8 (judged by the strict
 * validator in fuzz_utf8.h, not the product's), speed 0 or a positive
 * finite number, pitch within +-12, the rate 0 or 8000..48000, chunk_ms at
 * most 10 000, the reference digest empty or 64 hex digits, the design's
 * numbers finite and its prompt at most 1000 bytes. A refused one must say
 * why. Seeds: requests as the gateway sends them (plain, SSML, a clone
 * with its digest, a design, a prompt, timestamps and a rate). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_utf8.h"
#include "node/synth_request_check.h"

static bool str_ok(const char *s)
{
    return s && utf8_valid((const unsigned char *)s, strlen(s));
}

static size_t chars_of(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool digest_ok(const char *d)
{
    size_t n = strlen(d);
    if (n == 0)
        return true;
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f') || (d[i] >= 'A' && d[i] <= 'F')))
            return false;
    return true;
}

static void check_accepted(const Scaiinfer__Tts__V1__SynthesizeRequest *r)
{
    if (!r->text[0] || !str_ok(r->text) || chars_of(r->text) > 100000 || !str_ok(r->engine_id))
        __builtin_trap();
    if (r->speed != 0 && !(isfinite(r->speed) && r->speed > 0))
        __builtin_trap();
    if (!isfinite(r->pitch) || fabsf(r->pitch) > 12)
        __builtin_trap();
    if ((r->sample_rate != 0 && (r->sample_rate < 8000 || r->sample_rate > 48000)) || r->chunk_ms > 10000)
        __builtin_trap();
    if (!r->voice)
        return;
    if (!str_ok(r->voice->voice_id) || !digest_ok(r->voice->reference_sha256))
        __builtin_trap();
    const Scaiinfer__Tts__V1__VoiceDesign *d = r->voice->design;
    if (d && (!isfinite(d->f0_shift_semitones) || !isfinite(d->f0_range_scale) || !isfinite(d->alpha_shift) ||
              !isfinite(d->brightness) || !isfinite(d->energy) || !isfinite(d->rate_scale) ||
              d->rate_scale < 0 || d->f0_range_scale < 0 || !str_ok(d->prompt) || strlen(d->prompt) > 1000))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Scaiinfer__Tts__V1__SynthesizeRequest *r = scaiinfer__tts__v1__synthesize_request__unpack(NULL, size, data);
    if (!r)
        return 0;
    char msg[256] = "";
    if (ss_synth_request_check(r, msg, sizeof msg))
        check_accepted(r);
    else if (!msg[0])
        __builtin_trap(); /* refused without a reason */
    scaiinfer__tts__v1__synthesize_request__free_unpacked(r, NULL);
    return 0;
}
