/* The models of the OpenAI-compatible surface: GET /v1/models,
 * GET /v1/models/{id}, and the names POST /v1/audio/speech accepts in
 * `model`.
 *
 * One table lists them, so what models.list() shows is exactly what
 * audio.speech.create() accepts. Every model is the same engine (the voice
 * decides the sound); the names exist so OpenAI clients work unchanged.
 *
 * These two routes answer in OpenAI's shape, not our envelope:
 * {"object":"list","data":[{"id","object":"model","created","owned_by"}]}
 * and the bare model object, because the OpenAI SDKs read exactly those
 * fields (models.list() iterates `data`). Errors keep our envelope, whose
 * `error.message` is what the SDKs print. */
#ifndef SS_GATEWAY_OPENAI_MODELS_H
#define SS_GATEWAY_OPENAI_MODELS_H

#include "gateway/gateway.h"

#include <stdbool.h>
#include <stddef.h>

/* true when name is a model of the table (exact, case-sensitive). */
bool gw_openai_model_known(const char *name);
/* "tts-1, tts-1-hd, ..." into buf (truncated to cap); returns buf. */
const char *gw_openai_model_names(char *buf, size_t cap);

void gw_handle_openai_models_list(gw_request *r);
void gw_handle_openai_model_get(gw_request *r);

#endif
