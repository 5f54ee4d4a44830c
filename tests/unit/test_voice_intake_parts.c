/* Unit tests for the pure parts of POST /voices clone mode:
 * gateway/voice_form.c (the multipart form read from an evbuffer whose
 * chains are split anywhere, and drained) and gateway/voice_clips.c
 * (reference preflight against thresholds, the consent clip's speech, the
 * digests, the preflight block). The clips are WAV bytes made here: tone
 * bursts with pauses, like speech to preflight's frame decision. */
#include "gateway/voice_clips.h"
#include "gateway/voice_form.h"

#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 16000
#define TYPE "multipart/form-data; boundary=XyZ"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = v & 255;
    p[1] = (v >> 8) & 255;
}

static void put32(uint8_t *p, unsigned v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* A mono 16-bit WAV of `seconds` of 0.25 s tone bursts and 0.1 s pauses at
 * amplitude a (a > 1 clips), with a little noise everywhere. */
static uint8_t *wav(double seconds, double a, size_t *len)
{
    size_t n = (size_t)(seconds * RATE);
    *len = 44 + 2 * n;
    uint8_t *w = calloc(1, *len);
    memcpy(w, "RIFF", 4);
    put32(w + 4, (unsigned)(*len - 8));
    memcpy(w + 8, "WAVEfmt ", 8);
    put32(w + 16, 16);
    put16(w + 20, 1);
    put16(w + 22, 1);
    put32(w + 24, RATE);
    put32(w + 28, RATE * 2);
    put16(w + 32, 2);
    put16(w + 34, 16);
    memcpy(w + 36, "data", 4);
    put32(w + 40, (unsigned)(2 * n));
    unsigned rng = 3;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / RATE, ph = fmod(t, 0.35);
        rng = rng * 1664525u + 1013904223u;
        double x = (ph < 0.25 ? a * sin(2 * M_PI * 180.0 * t) : 0) + 0.0005 * ((rng >> 8) / 8388608.0 - 1.0);
        x = x > 1 ? 1 : x < -1 ? -1 : x;
        put16(w + 44 + 2 * i, (unsigned)(int16_t)lrint(x * 32767.0) & 0xFFFF);
    }
    return w;
}

/* --- voice_form */

typedef struct {
    char *body;
    size_t len;
} text;

static void append(text *t, const void *p, size_t n)
{
    t->body = realloc(t->body, t->len + n + 1);
    memcpy(t->body + t->len, p, n);
    t->len += n;
}

static void field(text *t, const char *name, const char *value)
{
    char head[256];
    snprintf(head, sizeof head, "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n", name);
    append(t, head, strlen(head));
    append(t, value, strlen(value));
    append(t, "\r\n", 2);
}

static void file(text *t, const char *name, const uint8_t *data, size_t n)
{
    char head[256];
    snprintf(head, sizeof head,
             "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s.wav\"\r\n"
             "Content-Type: audio/wav\r\n\r\n",
             name, name);
    append(t, head, strlen(head));
    append(t, data, n);
    append(t, "\r\n", 2);
}

static void unref(const void *data, size_t len, void *extra)
{
    (void)data, (void)len, (void)extra;
}

/* The body as an evbuffer of chains of `piece` bytes (references: one
 * chain each). */
static struct evbuffer *chained(const text *t, size_t piece)
{
    struct evbuffer *b = evbuffer_new();
    for (size_t off = 0; off < t->len; off += piece)
        evbuffer_add_reference(b, t->body + off, off + piece > t->len ? t->len - off : piece, unref, NULL);
    return b;
}

Test(voice_form, fields_and_files_from_any_chain_split)
{
    size_t rlen, clen;
    uint8_t *ref = wav(1.0, 0.3, &rlen), *consent = wav(0.5, 0.3, &clen);
    text t = {0};
    field(&t, "display_name", "Kal \xc3\xa9");
    file(&t, "reference", ref, rlen);
    field(&t, "consent_text", "I agree.");
    file(&t, "consent", consent, clen);
    append(&t, "--XyZ--\r\n", 9);
    size_t pieces[] = {1, 7, 73, 4096, 1 << 20};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        struct evbuffer *b = chained(&t, pieces[k]);
        voice_form f;
        cr_assert_eq(voice_form_read(b, TYPE, &f), 0, "%s", f.error);
        cr_assert_eq(evbuffer_get_length(b), 0, "the body is drained");
        cr_assert_eq(json_array_size(f.details), 0);
        cr_assert_str_eq(json_string_value(json_object_get(f.fields, "display_name")), "Kal \xc3\xa9");
        cr_assert_str_eq(json_string_value(json_object_get(f.fields, "consent_text")), "I agree.");
        cr_assert(f.reference.present && f.reference.len == rlen && !memcmp(f.reference.data, ref, rlen));
        cr_assert(f.consent.present && f.consent.len == clen && !memcmp(f.consent.data, consent, clen));
        voice_form_free(&f);
        evbuffer_free(b);
    }
    free(t.body);
    free(ref);
    free(consent);
}

static const char *detail_of(const voice_form *f, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(f->details, i, d) if (!strcmp(json_string_value(json_object_get(d, "field")), name)) return json_string_value(json_object_get(d, "message"));
    return NULL;
}

Test(voice_form, problems_are_details_and_framing_is_malformed)
{
    text t = {0};
    field(&t, "colour", "blue");
    field(&t, "display_name", "a");
    field(&t, "display_name", "b");
    char big[VOICE_FORM_TEXT_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    field(&t, "description", big);
    field(&t, "consent_text", "\xff\xfe");
    file(&t, "consent", (const uint8_t *)"", 0);
    append(&t, "--XyZ--\r\n", 9);
    struct evbuffer *b = chained(&t, 100);
    voice_form f;
    cr_assert_eq(voice_form_read(b, TYPE, &f), 0);
    cr_assert_str_eq(detail_of(&f, "colour"), "is not a field of this request");
    cr_assert_str_eq(detail_of(&f, "display_name"), "is given more than once");
    cr_assert_str_eq(detail_of(&f, "description"), "is longer than 8192 bytes");
    cr_assert_str_eq(detail_of(&f, "consent_text"), "must be UTF-8 text");
    cr_assert(f.consent.present && f.consent.len == 0, "a 0-byte file part is present and empty");
    cr_assert(!f.reference.present);
    voice_form_free(&f);
    evbuffer_free(b);

    /* no close delimiter; a bad boundary */
    text u = {0};
    field(&u, "display_name", "a");
    b = chained(&u, 5);
    cr_assert_eq(voice_form_read(b, TYPE, &f), -1);
    cr_assert(f.malformed && strstr(f.error, "not valid multipart/form-data"), "%s", f.error);
    voice_form_free(&f);
    evbuffer_free(b);
    b = chained(&u, 5);
    cr_assert_eq(voice_form_read(b, "multipart/form-data", &f), -1);
    cr_assert(f.malformed);
    voice_form_free(&f);
    evbuffer_free(b);
    free(t.body);
    free(u.body);
}

/* --- voice_clips */

static ss_preflight_thresholds spec_thresholds(void)
{
    ss_preflight_thresholds t;
    ss_preflight_thresholds_default(&t);
    return t;
}

Test(voice_clips, reference_preflight_and_block)
{
    ss_preflight_thresholds t = spec_thresholds();
    size_t n;
    uint8_t *ok = wav(8.0, 0.3, &n);
    ss_preflight_result r;
    char format[32], err[256];
    cr_assert_eq(voice_reference_judge(ok, n, &t, &r, format, err, sizeof err), VOICE_CLIP_OK, "%s", err);
    cr_assert(r.passed, "ratio %.2f snr %.1f peak %.1f", r.voice_activity_ratio, r.snr_db, r.peak_dbfs);
    cr_assert_str_eq(format, "wav");
    json_t *block = voice_preflight_json(&r);
    cr_assert(json_is_true(json_object_get(block, "passed")));
    cr_assert_eq(json_array_size(json_object_get(block, "fail_reasons")), 0);
    cr_assert_eq(json_integer_value(json_object_get(block, "sample_rate")), RATE);
    cr_assert_eq(json_integer_value(json_object_get(block, "channels")), 1);
    cr_assert_float_eq(json_real_value(json_object_get(json_object_get(block, "thresholds"), "min_snr_db")), 15.0,
                       1e-9);
    json_decref(block);
    free(ok);

    uint8_t *shortclip = wav(3.0, 0.3, &n);
    cr_assert_eq(voice_reference_judge(shortclip, n, &t, &r, format, err, sizeof err), VOICE_CLIP_OK);
    block = voice_preflight_json(&r);
    cr_assert(json_is_false(json_object_get(block, "passed")));
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(block, "fail_reasons"), 0)),
                     "duration_below_minimum");
    cr_assert_eq(json_array_size(json_object_get(block, "fail_reasons")), 1);
    json_decref(block);
    t.min_duration_s = 2; /* thresholds are the caller's (the settings) */
    cr_assert_eq(voice_reference_judge(shortclip, n, &t, &r, format, err, sizeof err), VOICE_CLIP_OK);
    cr_assert(r.passed);
    free(shortclip);

    uint8_t *clipped = wav(8.0, 3.0, &n);
    t = spec_thresholds();
    cr_assert_eq(voice_reference_judge(clipped, n, &t, &r, format, err, sizeof err), VOICE_CLIP_OK);
    cr_assert_eq(r.fail_mask & SS_PREFLIGHT_PEAK_DBFS_ABOVE_THRESHOLD, SS_PREFLIGHT_PEAK_DBFS_ABOVE_THRESHOLD);
    free(clipped);

    const char png[] = "\x89PNG\r\n\x1a\n not audio";
    cr_assert_eq(voice_reference_judge((const uint8_t *)png, sizeof png - 1, &t, &r, format, err, sizeof err),
                 VOICE_CLIP_UNREADABLE);
    cr_assert(err[0]);
    cr_assert_eq(voice_reference_judge((const uint8_t *)"", 0, &t, &r, format, err, sizeof err),
                 VOICE_CLIP_UNREADABLE);
    uint8_t *whole = wav(8.0, 0.3, &n);
    cr_assert_eq(voice_reference_judge(whole, n / 3, &t, &r, format, err, sizeof err), VOICE_CLIP_UNREADABLE);
    cr_assert(strstr(err, "truncated"), "%s", err);
    free(whole);
}

Test(voice_clips, consent_speech_and_digests)
{
    size_t n;
    uint8_t *c = wav(4.0, 0.3, &n);
    double speech;
    char format[32], err[256];
    cr_assert_eq(voice_consent_judge(c, n, &speech, format, err, sizeof err), VOICE_CLIP_OK, "%s", err);
    cr_assert(speech > 2.2 && speech <= 4.0, "%.2f s", speech);
    free(c);
    c = wav(1.5, 0.3, &n);
    cr_assert_eq(voice_consent_judge(c, n, &speech, format, err, sizeof err), VOICE_CLIP_OK);
    cr_assert(speech < VOICE_CONSENT_MIN_SPEECH_S, "%.2f s", speech);
    free(c);

    char hex[65];
    voice_sha256_hex("abc", 3, NULL, 0, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    voice_sha256_hex("a", 1, "bc", 2, hex); /* text + bytes: one digest over both */
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
