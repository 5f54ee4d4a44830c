/* Asynchronous jobs at the gateway (job_routes.c, job_audio.c): submission
 * from POST /speak and the /speak/jobs routes. */
#ifndef SS_GATEWAY_JOB_ROUTES_H
#define SS_GATEWAY_JOB_ROUTES_H

#include "gateway/gateway.h"
#include "gateway/speak_request.h"

#include <stdint.h>

/* Queues p as a job for the caller with the resolved voice and answers 202
 * (or 503/500). save_to_json and drive_token (the exchanged ScaiDrive
 * token) are NULL when the request has no save_to. */
void gw_job_submit(gw_request *r, const gw_speak_params *p, const json_t *voice, const char *save_to_json,
                   const char *drive_token);

/* Reads the caller's job and hands its record (owned) to next, or answers
 * 404 SCAISPEAK_JOB_NOT_FOUND (missing, or someone else's) or 503. */
void gw_job_read(gw_request *r, const char *job_id, void (*next)(gw_request *r, json_t *record));

void gw_handle_job_get(gw_request *r);
void gw_handle_job_cancel(gw_request *r);
void gw_handle_job_audio(gw_request *r); /* job_audio.c */

/* A Range header against an object of `size` bytes (job_audio.c). */
enum { JOB_RANGE_NONE = 0, JOB_RANGE_OK = 1, JOB_RANGE_UNSATISFIABLE = -1 };
int job_range_parse(const char *header, uint64_t size, uint64_t *first, uint64_t *last);

#endif
