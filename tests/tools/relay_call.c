/* relay_call: runs ONE backend B relay call (gateway/relay_client.c) on its
 * own libevent loop and prints what came back, for the integration tests.
 *
 *   relay_call --url URL [--key K] [--timeout-ms N] [--format wav] [--voice V]
 *              [--model M] [--speed S] [--input TEXT] [--request-id ID]
 *              [--out FILE] [--cancel-after-ms N | --cancel-after-bytes N]
 *              [--grace-ms G] [--models]
 *
 * Prints one JSON line: {"started", "done_calls", "status", "class", "message",
 * "content_type", "bytes", "data_calls", "elapsed_ms", "cancelled"}; with
 * --out the body bytes go to FILE. --cancel-after-ms cancels the call after N
 * ms and keeps the loop running G ms more (default 300), so a wrongly
 * delivered on_done would be seen (done_calls must stay 0).
 * --cancel-after-bytes does the same from inside on_data, once N body bytes
 * have arrived. Exit 0 when the call ran to an
 * outcome (whatever it was), 2 on bad usage or when it could not start. */
#include "gateway/relay_client.h"

#include "common/config.h"
#include "common/log.h"

#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct event_base *base;
    relay_call *call;
    FILE *out;
    size_t bytes;
    int data_calls;
    int done_calls;
    bool cancelled;
    long grace_ms;
    long cancel_after_bytes;
    json_t *result;
} run_state;

static void on_data(void *user, const char *content_type, const void *data, size_t len)
{
    (void)content_type;
    run_state *s = user;
    s->bytes += len;
    s->data_calls++;
    if (s->out)
        fwrite(data, 1, len, s->out);
    if (s->cancel_after_bytes >= 0 && (long)s->bytes >= s->cancel_after_bytes && s->call) {
        relay_cancel(s->call);
        s->call = NULL;
        s->cancelled = true;
        struct timeval grace = {s->grace_ms / 1000, (s->grace_ms % 1000) * 1000};
        event_base_loopexit(s->base, &grace);
    }
}

static void on_done(void *user, const relay_result *res)
{
    run_state *s = user;
    s->done_calls++;
    s->call = NULL;
    json_decref(s->result);
    s->result = json_pack("{s:i,s:s,s:s,s:s,s:I,s:f}", "status", res->http_status, "class",
                          relay_error_class_name(res->error_class), "message", res->message,
                          "content_type", res->content_type, "body_bytes", (json_int_t)res->body_bytes,
                          "elapsed_ms", res->elapsed_ms);
    event_base_loopexit(s->base, NULL);
}

static void on_cancel_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_state *s = arg;
    if (s->call) {
        relay_cancel(s->call);
        s->call = NULL;
        s->cancelled = true;
    }
    struct timeval grace = {s->grace_ms / 1000, (s->grace_ms % 1000) * 1000};
    event_base_loopexit(s->base, &grace);
}

/* The command line. */
typedef struct {
    const char *url, *key, *format, *voice, *model, *input, *request_id, *timeout_ms, *out_path;
    double speed;
    long cancel_after_ms, grace_ms, cancel_after_bytes;
    int models;
} call_args;

/* 0, or 2 (usage) after a message. */
static int parse_args(int argc, char **argv, call_args *a)
{
    *a = (call_args){.key = "", .format = "wav", .voice = "alloy", .input = "Hello from the relay test.",
                     .request_id = "req_relaycalltool0000001", .timeout_ms = "5000", .speed = 1.0,
                     .cancel_after_ms = -1, .grace_ms = 300, .cancel_after_bytes = -1};
    static const struct option opts[] = {
        {"url", required_argument, 0, 'u'},        {"key", required_argument, 0, 'k'},
        {"timeout-ms", required_argument, 0, 't'}, {"format", required_argument, 0, 'f'},
        {"voice", required_argument, 0, 'v'},      {"model", required_argument, 0, 'm'},
        {"speed", required_argument, 0, 's'},      {"input", required_argument, 0, 'i'},
        {"request-id", required_argument, 0, 'r'}, {"out", required_argument, 0, 'o'},
        {"cancel-after-ms", required_argument, 0, 'c'}, {"models", no_argument, 0, 'M'},
        {"grace-ms", required_argument, 0, 'g'},
        {"cancel-after-bytes", required_argument, 0, 'b'},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'u': a->url = optarg; break;
        case 'k': a->key = optarg; break;
        case 't': a->timeout_ms = optarg; break;
        case 'f': a->format = optarg; break;
        case 'v': a->voice = optarg; break;
        case 'm': a->model = optarg; break;
        case 's': a->speed = atof(optarg); break;
        case 'i': a->input = optarg; break;
        case 'r': a->request_id = optarg; break;
        case 'o': a->out_path = optarg; break;
        case 'c': a->cancel_after_ms = atol(optarg); break;
        case 'M': a->models = 1; break;
        case 'g': a->grace_ms = atol(optarg); break;
        case 'b': a->cancel_after_bytes = atol(optarg); break;
        default: fprintf(stderr, "usage: see the comment at the top of relay_call.c\n"); return 2;
        }
    }
    if (!a->url) {
        fprintf(stderr, "relay_call: --url is required\n");
        return 2;
    }
    return 0;
}

/* The relay settings from the command line, or NULL after a message. */
static ss_settings *relay_settings(const call_args *a)
{
    char err[512] = "";
    ss_settings *settings = ss_config_load(NULL, err, sizeof err);
    if (!settings || ss_config_set(settings, "relay_url", a->url, err, sizeof err) != 0 ||
        ss_config_set(settings, "relay_key", a->key, err, sizeof err) != 0 ||
        ss_config_set(settings, "relay_timeout_ms", a->timeout_ms, err, sizeof err) != 0) {
        fprintf(stderr, "relay_call: config: %s\n", err);
        ss_config_free(settings);
        return NULL;
    }
    return settings;
}

/* Runs the started call to its end (cancelling it on the timer when asked)
 * and prints the outcome as one JSON object. */
static void run_call(run_state *s, long cancel_after_ms)
{
    struct event *cancel_timer = NULL;
    if (cancel_after_ms >= 0) {
        cancel_timer = evtimer_new(s->base, on_cancel_timer, s);
        struct timeval tv = {cancel_after_ms / 1000, (cancel_after_ms % 1000) * 1000};
        evtimer_add(cancel_timer, &tv);
    }
    event_base_dispatch(s->base);
    json_t *j = s->result ? json_incref(s->result) : json_object();
    json_object_set_new(j, "started", json_true());
    json_object_set_new(j, "done_calls", json_integer(s->done_calls));
    json_object_set_new(j, "data_calls", json_integer(s->data_calls));
    json_object_set_new(j, "bytes", json_integer((json_int_t)s->bytes));
    json_object_set_new(j, "cancelled", json_boolean(s->cancelled));
    json_dumpf(j, stdout, JSON_COMPACT);
    json_decref(j);
    if (cancel_timer)
        event_free(cancel_timer);
}

int main(int argc, char **argv)
{
    call_args a;
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    ss_log_init("relay_call", SS_LOG_WARN);
    ss_settings *settings = relay_settings(&a);
    if (!settings)
        return 2;
    char err[512] = "";
    run_state s = {.base = event_base_new(), .grace_ms = a.grace_ms,
                   .cancel_after_bytes = a.cancel_after_bytes};
    relay_client *client = relay_client_new(s.base, settings, err, sizeof err);
    if (!client) {
        fprintf(stderr, "relay_call: %s\n", err);
        return 2;
    }
    if (a.out_path && !(s.out = fopen(a.out_path, "wb"))) {
        perror(a.out_path);
        return 2;
    }
    relay_speech_req req = {.input = a.input, .voice = a.voice, .response_format = a.format,
                            .model = a.model, .speed = a.speed, .request_id = a.request_id};
    s.call = a.models ? relay_get_models(client, a.request_id, on_done, &s, err, sizeof err)
                      : relay_speech(client, &req, on_data, on_done, &s, err, sizeof err);
    int rc = 0;
    if (!s.call) {
        json_t *j = json_pack("{s:b,s:s}", "started", 0, "error", err);
        json_dumpf(j, stdout, JSON_COMPACT);
        json_decref(j);
        rc = 2;
    } else {
        run_call(&s, a.cancel_after_ms);
    }
    printf("\n");
    if (s.out)
        fclose(s.out);
    json_decref(s.result);
    relay_client_free(client);
    event_base_free(s.base);
    ss_config_free(settings);
    return rc;
}
