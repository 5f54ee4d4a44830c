/* Loading a flite clustergen voice's model data from its Debian library and
 * building its text-analysis front end (see cg_voice.h). */
#include "node/engine/clustergen/cg_voice.h"

#include "node/engine/frontend/flite_lock.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The wave_synth hook we give flite's front end: synthesis is ours, so the
 * utterance leaves flite's pipeline untouched at this point. */
static cst_utterance *ss_cg_no_wave_synth(cst_utterance *u) { return u; }

/* Shape checks: the channel layout cg_params.c unpacks (F0, 25 static and
 * 25 delta mel-cepstra, 5 mixed-excitation strengths, voicing; each a
 * mean/stddev pair), min/range quantisation, a 3-tap delta window. */
static int check_db(const cst_cg_db *db, char *err, size_t errlen)
{
    int want = 2 * (1 + 2 * SS_CG_MCEP_DIM + SS_CG_ME_BANDS + 1);
    if (db->num_param_models < 1 || db->num_f0_models < 1 || db->num_dur_models < 1) {
        snprintf(err, errlen, "cg voice %s: no models", db->name);
        return -1;
    }
    for (int pm = 0; pm < db->num_param_models; pm++) {
        if (db->num_channels[pm] != want) {
            snprintf(err, errlen, "cg voice %s: %d channels (want %d)", db->name,
                     db->num_channels[pm], want);
            return -1;
        }
    }
    if (db->model_shape != CST_CG_MODEL_SHAPE_BASE_MINRANGE) {
        snprintf(err, errlen, "cg voice %s: model shape %d not supported", db->name,
                 db->model_shape);
        return -1;
    }
    if (!db->do_mlpg || db->dynwinsize != 3) {
        snprintf(err, errlen, "cg voice %s: needs MLPG with a 3-tap window", db->name);
        return -1;
    }
    if (db->mixed_excitation && (db->ME_num != SS_CG_ME_BANDS || db->ME_order < 1)) {
        snprintf(err, errlen, "cg voice %s: %d mixed-excitation bands (want %d)", db->name,
                 db->ME_num, SS_CG_ME_BANDS);
        return -1;
    }
    if (db->sample_rate < 8000 || db->frame_advance <= 0.0f) {
        snprintf(err, errlen, "cg voice %s: bad sample rate or frame advance", db->name);
        return -1;
    }
    return 0;
}

ss_cg_voice *ss_cg_voice_load(const char *name, char *err, size_t errlen)
{
    char lib[96], sym[96];
    if (strlen(name) >= sizeof(((ss_cg_voice *)0)->name) || strspn(name, "abcdefghijklmnopqrstuvwxyz") != strlen(name)) {
        snprintf(err, errlen, "cg voice name '%s' is not valid", name);
        return NULL;
    }
    ss_cg_voice *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(v->name, sizeof v->name, "%s", name);
    snprintf(lib, sizeof lib, "libflite_cmu_us_%s.so.1", name);
    /* RTLD_GLOBAL is not needed: the library resolves flite's symbols from
     * the libflite we are already linked with. */
    v->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!v->dl) {
        snprintf(err, errlen, "cg voice %s: %s", name, dlerror());
        free(v);
        return NULL;
    }
    snprintf(sym, sizeof sym, "cmu_us_%s_cg_db", name);
    v->db = dlsym(v->dl, sym);
    snprintf(sym, sizeof sym, "register_cmu_us_%s", name);
    cst_voice *(*reg)(const char *) = (cst_voice * (*)(const char *)) dlsym(v->dl, sym);
    if (!v->db || !reg) {
        snprintf(err, errlen, "cg voice %s: %s has no %s", name, lib, v->db ? sym : "cg_db");
        dlclose(v->dl);
        free(v);
        return NULL;
    }
    if (check_db(v->db, err, errlen) != 0) {
        dlclose(v->dl);
        free(v);
        return NULL;
    }
    ss_flite_lock();
    v->front = reg(NULL);
    if (v->front)
        feat_set(v->front->features, "wave_synth_func", uttfunc_val(&ss_cg_no_wave_synth));
    ss_flite_unlock();
    if (!v->front) {
        snprintf(err, errlen, "cg voice %s: front end did not register", name);
        dlclose(v->dl);
        free(v);
        return NULL;
    }
    v->paths = ss_cg_feature_paths_new();
    if (!v->paths) {
        snprintf(err, errlen, "out of memory");
        ss_cg_voice_free(v);
        return NULL;
    }
    return v;
}

void ss_cg_voice_free(ss_cg_voice *v)
{
    if (!v)
        return;
    /* The cst_voice is left alive: its unregister function lives in the
     * library and flite's lexicon/phoneset are shared globals. */
    ss_cg_feature_paths_free(v->paths);
    free(v);
}

cst_utterance *ss_cg_voice_analyse(ss_cg_voice *v, const char *text, char *err, size_t errlen)
{
    cst_utterance *u = flite_synth_text(text, v->front);
    bool ok = u && utt_relation(u, "Segment");
    if (!ok && u)
        delete_utterance(u);
    if (!ok) {
        snprintf(err, errlen, "cg voice %s: text analysis failed", v->name);
        return NULL;
    }
    return u;
}

static const ss_cg_voice_spec CG_VOICES[] = {
    {"rms", "rms", "male", "us", "en-US"},
    {"awb", "awb", "male", "scottish", "en-GB"},
    {"slt_cg", "slt", "female", "us", "en-US"},
};

const ss_cg_voice_spec *ss_cg_voice_spec_find(const char *engine_id)
{
    for (size_t i = 0; i < sizeof CG_VOICES / sizeof CG_VOICES[0]; i++)
        if (!strcmp(CG_VOICES[i].engine_id, engine_id))
            return &CG_VOICES[i];
    return NULL;
}

const ss_cg_voice_spec *ss_cg_voice_spec_at(size_t i)
{
    return i < sizeof CG_VOICES / sizeof CG_VOICES[0] ? &CG_VOICES[i] : NULL;
}
