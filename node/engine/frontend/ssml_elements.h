/* The SSML reader's element handlers and the document state they work on.
 * ss_ssml_to_tokens (ssml_parser.c) feeds the tokenizer's items to them; each
 * supported element is one row of a table (ssml_elements.c) with up to three
 * small functions. Internal to the front end. */
#ifndef SS_ENGINE_SSML_ELEMENTS_H
#define SS_ENGINE_SSML_ELEMENTS_H

#include <stddef.h>

#include "node/engine/frontend/ssml_parser.h"
#include "node/engine/frontend/ssml_tokenizer.h"
#include "node/engine/frontend/text_normalize.h"

/* What an open element gives its content (inherited by nested elements). */
typedef struct {
    char name[16];
    double rate, pitch_st;
    ss_read_as mode;
    int skip_text; /* inside sub/phoneme: the text is replaced */
    int emphasis;  /* inside <emphasis> */
} ssml_frame;

typedef struct {
    ssml_lexer lx;
    ss_token_list *out;
    char *buf;   /* scratch for entity-decoded text, 4 bytes per input byte */
    size_t *off; /* the original offset of each byte of buf */
    ssml_frame stack[SS_SSML_MAX_DEPTH + 1]; /* stack[0]: outside any element */
    int depth;
    int seen_speak, closed_speak;
} ssml_doc;

typedef struct {
    const char *name;
    /* On every start tag, self-closing too: marks on the words so far. */
    void (*at_tag)(ssml_doc *d, const ssml_item *tag);
    /* On a start tag that opens content: sets up the content's frame nf
     * (a copy of the enclosing one). 0 ok, -1 with the message in d->lx.err. */
    int (*open)(ssml_doc *d, const ssml_item *tag, ssml_frame *nf);
    /* On the matching end tag. */
    void (*close)(ssml_doc *d);
} ssml_element;

/* The handlers of a supported element; NULL for any other element (it only
 * scopes its content, whose text is kept). */
const ssml_element *ssml_element_find(const char *name);

/* Gives tokens [from, out->n) the frame's rate, pitch and emphasis. */
void ssml_apply_prosody(ss_token_list *out, size_t from, const ssml_frame *f);

#endif
