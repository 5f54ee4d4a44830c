/* Node and gateway credentials (see node_credentials.h): derivation of a
 * node's secret, the constant-time bearer check both directions use, and
 * the dev_mode rule for defaults. No state. */
#include "common/node_credentials.h"

#include "common/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int ss_node_secret_derive(const char *key, const char *node_id, char out[SS_NODE_SECRET_LEN],
                          char *err, size_t errlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)node_id,
              strlen(node_id), mac, &maclen) ||
        maclen != SHA256_DIGEST_LENGTH) {
        snprintf(err, errlen, "cannot compute HMAC-SHA256 of the node id");
        return -1;
    }
    for (unsigned int i = 0; i < maclen; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

bool ss_bearer_matches(const char *authorization, const char *expected)
{
    if (!authorization || !expected || !*expected || strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    /* Digests of both sides: equal length, so the comparison time does not
     * depend on where they differ nor on the expected value's length. */
    unsigned char got[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)authorization + 7, strlen(authorization + 7), got);
    SHA256((const unsigned char *)expected, strlen(expected), want);
    return CRYPTO_memcmp(got, want, sizeof got) == 0;
}

const char *ss_credential_resolve(const ss_settings *s, const char *name, const char *configured,
                                  const char *dev_default, char *err, size_t errlen)
{
    bool is_default = !*configured || strcmp(configured, dev_default) == 0;
    if (!is_default)
        return configured;
    if (s->dev_mode) {
        ss_warn(NULL, "dev_mode: %s is the development default; anyone who has the source can "
                "use it", name);
        return dev_default;
    }
    snprintf(err, errlen, "%s is %s: set a random secret (e.g. `openssl rand -hex 32`), or "
             "dev_mode=1 for a development setup", name,
             *configured ? "the shipped development default" : "empty");
    return NULL;
}

const char *ss_node_secret_resolve(const ss_settings *s, const char *node_id,
                                   char buf[SS_NODE_SECRET_LEN], char *err, size_t errlen)
{
    if (*s->node_secret) {
        char dev[SS_NODE_SECRET_LEN];
        if (ss_node_secret_derive(SS_DEV_NODE_AUTH_KEY, node_id, dev, err, errlen) != 0)
            return NULL;
        if (strcmp(dev, s->node_secret) != 0 || s->dev_mode)
            return s->node_secret;
        snprintf(err, errlen, "node_secret is derived from the shipped development key: derive "
                 "it from the gateway's node_auth_key, or set dev_mode=1");
        return NULL;
    }
    if (!s->dev_mode) {
        snprintf(err, errlen, "node_secret is empty: set it to HMAC-SHA256(node_auth_key, "
                 "node_id) in hex (docs/SECURITY.md), or dev_mode=1 for a development setup");
        return NULL;
    }
    ss_warn(NULL, "dev_mode: node_secret derived from the development key; anyone who has the "
            "source can claim this node's id");
    if (ss_node_secret_derive(SS_DEV_NODE_AUTH_KEY, node_id, buf, err, errlen) != 0)
        return NULL;
    return buf;
}
