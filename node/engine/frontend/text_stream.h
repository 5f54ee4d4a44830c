/* A plain text read a window at a time: the streamed front end's source of
 * tokens (frontend.c), so that normalising a long text never holds more
 * than a window of it (cleaned bytes, their offsets, raw tokens) and the
 * first sentence is ready after one window, not after the whole text.
 *
 * Each read normalises about SS_TEXT_WINDOW bytes, cut at white space, and
 * stops where the recognisers' look-ahead would leave the window
 * (ss_normalize_window); the next read starts a few raw tokens earlier so
 * the look-back is there too. The tokens are exactly those ss_normalize
 * gives for the whole text (tests/unit/test_frontend_stream.c holds them to it).
 * Plain text only: SSML is parsed whole, so that an invalid document is
 * refused before any of it is spoken. */
#ifndef SS_ENGINE_TEXT_STREAM_H
#define SS_ENGINE_TEXT_STREAM_H

#include <stddef.h>

#include "node/engine/frontend/text_token.h"

#define SS_TEXT_WINDOW 2048

typedef struct {
    const char *text;
    size_t len;
    size_t at;      /* where the next window starts */
    size_t skip;    /* raw tokens there that were read already (look-back) */
    size_t read_to; /* the end of the last window normalised */
    int done;       /* every token has been read */
} ss_text_stream;

void ss_text_stream_init(ss_text_stream *s, const char *text, size_t len);

/* Appends the tokens of the next window to out. 0 ok (s->done says whether
 * the text is finished), -1 out of memory (message in err). */
int ss_text_stream_read(ss_text_stream *s, ss_token_list *out, char *err, size_t errlen);

#endif
