/* Speaker-blocklist error rates (gateway/speaker_fingerprint.c): takes
 * clips as SPEAKER:TAKE:PATH (one speaker, two or more takes of different
 * texts), fingerprints each, and for every pair prints the two distances;
 * then, for the thresholds compiled in and a grid around them, the false
 * accepts (different speakers that match: a blocked speaker's look-alike
 * refused) and false rejects (the same speaker's other take not matched:
 * a blocked speaker getting through). A measurement tool; asserts nothing. */
#include "gateway/speaker_fingerprint.h"

#include "common/audio_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char speaker[64];
    char take[32];
    speaker_fingerprint fp;
} clip;

static void rates(const clip *c, int n, double f0_max, double mcd_max, int *fa, int *diff, int *fr, int *same)
{
    *fa = *diff = *fr = *same = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double f0, mcd;
            speaker_fingerprint_distance(&c[i].fp, &c[j].fp, &f0, &mcd);
            bool match = f0 < f0_max && mcd < mcd_max;
            if (!strcmp(c[i].speaker, c[j].speaker)) {
                (*same)++;
                *fr += !match;
            } else {
                (*diff)++;
                *fa += match;
            }
        }
}

int main(int argc, char **argv)
{
    clip *c = calloc((size_t)argc, sizeof *c);
    int n = 0;
    for (int i = 1; i < argc && c; i++) {
        char *spec = strdup(argv[i]), *take = strchr(spec, ':'), *path = take ? strchr(take + 1, ':') : NULL;
        if (!path) {
            fprintf(stderr, "usage: %s SPEAKER:TAKE:PATH...\n", argv[0]);
            return 2;
        }
        *take++ = '\0';
        *path++ = '\0';
        ss_audio a;
        char err[256];
        if (ss_audio_decode_file(path, &a, NULL, err, sizeof err) != 0 ||
            speaker_fingerprint_of(a.samples, a.nsamples, a.sample_rate, &c[n].fp, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", path, err);
            return 1;
        }
        ss_audio_free(&a);
        snprintf(c[n].speaker, sizeof c[n].speaker, "%s", spec);
        snprintf(c[n].take, sizeof c[n].take, "%s", take);
        n++;
        free(spec);
    }
    printf("pair                                   same  f0_st  mcd_db  match\n");
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double f0, mcd;
            speaker_fingerprint_distance(&c[i].fp, &c[j].fp, &f0, &mcd);
            printf("%-16s %-4s ~ %-12s %-4s  %-4s %6.2f %7.2f  %s\n", c[i].speaker, c[i].take, c[j].speaker, c[j].take,
                   strcmp(c[i].speaker, c[j].speaker) ? "no" : "yes", f0, mcd,
                   speaker_fingerprint_matches(&c[i].fp, &c[j].fp) ? "MATCH" : "-");
        }
    printf("\nthresholds (f0 semitones, mcd dB): false accepts / different-speaker pairs, false rejects / same-speaker pairs\n");
    const double f0s[] = {1.0, 1.5, 2.0, 3.0}, mcds[] = {2.0, 2.5, 3.0, 4.0, 5.0};
    for (size_t a = 0; a < sizeof f0s / sizeof f0s[0]; a++)
        for (size_t b = 0; b < sizeof mcds / sizeof mcds[0]; b++) {
            int fa, diff, fr, same;
            rates(c, n, f0s[a], mcds[b], &fa, &diff, &fr, &same);
            printf("f0 < %.1f st, mcd < %.1f dB%s: FA %d/%d, FR %d/%d\n", f0s[a], mcds[b],
                   f0s[a] == SPEAKER_F0_MAX_ST && mcds[b] == SPEAKER_MCD_MAX_DB ? " (compiled in)" : "", fa, diff, fr,
                   same);
        }
    free(c);
    return 0;
}
