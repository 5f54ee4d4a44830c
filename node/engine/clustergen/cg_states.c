/* HMM states, durations and frames of a clustergen utterance (see
 * cg_states.h). */
#include "node/engine/clustergen/cg_states.h"

#include "node/engine/clustergen/cg_cart.h"

#include <stdio.h>
#include <string.h>

/* Index of phone's entry in phone_states (0 for an unknown phone). */
static int phone_states_index(const cst_cg_db *db, const char *phone)
{
    for (int p = 0; db->phone_states[p]; p++)
        if (strcmp(phone, db->phone_states[p][0]) == 0)
            return p;
    return 0;
}

/* Seconds for state s: mean z-score of the duration trees, scaled back with
 * the first model's statistics for the state name (as trained). */
static int state_seconds(const ss_cg_voice *v, cst_item *s, double *out, char *err, size_t errlen)
{
    const cst_cg_db *db = v->db;
    double z = 0.0;
    for (int dm = 0; dm < db->num_dur_models; dm++) {
        const cst_val *leaf = ss_cg_cart_eval(db->dur_cart[dm], s, v->paths, err, errlen);
        if (!leaf)
            return -1;
        z += val_float(leaf);
    }
    z /= db->num_dur_models;
    const char *name = item_feat_string(s, "name");
    const dur_stat *const *stats = db->dur_stats[0];
    int x = 0;
    for (int i = 0; stats[i]; i++) {
        if (strcmp(stats[i]->phone, name) == 0) {
            x = i;
            break;
        }
    }
    *out = z * stats[x]->stddev + stats[x]->mean;
    return 0;
}

static void append_states(const cst_cg_db *db, cst_relation *hmm, cst_relation *segstate,
                          cst_item *seg)
{
    cst_item *ss = relation_append(segstate, seg);
    int p = phone_states_index(db, item_feat_string(seg, "name"));
    for (int sp = 1; db->phone_states[p][sp]; sp++) {
        cst_item *s = relation_append(hmm, NULL);
        item_add_daughter(ss, s);
        item_set_string(s, "name", db->phone_states[p][sp]);
        item_set_int(s, "statepos", sp);
    }
}

long ss_cg_build_states(const ss_cg_voice *v, cst_utterance *u, double duration_scale, char *err,
                        size_t errlen)
{
    const cst_cg_db *db = v->db;
    cst_relation *hmm = utt_relation_create(u, "HMMstate");
    cst_relation *segstate = utt_relation_create(u, "segstate");
    for (cst_item *seg = utt_rel_head(u, "Segment"); seg; seg = item_next(seg))
        append_states(db, hmm, segstate, seg);

    cst_relation *mcep = utt_relation_create(u, "mcep");
    cst_relation *link = utt_relation_create(u, "mcep_link");
    double end = 0.0;
    long nframes = 0;
    for (cst_item *s = utt_rel_head(u, "HMMstate"); s; s = item_next(s)) {
        double start = end, secs;
        if (state_seconds(v, s, &secs, err, errlen) != 0)
            return -1;
        double stretch = ffeature_float(
            s, "R:segstate.parent.R:SylStructure.parent.parent.R:Token.parent.local_duration_stretch");
        if (stretch == 0.0)
            stretch = 1.0;
        secs *= stretch * duration_scale;
        end = start + (secs < db->frame_advance ? db->frame_advance : secs);
        item_set_float(s, "end", (float)end);
        cst_item *parent = relation_append(link, s);
        for (; nframes * db->frame_advance <= end; nframes++) {
            cst_item *f = relation_append(mcep, NULL);
            item_add_daughter(parent, f);
            item_set_int(f, "frame_number", (int)nframes);
            item_set(f, "name", item_feat(parent, "name"));
        }
    }
    for (cst_item *seg = utt_rel_head(u, "Segment"); seg; seg = item_next(seg))
        item_set(seg, "end", ffeature(seg, "R:segstate.daughtern.end"));
    if (nframes == 0) {
        snprintf(err, errlen, "cg: utterance has no frames");
        return -1;
    }
    return nframes;
}
