/* SSML subset reader (see ssml_parser.h).
 *
 * One forward pass: the tokenizer (ssml_tokenizer.c) cuts the input into
 * text and tags; this file keeps the document order (one <speak> root,
 * nothing after it), the element stack (explicit, depth <= 64, each frame
 * the prosody, say-as mode and emphasis its content inherits) and hands
 * each tag to its element's handlers (ssml_elements.c). Text is
 * entity-decoded together with the original offset of every decoded byte
 * and given to the normaliser, so words keep offsets into the caller's SSML. */
#include "node/engine/frontend/ssml_parser.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/ssml_elements.h"
#include "node/engine/frontend/ssml_tokenizer.h"
#include "node/engine/frontend/text_normalize.h"

/* Character data: normalised with the current frame's reading mode and
 * prosody; white space only, or the replaced content of sub/phoneme, is
 * dropped. */
static int on_text(ssml_doc *d, const ssml_item *it)
{
    const ssml_frame *f = &d->stack[d->depth];
    if (f->skip_text) return 0;
    int blank = 1;
    for (size_t k = it->at; k < it->end; k++)
        if (!isspace((unsigned char)d->lx.t[k])) blank = 0;
    if (blank) return 0;
    if (!d->seen_speak || d->closed_speak) return ssml_fail_at(&d->lx, it->at, "text outside <speak>");
    size_t n, bad, from = d->out->n;
    if (ssml_decode_text(d->lx.t, it->at, it->end, d->buf, d->off, &n, &bad))
        return ssml_fail_at(&d->lx, bad, "bad entity");
    if (ss_normalize(d->buf, n, d->off, 0, f->mode, d->out, d->lx.err, d->lx.errlen)) return -1;
    ssml_apply_prosody(d->out, from, f);
    return 0;
}

static int on_end_tag(ssml_doc *d, const ssml_item *it)
{
    if (d->depth == 0 || strcmp(d->stack[d->depth].name, it->name) != 0) {
        char why[96];
        snprintf(why, sizeof why, "closing </%s> does not match <%s>", it->name,
                 d->depth ? d->stack[d->depth].name : "(nothing open)");
        return ssml_fail_at(&d->lx, it->at, why);
    }
    const ssml_element *el = ssml_element_find(it->name);
    if (el && el->close) el->close(d);
    d->depth--;
    return 0;
}

/* The root must be <speak>, there is one, and nothing follows it. */
static int check_document_order(ssml_doc *d, const ssml_item *it)
{
    int is_speak = !strcmp(it->name, "speak");
    if (!d->seen_speak) {
        if (!is_speak) return ssml_fail_at(&d->lx, it->at, "the root element must be <speak>");
        d->seen_speak = 1;
        return 0;
    }
    if (d->closed_speak) return ssml_fail_at(&d->lx, it->at, "markup after </speak>");
    if (is_speak) return ssml_fail_at(&d->lx, it->at, "nested <speak>");
    return 0;
}

/* A start tag marks the words so far (at_tag); unless self-closing it opens
 * a frame for its content, set up by its element (unknown elements only
 * scope their content). */
static int on_start_tag(ssml_doc *d, const ssml_item *it)
{
    if (check_document_order(d, it)) return -1;
    const ssml_element *el = ssml_element_find(it->name);
    if (el && el->at_tag) el->at_tag(d, it);
    if (it->selfclose) return 0;
    if (d->depth >= SS_SSML_MAX_DEPTH) return ssml_fail_at(&d->lx, it->at, "elements nested too deeply");
    ssml_frame nf = d->stack[d->depth];
    snprintf(nf.name, sizeof nf.name, "%s", it->name);
    if (el && el->open && el->open(d, it, &nf)) return -1;
    d->stack[++d->depth] = nf;
    return 0;
}

int ss_ssml_to_tokens(const char *t, size_t len, ss_token_list *out, char *err, size_t errlen)
{
    ssml_doc *d = calloc(1, sizeof *d);
    char *buf = malloc(len * 4 + 1);
    size_t *off = malloc((len * 4 + 1) * sizeof(size_t));
    if (!d || !buf || !off) {
        free(d);
        free(buf);
        free(off);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->lx = (ssml_lexer){t, len, 0, err, errlen};
    d->out = out;
    d->buf = buf;
    d->off = off;
    d->stack[0].rate = 1.0;
    int rc;
    ssml_item it;
    while ((rc = ssml_next(&d->lx, &it)) == 0 && it.kind != SSML_END_OF_INPUT) {
        if (it.kind == SSML_TEXT) rc = on_text(d, &it);
        else if (it.kind == SSML_END_TAG) rc = on_end_tag(d, &it);
        else rc = on_start_tag(d, &it);
        if (rc) break;
    }
    if (rc == 0 && d->depth > 0) rc = ssml_fail_at(&d->lx, len, "unclosed element");
    if (rc == 0 && !d->seen_speak) rc = ssml_fail_at(&d->lx, 0, "no <speak> element");
    free(d);
    free(buf);
    free(off);
    return rc;
}
