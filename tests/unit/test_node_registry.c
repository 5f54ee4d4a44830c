/* Unit tests for gateway/node_registry's pure part: node record + alive key +
 * drain flag (a Redis reply) -> API object with its status; usability and
 * node id checks. The Redis path is covered by the integration tests. */
#include "gateway/node_registry.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static redisReply *str_reply(const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *int_reply(long long v)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *triple(const char *rec, int alive, const char *drain)
{
    redisReply *t = calloc(1, sizeof *t);
    t->type = REDIS_REPLY_ARRAY;
    t->elements = 3;
    t->element = calloc(3, sizeof(redisReply *));
    t->element[0] = str_reply(rec);
    t->element[1] = int_reply(alive);
    if (drain) {
        t->element[2] = str_reply(drain);
    } else {
        t->element[2] = calloc(1, sizeof(redisReply));
        t->element[2]->type = REDIS_REPLY_NIL;
    }
    return t;
}

static void free_triple(redisReply *t)
{
    for (size_t i = 0; i < t->elements; i++) {
        free(t->element[i]->str);
        free(t->element[i]);
    }
    free(t->element);
    free(t);
}

static const char *status_of(redisReply *t)
{
    static char buf[32];
    json_t *n = node_object_from_reply(t);
    cr_assert_not_null(n);
    snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(n, "status")));
    json_decref(n);
    return buf;
}

Test(node_registry, status_from_alive_and_drain)
{
    const char *rec = "{\"node_id\":\"n1\",\"engines\":[{\"engine_id\":\"e\"}],\"self_draining\":false}";
    const char *self = "{\"node_id\":\"n1\",\"engines\":[],\"self_draining\":true}";
    redisReply *t;
    t = triple(rec, 1, NULL);
    cr_assert_str_eq(status_of(t), "online");
    free_triple(t);
    t = triple(rec, 0, NULL);
    cr_assert_str_eq(status_of(t), "offline");
    free_triple(t);
    t = triple(rec, 1, "{\"reason\":\"maintenance\"}");
    cr_assert_str_eq(status_of(t), "draining");
    free_triple(t);
    t = triple(self, 1, NULL);
    cr_assert_str_eq(status_of(t), "draining");
    free_triple(t);
    t = triple("not json", 1, NULL);
    cr_assert_null(node_object_from_reply(t));
    free_triple(t);
}

Test(node_registry, usable_needs_online_and_engine)
{
    json_t *n = json_pack("{s:s,s:[{s:s}]}", "status", "online", "engines", "engine_id", "scaispeak-hts-en");
    cr_assert(node_object_usable(n, NULL));
    cr_assert(node_object_usable(n, "scaispeak-hts-en"));
    cr_assert_not(node_object_usable(n, "other"));
    json_object_set_new(n, "status", json_string("draining"));
    cr_assert_not(node_object_usable(n, NULL));
    json_decref(n);
    json_t *empty = json_pack("{s:s,s:[]}", "status", "online", "engines");
    cr_assert_not(node_object_usable(empty, NULL), "a node without an engine is not usable");
    json_decref(empty);
    cr_assert(node_id_valid("gpu-01.example:50061"));
    cr_assert_not(node_id_valid("bad id"));
    cr_assert_not(node_id_valid(""));
}
