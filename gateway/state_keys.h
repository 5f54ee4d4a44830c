/* The gateway's Redis layout in one place: every key name the gateway, the
 * heartbeat service and the CLI use, and the defaults of the values stored
 * under them (docs/STATE.md describes what each key holds).
 *
 * Lua scripts never build key names: the C side builds every key a script
 * touches with gw_state_key() and passes it in KEYS[], so the scripts would
 * run on a clustered Redis (which must know each script's keys). Defaults a
 * script needs (the rate limits of a tenant without a policy) travel in ARGV
 * from the constants below. */
#ifndef SS_GATEWAY_STATE_KEYS_H
#define SS_GATEWAY_STATE_KEYS_H

#include <stddef.h>

/* Room for any key: ids are short; tenant names (CLI input) are bounded by it. */
#define GW_STATE_KEY_MAX 320

typedef enum {
    /* node registry (node_registry.h) */
    GW_KEY_NODES,             /* ss:nodes                    ZSET node id -> last heartbeat ms */
    GW_KEY_NODE,              /* ss:node:{id}                STRING JSON record */
    GW_KEY_NODE_ALIVE,        /* ss:node:{id}:alive          STRING "1" with a TTL */
    GW_KEY_NODE_DRAIN,        /* ss:node:{id}:drain          STRING JSON operator drain */
    GW_KEY_NODE_EVICT,        /* ss:node:{id}:evict          SET voice ids to evict */
    /* identity (identity_store.h) */
    GW_KEY_TENANTS,           /* ss:tenants                  SET tenant ids */
    GW_KEY_TENANT,            /* ss:tenant:{tid}             HASH */
    GW_KEY_TENANT_NAME,       /* ss:tenant_name:{name}       STRING tenant id */
    GW_KEY_TENANT_USERS,      /* ss:tenant:{tid}:users       SET user ids */
    GW_KEY_USER,              /* ss:user:{uid}               HASH */
    GW_KEY_USER_APIKEYS,      /* ss:user:{uid}:apikeys       SET key ids */
    GW_KEY_APIKEY,            /* ss:apikey:{sha256 hex}      HASH */
    GW_KEY_APIKEY_ID,         /* ss:apikey_id:{key_id}       STRING sha256 hex */
    /* tenant controls */
    GW_KEY_TENANT_POLICY,     /* ss:tenant:{tid}:policy      STRING JSON */
    GW_KEY_TENANT_BLOCKLIST,  /* ss:tenant:{tid}:blocklist   HASH id -> JSON entry */
    GW_KEY_RATE_KEY,          /* ss:rl:key:{key_id}          ZSET request stamps */
    GW_KEY_RATE_USER,         /* ss:rl:user:{tid}:{uid}      ZSET request stamps */
    GW_KEY_RATE_TENANT,       /* ss:rl:tenant:{tid}          ZSET request stamps */
    /* voices (voice_store.h) */
    GW_KEY_VOICE,             /* ss:voice:{id}               STRING JSON voice */
    GW_KEY_VOICES_GLOBAL,     /* ss:voices:global            SET global voice ids */
    GW_KEY_DEFAULT_VOICE,     /* ss:platform:default_voice   STRING voice id */
    /* the voice library's ranked indexes (voice_index.h): ZSETs, score 0,
     * members "<created ms, 16 digits>:<voice id>", newest last in lex order */
    GW_KEY_VOICES_GLOBAL_INDEX, /* ss:voices:global:index         global scope */
    GW_KEY_TENANT_VOICES,       /* ss:tenant:{tid}:voices         tenant scope */
    GW_KEY_USER_VOICES,         /* ss:tenant:{tid}:user:{uid}:voices  user scope */
    /* warm registry and erasure (warm_registry.h, voice_erasure.h) */
    GW_KEY_VOICE_WARM,          /* ss:voice:{id}:warm             HASH node id -> last heartbeat ms listing it */
    GW_KEY_ERASURE,             /* ss:erasure:{aid}               HASH the audit row */
    GW_KEY_ERASURE_PENDING_NODES, /* ss:erasure:{aid}:pending     SET nodes that still owe the eviction */
    GW_KEY_ERASURE_EVICTED_NODES, /* ss:erasure:{aid}:evicted     SET nodes that evicted */
    GW_KEY_ERASURES,            /* ss:erasures                    ZSET audit ids by request ms (all tenants) */
    GW_KEY_TENANT_ERASURES,     /* ss:tenant:{tid}:erasures       ZSET audit ids by request ms */
    GW_KEY_ERASURES_OPEN,       /* ss:erasures:open               SET audit ids the reconciler still works on */
    GW_KEY_VOICE_ERASURE,       /* ss:voice:{id}:erasure          STRING the erased voice's audit id */
    GW_KEY_VOICE_LICENSE_USED,  /* ss:voice:{id}:license_used     STRING characters synthesised (licensed voices) */
    /* asynchronous jobs (job_store.h) */
    GW_KEY_JOBS,                /* ss:jobs                        STREAM the queue (group "workers") */
    GW_KEY_JOB,                 /* ss:job:{id}                    HASH the job record */
    GW_KEY_JOBS_EXPIRY,         /* ss:jobs:expiry                 ZSET finished job id -> delete at (ms) */
    GW_KEY_JOB_EVENTS,          /* ss:jobs:events                 STREAM one entry per job end (capped) */
    GW_KEY_KIND_COUNT
} gw_key_kind;

/* Writes the key of `kind` for the ids it takes (a, then b; unused ones may
 * be NULL) into out. Returns 0, or -1 (out holds "") when an id the key needs
 * is NULL or the key does not fit in cap. */
int gw_state_key(char *out, size_t cap, gw_key_kind kind, const char *a, const char *b);

/* How many ids the key of `kind` takes (0, 1 or 2); -1 for an unknown kind. */
int gw_state_key_arity(gw_key_kind kind);

/* A growing list of keys, for scripts whose keys come from a previous read
 * (the node ids of the index, a user's key ids). */
typedef struct {
    size_t n, cap;
    char **keys;
} gw_key_list;

/* Appends the key of `kind` for a, b. Returns 0; GW_KEY_LIST_BAD_KEY when the
 * key cannot be built (see gw_state_key); GW_KEY_LIST_NO_MEMORY. The list is
 * unchanged on failure. */
enum { GW_KEY_LIST_BAD_KEY = -1, GW_KEY_LIST_NO_MEMORY = -2 };
int gw_key_list_add(gw_key_list *l, gw_key_kind kind, const char *a, const char *b);
/* Appends s as it is (the ids that go with the keys, for ARGV). Returns 0 or
 * GW_KEY_LIST_NO_MEMORY. */
int gw_key_list_push(gw_key_list *l, const char *s);
/* Frees the keys; the list is empty and reusable afterwards. */
void gw_key_list_free(gw_key_list *l);

/* Defaults of stored values. */
enum {
    GW_RATE_LIMIT_PER_KEY_DEFAULT = 60,      /* requests per window per API key */
    GW_RATE_LIMIT_PER_USER_DEFAULT = 120,    /* per user */
    GW_RATE_LIMIT_PER_TENANT_DEFAULT = 1000, /* per tenant */
    GW_RATE_LIMIT_WINDOW_MS = 60000,         /* the sliding window */
    GW_POLICY_ASYNC_THRESHOLD_DEFAULT = 3000, /* async_threshold_chars */
};
#define GW_POLICY_DEFAULT_BACKEND "A"

#endif
