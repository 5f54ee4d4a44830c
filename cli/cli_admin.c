/* `scaispeak admin ...`: provisioning from a shell, straight into Redis with
 * the same Lua scripts the gateway uses (identity_store.c).
 *
 *   admin create-tenant --name NAME                      prints the tenant id
 *   admin create-user --tenant TID --role ROLE [--name N] [--grant PERM,...]
 *                                                        prints the user id
 *   admin create-key --user UID [--name N]               prints the key (once) and its id
 *   admin revoke-key --key-id KID                        says what it did (revoked, or already)
 *   admin seed-dev --key-file PATH                       tenant "dev", a tenant_admin and a
 *       key written to PATH (mode 600); reuses the key in PATH while it is valid.
 *       `make run` uses it to print a development key.
 *
 * Redis is found the way the gateway finds it (common/redis_target.h: one
 * address, or the primary the sentinels name). With Sentinel, a command
 * that wrote exits 0 only after WAIT has seen its writes on
 * redis_wait_replicas replicas (one WAIT at the end covers every write the
 * connection made); otherwise it says so and exits 1. */
#include "cli/cli.h"
#include "gateway/identity_store.h"
#include "gateway/permissions.h"
#include "gateway/state_keys.h"

#include "common/api_keys.h"
#include "common/config.h"
#include "common/ids.h"
#include "common/redis_target.h"

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

/* Runs a script (EVAL: a one-shot command gains nothing from EVALSHA) with
 * its keys (built with gw_state_key) and args; returns the reply or NULL
 * after printing the error. */
static redisReply *eval(redisContext *rc, const ss_redis_script *script, const char **keys, int nkeys,
                        const char **args, int nargs)
{
    char numkeys[8];
    snprintf(numkeys, sizeof numkeys, "%d", nkeys);
    const char *argv[20] = {"EVAL", script->body, numkeys};
    int argc = 3;
    for (int i = 0; i < nkeys && argc < 20; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < nargs && argc < 20; i++)
        argv[argc++] = args[i];
    redisReply *r = redisCommandArgv(rc, argc, argv, NULL);
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
    char k_name[GW_STATE_KEY_MAX], k_tenant[GW_STATE_KEY_MAX], k_all[GW_STATE_KEY_MAX];
    if (gw_state_key(k_name, sizeof k_name, GW_KEY_TENANT_NAME, name, NULL) != 0 ||
        gw_state_key(k_tenant, sizeof k_tenant, GW_KEY_TENANT, id, NULL) != 0 ||
        gw_state_key(k_all, sizeof k_all, GW_KEY_TENANTS, NULL, NULL) != 0) {
        fprintf(stderr, "scaispeak admin: the tenant name is too long\n");
        return -1;
    }
    const char *k[] = {k_name, k_tenant, k_all};
    const char *a[] = {id, name, at};
    redisReply *r = eval(rc, &IDENTITY_CREATE_TENANT, k, 3, a, 3);
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
    char k_tenant[GW_STATE_KEY_MAX], k_user[GW_STATE_KEY_MAX], k_users[GW_STATE_KEY_MAX];
    if (gw_state_key(k_tenant, sizeof k_tenant, GW_KEY_TENANT, tenant, NULL) != 0 ||
        gw_state_key(k_user, sizeof k_user, GW_KEY_USER, id, NULL) != 0 ||
        gw_state_key(k_users, sizeof k_users, GW_KEY_TENANT_USERS, tenant, NULL) != 0) {
        fprintf(stderr, "scaispeak admin: no such tenant\n");
        return -1;
    }
    const char *k[] = {k_tenant, k_user, k_users};
    const char *a[] = {id, tenant, name, role, grants, at};
    redisReply *r = eval(rc, &IDENTITY_CREATE_USER, k, 3, a, 6);
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
    char k_user[GW_STATE_KEY_MAX], k_key[GW_STATE_KEY_MAX], k_id[GW_STATE_KEY_MAX], k_list[GW_STATE_KEY_MAX];
    if (gw_state_key(k_user, sizeof k_user, GW_KEY_USER, user, NULL) != 0 ||
        gw_state_key(k_key, sizeof k_key, GW_KEY_APIKEY, hash, NULL) != 0 ||
        gw_state_key(k_id, sizeof k_id, GW_KEY_APIKEY_ID, key_id, NULL) != 0 ||
        gw_state_key(k_list, sizeof k_list, GW_KEY_USER_APIKEYS, user, NULL) != 0) {
        fprintf(stderr, "scaispeak admin: no such user\n");
        return -1;
    }
    const char *k[] = {k_user, k_key, k_id, k_list};
    const char *a[] = {hash, key_id, user, name, hint, at};
    redisReply *r = eval(rc, &IDENTITY_CREATE_KEY, k, 4, a, 6);
    if (!r)
        return -1;
    bool made = r->type == REDIS_REPLY_STRING; /* nil: no such user */
    freeReplyObject(r);
    if (!made) {
        fprintf(stderr, "scaispeak admin: no such user\n");
        return -1;
    }
    return 0;
}

/* True when `key` names a live key: known, unrevoked, its user still there. */
static bool key_live(redisContext *rc, const char *key)
{
    char hash[SS_SHA256_HEX_LEN + 1], k_key[GW_STATE_KEY_MAX], k_user[GW_STATE_KEY_MAX];
    ss_sha256_hex(key, strlen(key), hash);
    gw_state_key(k_key, sizeof k_key, GW_KEY_APIKEY, hash, NULL);
    const char *argv[] = {"HGETALL", k_key};
    redisReply *r = redisCommandArgv(rc, 2, argv, NULL);
    bool ok = r && identity_key_record_state(r) == IDENTITY_KEY_LIVE;
    json_t *rec = ok ? identity_hash_to_json(r) : NULL;
    if (r)
        freeReplyObject(r);
    const char *uid = json_string_value(json_object_get(rec, "user_id"));
    ok = ok && uid && gw_state_key(k_user, sizeof k_user, GW_KEY_USER, uid, NULL) == 0;
    json_decref(rec);
    if (!ok)
        return false;
    const char *exists[] = {"EXISTS", k_user};
    r = redisCommandArgv(rc, 2, exists, NULL);
    ok = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    if (r)
        freeReplyObject(r);
    return ok;
}

/* Revokes a key by id: its digest (GET), then the script over both keys, and
 * says what it did on stdout (revoked now, or already revoked and when).
 * Returns 0, 1 when there is no such key, -1 after printing a Redis error. */
static int revoke_key(redisContext *rc, const char *kid, const char *at)
{
    char k_id[GW_STATE_KEY_MAX], k_key[GW_STATE_KEY_MAX];
    if (gw_state_key(k_id, sizeof k_id, GW_KEY_APIKEY_ID, kid, NULL) != 0)
        return 1;
    const char *argv[] = {"GET", k_id};
    redisReply *d = redisCommandArgv(rc, 2, argv, NULL);
    if (!d) {
        fprintf(stderr, "scaispeak admin: redis: %s\n", rc->errstr);
        return -1;
    }
    int found = d->type == REDIS_REPLY_STRING &&
                gw_state_key(k_key, sizeof k_key, GW_KEY_APIKEY, d->str, NULL) == 0;
    char hash[SS_SHA256_HEX_LEN + 1] = "";
    if (found)
        snprintf(hash, sizeof hash, "%s", d->str);
    freeReplyObject(d);
    if (!found)
        return 1;
    const char *hget[] = {"HGET", k_key, "revoked_at"};
    redisReply *was = redisCommandArgv(rc, 3, hget, NULL);
    if (!was) {
        fprintf(stderr, "scaispeak admin: redis: %s\n", rc->errstr);
        return -1;
    }
    if (was->type == REDIS_REPLY_STRING) {
        printf("key %s was already revoked at %s: nothing changed\n", kid, was->str);
        freeReplyObject(was);
        return 0;
    }
    freeReplyObject(was);
    const char *k[] = {k_id, k_key};
    const char *a[] = {hash, "", at};
    redisReply *r = eval(rc, &IDENTITY_REVOKE_KEY, k, 2, a, 3);
    if (!r)
        return -1;
    int rc2 = r->type == REDIS_REPLY_INTEGER ? 0 : 1;
    freeReplyObject(r);
    if (rc2 == 0)
        printf("revoked key %s at %s: requests with it now answer 401\n", kid, at);
    return rc2;
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
    char k_dev[GW_STATE_KEY_MAX];
    gw_state_key(k_dev, sizeof k_dev, GW_KEY_TENANT_NAME, "dev", NULL);
    const char *get_dev[] = {"GET", k_dev};
    redisReply *t = redisCommandArgv(rc, 2, get_dev, NULL);
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

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: scaispeak admin create-tenant --name NAME\n"
            "       scaispeak admin create-user --tenant TID --role ROLE [--name N] [--grant P,...]\n"
            "       scaispeak admin create-key --user UID [--name N]\n"
            "       scaispeak admin revoke-key --key-id KID\n"
            "       scaispeak admin seed-dev --key-file PATH\n"
            "roles: super_admin tenant_admin tenant_user tenant_viewer; permissions:\n"
            "scaispeak:synthesize voice.read voice.write voice.share admin\n"
            "Redis: redis_host, redis_port, redis_password (SCAISPEAK_REDIS_*); with no\n"
            "password set and a Redis asking for one, make run's var/redis_password (under\n"
            "the current directory: run it where make run ran) is used.\n");
}

static int usage(void)
{
    print_usage(stderr);
    return 2;
}

static int cmd_create_tenant(redisContext *redis, int argc, char **argv)
{
    const char *name = arg(argc, argv, "--name");
    char id[64];
    if (!name)
        return usage();
    if (create_tenant(redis, name, id, sizeof id) != 0)
        return 1;
    printf("%s\n", id);
    return 0;
}

static int cmd_create_user(redisContext *redis, int argc, char **argv)
{
    const char *tenant = arg(argc, argv, "--tenant"), *role = arg(argc, argv, "--role");
    const char *name = arg(argc, argv, "--name"), *grants = arg(argc, argv, "--grant");
    char id[64];
    if (!tenant || !role)
        return usage();
    if (create_user(redis, tenant, role, name ? name : "", grants ? grants : "", id, sizeof id) != 0)
        return 1;
    printf("%s\n", id);
    return 0;
}

static int cmd_create_key(redisContext *redis, int argc, char **argv)
{
    const char *user = arg(argc, argv, "--user"), *name = arg(argc, argv, "--name");
    char key[SS_API_KEY_LEN + 1], key_id[40];
    if (!user)
        return usage();
    if (create_key(redis, user, name ? name : "", key, sizeof key, key_id, sizeof key_id) != 0)
        return 1;
    printf("%s\n%s\n", key, key_id);
    return 0;
}

static int cmd_revoke_key(redisContext *redis, int argc, char **argv)
{
    const char *kid = arg(argc, argv, "--key-id");
    if (!kid)
        return usage();
    char at[32];
    now_iso(at, sizeof at);
    int res = revoke_key(redis, kid, at);
    if (res == 1)
        fprintf(stderr, "scaispeak admin: no such key id: %s (nothing revoked)\n", kid);
    return res == 0 ? 0 : 1;
}

static int cmd_seed_dev(redisContext *redis, int argc, char **argv)
{
    const char *file = arg(argc, argv, "--key-file");
    return file ? seed_dev(redis, file) : usage();
}

typedef struct {
    const char *name;
    int (*run)(redisContext *redis, int argc, char **argv);
} admin_command;

static const admin_command COMMANDS[] = {
    {"create-tenant", cmd_create_tenant}, {"create-user", cmd_create_user},
    {"create-key", cmd_create_key},       {"revoke-key", cmd_revoke_key},
    {"seed-dev", cmd_seed_dev},
};

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help"))
            return true;
    return false;
}

/* make run's Redis password, read from var/redis_password under the current
 * directory (the repository root, where `make run` ran). 0, or -1 when there
 * is no such file. */
static int read_make_run_password(char *out, size_t cap)
{
    FILE *f = fopen("var/redis_password", "r");
    if (!f)
        return -1;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return ok && *out ? 0 : -1;
}

static int redis_auth(redisContext *redis, const char *pw, const char *from)
{
    redisReply *a = redisCommand(redis, "AUTH %s", pw);
    if (!a) {
        fprintf(stderr, "scaispeak admin: redis: %s\n", redis->errstr);
        return -1;
    }
    int rc = 0;
    if (a->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "scaispeak admin: redis refused the password from %s: %s\n", from, a->str);
        rc = -1;
    }
    freeReplyObject(a);
    return rc;
}

/* True when the server wants a password this session has not given. */
static bool redis_wants_auth(redisContext *redis)
{
    redisReply *p = redisCommand(redis, "PING");
    bool wants = p && p->type == REDIS_REPLY_ERROR && !strncmp(p->str, "NOAUTH", 6);
    if (p)
        freeReplyObject(p);
    return wants;
}

/* AUTH with the configured password; with none configured and a server that
 * asks for one, make run's from var/ (so `scaispeak admin` works in the
 * shell next to `make run` without exporting anything). A refused password
 * is an error, not a silent unauthenticated session; so is a server that
 * asks for a password nobody gave. 0 or -1 after printing why. */
static int redis_authenticate(redisContext *redis, const ss_settings *settings)
{
    if (*settings->redis_password)
        return redis_auth(redis, settings->redis_password, "redis_password");
    if (!redis_wants_auth(redis))
        return 0;
    char saved[256];
    if (read_make_run_password(saved, sizeof saved) == 0)
        return redis_auth(redis, saved, "var/redis_password (make run's)");
    fprintf(stderr, "scaispeak admin: Redis asks for a password and none is set: set redis_password "
                    "(SCAISPEAK_REDIS_PASSWORD), or run this where make run ran (it reads "
                    "var/redis_password there)\n");
    return -1;
}

int ss_cli_admin(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        print_usage(stdout);
        return 0;
    }
    if (argc < 2)
        return usage();
    const admin_command *cmd = NULL;
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0] && !cmd; i++)
        if (!strcmp(argv[1], COMMANDS[i].name))
            cmd = &COMMANDS[i];
    if (!cmd) {
        fprintf(stderr, "scaispeak admin: unknown command '%s'\n", argv[1]);
        return usage();
    }
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak", SS_SCOPE_CLI, &rc);
    if (!settings)
        return rc;
    ss_redis_target target;
    char why[400], where[400];
    if (ss_redis_target_from_settings(&target, settings, why, sizeof why) != 0) {
        fprintf(stderr, "scaispeak admin: %s\n", why);
        ss_config_free(settings);
        return 2;
    }
    ss_redis_target_describe(&target, where, sizeof where);
    /* Without Sentinel, redis_authenticate() below authenticates (and says
     * which password Redis refused); with it, ROLE needs AUTH first. */
    ss_redis_target connect_as = target;
    if (!target.nsentinels)
        connect_as.password[0] = '\0';
    redisContext *redis = ss_redis_target_connect_sync(&connect_as, 2000, why, sizeof why);
    if (!redis) {
        fprintf(stderr, "scaispeak admin: cannot reach redis %s (%s): is `make run` running? "
                        "set SCAISPEAK_REDIS_PORT for another port\n",
                where, why);
        ss_config_free(settings);
        return 1;
    }
    rc = redis_authenticate(redis, settings) == 0 ? cmd->run(redis, argc, argv) : 1;
    if (rc == 0 && ss_redis_target_wait_sync(redis, &target, why, sizeof why) != 0) {
        fprintf(stderr, "scaispeak admin: written, but not confirmed on a replica: %s\n", why);
        rc = 1;
    }
    redisFree(redis);
    ss_config_free(settings);
    return rc;
}
