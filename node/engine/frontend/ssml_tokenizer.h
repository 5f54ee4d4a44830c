/* The SSML reader's tokenizer: markup vs text, tag names and attributes,
 * entities, and error messages that name the position. Comments and
 * processing instructions are skipped here. Internal to the front end (see
 * ssml_parser.h for the subset). */
#ifndef SS_ENGINE_SSML_TOKENIZER_H
#define SS_ENGINE_SSML_TOKENIZER_H

#include <stddef.h>

typedef enum {
    SSML_END_OF_INPUT = 0,
    SSML_TEXT,      /* character data [at, end), entities not yet decoded */
    SSML_START_TAG, /* <name attrs> or <name attrs/> */
    SSML_END_TAG,   /* </name> */
} ssml_item_kind;

typedef struct {
    ssml_item_kind kind;
    size_t at;             /* first byte (the '<' of a tag) */
    size_t end;            /* one past the last byte (after the '>' of a tag) */
    char name[16];         /* tags: the element name, cut to 15 bytes */
    size_t attrs_a, attrs_b; /* start tag: the attribute text [attrs_a, attrs_b) */
    int selfclose;         /* start tag ends with "/>" */
} ssml_item;

typedef struct {
    const char *t;
    size_t len;
    size_t pos;  /* next byte to read */
    char *err;   /* the caller's error buffer */
    size_t errlen;
} ssml_lexer;

/* Reads the next item at lx->pos. 0 ok (kind SSML_END_OF_INPUT at the end),
 * -1 on malformed markup with "SSML error at byte N (line L:C): reason" in
 * lx->err. */
int ssml_next(ssml_lexer *lx, ssml_item *it);

/* Writes "SSML error at byte `at` (line L:C): why" to lx->err; returns -1. */
int ssml_fail_at(const ssml_lexer *lx, size_t at, const char *why);

/* Copies the raw value of attribute `name` of a start tag into val (cut to
 * vlen - 1 bytes). 1 found; 0 absent or unterminated (an unterminated value
 * is still copied). */
int ssml_attr(const ssml_lexer *lx, const ssml_item *tag, const char *name, char *val, size_t vlen);

/* Decodes the entities of t[a..b) into buf (with each byte's original offset
 * in off; both hold at least 4 * (b - a) entries); the decoded length in *n.
 * 0 ok, -1 on a bad entity (its offset in *bad). */
int ssml_decode_text(const char *t, size_t a, size_t b, char *buf, size_t *off, size_t *n, size_t *bad);

#endif
