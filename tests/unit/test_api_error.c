/* Unit tests for common/api_error: the code -> HTTP status table and the
 * shape of the error envelope. */
#include "common/api_error.h"

#include <criterion/criterion.h>
#include <stdlib.h>

Test(api_error, error_shape_and_status)
{
    cr_assert_eq(ss_api_error_status(SS_ERR_PAYLOAD_TOO_LARGE), 413);
    cr_assert_eq(ss_api_error_status(SS_ERR_BACKEND_UNAVAILABLE), 502);
    cr_assert_eq(ss_api_error_status(SS_ERR_BACKEND_BUSY), 503);
    cr_assert_str_eq(ss_api_error_code(SS_ERR_BACKEND_BUSY), "SCAISPEAK_BACKEND_BUSY");
    cr_assert_eq(ss_api_error_status(SS_ERR_VOICE_PREFLIGHT_FAILED), 422);
    cr_assert_str_eq(ss_api_error_code(SS_ERR_VOICE_PREFLIGHT_FAILED), "SCAISPEAK_VOICE_PREFLIGHT_FAILED");
    cr_assert_eq(ss_api_error_status(SS_ERR_AUDIO_UNREADABLE), 422);
    cr_assert_str_eq(ss_api_error_code(SS_ERR_AUDIO_UNREADABLE), "SCAISPEAK_AUDIO_UNREADABLE");
    json_t *e = ss_envelope_error(SS_ERR_ROUTE_NOT_FOUND, "no such route", NULL, "req_x");
    cr_assert_str_eq(json_string_value(json_object_get(e, "status")), "error");
    json_t *err = json_object_get(e, "error");
    cr_assert_str_eq(json_string_value(json_object_get(err, "code")), "ROUTE_NOT_FOUND");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "meta"), "request_id")),
                     "req_x");
    json_decref(e);
}

Test(api_error, a_message_that_is_not_utf8_keeps_the_code)
{
    /* "caf\xc3" is what snprintf leaves when it cuts "café" inside the é */
    json_t *env = ss_envelope_error(SS_ERR_BACKEND_ERROR, "node said: caf\xc3", NULL, "req_x");
    json_t *err = json_object_get(env, "error");
    cr_assert_str_eq(json_string_value(json_object_get(err, "code")), "SCAISPEAK_BACKEND_ERROR");
    cr_assert_str_eq(json_string_value(json_object_get(err, "message")), "node said: caf\xef\xbf\xbd");
    json_decref(env);
}

Test(api_error, a_detail_is_never_lost_to_bytes_that_are_not_utf8)
{
    json_t *d = ss_detail("name_\xc3", "quotes \xff");
    cr_assert(d);
    cr_assert_str_eq(json_string_value(json_object_get(d, "field")), "name_\xef\xbf\xbd");
    cr_assert_str_eq(json_string_value(json_object_get(d, "message")), "quotes \xef\xbf\xbd");
    json_decref(d);
    d = ss_detail("limit", "must be an integer from 1 to 200");
    char *s = json_dumps(d, JSON_COMPACT);
    cr_assert_str_eq(s, "{\"field\":\"limit\",\"message\":\"must be an integer from 1 to 200\"}");
    free(s);
    json_decref(d);
}
