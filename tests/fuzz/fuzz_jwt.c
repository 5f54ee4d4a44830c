/* libFuzzer target: JWKS documents and JWTs (common/jwt.c). The first byte
 * picks: even = the bytes are a JWKS document for ss_jwks_parse; odd = the
 * bytes are a token verified against a fixed key set (one RSA key, made once
 * per process) by ss_jwt_verify. Neither may crash, leak or accept a token
 * that the fixed key did not sign (the fuzzer cannot forge RS256). */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jwt.h"

static ss_jwks *fixed_keys(void)
{
    static ss_jwks *ks; /* built once per process, never freed (fuzzer lifetime) */
    if (ks)
        return ks;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    json_t *set = key ? ss_jwks_from_rsa_key(key, "fuzz-1") : NULL;
    char *doc = set ? json_dumps(set, JSON_COMPACT) : NULL;
    char err[256];
    ks = doc ? ss_jwks_parse(doc, strlen(doc), err, sizeof err) : NULL;
    free(doc);
    json_decref(set);
    EVP_PKEY_free(key);
    if (!ks)
        abort();
    return ks;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char err[256];
    if ((data[0] & 1) == 0) {
        ss_jwks *ks = ss_jwks_parse((const char *)data + 1, size - 1, err, sizeof err);
        ss_jwks_free(ks);
        return 0;
    }
    char *token = malloc(size);
    if (!token)
        return 0;
    memcpy(token, data + 1, size - 1);
    token[size - 1] = '\0';
    ss_jwt_expect want = {.issuer = "https://issuer.example", .audience = "scaispeak",
                          .leeway_s = 60, .now = 1700000000};
    json_t *claims = NULL;
    char kid[64];
    ss_jwt_result r = ss_jwt_verify(fixed_keys(), token, &want, &claims, kid, sizeof kid, err,
                                    sizeof err);
    if (r == SS_JWT_OK)
        __builtin_trap(); /* a token nobody signed with the fixed key */
    json_decref(claims);
    free(token);
    return 0;
}
