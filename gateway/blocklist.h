/* Tenant blocklist (API.md §6): GET/POST /admin/blocklist, DELETE
 * /admin/blocklist/{id} (admin permission).
 *
 * Entries {id, kind:"text"|"speaker", pattern|voice_id, note, created_at} live
 * in the HASH ss:tenant:{tid}:blocklist (field = id, value = JSON). A `text`
 * entry blocks synthesis of any text whose words contain its pattern's words
 * (422 SCAISPEAK_CONTENT_BLOCKED naming the entry id, never the pattern).
 * Both are normalised by blocklist_normalise(): the text is read as SSML
 * (tags and comments removed, <break/>, <p> and <s> read as a space, other
 * tags read both as joining and as splitting words) and as plain text; numeric and named entities are decoded; case
 * is folded; zero-width characters (U+200B..U+200D, U+2060, U+FEFF, the soft
 * hyphen) are read both as joining and as splitting words; white space and
 * punctuation (hyphens and Unicode dashes included) fold to one space.
 * Matching is on word boundaries: "ass" does not match "class". The text is
 * blocked when any of its readings matches. A pattern with no letter or
 * digit is refused when added. `speaker` entries are kept for voice intake
 * (speaker fingerprints of erased voices). The gateway does not link the
 * engine: the SSML reduction here is its own (tags stripped, entities
 * decoded), deliberately cruder and more suspicious than the engine's.
 *
 * The check fails closed: a stored entry that cannot be read (not JSON, not
 * an object, an unknown kind, a text entry without a pattern) stops synthesis
 * with an error naming it, instead of being skipped. */
#ifndef SS_GATEWAY_BLOCKLIST_H
#define SS_GATEWAY_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    BLOCKLIST_PASS,      /* no text entry matches */
    BLOCKLIST_HIT,       /* `id` names the first matching entry */
    BLOCKLIST_BROKEN,    /* an entry cannot be read or has no words: `why` says which (fail closed) */
    BLOCKLIST_NO_MEMORY, /* out of memory */
} blocklist_verdict;

/* How blocklist_normalise() reads its input. */
enum {
    BLOCKLIST_AS_SSML = 1,           /* strip tags and comments; <break>, <p>, <s> become a space */
    BLOCKLIST_ZERO_WIDTH_SPLITS = 2, /* zero-width characters separate words (else they join) */
    BLOCKLIST_TAGS_SPLIT = 4,        /* with AS_SSML: every tag becomes a space (else inline tags join) */
};

/* The words of text as " w1 w2 ... " (a space before and after each word, so
 * a plain substring search matches whole words), malloc'd; NULL when out of
 * memory. Pure: no state, no I/O. */
char *blocklist_normalise(const char *text, unsigned how);

/* Whether a normalised text has any word. */
bool blocklist_normalised_has_words(const char *normalised);

/* Checks text against n stored entries: ids[i] (the hash field) and the JSON
 * text entries[i] of lens[i] bytes. id and why are always terminated. */
blocklist_verdict blocklist_check(const char *const *ids, const char *const *entries, const size_t *lens,
                                  size_t n, const char *text, char *id, size_t idcap, char *why,
                                  size_t whycap);

#endif
