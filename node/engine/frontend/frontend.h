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
 * Or sentence by sentence, which is what ss_engine_speak does so that a
 * long text is spoken while it is still being analysed, in memory that does
 * not grow with its length:
 *
 *   ss_frontend_stream *st;
 *   if (ss_frontend_stream_open(fe, text, len, &o, &st, err, sizeof err) != 0) ...
 *   ss_sentence s;
 *   while ((rc = ss_frontend_stream_next(st, &s, err, sizeof err)) == 1) {
 *       ... use s ...; ss_sentence_clear(&s);
 *   }
 *   ss_frontend_stream_free(st);
 *
 * Pipeline: SSML parse (ssml_parser.c, the whole document at open) or
 * windowed normalisation of plain text (text_stream.c -> text_normalize.c,
 * a window at a time as sentences are asked for) -> sentence split -> per
 * sentence: flite analysis (flite_analysis.c, under flite's global mutex)
 * -> phrase breaks and pauses, accents and tones (phrasing_*.c) -> labels
 * (label_writer.c). Both ways give the same sentences.
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
#include <stdbool.h>

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

/* The same analysis, one sentence at a time. text must outlive the stream.
 * open: 0, SS_FRONTEND_INVALID_TEXT (SSML is read whole here, so an
 * invalid document is refused before any sentence) or -1 (out of memory).
 * Plain text is normalised as the sentences are asked for: memory holds
 * about SS_TEXT_WINDOW bytes of it plus the sentence, whatever the length. */
typedef struct ss_frontend_stream ss_frontend_stream;
int ss_frontend_stream_open(ss_frontend *fe, const char *text, size_t len,
                            const ss_frontend_options *opts, ss_frontend_stream **out, char *err,
                            size_t errlen);
/* The next sentence into *s (the caller clears it with ss_sentence_clear):
 * 1, 0 when there are no more (s is empty), -1 with a message. */
int ss_frontend_stream_next(ss_frontend_stream *st, ss_sentence *s, char *err, size_t errlen);
/* How much of the text the stream has read so far: bytes from its start
 * (all of it for SSML, parsed at open). */
size_t ss_frontend_stream_bytes_read(const ss_frontend_stream *st);
/* True when the stream is known to hold no further sentence: all of the
 * text was read and every token went into the sentences already handed
 * out. False may still end in no sentence (trailing tokens that say
 * nothing); callers use it only to know the last sentence early. */
bool ss_frontend_stream_finished(const ss_frontend_stream *st);
void ss_frontend_stream_free(ss_frontend_stream *st);

#endif
