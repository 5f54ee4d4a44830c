/* Configuration: one table of every key, bound to the fields of ss_settings
 * (common/settings.h) and filled once at start.
 *
 * Order: the table's defaults, then the file named by `--config FILE` or
 * SCAISPEAK_CONFIG (`key = value` lines, `#` starts a comment), then the
 * environment variable SCAISPEAK_<KEY IN UPPER CASE> of every key
 * (http_port -> SCAISPEAK_HTTP_PORT), then command-line overrides through
 * ss_config_set(). Unknown keys, values of the wrong type and numbers
 * outside a key's range are errors at start, never silently ignored or
 * clamped. `--print-config` on any binary prints the table with defaults and
 * the values in force. After start-up the settings are only read, as struct
 * fields: no code looks a key up by its name. */
#ifndef SS_COMMON_CONFIG_H
#define SS_COMMON_CONFIG_H

#include "common/settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
    SS_SCOPE_GATEWAY = 1,
    SS_SCOPE_NODE = 2,
    SS_SCOPE_WORKER = 4,
    SS_SCOPE_CLI = 8,
    SS_SCOPE_ALL = 15,
};

typedef enum { SS_CFG_STRING, SS_CFG_INT, SS_CFG_FLOAT, SS_CFG_BOOL } ss_cfg_type;

/* One row of the table: the key, where its value lives in ss_settings and
 * as what type, its default (as text, parsed like any other value), its valid
 * range (int and number keys; -INFINITY/INFINITY where a side is open), the
 * processes that use it and what it means. */
typedef struct {
    const char *key;
    ss_cfg_type type;
    size_t offset;
    const char *default_value;
    double min, max;
    int scope;
    const char *doc;
} ss_config_key;

/* Loads defaults, then `path` (may be NULL or ""), then the environment. On
 * error returns NULL and writes the reason, naming the key, into err. */
ss_settings *ss_config_load(const char *path, char *err, size_t errlen);
void ss_config_free(ss_settings *settings);

/* Parses `value` as `key`'s type, checks its range and stores it in the
 * key's field (used by the loaders and by command-line flags). 0 or -1 with
 * the reason in err. */
int ss_config_set(ss_settings *settings, const char *key, const char *value, char *err,
                  size_t errlen);

/* The key table; a key's value in force as text (what --print-config shows);
 * a key's range as text ("1..16", ">= 0", "" when open). Both writers
 * truncate to cap and return 0, or -1 when out would be truncated. */
const ss_config_key *ss_config_keys(size_t *count);
int ss_config_format_value(const ss_settings *settings, const ss_config_key *key, char *out,
                           size_t cap);
int ss_config_format_range(const ss_config_key *key, char *out, size_t cap);

/* Prints the keys of `scope` (markdown table when `markdown`, else `key =
 * value` lines with the values in force of `settings`, or the defaults when
 * it is NULL). */
void ss_config_print(FILE *out, const ss_settings *settings, int scope, bool markdown);

/* Common start-up: finds --config FILE / --print-config in argv, loads the
 * configuration, sets up logging for `component`. Returns NULL after printing
 * the reason when the process should exit (exit code in *exit_code). */
ss_settings *ss_config_from_args(int argc, char **argv, const char *component, int scope,
                                 int *exit_code);

#endif
