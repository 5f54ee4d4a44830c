/* hts_parity: our engine vs libHTSEngine 1.10 (test oracle) on label files.
 *
 *   hts_parity VOICE LABEL_FILE... [--speed X] [--pitch N]
 *
 * For each label file both engines synthesise the whole utterance; the tool
 * compares state durations (must be identical), MCP and LF0 trajectories
 * (max abs difference), voicing decisions, sample count, and the waveforms'
 * log-spectral distance on voiced frames (1024-point Hann frames centred on
 * each 5 ms frame, |X| floored at 1e-3 on the 16-bit scale). Prints one
 * table row per file and a summary; exits 1 when any file breaks a limit
 * (durations/voicing/length identical, MCP/LF0 <= 1e-3, LSD <= 1 dB).
 *
 * It also vocodes the same track with the sequential MLSA filter (cell mode
 * off) and reports the cell mode's deviation from it: the largest sample
 * difference on the 16-bit scale (limit CELLS_MAXABS, the 16-bit output's
 * rounding step; measured 0.11 with the cells' float lanes, 0.31 before
 * their tap update took HTS's form, 0.0009 when they were double), relative to the peak, and the LSD between the two on
 * voiced frames. */
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/parameter_generation.h"
#include "node/engine/synth/vocoder.h"

#include "tests/tools/spectral_distance.h"

#include "tests/tools/label_file.h"

#include <HTS_engine.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELLS_MAXABS 1.0

/* The same track through the sequential filter (cell mode off): the
 * reference for the cell mode's tolerance. Malloc'd raw samples, or NULL +
 * err. */
static double *sequential_raw(const ss_htsvoice *v, const ss_param_track *tr, size_t ns, char *err,
                              size_t errlen)
{
    ss_vocoder voc;
    if (ss_vocoder_init(&voc, v, v->sample_rate, err, errlen) != 0)
        return NULL;
    voc.mlsa.cells = 0;
    double *raw = malloc((ns ? ns : 1) * sizeof(double));
    float *fout = NULL;
    size_t nout = 0, cap = 0;
    int rc = raw ? ss_vocoder_run(&voc, tr, 1, raw, &fout, &nout, &cap, err, errlen) : -1;
    if (!raw)
        snprintf(err, errlen, "out of memory");
    free(fout);
    ss_vocoder_free(&voc);
    if (rc != 0) {
        free(raw);
        return NULL;
    }
    return raw;
}

/* The command line: the voice, the label files and the prosody controls. */
typedef struct {
    double speed, pitch;
    const char *voice;
    const char *files[256];
    int nfiles;
} parity_args;

/* One file's comparison: the figures of its table row. */
typedef struct {
    size_t states, dur_mis, frames, vmis;
    double mcp_max, lf0_max, lsd, cell_dev, cell_lsd, peak;
    int len_eq, ok;
} file_row;

/* The worst figures over all files, for the summary line. */
typedef struct {
    int bad;
    double worst_mcp, worst_lf0, worst_lsd, worst_cell_dev, worst_cell_rel, worst_cell_lsd;
    size_t dur_mis_total, voicing_mis_total;
} parity_totals;

/* Our engine's side of one file: acoustic sequence, parameter track and
 * the cell-mode samples (malloc'd, ns of them). */
typedef struct {
    ss_acoustic_seq seq;
    ss_param_track tr;
    double *raw;
    size_t ns;
} our_synth;

/* Reads the command line into *a. 0, or 2 after the usage line. */
static int parse_args(int argc, char **argv, parity_args *a)
{
    a->speed = 1.0;
    a->pitch = 0.0;
    a->voice = NULL;
    a->nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--speed") == 0 && i + 1 < argc)
            a->speed = atof(argv[++i]);
        else if (strcmp(argv[i], "--pitch") == 0 && i + 1 < argc)
            a->pitch = atof(argv[++i]);
        else if (!a->voice)
            a->voice = argv[i];
        else if (a->nfiles < 256)
            a->files[a->nfiles++] = argv[i];
    }
    if (!a->voice || a->nfiles == 0) {
        fprintf(stderr, "usage: hts_parity VOICE LABEL_FILE... [--speed X] [--pitch N]\n");
        return 2;
    }
    return 0;
}

/* Loads the voice into libHTSEngine with the speed and pitch set. 0, or 2
 * after a message. */
static int load_oracle(HTS_Engine *hts, const parity_args *a)
{
    HTS_Engine_initialize(hts);
    char *vp = (char *)a->voice;
    if (!HTS_Engine_load(hts, &vp, 1)) {
        fprintf(stderr, "hts_parity: libHTSEngine cannot load %s\n", a->voice);
        return 2;
    }
    HTS_Engine_set_speed(hts, a->speed);
    HTS_Engine_add_half_tone(hts, a->pitch);
    return 0;
}

/* Our engine on the labels: durations, parameters and the cell-mode
 * vocoder's samples into *o. 0, or -1 + err. */
static int our_synthesise(const ss_htsvoice *v, char **lines, size_t nl, const parity_args *a, our_synth *o,
                          char *err, size_t errlen)
{
    ss_vocoder voc;
    if (ss_acoustic_lookup(v, (const char *const *)lines, nl, a->pitch, NULL, &o->seq, err, errlen) != 0 ||
        ss_acoustic_durations(&o->seq, a->speed, err, errlen) != 0 ||
        ss_param_generate(v, &o->seq, 0, o->seq.nframes, NULL, &o->tr, err, errlen) != 0 ||
        ss_vocoder_init(&voc, v, v->sample_rate, err, errlen) != 0)
        return -1;
    o->ns = o->tr.nframes * (size_t)v->frame_period;
    o->raw = malloc((o->ns ? o->ns : 1) * sizeof(double));
    float *fout = NULL;
    size_t nout = 0, cap = 0;
    int rc = o->raw ? ss_vocoder_run(&voc, &o->tr, 1, o->raw, &fout, &nout, &cap, err, errlen) : -1;
    if (!o->raw)
        snprintf(err, errlen, "out of memory");
    free(fout);
    ss_vocoder_free(&voc);
    return rc;
}

/* The cell mode's largest sample deviation from the sequential filter, and
 * the sequential output's peak, into the row. */
static void cell_deviation(const double *raw, const double *seq_raw, size_t ns, file_row *r)
{
    r->cell_dev = 0;
    r->peak = 0;
    for (size_t i = 0; i < ns; i++) {
        if (fabs(raw[i] - seq_raw[i]) > r->cell_dev)
            r->cell_dev = fabs(raw[i] - seq_raw[i]);
        if (fabs(seq_raw[i]) > r->peak)
            r->peak = fabs(seq_raw[i]);
    }
}

/* State durations that differ from libHTSEngine's, counting every state
 * one side has and the other lacks. */
static size_t duration_mismatches(HTS_Engine *hts, const ss_acoustic_seq *seq)
{
    size_t hs = HTS_Engine_get_total_state(hts), dur_mis = 0;
    for (size_t s = 0; s < hs && s < seq->total_states; s++)
        dur_mis += HTS_Engine_get_state_duration(hts, s) != seq->dur[s];
    if (hs != seq->total_states)
        dur_mis += hs > seq->total_states ? hs - seq->total_states : seq->total_states - hs;
    return dur_mis;
}

/* MCP and LF0 differences and voicing mismatches per frame (when both have
 * hf frames); voiced[f] is set where both sides voice frame f. */
static void compare_params(HTS_Engine *hts, const ss_param_track *tr, size_t hf, unsigned char *voiced,
                           file_row *r)
{
    r->mcp_max = 0;
    r->lf0_max = 0;
    r->vmis = 0;
    if (hf != tr->nframes)
        return;
    for (size_t f = 0; f < hf; f++) {
        for (int d = 0; d < tr->mcp_dim; d++) {
            double e = fabs(HTS_Engine_get_generated_parameter(hts, 0, f, (size_t)d) - tr->mcp[f * (size_t)tr->mcp_dim + (size_t)d]);
            if (e > r->mcp_max)
                r->mcp_max = e;
        }
        double hl = HTS_Engine_get_generated_parameter(hts, 1, f, 0);
        int hv = hl > -1e9, ov = tr->lf0[f] != SS_LF0_UNVOICED;
        voiced[f] = (unsigned char)(hv && ov);
        if (hv != ov)
            r->vmis++;
        else if (hv && fabs(hl - tr->lf0[f]) > r->lf0_max)
            r->lf0_max = fabs(hl - tr->lf0[f]);
    }
}

/* The waveforms' LSD on voiced frames: libHTSEngine's vs ours, and the
 * sequential filter's vs ours (-1 both when the lengths differ). 0, or -1
 * + err. */
static int compare_waves(HTS_Engine *hts, const our_synth *o, const double *seq_raw, size_t frame_period,
                         const unsigned char *voiced, size_t hf, file_row *r, char *err, size_t errlen)
{
    size_t hn = HTS_Engine_get_nsamples(hts);
    r->len_eq = hn == o->ns;
    r->lsd = -1;
    r->cell_lsd = -1;
    if (!r->len_eq)
        return 0;
    double *h = malloc((hn ? hn : 1) * sizeof(double));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < hn; i++)
        h[i] = HTS_Engine_get_generated_speech(hts, i);
    r->lsd = waveform_lsd(h, o->raw, hn, frame_period, voiced, hf);
    r->cell_lsd = waveform_lsd(seq_raw, o->raw, hn, frame_period, voiced, hf);
    free(h);
    return 0;
}

/* Every comparison of our synthesis against the oracle's (already run on
 * the same labels) into *r. 0, or -1 + err. */
static int compare_file(HTS_Engine *hts, const ss_htsvoice *v, const our_synth *o, file_row *r, char *err,
                        size_t errlen)
{
    double *seq_raw = sequential_raw(v, &o->tr, o->ns, err, errlen);
    if (!seq_raw)
        return -1;
    cell_deviation(o->raw, seq_raw, o->ns, r);
    r->states = o->seq.total_states;
    r->frames = o->tr.nframes;
    r->dur_mis = duration_mismatches(hts, &o->seq);
    size_t hf = HTS_Engine_get_total_frame(hts);
    unsigned char *voiced = calloc(hf + 1, 1);
    int rc = -1;
    if (!voiced)
        snprintf(err, errlen, "out of memory");
    else {
        compare_params(hts, &o->tr, hf, voiced, r);
        rc = compare_waves(hts, o, seq_raw, (size_t)v->frame_period, voiced, hf, r, err, errlen);
    }
    r->ok = r->dur_mis == 0 && hf == o->tr.nframes && r->mcp_max <= 1e-3 && r->lf0_max <= 1e-3 && r->vmis == 0 &&
            r->len_eq && r->lsd >= 0 && r->lsd <= 1.0 && r->cell_dev <= CELLS_MAXABS;
    free(voiced);
    free(seq_raw);
    return rc;
}

/* Prints one file's table row. */
static void print_row(const char *file, const file_row *r)
{
    const char *base = strrchr(file, '/');
    printf("%-10s %7zu %8zu %9zu %11.2e %11.2e %9zu %8s %8.4f %9.4f %9.5f%s\n", base ? base + 1 : file, r->states,
           r->dur_mis, r->frames, r->mcp_max, r->lf0_max, r->vmis, r->len_eq ? "yes" : "NO", r->lsd, r->cell_dev,
           r->cell_lsd, r->ok ? "" : "  FAIL");
}

/* Folds one file's row into the totals. */
static void add_row(parity_totals *t, const file_row *r)
{
    if (r->cell_dev > t->worst_cell_dev)
        t->worst_cell_dev = r->cell_dev;
    if (r->peak > 0 && r->cell_dev / r->peak > t->worst_cell_rel)
        t->worst_cell_rel = r->cell_dev / r->peak;
    if (r->cell_lsd > t->worst_cell_lsd)
        t->worst_cell_lsd = r->cell_lsd;
    if (!r->ok)
        t->bad++;
    t->dur_mis_total += r->dur_mis;
    t->voicing_mis_total += r->vmis;
    if (r->mcp_max > t->worst_mcp)
        t->worst_mcp = r->mcp_max;
    if (r->lf0_max > t->worst_lf0)
        t->worst_lf0 = r->lf0_max;
    if (r->lsd > t->worst_lsd)
        t->worst_lsd = r->lsd;
}

/* One label file through both engines: compares, prints its row and adds
 * it to the totals. 0, or 2 after a message. */
static int check_file(HTS_Engine *hts, const ss_htsvoice *v, const parity_args *a, const char *file,
                      parity_totals *t)
{
    size_t nl;
    char **lines = label_file_read(file, 1, &nl);
    if (!lines || nl == 0) {
        fprintf(stderr, "hts_parity: cannot read %s\n", file);
        return 2;
    }
    if (!HTS_Engine_synthesize_from_strings(hts, lines, nl)) {
        fprintf(stderr, "hts_parity: libHTSEngine failed on %s\n", file);
        return 2;
    }
    char err[512];
    our_synth o = {0};
    file_row r = {0};
    if (our_synthesise(v, lines, nl, a, &o, err, sizeof err) != 0 ||
        compare_file(hts, v, &o, &r, err, sizeof err) != 0) {
        fprintf(stderr, "hts_parity: %s: %s\n", file, err);
        return 2;
    }
    print_row(file, &r);
    add_row(t, &r);
    free(o.raw);
    ss_param_track_free(&o.tr);
    ss_acoustic_seq_free(&o.seq);
    HTS_Engine_refresh(hts);
    for (size_t i = 0; i < nl; i++)
        free(lines[i]);
    free(lines);
    return 0;
}

int main(int argc, char **argv)
{
    parity_args a;
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(a.voice, err, sizeof err);
    if (!v) {
        fprintf(stderr, "hts_parity: %s\n", err);
        return 2;
    }
    HTS_Engine hts;
    if (load_oracle(&hts, &a) != 0)
        return 2;
    parity_totals t = {0};
    printf("%-10s %7s %8s %9s %11s %11s %9s %8s %8s %9s %9s\n", "file", "states", "dur_mis", "frames", "mcp_maxabs",
           "lf0_maxabs", "voice_mis", "len_eq", "lsd_dB", "cell_dev", "cell_lsd");
    for (int fi = 0; fi < a.nfiles; fi++)
        if (check_file(&hts, v, &a, a.files[fi], &t) != 0)
            return 2;
    printf("SUMMARY files=%d failed=%d dur_mismatch=%zu voicing_mismatch=%zu mcp_maxabs=%.3e lf0_maxabs=%.3e lsd_max_dB=%.4f "
           "cells_maxabs=%.4f cells_rel=%.3e cells_lsd_max_dB=%.5f\n",
           a.nfiles, t.bad, t.dur_mis_total, t.voicing_mis_total, t.worst_mcp, t.worst_lf0, t.worst_lsd,
           t.worst_cell_dev, t.worst_cell_rel, t.worst_cell_lsd);
    HTS_Engine_clear(&hts);
    ss_htsvoice_free(v);
    return t.bad ? 1 : 0;
}
