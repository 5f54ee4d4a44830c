/* Timestamps; see timestamps.h. */
#include "node/engine/synth/timestamps.h"

#include "node/engine/acoustic/label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        ss_label_word_position(seq->labels[i], &p6, &p7, &b4, &b5);
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
