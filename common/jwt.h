/* JWT verification (RS256, ES256) against a JWKS, and RS256 signing for the
 * development issuer.
 *
 * Only asymmetric algorithms are accepted: "none" and every HMAC algorithm
 * are refused before any key is looked at, so a public key can never be used
 * as an HMAC secret. The key is chosen by the header's `kid` and must be of
 * the algorithm's type. Claims checked: exp (required), nbf (when present),
 * iss (must equal the expected issuer), aud (when an audience is expected:
 * a string equal to it, or an array containing it); `leeway_s` allows clock
 * skew. exp and nbf must be integer NumericDates in [0, now +
 * SS_JWT_MAX_HORIZON_S] (1e300, 1.5 and negative values are malformed, not
 * "valid for ever"). A header naming critical extensions ("crit", RFC 7515
 * §4.1.11) is refused: this verifier implements none. */
#ifndef SS_COMMON_JWT_H
#define SS_COMMON_JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ss_jwks ss_jwks;

/* The furthest exp or nbf accepted: ten years from now. */
#define SS_JWT_MAX_HORIZON_S (10L * 366 * 24 * 3600)

/* Parses {"keys":[{kty,kid,n,e}|{kty:"EC",crv:"P-256",kid,x,y}...]}. Keys of
 * other types are skipped; a set with no usable key is an error (as is
 * "out of memory"). */
ss_jwks *ss_jwks_parse(const char *json, size_t len, char *err, size_t errlen);
void ss_jwks_free(ss_jwks *ks);
size_t ss_jwks_count(const ss_jwks *ks);

typedef enum {
    SS_JWT_OK = 0,
    SS_JWT_MALFORMED,
    SS_JWT_BAD_ALG,
    SS_JWT_UNKNOWN_KID,
    SS_JWT_BAD_SIGNATURE,
    SS_JWT_EXPIRED,
    SS_JWT_NOT_YET_VALID,
    SS_JWT_BAD_ISSUER,
    SS_JWT_BAD_AUDIENCE,
} ss_jwt_result;

typedef struct {
    const char *issuer;   /* required */
    const char *audience; /* NULL or "": not checked */
    long leeway_s;
    long now;             /* unix seconds */
} ss_jwt_expect;

/* Verifies `token`. On SS_JWT_OK *claims holds the payload (caller decrefs).
 * kid (may be NULL) receives the header's kid whatever the result, so the
 * caller can refresh the key set on SS_JWT_UNKNOWN_KID. err gets a reason. */
ss_jwt_result ss_jwt_verify(const ss_jwks *ks, const char *token, const ss_jwt_expect *expect,
                            json_t **claims, char *kid, size_t kidcap, char *err, size_t errlen);

/* RS256-signs claims with an RSA private key; *out is malloc'd. 0 or -1. */
int ss_jwt_sign_rs256(EVP_PKEY *key, const char *kid, const json_t *claims, char **out);
/* The JWKS (one RSA key) for a key pair, as JSON. NULL on error. */
json_t *ss_jwks_from_rsa_key(EVP_PKEY *key, const char *kid);

#endif
