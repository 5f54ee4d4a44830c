/* API keys: "sgk_" + 40 random base62 characters (about 238 bits).
 *
 * A key is shown once, when it is made; only its SHA-256 (hex) is stored, so
 * a leaked database does not leak usable keys. The first 8 characters after
 * the prefix are kept as a display hint ("sgk_Ab3dE9xY..."). */
#ifndef SS_COMMON_API_KEYS_H
#define SS_COMMON_API_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define SS_API_KEY_PREFIX "sgk_"
#define SS_API_KEY_RANDOM_LEN 40
#define SS_API_KEY_LEN (4 + SS_API_KEY_RANDOM_LEN)
#define SS_SHA256_HEX_LEN 64

/* Makes a new key into out (cap >= SS_API_KEY_LEN + 1). 0 or -1. */
int ss_api_key_generate(char *out, size_t cap);
/* True for "sgk_" + at least 32 base62 characters and nothing else. */
bool ss_api_key_well_formed(const char *key);
/* Lower-case hex SHA-256 of s into out (cap >= 65). */
void ss_sha256_hex(const char *s, size_t len, char *out);

#endif
