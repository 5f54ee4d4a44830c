/* Timestamps; see synth_timestamps.h. */
#include "node/engine/synth/timestamps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ss_label_phone(const char *label, char *buf, size_t cap)
{
    const char *a = strchr(label, '-');
    const char *b = a ? strchr(a + 1, '+') : NULL;
    if (!a || !b || (size_t)(b - a - 1) >= cap || b == a + 1)
        return -1;
    memcpy(buf, a + 1, (size_t)(b - a - 1));
    buf[b - a - 1] = '\0';
    return 0;
}

/* Integer after marker up to a non-digit; -1 for "x" or absent. */
static long field_after(const char *label, const char *marker)
{
    const char *p = strstr(label, marker);
    if (!p)
        return -1;
    p += strlen(marker);
    if (*p < '0' || *p > '9')
        return -1;
    return strtol(p, NULL, 10);
}

/* Phone position in syllable: "@p6_p7/A:" ; syllable in word: "/B:b1-b2-b3@b4-b5&". */
static void word_fields(const char *label, long *p6, long *p7, long *b4, long *b5)
{
    *p6 = *p7 = *b4 = *b5 = -1;
    const char *at = strchr(label, '@');
    const char *A = strstr(label, "/A:");
    if (at && A && at < A) {
        *p6 = field_after(at, "@");
        const char *us = strchr(at, '_');
        if (us && us < A)
            *p7 = field_after(us, "_");
    }
    const char *B = strstr(label, "/B:");
    const char *C = strstr(label, "/C:");
    if (B && C) {
        const char *bat = strchr(B, '@');
        if (bat && bat < C) {
            *b4 = field_after(bat, "@");
            const char *dash = strchr(bat, '-');
            if (dash && dash < C)
                *b5 = field_after(dash, "-");
        }
    }
}

int ss_timestamps_compute(const ss_acoustic_seq *seq, double frame_ms, ss_synth_result *out,
                          char *err, size_t errlen)
{
    size_t n = seq->nlabels;
    out->phones = calloc(n, sizeof *out->phones);
    out->words = calloc(n, sizeof *out->words);
    if (!out->phones || !out->words) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t frame = 0;
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        size_t fr = 0;
        for (int k = 0; k < seq->nstates; k++)
            fr += seq->dur[i * (size_t)seq->nstates + (size_t)k];
        ss_phone_time *ph = &out->phones[i];
        if (ss_label_phone(seq->labels[i], ph->phone, sizeof ph->phone) != 0)
            snprintf(ph->phone, sizeof ph->phone, "?");
        ph->label_index = i;
        ph->start_ms = (double)frame * frame_ms;
        ph->end_ms = (double)(frame + fr) * frame_ms;
        frame += fr;
        long p6, p7, b4, b5;
        word_fields(seq->labels[i], &p6, &p7, &b4, &b5);
        if (p6 < 0 || p7 < 0 || b4 < 0 || b5 < 0) {
            open = 0;
            continue;
        }
        if (!open || (p6 == 1 && b4 == 1)) {
            ss_word_time *w = &out->words[out->nwords];
            w->word_index = out->nwords;
            w->first_phone = i;
            w->start_ms = ph->start_ms;
            out->nwords++;
            open = 1;
        }
        ss_word_time *w = &out->words[out->nwords - 1];
        w->last_phone = i;
        w->end_ms = ph->end_ms;
        if (p7 == 1 && b5 == 1)
            open = 0;
    }
    out->nphones = n;
    return 0;
}
