/* Bounds of a HeartbeatRequest, shared by the node that builds one and the
 * gateway that refuses one beyond them (gateway/heartbeat_check.c,
 * docs/SECURITY.md "Heartbeat limits"). A node keeps its own heartbeats
 * inside them (labels are checked at start, the cached voice list is cut to
 * SS_HB_MAX_VOICES), so only a broken or hostile sender meets the refusal. */
#ifndef SS_COMMON_HEARTBEAT_LIMITS_H
#define SS_COMMON_HEARTBEAT_LIMITS_H

#define SS_HB_MAX_BYTES (256 * 1024)  /* packed request */
#define SS_HB_MAX_ENGINES 64
#define SS_HB_MAX_VOICES 1024
#define SS_HB_MAX_LABELS 32
#define SS_HB_MAX_LABEL_KEY 63
#define SS_HB_MAX_LABEL_VALUE 256
#define SS_HB_MAX_ADDRESS 255
#define SS_HB_MAX_SHORT_STRING 128    /* engine id/kind/version/gender/accent/language, voice id, version, kernels, GPU name */
#define SS_HB_MAX_SAMPLE_RATE 384000
#define SS_HB_MAX_SLOTS 65536
#define SS_HB_MAX_IN_FLIGHT 1048576
#define SS_HB_MAX_GPU_MB (1ULL << 30) /* 1 PiB in MiB */
#define SS_HB_MAX_GPU_LANES 64
#define SS_HB_MAX_CLOCK_AHEAD_S 86400 /* started_at at most this far in the gateway's future */

#endif
