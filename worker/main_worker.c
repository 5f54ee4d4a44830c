/* scaispeak-worker: the background process (async synthesis jobs, voice
 * intake re-runs, the erasure reconciler).
 *
 * As built today it holds the process frame those consumers will run in: the
 * configuration, one libevent loop with the async Redis connection (reconnects
 * by itself), and a clean exit 0 on SIGTERM/SIGINT. The queues arrive with the
 * jobs and voice-library issues; until then the worker consumes nothing and
 * says so at start rather than pretending. */
#include "common/config.h"
#include "common/log.h"
#include "common/redis_async.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    ss_info(NULL, "signal %d: stopping", (int)sig);
    event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
    int rc = 0;
    ss_settings *settings =
        ss_config_from_args(argc, argv, "scaispeak-worker", SS_SCOPE_WORKER, &rc);
    if (!settings)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    if (!base) {
        ss_error(NULL, "event_base_new failed");
        return 1;
    }
    ss_redis *redis = ss_redis_new(base, settings->redis_host, (int)settings->redis_port,
                                   settings->redis_password, 2000);
    if (!redis) {
        ss_error(NULL, "cannot create the Redis client");
        return 1;
    }
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);
    ss_info(NULL, "scaispeak-worker started (redis %s:%ld); no job queues are defined yet",
            settings->redis_host, settings->redis_port);
    event_base_dispatch(base);
    event_free(sigterm);
    event_free(sigint);
    ss_redis_free(redis);
    event_base_free(base);
    ss_config_free(settings);
    return 0;
}
