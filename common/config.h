/* Configuration: one table of every key, read from an optional file and then
 * overridden by the environment.
 *
 * File format: `key = value` lines, `#` starts a comment. The file is named by
 * `--config FILE` or SCAISPEAK_CONFIG. Every key can be overridden by the
 * environment variable SCAISPEAK_<KEY IN UPPER CASE> (http_port ->
 * SCAISPEAK_HTTP_PORT). Unknown keys in a file and values of the wrong type are
 * errors at start, never silently ignored. `--print-config` on any binary
 * prints the table with defaults and the values in force. */
#ifndef SS_COMMON_CONFIG_H
#define SS_COMMON_CONFIG_H

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

typedef struct {
    const char *key;
    ss_cfg_type type;
    const char *default_value;
    int scope;
    const char *doc;
} ss_config_key;

typedef struct ss_config ss_config;

/* Loads defaults, then `path` (may be NULL), then the environment. On error
 * returns NULL and writes the reason into err. */
ss_config *ss_config_load(const char *path, char *err, size_t errlen);
void ss_config_free(ss_config *cfg);

/* Typed getters. The key must exist in the table (a programming error
 * otherwise: the process aborts with a message). */
const char *ss_config_str(const ss_config *cfg, const char *key);
long ss_config_int(const ss_config *cfg, const char *key);
double ss_config_float(const ss_config *cfg, const char *key);
bool ss_config_bool(const ss_config *cfg, const char *key);

/* Sets a value (used by command-line flags); validates its type. 0 or -1. */
int ss_config_set(ss_config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* The key table, and a printer for it (markdown when `markdown`). */
const ss_config_key *ss_config_keys(size_t *count);
void ss_config_print(FILE *out, const ss_config *cfg, int scope, bool markdown);

/* Common start-up: finds --config FILE / --print-config in argv, loads the
 * configuration, sets up logging for `component`. Returns NULL after printing
 * the reason when the process should exit (exit code in *exit_code). */
ss_config *ss_config_from_args(int argc, char **argv, const char *component, int scope,
                               int *exit_code);

#endif
