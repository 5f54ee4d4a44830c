/* SPAM F0 contours for clustergen voices that have them (see cg_spamf0.h). */
#include "node/engine/clustergen/cg_spamf0.h"

#include "node/engine/clustergen/cg_cart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double start, peak, amp, dur, tilt;
} tilt_event;

/* Adds the event's shape to frames from its start and exponentiates them. */
static void add_tilt(const tilt_event *e, double step, double *f0, unsigned char *accented,
                     size_t n)
{
    const double arise = e->amp * (1 + e->tilt) / 2, afall = e->amp * (1 - e->tilt) / 2;
    const double drise = e->dur * (1 + e->tilt) / 2, dfall = e->dur * (1 - e->tilt) / 2;
    long k = (long)ceil(e->start / step);
    double i;
#define PUT(expr)                                                                            \
    do {                                                                                       \
        if (k >= 0 && (size_t)k < n) {                                                         \
            f0[k] = exp(f0[k] + (expr));                                                      \
            accented[k] = 1;                                                                   \
        }                                                                                      \
    } while (0)
    for (i = step; k * step < e->start + drise / 2; k++, i += step)
        PUT(e->peak - arise + 2 * arise * (i / drise) * (i / drise));
    for (; k * step < e->start + drise; k++, i += step)
        PUT(e->peak - 2 * arise * (1 - i / drise) * (1 - i / drise));
    for (i = step; k * step < e->start + drise + dfall / 2; k++, i += step)
        PUT(e->peak - 2 * afall * (i / dfall) * (i / dfall));
    for (; k * step < e->start + drise + dfall; k++, i += step)
        PUT(e->peak + 2 * afall * (1 - i / dfall) * (1 - i / dfall) - afall);
#undef PUT
}

static int phrase_levels(const ss_cg_voice *v, cst_utterance *u, double *f0, size_t n,
                         char *err, size_t errlen)
{
    const cst_cg_db *db = v->db;
    size_t k = 0;
    for (cst_item *s = utt_rel_head(u, "Segment"); s; s = item_next(s)) {
        double end = ffeature_float(s, "end"), level = 0.0;
        if (strcmp(ffeature_string(s, "name"), "pau") != 0) {
            const cst_val *leaf = ss_cg_cart_eval(db->spamf0_phrase_tree, s, v->paths, err, errlen);
            if (!leaf)
                return -1;
            level = val_float(leaf);
        }
        for (; k < n && k * db->frame_advance <= end; k++)
            f0[k] = level;
    }
    return 0;
}

int ss_cg_spamf0(const ss_cg_voice *v, cst_utterance *u, double *f0, size_t nframes,
                 double f0_scale, char *err, size_t errlen)
{
    const cst_cg_db *db = v->db;
    unsigned char *accented = calloc(nframes ? nframes : 1, 1);
    if (!accented) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < nframes; k++)
        f0[k] = 0.0;
    int rc = -1;
    if (phrase_levels(v, u, f0, nframes, err, errlen) != 0)
        goto done;
    for (cst_item *syl = utt_rel_head(u, "Syllable"); syl; syl = item_next(syl)) {
        const cst_val *leaf = ss_cg_cart_eval(db->spamf0_accent_tree, syl, v->paths, err, errlen);
        if (!leaf)
            goto done;
        int a = val_int(leaf);
        if (a < 0 || a >= db->num_frames_spamf0_accent) {
            snprintf(err, errlen, "cg: accent vector %d out of range", a);
            goto done;
        }
        const float *vec = db->spamf0_accent_vectors[a];
        double start = ffeature_float(syl, "R:SylStructure.daughter1.R:Segment.p.end");
        double end = ffeature_float(syl, "R:SylStructure.daughtern.R:Segment.end");
        tilt_event e = {start, vec[0], vec[2], end - start, vec[6]};
        add_tilt(&e, db->frame_advance, f0, accented, nframes);
    }
    for (size_t k = 0; k < nframes; k++)
        if (accented[k])
            f0[k] *= f0_scale;
    rc = 0;
done:
    free(accented);
    return rc;
}
