/* The settings of a process, typed: one field per configuration key.
 *
 * common/config.c owns the table that binds every key to its field here
 * (name, type, default, valid range, meaning) and fills one ss_settings at
 * start from the defaults, the configuration file, the SCAISPEAK_<KEY>
 * environment and command-line overrides. After that the struct is only
 * read: code takes `const ss_settings *` and reads fields, never a key by
 * its name. The field name is the key (config.c builds the table's key
 * strings from the field names, so the two cannot drift apart).
 *
 * Types: string keys are `char *` (owned by the struct, never NULL, "" when
 * empty), int keys `long`, number keys `double`, boolean keys `bool`. Adding
 * a setting: add its field here and its row in config.c's table; the unit
 * test walks the table, so a row without a field does not compile and a
 * field with the wrong type fails to compile too. */
#ifndef SS_COMMON_SETTINGS_H
#define SS_COMMON_SETTINGS_H

#include <stdbool.h>

typedef struct ss_settings {
    /* shared */
    char *log_level;
    char *redis_host;
    long redis_port;
    char *redis_password;
    char *redis_sentinels;   /* "host:port,…": find the primary through Sentinel */
    char *redis_master_name;
    char *redis_sentinel_password;
    long redis_wait_replicas; /* durable writes WAIT for this many replicas (Sentinel) */
    long redis_wait_timeout_ms;
    long dev_mode; /* 0 or 1 (a lone bool would leave padding no key owns) */
    char *node_auth_key;
    char *node_secret;
    char *node_call_token;
    char *node_resolver; /* "ip[:port]": the one name server for node names ("": resolv.conf's) */
    long heartbeat_interval_ms;
    /* gateway */
    long http_port;
    char *http_bind;
    long grpc_port;
    char *grpc_bind;
    long body_limit_bytes;
    long voice_upload_limit_bytes; /* POST /voices (multipart uploads) */
    long http_idle_timeout_s;
    long http_accept_backoff_ms;
    long http_header_timeout_s;
    long http_body_timeout_s;
    long http_max_connections;
    char *operator_token;
    char *jwks_path;
    char *jwks_url;
    long jwks_refresh_min_s;
    char *jwt_issuer;
    char *jwt_audience;
    long jwt_leeway_s;
    long auth_failures_per_minute;
    char *jwt_dev_key_path;
    char *gateway_url;
    long offline_retention_s;
    char *relay_url;
    char *relay_key;
    long relay_timeout_ms;
    char *relay_voice;
    char *relay_model;
    char *openai_voices;
    long synthesis_timeout_ms;
    long busy_queue_max;
    long busy_wait_ms;
    long audio_threads;
    long stream_buffer_bytes;
    long ws_max_message_bytes;
    long ws_max_buffered_text_bytes;
    long ws_idle_timeout_s;
    long ws_sessions_per_key;
    long ws_audio_lead_ms;
    long webrtc_ice_min_port;
    long webrtc_ice_max_port;
    char *webrtc_ice_address;
    long relay_probe_interval_ms;
    long drain_timeout_s;
    char *access_log;
    long access_log_slow_ms;
    /* node */
    long node_port;
    char *node_bind;
    char *node_id;
    char *node_address;
    char *gateways;
    char *node_labels;
    long metrics_port;
    char *metrics_bind;
    long slots;
    long queue_depth;
    char *voice_path;
    char *cg_voices;
    char *voice_cache_dir;
    char *kernels;
    double batch_window_ms;
    long gpu_lanes;
    long gpu_memory_mb;
    long chunk_ms;
    long first_chunk_ms;
    long voice_cache_mb;
    /* gateway: reference preflight */
    double preflight_min_duration_s;
    double preflight_max_duration_s;
    double preflight_min_voice_activity_ratio;
    double preflight_max_peak_dbfs;
    double preflight_min_snr_db;
    /* gateway: object store (common/object_store.h) */
    char *object_store_backend;
    char *object_store_dir;
    long erasure_evict_timeout_ms;
    long erasure_reconcile_interval_ms;
    long erasure_retry_max_ms;
    /* asynchronous jobs */
    long job_retention_s;
    long job_max_attempts;
    long job_lease_ms;
    long job_heartbeat_ms;
    long worker_jobs;
    long job_part_chars;
    long worker_drain_ms;
    long job_sweep_interval_ms;
    /* gateway and worker: save_to ScaiDrive (gateway/scaidrive_client.h) */
    char *scaidrive_url;
    char *scaikey_token_url;
    char *scaidrive_client_id;
    char *scaidrive_client_secret;
    long scaikey_timeout_ms;
    long scaidrive_timeout_ms;
} ss_settings;

#endif
