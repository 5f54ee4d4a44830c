/* save_to validation (see save_target.h): one small check per field, run
 * from a table like speak_request.c's. Strings come from jansson, which
 * admits only valid UTF-8. No state. */
#include "gateway/save_target.h"

#include "common/api_error.h"

#include <stdio.h>
#include <string.h>

typedef int (*save_field_fn)(const json_t *v, gw_save_target *out, char *msg, size_t cap);

static bool id_ok(const char *s, size_t len)
{
    if (len == 0 || len > GW_SAVE_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

static int read_id(const json_t *v, char *dst, size_t dstcap, char *msg, size_t cap)
{
    if (!json_is_string(v) || !id_ok(json_string_value(v), json_string_length(v))) {
        snprintf(msg, cap, "must be a ScaiDrive id: 1 to %d printable ASCII characters, no spaces",
                 GW_SAVE_ID_MAX);
        return -1;
    }
    snprintf(dst, dstcap, "%s", json_string_value(v));
    return 0;
}

static int read_share_id(const json_t *v, gw_save_target *out, char *msg, size_t cap)
{
    if (!v) {
        snprintf(msg, cap, "is required");
        return -1;
    }
    return read_id(v, out->share_id, sizeof out->share_id, msg, cap);
}

static int read_folder_id(const json_t *v, gw_save_target *out, char *msg, size_t cap)
{
    if (json_is_null(v))
        return 0; /* the share's root */
    return read_id(v, out->folder_id, sizeof out->folder_id, msg, cap);
}

static bool filename_ok(const char *s, size_t len)
{
    if (len == 0 || len > GW_SAVE_FILENAME_MAX || strlen(s) != len /* a NUL inside */)
        return false;
    if (s[0] == '.' || s[0] == ' ' || s[len - 1] == ' ')
        return false; /* also "." and "..": hidden or relative names */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return false;
    }
    return true;
}

static int read_filename(const json_t *v, gw_save_target *out, char *msg, size_t cap)
{
    if (!v) {
        snprintf(msg, cap, "is required");
        return -1;
    }
    if (!json_is_string(v) || !filename_ok(json_string_value(v), json_string_length(v))) {
        snprintf(msg, cap, "must be a file name of 1 to %d bytes of UTF-8, without '/', '\\', "
                 "control characters or leading/trailing spaces, not starting with '.'",
                 GW_SAVE_FILENAME_MAX);
        return -1;
    }
    snprintf(out->filename, sizeof out->filename, "%s", json_string_value(v));
    return 0;
}

static int read_overwrite(const json_t *v, gw_save_target *out, char *msg, size_t cap)
{
    if (!json_is_boolean(v)) {
        snprintf(msg, cap, "must be a boolean");
        return -1;
    }
    out->overwrite = json_is_true(v);
    return 0;
}

static const struct {
    const char *name;
    save_field_fn read;
    bool required;
} FIELDS[] = {
    {"share_id", read_share_id, true},
    {"folder_id", read_folder_id, false},
    {"filename", read_filename, true},
    {"overwrite", read_overwrite, false},
};

#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static void bad(json_t *details, const char *name, const char *msg)
{
    char field[64];
    snprintf(field, sizeof field, "save_to%s%s", name ? "." : "", name ? name : "");
    json_array_append_new(details, ss_detail(field, msg));
}

int gw_save_target_read(const json_t *v, gw_save_target *out, json_t *details)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(v)) {
        bad(details, NULL, "must be an object {share_id, folder_id?, filename, overwrite?}");
        return 1;
    }
    int problems = 0;
    const char *key;
    json_t *fv;
    json_object_foreach((json_t *)v, key, fv)
    {
        bool known = false;
        for (size_t i = 0; i < NFIELDS; i++)
            known = known || !strcmp(FIELDS[i].name, key);
        if (!known) {
            char name[48];
            snprintf(name, sizeof name, "%.40s", key);
            bad(details, name, "unknown field");
            problems++;
        }
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        const json_t *f = json_object_get(v, FIELDS[i].name);
        char msg[256];
        if ((f || FIELDS[i].required) && FIELDS[i].read(f, out, msg, sizeof msg) != 0) {
            bad(details, FIELDS[i].name, msg);
            problems++;
        }
    }
    out->wanted = problems == 0;
    return problems;
}
