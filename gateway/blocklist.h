/* Tenant blocklist (API.md §6): GET/POST /admin/blocklist, DELETE
 * /admin/blocklist/{id} (admin permission).
 *
 * Entries {id, kind:"text"|"speaker", pattern|voice_id, note, created_at} live
 * in the HASH ss:tenant:{tid}:blocklist (field = id, value = JSON). A `text`
 * entry blocks synthesis of any text that contains its pattern, compared
 * case-insensitively after folding runs of white space (422
 * SCAISPEAK_CONTENT_BLOCKED naming the entry id, never the pattern). `speaker`
 * entries are kept for voice intake (speaker fingerprints of erased voices).
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
    BLOCKLIST_BROKEN,    /* an entry cannot be read: `why` says which (fail closed) */
    BLOCKLIST_NO_MEMORY, /* out of memory */
} blocklist_verdict;

/* Checks text against n stored entries: ids[i] (the hash field) and the JSON
 * text entries[i] of lens[i] bytes. id and why are always terminated. */
blocklist_verdict blocklist_check(const char *const *ids, const char *const *entries, const size_t *lens,
                                  size_t n, const char *text, char *id, size_t idcap, char *why,
                                  size_t whycap);

#endif
