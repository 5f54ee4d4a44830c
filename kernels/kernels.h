/* The compute kernels of the speech engine: the one C interface that every
 * implementation (kernels/cpu in C11, kernels/cuda later) provides.
 *
 * Design rules, so that a GPU implementation can batch work from many
 * requests into one launch:
 *   - every kernel takes an ARRAY of independent jobs (dimensions, segments,
 *     utterances) and processes them all in one call;
 *   - all buffers are owned by the caller (inputs const, outputs written in
 *     place); a kernel allocates nothing except where a workspace size
 *     function says how much scratch the caller must pass;
 *   - streaming state (excitation phase, noise generator, MLSA filter memory)
 *     lives in caller-owned state structs, so a long utterance can be cut
 *     into chunks and the chunks filtered one after another without a seam;
 *   - every kernel returns 0, or -1 with a message in err for invalid input.
 *
 * Numerics follow the reference method (HTS / SPTK) in double precision so
 * the CPU path matches libHTSEngine 1.10 to rounding. */
#ifndef SS_KERNELS_H
#define SS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- MLPG --- */

#define SS_MLPG_MAX_WIN 3

/* Dynamic-feature windows. Each window reaches at most one frame either
 * side (bandwidth 3 of the normal equations): coef[w][shift + 1] is the
 * weight of frame t+shift, shift in left[w]..right[w] within -1..1. */
typedef struct {
    int nwin;
    int left[SS_MLPG_MAX_WIN];
    int right[SS_MLPG_MAX_WIN];
    double coef[SS_MLPG_MAX_WIN][3];
} ss_mlpg_windows;

/* One parameter trajectory (one dimension of one stream of one utterance or
 * voiced segment): solve (W' U W) c = W' U m for c, then, when gv_switch is
 * given, apply global-variance compensation (variance scaling followed by
 * 5 gradient steps, as HTS does) over the frames whose switch is set. */
typedef struct {
    size_t length;                  /* T frames, >= 1 */
    const double *mean;             /* [T][nwin]: mean[(t * nwin + w) * in_stride] */
    const double *ivar;             /* [T][nwin]: inverse variances (0 = ignore), same layout */
    const unsigned char *gv_switch; /* [T] or NULL for no GV */
    double gv_mean;                 /* GV pdf mean (target variance) */
    double gv_vari;                 /* GV pdf variance field as stored in the voice */
    double *out;                    /* out[t * out_stride] receives c[t] */
    size_t out_stride;
    size_t in_stride;               /* 0 or 1: contiguous; k: problems interleaved
                                       element by element (the CPU driver passes
                                       ss_kern_mlpg_lanes() dimensions in the lane
                                       layout the CPU kernel solves in, so it need
                                       not gather) */
} ss_mlpg_problem;

/* Doubles of scratch ss_kern_mlpg needs for problems up to max_length
 * (it solves up to eight problems at once, so this is per group of eight). */
size_t ss_kern_mlpg_workspace(size_t max_length);

/* Problems the CPU kernel solves at once on this CPU, one per vector lane:
 * 4 with AVX2 but no AVX-512, else 8. Inputs interleaved with this
 * in_stride, 64-byte aligned, in groups of this many are read in place. */
size_t ss_kern_mlpg_lanes(void);

int ss_kern_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                 double *work, size_t work_len, char *err, size_t errlen);

/* ss_kern_mlpg with a given lane count (8, or 4 on a CPU with AVX2; -1 with
 * a message otherwise): the results are the same bits whatever the count,
 * which tests check on one machine. */
int ss_kern_mlpg_in_lanes(size_t lanes, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                          size_t nprobs, double *work, size_t work_len, char *err, size_t errlen);

/* ---------------------------------------------------------- excitation --- */

/* Pulse train (voiced) / Gaussian noise (unvoiced) excitation, HTS style:
 * within a frame the pitch period moves linearly to the next frame's, a pulse
 * of height sqrt(period) is emitted each time the period counter wraps; a
 * frame with period 0 gives N(0,1) noise from the HTS generator (seed 1). */
typedef struct {
    double period_curr;     /* pitch period at the current sample (0 = unvoiced) */
    double counter;
    double period_inc;
    uint64_t rng_next;
    int gauss_have_second;
    double gauss_r2, gauss_s;
    int started;
} ss_excitation_state;

void ss_excitation_state_init(ss_excitation_state *st);

typedef struct {
    ss_excitation_state *state;
    const double *period;   /* [nframes] pitch period in samples, 0 = unvoiced */
    size_t nframes;
    size_t frame_period;    /* samples per frame */
    double *out;            /* [nframes * frame_period] */
} ss_excitation_job;

int ss_kern_excitation(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen);

/* ---------------------------------------------------------------- MLSA --- */

#define SS_MLSA_MAX_ORDER 63
#define SS_MLSA_PADE 5
#define SS_MLSA_LANES 6   /* Pade stages (5) padded for vector code */

/* Cell mode (kernels/cpu/mlsa_cells.c): the utterance's frames are cut on a
 * grid of cells counted from its first frame (SS_MLSA_CELL_FRAMES frames
 * each, or sized to the utterance when utterance_frames is set);
 * each cell after the first is filtered from zero state, starting
 * SS_MLSA_WARMUP_FRAMES frames early, so cells are independent and run in
 * SIMD lanes. The last SS_MLSA_WARMUP_FRAMES frames of input are kept in the
 * state (history, allocated by the first job; ss_mlsa_state_release frees
 * it) so a cell whose warm-up began in the previous job gets the same input:
 * chunked == one-shot still holds bit for bit. */
#define SS_MLSA_CELL_FRAMES 63
#define SS_MLSA_WARMUP_FRAMES 10

/* MLSA filter (gamma = 0) state: the filter coefficients b of the current
 * sample (linearly interpolated between frames) and the delay lines of both
 * filter sections; in cell mode also the frame count and input history. */
typedef struct {
    int order;
    double alpha;
    int portable;       /* 1 = always the baseline (SSE2) build; tests set it */
    int started;
    double b[SS_MLSA_MAX_ORDER + 1];
    double d1[2 * (SS_MLSA_PADE + 1)];
    double pt[SS_MLSA_LANES];
    _Alignas(16) double fir[(SS_MLSA_MAX_ORDER + 2) * SS_MLSA_LANES];
    /* cell mode; set cells = 1 before the first job (CPU kernel only: the
     * CUDA kernels ignore it and filter sequentially) */
    int cells;
    /* cell mode: the utterance's length in frames when the caller knows it
     * before the first job (0 = unknown). Then the grid is sized to it so
     * the cells fill the SIMD lanes (mlsa_cells.c, "The grid"); it may not
     * change once the first job ran. */
    size_t utterance_frames;
    size_t frames_done;   /* frames filtered so far */
    size_t hist_period;   /* frame period of the history */
    double *history;      /* [W][order + 1] mel-cepstra, then [W][period] input */
} ss_mlsa_state;

/* 0, or -1 when order is outside 1..SS_MLSA_MAX_ORDER or |alpha| >= 1. */
int ss_mlsa_state_init(ss_mlsa_state *st, int order, double alpha, char *err, size_t errlen);
/* Frees what cell mode allocated (nothing otherwise); the state may be
 * initialised again afterwards. */
void ss_mlsa_state_release(ss_mlsa_state *st);

typedef struct {
    ss_mlsa_state *state;
    const double *mcep;         /* [nframes][order + 1] mel-cepstra */
    size_t nframes;
    size_t frame_period;
    const double *excitation;   /* [nframes * frame_period] */
    double *out;                /* [nframes * frame_period]; may equal excitation */
    /* Optional, may be NULL: told, during the run, that the job's first
     * `frames` frames of out hold their final samples (frames grows; only
     * those may be read). The CPU cells path calls it as the lane holding
     * the job's first cell moves on, so a caller can pass on the start of
     * a long job before the job ends (the first chunk of an utterance);
     * the other paths never call it: the job's end is the only news. */
    void (*on_final)(void *user, size_t frames);
    void *on_final_user;
} ss_mlsa_job;

int ss_kern_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen);

#endif
