/* Voice reader and engine API input checks.
 *
 * The reader must reject truncated and corrupted copies of the real voice
 * with an error (never crash), and the engine must reject bad options and
 * labels with clear messages. */
#include "node/engine/engine.h"
#include "node/engine/acoustic/htsvoice.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

static char *slurp(size_t *len)
{
    FILE *f = fopen(VOICE, "rb");
    cr_assert_not_null(f, "voice file missing");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

Test(engine_voice, loads_real_voice)
{
    char err[256];
    ss_htsvoice *v = ss_htsvoice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(v->sample_rate, 32000);
    cr_assert_eq(v->frame_period, 160);
    cr_assert_eq(v->nstates, 5);
    cr_assert_eq(v->streams[0].vector_length, 45);
    cr_assert_float_eq(v->streams[0].alpha, 0.45, 1e-12);
    cr_assert(v->streams[1].is_msd);
    cr_assert_eq(v->ngv_off, 3);
    cr_assert_not(ss_htsvoice_gv_on(v, "x^x-pau+dh=ax", 13));
    cr_assert(ss_htsvoice_gv_on(v, "x^pau-dh+ax=b", 13));
    ss_htsvoice_free(v);
}

Test(engine_voice, rejects_truncated_copies)
{
    size_t len;
    char *b = slurp(&len);
    char path[] = "/tmp/ss_voice_trunc_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const size_t cuts[] = {0, 10, 300, 837, 41000, 200000, 1100000, 1587900, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(path, b, cuts[i]);
        char err[256] = "";
        ss_htsvoice *v = ss_htsvoice_load(path, err, sizeof err);
        cr_assert_null(v, "truncated at %zu accepted", cuts[i]);
        cr_assert_neq(err[0], '\0');
    }
    remove(path);
    free(b);
}

Test(engine_voice, rejects_corrupted_copies)
{
    size_t len;
    char *b = slurp(&len);
    char *c = malloc(len);
    char path[] = "/tmp/ss_voice_bad_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    struct {
        const char *find, *repl;
    } edits[] = {
        {"NUM_STATES:5", "NUM_STATES:x"},
        {"VECTOR_LENGTH[MCP]:45", "VECTOR_LENGTH[MCP]:46"},
        {"DURATION_PDF:0-41163", "DURATION_PDF:0-41167"},
        {"STREAM_PDF[LF0]:1020189-1123332", "STREAM_PDF[LF0]:1020189-9123332"},
        {"HTS_VOICE_VERSION:1.0", "HTS_VOICE_VERSION:9.9"},
        {"[DATA]", "[DATX]"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(c, b, len);
        char *at = memmem(c, 2000, edits[i].find, strlen(edits[i].find));
        cr_assert_not_null(at, "%s not in header", edits[i].find);
        size_t fl = strlen(edits[i].find), rl = strlen(edits[i].repl);
        size_t nl = len - fl + rl;
        char *d = malloc(nl);
        memcpy(d, c, (size_t)(at - c));
        memcpy(d + (at - c), edits[i].repl, rl);
        memcpy(d + (at - c) + rl, at + fl, len - (size_t)(at - c) - fl);
        write_file(path, d, nl);
        char err[256] = "";
        ss_htsvoice *v = ss_htsvoice_load(path, err, sizeof err);
        cr_assert_null(v, "edit %s accepted", edits[i].repl);
        cr_assert_neq(err[0], '\0');
        free(d);
    }
    /* garbage in a tree: the duration tree starts at data offset 41164 */
    memcpy(c, b, len);
    char *data = memmem(c, 2000, "[DATA]\n", 7);
    cr_assert_not_null(data);
    memset(data + 7 + 41164 + 100000, '{', 64);
    write_file(path, c, len);
    char err[256] = "";
    cr_assert_null(ss_htsvoice_load(path, err, sizeof err));
    remove(path);
    free(c);
    free(b);
}

Test(engine_api, option_validation)
{
    ss_synth_options o;
    char err[256];
    ss_synth_options_init(&o);
    cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), 0);
    const double bad_speed[] = {0.0, -1.0, NAN, INFINITY, 0.49, 2.01};
    for (size_t i = 0; i < sizeof bad_speed / sizeof bad_speed[0]; i++) {
        ss_synth_options_init(&o);
        o.speed = bad_speed[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), -1, "speed %g accepted", bad_speed[i]);
        cr_assert(strstr(err, "speed") != NULL);
    }
    const double bad_pitch[] = {-12.5, 12.5, NAN, -INFINITY};
    for (size_t i = 0; i < sizeof bad_pitch / sizeof bad_pitch[0]; i++) {
        ss_synth_options_init(&o);
        o.pitch = bad_pitch[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), -1);
        cr_assert(strstr(err, "pitch") != NULL);
    }
    const int bad_rate[] = {0, -8000, 11025, 96000, 12345};
    for (size_t i = 0; i < sizeof bad_rate / sizeof bad_rate[0]; i++) {
        ss_synth_options_init(&o);
        o.sample_rate = bad_rate[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), -1);
    }
    const int good_rate[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof good_rate / sizeof good_rate[0]; i++) {
        ss_synth_options_init(&o);
        o.sample_rate = good_rate[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), 0);
    }
}

static const char *LABELS[] = {
    "x^x-pau+hh=ax@x_x/A:0_0_0/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:1+0+2/D:0_0/E:x+x@x+x&x+x#x+x/F:content_2/G:0_0/H:x=x@1=1|0/I:2=1/J:2+1-1",
    "x^pau-hh+ax=l@1_2/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "pau^hh-ax+l=ow@2_1/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "hh^ax-l+ow=pau@1_2/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "ax^l-ow+pau=x@2_1/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "l^ow-pau+x=x@x_x/A:0_0_1/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:0+0+0/D:content_2/E:x+x@x+x&x+x#x+x/F:0_0/G:2_1/H:x=x@1=1|0/I:0=0/J:2+1-1",
};

Test(engine_api, synthesize_and_reject_bad_labels)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_synth_options o;
    ss_synth_options_init(&o);
    ss_synth_result r;
    size_t n = sizeof LABELS / sizeof LABELS[0];
    cr_assert_eq(ss_synthesize(v, LABELS, n, &o, NULL, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_assert_gt(r.nsamples, 1000);
    cr_assert_eq(r.nsamples, r.nframes * 160);
    cr_assert_eq(r.nphones, n);
    cr_assert_str_eq(r.phones[0].phone, "pau");
    cr_assert_str_eq(r.phones[2].phone, "ax");
    cr_assert_eq(r.nwords, 1, "one word 'hello' (got %zu)", r.nwords);
    cr_assert_eq(r.words[0].first_phone, 1);
    cr_assert_eq(r.words[0].last_phone, 4);
    cr_assert_float_eq(r.words[0].start_ms, r.phones[1].start_ms, 1e-9);
    ss_synth_result_free(&r);

    cr_assert_eq(ss_synthesize(v, LABELS, 0, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    const char *with_null[] = {LABELS[0], NULL};
    cr_assert_eq(ss_synthesize(v, with_null, 2, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    const char *bad[] = {"1 2 3 4 5"};
    cr_assert_eq(ss_synthesize(v, bad, 1, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);
    const char **many = malloc((SS_SYNTH_MAX_LABELS + 1) * sizeof *many);
    for (size_t i = 0; i <= SS_SYNTH_MAX_LABELS; i++)
        many[i] = LABELS[1];
    cr_assert_eq(ss_synthesize(v, many, SS_SYNTH_MAX_LABELS + 1, &o, NULL, NULL, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "too many labels") != NULL);
    ss_synth_result_free(&r);
    free(many);
    o.speed = 0;
    cr_assert_eq(ss_synthesize(v, LABELS, n, &o, NULL, NULL, &r, err, sizeof err), -1);
    ss_synth_result_free(&r);

    /* cancellation flag set before the first chunk */
    ss_synth_options_init(&o);
    atomic_int cancel = 1;
    o.cancel = &cancel;
    cr_assert_eq(ss_synthesize(v, LABELS, n, &o, NULL, NULL, &r, err, sizeof err), SS_SYNTH_CANCELLED);
    ss_synth_result_free(&r);
    ss_voice_free(v);
}

/* Deterministic mutation fuzz: random byte changes in the header and the
 * tree texts, plus random truncation; every load must either fail with a
 * message or succeed, never crash (the SAN build checks memory safety). */
Test(engine_voice, mutated_copies_never_crash)
{
    size_t len;
    char *b = slurp(&len);
    char *c = malloc(len);
    unsigned seed = 12345;
    int rejected = 0;
    for (int it = 0; it < 120; it++) {
        memcpy(c, b, len);
        int nflip = 1 + (int)(rand_r(&seed) % 8);
        int region = (int)(rand_r(&seed) % 3);
        for (int k = 0; k < nflip; k++) {
            size_t pos;
            if (region == 0)
                pos = (size_t)rand_r(&seed) % 836;
            else if (region == 1)
                pos = 836 + 41164 + (size_t)rand_r(&seed) % 122493;
            else
                pos = 836 + 1123333 + (size_t)rand_r(&seed) % 464000;
            c[pos] = (char)(rand_r(&seed) & 0xff);
        }
        size_t l = (rand_r(&seed) % 4 == 0) ? (size_t)rand_r(&seed) % len : len;
        char err[512] = "";
        ss_htsvoice *v = ss_htsvoice_load_buffer(c, l, err, sizeof err);
        if (v)
            ss_htsvoice_free(v);
        else {
            cr_assert_neq(err[0], '\0');
            rejected++;
        }
    }
    cr_assert_gt(rejected, 60);
    free(c);
    free(b);
}
