/* Deleting jobs past their retention (see job_sweeper.h). One id at a time,
 * in three steps: read the record, delete the objects on the pool, forget
 * the record. */
#include "worker/job_sweeper.h"

#include "gateway/job_store.h"
#include "gateway/state_keys.h"

#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"
#include "common/wall_clock.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH "100"

struct job_sweeper {
    gw_server *gw;
    struct event *timer;
    char expiry[GW_STATE_KEY_MAX];
    char **ids;          /* the batch being swept */
    size_t nids, next;
    bool busy;
    /* the id being swept */
    char job_key[GW_STATE_KEY_MAX];
    char id[JOB_ID_MAX + 1];
    char format[16];
    long attempts;
    long deleted;
};

static void sweep_next(job_sweeper *s);

static void batch_free(job_sweeper *s)
{
    for (size_t i = 0; i < s->nids; i++)
        free(s->ids[i]);
    free(s->ids);
    s->ids = NULL;
    s->nids = s->next = 0;
    s->busy = false;
}

static void on_forgotten(void *user, const redisReply *reply, const char *err)
{
    job_sweeper *s = user;
    (void)reply;
    if (err)
        ss_warn(NULL, "job sweeper: %s not forgotten: %s", s->id, err);
    else
        ss_info(NULL, "job sweeper: job %s deleted (%ld object(s))", s->id, s->deleted);
    sweep_next(s);
}

static void delete_objects(void *arg)
{
    job_sweeper *s = arg;
    s->deleted = 0;
    for (long a = 1; a <= s->attempts; a++) {
        char key[SS_OBJECT_KEY_MAX + 1], err[256];
        if (job_audio_key(key, sizeof key, s->id, a, s->format) != 0)
            continue;
        ss_object_status st = ss_object_delete(s->gw->objects, key, err, sizeof err);
        if (st == SS_OBJECT_OK)
            s->deleted++;
        else if (st != SS_OBJECT_NOT_FOUND)
            ss_warn(NULL, "job sweeper: %s", err);
    }
}

static void objects_deleted(void *arg)
{
    job_sweeper *s = arg;
    char expiry[GW_STATE_KEY_MAX];
    gw_state_key(expiry, sizeof expiry, GW_KEY_JOBS_EXPIRY, NULL, NULL);
    const char *keys[] = {s->job_key, expiry};
    const char *args[] = {s->id};
    if (ss_redis_eval(s->gw->redis, &JOB_FORGET, 2, keys, 1, args, on_forgotten, s) != 0)
        batch_free(s);
}

static void on_record(void *user, const redisReply *reply, const char *err)
{
    job_sweeper *s = user;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        batch_free(s);
        return;
    }
    const redisReply *attempts = reply->element[0], *fmt = reply->element[1], *params = reply->element[2];
    s->attempts = attempts->type == REDIS_REPLY_STRING ? atol(attempts->str) : 0;
    s->format[0] = '\0';
    if (fmt->type == REDIS_REPLY_STRING) {
        snprintf(s->format, sizeof s->format, "%s", fmt->str);
    } else if (params->type == REDIS_REPLY_STRING) {
        json_t *p = json_loads(params->str, 0, NULL);
        const char *f = json_string_value(json_object_get(p, "response_format"));
        snprintf(s->format, sizeof s->format, "%s", f ? f : "");
        json_decref(p);
    }
    if (!*s->format)
        s->attempts = 0;
    if (ss_loop_pool_submit(s->gw->audio_pool, delete_objects, objects_deleted, s) != 0)
        batch_free(s);
}

static void sweep_next(job_sweeper *s)
{
    while (s->next < s->nids) {
        const char *id = s->ids[s->next++];
        if (!job_id_valid(id) || gw_state_key(s->job_key, sizeof s->job_key, GW_KEY_JOB, id, NULL) != 0)
            continue;
        snprintf(s->id, sizeof s->id, "%s", id);
        if (ss_redis_command(s->gw->redis, on_record, s, "HMGET", s->job_key, JOB_F_ATTEMPTS, JOB_F_RESULT_FORMAT,
                             JOB_F_PARAMS, NULL) != 0)
            break;
        return;
    }
    batch_free(s);
}

static void on_due(void *user, const redisReply *reply, const char *err)
{
    job_sweeper *s = user;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        s->busy = false;
        return;
    }
    s->ids = calloc(reply->elements, sizeof *s->ids);
    if (!s->ids) {
        s->busy = false;
        return;
    }
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            s->ids[s->nids++] = strdup(reply->element[i]->str);
    sweep_next(s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_sweeper *s = arg;
    if (s->busy)
        return;
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)ss_wall_ms());
    s->busy = true;
    if (ss_redis_command(s->gw->redis, on_due, s, "ZRANGEBYSCORE", s->expiry, "-inf", now, "LIMIT", "0", BATCH,
                         NULL) != 0)
        s->busy = false;
}

job_sweeper *job_sweeper_start(gw_server *gw, char *err, size_t errlen)
{
    job_sweeper *s = calloc(1, sizeof *s);
    if (!s || !(s->timer = event_new(gw->base, -1, EV_PERSIST, on_timer, s))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->gw = gw;
    gw_state_key(s->expiry, sizeof s->expiry, GW_KEY_JOBS_EXPIRY, NULL, NULL);
    long ms = gw->settings->job_sweep_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(s->timer, &tv);
    return s;
}

void job_sweeper_free(job_sweeper *s)
{
    if (!s)
        return;
    event_free(s->timer);
    batch_free(s);
    free(s);
}
