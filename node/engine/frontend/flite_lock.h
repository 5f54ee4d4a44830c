/* The one mutex around every flite call in the process.
 *
 * flite keeps global state (its lexicons, phone sets, feature-function
 * registries, the utterance machinery's caches) and is not thread-safe. Two
 * parts of the engine call it: the HTS front end's POS tagging and lexical
 * insertion (flite_analysis.c) and the clustergen voices' text analysis
 * (clustergen/cg_voice.c). The node synthesises on several worker threads
 * with several engines at once, so both must hold this same lock for every
 * flite call; a lock per caller would let them run flite concurrently. */
#ifndef SS_ENGINE_FLITE_LOCK_H
#define SS_ENGINE_FLITE_LOCK_H

void ss_flite_lock(void);
void ss_flite_unlock(void);

#endif
