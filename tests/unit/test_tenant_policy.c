/* Unit tests for gateway/tenant_policy: valid bodies are filled with the
 * defaults; invalid ones name every bad field. */
#include "gateway/tenant_policy.h"

#include <criterion/criterion.h>
#include <string.h>

static json_t *validate(const char *body_json, json_t **details)
{
    json_t *body = json_loads(body_json, 0, NULL);
    cr_assert_not_null(body, "%s", body_json);
    json_t *p = tenant_policy_validate(body, details);
    json_decref(body);
    return p;
}

Test(tenant_policy, valid_bodies_fill_defaults)
{
    json_t *d = NULL;
    json_t *p = validate("{\"allowed_backends\":[\"B\"]}", &d);
    cr_assert_not_null(p);
    cr_assert_str_eq(json_string_value(json_object_get(p, "default_backend")), "B",
                     "the default follows the allowed list when not given");
    cr_assert_eq(json_integer_value(json_object_get(p, "async_threshold_chars")), 3000);
    json_decref(p);
    p = validate("{\"rate_limits\":{\"per_key\":5}}", &d);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(p, "rate_limits"), "per_key")), 5);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(p, "rate_limits"), "per_user")), 120);
    json_decref(p);
}

Test(tenant_policy, invalid_bodies_name_fields)
{
    const char *bad[][2] = {
        {"{\"allowed_backends\":[]}", "allowed_backends"},
        {"{\"allowed_backends\":[\"A\",\"A\"]}", "allowed_backends"},
        {"{\"allowed_backends\":[\"C\"]}", "allowed_backends"},
        {"{\"allowed_backends\":[\"A\"],\"default_backend\":\"B\"}", "default_backend"},
        {"{\"default_backend\":5}", "default_backend"},
        {"{\"async_threshold_chars\":0}", "async_threshold_chars"},
        {"{\"async_threshold_chars\":\"10\"}", "async_threshold_chars"},
        {"{\"rate_limits\":{\"per_key\":-1}}", "rate_limits.per_key"},
        {"{\"rate_limits\":{\"bogus\":1}}", "rate_limits.bogus"},
        {"{\"surprise\":true}", "surprise"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *d = NULL;
        json_t *p = validate(bad[i][0], &d);
        cr_assert_null(p, "%s", bad[i][0]);
        const char *field = json_string_value(json_object_get(json_array_get(d, 0), "field"));
        cr_assert_str_eq(field, bad[i][1], "%s", bad[i][0]);
        json_decref(d);
    }
}
