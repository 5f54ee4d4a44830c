/* The HTS voice (.htsvoice, format 1.0) held in memory: our own reader.
 *
 * The file is a text header ([GLOBAL], [STREAM], [POSITION]) followed by a
 * [DATA] blob; [POSITION] gives byte ranges inside the blob for the duration
 * PDFs and tree, and per stream the dynamic windows (text), the state PDFs
 * and trees, and the GV PDFs and tree. PDFs are little-endian: an int32
 * count of PDFs per tree, then per PDF the float32 means, variances and (for
 * multi-space streams) the voiced weight. The reader validates every range
 * and count against the blob, so a truncated or corrupt file is reported,
 * never read past. After ss_htsvoice_load the voice is immutable: any number
 * of threads may look up models in it concurrently. */
#ifndef SS_ENGINE_HTSVOICE_H
#define SS_ENGINE_HTSVOICE_H

#include "kernels/kernels.h"
#include "node/engine/acoustic/model_tree.h"

#include <stdbool.h>
#include <stddef.h>

#define SS_VOICE_MAX_STREAMS 4

/* Trees + PDFs of one model (durations, a stream's states, or a stream's GV). */
typedef struct {
    ss_tree_set trees;
    size_t *npdf;       /* [ntrees] PDFs of each tree */
    float **pdf;        /* [ntrees] -> npdf * pdf_len floats (pointers into voice data) */
    size_t pdf_len;     /* floats per PDF */
} ss_voice_model;

typedef struct {
    char name[16];          /* "MCP", "LF0" */
    int vector_length;
    bool is_msd;
    int nwin;
    bool use_gv;
    double alpha;           /* OPTION ALPHA= (0 when absent) */
    ss_mlpg_windows win;
    ss_voice_model pdf;     /* per-state PDFs: trees for states 2..N+1 */
    ss_voice_model gv;      /* valid when use_gv */
} ss_voice_stream;

typedef struct ss_htsvoice {
    char *path;
    int sample_rate;
    int frame_period;
    int nstates;
    int nstreams;
    char fullcontext_format[64];
    ss_pattern *gv_off;     /* GV_OFF_CONTEXT patterns */
    size_t ngv_off;
    ss_voice_model dur;
    ss_voice_stream streams[SS_VOICE_MAX_STREAMS];
    float *floats;          /* owned copy of all PDF data */
    size_t floats_mapped_bytes; /* > 0: floats is an mmap of this size, else malloc'd */
    void *prepared_map;     /* read from a prepared file (htsvoice_prepared.h): floats
                             * point into this read-only mapping of it */
    size_t prepared_map_bytes;
} ss_htsvoice;

/* Loads and validates a voice. NULL with a message in err on any problem. */
ss_htsvoice *ss_htsvoice_load(const char *path, char *err, size_t errlen);
/* Same from a memory image (for tests). */
ss_htsvoice *ss_htsvoice_load_buffer(const char *data, size_t len, char *err, size_t errlen);
void ss_htsvoice_free(ss_htsvoice *v);

/* Floats of v->floats that PDFs use: the end of the furthest PDF block of
 * any model (what a copy of the pool must hold). */
size_t ss_htsvoice_pool_floats(const ss_htsvoice *v);

/* Index of the stream called name, or -1. */
int ss_htsvoice_stream_index(const ss_htsvoice *v, const char *name);

/* Looks up the PDF of (model, state, label): returns a pointer to pdf_len
 * floats, or NULL when no tree serves (message in err). */
const float *ss_voice_model_lookup(const ss_voice_model *m, int state, const char *label,
                                   size_t label_len, char *err, size_t errlen);
/* Same with a question-answer memo (model_tree.h); memo may be NULL. */
const float *ss_voice_model_lookup_memo(const ss_voice_model *m, int state, const char *label,
                                        size_t label_len, unsigned char *memo, char *err,
                                        size_t errlen);

/* Same with the label's token index (label_tokens.h; it must index this
 * label, with a runs mask including m->trees.field_runs for the fast path);
 * tokens and memo may be NULL. */
const float *ss_voice_model_lookup_tokens(const ss_voice_model *m, int state, const char *label,
                                          size_t label_len, const ss_label_tokens *tokens,
                                          unsigned char *memo, char *err, size_t errlen);

/* false when the label matches a GV_OFF_CONTEXT pattern. */
bool ss_htsvoice_gv_on(const ss_htsvoice *v, const char *label, size_t label_len);

#endif
