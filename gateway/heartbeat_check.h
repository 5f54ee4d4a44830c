/* Validation of a HeartbeatRequest before the gateway stores it: every size
 * and value range of common/heartbeat_limits.h. A node's heartbeat is
 * authenticated but still not trusted: a record is kept for an hour and read
 * by every /speak, so its size and numbers are bounded here. */
#ifndef SS_GATEWAY_HEARTBEAT_CHECK_H
#define SS_GATEWAY_HEARTBEAT_CHECK_H

#include "proto/heartbeat.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* True when hb is within every bound; else false with msg naming the first
 * field out of bounds and the bound. now_s: the gateway's clock (unix s). */
bool heartbeat_check(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                     size_t msglen);

#endif
