/* The OpenAI model table and GET /v1/models[/{id}] (see openai_models.h).
 *
 * `created` is a fixed date per model (when the name became available here,
 * as Unix seconds), not the process start, so two gateways answer the same
 * list. */
#include "gateway/openai_models.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *id;
    json_int_t created;
} openai_model;

/* OpenAI's speech model names, as the official SDKs list them. */
static const openai_model MODELS[] = {
    {"tts-1", 1767225600},                      /* 2026-01-01 */
    {"tts-1-hd", 1767225600},
    {"gpt-4o-mini-tts", 1767225600},
    {"gpt-4o-mini-tts-2025-12-15", 1767225600},
};
#define NMODELS (sizeof MODELS / sizeof MODELS[0])

static const openai_model *find_model(const char *name)
{
    for (size_t i = 0; name && i < NMODELS; i++)
        if (!strcmp(name, MODELS[i].id))
            return &MODELS[i];
    return NULL;
}

bool gw_openai_model_known(const char *name)
{
    return find_model(name) != NULL;
}

const char *gw_openai_model_names(char *buf, size_t cap)
{
    size_t used = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < NMODELS && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", MODELS[i].id);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

static json_t *model_object(const openai_model *m)
{
    return json_pack("{s:s,s:s,s:I,s:s}", "id", m->id, "object", "model", "created", m->created, "owned_by",
                     "scaispeak");
}

void gw_handle_openai_models_list(gw_request *r)
{
    json_t *data = json_array();
    json_t *list = json_pack("{s:s,s:o}", "object", "list", "data", data);
    bool ok = data && list;
    for (size_t i = 0; ok && i < NMODELS; i++)
        ok = json_array_append_new(data, model_object(&MODELS[i])) == 0;
    if (!ok) {
        json_decref(list);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_json(r, 200, list);
}

void gw_handle_openai_model_get(gw_request *r)
{
    const openai_model *m = find_model(r->params[0]);
    if (!m) {
        char names[160], msg[320];
        snprintf(msg, sizeof msg, "no model '%.100s' here; the models are %s", r->params[0],
                 gw_openai_model_names(names, sizeof names));
        gw_reply_error(r, SS_ERR_ROUTE_NOT_FOUND, msg, NULL);
        return;
    }
    json_t *body = model_object(m);
    if (!body) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_json(r, 200, body);
}
