/* A label's delimited spans, indexed once per label, so that the tree
 * questions' "*text*" patterns are answered by a hash probe instead of a
 * substring search each.
 *
 * A delimiter is any byte that is not [A-Za-z0-9] (locale-independent; NUL
 * and bytes >= 0x80 are delimiters). A "field text" is a pattern text whose
 * first and last bytes are delimiters; its runs are the number of
 * delimiters after the first (so "-ax+" has 1, "/A:0_" has 2, "-" has 0).
 * Why this is exact: if a field text T with delimiters at offsets q0 = 0 <
 * q1 < ... < qk = |T|-1 occurs in a label at offset p, the label's bytes in
 * [p, p+|T|) are delimiters exactly at p+q0..p+qk, which are therefore k+1
 * consecutive delimiter positions of the label. So T occurs in the label iff
 * some span "from the label's m-th delimiter to its (m+k)-th, inclusive"
 * equals T. The index holds every such span for the run counts asked for
 * (a bit mask), keyed by a hash that the pattern side computes once, at
 * voice load, with the same functions; a probe compares the bytes, so a
 * hash collision can never give a wrong answer.
 *
 * The index is per-call scratch: the caller owns one (per utterance, per
 * thread), re-indexes it per label, and the compiled patterns it is probed
 * with stay immutable. The slots carry a generation number, so re-indexing
 * does not clear the table (only a 512-byte filter in front of it). */
#ifndef SS_ENGINE_ACOUSTIC_LABEL_TOKENS_H
#define SS_ENGINE_ACOUSTIC_LABEL_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Field texts with more runs than this are left to the substring search
 * (it bounds the spans indexed per delimiter). */
#define SS_TOKENS_MAX_RUNS 8

/* Spans of up to this many bytes are compared as one word. */
#define SS_TOKENS_WORD 8

typedef struct {
    uint64_t key;   /* len <= SS_TOKENS_WORD: ss_tokens_word of the span's bytes;
                     * longer: the span's offset in the label */
    uint32_t gen;   /* == the index's gen when the slot is in use */
    uint32_t len;   /* span bytes */
} ss_token_slot;

/* Bits of the index's filter: one bit per span hash (its top bits), so
 * that most probes (patterns the label lacks) stop at one bit test. */
#define SS_TOKENS_FILTER_BITS 4096
_Static_assert(SS_TOKENS_FILTER_BITS == 1 << 12, "the filter bit is the hash's top 12 bits");

typedef struct {
    uint64_t filter[SS_TOKENS_FILTER_BITS / 64];
    const char *label;      /* the label last indexed (not owned) */
    size_t label_len;       /* as passed to ss_label_tokens_index */
    unsigned runs_mask;     /* bit k: spans of k runs are indexed */
    uint32_t gen;
    ss_token_slot *slots;   /* open addressing, linear probing */
    size_t nslots;          /* power of two, or 0 */
    uint32_t *delim;        /* scratch: delimiter offsets of the label */
    uint64_t *piece;        /* scratch: hash of each delimiter + following run */
    size_t scratch_cap;     /* entries of delim and piece */
} ss_label_tokens;

/* true for a delimiter byte (see above). */
static inline bool ss_tokens_is_delim(unsigned char c)
{
    return !((unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 26u);
}

/* The bytes s[0..len), len <= SS_TOKENS_WORD, as one word (byte i in bits
 * 8i..8i+7, the rest zero): equal words and lengths mean equal bytes. */
static inline uint64_t ss_tokens_word(const char *s, size_t len)
{
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
}

/* Runs of a field text (0..SS_TOKENS_MAX_RUNS), or -1 when text[0..len) is
 * not a field text (empty, an end not a delimiter, too many runs, or a NUL
 * inside, which the substring search would stop at). */
int ss_field_text_runs(const char *text, size_t len);
/* The hash a field text is indexed and probed under (text must be a field
 * text: ss_field_text_runs >= 0). */
uint64_t ss_field_text_hash(const char *text, size_t len);

/* An empty index (no allocation until the first label). */
void ss_label_tokens_init(ss_label_tokens *t);
void ss_label_tokens_free(ss_label_tokens *t);

/* Indexes label[0..label_len) for the run counts in runs_mask (bits 0 ..
 * SS_TOKENS_MAX_RUNS). The label is searched as the substring search does:
 * when label[label_len] is NUL it ends at its first NUL. The label must
 * stay unchanged while the index is probed. 0, or -1 when out of memory
 * (the index then answers nothing: ss_label_tokens_covers is false). */
int ss_label_tokens_index(ss_label_tokens *t, const char *label, size_t label_len, unsigned runs_mask);

/* true when the index answers field texts of this many runs. */
static inline bool ss_label_tokens_covers(const ss_label_tokens *t, int runs)
{
    return runs >= 0 && runs <= SS_TOKENS_MAX_RUNS && (t->runs_mask >> runs & 1u);
}

/* Whether the indexed label contains the field text text[0..len) (hash =
 * ss_field_text_hash, word = ss_tokens_word of it when len <=
 * SS_TOKENS_WORD). Only valid when ss_label_tokens_covers(t, its runs).
 * Inline: the engine asks it hundreds of times per label. */
static inline bool ss_label_tokens_has(const ss_label_tokens *t, const char *text, size_t len,
                                       uint64_t hash, uint64_t word)
{
    const unsigned bit = (unsigned)(hash >> 52); /* 12 bits: SS_TOKENS_FILTER_BITS */
    if (!(t->filter[bit >> 6] >> (bit & 63) & 1u))
        return false;
    const size_t mask = t->nslots - 1;
    for (size_t i = (size_t)hash & mask; t->slots[i].gen == t->gen; i = (i + 1) & mask) {
        const ss_token_slot *s = &t->slots[i];
        if (s->len == len && (len <= SS_TOKENS_WORD ? s->key == word
                                                    : memcmp(t->label + s->key, text, len) == 0))
            return true;
    }
    return false;
}

#endif
