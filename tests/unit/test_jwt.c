/* Unit tests for common/jwt: RS256 and ES256 verification against a JWKS,
 * without a gateway or ScaiKey. The keys are made in the test with
 * OpenSSL's EVP API, the JWKS is written from their public parts, and the
 * tokens are minted here (RS256 and ES256 signatures, HMAC and unsigned
 * ones for the refusals) independently of jwt.c's own signer. Covered: good
 * tokens give their claims; a wrong signature; "none" and HMAC refused
 * before any key is used; exp/nbf with leeway; iss/aud; an unknown kid
 * reported for a refresh; malformed tokens; which JWKS keys are usable;
 * the development issuer's signer and JWKS round trip. The HTTP side
 * (401 codes, the JWKS refresh) is tests/integration/test_jwt.py. */
#include "common/jwt.h"

#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000L
#define ISS "https://scaikey.test"
#define AUD "scaispeak"
#define LEEWAY 30

/* --- keys, JWKS and tokens made by the test */

static EVP_PKEY *rsa_key, *ec_key; /* the keys of the suite's JWKS: kid rsa-1, ec-1 */
static ss_jwks *jwks;

static char *b64url(const unsigned char *in, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    cr_assert_not_null(out);
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return out;
}

static char *b64url_str(const char *s)
{
    return b64url((const unsigned char *)s, strlen(s));
}

static char *bn_param_b64(EVP_PKEY *key, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    cr_assert_eq(EVP_PKEY_get_bn_param(key, param, &bn), 1, "no %s", param);
    unsigned char buf[1024];
    int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    cr_assert_gt(n, 0);
    BN_free(bn);
    return b64url(buf, (size_t)n);
}

/* The public JWK of a key pair (RSA or EC P-256). */
static json_t *public_jwk(EVP_PKEY *key, const char *kid)
{
    json_t *k;
    if (EVP_PKEY_is_a(key, "RSA")) {
        char *n = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_N, 0), *e = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
        k = json_pack("{s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", kid, "n", n, "e", e);
        free(n);
        free(e);
    } else {
        char *x = bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        char *y = bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        k = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "kid", kid, "x", x, "y", y);
        free(x);
        free(y);
    }
    cr_assert_not_null(k);
    return k;
}

static ss_jwks *parse_set(json_t *keys_array)
{
    json_t *set = json_pack("{s:o}", "keys", keys_array);
    char *text = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    char err[256] = "";
    ss_jwks *ks = ss_jwks_parse(text, strlen(text), err, sizeof err);
    free(text);
    return ks;
}

typedef enum { SIGN_RS256, SIGN_ES256, SIGN_HS256, SIGN_NONE } sign_kind;

/* The signature of input: RS256 (PKCS#1 v1.5), ES256 (raw r||s, 64 bytes),
 * HS256 with the key's modulus as the secret (the classic confusion attack),
 * or none (empty). */
static char *signature(sign_kind how, EVP_PKEY *key, const char *input)
{
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    if (how == SIGN_NONE)
        return strdup("");
    if (how == SIGN_HS256) {
        BIGNUM *n = NULL;
        cr_assert_eq(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n), 1);
        unsigned char secret[1024];
        int sn = BN_bn2bin(n, secret);
        BN_free(n);
        unsigned int hl = 0;
        cr_assert_not_null(HMAC(EVP_sha256(), secret, sn, (const unsigned char *)input, strlen(input), sig, &hl));
        return b64url(sig, hl);
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    cr_assert_eq(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    if (how == SIGN_RS256)
        return b64url(sig, siglen);
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
    cr_assert_not_null(es);
    unsigned char raw[64];
    cr_assert_eq(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
    cr_assert_eq(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
    ECDSA_SIG_free(es);
    return b64url(raw, sizeof raw);
}

/* header.payload.signature; alg and kid are left out of the header when
 * NULL; extra (may be NULL) adds fields to the header. Takes the references
 * of claims and extra. */
static char *mint_with_header(const char *alg, const char *kid, json_t *extra, sign_kind how, EVP_PKEY *key,
                              json_t *claims)
{
    json_t *hdr = json_pack("{s:s}", "typ", "JWT");
    if (extra)
        json_object_update(hdr, extra);
    json_decref(extra);
    if (alg)
        json_object_set_new(hdr, "alg", json_string(alg));
    if (kid)
        json_object_set_new(hdr, "kid", json_string(kid));
    char *h = json_dumps(hdr, JSON_COMPACT), *p = json_dumps(claims, JSON_COMPACT);
    json_decref(hdr);
    json_decref(claims);
    char *hb = b64url_str(h), *pb = b64url_str(p);
    free(h);
    free(p);
    char *input = malloc(strlen(hb) + strlen(pb) + 2);
    sprintf(input, "%s.%s", hb, pb);
    free(hb);
    free(pb);
    char *sb = signature(how, key, input);
    char *token = malloc(strlen(input) + strlen(sb) + 2);
    sprintf(token, "%s.%s", input, sb);
    free(input);
    free(sb);
    return token;
}

static char *mint(const char *alg, const char *kid, sign_kind how, EVP_PKEY *key, json_t *claims)
{
    return mint_with_header(alg, kid, NULL, how, key, claims);
}

/* Claims valid at NOW for ISS and AUD. */
static json_t *good_claims(void)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "iss", ISS, "aud", AUD, "sub", "user_1", "iat",
                     (json_int_t)NOW, "exp", (json_int_t)(NOW + 300), "scope", "scaispeak:synthesize");
}

static json_t *with(json_t *claims, const char *key, json_t *value)
{
    if (value)
        json_object_set_new(claims, key, value);
    else
        json_object_del(claims, key);
    return claims;
}

static ss_jwt_expect expect(void)
{
    return (ss_jwt_expect){.issuer = ISS, .audience = AUD, .leeway_s = LEEWAY, .now = NOW};
}

/* Verifies token against the suite's JWKS; frees it. */
static ss_jwt_result verify_with(const ss_jwt_expect *ex, char *token, char *kid, size_t kidcap)
{
    json_t *claims = NULL;
    char err[256] = "";
    ss_jwt_result r = ss_jwt_verify(jwks, token, ex, &claims, kid, kidcap, err, sizeof err);
    if (r == SS_JWT_OK) {
        cr_assert_not_null(claims);
        json_decref(claims);
    } else {
        cr_assert_null(claims, "claims on failure");
        cr_assert_gt(strlen(err), 0, "no reason given for result %d", r);
    }
    free(token);
    return r;
}

static ss_jwt_result verify(char *token)
{
    ss_jwt_expect ex = expect();
    return verify_with(&ex, token, NULL, 0);
}

static void keys_up(void)
{
    rsa_key = EVP_RSA_gen(2048);
    ec_key = EVP_EC_gen("P-256");
    cr_assert(rsa_key && ec_key, "key generation failed");
    jwks = parse_set(json_pack("[o,o]", public_jwk(rsa_key, "rsa-1"), public_jwk(ec_key, "ec-1")));
    cr_assert_not_null(jwks);
    cr_assert_eq(ss_jwks_count(jwks), 2);
}

static void keys_down(void)
{
    ss_jwks_free(jwks);
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
}

TestSuite(jwt, .init = keys_up, .fini = keys_down);

/* --- verification */

Test(jwt, rs256_and_es256_good_tokens_give_the_claims)
{
    const struct {
        const char *alg, *kid;
        sign_kind how;
        EVP_PKEY **key;
    } cases[] = {{"RS256", "rsa-1", SIGN_RS256, &rsa_key}, {"ES256", "ec-1", SIGN_ES256, &ec_key}};
    for (size_t i = 0; i < 2; i++) {
        char *token = mint(cases[i].alg, cases[i].kid, cases[i].how, *cases[i].key, good_claims());
        ss_jwt_expect ex = expect();
        json_t *claims = NULL;
        char kid[64], err[256] = "";
        cr_assert_eq(ss_jwt_verify(jwks, token, &ex, &claims, kid, sizeof kid, err, sizeof err), SS_JWT_OK,
                     "%s: %s", cases[i].alg, err);
        cr_assert_str_eq(kid, cases[i].kid);
        cr_assert_str_eq(json_string_value(json_object_get(claims, "sub")), "user_1");
        cr_assert_str_eq(json_string_value(json_object_get(claims, "scope")), "scaispeak:synthesize");
        json_decref(claims);
        free(token);
    }
}

Test(jwt, wrong_signature_is_refused)
{
    EVP_PKEY *other_rsa = EVP_RSA_gen(2048), *other_ec = EVP_EC_gen("P-256");
    cr_assert(other_rsa && other_ec);
    /* signed by another key under a kid of the set */
    cr_assert_eq(verify(mint("RS256", "rsa-1", SIGN_RS256, other_rsa, good_claims())), SS_JWT_BAD_SIGNATURE);
    cr_assert_eq(verify(mint("ES256", "ec-1", SIGN_ES256, other_ec, good_claims())), SS_JWT_BAD_SIGNATURE);
    EVP_PKEY_free(other_rsa);
    EVP_PKEY_free(other_ec);

    /* the payload of another token under a good signature */
    char *a = mint("RS256", "rsa-1", SIGN_RS256, rsa_key, good_claims());
    char *b = mint("RS256", "rsa-1", SIGN_RS256, rsa_key, with(good_claims(), "sub", json_string("admin")));
    char *a1 = strchr(a, '.'), *a2 = strchr(a1 + 1, '.');
    char *b1 = strchr(b, '.'), *b2 = strchr(b1 + 1, '.');
    char *spliced = malloc(strlen(a) + strlen(b) + 1);
    sprintf(spliced, "%.*s%.*s%s", (int)(a1 - a), a, (int)(b2 - b1), b1, a2);
    cr_assert_eq(verify(spliced), SS_JWT_BAD_SIGNATURE);
    free(a);
    free(b);

    /* an ES256 signature that is not 64 bytes, and one with a flipped bit */
    char *e = mint("ES256", "ec-1", SIGN_ES256, ec_key, good_claims());
    char *short_sig = strdup(e);
    strcpy(strrchr(short_sig, '.') + 1, "AAAA");
    cr_assert_eq(verify(short_sig), SS_JWT_BAD_SIGNATURE);
    char *last = strrchr(e, '.') + 1;
    last[3] = last[3] == 'A' ? 'B' : 'A';
    cr_assert_eq(verify(e), SS_JWT_BAD_SIGNATURE);
}

/* "none" and HMAC are refused on the algorithm alone, so a public key can
 * never serve as an HMAC secret; the key's type must match the algorithm. */
Test(jwt, none_and_hmac_are_refused_before_any_key)
{
    char kid[64];
    ss_jwt_expect ex = expect();
    cr_assert_eq(verify_with(&ex, mint("none", "rsa-1", SIGN_NONE, rsa_key, good_claims()), kid, sizeof kid),
                 SS_JWT_BAD_ALG);
    cr_assert_str_eq(kid, "rsa-1", "the kid is reported whatever the result");
    cr_assert_eq(verify(mint("HS256", "rsa-1", SIGN_HS256, rsa_key, good_claims())), SS_JWT_BAD_ALG);
    cr_assert_eq(verify(mint("HS512", "rsa-1", SIGN_HS256, rsa_key, good_claims())), SS_JWT_BAD_ALG);
    cr_assert_eq(verify(mint("RS512", "rsa-1", SIGN_RS256, rsa_key, good_claims())), SS_JWT_BAD_ALG);
    cr_assert_eq(verify(mint("rs256", "rsa-1", SIGN_RS256, rsa_key, good_claims())), SS_JWT_BAD_ALG);
    cr_assert_eq(verify(mint(NULL, "rsa-1", SIGN_RS256, rsa_key, good_claims())), SS_JWT_BAD_ALG);
    /* algorithm and key type must agree */
    cr_assert_eq(verify(mint("RS256", "ec-1", SIGN_RS256, rsa_key, good_claims())), SS_JWT_BAD_ALG);
    cr_assert_eq(verify(mint("ES256", "rsa-1", SIGN_ES256, ec_key, good_claims())), SS_JWT_BAD_ALG);
}

Test(jwt, exp_and_nbf_with_leeway)
{
    const struct {
        const char *claim;
        json_t *value; /* NULL: removed */
        ss_jwt_result want;
    } cases[] = {
        {"exp", json_integer(NOW - LEEWAY + 1), SS_JWT_OK},
        {"exp", json_integer(NOW - LEEWAY - 1), SS_JWT_EXPIRED},
        {"exp", json_integer(NOW - 86400), SS_JWT_EXPIRED},
        {"exp", NULL, SS_JWT_MALFORMED},
        {"exp", json_string("tomorrow"), SS_JWT_MALFORMED},
        {"nbf", json_integer(NOW + LEEWAY - 1), SS_JWT_OK},
        {"nbf", json_integer(NOW - 3600), SS_JWT_OK},
        {"nbf", json_integer(NOW + LEEWAY + 1), SS_JWT_NOT_YET_VALID},
        {"nbf", json_string("now"), SS_JWT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = with(good_claims(), cases[i].claim, cases[i].value);
        cr_assert_eq(verify(mint("RS256", "rsa-1", SIGN_RS256, rsa_key, c)), cases[i].want, "case %zu (%s)", i,
                     cases[i].claim);
    }
    /* the same on ES256 for one expired token */
    json_t *c = with(good_claims(), "exp", json_integer(NOW - LEEWAY - 1));
    cr_assert_eq(verify(mint("ES256", "ec-1", SIGN_ES256, ec_key, c)), SS_JWT_EXPIRED);
}

Test(jwt, issuer_and_audience)
{
    const struct {
        const char *claim;
        json_t *value;
        ss_jwt_result want;
    } cases[] = {
        {"iss", json_string("https://evil.test"), SS_JWT_BAD_ISSUER},
        {"iss", NULL, SS_JWT_BAD_ISSUER},
        {"iss", json_integer(1), SS_JWT_BAD_ISSUER},
        {"aud", json_string("other"), SS_JWT_BAD_AUDIENCE},
        {"aud", NULL, SS_JWT_BAD_AUDIENCE},
        {"aud", json_pack("[s,s]", "other", AUD), SS_JWT_OK},
        {"aud", json_pack("[s]", "other"), SS_JWT_BAD_AUDIENCE},
        {"aud", json_pack("[]"), SS_JWT_BAD_AUDIENCE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = with(good_claims(), cases[i].claim, cases[i].value);
        cr_assert_eq(verify(mint("RS256", "rsa-1", SIGN_RS256, rsa_key, c)), cases[i].want, "case %zu (%s)", i,
                     cases[i].claim);
    }
    /* no audience expected: aud is not checked */
    ss_jwt_expect ex = expect();
    ex.audience = NULL;
    cr_assert_eq(verify_with(&ex, mint("RS256", "rsa-1", SIGN_RS256, rsa_key,
                                       with(good_claims(), "aud", json_string("other"))), NULL, 0), SS_JWT_OK);
    ex.audience = "";
    cr_assert_eq(verify_with(&ex, mint("ES256", "ec-1", SIGN_ES256, ec_key, with(good_claims(), "aud", NULL)),
                             NULL, 0), SS_JWT_OK);
    /* an issuer is always required */
    ex = expect();
    ex.issuer = NULL;
    cr_assert_eq(verify_with(&ex, mint("RS256", "rsa-1", SIGN_RS256, rsa_key, good_claims()), NULL, 0),
                 SS_JWT_BAD_ISSUER);
}

/* An unknown kid is its own result, with the kid handed back, so the caller
 * can refresh the key set and retry. */
Test(jwt, unknown_kid_is_reported_for_a_refresh)
{
    ss_jwt_expect ex = expect();
    char kid[64] = "stale";
    cr_assert_eq(verify_with(&ex, mint("RS256", "rsa-2", SIGN_RS256, rsa_key, good_claims()), kid, sizeof kid),
                 SS_JWT_UNKNOWN_KID);
    cr_assert_str_eq(kid, "rsa-2");
    strcpy(kid, "stale");
    cr_assert_eq(verify_with(&ex, mint("ES256", NULL, SIGN_ES256, ec_key, good_claims()), kid, sizeof kid),
                 SS_JWT_UNKNOWN_KID);
    cr_assert_str_eq(kid, "", "no kid in the header");
}

Test(jwt, malformed_tokens)
{
    const char *bad[] = {
        "", "abc", "a.b", "a.b.c.d", "!!!.e30.c2ln", "e30", /* {} alone */
        "WzFd.e30.c2ln",                                    /* header [1]: not an object */
        "bm90IGpzb24.e30.c2ln",                             /* header "not json" */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(verify(strdup(bad[i])), SS_JWT_MALFORMED, "'%s'", bad[i]);

    char *big = malloc(20000);
    memset(big, 'a', 19999);
    big[19999] = '\0';
    big[100] = big[200] = '.';
    cr_assert_eq(verify(big), SS_JWT_MALFORMED, "a token over 16 KiB");

    char *t = mint("RS256", "rsa-1", SIGN_RS256, rsa_key, good_claims());
    char *sig = strrchr(t, '.') + 1;
    sig[0] = '*';
    cr_assert_eq(verify(t), SS_JWT_MALFORMED, "a signature that is not base64url");

    /* a validly signed payload that is not a JSON object */
    json_t *hdr = json_pack("{s:s,s:s}", "alg", "RS256", "kid", "rsa-1");
    char *h = json_dumps(hdr, JSON_COMPACT);
    json_decref(hdr);
    char *hb = b64url_str(h), *pb = b64url_str("[\"not\",\"an\",\"object\"]");
    char input[512];
    snprintf(input, sizeof input, "%s.%s", hb, pb);
    char *sb = signature(SIGN_RS256, rsa_key, input);
    char *token = malloc(strlen(input) + strlen(sb) + 2);
    sprintf(token, "%s.%s", input, sb);
    cr_assert_eq(verify(token), SS_JWT_MALFORMED);
    free(h);
    free(hb);
    free(pb);
    free(sb);
}

/* --- the key set */

Test(jwt, jwks_keeps_only_usable_keys)
{
    EVP_PKEY *small = EVP_RSA_gen(1024);
    cr_assert_not_null(small);
    json_t *keys = json_pack("[o,o,o,o,{s:s,s:s,s:s,s:s,s:s},{s:s,s:s},{s:s,s:s,s:s}]",
                             public_jwk(rsa_key, "rsa-1"), public_jwk(ec_key, "ec-1"),
                             public_jwk(small, "rsa-small"), json_pack("{s:s,s:s}", "kty", "RSA", "kid", "no-n"),
                             "kty", "EC", "crv", "P-384", "kid", "p384", "x", "AAAA", "y", "AAAA",
                             "kty", "oct", "kid", "hmac", "kty", "RSA", "n", "AQAB", "e", "AQAB");
    json_t *nokid = public_jwk(rsa_key, "x");
    json_object_del(nokid, "kid");
    json_array_append_new(keys, nokid);
    ss_jwks *ks = parse_set(keys);
    cr_assert_not_null(ks);
    cr_assert_eq(ss_jwks_count(ks), 2, "only the RSA >= 2048 and the EC P-256 key are usable");
    ss_jwks_free(ks);

    char err[256] = "";
    json_t *weak = json_pack("{s:[o]}", "keys", public_jwk(small, "rsa-small"));
    char *text = json_dumps(weak, JSON_COMPACT);
    json_decref(weak);
    cr_assert_null(ss_jwks_parse(text, strlen(text), err, sizeof err));
    cr_assert(strstr(err, "no usable") != NULL, "%s", err);
    free(text);
    EVP_PKEY_free(small);

    const char *broken[] = {"", "not json", "[]", "{\"keys\":{}}", "{\"keys\":[]}"};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        err[0] = '\0';
        cr_assert_null(ss_jwks_parse(broken[i], strlen(broken[i]), err, sizeof err), "'%s'", broken[i]);
        cr_assert_gt(strlen(err), 0);
    }
    cr_assert_eq(ss_jwks_count(NULL), 0);
}

/* The development issuer: jwt.c's own RS256 signer and the JWKS it writes
 * for the key verify each other. */
Test(jwt, development_issuer_round_trip)
{
    json_t *set = ss_jwks_from_rsa_key(rsa_key, "dev-1");
    cr_assert_not_null(set);
    char *text = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    char err[256] = "";
    ss_jwks *ks = ss_jwks_parse(text, strlen(text), err, sizeof err);
    free(text);
    cr_assert_not_null(ks, "%s", err);
    json_t *c = good_claims();
    char *token = NULL;
    cr_assert_eq(ss_jwt_sign_rs256(rsa_key, "dev-1", c, &token), 0);
    json_decref(c);
    ss_jwt_expect ex = expect();
    json_t *claims = NULL;
    char kid[64];
    cr_assert_eq(ss_jwt_verify(ks, token, &ex, &claims, kid, sizeof kid, err, sizeof err), SS_JWT_OK, "%s", err);
    cr_assert_str_eq(kid, "dev-1");
    cr_assert_str_eq(json_string_value(json_object_get(claims, "iss")), ISS);
    json_decref(claims);
    /* and the suite's JWKS does not know that kid */
    cr_assert_eq(verify(token), SS_JWT_UNKNOWN_KID);
    ss_jwks_free(ks);
}

Test(jwt, absurd_exp_and_nbf_are_refused)
{
    const struct {
        const char *claim;
        json_t *value;
    } cases[] = {
        {"exp", json_real(1e300)},
        {"exp", json_real((double)NOW + 300.5)},
        {"exp", json_integer(-1)},
        {"exp", json_integer(NOW + SS_JWT_MAX_HORIZON_S + 1)},
        {"exp", json_integer(INT64_MAX)},
        {"exp", json_true()},
        {"nbf", json_real(-1e300)},
        {"nbf", json_integer(-5)},
        {"nbf", json_integer(INT64_MIN)},
        {"nbf", json_integer(NOW + SS_JWT_MAX_HORIZON_S + 1)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = with(good_claims(), cases[i].claim, cases[i].value);
        cr_assert_eq(verify(mint("RS256", "rsa-1", SIGN_RS256, rsa_key, c)), SS_JWT_MALFORMED, "case %zu (%s)", i,
                     cases[i].claim);
    }
    /* the horizon itself is still accepted */
    json_t *c = with(good_claims(), "exp", json_integer(NOW + SS_JWT_MAX_HORIZON_S));
    cr_assert_eq(verify(mint("RS256", "rsa-1", SIGN_RS256, rsa_key, c)), SS_JWT_OK);
}

Test(jwt, crit_header_is_refused)
{
    json_t *crits[] = {
        json_pack("{s:[s],s:s}", "crit", "exp", "exp", "soon"),
        json_pack("{s:[s],s:b}", "crit", "b64", "b64", 0),
        json_pack("{s:[]}", "crit"),
        json_pack("{s:s}", "crit", "not-an-array"),
    };
    for (size_t i = 0; i < sizeof crits / sizeof crits[0]; i++) {
        char *t = mint_with_header("RS256", "rsa-1", crits[i], SIGN_RS256, rsa_key, good_claims());
        cr_assert_eq(verify(t), SS_JWT_MALFORMED, "case %zu", i);
    }
    /* an ordinary extra header field is fine */
    char *t = mint_with_header("RS256", "rsa-1", json_pack("{s:s}", "cty", "JWT"), SIGN_RS256, rsa_key,
                               good_claims());
    cr_assert_eq(verify(t), SS_JWT_OK);
}
