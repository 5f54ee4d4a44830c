/* API keys (see api_keys.h). */
#include "common/api_keys.h"

#include "common/ids.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

int ss_api_key_generate(char *out, size_t cap)
{
    return ss_id_new(SS_API_KEY_PREFIX, SS_API_KEY_RANDOM_LEN, out, cap);
}

bool ss_api_key_well_formed(const char *key)
{
    if (!key || strncmp(key, SS_API_KEY_PREFIX, 4) != 0)
        return false;
    size_t n = 0;
    for (const char *p = key + 4; *p; p++, n++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return n >= 32 && n <= 128;
}

void ss_sha256_hex(const char *s, size_t len, char *out)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, len, d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}
