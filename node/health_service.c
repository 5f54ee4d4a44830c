/* grpc.health.v1.Health on the node (see health_service.h). */
#include "node/health_service.h"

#include "node/node_health.h"
#include "proto/health.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static grpc_status_code check(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                              size_t req_len, uint8_t **resp, size_t *resp_len, char *status_msg,
                              size_t msglen)
{
    (void)info;
    Grpc__Health__V1__HealthCheckRequest *r =
        grpc__health__v1__health_check_request__unpack(NULL, req_len, req);
    if (!r) {
        snprintf(status_msg, msglen, "cannot parse HealthCheckRequest");
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    bool known = !r->service || !*r->service || strcmp(r->service, "scaiinfer.tts.v1.TtsNode") == 0;
    if (!known)
        snprintf(status_msg, msglen, "unknown service \"%.100s\"", r->service);
    grpc__health__v1__health_check_request__free_unpacked(r, NULL);
    if (!known)
        return GRPC_STATUS_NOT_FOUND;

    ss_node_health h;
    ss_node_health_get(user, &h);
    Grpc__Health__V1__HealthCheckResponse out = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    out.status = h.ready ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                         : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    size_t n = grpc__health__v1__health_check_response__get_packed_size(&out);
    *resp = malloc(n ? n : 1);
    if (!*resp) {
        snprintf(status_msg, msglen, "out of memory");
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    }
    *resp_len = grpc__health__v1__health_check_response__pack(&out, *resp);
    return GRPC_STATUS_OK;
}

/* A server-streaming method answered by a unary handler: the client gets
 * the status and no message, which is all UNIMPLEMENTED needs. */
static grpc_status_code watch(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                              size_t req_len, uint8_t **resp, size_t *resp_len, char *status_msg,
                              size_t msglen)
{
    (void)user, (void)info, (void)req, (void)req_len, (void)resp, (void)resp_len;
    snprintf(status_msg, msglen, "Watch is not implemented: poll Check");
    return GRPC_STATUS_UNIMPLEMENTED;
}

int ss_health_service_register(ss_grpc_server *srv, ss_node *node, char *err, size_t errlen)
{
    if (ss_grpc_server_add_unary_open(srv, SS_HEALTH_METHOD_CHECK, check, node) != 0 ||
        ss_grpc_server_add_unary_open(srv, SS_HEALTH_METHOD_WATCH, watch, node) != 0) {
        snprintf(err, errlen, "cannot register grpc.health.v1.Health (already registered or started)");
        return -1;
    }
    return 0;
}
