/* Identifier generation (see ids.h). */
#include "common/ids.h"

#include <string.h>
#include <sys/random.h>

static const char BASE62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int ss_random_base62(char *buf, size_t n)
{
    size_t filled = 0;
    while (filled < n) {
        unsigned char raw[64];
        ssize_t got = getrandom(raw, sizeof raw, 0);
        if (got <= 0)
            return -1;
        /* Rejection sampling: 248 = 4 * 62 keeps the distribution uniform. */
        for (ssize_t i = 0; i < got && filled < n; i++)
            if (raw[i] < 248)
                buf[filled++] = BASE62[raw[i] % 62];
    }
    return 0;
}

int ss_id_new(const char *prefix, size_t n, char *out, size_t cap)
{
    size_t plen = strlen(prefix);
    if (plen + n + 1 > cap)
        return -1;
    memcpy(out, prefix, plen);
    if (ss_random_base62(out + plen, n) != 0)
        return -1;
    out[plen + n] = '\0';
    return 0;
}

bool ss_request_id_acceptable(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > SS_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == ':';
        if (!ok)
            return false;
    }
    return true;
}
