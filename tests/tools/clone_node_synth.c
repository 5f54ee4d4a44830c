/* Test tool: the node's cloning path outside the node. Loads the node's
 * engines (the HTS voice, then the clustergen voices rms, awb, slt_cg, in
 * the node's order), and either
 *   --ref REF     resolves a cloned voice from the clip REF exactly as the
 *                 node does (node/clone_voice.h: nearest base voice,
 *                 conditioning fitted against it), prints "base ENGINE",
 *                 the distance and the conditioning, and speaks every line
 *                 of SENTENCES with it through that engine's synthesize;
 *   --none ENGINE speaks them with that engine unconditioned;
 *   --cond ENGINE FILE speaks them with that engine and the serialised
 *                 conditioning in FILE (conditioning.h; e.g. one printed by
 *                 --ref with a field edited), to try one change at a time.
 * One WAV per line (OUTDIR/NN.wav, the engine's native rate). Used by
 * tests/quality/clone_quality.sh.
 *
 *   clone_node_synth VOICE.htsvoice OUTDIR SENTENCES (--ref REF | --none ENGINE)
 */
#include "common/api_keys.h"
#include "common/audio_input.h"
#include "node/cg_node_engine.h"
#include "node/clone_voice.h"
#include "node/hts_node_engine.h"
#include "tests/tools/wav_file.h"
#include "tests/tools/whole_file.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NENGINES 4

typedef struct {
    float *x;
    size_t n, cap;
} pcm_buffer;

static int collect(void *user, const int16_t *pcm, size_t n, uint64_t start, bool last)
{
    pcm_buffer *b = user;
    (void)start;
    (void)last;
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2;
        float *nx = realloc(b->x, cap * sizeof *nx);
        if (!nx)
            return -1;
        b->x = nx;
        b->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        b->x[b->n++] = pcm[i] / 32768.0f;
    return 0;
}

static bool never(void *user)
{
    (void)user;
    return false;
}

/* Speaks every line of sentences with engine e (req carries the clone). */
static int speak_lines(ss_node_engine *e, ss_node_synth_request *req, const char *outdir, const char *sentences)
{
    FILE *f = fopen(sentences, "r");
    if (!f) {
        fprintf(stderr, "clone_node_synth: cannot read %s\n", sentences);
        return 1;
    }
    char line[2048], err[512];
    int k = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        pcm_buffer b = {0};
        ss_node_synth_sink sink = {.user = &b, .audio = collect, .cancelled = never};
        req->text = line;
        req->request_id = "clone_node_synth";
        if (e->synthesize(e, req, &sink, err, sizeof err) != SS_NODE_SYNTH_OK) {
            fprintf(stderr, "clone_node_synth: line %d: %s\n", k + 1, err);
            rc = 1;
        } else {
            char path[1024];
            snprintf(path, sizeof path, "%s/%02d.wav", outdir, ++k);
            if (ss_test_write_wav(path, b.x, b.n, (int)e->info.sample_rate) != 0) {
                fprintf(stderr, "clone_node_synth: cannot write %s\n", path);
                rc = 1;
            }
        }
        free(b.x);
    }
    fclose(f);
    return rc;
}

/* --cond: engine e speaks with the conditioning read from path. */
static int speak_conditioned(ss_node_engine *e, ss_node_synth_request *req, const char *path,
                             const char *outdir, const char *sentences)
{
    size_t len;
    uint8_t *text = (uint8_t *)whole_file_read(path, &len);
    char err[512];
    ss_clone_voice cv = {.base = e};
    if (!text || ss_conditioning_parse((const char *)text, len, &cv.cond, err, sizeof err) != 0) {
        fprintf(stderr, "clone_node_synth: %s: %s\n", path, text ? err : "cannot read");
        free(text);
        return 1;
    }
    free(text);
    cv.built = e->clone_build(e, &cv.cond, NULL, err, sizeof err);
    if (!cv.built) {
        fprintf(stderr, "clone_node_synth: %s\n", err);
        return 1;
    }
    printf("base %s\n", e->info.engine_id);
    req->clone = &cv;
    int rc = speak_lines(e, req, outdir, sentences);
    e->clone_free(cv.built);
    return rc;
}

/* The node's engines in its order: HTS from voice, then clustergen rms,
 * awb and slt_cg. 0, or 1 after a message (those made stay in engines). */
static int load_engines(const char *voice, ss_node_engine **engines)
{
    char err[512];
    static const char *const cg[] = {"rms", "awb", "slt_cg"};
    engines[0] = ss_hts_node_engine_new(voice, "cpu", err, sizeof err);
    for (int i = 0; engines[0] && i < 3; i++)
        if (!(engines[i + 1] = ss_cg_node_engine_new(cg[i], err, sizeof err)))
            break;
    if (!engines[NENGINES - 1]) {
        fprintf(stderr, "clone_node_synth: %s\n", err);
        return 1;
    }
    return 0;
}

/* --none / --cond: the engine named argv[5] speaks, unconditioned or with
 * the conditioning of argv[6]. The exit code. */
static int speak_named(ss_node_engine **engines, ss_node_synth_request *req, char **argv)
{
    ss_node_engine *e = NULL;
    for (int i = 0; i < NENGINES; i++)
        if (!strcmp(engines[i]->info.engine_id, argv[5]))
            e = engines[i];
    if (!e) {
        fprintf(stderr, "clone_node_synth: no engine %s\n", argv[5]);
        return 2;
    }
    if (!strcmp(argv[4], "--cond"))
        return speak_conditioned(e, req, argv[6], argv[2], argv[3]);
    printf("base %s\n", e->info.engine_id);
    return speak_lines(e, req, argv[2], argv[3]);
}

/* --ref: resolves the clone of the clip argv[5] as the node does, prints
 * it and speaks with it. The exit code. */
static int speak_cloned(ss_node_engine **engines, ss_node_synth_request *req, ss_voice_cache *cache,
                        char **argv)
{
    size_t len;
    uint8_t *ref = (uint8_t *)whole_file_read(argv[5], &len);
    char digest[65], err[512];
    if (!ref) {
        fprintf(stderr, "clone_node_synth: cannot read %s\n", argv[5]);
        return 1;
    }
    ss_sha256_hex((const char *)ref, len, digest);
    req->voice_id = "vc_quality";
    req->reference_sha256 = digest;
    req->reference_audio = ref;
    req->reference_audio_len = len;
    req->request_id = "clone_node_synth";
    ss_voice_entry *entry = NULL;
    int rc;
    if (ss_clone_voice_resolve(engines, NENGINES, req, &entry, err, sizeof err) != SS_NODE_SYNTH_OK) {
        fprintf(stderr, "clone_node_synth: reference: %s\n", err);
        rc = 1;
    } else {
        const ss_clone_voice *cv = ss_voice_entry_value(entry);
        char ser[1024];
        ss_conditioning_serialize(&cv->cond, ser, sizeof ser);
        printf("base %s\ndistance %.3f\n%s", cv->base->info.engine_id, cv->distance, ser);
        req->clone = cv;
        rc = speak_lines(cv->base, req, argv[2], argv[3]);
        ss_voice_cache_release(cache, entry);
    }
    free(ref);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 6 || (strcmp(argv[4], "--ref") && strcmp(argv[4], "--none") &&
                     (strcmp(argv[4], "--cond") || argc < 7))) {
        fprintf(stderr, "usage: clone_node_synth VOICE OUTDIR SENTENCES (--ref REF | --none ENGINE | "
                        "--cond ENGINE FILE)\n");
        return 2;
    }
    ss_node_engine *engines[NENGINES] = {0};
    int rc = load_engines(argv[1], engines);
    ss_voice_cache *cache = rc ? NULL : ss_voice_cache_new();
    if (!rc && !cache) {
        fprintf(stderr, "clone_node_synth: out of memory\n");
        rc = 1;
    }
    if (!rc) {
        ss_node_synth_request req = {.voice_id = "", .reference_sha256 = "", .speed = 1.0f, .chunk_ms = 200,
                                     .voices = cache};
        rc = strcmp(argv[4], "--ref") != 0 ? speak_named(engines, &req, argv)
                                           : speak_cloned(engines, &req, cache, argv);
        ss_voice_cache_free(cache);
    }
    for (int i = 0; i < NENGINES; i++)
        if (engines[i])
            engines[i]->destroy(engines[i]);
    return rc;
}
