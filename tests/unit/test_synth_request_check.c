/* Unit tests for node/synth_request_check: each field's check names the
 * field, strings that are not UTF-8 are refused (protobuf-c does not check
 * them), and a request with every field at its limit passes. */
#include "node/synth_request_check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#define DIGEST "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"

typedef struct {
    Scaiinfer__Tts__V1__SynthesizeRequest r;
    Scaiinfer__Tts__V1__VoiceSpec voice;
    Scaiinfer__Tts__V1__VoiceDesign design;
} request;

static void request_init(request *q)
{
    q->r = (Scaiinfer__Tts__V1__SynthesizeRequest)SCAIINFER__TTS__V1__SYNTHESIZE_REQUEST__INIT;
    q->voice = (Scaiinfer__Tts__V1__VoiceSpec)SCAIINFER__TTS__V1__VOICE_SPEC__INIT;
    q->design = (Scaiinfer__Tts__V1__VoiceDesign)SCAIINFER__TTS__V1__VOICE_DESIGN__INIT;
    q->r.text = "Hello.";
    q->r.voice = &q->voice;
    q->voice.voice_id = "vc_1";
    q->voice.reference_sha256 = DIGEST;
}

/* The check's message, "" when it passes. */
static const char *check(const request *q)
{
    static char msg[256];
    msg[0] = 0;
    bool ok = ss_synth_request_check(&q->r, msg, sizeof msg);
    cr_assert_eq(ok, msg[0] == 0, "ok %d with message '%s'", ok, msg);
    return msg;
}

Test(synth_request_check, fields_at_their_limits_pass)
{
    request q;
    request_init(&q);
    q.r.speed = 0; /* the default */
    q.r.pitch = 12;
    q.r.sample_rate = 48000;
    q.r.chunk_ms = 10000;
    q.voice.design = &q.design;
    q.design.prompt = "a calm \xc3\xa9l\xc3\xa8ve";
    cr_assert_str_empty(check(&q));
    q.voice.reference_sha256 = ""; /* no clone */
    q.r.sample_rate = 8000;
    cr_assert_str_empty(check(&q));
    q.r.voice = NULL;
    cr_assert_str_empty(check(&q));
}

Test(synth_request_check, strings_that_are_not_utf8_are_named)
{
    static const struct {
        int field;
        const char *bad, *want;
    } cases[] = {
        {0, "Hello \xc3\x28.", "text is not valid UTF-8"},
        {0, "\xed\xa0\x80", "text is not valid UTF-8"},
        {1, "hts\xff", "engine_id is not valid UTF-8"},
        {2, "vc_\xc0\x80", "voice.voice_id is not valid UTF-8"},
        {3, "deep \xf4\x90\x80\x80", "voice.design.prompt is not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        request q;
        request_init(&q);
        q.voice.design = &q.design;
        char *bad = (char *)cases[i].bad;
        switch (cases[i].field) {
        case 0: q.r.text = bad; break;
        case 1: q.r.engine_id = bad; break;
        case 2: q.voice.voice_id = bad; break;
        default: q.design.prompt = bad; break;
        }
        cr_assert_str_eq(check(&q), cases[i].want, "case %zu", i);
    }
}

Test(synth_request_check, reference_digest_is_empty_or_64_hex_digits)
{
    request q;
    request_init(&q);
    q.voice.reference_sha256 = "d1";
    cr_assert(strstr(check(&q), "voice.reference_sha256 must be empty or 64 hex digits (got 2 bytes)"));
    char d[66];
    memcpy(d, DIGEST, 64);
    d[64] = 'a', d[65] = 0;
    q.voice.reference_sha256 = d;
    cr_assert(strstr(check(&q), "(got 65 bytes)"));
    d[64] = 0;
    d[10] = 'g';
    q.voice.reference_sha256 = d;
    cr_assert(strstr(check(&q), "64 hex digits"));
}

Test(synth_request_check, numbers_and_text_limits_are_named)
{
    request q;
    request_init(&q);
    q.r.text = "";
    cr_assert_str_eq(check(&q), "text is empty");
    request_init(&q);
    q.r.speed = NAN;
    cr_assert(strstr(check(&q), "speed"));
    request_init(&q);
    q.r.pitch = -13;
    cr_assert(strstr(check(&q), "pitch"));
    request_init(&q);
    q.r.sample_rate = 7999;
    cr_assert(strstr(check(&q), "sample_rate must be 0 (engine rate) or 8000..48000 (got 7999)"));
    request_init(&q);
    q.r.chunk_ms = 10001;
    cr_assert_str_eq(check(&q), "chunk_ms must be at most 10000 (got 10001)");
    request_init(&q);
    q.voice.design = &q.design;
    q.design.rate_scale = -1;
    cr_assert(strstr(check(&q), "voice.design values must be finite"));
    request_init(&q);
    q.voice.design = &q.design;
    q.design.energy = INFINITY;
    cr_assert(strstr(check(&q), "voice.design values must be finite"));
}
