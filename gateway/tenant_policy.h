/* Tenant policy (API.md §6): which backends a tenant may use, the default one,
 * the async threshold and rate limits.
 *
 * Stored as JSON at ss:tenant:{tid}:policy. The first read provisions the
 * defaults (SET NX in the same script, so two first reads agree).
 * PUT replaces the policy; fields left out take their defaults, and every
 * field is validated (422 with details naming each bad field). */
#ifndef SS_GATEWAY_TENANT_POLICY_H
#define SS_GATEWAY_TENANT_POLICY_H

#include <jansson.h>

/* The default policy (caller decrefs). */
json_t *tenant_policy_default(void);
/* Validates a PUT body; on success returns the complete policy, else NULL
 * with *details set to [{field, message}, ...] (caller decrefs). */
json_t *tenant_policy_validate(const json_t *body, json_t **details);

#endif
