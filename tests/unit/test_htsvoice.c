/* Unit tests for node/engine/acoustic/htsvoice: the reader loads the real
 * voice with its documented shape, and rejects truncated, corrupted and
 * randomly mutated copies with an error (never a crash; the SAN build checks
 * memory safety). */
#include "node/engine/acoustic/htsvoice.h"

#include "tests/unit/file_bytes.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

static char *slurp(size_t *len)
{
    return file_bytes_read(VOICE, len);
}

Test(htsvoice, loads_real_voice)
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

Test(htsvoice, rejects_truncated_copies)
{
    size_t len;
    char *b = slurp(&len);
    char path[] = "/tmp/ss_voice_trunc_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const size_t cuts[] = {0, 10, 300, 837, 41000, 200000, 1100000, 1587900, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        file_bytes_write(path, b, cuts[i]);
        char err[256] = "";
        ss_htsvoice *v = ss_htsvoice_load(path, err, sizeof err);
        cr_assert_null(v, "truncated at %zu accepted", cuts[i]);
        cr_assert_neq(err[0], '\0');
    }
    remove(path);
    free(b);
}

Test(htsvoice, rejects_corrupted_copies)
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
        file_bytes_write(path, d, nl);
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
    file_bytes_write(path, c, len);
    char err[256] = "";
    cr_assert_null(ss_htsvoice_load(path, err, sizeof err));
    remove(path);
    free(c);
    free(b);
}

/* Deterministic mutation fuzz: random byte changes in the header and the
 * tree texts, plus random truncation; every load must either fail with a
 * message or succeed, never crash (the SAN build checks memory safety). */
Test(htsvoice, mutated_copies_never_crash)
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
