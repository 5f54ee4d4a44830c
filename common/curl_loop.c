/* libcurl multi on a libevent loop (see curl_loop.h). State: one CURLM, one
 * timer, the list of socket watches; nothing global (curl_global_init is
 * reference-counted by curl itself: one per loop). */
#include "common/curl_loop.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct sock_watch {
    struct event *ev;
    struct sock_watch *prev, *next;
} sock_watch;

struct ss_curl_loop {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    ss_curl_done_fn done;
    ss_curl_after_fn after;
    void *owner;
    int in_curl;          /* > 0 while curl_multi_socket_action() runs */
    sock_watch *watches;  /* every socket curl asked us to watch */
};

static void drive(ss_curl_loop *l, curl_socket_t fd, int flags)
{
    int running = 0;
    l->in_curl++;
    curl_multi_socket_action(l->multi, fd, flags, &running);
    l->in_curl--;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(l->multi, &left))) {
        if (m->msg == CURLMSG_DONE)
            l->done(l->owner, m->easy_handle, m->data.result);
    }
    if (l->after)
        l->after(l->owner);
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    drive(arg, fd, flags);
}

static void on_timer_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    drive(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void watch_free(ss_curl_loop *l, sock_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        l->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    event_free(w->ev);
    free(w);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    ss_curl_loop *l = userp;
    sock_watch *w = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (w)
            watch_free(l, w);
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (w) {
        event_del(w->ev);
        event_assign(w->ev, l->base, s, kind, on_socket_event, l);
    } else {
        w = calloc(1, sizeof *w);
        if (!w)
            return -1;
        w->ev = event_new(l->base, s, kind, on_socket_event, l);
        if (!w->ev) {
            free(w);
            return -1;
        }
        w->next = l->watches;
        if (l->watches)
            l->watches->prev = w;
        l->watches = w;
        curl_multi_assign(l->multi, s, w);
    }
    event_add(w->ev, NULL);
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    ss_curl_loop *l = userp;
    if (timeout_ms < 0) {
        evtimer_del(l->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(l->timer, &tv);
    return 0;
}

ss_curl_loop *ss_curl_loop_new(struct event_base *base, ss_curl_done_fn done, ss_curl_after_fn after,
                               void *owner, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return NULL;
    }
    ss_curl_loop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        curl_global_cleanup();
        return NULL;
    }
    l->base = base;
    l->done = done;
    l->after = after;
    l->owner = owner;
    l->multi = curl_multi_init();
    l->timer = evtimer_new(base, on_timer_event, l);
    if (!l->multi || !l->timer) {
        snprintf(err, errlen, "cannot create the curl multi handle or its timer");
        ss_curl_loop_free(l);
        return NULL;
    }
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
    return l;
}

void ss_curl_loop_free(ss_curl_loop *l)
{
    if (!l)
        return;
    if (l->multi)
        curl_multi_cleanup(l->multi); /* may report sockets to unwatch */
    while (l->watches)
        watch_free(l, l->watches);
    if (l->timer)
        event_free(l->timer);
    free(l);
    curl_global_cleanup();
}

int ss_curl_loop_add(ss_curl_loop *l, CURL *easy, char *err, size_t errlen)
{
    CURLMcode rc = curl_multi_add_handle(l->multi, easy);
    if (rc != CURLM_OK) {
        snprintf(err, errlen, "curl_multi_add_handle: %s", curl_multi_strerror(rc));
        return -1;
    }
    return 0;
}

void ss_curl_loop_remove(ss_curl_loop *l, CURL *easy)
{
    curl_multi_remove_handle(l->multi, easy);
}

bool ss_curl_loop_in_curl(const ss_curl_loop *l)
{
    return l->in_curl > 0;
}
