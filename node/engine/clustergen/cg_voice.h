/* A flite clustergen voice: its trained model data (a cst_cg_db) read from
 * the Debian library that ships it, and flite's front end configured for it.
 *
 * Debian's libflite1 ships each clustergen voice as a shared library
 * (libflite_cmu_us_rms.so.1, ..._awb, ..._slt) that exports the model data
 * as the symbol cmu_us_<name>_cg_db (layout: /usr/include/flite/cst_cg.h)
 * and a register_cmu_us_<name> function that builds a cst_voice with the
 * US English front end. We dlopen the library, read the cg_db (validating
 * the shape our parameter generation understands) and build the cst_voice
 * only for its text analysis: the voice's wave_synth_func hook is replaced by
 * one that does nothing, so flite's synthesis code (cg_synth, its MLPG and
 * MLSA) is never called. Everything after text analysis is ours
 * (cg_states.c, cg_params.c, cg_excitation.c, cg_synth.c).
 *
 * A loaded voice is immutable. flite is not thread-safe: loading takes the
 * process-wide flite lock (frontend/flite_lock.h) that the HTS front end's
 * flite calls take too, and callers of ss_cg_voice_analyse hold it for as
 * long as they use the utterance (feature functions, delete_utterance). */
#ifndef SS_ENGINE_CLUSTERGEN_CG_VOICE_H
#define SS_ENGINE_CLUSTERGEN_CG_VOICE_H

#include "node/engine/clustergen/cg_feature_path.h"

#include <cst_cg.h>
#include <flite.h>
#include <stddef.h>

/* The cg_db layout this engine understands (checked at load). */
#define SS_CG_MCEP_DIM 25   /* static mel-cepstrum c0..c24 */
#define SS_CG_ME_BANDS 5    /* mixed-excitation bands */

typedef struct {
    char name[16];             /* "rms", "awb", "slt" */
    void *dl;                  /* dlopen handle of the voice library */
    const cst_cg_db *db;       /* the model data, inside the library */
    cst_voice *front;          /* flite voice used for text analysis only */
    ss_cg_feature_paths *paths; /* the trees' feature paths, compiled as first
                                   asked (written under ss_flite_lock) */
} ss_cg_voice;

/* The clustergen voices ScaiSpeak serves, by engine id: what a node's
 * SynthesizeRequest.engine_id and `scaispeak synth --voice` name. "slt_cg"
 * is flite's slt (the HTS slt is the node's default engine). */
typedef struct {
    const char *engine_id; /* "rms", "awb", "slt_cg" */
    const char *cg_name;   /* the flite voice (libflite_cmu_us_<name>.so.1) */
    const char *gender;
    const char *accent;
    const char *language;  /* BCP 47 */
} ss_cg_voice_spec;

#define SS_CG_ENGINE_IDS "rms, awb, slt_cg"

/* The voice whose engine id is engine_id, or NULL when it is not one. */
const ss_cg_voice_spec *ss_cg_voice_spec_find(const char *engine_id);
/* The i-th voice in the order above (a node's default cg_voices order), or
 * NULL past the last. */
const ss_cg_voice_spec *ss_cg_voice_spec_at(size_t i);

/* Loads voice `name` ("rms", "awb", "slt") from libflite_cmu_us_<name>.so.1.
 * Returns a voice, or NULL with a message in err. */
ss_cg_voice *ss_cg_voice_load(const char *name, char *err, size_t errlen);
void ss_cg_voice_free(ss_cg_voice *v);

/* Runs flite's text analysis for text with this voice's front end (the
 * caller holds ss_flite_lock) and returns the utterance (Segment, Syllable, Word, Token relations; no
 * wave). NULL with a message in err on failure. Free with delete_utterance. */
cst_utterance *ss_cg_voice_analyse(ss_cg_voice *v, const char *text, char *err, size_t errlen);

#endif
