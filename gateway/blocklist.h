/* Tenant blocklist (API.md §6): GET/POST /admin/blocklist, DELETE
 * /admin/blocklist/{id} (admin permission).
 *
 * Entries {id, kind:"text"|"speaker", pattern|voice_id, note, created_at} live
 * in the HASH ss:tenant:{tid}:blocklist (field = id, value = JSON). A `text`
 * entry blocks synthesis of any text that contains its pattern, compared
 * case-insensitively after folding runs of white space (422
 * SCAISPEAK_CONTENT_BLOCKED naming the entry id, never the pattern). `speaker`
 * entries are kept for voice intake (speaker fingerprints of erased voices). */
#ifndef SS_GATEWAY_BLOCKLIST_H
#define SS_GATEWAY_BLOCKLIST_H

#include <jansson.h>
#include <stdbool.h>

/* The id of the first text entry (JSON strings in `entries`) whose pattern
 * occurs in text, or NULL. */
const char *blocklist_match(const json_t *entries, const char *text);

#endif
