/* Reading the job stream and running attempts (see job_consumer.h). */
#include "worker/job_consumer.h"
#include "worker/job_runner.h"

#include "gateway/job_store.h"
#include "gateway/state_keys.h"

#include "common/ids.h"
#include "common/log.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_MS "1000"
#define READER_TIMEOUT_MS 5000
#define IDLE_RETRY_MS 500

typedef struct slot {
    job_consumer *owner;
    job_run *run;
} slot;

struct job_consumer {
    gw_server *gw;
    ss_redis *reader;          /* blocking reads only */
    char name[96];
    char stream[GW_STATE_KEY_MAX];
    job_env env;
    slot *slots;
    long nslots, running;
    long passing;              /* JOB_PASS_ON calls not answered yet */
    bool group_ready, reading, creating, stopping;
    char claim_cursor[64];
    struct event *claim_timer, *read_retry, *drain_timer;
    void (*on_stopped)(void *user);
    void *stopped_user;
};

static void read_more(job_consumer *c);

/* Stopped: no attempt running, no pass-on unanswered, and no read in
 * flight (an entry Redis delivers to a read is this consumer's even if the
 * answer is never read, so the read is waited for, at most BLOCK_MS, and
 * what it brings is passed on). */
static void maybe_stopped(job_consumer *c)
{
    if (c->stopping && c->running == 0 && c->passing == 0 && !c->reading && c->on_stopped) {
        void (*fn)(void *) = c->on_stopped;
        c->on_stopped = NULL;
        fn(c->stopped_user);
    }
}

static void on_run_done(void *user, job_run_outcome outcome)
{
    slot *s = user;
    job_consumer *c = s->owner;
    (void)outcome;
    s->run = NULL;
    c->running--;
    maybe_stopped(c);
    if (!c->stopping)
        read_more(c);
}

static slot *free_slot(job_consumer *c)
{
    for (long i = 0; i < c->nslots; i++)
        if (!c->slots[i].run)
            return &c->slots[i];
    return NULL;
}

/* --- entries this worker cannot run */

typedef struct {
    job_consumer *c;
    char msg[64];
    char job[JOB_ID_MAX + 1];
    bool stopping;
} pass_on_call;

static void on_passed_on(void *user, const redisReply *reply, const char *err)
{
    pass_on_call *p = user;
    job_consumer *c = p->c;
    const char *why = p->stopping ? "stopping" : "full";
    if (!err && reply->type == REDIS_REPLY_STRING)
        ss_info(p->job, "job entry %s arrived while %s: passed on as entry %s for another worker", p->msg, why,
                reply->str);
    else
        ss_warn(p->job, "job entry %s arrived while %s: not passed on (%s); its lease brings it back", p->msg,
                why, err                                 ? err
                     : reply->type == REDIS_REPLY_ERROR ? reply->str
                                                        : "the job is not waiting on this entry");
    free(p);
    c->passing--;
    maybe_stopped(c);
}

/* A queued job's entry delivered to a worker that is stopping or full is
 * acknowledged and added again (JOB_PASS_ON), so a worker that reads the
 * stream takes it at once instead of after the lease (job_lease_ms) of an
 * entry left pending here. Anything else stays pending, as before. */
static void pass_on(job_consumer *c, const char *msg, const char *job)
{
    pass_on_call *p = calloc(1, sizeof *p);
    char key_job[GW_STATE_KEY_MAX];
    const char *why = "out of memory";
    if (p && (strlen(msg) >= sizeof p->msg || strlen(job) >= sizeof p->job ||
              gw_state_key(key_job, sizeof key_job, GW_KEY_JOB, job, NULL) != 0)) {
        why = "its entry or job id is too long";
    } else if (p) {
        p->c = c;
        p->stopping = c->stopping;
        snprintf(p->msg, sizeof p->msg, "%s", msg);
        snprintf(p->job, sizeof p->job, "%s", job);
        const char *keys[] = {key_job, c->stream};
        const char *args[] = {msg, JOB_GROUP, job};
        if (ss_redis_eval(c->gw->redis, &JOB_PASS_ON, 2, keys, 3, args, on_passed_on, p) == 0) {
            c->passing++;
            return;
        }
        why = "Redis is not reachable";
    }
    ss_warn(job, "job entry %s arrived while %s: not passed on (%s); its lease brings it back", msg,
            c->stopping ? "stopping" : "full", why);
    free(p);
}

/* One entry [id, [field, value, ...]] → an attempt. */
static void take_entry(job_consumer *c, const redisReply *entry)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *msg = entry->element[0]->str;
    const redisReply *fields = entry->element[1];
    const char *job = NULL;
    for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING && !strcmp(fields->element[i]->str, "job") &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING)
            job = fields->element[i + 1]->str;
    slot *s = free_slot(c);
    if (!job || !job_id_valid(job)) {
        ss_warn(NULL, "job stream entry %s names no valid job: left pending", msg);
        return;
    }
    if (!s || c->stopping) {
        pass_on(c, msg, job);
        return;
    }
    s->run = job_run_start(&c->env, msg, job, on_run_done, s);
    if (s->run)
        c->running++;
    else
        ss_warn(job, "job entry %s: attempt could not start; its lease brings it back", msg);
}

/* --- the group */

static void on_group_created(void *user, const redisReply *reply, const char *err)
{
    job_consumer *c = user;
    c->creating = false;
    bool exists = (err && strstr(err, "BUSYGROUP")) ||
                  (reply && reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "BUSYGROUP"));
    if (exists || (reply && reply->type == REDIS_REPLY_STATUS)) {
        c->group_ready = true;
        ss_info(NULL, "job queue: consumer %s of group " JOB_GROUP " on %s", c->name, c->stream);
    } else {
        ss_warn(NULL, "job queue: cannot create the group: %s", err ? err : "unexpected reply");
    }
    read_more(c);
}

static void create_group(job_consumer *c)
{
    c->creating = true;
    if (ss_redis_command(c->gw->redis, on_group_created, c, "XGROUP", "CREATE", c->stream, JOB_GROUP, "0",
                         "MKSTREAM", NULL) != 0)
        c->creating = false;
}

/* --- new entries */

static void on_read_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    read_more(arg);
}

static void retry_read_later(job_consumer *c)
{
    struct timeval tv = {0, IDLE_RETRY_MS * 1000};
    evtimer_add(c->read_retry, &tv);
}

static void on_read(void *user, const redisReply *reply, const char *err)
{
    job_consumer *c = user;
    c->reading = false;
    if (err) {
        if (strstr(err, "NOGROUP"))
            c->group_ready = false; /* Redis lost it (restarted without its data) */
        else if (strcmp(err, "timeout"))
            ss_warn(NULL, "job queue: read failed: %s", err);
        if (c->stopping)
            maybe_stopped(c);
        else
            retry_read_later(c);
        return;
    }
    /* nil: nothing within the block time; else [[stream, [entry, ...]]] */
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        const redisReply *st = reply->element[0];
        if (st->type == REDIS_REPLY_ARRAY && st->elements == 2 && st->element[1]->type == REDIS_REPLY_ARRAY)
            for (size_t i = 0; i < st->element[1]->elements; i++)
                take_entry(c, st->element[1]->element[i]);
    }
    if (c->stopping)
        maybe_stopped(c);
    else
        read_more(c);
}

static void read_more(job_consumer *c)
{
    if (c->stopping || c->reading || c->creating || evtimer_pending(c->read_retry, NULL))
        return;
    if (!c->group_ready) {
        create_group(c);
        if (!c->creating)
            retry_read_later(c);
        return;
    }
    long free_slots = c->nslots - c->running;
    if (free_slots <= 0)
        return; /* on_run_done reads again */
    char count[24];
    snprintf(count, sizeof count, "%ld", free_slots);
    c->reading = true;
    if (ss_redis_command(c->reader, on_read, c, "XREADGROUP", "GROUP", JOB_GROUP, c->name, "COUNT", count,
                         "BLOCK", BLOCK_MS, "STREAMS", c->stream, ">", NULL) != 0) {
        c->reading = false;
        retry_read_later(c);
    }
}

/* --- entries of dead workers */

static void on_claimed(void *user, const redisReply *reply, const char *err)
{
    job_consumer *c = user;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        if (err && strstr(err, "NOGROUP"))
            c->group_ready = false;
        return;
    }
    if (reply->element[0]->type == REDIS_REPLY_STRING)
        snprintf(c->claim_cursor, sizeof c->claim_cursor, "%s", reply->element[0]->str);
    const redisReply *entries = reply->element[1];
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 && e->element[0]->type == REDIS_REPLY_STRING)
            ss_info(NULL, "job queue: took over entry %s (its worker stopped renewing it)", e->element[0]->str);
        take_entry(c, e);
    }
}

static void on_claim_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_consumer *c = arg;
    long free_slots = c->nslots - c->running;
    if (c->stopping || !c->group_ready || free_slots <= 0)
        return;
    char idle[24], count[24];
    snprintf(idle, sizeof idle, "%ld", c->gw->settings->job_lease_ms);
    snprintf(count, sizeof count, "%ld", free_slots);
    ss_redis_command(c->gw->redis, on_claimed, c, "XAUTOCLAIM", c->stream, JOB_GROUP, c->name, idle,
                     c->claim_cursor, "COUNT", count, NULL);
}

/* --- life */

static void on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_consumer *c = arg;
    ss_info(NULL, "job queue: drain time over: handing %ld running job(s) back", c->running);
    for (long i = 0; i < c->nslots; i++)
        if (c->slots[i].run)
            job_run_hand_back(c->slots[i].run);
}

job_consumer *job_consumer_start(gw_server *gw, char *err, size_t errlen)
{
    job_consumer *c = calloc(1, sizeof *c);
    const ss_settings *s = gw->settings;
    if (!c || !(c->slots = calloc((size_t)s->worker_jobs, sizeof *c->slots))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->gw = gw;
    c->nslots = s->worker_jobs;
    for (long i = 0; i < c->nslots; i++)
        c->slots[i].owner = c;
    char host[64] = "worker", suffix[8] = "";
    gethostname(host, sizeof host - 1);
    ss_random_base62(suffix, 6);
    snprintf(c->name, sizeof c->name, "%.60s-%ld-%s", host, (long)getpid(), suffix);
    gw_state_key(c->stream, sizeof c->stream, GW_KEY_JOBS, NULL, NULL);
    snprintf(c->claim_cursor, sizeof c->claim_cursor, "0-0");
    c->env = (job_env){gw, c->name};
    c->reader = ss_redis_new(gw->base, &gw->redis_target, READER_TIMEOUT_MS);
    c->claim_timer = event_new(gw->base, -1, EV_PERSIST, on_claim_timer, c);
    c->read_retry = evtimer_new(gw->base, on_read_retry, c);
    c->drain_timer = evtimer_new(gw->base, on_drain_deadline, c);
    long claim_ms = s->job_lease_ms / 2;
    struct timeval tv = {claim_ms / 1000, (claim_ms % 1000) * 1000};
    if (!c->reader || !c->claim_timer || !c->read_retry || !c->drain_timer || event_add(c->claim_timer, &tv)) {
        job_consumer_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    retry_read_later(c); /* first read once the connections are up */
    return c;
}

void job_consumer_stop(job_consumer *c, void (*on_stopped)(void *user), void *user)
{
    c->stopping = true;
    c->on_stopped = on_stopped;
    c->stopped_user = user;
    event_del(c->claim_timer);
    event_del(c->read_retry);
    if (c->running > 0) {
        long ms = c->gw->settings->worker_drain_ms;
        ss_info(NULL, "job queue: stopping; %ld running job(s) get %ld ms to finish", c->running, ms);
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(c->drain_timer, &tv);
    }
    maybe_stopped(c);
}

void job_consumer_free(job_consumer *c)
{
    if (!c)
        return;
    if (c->claim_timer)
        event_free(c->claim_timer);
    if (c->read_retry)
        event_free(c->read_retry);
    if (c->drain_timer)
        event_free(c->drain_timer);
    if (c->reader)
        ss_redis_free(c->reader);
    free(c->slots);
    free(c);
}

const char *job_consumer_name(const job_consumer *c)
{
    return c->name;
}
