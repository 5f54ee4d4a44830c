/* gRPC status codes as text: the canonical names ("OK",
 * "RESOURCE_EXHAUSTED") used in logs and metric labels by both the server
 * loop and the clients. */
#ifndef SS_COMMON_GRPC_STATUS_H
#define SS_COMMON_GRPC_STATUS_H

#include <grpc/status.h>

/* Never NULL; "UNKNOWN" for a value outside the enum. */
const char *ss_grpc_status_name(grpc_status_code code);

#endif
