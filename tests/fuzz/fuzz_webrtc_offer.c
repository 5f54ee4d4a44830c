/* libFuzzer target: the gateway's first look at a browser's SDP offer
 * (gateway/webrtc_peer.c, webrtc_offer_opus_pt), which runs on the loop
 * before GStreamer's own SDP parser sees the offer. The input is the offer
 * text (cut at its first NUL, as a JSON string would be). A payload type
 * it returns must be -1 or 0..127, and only for an offer that starts with
 * "v=0" and has an audio m-line and an opus/48000 rtpmap. Seeds: Chromium's
 * and Firefox's offer shapes, and offers without Opus or an audio line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/webrtc_peer.h"

static bool has_nocase(const char *s, const char *what)
{
    size_t n = strlen(what);
    for (; *s; s++)
        if (strncasecmp(s, what, n) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sdp = malloc(size + 1);
    if (!sdp)
        return 0;
    memcpy(sdp, data, size);
    sdp[size] = 0;
    int pt = webrtc_offer_opus_pt(sdp);
    if (pt < -1 || pt > 127)
        __builtin_trap();
    if (pt >= 0 && (strncmp(sdp, "v=0", 3) != 0 || !strstr(sdp, "m=audio ") || !strstr(sdp, "a=rtpmap:") ||
                    !has_nocase(sdp, "opus/48000")))
        __builtin_trap();
    free(sdp);
    return 0;
}
