/* Unit tests for node/engine/voice/speaker_stats_file: a file written under
 * a key reads back bit for bit under that key; another key, version or
 * struct size is STALE; cut, padded or implausible files are DAMAGED; no
 * file is ABSENT; a write replaces the old file whole. */
#include "node/engine/voice/speaker_stats_file.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ss_speaker_stats sample(void)
{
    ss_speaker_stats s = {.lf0_mean = 5.25, .lf0_std = 0.17, .voiced_frames = 2400, .speech_s = 21.5,
                          .syllable_rate = 4.2, .bandwidth_hz = 8000};
    for (size_t m = 0; m <= SS_MCEP_ORDER; m++)
        s.lta_mcep[m] = 0.01 * (double)m - 0.2;
    return s;
}

static ss_stats_file_status parse(const uint8_t *b, size_t len, const char *key, ss_speaker_stats *out)
{
    char why[256];
    return ss_speaker_stats_file_parse(b, len, key, out, why, sizeof why);
}

Test(speaker_stats_file, round_trip_and_staleness)
{
    ss_speaker_stats s = sample(), got;
    size_t len = 0;
    uint8_t *b = ss_speaker_stats_file_bytes(&s, "exe a 1\nlib b 2\n", &len);
    cr_assert_not_null(b);
    cr_assert_eq(parse(b, len, "exe a 1\nlib b 2\n", &got), SS_STATS_FILE_OK);
    cr_assert_eq(memcmp(&got, &s, sizeof s), 0);
    cr_assert_eq(parse(b, len, "exe a 1\nlib b 3\n", &got), SS_STATS_FILE_STALE);
    cr_assert_eq(parse(b, len, "exe a 1\n", &got), SS_STATS_FILE_STALE);
    b[8] ^= 1; /* the format version */
    cr_assert_eq(parse(b, len, "exe a 1\nlib b 2\n", &got), SS_STATS_FILE_STALE);
    b[8] ^= 1;
    b[12] ^= 8; /* the struct size */
    cr_assert_eq(parse(b, len, "exe a 1\nlib b 2\n", &got), SS_STATS_FILE_STALE);
    free(b);
}

Test(speaker_stats_file, damaged_files)
{
    ss_speaker_stats s = sample(), got;
    size_t len = 0;
    uint8_t *b = ss_speaker_stats_file_bytes(&s, "k", &len);
    cr_assert_not_null(b);
    cr_assert_eq(parse(b, 10, "k", &got), SS_STATS_FILE_DAMAGED);
    cr_assert_eq(parse(b, len - 1, "k", &got), SS_STATS_FILE_DAMAGED);
    uint8_t *longer = calloc(1, len + 1);
    memcpy(longer, b, len);
    cr_assert_eq(parse(longer, len + 1, "k", &got), SS_STATS_FILE_DAMAGED);
    free(longer);
    b[0] = 'X';
    cr_assert_eq(parse(b, len, "k", &got), SS_STATS_FILE_DAMAGED);
    free(b);
    const double bad[] = {NAN, INFINITY};
    for (size_t i = 0; i < 2; i++) {
        ss_speaker_stats t = sample();
        t.lta_mcep[7] = bad[i];
        b = ss_speaker_stats_file_bytes(&t, "k", &len);
        cr_assert_eq(parse(b, len, "k", &got), SS_STATS_FILE_DAMAGED);
        free(b);
    }
    ss_speaker_stats t = sample();
    t.voiced_frames = 10;
    b = ss_speaker_stats_file_bytes(&t, "k", &len);
    cr_assert_eq(parse(b, len, "k", &got), SS_STATS_FILE_DAMAGED);
    free(b);
    t = sample();
    t.bandwidth_hz = 0;
    b = ss_speaker_stats_file_bytes(&t, "k", &len);
    cr_assert_eq(parse(b, len, "k", &got), SS_STATS_FILE_DAMAGED);
    free(b);
}

Test(speaker_stats_file, files_on_disk)
{
    char dir[] = "/tmp/stats_file_XXXXXX", path[256], why[256], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/v.stats", dir);
    ss_speaker_stats s = sample(), got;
    cr_assert_eq(ss_speaker_stats_file_read(path, "k", &got, why, sizeof why), SS_STATS_FILE_ABSENT);
    cr_assert_eq(ss_speaker_stats_file_write(path, "k", &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_speaker_stats_file_read(path, "k", &got, why, sizeof why), SS_STATS_FILE_OK, "%s", why);
    cr_assert_eq(memcmp(&got, &s, sizeof s), 0);
    s.lf0_mean = 4.5;
    cr_assert_eq(ss_speaker_stats_file_write(path, "k2", &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_speaker_stats_file_read(path, "k", &got, why, sizeof why), SS_STATS_FILE_STALE);
    cr_assert_eq(ss_speaker_stats_file_read(path, "k2", &got, why, sizeof why), SS_STATS_FILE_OK, "%s", why);
    cr_assert_eq(got.lf0_mean, 4.5);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/missing/v.stats", dir);
    cr_assert_eq(ss_speaker_stats_file_write(bad, "k", &s, err, sizeof err), -1);
    cr_assert(strstr(err, "cannot create") && strstr(err, "/missing/"), "%s", err);
    unlink(path);
    rmdir(dir);
}
