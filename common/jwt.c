/* JWT verification and signing (see jwt.h).
 *
 * A token is header.payload.signature in base64url. The signed input is the
 * first two parts as they appear. RS256 is RSASSA-PKCS1-v1_5 over SHA-256;
 * ES256 is ECDSA P-256 over SHA-256 with the signature as raw r||s (64
 * bytes), converted to DER for OpenSSL. Keys are built with OpenSSL 3's
 * EVP_PKEY_fromdata from the JWK's fields. */
#include "common/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char kid[128];
    int is_ec;
    EVP_PKEY *pkey;
} jwk;

struct ss_jwks {
    jwk *keys;
    size_t n;
};

static int b64url_val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Decodes base64url (no padding) of len chars; *out malloc'd. -1 if invalid. */
static int b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
    if (len % 4 == 1)
        return -1;
    unsigned char *buf = malloc(len * 3 / 4 + 3);
    if (!buf)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_val(in[i]);
        if (v < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = buf;
    *outlen = o;
    return 0;
}

static char *b64url_encode(const unsigned char *in, size_t len)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(len * 4 / 3 + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = A[(acc >> bits) & 63];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        out[o++] = A[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return out;
}

static BIGNUM *bn_from_b64(const char *s)
{
    unsigned char *raw;
    size_t n;
    if (!s || b64url_decode(s, strlen(s), &raw, &n) != 0)
        return NULL;
    BIGNUM *bn = BN_bin2bn(raw, (int)n, NULL);
    free(raw);
    return bn;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0)
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_from_jwk(const json_t *k)
{
    BIGNUM *n = bn_from_b64(json_string_value(json_object_get(k, "n")));
    BIGNUM *e = bn_from_b64(json_string_value(json_object_get(k, "e")));
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (n && e && bld && BN_num_bits(n) >= 2048 && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        pkey = pkey_from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static EVP_PKEY *ec_from_jwk(const json_t *k)
{
    const char *crv = json_string_value(json_object_get(k, "crv"));
    if (!crv || strcmp(crv, "P-256") != 0)
        return NULL;
    unsigned char *x = NULL, *y = NULL;
    size_t xn = 0, yn = 0;
    const char *xs = json_string_value(json_object_get(k, "x"));
    const char *ys = json_string_value(json_object_get(k, "y"));
    EVP_PKEY *pkey = NULL;
    if (xs && ys && b64url_decode(xs, strlen(xs), &x, &xn) == 0 &&
        b64url_decode(ys, strlen(ys), &y, &yn) == 0 && xn == 32 && yn == 32) {
        unsigned char pub[65];
        pub[0] = 0x04;
        memcpy(pub + 1, x, 32);
        memcpy(pub + 33, y, 32);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub))
            pkey = pkey_from_params("EC", bld);
        OSSL_PARAM_BLD_free(bld);
    }
    free(x);
    free(y);
    return pkey;
}

ss_jwks *ss_jwks_parse(const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    json_t *keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        snprintf(err, errlen, "JWKS: expected an object with a \"keys\" array");
        json_decref(root);
        return NULL;
    }
    ss_jwks *ks = calloc(1, sizeof *ks);
    if (ks)
        ks->keys = calloc(json_array_size(keys) + 1, sizeof(jwk));
    if (!ks || !ks->keys) {
        snprintf(err, errlen, "out of memory");
        free(ks);
        json_decref(root);
        return NULL;
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *kid = json_string_value(json_object_get(k, "kid"));
        if (!kty || !kid || strlen(kid) >= sizeof ks->keys[0].kid)
            continue;
        EVP_PKEY *p = !strcmp(kty, "RSA") ? rsa_from_jwk(k) : !strcmp(kty, "EC") ? ec_from_jwk(k) : NULL;
        if (!p)
            continue;
        jwk *dst = &ks->keys[ks->n++];
        snprintf(dst->kid, sizeof dst->kid, "%s", kid);
        dst->is_ec = !strcmp(kty, "EC");
        dst->pkey = p;
    }
    json_decref(root);
    if (ks->n == 0) {
        snprintf(err, errlen, "JWKS: no usable RSA (>= 2048 bits) or EC P-256 key");
        ss_jwks_free(ks);
        return NULL;
    }
    return ks;
}

void ss_jwks_free(ss_jwks *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++)
        EVP_PKEY_free(ks->keys[i].pkey);
    free(ks->keys);
    free(ks);
}

size_t ss_jwks_count(const ss_jwks *ks)
{
    return ks ? ks->n : 0;
}

static const jwk *find_key(const ss_jwks *ks, const char *kid)
{
    for (size_t i = 0; ks && i < ks->n; i++)
        if (!strcmp(ks->keys[i].kid, kid))
            return &ks->keys[i];
    return NULL;
}

/* ES256 raw r||s -> DER. */
static int ecdsa_raw_to_der(const unsigned char *sig, size_t n, unsigned char **der, size_t *dlen)
{
    if (n != 64)
        return -1;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
    if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
        BN_free(r);
        BN_free(ss);
        ECDSA_SIG_free(s);
        return -1;
    }
    *der = NULL;
    int len = i2d_ECDSA_SIG(s, der);
    ECDSA_SIG_free(s);
    if (len <= 0)
        return -1;
    *dlen = (size_t)len;
    return 0;
}

static bool signature_ok(const jwk *k, const char *input, size_t inlen, const unsigned char *sig,
                         size_t siglen)
{
    unsigned char *der = NULL;
    size_t derlen = 0;
    if (k->is_ec) {
        if (ecdsa_raw_to_der(sig, siglen, &der, &derlen) != 0)
            return false;
        sig = der;
        siglen = derlen;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
              EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input, inlen) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok;
}

static json_t *decode_part(const char *s, size_t len)
{
    unsigned char *raw;
    size_t n;
    if (b64url_decode(s, len, &raw, &n) != 0)
        return NULL;
    json_t *j = json_loadb((const char *)raw, n, 0, NULL);
    free(raw);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* RFC 7515 §4.1.11: a "crit" header lists extensions the verifier must
 * understand. This verifier implements none, so any "crit" is refused. */
static bool header_crit_ok(const json_t *hdr)
{
    return json_object_get(hdr, "crit") == NULL;
}

/* Why a NumericDate claim (exp, nbf) is absurd, or NULL when it is sane: it
 * must be a non-negative integer no further than SS_JWT_MAX_HORIZON_S from
 * now (1e300, 1.5, -1 and year 3000 are refused before any comparison). */
static const char *numeric_date_defect(const json_t *v, long now)
{
    if (!json_is_integer(v))
        return "is not an integer NumericDate";
    json_int_t t = json_integer_value(v);
    if (t < 0)
        return "is negative";
    if (t > (json_int_t)now + SS_JWT_MAX_HORIZON_S)
        return "is beyond the accepted horizon";
    return NULL;
}

/* The time claims: a sane exp (required) and nbf (optional), then the
 * window with leeway. */
static ss_jwt_result check_times(const json_t *payload, const ss_jwt_expect *ex, char *err, size_t errlen)
{
    const json_t *exp = json_object_get(payload, "exp"), *nbf = json_object_get(payload, "nbf");
    if (!exp) {
        snprintf(err, errlen, "token has no exp");
        return SS_JWT_MALFORMED;
    }
    const char *defect = numeric_date_defect(exp, ex->now);
    if (defect) {
        snprintf(err, errlen, "exp %s", defect);
        return SS_JWT_MALFORMED;
    }
    defect = nbf ? numeric_date_defect(nbf, ex->now) : NULL;
    if (defect) {
        snprintf(err, errlen, "nbf %s", defect);
        return SS_JWT_MALFORMED;
    }
    if (json_integer_value(exp) + ex->leeway_s < ex->now) {
        snprintf(err, errlen, "token expired");
        return SS_JWT_EXPIRED;
    }
    if (nbf && json_integer_value(nbf) - ex->leeway_s > ex->now) {
        snprintf(err, errlen, "token not valid yet (nbf)");
        return SS_JWT_NOT_YET_VALID;
    }
    return SS_JWT_OK;
}

static bool audience_ok(const json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), want);
    size_t i;
    json_t *a;
    json_array_foreach(aud, i, a) if (json_is_string(a) && !strcmp(json_string_value(a), want)) return true;
    return false;
}

ss_jwt_result ss_jwt_verify(const ss_jwks *ks, const char *token, const ss_jwt_expect *ex,
                            json_t **claims, char *kid, size_t kidcap, char *err, size_t errlen)
{
    *claims = NULL;
    if (kid && kidcap)
        kid[0] = '\0';
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || strlen(token) > 16384) {
        snprintf(err, errlen, "not a JWS compact token");
        return SS_JWT_MALFORMED;
    }
    json_t *hdr = decode_part(token, (size_t)(d1 - token));
    if (!hdr) {
        snprintf(err, errlen, "malformed JWT header");
        return SS_JWT_MALFORMED;
    }
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *hkid = json_string_value(json_object_get(hdr, "kid"));
    if (kid && hkid)
        snprintf(kid, kidcap, "%s", hkid);
    ss_jwt_result res = SS_JWT_OK;
    if (!header_crit_ok(hdr)) {
        snprintf(err, errlen, "JWT header lists critical extensions (crit) this verifier does not implement");
        res = SS_JWT_MALFORMED;
        goto out;
    }
    bool want_ec = alg && !strcmp(alg, "ES256");
    if (!alg || (strcmp(alg, "RS256") != 0 && !want_ec)) {
        snprintf(err, errlen, "algorithm %s is not accepted (RS256 or ES256 only)", alg ? alg : "(none)");
        res = SS_JWT_BAD_ALG;
        goto out;
    }
    const jwk *k = hkid ? find_key(ks, hkid) : NULL;
    if (!k) {
        snprintf(err, errlen, "unknown signing key id %s", hkid ? hkid : "(none)");
        res = SS_JWT_UNKNOWN_KID;
        goto out;
    }
    if (k->is_ec != want_ec) {
        snprintf(err, errlen, "key %s does not match algorithm %s", hkid, alg);
        res = SS_JWT_BAD_ALG;
        goto out;
    }
    unsigned char *sig;
    size_t siglen;
    if (b64url_decode(d2 + 1, strlen(d2 + 1), &sig, &siglen) != 0) {
        snprintf(err, errlen, "malformed JWT signature");
        res = SS_JWT_MALFORMED;
        goto out;
    }
    bool sig_ok = signature_ok(k, token, (size_t)(d2 - token), sig, siglen);
    free(sig);
    if (!sig_ok) {
        snprintf(err, errlen, "signature does not verify");
        res = SS_JWT_BAD_SIGNATURE;
        goto out;
    }
    json_t *payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!payload) {
        snprintf(err, errlen, "malformed JWT payload");
        res = SS_JWT_MALFORMED;
        goto out;
    }
    const char *iss = json_string_value(json_object_get(payload, "iss"));
    res = check_times(payload, ex, err, errlen);
    if (res == SS_JWT_OK && (!iss || !ex->issuer || strcmp(iss, ex->issuer) != 0)) {
        snprintf(err, errlen, "issuer %s is not trusted", iss ? iss : "(none)");
        res = SS_JWT_BAD_ISSUER;
    } else if (res == SS_JWT_OK && ex->audience && *ex->audience && !audience_ok(json_object_get(payload, "aud"), ex->audience)) {
        snprintf(err, errlen, "audience does not include %s", ex->audience);
        res = SS_JWT_BAD_AUDIENCE;
    }
    if (res == SS_JWT_OK)
        *claims = payload;
    else
        json_decref(payload);
out:
    json_decref(hdr);
    return res;
}

int ss_jwt_sign_rs256(EVP_PKEY *key, const char *kid, const json_t *claims, char **out)
{
    json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "RS256", "typ", "JWT", "kid", kid);
    char *h = json_dumps(hdr, JSON_COMPACT), *p = json_dumps(claims, JSON_COMPACT);
    json_decref(hdr);
    char *hb = h ? b64url_encode((unsigned char *)h, strlen(h)) : NULL;
    char *pb = p ? b64url_encode((unsigned char *)p, strlen(p)) : NULL;
    free(h);
    free(p);
    int rc = -1;
    size_t inlen = hb && pb ? strlen(hb) + 1 + strlen(pb) : 0;
    char *input = inlen ? malloc(inlen + 1) : NULL;
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (input && md) {
        snprintf(input, inlen + 1, "%s.%s", hb, pb);
        if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
            EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, inlen) == 1) {
            char *sb = b64url_encode(sig, siglen);
            *out = sb ? malloc(inlen + strlen(sb) + 2) : NULL;
            if (*out) {
                sprintf(*out, "%s.%s", input, sb);
                rc = 0;
            }
            free(sb);
        }
    }
    EVP_MD_CTX_free(md);
    free(input);
    free(hb);
    free(pb);
    return rc;
}

json_t *ss_jwks_from_rsa_key(EVP_PKEY *key, const char *kid)
{
    BIGNUM *n = NULL, *e = NULL;
    json_t *out = NULL;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
        unsigned char nb[1024], eb[16];
        int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
        char *ns = b64url_encode(nb, (size_t)nl), *es = b64url_encode(eb, (size_t)el);
        if (ns && es)
            out = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s,s:s}]}", "keys", "kty", "RSA", "kid", kid, "use",
                            "sig", "alg", "RS256", "n", ns, "e", es);
        free(ns);
        free(es);
    }
    BN_free(n);
    BN_free(e);
    return out;
}
