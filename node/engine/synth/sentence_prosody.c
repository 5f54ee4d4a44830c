/* Sentence SSML prosody -> per-label prosody; see synth_prosody.h. */
#include "node/engine/synth/sentence_prosody.h"

#include <stdio.h>
#include <stdlib.h>

int ss_sentence_prosody(const ss_sentence *se, ss_label_prosody **out, char *err, size_t errlen)
{
    *out = NULL;
    int any = 0;
    for (size_t i = 0; i < se->n_phones && !any; i++) {
        const ss_phone *ph = &se->phones[i];
        if (ph->pause_ms > 0)
            any = 1;
        else if (ph->word >= 0 && (size_t)ph->word < se->n_words) {
            const ss_word *w = &se->words[ph->word];
            any = (w->rate != 0.0 && w->rate != 1.0) || w->pitch_st != 0.0;
        }
    }
    if (!any)
        return 0;
    ss_label_prosody *p = calloc(se->n_phones, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < se->n_phones; i++) {
        const ss_phone *ph = &se->phones[i];
        if (ph->pause_ms > 0)
            p[i].pause_ms = ph->pause_ms > 10000 ? 10000 : ph->pause_ms;
        if (ph->word >= 0 && (size_t)ph->word < se->n_words) {
            const ss_word *w = &se->words[ph->word];
            double rate = w->rate;
            if (rate != 0.0 && rate < 0.25)
                rate = 0.25;
            else if (rate > 4.0)
                rate = 4.0;
            p[i].rate = rate;
            p[i].pitch = w->pitch_st < -24.0 ? -24.0 : w->pitch_st > 24.0 ? 24.0 : w->pitch_st;
        }
    }
    *out = p;
    return 0;
}
