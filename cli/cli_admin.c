/* `scaispeak admin ...`: provisioning from a shell, straight into Redis with
 * the same Lua scripts the gateway uses (identity_store.c).
 *
 *   admin create-tenant --name NAME                      prints the tenant id
 *   admin create-user --tenant TID --role ROLE [--name N] [--grant PERM,...]
 *                                                        prints the user id
 *   admin create-key --user UID [--name N]               prints the key (once) and its id
 *   admin revoke-key --key-id KID
 *   admin seed-dev --key-file PATH                       tenant "dev", a tenant_admin and a
 *       key written to PATH (mode 600); reuses the key in PATH while it is valid.
 *       `make run` uses it to print a development key. */
#include "cli/cli.h"
#include "gateway/identity_store.h"
#include "gateway/permissions.h"

#include "common/api_keys.h"
#include "common/config.h"
#include "common/ids.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *arg(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

static void now_iso(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs an EVAL; returns the reply or NULL after printing the error. */
static redisReply *eval(redisContext *rc, const char *script, const char **args, int nargs)
{
    const char *argv[16] = {"EVAL", script, "0"};
    for (int i = 0; i < nargs && i < 13; i++)
        argv[3 + i] = args[i];
    redisReply *r = redisCommandArgv(rc, 3 + nargs, argv, NULL);
    if (!r) {
        fprintf(stderr, "scaispeak admin: redis: %s\n", rc->errstr);
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "scaispeak admin: %s\n", r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static int create_tenant(redisContext *rc, const char *name, char *id, size_t cap)
{
    char at[32];
    now_iso(at, sizeof at);
    if (ss_id_new("tn_", 16, id, cap) != 0)
        return -1;
    const char *a[] = {id, name, at};
    redisReply *r = eval(rc, IDENTITY_CREATE_TENANT_LUA, a, 3);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

static int create_user(redisContext *rc, const char *tenant, const char *role, const char *name,
                       const char *grants, char *id, size_t cap)
{
    if (ss_role_parse(role) == ROLE_NONE) {
        fprintf(stderr, "scaispeak admin: --role must be super_admin, tenant_admin, tenant_user or "
                        "tenant_viewer\n");
        return -1;
    }
    char at[32];
    now_iso(at, sizeof at);
    if (ss_id_new("usr_", 16, id, cap) != 0)
        return -1;
    const char *a[] = {id, tenant, name, role, grants, at};
    redisReply *r = eval(rc, IDENTITY_CREATE_USER_LUA, a, 6);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

static int create_key(redisContext *rc, const char *user, const char *name, char *key, size_t cap,
                      char *key_id, size_t idcap)
{
    char at[32], hint[16], hash[SS_SHA256_HEX_LEN + 1];
    now_iso(at, sizeof at);
    if (ss_api_key_generate(key, cap) != 0 || ss_id_new("key_", 16, key_id, idcap) != 0)
        return -1;
    snprintf(hint, sizeof hint, "%.12s", key);
    ss_sha256_hex(key, strlen(key), hash);
    const char *a[] = {hash, key_id, user, name, hint, at};
    redisReply *r = eval(rc, IDENTITY_CREATE_KEY_LUA, a, 6);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* True when `key` names a live (known, unrevoked) key. */
static bool key_live(redisContext *rc, const char *key)
{
    char hash[SS_SHA256_HEX_LEN + 1];
    ss_sha256_hex(key, strlen(key), hash);
    const char *a[] = {hash};
    redisReply *r = eval(rc, IDENTITY_LOOKUP_KEY_LUA, a, 1);
    bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 3;
    if (r)
        freeReplyObject(r);
    return ok;
}

static int seed_dev(redisContext *rc, const char *key_file)
{
    char key[SS_API_KEY_LEN + 8] = "";
    FILE *f = fopen(key_file, "r");
    if (f) {
        if (fgets(key, sizeof key, f))
            key[strcspn(key, "\r\n")] = '\0';
        fclose(f);
        if (ss_api_key_well_formed(key) && key_live(rc, key)) {
            printf("%s\n", key);
            return 0;
        }
    }
    /* The dev tenant has a fixed name; reuse it when it exists. */
    char tenant[64] = "";
    redisReply *t = redisCommand(rc, "GET ss:tenant_name:dev");
    if (t && t->type == REDIS_REPLY_STRING)
        snprintf(tenant, sizeof tenant, "%s", t->str);
    if (t)
        freeReplyObject(t);
    if (!*tenant && create_tenant(rc, "dev", tenant, sizeof tenant) != 0)
        return 1;
    char user[64], key_id[40];
    if (create_user(rc, tenant, "tenant_admin", "dev-admin", "", user, sizeof user) != 0 ||
        create_key(rc, user, "make run", key, sizeof key, key_id, sizeof key_id) != 0)
        return 1;
    int fd = open(key_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dprintf(fd, "%s\n", key) < 0) {
        perror(key_file);
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    printf("%s\n", key);
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: scaispeak admin create-tenant --name NAME\n"
            "       scaispeak admin create-user --tenant TID --role ROLE [--name N] [--grant P,...]\n"
            "       scaispeak admin create-key --user UID [--name N]\n"
            "       scaispeak admin revoke-key --key-id KID\n"
            "       scaispeak admin seed-dev --key-file PATH\n"
            "roles: super_admin tenant_admin tenant_user tenant_viewer; permissions:\n"
            "scaispeak:synthesize voice.read voice.write voice.share admin\n");
    return 2;
}

int ss_cli_admin(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak", SS_SCOPE_CLI, &rc);
    if (!settings)
        return rc;
    struct timeval tv = {2, 0};
    redisContext *redis =
        redisConnectWithTimeout(settings->redis_host, (int)settings->redis_port, tv);
    if (!redis || redis->err) {
        fprintf(stderr, "scaispeak admin: cannot reach redis %s:%ld: %s\n",
                settings->redis_host, settings->redis_port,
                redis ? redis->errstr : "out of memory");
        redisFree(redis);
        ss_config_free(settings);
        return 1;
    }
    const char *pw = settings->redis_password;
    if (*pw) {
        redisReply *a = redisCommand(redis, "AUTH %s", pw);
        if (a)
            freeReplyObject(a);
    }
    const char *cmd = argv[1];
    rc = 1;
    if (!strcmp(cmd, "create-tenant")) {
        const char *name = arg(argc, argv, "--name");
        char id[64];
        if (!name)
            rc = usage();
        else if (create_tenant(redis, name, id, sizeof id) == 0) {
            printf("%s\n", id);
            rc = 0;
        }
    } else if (!strcmp(cmd, "create-user")) {
        const char *tenant = arg(argc, argv, "--tenant"), *role = arg(argc, argv, "--role");
        const char *name = arg(argc, argv, "--name"), *grants = arg(argc, argv, "--grant");
        char id[64];
        if (!tenant || !role)
            rc = usage();
        else if (create_user(redis, tenant, role, name ? name : "", grants ? grants : "", id,
                             sizeof id) == 0) {
            printf("%s\n", id);
            rc = 0;
        }
    } else if (!strcmp(cmd, "create-key")) {
        const char *user = arg(argc, argv, "--user"), *name = arg(argc, argv, "--name");
        char key[SS_API_KEY_LEN + 1], key_id[40];
        if (!user)
            rc = usage();
        else if (create_key(redis, user, name ? name : "", key, sizeof key, key_id, sizeof key_id) == 0) {
            printf("%s\n%s\n", key, key_id);
            rc = 0;
        }
    } else if (!strcmp(cmd, "revoke-key")) {
        const char *kid = arg(argc, argv, "--key-id");
        char at[32];
        now_iso(at, sizeof at);
        const char *a[] = {kid, "", at};
        redisReply *r = kid ? eval(redis, IDENTITY_REVOKE_KEY_LUA, a, 3) : NULL;
        if (!kid)
            rc = usage();
        else if (r && r->type == REDIS_REPLY_INTEGER)
            rc = 0;
        else if (r)
            fprintf(stderr, "scaispeak admin: no such key id\n");
        if (r)
            freeReplyObject(r);
    } else if (!strcmp(cmd, "seed-dev")) {
        const char *file = arg(argc, argv, "--key-file");
        rc = file ? seed_dev(redis, file) : usage();
    } else {
        rc = usage();
    }
    redisFree(redis);
    ss_config_free(settings);
    return rc;
}
