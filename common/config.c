/* Configuration (see config.h): the table of every setting and the one
 * pass that fills an ss_settings from it.
 *
 * The table below is the single reference for every setting of every
 * process; README's configuration section is generated from it (`scaispeak
 * config --markdown`). Each row binds a key to its field of ss_settings with
 * offsetof and the field's type, checked at compile time (FIELD below: a
 * row whose type does not match its field does not compile), so the rest of
 * this file can store and format any key through its row alone. Values are
 * parsed and range-checked once, when set; after start-up nothing here runs
 * again: the processes read the struct's fields.
 *
 * This file owns no global mutable state: the table is constant and every
 * ss_settings belongs to its caller. */
#include "common/config.h"

#include "common/access_log.h"
#include "common/log.h"
#include "common/object_store.h"

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
#define OPEN_MIN (-INFINITY)
#define OPEN_MAX INFINITY

/* offsetof(ss_settings, name), refused at compile time (negative array size)
 * unless the field has type `ctype`. */
#define FIELD(name, ctype)                                                                         \
    (offsetof(ss_settings, name) +                                                                 \
     0 * sizeof(char[_Generic(((ss_settings *)0)->name, ctype: 1, default: -1)]))

/* One row per type; the key is the field's name. */
#define STR(name, def, scope, doc)                                                                 \
    {#name, SS_CFG_STRING, FIELD(name, char *), def, OPEN_MIN, OPEN_MAX, scope, doc}
#define INT(name, def, min, max, scope, doc)                                                       \
    {#name, SS_CFG_INT, FIELD(name, long), def, min, max, scope, doc}
#define NUM(name, def, min, max, scope, doc)                                                       \
    {#name, SS_CFG_FLOAT, FIELD(name, double), def, min, max, scope, doc}

static const ss_config_key KEYS[] = {
    /* shared */
    STR(log_level, "info", SS_SCOPE_ALL, "debug, info, warn or error"),
    STR(redis_host, "127.0.0.1", G | W | C, "Redis host"),
    INT(redis_port, "6390", 1, 65535, G | W | C, "Redis port"),
    STR(redis_password, "", G | W | C, "Redis AUTH password (empty: none)"),
    STR(redis_sentinels, "", G | W | C,
        "Redis Sentinels as host:port,host:port,...; when set the primary is asked of them "
        "(redis_host/redis_port unused) and a failover is followed without restart"),
    STR(redis_master_name, "scaispeak", G | W | C, "the Sentinel master name of the primary"),
    STR(redis_sentinel_password, "", G | W | C, "AUTH password of the sentinels (empty: none)"),
    INT(redis_wait_replicas, "1", 0, 16, G | W | C,
        "with Sentinel: writes that must survive a failover (API keys, voices, jobs, policies, "
        "erasure rows) wait (WAIT) until this many replicas hold them, else they fail (503); "
        "0: do not wait"),
    INT(redis_wait_timeout_ms, "1000", 1, 60000, G | W | C,
        "how long a durable write waits for redis_wait_replicas replicas"),
    INT(dev_mode, "0", 0, 1, G | N,
        "1: development mode: empty node credentials fall back to the shipped development "
        "defaults (never in production; docs/SECURITY.md)"),
    STR(node_call_token, "", G | N | W,
        "shared secret the gateway presents on every TtsNode call; the node refuses calls "
        "without it (required unless dev_mode)"),
    STR(node_resolver, "", G | W,
        "the one name server (ip[:port]) asked for node addresses that are DNS names, instead "
        "of resolv.conf's (/etc/hosts still first; empty: resolv.conf's)"),
    INT(heartbeat_interval_ms, "2000", 100, 600000, G | N,
        "node heartbeat period; the gateway keeps a record for 3 intervals"),
    /* gateway */
    STR(node_auth_key, "", G,
        "key every node's heartbeat secret is derived from: HMAC-SHA256(node_auth_key, node_id) "
        "in hex (required unless dev_mode)"),
    INT(http_port, "8080", 1, 65535, G, "HTTP/WebSocket listen port"),
    STR(http_bind, "0.0.0.0", G, "HTTP listen address"),
    INT(grpc_port, "50051", 1, 65535, G, "HeartbeatService gRPC listen port"),
    STR(grpc_bind, "0.0.0.0", G, "HeartbeatService listen address"),
    INT(body_limit_bytes, "2097152", 1, 1073741824, G,
        "largest request body accepted (413 PAYLOAD_TOO_LARGE beyond)"),
    INT(voice_upload_limit_bytes, "33554432", 1, 1073741824, G,
        "largest POST /voices body (a reference and a consent clip, multipart) accepted instead "
        "of body_limit_bytes (413 PAYLOAD_TOO_LARGE beyond)"),
    INT(http_idle_timeout_s, "30", 1, 86400, G,
        "an HTTP connection idle or stalled mid-request this long is closed"),
    INT(http_header_timeout_s, "10", 1, 3600, G,
        "a request head (first byte to blank line) must arrive within this long, however the "
        "bytes trickle; else 408 and the connection is closed"),
    INT(http_body_timeout_s, "60", 1, 3600, G,
        "a request body must arrive within this long after its head; else 408 and the "
        "connection is closed"),
    INT(http_max_connections, "4096", 1, 1000000, G,
        "open HTTP connections at most (keep it below the fd limit); beyond it new connections "
        "get 503 with Retry-After and are closed"),
    INT(http_accept_backoff_ms, "1000", 10, 60000, G,
        "after an accept() error (e.g. at the fd limit) the HTTP listener pauses this long; one "
        "log line per pause"),
    STR(operator_token, "", G | C,
        "bearer token for /v1/infra/nodes until ScaiKey auth lands (empty: a random one is "
        "generated and logged at start)"),
    STR(jwks_path, "", G,
        "ScaiKey JWKS file (empty: use jwks_url; both empty: JWTs are refused)"),
    STR(jwks_url, "", G, "ScaiKey JWKS URL, fetched at start and on an unknown kid"),
    INT(jwks_refresh_min_s, "30", 0, OPEN_MAX, G,
        "at most one JWKS refresh per this many seconds (unknown kids cannot force more)"),
    STR(jwt_issuer, "scaikey-dev", G | C, "the iss every accepted JWT must carry"),
    STR(jwt_audience, "", G | C, "the aud a JWT must include (empty: not checked)"),
    INT(jwt_leeway_s, "60", 0, 86400, G, "clock skew allowed on exp and nbf"),
    INT(auth_failures_per_minute, "30", 0, 100000, G,
        "failed authentications (wrong or expired credentials) one source address may make per "
        "minute; beyond it 429 RATE_LIMITED with Retry-After until the minute ends (0: no limit)"),
    STR(jwt_dev_key_path, "var/dev_jwt_key.pem", C,
        "private key of the development issuer (`scaispeak token`)"),
    STR(gateway_url, "http://127.0.0.1:8080", C, "the gateway the CLI talks to"),
    INT(offline_retention_s, "3600", 0, OPEN_MAX, G,
        "how long an offline node stays listed in /v1/infra/nodes"),
    STR(relay_url, "", G | W, "backend B relay base URL (empty: backend B off)"),
    STR(relay_key, "", G | W, "backend B relay bearer key"),
    INT(relay_timeout_ms, "30000", 1, 86400000, G | W, "backend B per-call timeout"),
    STR(relay_voice, "alloy", G | W, "the relay voice backend B asks for"),
    STR(openai_voices, "ash=rms,ballad=awb,cedar=rms,echo=rms,fable=awb,onyx=rms,verse=rms", G,
        "OpenAI's built-in voice names on /v1/audio/speech (voice: \"onyx\") as voice ids of the "
        "library, comma-separated name=voice_id; a name not listed means the platform default "
        "voice (empty: every name does). The default gives OpenAI's male voices the male engine "
        "voices; set it empty when the nodes serve no clustergen voices"),
    STR(relay_model, "tts-1", G | W, "the relay model backend B asks for"),
    INT(synthesis_timeout_ms, "60000", 1, 86400000, G | W,
        "deadline of one synchronous synthesis on a node (504 SCAISPEAK_BACKEND_TIMEOUT beyond)"),
    INT(busy_queue_max, "64", 0, 100000, G,
        "requests that may wait for a busy node at once (beyond: 503 SCAISPEAK_BACKEND_BUSY)"),
    INT(busy_wait_ms, "2000", 0, 600000, G,
        "how long a request waits for a busy node before 503 SCAISPEAK_BACKEND_BUSY "
        "(never past synthesis_timeout_ms from its arrival)"),
    INT(audio_threads, "2", 1, 64, G | W,
        "threads that encode, decode and resample answers' audio (never the event loop)"),
    INT(stream_buffer_bytes, "262144", 4096, 67108864, G,
        "encoded audio held for one slow client before its node call is paused (back-pressure)"),
    INT(ws_max_message_bytes, "65536", 1024, 16777216, G,
        "largest WebSocket message a /stream/speak client may send (fragments reassembled within "
        "it); beyond it the session is closed 4400"),
    INT(ws_max_buffered_text_bytes, "20000", 64, 1048576, G,
        "text a /stream/speak session may hold unsynthesised (no sentence end yet, or waiting for "
        "earlier sentences); beyond it the session is closed 4400"),
    INT(ws_idle_timeout_s, "60", 1, 86400, G,
        "a /stream/speak session with no client message and nothing being synthesised for this "
        "long is closed 4408"),
    INT(ws_audio_lead_ms, "60", 20, 10000, G,
        "how far ahead of real time /stream/speak sends audio (an interrupt stops the audio within about this)"),
    INT(ws_sessions_per_key, "64", 1, 1000000, G,
        "open /stream/speak sessions one API key (or JWT user) may hold on this gateway; beyond "
        "it the new session is closed 4429"),
    INT(webrtc_ice_min_port, "0", 0, 65535, G,
        "lowest UDP port a WebRTC session's ICE agent may use (0 with webrtc_ice_max_port 0: any port)"),
    INT(webrtc_ice_max_port, "0", 0, 65535, G,
        "highest UDP port a WebRTC session's ICE agent may use (0: any port)"),
    STR(webrtc_ice_address, "", G,
        "the one local IP address WebRTC's ICE gathers candidates on (empty: every interface)"),
    INT(relay_probe_interval_ms, "10000", 100, 86400000, G | W,
        "backend B readiness probe period (GET {relay_url}/v1/models; first at start)"),
    INT(drain_timeout_s, "30", 0, 86400, G | N,
        "on SIGTERM, how long in-flight work may take before exit"),
    STR(access_log, "all", G,
        "which answers get an access-log line: all, errors (4xx, 5xx and slow ones) or off "
        "(5xx are always logged)"),
    INT(access_log_slow_ms, "1000", 0, 3600000, G,
        "with access_log=errors, answers slower than this are logged too (0: none)"),
    /* node */
    INT(node_port, "50061", 1, 65535, N, "TtsNode gRPC listen port"),
    STR(node_bind, "127.0.0.1", N,
        "TtsNode listen address (loopback unless configured: gateways on other hosts need "
        "0.0.0.0 or an interface address)"),
    STR(node_id, "", N, "node id (empty: <hostname>-<node_port>)"),
    STR(node_secret, "", N,
        "this node's heartbeat secret, HMAC-SHA256(node_auth_key, node_id) in hex (required "
        "unless dev_mode)"),
    STR(node_address, "", N, "host:port the gateway dials back (empty: 127.0.0.1:<node_port>)"),
    STR(gateways, "127.0.0.1:50051", N, "comma-separated gateway HeartbeatService addresses"),
    STR(node_labels, "", N, "k=v,k=v labels reported in heartbeats"),
    INT(metrics_port, "9161", 0, 65535, N, "node /metrics HTTP port (0: off)"),
    STR(metrics_bind, "127.0.0.1", N, "node /metrics listen address (loopback unless configured)"),
    INT(slots, "2", 1, 256, N, "concurrent synthesis worker slots"),
    INT(queue_depth, "4", 0, 4096, N,
        "calls allowed to wait for a slot; beyond it RESOURCE_EXHAUSTED"),
    STR(voice_path,
        "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice",
        N | C, "the .htsvoice acoustic model loaded at start (empty: no HTS engine)"),
    STR(cg_voices, "rms,awb,slt_cg", N,
        "flite clustergen voices the node serves next to the HTS voice, as engines of these ids "
        "(comma-separated: rms, awb, slt_cg; empty: none); each loads in about 5 ms (measured) "
        "from Debian's libflite_cmu_us_<name>.so.1"),
    STR(voice_cache_dir, "auto", C,
        "where the CLI keeps the prepared (binary, memory-mapped) form of each voice it loads, "
        "so a later run loads it without parsing, and each base voice's own speaker statistics "
        "(measured once for --voice-ref, --design and analyze): auto = $XDG_CACHE_HOME/scaispeak, else "
        "$HOME/.cache/scaispeak; off = no cache; else a directory"),
    STR(kernels, "auto", N | C, "auto (CUDA when a device is present), cuda or cpu"),
    NUM(batch_window_ms, "2", 0, 1000, N,
        "CUDA kernels: how long the batch scheduler waits after the first queued kernel job for "
        "concurrent calls' jobs to launch with it (ms, >= 0, may be fractional; 0 = no wait). "
        "Not used on the CPU kernels (the worker slots call them directly)"),
    /* 16 is SS_BATCH_MAX_LANES (kernels/batch_scheduler.h; main_node.c asserts it). */
    INT(gpu_lanes, "2", 1, 16, N,
        "CUDA kernels: batch dispatchers, each with its own CUDA stream, device memory pool and "
        "pinned host buffers, so one batch computes while the next gathers (1..16)"),
    /* Its bounds depend on gpu_lanes and the device: main_node.c checks them. */
    INT(gpu_memory_mb, "4096", OPEN_MIN, OPEN_MAX, N,
        "CUDA kernels: bound on the device memory the node's kernel pools hold, shared equally by "
        "the lanes (>= 16 per lane, <= the device's memory); a batch larger than a lane's share runs "
        "in parts, a single phrase larger than it fails"),
    INT(chunk_ms, "200", 10, 10000, N, "default audio per streamed chunk"),
    INT(first_chunk_ms, "50", 0, 1000, N,
        "audio of a call's first chunk, sent as soon as it is made while the rest of the first "
        "phrase is still being vocoded (the HTS engine on the CPU kernels; the same samples, about "
        "half the time to first audio for a one-phrase sentence, ~0.5 ms more node CPU per call "
        "on the build machine); only for calls that start while no call waits for a slot; 0 = the "
        "first phrase always goes out whole"),
    INT(voice_cache_mb, "256", 0, 16777216, N,
        "memory bound of the node's voice cache (conditioned voices, about 1.3 MB each); least "
        "recently used voices are evicted beyond it; 0 = unbounded"),
    NUM(preflight_min_duration_s, "5", 0, OPEN_MAX, G,
        "reference clips shorter than this fail preflight"),
    NUM(preflight_max_duration_s, "25", 0, OPEN_MAX, G,
        "reference clips longer than this fail preflight"),
    NUM(preflight_min_voice_activity_ratio, "0.5", 0, 1, G,
        "share of a reference clip that must be speech"),
    NUM(preflight_max_peak_dbfs, "-0.5", OPEN_MIN, 0, G,
        "reference clips peaking above this fail (clipping)"),
    NUM(preflight_min_snr_db, "15", OPEN_MIN, OPEN_MAX, G, "estimated SNR a reference clip needs"),
    STR(object_store_backend, "dir", G | W,
        "where voice references and consent clips are stored: dir (a directory tree, "
        "object_store_dir); other values stop the process at start"),
    STR(object_store_dir, "var/objects", G | W,
        "root of the dir object store, relative to the working directory unless absolute "
        "(created at start; one file system: temp files are renamed into place)"),
    INT(erasure_evict_timeout_ms, "2000", 100, 60000, G | W,
        "deadline of one EvictVoice call (the erasure fan-out of DELETE /voices/{id}, and the "
        "worker's reconciler)"),
    INT(erasure_reconcile_interval_ms, "2000", 100, 3600000, W,
        "how often the worker's erasure reconciler looks at the erasures not yet completed"),
    INT(erasure_retry_max_ms, "60000", 1000, 86400000, W,
        "longest wait between two EvictVoice attempts on a node that keeps failing (backoff "
        "doubles from 1 s)"),
    /* asynchronous jobs (gateway/job_store.h, worker/job_consumer.h) */
    INT(job_retention_s, "86400", 1, 31536000, G | W,
        "how long a finished job (its record and audio) is kept before the worker deletes it"),
    INT(job_max_attempts, "3", 1, 100, G | W,
        "attempts a job gets (a worker that dies or fails mid-job costs one); then it ends failed"),
    INT(job_lease_ms, "30000", 1000, 3600000, W,
        "a running job whose worker sent no heartbeat for this long is taken over by another "
        "worker (XAUTOCLAIM)"),
    INT(job_heartbeat_ms, "500", 50, 600000, W,
        "how often a worker renews the lease of each job it runs and checks for cancellation"),
    INT(worker_jobs, "2", 1, 256, W, "jobs one worker process runs at once"),
    INT(job_part_chars, "600", 50, 20000, W,
        "a job's text goes to the backend in parts of about this many characters, cut at "
        "sentence ends (progress moves part by part)"),
    INT(worker_drain_ms, "20000", 0, 3600000, W,
        "on SIGTERM a worker finishes its running jobs for up to this long, then hands the rest "
        "back to the queue"),
    INT(job_sweep_interval_ms, "60000", 100, 86400000, W,
        "how often a worker deletes jobs past their retention, with their audio"),
    /* save_to ScaiDrive (gateway/scaidrive_client.h; the worker uploads a job's audio) */
    STR(scaidrive_url, "", G | W,
        "ScaiDrive base URL for save_to and the /scaidrive proxy (empty: ScaiDrive not "
        "configured, 404 SCAISPEAK_SCAIDRIVE_NOT_AVAILABLE)"),
    STR(scaikey_token_url, "", G | W,
        "ScaiKey's OAuth token endpoint for the RFC 8693 token exchange (caller's JWT -> a "
        "ScaiDrive token); required when scaidrive_url is set"),
    STR(scaidrive_client_id, "scaispeak", G | W,
        "the gateway's OAuth client id at ScaiKey (HTTP Basic on the token exchange)"),
    STR(scaidrive_client_secret, "", G | W,
        "the gateway's OAuth client secret at ScaiKey (required when scaidrive_url is set, "
        "unless dev_mode)"),
    INT(scaikey_timeout_ms, "10000", 1, 600000, G | W, "deadline of one token exchange at ScaiKey"),
    INT(scaidrive_timeout_ms, "60000", 1, 3600000, G | W,
        "deadline of one ScaiDrive call (an upload, a listing)"),
};

#undef G
#undef N
#undef W
#undef C

#define NKEYS (sizeof KEYS / sizeof KEYS[0])

static const char *const TYPE_NAMES[] = {"string", "integer", "number", "boolean"};

const ss_config_key *ss_config_keys(size_t *count)
{
    *count = NKEYS;
    return KEYS;
}

static const ss_config_key *find_key(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(KEYS[i].key, key) == 0)
            return &KEYS[i];
    return NULL;
}

/* The key's field inside `settings`, as the row's type says. */
static void *field_of(ss_settings *settings, const ss_config_key *k)
{
    return (char *)settings + k->offset;
}

static const void *field_of_const(const ss_settings *settings, const ss_config_key *k)
{
    return (const char *)settings + k->offset;
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

static bool parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(v, &end, 10);
    return *v && !*end && errno == 0;
}

static bool parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(v, &end);
    return *v && !*end && errno == 0 && isfinite(*out);
}

/* Shortest text that reads back as the same double. */
static void format_double(double d, char *out, size_t cap)
{
    for (int precision = 6; precision <= 17; precision++) {
        snprintf(out, cap, "%.*g", precision, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

int ss_config_format_range(const ss_config_key *k, char *out, size_t cap)
{
    char lo[32], hi[32];
    format_double(k->min, lo, sizeof lo);
    format_double(k->max, hi, sizeof hi);
    bool has_min = isfinite(k->min), has_max = isfinite(k->max);
    int n;
    if (has_min && has_max)
        n = snprintf(out, cap, "%s..%s", lo, hi);
    else if (has_min)
        n = snprintf(out, cap, ">= %s", lo);
    else if (has_max)
        n = snprintf(out, cap, "<= %s", hi);
    else
        n = snprintf(out, cap, "%s", "");
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

/* "must be 1..16", "must be at least 0", "must be at most 0". */
static int check_range(const ss_config_key *k, double v, const char *text, char *err, size_t errlen)
{
    if (!(v < k->min) && !(v > k->max))
        return 0;
    char lo[32], hi[32];
    format_double(k->min, lo, sizeof lo);
    format_double(k->max, hi, sizeof hi);
    if (isfinite(k->min) && isfinite(k->max))
        snprintf(err, errlen, "%s must be %s..%s (got %s)", k->key, lo, hi, text);
    else if (isfinite(k->min))
        snprintf(err, errlen, "%s must be at least %s (got %s)", k->key, lo, text);
    else
        snprintf(err, errlen, "%s must be at most %s (got %s)", k->key, hi, text);
    return -1;
}

/* One setter per type: parse, check, store. */
static int set_string(ss_settings *s, const ss_config_key *k, const char *v, char *err, size_t errlen)
{
    char *copy = strdup(v);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char **field = field_of(s, k);
    free(*field);
    *field = copy;
    return 0;
}

static int set_int(ss_settings *s, const ss_config_key *k, const char *v, char *err, size_t errlen)
{
    long n;
    if (!parse_long(v, &n)) {
        snprintf(err, errlen, "configuration key '%s': '%s' is not a valid %s", k->key, v,
                 TYPE_NAMES[k->type]);
        return -1;
    }
    if (check_range(k, (double)n, v, err, errlen) != 0)
        return -1;
    *(long *)field_of(s, k) = n;
    return 0;
}

static int set_float(ss_settings *s, const ss_config_key *k, const char *v, char *err, size_t errlen)
{
    double d;
    if (!parse_double(v, &d)) {
        snprintf(err, errlen, "configuration key '%s': '%s' is not a valid %s", k->key, v,
                 TYPE_NAMES[k->type]);
        return -1;
    }
    if (check_range(k, d, v, err, errlen) != 0)
        return -1;
    *(double *)field_of(s, k) = d;
    return 0;
}

static int set_bool(ss_settings *s, const ss_config_key *k, const char *v, char *err, size_t errlen)
{
    bool b;
    if (!parse_bool(v, &b)) {
        snprintf(err, errlen, "configuration key '%s': '%s' is not a valid %s", k->key, v,
                 TYPE_NAMES[k->type]);
        return -1;
    }
    *(bool *)field_of(s, k) = b;
    return 0;
}

typedef int (*setter)(ss_settings *, const ss_config_key *, const char *, char *, size_t);
static const setter SETTERS[] = {
    [SS_CFG_STRING] = set_string,
    [SS_CFG_INT] = set_int,
    [SS_CFG_FLOAT] = set_float,
    [SS_CFG_BOOL] = set_bool,
};

int ss_config_set(ss_settings *settings, const char *key, const char *value, char *err,
                  size_t errlen)
{
    const ss_config_key *k = find_key(key);
    if (!k) {
        snprintf(err, errlen, "unknown configuration key '%s'", key);
        return -1;
    }
    return SETTERS[k->type](settings, k, value, err, errlen);
}

int ss_config_format_value(const ss_settings *settings, const ss_config_key *k, char *out,
                           size_t cap)
{
    const void *field = field_of_const(settings, k);
    int n = 0;
    switch (k->type) {
    case SS_CFG_STRING:
        n = snprintf(out, cap, "%s", *(char *const *)field);
        break;
    case SS_CFG_INT:
        n = snprintf(out, cap, "%ld", *(const long *)field);
        break;
    case SS_CFG_FLOAT: {
        char text[32];
        format_double(*(const double *)field, text, sizeof text);
        n = snprintf(out, cap, "%s", text);
        break;
    }
    case SS_CFG_BOOL:
        n = snprintf(out, cap, "%s", *(const bool *)field ? "true" : "false");
        break;
    }
    return n >= 0 && (size_t)n < cap ? 0 : -1;
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

static int load_file(ss_settings *s, const char *path, char *err, size_t errlen)
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
        char *text = trim(line);
        if (!*text)
            continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char inner[512];
        if (ss_config_set(s, trim(text), trim(eq + 1), inner, sizeof inner) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, inner);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* SCAISPEAK_<KEY IN UPPER CASE>. */
static void env_name(const char *key, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "SCAISPEAK_");
    for (const char *k = key; *k && n + 1 < cap; k++)
        out[n++] = (char)toupper((unsigned char)*k);
    out[n] = '\0';
}

static int load_env(ss_settings *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        char name[128];
        env_name(KEYS[i].key, name, sizeof name);
        const char *v = getenv(name);
        char inner[512];
        if (v && ss_config_set(s, KEYS[i].key, v, inner, sizeof inner) != 0) {
            snprintf(err, errlen, "%s: %s", name, inner);
            return -1;
        }
    }
    return 0;
}

static int load_defaults(ss_settings *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        char inner[512];
        if (ss_config_set(s, KEYS[i].key, KEYS[i].default_value, inner, sizeof inner) != 0) {
            snprintf(err, errlen, "default of %s: %s", KEYS[i].key, inner);
            return -1;
        }
    }
    return 0;
}

ss_settings *ss_config_load(const char *path, char *err, size_t errlen)
{
    ss_settings *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (load_defaults(s, err, errlen) != 0 || (path && *path && load_file(s, path, err, errlen) != 0) ||
        load_env(s, err, errlen) != 0) {
        ss_config_free(s);
        return NULL;
    }
    return s;
}

void ss_config_free(ss_settings *settings)
{
    if (!settings)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        if (KEYS[i].type == SS_CFG_STRING)
            free(*(char **)field_of(settings, &KEYS[i]));
    free(settings);
}

static void print_markdown_row(FILE *out, const ss_config_key *k)
{
    static const char *const who[] = {"gateway", "node", "worker", "cli"};
    static const char *const short_type[] = {"string", "int", "number", "bool"};
    char users[64] = "";
    for (int b = 0; b < 4; b++)
        if (k->scope & (1 << b))
            snprintf(users + strlen(users), sizeof users - strlen(users), "%s%s", *users ? ", " : "",
                     who[b]);
    char env[128], range[64];
    env_name(k->key, env, sizeof env);
    ss_config_format_range(k, range, sizeof range);
    fprintf(out, "| `%s` | `%s` | %s | %s | `%s` | %s | %s |\n", k->key, env, users,
            short_type[k->type], k->default_value, range, k->doc);
}

void ss_config_print(FILE *out, const ss_settings *settings, int scope, bool markdown)
{
    if (markdown)
        fprintf(out, "| key | environment | used by | type | default | range | meaning |\n"
                     "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < NKEYS; i++) {
        const ss_config_key *k = &KEYS[i];
        if (!(k->scope & scope))
            continue;
        if (markdown) {
            print_markdown_row(out, k);
            continue;
        }
        /* Strings print whole; numbers always fit the buffer. */
        char number[64];
        const char *value = k->default_value;
        if (settings && k->type == SS_CFG_STRING)
            value = *(char *const *)field_of_const(settings, k);
        else if (settings && ss_config_format_value(settings, k, number, sizeof number) == 0)
            value = number;
        fprintf(out, "%-24s = %-40s # %s (default '%s')\n", k->key, value, k->doc, k->default_value);
    }
}

ss_settings *ss_config_from_args(int argc, char **argv, const char *component, int scope,
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
    char err[1024];
    ss_settings *settings = ss_config_load(path, err, sizeof err);
    if (!settings) {
        fprintf(stderr, "%s cannot start: %s\n", component, err);
        *exit_code = 2;
        return NULL;
    }
    int lvl = ss_log_level_parse(settings->log_level);
    if (lvl < 0) {
        fprintf(stderr, "%s cannot start: log_level must be debug, info, warn or error\n", component);
        ss_config_free(settings);
        *exit_code = 2;
        return NULL;
    }
    ss_access_log_mode access_log;
    if (ss_access_log_parse(settings->access_log, &access_log) != 0) {
        fprintf(stderr, "%s cannot start: access_log must be all, errors or off (got '%s')\n",
                component, settings->access_log);
        ss_config_free(settings);
        *exit_code = 2;
        return NULL;
    }
    if (!ss_object_store_backend_known(settings->object_store_backend)) {
        fprintf(stderr, "%s cannot start: object_store_backend must be one of: %s (got '%s')\n",
                component, ss_object_store_backend_names(), settings->object_store_backend);
        ss_config_free(settings);
        *exit_code = 2;
        return NULL;
    }
    ss_log_init(component, (ss_log_level)lvl);
    if (print) {
        ss_config_print(stdout, settings, scope, markdown);
        ss_config_free(settings);
        *exit_code = 0;
        return NULL;
    }
    return settings;
}
