/* Identifier generation (see ids.h).
 *
 * State: one pool of kernel randomness per thread (`pool`, thread-local),
 * refilled by one getrandom(2) of POOL_BYTES when it runs dry, so a request
 * id no longer costs a system call of its own (three per /speak did). Bytes
 * handed out are never handed out again. The pool is not fork-safe: no
 * ScaiSpeak process forks after start. */
#include "common/ids.h"

#include <string.h>
#include <sys/random.h>

#define POOL_BYTES 512

static const char BASE62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static _Thread_local struct {
    unsigned char bytes[POOL_BYTES];
    size_t left; /* unused bytes at the end of `bytes` */
} pool;

int ss_random_bytes(void *buf, size_t n)
{
    unsigned char *out = buf;
    while (n > 0) {
        if (pool.left == 0) {
            ssize_t got = getrandom(pool.bytes, sizeof pool.bytes, 0);
            if (got != (ssize_t)sizeof pool.bytes)
                return -1;
            pool.left = sizeof pool.bytes;
        }
        size_t take = n < pool.left ? n : pool.left;
        unsigned char *src = pool.bytes + sizeof pool.bytes - pool.left;
        memcpy(out, src, take);
        memset(src, 0, take);
        pool.left -= take;
        out += take;
        n -= take;
    }
    return 0;
}

int ss_random_base62(char *buf, size_t n)
{
    size_t filled = 0;
    while (filled < n) {
        unsigned char raw[32];
        ssize_t got = (ssize_t)(n - filled + 4 < sizeof raw ? n - filled + 4 : sizeof raw);
        if (ss_random_bytes(raw, (size_t)got) != 0)
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
