/* Unit tests for gateway/save_target: the save_to object of POST /speak.
 * Valid targets are read whole; each bad field gives one
 * {field: "save_to.<name>", message} detail, all of them at once; unsafe
 * file names (path separators, hidden names, control characters, too long)
 * are refused. The HTTP answer (422 with these details) is covered by
 * tests/integration/test_save_to.py. */
#include "gateway/save_target.h"
#include "gateway/speak_request.h"

#include <criterion/criterion.h>
#include <string.h>

static int read_json(const char *text, gw_save_target *t, json_t **details)
{
    json_t *v = json_loads(text, JSON_ALLOW_NUL, NULL);
    cr_assert_not_null(v, "bad test JSON: %s", text);
    *details = json_array();
    int n = gw_save_target_read(v, t, *details);
    json_decref(v);
    return n;
}

static const char *message_for(json_t *details, const char *field)
{
    size_t i;
    json_t *d;
    json_array_foreach(details, i, d)
    {
        if (!strcmp(json_string_value(json_object_get(d, "field")), field))
            return json_string_value(json_object_get(d, "message"));
    }
    return NULL;
}

Test(save_target, a_full_target_is_read)
{
    gw_save_target t;
    json_t *d;
    cr_assert_eq(read_json("{\"share_id\":\"shr_1\",\"folder_id\":\"fld_2\",\"filename\":\"Hello "
                           "w\xc3\xb6rld.wav\",\"overwrite\":true}", &t, &d), 0);
    cr_assert(t.wanted && t.overwrite);
    cr_assert_str_eq(t.share_id, "shr_1");
    cr_assert_str_eq(t.folder_id, "fld_2");
    cr_assert_str_eq(t.filename, "Hello w\xc3\xb6rld.wav");
    json_decref(d);
}

Test(save_target, defaults_root_folder_and_no_overwrite)
{
    gw_save_target t;
    json_t *d;
    cr_assert_eq(read_json("{\"share_id\":\"s\",\"filename\":\"a.mp3\",\"folder_id\":null}", &t, &d), 0);
    cr_assert(t.wanted && !t.overwrite);
    cr_assert_str_eq(t.folder_id, "");
    json_decref(d);
}

Test(save_target, every_problem_at_once)
{
    gw_save_target t;
    json_t *d;
    int n = read_json("{\"folder_id\":\"has space\",\"overwrite\":\"yes\",\"colour\":1}", &t, &d);
    cr_assert_eq(n, 5, "%d problems", n);
    cr_assert(!t.wanted);
    cr_assert_not_null(strstr(message_for(d, "save_to.share_id"), "required"));
    cr_assert_not_null(strstr(message_for(d, "save_to.filename"), "required"));
    cr_assert_not_null(strstr(message_for(d, "save_to.folder_id"), "printable"));
    cr_assert_not_null(strstr(message_for(d, "save_to.overwrite"), "boolean"));
    cr_assert_not_null(strstr(message_for(d, "save_to.colour"), "unknown"));
    json_decref(d);
}

Test(save_target, unsafe_file_names_are_refused)
{
    static const char *const names[] = {
        "\"\"", "\".\"", "\"..\"", "\".hidden\"", "\"a/b.wav\"", "\"..\\\\x.wav\"", "\"a\\u0001.wav\"",
        "\" lead.wav\"", "\"trail.wav \"", "\"nul\\u0000.wav\"", "7", "null",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"share_id\":\"s\",\"filename\":%s}", names[i]);
        gw_save_target t;
        json_t *d;
        cr_assert_eq(read_json(body, &t, &d), 1, "%s accepted", names[i]);
        cr_assert_not_null(message_for(d, "save_to.filename"), "%s", names[i]);
        json_decref(d);
    }
    char body[400] = "{\"share_id\":\"s\",\"filename\":\"";
    size_t len = strlen(body);
    memset(body + len, 'a', 256);
    strcpy(body + len + 256, "\"}");
    gw_save_target t;
    json_t *d;
    cr_assert_eq(read_json(body, &t, &d), 1, "a 256-byte name accepted");
    json_decref(d);
    body[len + 255] = '"'; /* 255 bytes: the limit */
    strcpy(body + len + 256, "}");
    cr_assert_eq(read_json(body, &t, &d), 0, "a 255-byte name refused");
    json_decref(d);
}

Test(save_target, ids_are_bounded_and_printable)
{
    gw_save_target t;
    json_t *d;
    cr_assert_eq(read_json("{\"share_id\":\"\",\"filename\":\"a\"}", &t, &d), 1);
    json_decref(d);
    cr_assert_eq(read_json("{\"share_id\":\"a\\nb\",\"filename\":\"a\"}", &t, &d), 1);
    json_decref(d);
    cr_assert_eq(read_json("{\"share_id\":5,\"filename\":\"a\"}", &t, &d), 1);
    json_decref(d);
}

/* Through the /speak parser: a valid save_to lands in the params. */
Test(save_target, speak_body_carries_it)
{
    json_t *body = json_loads("{\"text\":\"hi\",\"save_to\":{\"share_id\":\"s1\",\"filename\":\"x.wav\"}}", 0, NULL);
    gw_speak_params p;
    json_t *details = NULL;
    cr_assert_eq(gw_speak_params_parse(body, &p, &details), 0);
    cr_assert(p.save_to.wanted);
    cr_assert_str_eq(p.save_to.share_id, "s1");
    json_decref(body);
}
