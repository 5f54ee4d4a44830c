/* `scaispeak token`: the development issuer. Mints RS256 JWTs shaped like
 * ScaiKey's, with a local key pair, so the JWT path can be used and tested
 * without ScaiKey.
 *
 *   scaispeak token --user UID --tenant TID [--role R] [--scope "p1 p2"] [--ttl S] [--name N]
 *   scaispeak token --jwks          print the JWKS to give the gateway (jwks_path)
 *
 * The private key lives at jwt_dev_key_path (created, mode 600, on first use:
 * RSA 2048). Its kid is derived from the public key, so a new key gets a new
 * kid. The issuer is jwt_issuer; aud is jwt_audience when set. */
#include "cli/cli.h"

#include "common/config.h"
#include "common/jwt.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static EVP_PKEY *load_or_create_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f) {
        EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        if (!k)
            fprintf(stderr, "scaispeak token: %s is not a PEM private key\n", path);
        return k;
    }
    EVP_PKEY *k = EVP_RSA_gen(2048);
    int fd = k ? open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) : -1;
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out || !PEM_write_PrivateKey(out, k, NULL, NULL, 0, NULL, NULL)) {
        fprintf(stderr, "scaispeak token: cannot create %s\n", path);
        if (out)
            fclose(out);
        else if (fd >= 0)
            close(fd);
        EVP_PKEY_free(k);
        return NULL;
    }
    fclose(out);
    return k;
}

static void key_id(EVP_PKEY *k, char *kid, size_t cap)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(der, n > 0 ? (size_t)n : 0, d);
    OPENSSL_free(der);
    snprintf(kid, cap, "dev-%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3], d[4], d[5]);
}

static const char *arg(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

int ss_cli_token(int argc, char **argv)
{
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak", SS_SCOPE_CLI, &rc);
    if (!settings)
        return rc;
    bool jwks = false;
    for (int i = 1; i < argc; i++)
        jwks = jwks || !strcmp(argv[i], "--jwks");
    const char *user = arg(argc, argv, "--user"), *tenant = arg(argc, argv, "--tenant");
    if (!jwks && (!user || !tenant)) {
        fprintf(stderr, "usage: scaispeak token --user UID --tenant TID [--role R] [--scope \"...\"] "
                        "[--ttl SECONDS] [--name N]\n       scaispeak token --jwks\n");
        ss_config_free(settings);
        return 2;
    }
    EVP_PKEY *key = load_or_create_key(settings->jwt_dev_key_path);
    rc = 1;
    if (key) {
        char kid[32];
        key_id(key, kid, sizeof kid);
        if (jwks) {
            json_t *set = ss_jwks_from_rsa_key(key, kid);
            char *s = set ? json_dumps(set, JSON_INDENT(2)) : NULL;
            if (s) {
                printf("%s\n", s);
                rc = 0;
            }
            free(s);
            json_decref(set);
        } else {
            const char *ttl_s = arg(argc, argv, "--ttl"), *role = arg(argc, argv, "--role");
            const char *scope = arg(argc, argv, "--scope"), *name = arg(argc, argv, "--name");
            long ttl = ttl_s ? strtol(ttl_s, NULL, 10) : 3600;
            long now = (long)time(NULL);
            const char *aud = settings->jwt_audience;
            json_t *claims = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "iss",
                                       settings->jwt_issuer, "sub", user, "tenant_id",
                                       tenant, "role", role ? role : "tenant_user", "iat",
                                       (json_int_t)now, "nbf", (json_int_t)now, "exp",
                                       (json_int_t)(now + ttl));
            if (scope)
                json_object_set_new(claims, "scope", json_string(scope));
            if (name)
                json_object_set_new(claims, "name", json_string(name));
            if (*aud)
                json_object_set_new(claims, "aud", json_string(aud));
            char *tok = NULL;
            if (claims && ss_jwt_sign_rs256(key, kid, claims, &tok) == 0) {
                printf("%s\n", tok);
                rc = 0;
            }
            free(tok);
            json_decref(claims);
        }
        EVP_PKEY_free(key);
    }
    ss_config_free(settings);
    return rc;
}
