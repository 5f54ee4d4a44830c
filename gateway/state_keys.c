/* Key builders (see state_keys.h).
 *
 * One template per key; "{}" stands for the next id. Expanding by hand (no
 * printf formats from a table) keeps the compiler's format checks meaningful
 * and lets a key that does not fit fail instead of being cut short. */
#include "gateway/state_keys.h"

#include <stdlib.h>
#include <string.h>

static const char *const TEMPLATES[GW_KEY_KIND_COUNT] = {
    [GW_KEY_NODES] = "ss:nodes",
    [GW_KEY_NODE] = "ss:node:{}",
    [GW_KEY_NODE_ALIVE] = "ss:node:{}:alive",
    [GW_KEY_NODE_DRAIN] = "ss:node:{}:drain",
    [GW_KEY_NODE_EVICT] = "ss:node:{}:evict",
    [GW_KEY_TENANTS] = "ss:tenants",
    [GW_KEY_TENANT] = "ss:tenant:{}",
    [GW_KEY_TENANT_NAME] = "ss:tenant_name:{}",
    [GW_KEY_TENANT_USERS] = "ss:tenant:{}:users",
    [GW_KEY_USER] = "ss:user:{}",
    [GW_KEY_USER_APIKEYS] = "ss:user:{}:apikeys",
    [GW_KEY_APIKEY] = "ss:apikey:{}",
    [GW_KEY_APIKEY_ID] = "ss:apikey_id:{}",
    [GW_KEY_TENANT_POLICY] = "ss:tenant:{}:policy",
    [GW_KEY_TENANT_BLOCKLIST] = "ss:tenant:{}:blocklist",
    [GW_KEY_RATE_KEY] = "ss:rl:key:{}",
    [GW_KEY_RATE_USER] = "ss:rl:user:{}:{}",
    [GW_KEY_RATE_TENANT] = "ss:rl:tenant:{}",
    [GW_KEY_VOICE] = "ss:voice:{}",
    [GW_KEY_VOICES_GLOBAL] = "ss:voices:global",
    [GW_KEY_DEFAULT_VOICE] = "ss:platform:default_voice",
    [GW_KEY_VOICES_GLOBAL_INDEX] = "ss:voices:global:index",
    [GW_KEY_TENANT_VOICES] = "ss:tenant:{}:voices",
    [GW_KEY_USER_VOICES] = "ss:tenant:{}:user:{}:voices",
    [GW_KEY_VOICE_WARM] = "ss:voice:{}:warm",
    [GW_KEY_ERASURE] = "ss:erasure:{}",
    [GW_KEY_ERASURE_PENDING_NODES] = "ss:erasure:{}:pending",
    [GW_KEY_ERASURE_EVICTED_NODES] = "ss:erasure:{}:evicted",
    [GW_KEY_ERASURES] = "ss:erasures",
    [GW_KEY_TENANT_ERASURES] = "ss:tenant:{}:erasures",
    [GW_KEY_ERASURES_OPEN] = "ss:erasures:open",
    [GW_KEY_VOICE_ERASURE] = "ss:voice:{}:erasure",
    [GW_KEY_VOICE_LICENSE_USED] = "ss:voice:{}:license_used",
    [GW_KEY_JOBS] = "ss:jobs",
    [GW_KEY_JOB] = "ss:job:{}",
    [GW_KEY_JOBS_EXPIRY] = "ss:jobs:expiry",
    [GW_KEY_JOB_EVENTS] = "ss:jobs:events",
};

int gw_state_key_arity(gw_key_kind kind)
{
    if ((int)kind < 0 || kind >= GW_KEY_KIND_COUNT)
        return -1;
    int n = 0;
    for (const char *t = TEMPLATES[kind]; (t = strstr(t, "{}")) != NULL; t += 2)
        n++;
    return n;
}

int gw_state_key(char *out, size_t cap, gw_key_kind kind, const char *a, const char *b)
{
    if (cap == 0)
        return -1;
    out[0] = '\0';
    if ((int)kind < 0 || kind >= GW_KEY_KIND_COUNT)
        return -1;
    const char *ids[2] = {a, b};
    int next = 0;
    size_t used = 0;
    for (const char *t = TEMPLATES[kind]; *t;) {
        const char *piece = t;
        size_t n = 1;
        if (t[0] == '{' && t[1] == '}') {
            if (next >= 2 || !ids[next]) {
                out[0] = '\0';
                return -1;
            }
            piece = ids[next++];
            n = strlen(piece);
            t += 2;
        } else {
            t++;
        }
        if (used + n >= cap) {
            out[0] = '\0';
            return -1;
        }
        memcpy(out + used, piece, n);
        used += n;
    }
    out[used] = '\0';
    return 0;
}

int gw_key_list_add(gw_key_list *l, gw_key_kind kind, const char *a, const char *b)
{
    char key[GW_STATE_KEY_MAX];
    if (gw_state_key(key, sizeof key, kind, a, b) != 0)
        return GW_KEY_LIST_BAD_KEY;
    return gw_key_list_push(l, key);
}

int gw_key_list_push(gw_key_list *l, const char *key)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **g = realloc(l->keys, cap * sizeof *g);
        if (!g)
            return GW_KEY_LIST_NO_MEMORY;
        l->keys = g;
        l->cap = cap;
    }
    char *copy = strdup(key);
    if (!copy)
        return GW_KEY_LIST_NO_MEMORY;
    l->keys[l->n++] = copy;
    return 0;
}

void gw_key_list_free(gw_key_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->keys[i]);
    free(l->keys);
    *l = (gw_key_list){0};
}
