/* `scaispeak nodes`: the operator's view of the node registry from a shell.
 *
 * Calls GET {gateway_url}/v1/infra/nodes with the operator token and prints
 * one line per node (id, status, address, engines, load, kernels, last
 * heartbeat); `--json` prints the API's answer as it came. */
#include "cli/cli.h"

#include "common/config.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;
} body_buf;

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    body_buf *b = user;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static void print_node(const json_t *n)
{
    char engines[256] = "";
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(n, "engines"), i, e)
    {
        size_t used = strlen(engines);
        snprintf(engines + used, sizeof engines - used, "%s%s", used ? "," : "",
                 json_string_value(json_object_get(e, "engine_id")));
    }
    json_t *cap = json_object_get(n, "capacity");
    printf("%-28s %-9s %-22s %-20s %3lld/%-3lld %-5s %s\n",
           json_string_value(json_object_get(n, "node_id")),
           json_string_value(json_object_get(n, "status")),
           json_string_value(json_object_get(n, "address")), *engines ? engines : "-",
           (long long)json_integer_value(json_object_get(cap, "in_flight")),
           (long long)json_integer_value(json_object_get(cap, "slots")),
           json_string_value(json_object_get(n, "kernels")),
           json_string_value(json_object_get(n, "last_heartbeat_at")));
}

int ss_cli_nodes(int argc, char **argv)
{
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak", SS_SCOPE_CLI, &rc);
    if (!settings)
        return rc;
    const char *url_base = settings->gateway_url;
    const char *token = settings->operator_token;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--url") && i + 1 < argc)
            url_base = argv[++i];
        else if (!strcmp(argv[i], "--token") && i + 1 < argc)
            token = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            as_json = 1;
        else if (!strcmp(argv[i], "--config"))
            i++;
        else {
            fprintf(stderr, "usage: scaispeak nodes [--url URL] [--token OPERATOR_TOKEN] [--json]\n");
            ss_config_free(settings);
            return 2;
        }
    }
    char url[1024], auth[600];
    snprintf(url, sizeof url, "%s/v1/infra/nodes", url_base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    body_buf body = {0};
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    long status = 0;
    CURLcode cc = CURLE_FAILED_INIT;
    if (curl && headers) {
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
        cc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    rc = 1;
    if (cc != CURLE_OK) {
        fprintf(stderr, "scaispeak nodes: %s: %s\n", url, curl_easy_strerror(cc));
    } else if (as_json) {
        printf("%s", body.data ? body.data : "");
        rc = status == 200 ? 0 : 1;
    } else {
        json_t *j = body.data ? json_loads(body.data, 0, NULL) : NULL;
        json_t *items = json_object_get(json_object_get(j, "data"), "items");
        if (status != 200 || !json_is_array(items)) {
            json_t *err = json_object_get(j, "error");
            fprintf(stderr, "scaispeak nodes: HTTP %ld %s: %s\n", status,
                    err ? json_string_value(json_object_get(err, "code")) : "",
                    err ? json_string_value(json_object_get(err, "message")) : "unexpected answer");
        } else {
            printf("%-28s %-9s %-22s %-20s %-7s %-5s %s\n", "NODE", "STATUS", "ADDRESS", "ENGINES",
                   "LOAD", "KERN", "LAST HEARTBEAT");
            size_t i;
            json_t *n;
            json_array_foreach(items, i, n) print_node(n);
            rc = 0;
        }
        json_decref(j);
    }
    free(body.data);
    curl_slist_free_all(headers);
    if (curl)
        curl_easy_cleanup(curl);
    ss_config_free(settings);
    return rc;
}
