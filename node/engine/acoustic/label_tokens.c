/* A label's delimited spans in a hash index; see label_tokens.h.
 *
 * A span's hash is built from its pieces (a delimiter and the run after it,
 * up to the next delimiter) and its closing delimiter, so the label side
 * hashes each byte once and combines piece hashes per span, and the pattern
 * side (ss_field_text_hash) splits its text the same way with the same
 * three functions. */
#include "node/engine/acoustic/label_tokens.h"

#include <stdlib.h>
#include <string.h>

#define HASH_SEED 0x243f6a8885a308d3ull

/* FNV-1a over one piece. */
static inline uint64_t piece_hash(const char *b, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static inline uint64_t mix_piece(uint64_t h, uint64_t piece)
{
    h = (h << 27 | h >> 37) ^ piece;
    return h * 0x9e3779b97f4a7c15ull;
}

static inline uint64_t finish(uint64_t h, unsigned char last)
{
    h = (h ^ (0x100u | last)) * 0xff51afd7ed558ccdull;
    return h ^ h >> 33;
}

int ss_field_text_runs(const char *text, size_t len)
{
    if (len == 0 || text[0] == '\0' || !ss_tokens_is_delim((unsigned char)text[0]) ||
        !ss_tokens_is_delim((unsigned char)text[len - 1]))
        return -1;
    int runs = 0;
    for (size_t i = 1; i < len; i++) {
        if (text[i] == '\0') /* the substring search stops there; no field text */
            return -1;
        if (ss_tokens_is_delim((unsigned char)text[i]) && ++runs > SS_TOKENS_MAX_RUNS)
            return -1;
    }
    return runs;
}

uint64_t ss_field_text_hash(const char *text, size_t len)
{
    uint64_t h = HASH_SEED;
    size_t start = 0;
    for (size_t i = 1; i < len; i++) {
        if (ss_tokens_is_delim((unsigned char)text[i])) {
            h = mix_piece(h, piece_hash(text + start, i - start));
            start = i;
        }
    }
    return finish(h, (unsigned char)text[len - 1]);
}

void ss_label_tokens_init(ss_label_tokens *t)
{
    memset(t, 0, sizeof *t);
}

void ss_label_tokens_free(ss_label_tokens *t)
{
    free(t->slots);
    free(t->delim);
    free(t->piece);
    memset(t, 0, sizeof *t);
}

/* Scratch for n delimiters. 0, or -1 when out of memory. */
static int reserve_scratch(ss_label_tokens *t, size_t n)
{
    if (n <= t->scratch_cap)
        return 0;
    size_t cap = n < 256 ? 256 : n;
    uint32_t *d = malloc(cap * sizeof *d);
    uint64_t *p = malloc(cap * sizeof *p);
    if (!d || !p) {
        free(d);
        free(p);
        return -1;
    }
    free(t->delim);
    free(t->piece);
    t->delim = d;
    t->piece = p;
    t->scratch_cap = cap;
    return 0;
}

/* A table with at least twice nspans slots, and a generation no slot has.
 * 0, or -1 when out of memory. */
static int reserve_slots(ss_label_tokens *t, size_t nspans)
{
    size_t want = 64;
    while (want < 2 * nspans)
        want *= 2;
    if (want > t->nslots) {
        ss_token_slot *s = calloc(want, sizeof *s);
        if (!s)
            return -1;
        free(t->slots);
        t->slots = s;
        t->nslots = want;
        t->gen = 0;
    }
    if (++t->gen == 0) { /* wrapped: every slot may look in use */
        memset(t->slots, 0, t->nslots * sizeof *t->slots);
        t->gen = 1;
    }
    return 0;
}

static inline void insert_span(ss_label_tokens *t, const char *label, uint64_t h, uint32_t off,
                               uint32_t len)
{
    const unsigned bit = (unsigned)(h >> 52);
    t->filter[bit >> 6] |= 1ull << (bit & 63);
    size_t mask = t->nslots - 1, i = (size_t)h & mask;
    while (t->slots[i].gen == t->gen)
        i = (i + 1) & mask;
    uint64_t key = len <= SS_TOKENS_WORD ? ss_tokens_word(label + off, len) : off;
    t->slots[i] = (ss_token_slot){.key = key, .gen = t->gen, .len = len};
}

/* Every span of the label from delimiter m to delimiter m + k, k in the
 * mask; nd delimiters at t->delim, piece hashes in t->piece. */
static void insert_spans(ss_label_tokens *t, const char *label, size_t nd, unsigned mask)
{
    const uint32_t *pos = t->delim;
    for (size_t m = 0; m < nd; m++) {
        uint64_t h = HASH_SEED;
        for (size_t k = 0; m + k < nd && (mask >> k) != 0; k++) {
            if (mask >> k & 1u)
                insert_span(t, label, finish(h, (unsigned char)label[pos[m + k]]), pos[m],
                            pos[m + k] - pos[m] + 1);
            if (m + k + 1 < nd)
                h = mix_piece(h, t->piece[m + k]);
        }
    }
}

int ss_label_tokens_index(ss_label_tokens *t, const char *label, size_t label_len, unsigned runs_mask)
{
    t->label = label;
    t->label_len = label_len;
    t->runs_mask = 0;
    runs_mask &= (2u << SS_TOKENS_MAX_RUNS) - 1;
    size_t n = label_len;
    if (label[label_len] == '\0') { /* as strstr reads it */
        const char *nul = memchr(label, '\0', label_len);
        if (nul)
            n = (size_t)(nul - label);
    }
    if (n > UINT32_MAX / 2) /* offsets are 32-bit: such a label gets the substring search */
        return 0;
    if (reserve_scratch(t, n + 1) != 0)
        return -1;
    uint32_t *pos = t->delim;
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        pos[nd] = (uint32_t)i;
        nd += ss_tokens_is_delim((unsigned char)label[i]);
    }
    for (size_t m = 0; m + 1 < nd; m++)
        t->piece[m] = piece_hash(label + pos[m], pos[m + 1] - pos[m]);
    unsigned bits = 0;
    for (unsigned k = runs_mask; k; k &= k - 1)
        bits++;
    if (reserve_slots(t, nd * bits) != 0)
        return -1;
    memset(t->filter, 0, sizeof t->filter);
    insert_spans(t, label, nd, runs_mask);
    t->runs_mask = runs_mask;
    return 0;
}
