/* Which Redis to talk to (see redis_target.h): the settings parsed into an
 * ss_redis_target, and the blocking path — sentinels asked one after the
 * other, the primary connected, authenticated and checked with ROLE — for
 * the callers that may block (the CLI, the gateway's heartbeat threads).
 * The event-loop path is common/redis_sentinel.c + redis_async.c. */
#include "common/redis_target.h"

#include "common/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_one(const char *item, size_t len, ss_redis_address *a, char *err, size_t errlen)
{
    while (len && (*item == ' ' || *item == '\t'))
        item++, len--;
    while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
        len--;
    const char *host = item, *colon;
    size_t hostlen;
    if (len && *item == '[') { /* [v6]:port */
        const char *close = memchr(item, ']', len);
        if (!close || close + 1 >= item + len || close[1] != ':')
            goto bad;
        host = item + 1;
        hostlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = 0; i < len; i++)
            if (item[i] == ':')
                colon = item + i;
        if (!colon)
            goto bad;
        hostlen = (size_t)(colon - item);
    }
    if (hostlen == 0 || hostlen >= sizeof a->host)
        goto bad;
    const char *port = colon + 1;
    size_t portlen = (size_t)(item + len - port);
    if (portlen == 0 || portlen > 5)
        goto bad;
    int p = 0;
    for (size_t i = 0; i < portlen; i++) {
        if (port[i] < '0' || port[i] > '9')
            goto bad;
        p = p * 10 + (port[i] - '0');
    }
    if (p < 1 || p > 65535)
        goto bad;
    memcpy(a->host, host, hostlen);
    a->host[hostlen] = '\0';
    a->port = p;
    return 0;
bad:
    snprintf(err, errlen, "'%.*s' is not host:port", (int)(len > 200 ? 200 : len), item);
    return -1;
}

int ss_redis_parse_addresses(const char *list, ss_redis_address *out, size_t cap, size_t *n,
                             char *err, size_t errlen)
{
    *n = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (*n == cap) {
            snprintf(err, errlen, "more than %zu addresses", cap);
            return -1;
        }
        if (parse_one(p, len, &out[*n], err, errlen) != 0)
            return -1;
        (*n)++;
        p += len + (comma ? 1 : 0);
        if (comma && !*p) {
            snprintf(err, errlen, "a trailing comma");
            return -1;
        }
    }
    return 0;
}

int ss_redis_target_from_settings(ss_redis_target *t, const ss_settings *s, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    snprintf(t->direct.host, sizeof t->direct.host, "%s", s->redis_host);
    t->direct.port = (int)s->redis_port;
    snprintf(t->password, sizeof t->password, "%s", s->redis_password);
    snprintf(t->master_name, sizeof t->master_name, "%s", s->redis_master_name);
    snprintf(t->sentinel_password, sizeof t->sentinel_password, "%s", s->redis_sentinel_password);
    char why[300];
    if (ss_redis_parse_addresses(s->redis_sentinels, t->sentinels, SS_REDIS_MAX_SENTINELS,
                                 &t->nsentinels, why, sizeof why) != 0) {
        snprintf(err, errlen, "redis_sentinels: %s", why);
        return -1;
    }
    t->wait_replicas = t->nsentinels ? (int)s->redis_wait_replicas : 0;
    t->wait_timeout_ms = (int)s->redis_wait_timeout_ms;
    return 0;
}

void ss_redis_target_describe(const ss_redis_target *t, char *out, size_t cap)
{
    if (t->nsentinels)
        snprintf(out, cap, "sentinel master %s (%zu sentinels)", t->master_name, t->nsentinels);
    else
        snprintf(out, cap, "%s:%d", t->direct.host, t->direct.port);
}

bool ss_redis_error_wants_new_primary(const char *err)
{
    return err && (!strncmp(err, "READONLY", 8) || !strncmp(err, "MASTERDOWN", 10) ||
                   !strncmp(err, "LOADING", 7));
}

static redisContext *connect_to(const char *host, int port, int timeout_ms, char *err, size_t errlen)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "%s:%d: %s", host, port, c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

/* AUTH when a password is set; 0, or -1 with err. */
static int authenticate(redisContext *c, const char *password, const char *what, char *err, size_t errlen)
{
    if (!password[0])
        return 0;
    const char *argv[] = {"AUTH", password};
    redisReply *r = redisCommandArgv(c, 2, argv, NULL);
    int rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "%s AUTH: %s", what, r ? r->str : c->errstr);
    freeReplyObject(r);
    return rc;
}

/* One sentinel's answer for the master: 0 and *out, or -1 with err. */
static int ask_sentinel(const ss_redis_target *t, const ss_redis_address *s, int timeout_ms,
                        ss_redis_address *out, char *err, size_t errlen)
{
    redisContext *c = connect_to(s->host, s->port, timeout_ms, err, errlen);
    if (!c)
        return -1;
    int rc = -1;
    if (authenticate(c, t->sentinel_password, "sentinel", err, errlen) == 0) {
        const char *argv[] = {"SENTINEL", "get-master-addr-by-name", t->master_name};
        redisReply *r = redisCommandArgv(c, 3, argv, NULL);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
            r->element[0]->len < sizeof out->host) {
            snprintf(out->host, sizeof out->host, "%s", r->element[0]->str);
            out->port = atoi(r->element[1]->str);
            rc = out->port > 0 ? 0 : -1;
        }
        if (rc)
            snprintf(err, errlen, "sentinel %s:%d: %s", s->host, s->port,
                     !r                             ? c->errstr
                     : r->type == REDIS_REPLY_ERROR ? r->str
                     : r->type == REDIS_REPLY_NIL   ? "does not know this master"
                                                    : "unexpected answer");
        freeReplyObject(r);
    }
    redisFree(c);
    return rc;
}

/* With Sentinel: is c the primary? 0, or -1 with err. */
static int check_role(redisContext *c, char *err, size_t errlen)
{
    const char *argv[] = {"ROLE"};
    redisReply *r = redisCommandArgv(c, 1, argv, NULL);
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
             r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "master");
    if (!ok)
        snprintf(err, errlen, "the address the sentinels gave is not the primary (ROLE: %s)",
                 !r ? c->errstr
                 : r->type == REDIS_REPLY_ARRAY && r->elements && r->element[0]->str
                     ? r->element[0]->str
                     : "unexpected answer");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

redisContext *ss_redis_target_connect_sync(const ss_redis_target *t, int timeout_ms, char *err, size_t errlen)
{
    ss_redis_address primary = t->direct;
    if (t->nsentinels) {
        char last[512] = "";
        size_t i = 0;
        for (; i < t->nsentinels; i++)
            if (ask_sentinel(t, &t->sentinels[i], timeout_ms, &primary, last, sizeof last) == 0)
                break;
        if (i == t->nsentinels) {
            snprintf(err, errlen, "no sentinel named the primary '%s' (last: %s)", t->master_name, last);
            return NULL;
        }
    }
    redisContext *c = connect_to(primary.host, primary.port, timeout_ms, err, errlen);
    if (!c)
        return NULL;
    if (authenticate(c, t->password, "redis", err, errlen) != 0 ||
        (t->nsentinels && check_role(c, err, errlen) != 0)) {
        redisFree(c);
        return NULL;
    }
    return c;
}

int ss_redis_target_wait_sync(redisContext *c, const ss_redis_target *t, char *err, size_t errlen)
{
    if (t->wait_replicas <= 0)
        return 0;
    char n[16], ms[16];
    snprintf(n, sizeof n, "%d", t->wait_replicas);
    snprintf(ms, sizeof ms, "%d", t->wait_timeout_ms);
    const char *argv[] = {"WAIT", n, ms};
    redisReply *r = redisCommandArgv(c, 3, argv, NULL);
    int rc = r && r->type == REDIS_REPLY_INTEGER && r->integer >= t->wait_replicas ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "the write reached %lld of %d replicas within %d ms (WAIT)",
                 r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0LL, t->wait_replicas,
                 t->wait_timeout_ms);
    freeReplyObject(r);
    return rc;
}
