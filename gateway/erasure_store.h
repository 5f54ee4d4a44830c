/* Voice erasure in Redis: the audit trail and the evictions nodes still owe,
 * shared by the gateway (DELETE /voices/{id}, the audit route) and the
 * worker's reconciler.
 *
 * An erasure is one audit row (docs/STATE.md):
 *   ss:erasure:{aid}          HASH id voice_id tenant_id actor_user_id
 *                             requested_at completed_at status objects
 *                             objects_deleted objects_left member
 *   ss:erasure:{aid}:pending  SET nodes that still owe the eviction
 *   ss:erasure:{aid}:evicted  SET nodes that evicted (answered EvictVoice,
 *                             or stopped listing the voice in heartbeats)
 *   ss:erasures, ss:tenant:{tid}:erasures  ZSETs (score 0, members
 *                             "<ms 16 digits>:<aid>") for the audit listing
 *   ss:erasures:open          SET rows the reconciler still works on
 *   ss:voice:{vid}:erasure    STRING the voice's audit id (for re-sends)
 * and, per node, ss:node:{id}:evict (SET of voice ids), which the heartbeat
 * answer carries to the node until it stops listing the voice.
 *
 * A row is `completed` (with completed_at) when no node is pending and its
 * objects are deleted (objects_left "0"); every script that can make that
 * true checks it, so whoever finishes last completes the row, once. */
#ifndef SS_GATEWAY_ERASURE_STORE_H
#define SS_GATEWAY_ERASURE_STORE_H

#include "common/redis_async.h"

/* The erasure itself, one script: KEYS voice, voice index, global set, warm,
 * audit, audit pending, erasures, tenant erasures, open, voice->erasure,
 * tenant blocklist, then per node its evict set and its record; ARGV raw
 * record json (compare and delete), aid, voice id, audit member, tenant,
 * actor, requested_at, objects json, objects count, voice index member,
 * blocklist entry id ("" = the speaker is not blocked), entry json, then the
 * node ids
 * -> {0} (the record changed or is gone) or {1, node id, record|false, ...} */
extern const ss_redis_script ERASURE_ERASE;

/* Nodes evicted: KEYS audit, pending, evicted, open, then each node's evict
 * set; ARGV aid, voice id, now (ISO), then the node ids -> 1 completed now, 0 */
extern const ss_redis_script ERASURE_ACK;

/* Objects deleted: KEYS audit, pending, open; ARGV aid, deleted json, now
 * -> 1 completed now, 0 */
extern const ss_redis_script ERASURE_OBJECTS_DONE;

/* The audit listing's opaque cursor: the hex of the last member shown.
 * erasure_cursor_of writes the cursor of member's first max bytes to out
 * (2 * max + 1 bytes); erasure_cursor_member reads one back into out
 * (cap bytes): 0, or -1 when it is not the cursor of a member (one ':',
 * letters, digits and '_' otherwise; fuzzed by tests/fuzz/fuzz_list_cursors.c). */
void erasure_cursor_of(const char *member, size_t max, char *out);
int erasure_cursor_member(const char *cursor, char *out, size_t cap);

#endif
