/* Configuration (see config.h).
 *
 * The table below is the single reference for every setting of every process;
 * README's configuration section is generated from it (`--print-config
 * --markdown`). A value is kept as its string; getters parse on demand, and
 * parsing was validated at load time, so getters cannot fail. */
#include "common/config.h"

#include "common/log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define G SS_SCOPE_GATEWAY
#define N SS_SCOPE_NODE
#define W SS_SCOPE_WORKER
#define C SS_SCOPE_CLI

static const ss_config_key KEYS[] = {
    /* shared */
    {"log_level", SS_CFG_STRING, "info", SS_SCOPE_ALL, "debug, info, warn or error"},
    {"redis_host", SS_CFG_STRING, "127.0.0.1", G | W | C, "Redis host"},
    {"redis_port", SS_CFG_INT, "6390", G | W | C, "Redis port"},
    {"redis_password", SS_CFG_STRING, "", G | W | C, "Redis AUTH password (empty: none)"},
    {"node_token", SS_CFG_STRING, "dev-node-token", G | N,
     "shared service token nodes present to the gateway's HeartbeatService"},
    {"heartbeat_interval_ms", SS_CFG_INT, "2000", G | N,
     "node heartbeat period; the gateway keeps a record for 3 intervals"},
    /* gateway */
    {"http_port", SS_CFG_INT, "8080", G, "HTTP/WebSocket listen port"},
    {"http_bind", SS_CFG_STRING, "0.0.0.0", G, "HTTP listen address"},
    {"grpc_port", SS_CFG_INT, "50051", G, "HeartbeatService gRPC listen port"},
    {"grpc_bind", SS_CFG_STRING, "0.0.0.0", G, "HeartbeatService listen address"},
    {"body_limit_bytes", SS_CFG_INT, "2097152", G,
     "largest request body accepted (413 PAYLOAD_TOO_LARGE beyond)"},
    {"http_idle_timeout_s", SS_CFG_INT, "30", G,
     "an HTTP connection idle or stalled mid-request this long is closed"},
    {"operator_token", SS_CFG_STRING, "", G | C,
     "bearer token for /v1/infra/nodes until ScaiKey auth lands (empty: a random one is "
     "generated and logged at start)"},
    {"jwks_path", SS_CFG_STRING, "", G,
     "ScaiKey JWKS file (empty: use jwks_url; both empty: JWTs are refused)"},
    {"jwks_url", SS_CFG_STRING, "", G, "ScaiKey JWKS URL, fetched at start and on an unknown kid"},
    {"jwks_refresh_min_s", SS_CFG_INT, "30", G,
     "at most one JWKS refresh per this many seconds (unknown kids cannot force more)"},
    {"jwt_issuer", SS_CFG_STRING, "scaikey-dev", G | C, "the iss every accepted JWT must carry"},
    {"jwt_audience", SS_CFG_STRING, "", G | C, "the aud a JWT must include (empty: not checked)"},
    {"jwt_leeway_s", SS_CFG_INT, "60", G, "clock skew allowed on exp and nbf"},
    {"jwt_dev_key_path", SS_CFG_STRING, "var/dev_jwt_key.pem", C,
     "private key of the development issuer (`scaispeak token`)"},
    {"gateway_url", SS_CFG_STRING, "http://127.0.0.1:8080", C,
     "the gateway the CLI talks to"},
    {"offline_retention_s", SS_CFG_INT, "3600", G,
     "how long an offline node stays listed in /v1/infra/nodes"},
    {"relay_url", SS_CFG_STRING, "", G, "backend B relay base URL (empty: backend B off)"},
    {"relay_key", SS_CFG_STRING, "", G, "backend B relay bearer key"},
    {"relay_timeout_ms", SS_CFG_INT, "30000", G, "backend B per-call timeout"},
    {"relay_voice", SS_CFG_STRING, "alloy", G, "the relay voice backend B asks for"},
    {"relay_model", SS_CFG_STRING, "tts-1", G, "the relay model backend B asks for"},
    {"synthesis_timeout_ms", SS_CFG_INT, "60000", G,
     "deadline of one synchronous synthesis on a node (504 SCAISPEAK_BACKEND_TIMEOUT beyond)"},
    {"relay_probe_interval_ms", SS_CFG_INT, "10000", G,
     "backend B readiness probe period (GET {relay_url}/v1/models; first at start)"},
    {"drain_timeout_s", SS_CFG_INT, "30", G | N,
     "on SIGTERM, how long in-flight work may take before exit"},
    /* node */
    {"node_port", SS_CFG_INT, "50061", N, "TtsNode gRPC listen port"},
    {"node_bind", SS_CFG_STRING, "0.0.0.0", N, "TtsNode listen address"},
    {"node_id", SS_CFG_STRING, "", N, "node id (empty: <hostname>-<node_port>)"},
    {"node_address", SS_CFG_STRING, "", N,
     "host:port the gateway dials back (empty: 127.0.0.1:<node_port>)"},
    {"gateways", SS_CFG_STRING, "127.0.0.1:50051", N,
     "comma-separated gateway HeartbeatService addresses"},
    {"node_labels", SS_CFG_STRING, "", N, "k=v,k=v labels reported in heartbeats"},
    {"metrics_port", SS_CFG_INT, "9161", N, "node /metrics HTTP port (0: off)"},
    {"slots", SS_CFG_INT, "2", N, "concurrent synthesis worker slots"},
    {"queue_depth", SS_CFG_INT, "4", N,
     "calls allowed to wait for a slot; beyond it RESOURCE_EXHAUSTED"},
    {"voice_path", SS_CFG_STRING,
     "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice", N | C,
     "the .htsvoice acoustic model loaded at start (empty: no engine)"},
    {"kernels", SS_CFG_STRING, "auto", N | C, "auto (CUDA when a device is present), cuda or cpu"},
    {"batch_window_ms", SS_CFG_FLOAT, "2", N,
     "CUDA kernels: how long the batch scheduler waits after the first queued kernel job for "
     "concurrent calls' jobs to launch with it (ms, >= 0, may be fractional; 0 = no wait). "
     "Not used on the CPU kernels (the worker slots call them directly)"},
    {"gpu_lanes", SS_CFG_INT, "2", N,
     "CUDA kernels: batch dispatchers, each with its own CUDA stream, device memory pool and "
     "pinned host buffers, so one batch computes while the next gathers (1..16)"},
    {"gpu_memory_mb", SS_CFG_INT, "4096", N,
     "CUDA kernels: bound on the device memory the node's kernel pools hold, shared equally by "
     "the lanes (>= 16 per lane, <= the device's memory); a batch larger than a lane's share runs "
     "in parts, a single phrase larger than it fails"},
    {"chunk_ms", SS_CFG_INT, "200", N, "default audio per streamed chunk"},
    {"voice_cache_mb", SS_CFG_INT, "256", N,
     "memory bound of the node's voice cache (conditioned voices, about 1.3 MB each); least "
     "recently used voices are evicted beyond it; 0 = unbounded"},
    {"preflight_min_duration_s", SS_CFG_FLOAT, "5", G, "reference clips shorter than this fail preflight"},
    {"preflight_max_duration_s", SS_CFG_FLOAT, "25", G, "reference clips longer than this fail preflight"},
    {"preflight_min_voice_activity_ratio", SS_CFG_FLOAT, "0.5", G,
     "share of a reference clip that must be speech"},
    {"preflight_max_peak_dbfs", SS_CFG_FLOAT, "-0.5", G, "reference clips peaking above this fail (clipping)"},
    {"preflight_min_snr_db", SS_CFG_FLOAT, "15", G, "estimated SNR a reference clip needs"},
};

#undef G
#undef N
#undef W
#undef C

#define NKEYS (sizeof KEYS / sizeof KEYS[0])

struct ss_config {
    char *values[NKEYS];
};

const ss_config_key *ss_config_keys(size_t *count)
{
    *count = NKEYS;
    return KEYS;
}

static int key_index(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(KEYS[i].key, key) == 0)
            return (int)i;
    return -1;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
        *out = false;
        return true;
    }
    return false;
}

static bool value_valid(ss_cfg_type type, const char *v)
{
    char *end;
    switch (type) {
    case SS_CFG_STRING:
        return true;
    case SS_CFG_INT:
        errno = 0;
        (void)strtol(v, &end, 10);
        return *v && !*end && errno == 0;
    case SS_CFG_FLOAT: {
        errno = 0;
        double d = strtod(v, &end);
        return *v && !*end && errno == 0 && isfinite(d);
    }
    case SS_CFG_BOOL: {
        bool b;
        return parse_bool(v, &b);
    }
    }
    return false;
}

int ss_config_set(ss_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    int i = key_index(key);
    if (i < 0) {
        snprintf(err, errlen, "unknown configuration key '%s'", key);
        return -1;
    }
    if (!value_valid(KEYS[i].type, value)) {
        static const char *tn[] = {"string", "integer", "number", "boolean"};
        snprintf(err, errlen, "configuration key '%s': '%s' is not a valid %s", key, value,
                 tn[KEYS[i].type]);
        return -1;
    }
    char *copy = strdup(value);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(cfg->values[i]);
    cfg->values[i] = copy;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(ss_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open configuration file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char inner[512];
        if (ss_config_set(cfg, trim(s), trim(eq + 1), inner, sizeof inner) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, inner);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int load_env(ss_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        char name[128] = "SCAISPEAK_";
        size_t n = strlen(name);
        for (const char *k = KEYS[i].key; *k && n + 1 < sizeof name; k++)
            name[n++] = (char)toupper((unsigned char)*k);
        name[n] = '\0';
        const char *v = getenv(name);
        if (v && ss_config_set(cfg, KEYS[i].key, v, err, errlen) != 0)
            return -1;
    }
    return 0;
}

ss_config *ss_config_load(const char *path, char *err, size_t errlen)
{
    ss_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < NKEYS; i++) {
        cfg->values[i] = strdup(KEYS[i].default_value);
        if (!cfg->values[i]) {
            snprintf(err, errlen, "out of memory");
            ss_config_free(cfg);
            return NULL;
        }
    }
    if ((path && *path && load_file(cfg, path, err, errlen) != 0) || load_env(cfg, err, errlen) != 0) {
        ss_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void ss_config_free(ss_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        free(cfg->values[i]);
    free(cfg);
}

static const char *value_of(const ss_config *cfg, const char *key, ss_cfg_type want)
{
    int i = key_index(key);
    if (i < 0 || KEYS[i].type != want) {
        ss_error(NULL, "configuration key '%s' read as the wrong type or unknown (bug)", key);
        abort();
    }
    return cfg->values[i];
}

const char *ss_config_str(const ss_config *cfg, const char *key)
{
    return value_of(cfg, key, SS_CFG_STRING);
}

long ss_config_int(const ss_config *cfg, const char *key)
{
    return strtol(value_of(cfg, key, SS_CFG_INT), NULL, 10);
}

double ss_config_float(const ss_config *cfg, const char *key)
{
    return strtod(value_of(cfg, key, SS_CFG_FLOAT), NULL);
}

bool ss_config_bool(const ss_config *cfg, const char *key)
{
    bool b = false;
    parse_bool(value_of(cfg, key, SS_CFG_BOOL), &b);
    return b;
}

void ss_config_print(FILE *out, const ss_config *cfg, int scope, bool markdown)
{
    static const char *tn[] = {"string", "int", "number", "bool"};
    if (markdown)
        fprintf(out, "| key | environment | used by | type | default | meaning |\n"
                     "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < NKEYS; i++) {
        if (!(KEYS[i].scope & scope))
            continue;
        char env[128] = "SCAISPEAK_";
        size_t n = strlen(env);
        for (const char *k = KEYS[i].key; *k && n + 1 < sizeof env; k++)
            env[n++] = (char)toupper((unsigned char)*k);
        env[n] = '\0';
        if (markdown) {
            char users[64] = "";
            static const char *who[] = {"gateway", "node", "worker", "cli"};
            for (int b = 0; b < 4; b++)
                if (KEYS[i].scope & (1 << b))
                    snprintf(users + strlen(users), sizeof users - strlen(users), "%s%s",
                             *users ? ", " : "", who[b]);
            fprintf(out, "| `%s` | `%s` | %s | %s | `%s` | %s |\n", KEYS[i].key, env, users,
                    tn[KEYS[i].type], KEYS[i].default_value, KEYS[i].doc);
        }
        else
            fprintf(out, "%-24s = %-40s # %s (default '%s')\n", KEYS[i].key,
                    cfg ? cfg->values[i] : KEYS[i].default_value, KEYS[i].doc,
                    KEYS[i].default_value);
    }
}

ss_config *ss_config_from_args(int argc, char **argv, const char *component, int scope,
                               int *exit_code)
{
    const char *path = getenv("SCAISPEAK_CONFIG");
    bool print = false, markdown = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--print-config") == 0)
            print = true;
        else if (strcmp(argv[i], "--markdown") == 0)
            markdown = true;
    }
    char err[512];
    ss_config *cfg = ss_config_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s: %s\n", component, err);
        *exit_code = 2;
        return NULL;
    }
    int lvl = ss_log_level_parse(ss_config_str(cfg, "log_level"));
    if (lvl < 0) {
        fprintf(stderr, "%s: log_level must be debug, info, warn or error\n", component);
        ss_config_free(cfg);
        *exit_code = 2;
        return NULL;
    }
    ss_log_init(component, (ss_log_level)lvl);
    if (print) {
        ss_config_print(stdout, cfg, scope, markdown);
        ss_config_free(cfg);
        *exit_code = 0;
        return NULL;
    }
    return cfg;
}
