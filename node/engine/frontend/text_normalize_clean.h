/* The normaliser's first pass: UTF-8 text -> a byte string the recognisers
 * can read, with the original offset of every byte (see text_normalize_clean.c).
 * Internal to the front end. */
#ifndef SS_ENGINE_TEXT_NORMALIZE_CLEAN_H
#define SS_ENGINE_TEXT_NORMALIZE_CLEAN_H

#include <stddef.h>

typedef struct {
    char *s;     /* NUL-terminated */
    size_t *off; /* original offset of each byte of s */
    size_t n;
} ss_cleaned;

/* Cleans text[0..len); offsets come from offmap when not NULL, else base + i.
 * 0 ok, -1 out of memory. The caller frees c->s and c->off either way. */
int ss_clean_text(const char *text, size_t len, const size_t *offmap, size_t base, ss_cleaned *c);

#endif
