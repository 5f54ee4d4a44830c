/* Unit tests for the Redis key builders (gateway/state_keys.c): every key
 * name as docs/STATE.md lists it, ids that are missing or too long, and the
 * key list scripts get their KEYS[] from. */
#include "gateway/state_keys.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(state_keys, every_kind_builds_its_documented_name)
{
    struct {
        gw_key_kind kind;
        const char *a, *b, *want;
    } cases[] = {
        {GW_KEY_NODES, NULL, NULL, "ss:nodes"},
        {GW_KEY_NODE, "n1", NULL, "ss:node:n1"},
        {GW_KEY_NODE_ALIVE, "n1", NULL, "ss:node:n1:alive"},
        {GW_KEY_NODE_DRAIN, "n1", NULL, "ss:node:n1:drain"},
        {GW_KEY_NODE_EVICT, "n1", NULL, "ss:node:n1:evict"},
        {GW_KEY_TENANTS, NULL, NULL, "ss:tenants"},
        {GW_KEY_TENANT, "tn_1", NULL, "ss:tenant:tn_1"},
        {GW_KEY_TENANT_NAME, "dev", NULL, "ss:tenant_name:dev"},
        {GW_KEY_TENANT_USERS, "tn_1", NULL, "ss:tenant:tn_1:users"},
        {GW_KEY_USER, "usr_1", NULL, "ss:user:usr_1"},
        {GW_KEY_USER_APIKEYS, "usr_1", NULL, "ss:user:usr_1:apikeys"},
        {GW_KEY_APIKEY, "abc", NULL, "ss:apikey:abc"},
        {GW_KEY_APIKEY_ID, "key_1", NULL, "ss:apikey_id:key_1"},
        {GW_KEY_TENANT_POLICY, "tn_1", NULL, "ss:tenant:tn_1:policy"},
        {GW_KEY_TENANT_BLOCKLIST, "tn_1", NULL, "ss:tenant:tn_1:blocklist"},
        {GW_KEY_RATE_KEY, "key_1", NULL, "ss:rl:key:key_1"},
        {GW_KEY_RATE_USER, "tn_1", "usr_1", "ss:rl:user:tn_1:usr_1"},
        {GW_KEY_RATE_TENANT, "tn_1", NULL, "ss:rl:tenant:tn_1"},
        {GW_KEY_VOICE, "vc_x", NULL, "ss:voice:vc_x"},
        {GW_KEY_VOICES_GLOBAL, NULL, NULL, "ss:voices:global"},
        {GW_KEY_DEFAULT_VOICE, NULL, NULL, "ss:platform:default_voice"},
        {GW_KEY_VOICES_GLOBAL_INDEX, NULL, NULL, "ss:voices:global:index"},
        {GW_KEY_TENANT_VOICES, "tn_1", NULL, "ss:tenant:tn_1:voices"},
        {GW_KEY_USER_VOICES, "tn_1", "usr_1", "ss:tenant:tn_1:user:usr_1:voices"},
        {GW_KEY_VOICE_WARM, "vc_x", NULL, "ss:voice:vc_x:warm"},
        {GW_KEY_ERASURE, "er_1", NULL, "ss:erasure:er_1"},
        {GW_KEY_ERASURE_PENDING_NODES, "er_1", NULL, "ss:erasure:er_1:pending"},
        {GW_KEY_ERASURE_EVICTED_NODES, "er_1", NULL, "ss:erasure:er_1:evicted"},
        {GW_KEY_ERASURES, NULL, NULL, "ss:erasures"},
        {GW_KEY_TENANT_ERASURES, "tn_1", NULL, "ss:tenant:tn_1:erasures"},
        {GW_KEY_ERASURES_OPEN, NULL, NULL, "ss:erasures:open"},
        {GW_KEY_VOICE_ERASURE, "vc_x", NULL, "ss:voice:vc_x:erasure"},
        {GW_KEY_VOICE_LICENSE_USED, "vc_x", NULL, "ss:voice:vc_x:license_used"},
        {GW_KEY_JOBS, NULL, NULL, "ss:jobs"},
        {GW_KEY_JOB, "job_1", NULL, "ss:job:job_1"},
        {GW_KEY_JOBS_EXPIRY, NULL, NULL, "ss:jobs:expiry"},
        {GW_KEY_JOB_EVENTS, NULL, NULL, "ss:jobs:events"},
    };
    cr_assert_eq(sizeof cases / sizeof cases[0], GW_KEY_KIND_COUNT, "a case per kind");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[GW_STATE_KEY_MAX];
        cr_assert_eq(gw_state_key(out, sizeof out, cases[i].kind, cases[i].a, cases[i].b), 0, "case %zu", i);
        cr_assert_str_eq(out, cases[i].want);
        cr_assert_eq(gw_state_key_arity(cases[i].kind), (cases[i].a != NULL) + (cases[i].b != NULL));
    }
}

Test(state_keys, empty_ids_are_kept_missing_ones_refused)
{
    char out[64];
    cr_assert_eq(gw_state_key(out, sizeof out, GW_KEY_TENANT_POLICY, "", NULL), 0);
    cr_assert_str_eq(out, "ss:tenant::policy");
    cr_assert_eq(gw_state_key(out, sizeof out, GW_KEY_NODE, NULL, NULL), -1);
    cr_assert_str_eq(out, "");
    cr_assert_eq(gw_state_key(out, sizeof out, GW_KEY_RATE_USER, "tn", NULL), -1);
    cr_assert_eq(gw_state_key(out, sizeof out, GW_KEY_KIND_COUNT, "x", NULL), -1);
    cr_assert_eq(gw_state_key_arity(GW_KEY_KIND_COUNT), -1);
}

Test(state_keys, a_key_that_does_not_fit_fails_instead_of_being_cut)
{
    char out[16];
    cr_assert_eq(gw_state_key(out, sizeof out, GW_KEY_NODE, "0123456", NULL), 0); /* 15 chars */
    cr_assert_str_eq(out, "ss:node:0123456");
    cr_assert_eq(gw_state_key(out, sizeof out, GW_KEY_NODE, "01234567", NULL), -1);
    cr_assert_str_eq(out, "");
    char big[GW_STATE_KEY_MAX + 8];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char key[GW_STATE_KEY_MAX];
    cr_assert_eq(gw_state_key(key, sizeof key, GW_KEY_VOICE, big, NULL), -1);
}

Test(state_keys, key_list_collects_keys_and_values)
{
    gw_key_list l = {0};
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        cr_assert_eq(gw_key_list_add(&l, GW_KEY_NODE_ALIVE, id, NULL), 0);
    }
    cr_assert_eq(gw_key_list_push(&l, "raw value"), 0);
    cr_assert_eq(gw_key_list_add(&l, GW_KEY_NODE, NULL, NULL), GW_KEY_LIST_BAD_KEY);
    cr_assert_eq(l.n, 21);
    cr_assert_str_eq(l.keys[0], "ss:node:n0:alive");
    cr_assert_str_eq(l.keys[19], "ss:node:n19:alive");
    cr_assert_str_eq(l.keys[20], "raw value");
    gw_key_list_free(&l);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.keys);
}

Test(state_keys, defaults_match_the_policy_defaults)
{
    cr_assert_eq(GW_RATE_LIMIT_PER_KEY_DEFAULT, 60);
    cr_assert_eq(GW_RATE_LIMIT_PER_USER_DEFAULT, 120);
    cr_assert_eq(GW_RATE_LIMIT_PER_TENANT_DEFAULT, 1000);
    cr_assert_eq(GW_RATE_LIMIT_WINDOW_MS, 60000);
}
