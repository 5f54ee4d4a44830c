/* The text front end: text (plain or SSML) in, HTS full-context labels and
 * the utterance structure out.
 *
 *   char err[256];
 *   ss_frontend *fe = ss_frontend_create(err, sizeof err);
 *   ss_frontend_options o = {0};            // auto-detect SSML, no lexicon
 *   ss_utterance *u;
 *   if (ss_frontend_analyze(fe, text, len, &o, &u, err, sizeof err) != 0) ...
 *   for each u->sentences[i]: labels[0..n_phones) and the phrase/word/phone
 *   structure (word source offsets for timestamps, phrase breaks for
 *   streaming); ss_utterance_free(u);
 *
 * Pipeline: SSML parse (ssml_parser.c) -> normalisation (text_normalize.c)
 * -> sentence split -> per sentence: flite analysis (flite_analysis.c, under
 * flite's global mutex) -> phrase breaks and pauses, accents and tones
 * (phrasing_*.c) -> labels (label_writer.c).
 *
 * Threads: an ss_frontend is immutable after creation and may be used by
 * any number of threads at once; flite's global state is serialised inside
 * (see flite_analysis.h). Cost is linear in the input: sentences are capped
 * at SS_FRONTEND_MAX_SENTENCE_WORDS words (longer ones are cut at a phrase
 * break), and every per-sentence step is linear in the sentence up to
 * phrase-length factors that are bounded by the phrasing rules. */
#ifndef SS_ENGINE_FRONTEND_H
#define SS_ENGINE_FRONTEND_H

#include <stddef.h>

#include "node/engine/frontend/lexicon_runtime.h"
#include "node/engine/frontend/utterance.h"

#define SS_FRONTEND_MAX_SENTENCE_WORDS 60

typedef struct ss_frontend ss_frontend;

typedef enum {
    SS_INPUT_AUTO = 0, /* SSML when the text starts with "<speak" (after spaces) */
    SS_INPUT_PLAIN,
    SS_INPUT_SSML,
} ss_input_kind;

typedef struct {
    ss_input_kind input;       /* default AUTO */
    const ss_lexicon *lexicon; /* run-time lexicon, consulted first; may be NULL */
} ss_frontend_options;

/* Initialises flite (once per process) and the front end. NULL + message on failure. */
ss_frontend *ss_frontend_create(char *err, size_t errlen);
void ss_frontend_free(ss_frontend *fe);

/* ss_frontend_analyze's answer when the text itself cannot be read (invalid
 * SSML, a say-as it cannot speak): the caller's fault, not the engine's. */
#define SS_FRONTEND_INVALID_TEXT (-2)

/* Analyses text[0..len). opts may be NULL (defaults). On success *out holds
 * the utterance (possibly with zero sentences for text with nothing to say)
 * and 0 is returned; SS_FRONTEND_INVALID_TEXT with a message when the text
 * cannot be read (invalid SSML names the byte offset and line:column); -1
 * with a message on any other failure ("out of memory", analysis errors). */
int ss_frontend_analyze(ss_frontend *fe, const char *text, size_t len,
                        const ss_frontend_options *opts, ss_utterance **out, char *err,
                        size_t errlen);

#endif
