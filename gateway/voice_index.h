/* The voice library in Redis: records, the per-scope ranked indexes, and the
 * one ranked list GET /voices pages through (API.md §4).
 *
 * Layout (docs/STATE.md): the record is ss:voice:{id} (JSON); each scope has
 * a ZSET whose members are "<created ms, 16 digits>:<voice id>", all with
 * score 0, so ZREVRANGEBYLEX walks a scope newest first with the voice id
 * breaking ties:
 *   user     ss:tenant:{tid}:user:{uid}:voices
 *   tenant   ss:tenant:{tid}:voices
 *   global   ss:voices:global:index (and the SET ss:voices:global that
 *            synthesis reads)
 * The member is kept in the record (`_index`), so moving or deleting a voice
 * needs no search. Writes that touch a record and an index are one Lua
 * script each; every script gets all its keys from C (KEYS[]).
 *
 * The ranked list: own voices, then the tenant's, then global ones, newest
 * first inside each. A cursor names a position in that order: the segment
 * and the last member returned (base64url of "v1|<segment>|<member>"), so a
 * page continues strictly after it. Voices created while a caller pages
 * sort before the cursor and do not appear in that walk; deleted ones simply
 * are not there; nothing is returned twice. A page walks at most
 * VOICE_LIST_SCAN_MAX index entries: a page filtered to few matches may hold
 * fewer than `limit` items while next_cursor is not null (null means the
 * end). */
#ifndef SS_GATEWAY_VOICE_INDEX_H
#define SS_GATEWAY_VOICE_INDEX_H

#include "gateway/gateway.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define VOICE_INDEX_MEMBER_MAX 96
#define VOICE_LIST_SCAN_MAX 2000
#define VOICE_CURSOR_MAX 256

typedef enum { VOICE_SEG_USER = 0, VOICE_SEG_TENANT = 1, VOICE_SEG_GLOBAL = 2, VOICE_SEG_COUNT = 3 } voice_segment;

/* "0001764944401123:vc_x" into out. 0, or -1 when it does not fit. */
int voice_index_member(char *out, size_t cap, int64_t created_ms, const char *voice_id);

/* Cursor codec. decode returns 0 and fills seg/member, or -1 for anything
 * that is not a cursor this gateway made. */
int voice_cursor_encode(voice_segment seg, const char *member, char *out, size_t cap);
int voice_cursor_decode(const char *cursor, voice_segment *seg, char *member, size_t cap);

/* The filters of GET /voices; NULL fields do not filter. q is matched
 * case-insensitively (ASCII letters) as a substring of display_name,
 * description or any style tag; language matches language_primary or any of
 * language_supported (on the primary subtag: "en" matches "en-GB"); accent
 * equals the voice's accent, ASCII case ignored (a voice without one has
 * none to match). */
typedef struct {
    const char *language, *scope, *gender, *accent, *embedding_status, *q;
} voice_filter;

bool voice_filter_matches(const json_t *voice, const voice_filter *f);

/* Whether the voice speaks `lang` (language_primary or language_supported,
 * matched as the filter above matches). */
bool voice_speaks_language(const json_t *voice, const char *lang);

/* Which segment a scope name selects (-1 for an unknown name). */
int voice_segment_of_scope(const char *scope);

/* --- Redis operations on behalf of a request (answers 503 itself when
 * Redis fails, like state_call.h). */

/* done(r, user, ok): ok false when the voice already existed (create) or
 * changed since it was read (update). */
typedef void (*voice_write_done_fn)(gw_request *r, void *user, bool ok);

/* Stores a new record and indexes it in its scope. */
void voice_index_create(gw_request *r, const json_t *record, voice_write_done_fn done, void *user,
                        void (*user_free)(void *));

/* Replaces `old_json` (the exact stored string) by `record`, moving its index
 * member when the scope changed; ok false when the stored string differs
 * (a concurrent write: the caller reads again). */
void voice_index_update(gw_request *r, const char *old_json, const json_t *old_record, const json_t *record,
                        voice_write_done_fn done, void *user, void (*user_free)(void *));

/* Reads one record: done(r, user, record or NULL, raw json or NULL). */
typedef void (*voice_read_done_fn)(gw_request *r, void *user, json_t *record, const char *raw);
void voice_index_read(gw_request *r, const char *voice_id, voice_read_done_fn done, void *user,
                      void (*user_free)(void *));

/* One page of the caller's ranked list: done(r, user, items (public
 * views, owned), next_cursor or NULL). */
typedef void (*voice_page_done_fn)(gw_request *r, void *user, json_t *items, const char *next_cursor);
typedef struct {
    voice_filter filter;
    int limit;                 /* 1..200 */
    voice_segment start_seg;   /* from the cursor, else VOICE_SEG_USER */
    char after[VOICE_INDEX_MEMBER_MAX]; /* "" from the top of start_seg */
} voice_page_query;
void voice_index_page(gw_request *r, const voice_page_query *q, voice_page_done_fn done, void *user);

#endif
