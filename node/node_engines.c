/* The list of engines a node serves (see node_engine.h). This is the one
 * place an engine implementation is plugged in: add its constructor here.
 * Today, in this order (the first is the default for a request without
 * engine_id):
 *   - the HTS engine when voice_path names a .htsvoice;
 *   - one clustergen engine per id in cg_voices (rms, awb, slt_cg;
 *     cg_node_engine.h), each loading in about 5 ms (the model
 *     data stay in the mapped Debian library).
 * With neither, the node serves no engine (it still registers with the
 * gateways, answers ListEngines with an empty list and Synthesize with
 * FAILED_PRECONDITION "no engine loaded"). Every HTS engine gets the node's
 * kernel route (the selected kernel ops and, on CUDA, the node's batch
 * scheduler); the clustergen engines run their kernels on the CPU. */
#include "node/node_engine.h"

#include "common/log.h"
#include "node/cg_node_engine.h"
#include "node/hts_node_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Appends e to *list (n entries); 0, or -1 out of memory (e then freed). */
static int append(ss_node_engine ***list, size_t *n, ss_node_engine *e, char *err, size_t errlen)
{
    ss_node_engine **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl) {
        e->destroy(e);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    nl[(*n)++] = e;
    *list = nl;
    return 0;
}

static int load_hts(const ss_settings *settings, const ss_kernel_route *kernels, ss_node_engine ***list,
                    size_t *n, char *err, size_t errlen)
{
    const char *kernels_name = kernels && kernels->ops ? kernels->ops->name : "cpu";
    const char *voice_path = settings->voice_path;
    if (!voice_path[0]) {
        ss_info(NULL, "voice_path is empty: serving no HTS engine");
        return 0;
    }
    ss_node_engine *e = ss_hts_node_engine_new(voice_path, kernels_name, err, errlen);
    if (!e)
        return -1;
    ss_hts_node_engine_use_kernels(e, kernels);
    ss_info(NULL, "engine %s (%s %s) loaded from %s, %u Hz, kernels %s%s", e->info.engine_id, e->info.kind,
            e->info.version, voice_path, e->info.sample_rate, kernels_name,
            kernels && kernels->scheduler ? " through the batch scheduler" : "");
    return append(list, n, e, err, errlen);
}

/* One engine per comma-separated id of cg_voices (spaces around ids are
 * ignored, empty ids skipped). */
static int load_cg(const ss_settings *settings, ss_node_engine ***list, size_t *n, char *err, size_t errlen)
{
    const char *p = settings->cg_voices ? settings->cg_voices : "";
    while (*p) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        if (!len)
            break;
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(len < sizeof id ? len : sizeof id - 1), p);
        p += len;
        p += strcspn(p, ",");
        double t0 = now_ms();
        ss_node_engine *e = ss_cg_node_engine_new(id, err, errlen);
        if (!e)
            return -1;
        ss_info(NULL, "engine %s (%s %s, %s %s %s) loaded in %.1f ms, %u Hz", e->info.engine_id, e->info.kind,
                e->info.version, e->info.language, e->info.gender, e->info.accent, now_ms() - t0,
                e->info.sample_rate);
        if (append(list, n, e, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int ss_node_engines_load(const ss_settings *settings, const ss_kernel_route *kernels,
                         ss_node_engine ***out, size_t *n, char *err, size_t errlen)
{
    ss_node_engine **list = NULL;
    size_t count = 0;
    *out = NULL;
    *n = 0;
    if (load_hts(settings, kernels, &list, &count, err, errlen) != 0 ||
        load_cg(settings, &list, &count, err, errlen) != 0) {
        ss_node_engines_free(list, count);
        return -1;
    }
    if (!count)
        ss_info(NULL, "no engine configured (voice_path and cg_voices empty)");
    *out = list;
    *n = count;
    return 0;
}

void ss_node_engines_free(ss_node_engine **engines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (engines[i] && engines[i]->destroy)
            engines[i]->destroy(engines[i]);
    free(engines);
}
