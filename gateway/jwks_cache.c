/* JWKS cache (see jwks_cache.h). */
#include "gateway/jwks_cache.h"

#include "common/log.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct waiter {
    void (*done)(void *);
    void *user;
    struct waiter *next;
} waiter;

struct jwks_cache {
    char path[1024];
    char url[1024];
    long min_interval_s;
    ss_jwks *keys;
    time_t last_refresh;
    bool fetching;
    waiter *waiters;
    struct event *fetched; /* activated by the fetch thread */
    pthread_mutex_t lock;  /* guards fetched_keys between thread and loop */
    ss_jwks *fetched_keys;
};

typedef struct {
    char *data;
    size_t len;
} buf;

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    buf *b = user;
    size_t add = size * n;
    if (b->len + add > 1024 * 1024)
        return 0; /* a JWKS is small; refuse anything huge */
    char *g = realloc(b->data, b->len + add + 1);
    if (!g)
        return 0;
    memcpy(g + b->len, p, add);
    b->data = g;
    b->len += add;
    g[b->len] = '\0';
    return add;
}

static ss_jwks *fetch_url(const char *url)
{
    buf b = {0};
    CURL *curl = curl_easy_init();
    long status = 0;
    CURLcode cc = CURLE_FAILED_INIT;
    if (curl) {
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        cc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(curl);
    }
    char err[256] = "";
    ss_jwks *ks = NULL;
    if (cc != CURLE_OK)
        snprintf(err, sizeof err, "%s", curl_easy_strerror(cc));
    else if (status != 200)
        snprintf(err, sizeof err, "HTTP %ld", status);
    else
        ks = ss_jwks_parse(b.data ? b.data : "", b.len, err, sizeof err);
    if (!ks)
        ss_warn(NULL, "JWKS fetch from %s failed: %s", url, err);
    free(b.data);
    return ks;
}

static ss_jwks *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char err[256] = "";
    ss_jwks *ks = NULL;
    if (!f) {
        ss_warn(NULL, "JWKS file %s cannot be opened", path);
        return NULL;
    }
    char data[65536];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    ks = ss_jwks_parse(data, n, err, sizeof err);
    if (!ks)
        ss_warn(NULL, "JWKS file %s: %s", path, err);
    return ks;
}

static void install(jwks_cache *c, ss_jwks *ks)
{
    if (!ks)
        return;
    ss_jwks_free(c->keys);
    c->keys = ks;
    ss_info(NULL, "JWKS loaded: %zu keys", ss_jwks_count(ks));
}

static void wake_waiters(jwks_cache *c)
{
    waiter *w = c->waiters;
    c->waiters = NULL;
    while (w) {
        waiter *next = w->next;
        w->done(w->user);
        free(w);
        w = next;
    }
}

static void on_fetched(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    jwks_cache *c = arg;
    pthread_mutex_lock(&c->lock);
    ss_jwks *ks = c->fetched_keys;
    c->fetched_keys = NULL;
    pthread_mutex_unlock(&c->lock);
    install(c, ks);
    c->fetching = false;
    wake_waiters(c);
}

static void *fetch_thread(void *arg)
{
    jwks_cache *c = arg;
    ss_jwks *ks = fetch_url(c->url);
    pthread_mutex_lock(&c->lock);
    c->fetched_keys = ks;
    pthread_mutex_unlock(&c->lock);
    event_active(c->fetched, 0, 0);
    return NULL;
}

jwks_cache *jwks_cache_new(struct event_base *base, const ss_settings *settings)
{
    jwks_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->path, sizeof c->path, "%s", settings->jwks_path);
    snprintf(c->url, sizeof c->url, "%s", settings->jwks_url);
    c->min_interval_s = settings->jwks_refresh_min_s;
    pthread_mutex_init(&c->lock, NULL);
    c->fetched = event_new(base, -1, 0, on_fetched, c);
    if (!c->fetched) {
        free(c);
        return NULL;
    }
    if (*c->path)
        install(c, read_file(c->path));
    else if (*c->url)
        install(c, fetch_url(c->url)); /* before the loop runs: blocking is fine */
    c->last_refresh = 0; /* the limit counts from the last refresh an unknown kid asked for */
    return c;
}

void jwks_cache_free(jwks_cache *c)
{
    if (!c)
        return;
    while (c->fetching) /* let a fetch thread finish before freeing what it uses */
        event_base_loop(event_get_base(c->fetched), EVLOOP_ONCE);
    event_free(c->fetched);
    waiter *w = c->waiters;
    while (w) {
        waiter *n = w->next;
        free(w);
        w = n;
    }
    ss_jwks_free(c->keys);
    ss_jwks_free(c->fetched_keys);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

bool jwks_cache_configured(const jwks_cache *c)
{
    return c && (*c->path || *c->url);
}

const ss_jwks *jwks_cache_keys(const jwks_cache *c)
{
    return c ? c->keys : NULL;
}

int jwks_cache_refresh(jwks_cache *c, void (*done)(void *), void *user)
{
    if (!jwks_cache_configured(c))
        return -1;
    if (!c->fetching) {
        time_t now = time(NULL);
        if (now - c->last_refresh < c->min_interval_s)
            return -1;
        c->last_refresh = now;
        if (*c->path) {
            install(c, read_file(c->path));
            done(user);
            return 0;
        }
        pthread_t t;
        c->fetching = true;
        if (pthread_create(&t, NULL, fetch_thread, c) != 0) {
            c->fetching = false;
            return -1;
        }
        pthread_detach(t);
    }
    waiter *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (waiter){done, user, c->waiters};
    c->waiters = w;
    return 0;
}
