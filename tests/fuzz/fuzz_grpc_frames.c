/* libFuzzer target: gRPC message framing and status parsing
 * (common/grpc_frames.c). The first byte picks the maximum message size
 * and how the rest is cut into appends; every yielded message must lie
 * within what was appended and respect the maximum. The same bytes also go
 * through grpc-status parsing and grpc-message percent-decoding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/grpc_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t max = (size_t)(data[0] & 0x3f) * 64;
    size_t step = (size_t)(data[0] >> 6) * 7 + 1;
    ss_grpc_frames *fr = ss_grpc_frames_new(max);
    if (!fr)
        return 0;
    size_t total = 0, yielded = 0;
    for (size_t off = 1; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (ss_grpc_frames_append(fr, data + off, n) != 0)
            abort();
        total += n;
        const uint8_t *m;
        size_t len;
        grpc_status_code code;
        char err[96];
        int r;
        while ((r = ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err)) == 1) {
            if (len > max)
                abort();
            if (len) /* touch the bytes: ASan checks the range */
                (void)memchr(m, 0xff, len);
            yielded += SS_GRPC_FRAME_HEADER + len;
        }
        if (r < 0 && code == GRPC_STATUS_OK)
            abort();
    }
    if (yielded + ss_grpc_frames_buffered(fr) != total)
        abort();
    ss_grpc_frames_free(fr);
    grpc_status_code c;
    if (ss_grpc_parse_status((const char *)data + 1, size - 1, &c) == 0 && (int)c > 16)
        abort();
    char out[64];
    size_t o = ss_grpc_percent_decode((const char *)data + 1, size - 1, out, sizeof out);
    if (o >= sizeof out || out[o] != 0)
        abort();
    return 0;
}
