/* Unit tests for common/config.c: the table of settings and the one pass
 * that fills ss_settings from defaults, file, environment and overrides.
 *
 * Criterion runs every test in its own process, so the environment a test
 * sets does not leak into the next one; each test still starts by clearing
 * every SCAISPEAK_<KEY> so the caller's environment cannot leak in. */
#include "common/config.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void env_name(const char *key, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "SCAISPEAK_");
    for (const char *k = key; *k && n + 1 < cap; k++)
        out[n++] = (char)toupper((unsigned char)*k);
    out[n] = '\0';
}

static void clear_environment(void)
{
    size_t n;
    const ss_config_key *keys = ss_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char name[128];
        env_name(keys[i].key, name, sizeof name);
        unsetenv(name);
    }
    unsetenv("SCAISPEAK_CONFIG");
}

/* Writes `text` to a fresh temporary file; its path goes to `path`. */
static void write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static const ss_config_key *key_named(const char *key)
{
    size_t n;
    const ss_config_key *keys = ss_config_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

static size_t field_size(ss_cfg_type type)
{
    switch (type) {
    case SS_CFG_STRING: return sizeof(char *);
    case SS_CFG_INT: return sizeof(long);
    case SS_CFG_FLOAT: return sizeof(double);
    case SS_CFG_BOOL: return sizeof(bool);
    }
    return 0;
}

/* A valid value for k, different from its default, as text. */
static void other_value(const ss_config_key *k, char *out, size_t cap)
{
    if (k->type == SS_CFG_STRING) {
        snprintf(out, cap, "v_%s", k->key);
        return;
    }
    if (k->type == SS_CFG_BOOL) {
        snprintf(out, cap, "%s", strcmp(k->default_value, "true") == 0 ? "false" : "true");
        return;
    }
    const double candidates[] = {k->min, k->max, 7, 1, 0, -3, 0.25};
    double def = strtod(k->default_value, NULL);
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        double c = candidates[i];
        if (!isfinite(c) || c < k->min || c > k->max || c == def)
            continue;
        if (k->type == SS_CFG_INT && c != floor(c))
            continue;
        if (k->type == SS_CFG_INT)
            snprintf(out, cap, "%ld", (long)c);
        else
            snprintf(out, cap, "%g", c);
        return;
    }
    cr_assert_fail("no test value for %s", k->key);
}

Test(config, defaults_land_in_fields)
{
    clear_environment();
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_str_eq(s->log_level, "info");
    cr_assert_str_eq(s->redis_host, "127.0.0.1");
    cr_assert_eq(s->redis_port, 6390);
    cr_assert_str_eq(s->operator_token, "", "an empty default is \"\", never NULL");
    cr_assert_eq(s->http_port, 8080);
    cr_assert_eq(s->body_limit_bytes, 2097152);
    cr_assert_eq(s->heartbeat_interval_ms, 2000);
    cr_assert_str_eq(s->relay_voice, "alloy");
    cr_assert_eq(s->node_port, 50061);
    cr_assert_eq(s->slots, 2);
    cr_assert_str_eq(s->kernels, "auto");
    cr_assert_eq(s->batch_window_ms, 2.0);
    cr_assert_eq(s->gpu_lanes, 2);
    cr_assert_eq(s->voice_cache_mb, 256);
    cr_assert_eq(s->preflight_min_voice_activity_ratio, 0.5);
    cr_assert_eq(s->preflight_max_peak_dbfs, -0.5);

    /* Every key: the value in force reads back as its default text. */
    size_t n;
    const ss_config_key *keys = ss_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char text[4096];
        cr_assert_eq(ss_config_format_value(s, &keys[i], text, sizeof text), 0);
        cr_assert_str_eq(text, keys[i].default_value, "default of %s", keys[i].key);
    }
    ss_config_free(s);
}

Test(config, file_overrides_defaults)
{
    clear_environment();
    char path[] = "/tmp/sscfgXXXXXX";
    write_file(path, "# comment\nhttp_port = 9000\n  grpc_port=9001 # trailing\n\n"
                     "relay_voice = nova\nbatch_window_ms = 0.25\n");
    char err[512];
    ss_settings *s = ss_config_load(path, err, sizeof err);
    unlink(path);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(s->http_port, 9000);
    cr_assert_eq(s->grpc_port, 9001);
    cr_assert_str_eq(s->relay_voice, "nova");
    cr_assert_eq(s->batch_window_ms, 0.25);
    cr_assert_eq(s->node_port, 50061, "keys the file leaves out keep their defaults");
    ss_config_free(s);
}

Test(config, environment_overrides_the_file)
{
    clear_environment();
    char path[] = "/tmp/sscfgXXXXXX";
    write_file(path, "grpc_port = 9001\nrelay_model = from-file\n");
    setenv("SCAISPEAK_GRPC_PORT", "9002", 1);
    setenv("SCAISPEAK_RELAY_MODEL", "from-env", 1);
    setenv("SCAISPEAK_PREFLIGHT_MIN_SNR_DB", "-3.5", 1);
    char err[512];
    ss_settings *s = ss_config_load(path, err, sizeof err);
    unlink(path);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(s->grpc_port, 9002);
    cr_assert_str_eq(s->relay_model, "from-env");
    cr_assert_eq(s->preflight_min_snr_db, -3.5);
    ss_config_free(s);
}

Test(config, set_overrides_after_load)
{
    clear_environment();
    setenv("SCAISPEAK_RELAY_TIMEOUT_MS", "2000", 1);
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(s->relay_timeout_ms, 2000);
    cr_assert_eq(ss_config_set(s, "relay_timeout_ms", "600", err, sizeof err), 0, "%s", err);
    cr_assert_eq(s->relay_timeout_ms, 600);
    cr_assert_eq(ss_config_set(s, "relay_url", "http://127.0.0.1:1", err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(s->relay_url, "http://127.0.0.1:1");
    ss_config_free(s);
}

Test(config, unknown_key_refused)
{
    clear_environment();
    char path[] = "/tmp/sscfgXXXXXX";
    write_file(path, "http_port = 9000\nno_such_key = 1\n");
    char err[512];
    cr_assert_null(ss_config_load(path, err, sizeof err));
    unlink(path);
    cr_assert(strstr(err, "unknown configuration key 'no_such_key'") != NULL, "%s", err);
    cr_assert(strstr(err, ":2:") != NULL, "the message names the line: %s", err);

    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(ss_config_set(s, "http_prot", "1", err, sizeof err), -1);
    cr_assert(strstr(err, "http_prot") != NULL, "%s", err);
    ss_config_free(s);
}

Test(config, malformed_line_refused)
{
    clear_environment();
    char path[] = "/tmp/sscfgXXXXXX";
    write_file(path, "http_port 9000\n");
    char err[512];
    cr_assert_null(ss_config_load(path, err, sizeof err));
    unlink(path);
    cr_assert(strstr(err, "expected 'key = value'") != NULL, "%s", err);
}

Test(config, wrong_type_refused)
{
    clear_environment();
    char err[512];
    setenv("SCAISPEAK_HTTP_PORT", "eighty", 1);
    cr_assert_null(ss_config_load(NULL, err, sizeof err));
    cr_assert(strstr(err, "SCAISPEAK_HTTP_PORT") != NULL && strstr(err, "http_port") != NULL &&
                  strstr(err, "not a valid integer") != NULL,
              "%s", err);
    unsetenv("SCAISPEAK_HTTP_PORT");

    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    const char *bad[][2] = {
        {"slots", "1.5"},          {"slots", ""},          {"slots", "2 "},
        {"slots", "99999999999999999999"},
        {"batch_window_ms", "fast"}, {"batch_window_ms", "nan"}, {"batch_window_ms", "inf"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ss_config_set(s, bad[i][0], bad[i][1], err, sizeof err), -1, "%s = '%s'",
                     bad[i][0], bad[i][1]);
        cr_assert(strstr(err, bad[i][0]) != NULL, "%s", err);
    }
    cr_assert_eq(s->slots, 2, "a refused value leaves the field as it was");
    cr_assert_eq(s->batch_window_ms, 2.0);
    ss_config_free(s);
}

Test(config, out_of_range_refused)
{
    clear_environment();
    char err[512];
    setenv("SCAISPEAK_GPU_LANES", "0", 1);
    cr_assert_null(ss_config_load(NULL, err, sizeof err));
    cr_assert(strstr(err, "SCAISPEAK_GPU_LANES: gpu_lanes must be 1..16 (got 0)") != NULL, "%s", err);
    unsetenv("SCAISPEAK_GPU_LANES");

    char path[] = "/tmp/sscfgXXXXXX";
    write_file(path, "slots = 257\n");
    cr_assert_null(ss_config_load(path, err, sizeof err));
    unlink(path);
    cr_assert(strstr(err, ":1: slots must be 1..256 (got 257)") != NULL, "%s", err);

    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(ss_config_set(s, "voice_cache_mb", "-1", err, sizeof err), -1);
    cr_assert_str_eq(err, "voice_cache_mb must be 0..16777216 (got -1)");
    cr_assert_eq(ss_config_set(s, "jwks_refresh_min_s", "-1", err, sizeof err), -1);
    cr_assert_str_eq(err, "jwks_refresh_min_s must be at least 0 (got -1)");
    cr_assert_eq(ss_config_set(s, "preflight_max_peak_dbfs", "0.5", err, sizeof err), -1);
    cr_assert_str_eq(err, "preflight_max_peak_dbfs must be at most 0 (got 0.5)");
    cr_assert_eq(ss_config_set(s, "batch_window_ms", "1000.5", err, sizeof err), -1);
    cr_assert_eq(s->voice_cache_mb, 256, "a refused value leaves the field as it was");

    /* The bounds themselves are valid. */
    cr_assert_eq(ss_config_set(s, "gpu_lanes", "1", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_config_set(s, "gpu_lanes", "16", err, sizeof err), 0, "%s", err);
    cr_assert_eq(s->gpu_lanes, 16);
    cr_assert_eq(ss_config_set(s, "batch_window_ms", "0", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_config_set(s, "metrics_port", "0", err, sizeof err), 0, "%s", err);
    ss_config_free(s);
}

Test(config, ranges_as_text)
{
    char text[64];
    const struct {
        const char *key, *range;
    } cases[] = {
        {"gpu_lanes", "1..16"},
        {"batch_window_ms", "0..1000"},
        {"jwks_refresh_min_s", ">= 0"},
        {"preflight_max_peak_dbfs", "<= 0"},
        {"preflight_min_snr_db", ""},
        {"redis_host", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ss_config_key *k = key_named(cases[i].key);
        cr_assert_not_null(k, "%s", cases[i].key);
        cr_assert_eq(ss_config_format_range(k, text, sizeof text), 0);
        cr_assert_str_eq(text, cases[i].range, "%s", cases[i].key);
    }
}

/* Every row's offset and type: setting a key changes its own field, as that
 * type, and no other byte of the struct; the rows together cover the whole
 * struct without overlapping (so every field has a row). */
Test(config, each_key_binds_its_own_field)
{
    clear_environment();
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    size_t n;
    const ss_config_key *keys = ss_config_keys(&n);
    unsigned char covered[sizeof(ss_settings)] = {0};
    for (size_t i = 0; i < n; i++) {
        const ss_config_key *k = &keys[i];
        size_t size = field_size(k->type);
        cr_assert(k->offset + size <= sizeof(ss_settings), "%s lies outside ss_settings", k->key);
        for (size_t b = k->offset; b < k->offset + size; b++) {
            cr_assert_eq(covered[b], 0, "%s overlaps another key's field", k->key);
            covered[b] = 1;
        }
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(keys[j].key, k->key, "%s is in the table twice", k->key);

        char value[128], back[4096];
        other_value(k, value, sizeof value);
        ss_settings before = *s;
        cr_assert_eq(ss_config_set(s, k->key, value, err, sizeof err), 0, "%s", err);
        cr_assert_eq(ss_config_format_value(s, k, back, sizeof back), 0);
        cr_assert_str_eq(back, value, "%s reads back", k->key);
        const unsigned char *was = (const unsigned char *)&before, *now = (const unsigned char *)s;
        for (size_t b = 0; b < sizeof(ss_settings); b++)
            if (b < k->offset || b >= k->offset + size)
                cr_assert_eq(was[b], now[b], "setting %s changed byte %zu of another field", k->key,
                             b);
    }
    for (size_t b = 0; b < sizeof(ss_settings); b++)
        cr_assert_eq(covered[b], 1, "byte %zu of ss_settings belongs to no key", b);
    ss_config_free(s);
}

/* Every key is read from SCAISPEAK_<KEY IN UPPER CASE>. */
Test(config, each_key_reads_its_environment_variable)
{
    clear_environment();
    size_t n;
    const ss_config_key *keys = ss_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char name[128], value[128];
        env_name(keys[i].key, name, sizeof name);
        other_value(&keys[i], value, sizeof value);
        setenv(name, value, 1);
    }
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    for (size_t i = 0; i < n; i++) {
        char value[128], back[4096];
        other_value(&keys[i], value, sizeof value);
        cr_assert_eq(ss_config_format_value(s, &keys[i], back, sizeof back), 0);
        cr_assert_str_eq(back, value, "%s from the environment", keys[i].key);
    }
    ss_config_free(s);
}

Test(config, print_shows_values_in_force_and_the_markdown_table)
{
    clear_environment();
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(ss_config_set(s, "slots", "7", err, sizeof err), 0, "%s", err);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ss_config_print(out, s, SS_SCOPE_NODE, false);
    fclose(out);
    cr_assert(strstr(text, "slots                    = 7 ") != NULL, "%s", text);
    cr_assert(strstr(text, "http_port") == NULL, "a gateway key in the node's listing:\n%s", text);
    free(text);

    out = open_memstream(&text, &len);
    ss_config_print(out, NULL, SS_SCOPE_ALL, true);
    fclose(out);
    cr_assert(strncmp(text, "| key | environment | used by | type | default | range | meaning |\n",
                      66) == 0,
              "%s", text);
    cr_assert(strstr(text, "| `gpu_lanes` | `SCAISPEAK_GPU_LANES` | node | int | `2` | 1..16 | ") !=
                  NULL,
              "%s", text);
    free(text);
    ss_config_free(s);
}
