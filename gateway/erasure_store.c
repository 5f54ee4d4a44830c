/* The erasure scripts and the audit listing's cursor (see erasure_store.h). */
#include "gateway/erasure_store.h"

#include "common/hex_codec.h"

#include <ctype.h>
#include <string.h>

/* finish(audit key, pending key, open key, aid, now): completes the row when
 * nothing is left; returns 1 when it did. */
#define ERASURE_FINISH_FN                                                                                  \
    "local function finish(audit, pending, open, aid, now)\n"                                              \
    "  if redis.call('HGET', audit, 'status') == 'completed' then return 0 end\n"                         \
    "  if redis.call('SCARD', pending) > 0 then return 0 end\n"                                           \
    "  if redis.call('HGET', audit, 'objects_left') ~= '0' then return 0 end\n"                           \
    "  redis.call('HSET', audit, 'status', 'completed', 'completed_at', now)\n"                           \
    "  redis.call('SREM', open, aid)\n"                                                                   \
    "  return 1\n"                                                                                         \
    "end\n"

const ss_redis_script ERASURE_ERASE = {
    "erasure_erase",
    ERASURE_FINISH_FN
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('ZREM', KEYS[2], ARGV[10])\n"
    "redis.call('SREM', KEYS[3], ARGV[3])\n"
    "redis.call('DEL', KEYS[4])\n"
    "redis.call('HSET', KEYS[5], 'id', ARGV[2], 'voice_id', ARGV[3], 'tenant_id', ARGV[5],\n"
    "  'actor_user_id', ARGV[6], 'requested_at', ARGV[7], 'status', 'pending', 'objects', ARGV[8],\n"
    "  'objects_deleted', '[]', 'objects_left', ARGV[9], 'member', ARGV[4])\n"
    "redis.call('ZADD', KEYS[7], 0, ARGV[4])\n"
    "redis.call('ZADD', KEYS[8], 0, ARGV[4])\n"
    "redis.call('SADD', KEYS[9], ARGV[2])\n"
    "redis.call('SET', KEYS[10], ARGV[2])\n"
    "if ARGV[11] ~= '' then redis.call('HSET', KEYS[11], ARGV[11], ARGV[12]) end\n"
    "local out = {1}\n"
    "for i = 13, #ARGV do\n"
    "  local n = i - 12\n"
    "  redis.call('SADD', KEYS[6], ARGV[i])\n"
    "  redis.call('SADD', KEYS[10 + 2 * n], ARGV[3])\n"
    "  out[#out + 1] = ARGV[i]\n"
    "  out[#out + 1] = redis.call('GET', KEYS[11 + 2 * n]) or false\n"
    "end\n"
    "finish(KEYS[5], KEYS[6], KEYS[9], ARGV[2], ARGV[7])\n"
    "return out\n",
    .durable = true};

const ss_redis_script ERASURE_ACK = {
    "erasure_ack",
    ERASURE_FINISH_FN
    "for i = 4, #ARGV do\n"
    "  redis.call('SREM', KEYS[4 + i - 3], ARGV[2])\n"
    "  redis.call('SREM', KEYS[2], ARGV[i])\n"
    "  redis.call('SADD', KEYS[3], ARGV[i])\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "return finish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[3])\n",
    .durable = true};

const ss_redis_script ERASURE_OBJECTS_DONE = {
    "erasure_objects_done",
    ERASURE_FINISH_FN
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'objects_deleted', ARGV[2], 'objects_left', '0')\n"
    "return finish(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[3])\n",
    .durable = true};

void erasure_cursor_of(const char *member, size_t max, char *out)
{
    ss_hex_encode(member, strnlen(member, max), out);
}

int erasure_cursor_member(const char *cursor, char *out, size_t cap)
{
    size_t n = strlen(cursor);
    if (n == 0 || n / 2 >= cap || ss_hex_decode(cursor, n, out, cap - 1) < 0)
        return -1;
    for (size_t i = 0; i < n / 2; i++)
        if (!isalnum((unsigned char)out[i]) && out[i] != ':' && out[i] != '_')
            return -1;
    out[n / 2] = '\0';
    return strchr(out, ':') ? 0 : -1;
}
