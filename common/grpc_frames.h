/* gRPC-over-HTTP/2 message framing and status parsing, as pure functions
 * with no I/O: the part of a gRPC client that turns received DATA bytes
 * into messages and header values into a status. Owned here so the
 * transport (common/h2_client.c) stays about connections and streams, and so
 * a fuzzer can reach every byte-level decision without a socket.
 *
 * Framing (gRPC "Length-Prefixed-Message"): 1-byte compressed flag (must be
 * 0: this client never negotiates compression), 4-byte big-endian length,
 * then the message. The parser buffers what it is given and yields complete
 * messages in order; a message longer than the maximum given at creation
 * is an error (RESOURCE_EXHAUSTED), a set compressed flag too (INTERNAL).
 * After an error the parser yields nothing more.
 *
 * Status: grpc-status is decimal 0..16 (anything else is an error),
 * grpc-message is percent-decoded (invalid escapes pass through literally,
 * as the gRPC HTTP/2 spec asks), and an HTTP :status or an RST_STREAM code
 * maps to a gRPC code per grpc/doc/http-grpc-status-mapping.md. */
#ifndef SS_COMMON_GRPC_FRAMES_H
#define SS_COMMON_GRPC_FRAMES_H

#include <grpc/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SS_GRPC_FRAME_HEADER 5

typedef struct ss_grpc_frames ss_grpc_frames;

/* max_message: the largest message accepted (bytes). NULL: out of memory. */
ss_grpc_frames *ss_grpc_frames_new(size_t max_message);
void ss_grpc_frames_free(ss_grpc_frames *fr);

/* Appends received bytes (copied). 0, or -1 when out of memory. */
int ss_grpc_frames_append(ss_grpc_frames *fr, const uint8_t *data, size_t len);

/* The next complete message: 1 with *msg and *len set (valid until the next
 * append or free), 0 when more bytes are needed, -1 on a framing error
 * (*code and err say which; sticky). msg may be NULL when *len is 0. */
int ss_grpc_frames_next(ss_grpc_frames *fr, const uint8_t **msg, size_t *len,
                        grpc_status_code *code, char *err, size_t errlen);

/* Bytes appended and not yet yielded as (part of) a message. */
size_t ss_grpc_frames_buffered(const ss_grpc_frames *fr);

/* Writes the 5-byte prefix of an uncompressed message of `len` bytes.
 * -1 when len does not fit 32 bits. */
int ss_grpc_frame_prefix(uint8_t out[SS_GRPC_FRAME_HEADER], size_t len);

/* grpc-status value (not NUL-terminated): 0 and *code, or -1. */
int ss_grpc_parse_status(const char *v, size_t len, grpc_status_code *code);

/* Percent-decodes a grpc-message value into out (always NUL-terminated when
 * outlen > 0, truncated to fit). Returns the decoded length written. */
size_t ss_grpc_percent_decode(const char *v, size_t len, char *out, size_t outlen);

/* An HTTP :status other than 200 -> the gRPC code. */
grpc_status_code ss_grpc_status_from_http(int http_status);

/* An HTTP/2 RST_STREAM error code -> the gRPC code. */
grpc_status_code ss_grpc_status_from_rst(uint32_t h2_error);

#endif
