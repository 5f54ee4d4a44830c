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

int main(int argc, char **argv)
{
    double speed = 1.0, pitch = 0.0;
    const char *voice = NULL;
    const char *files[256];
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--speed") == 0 && i + 1 < argc)
            speed = atof(argv[++i]);
        else if (strcmp(argv[i], "--pitch") == 0 && i + 1 < argc)
            pitch = atof(argv[++i]);
        else if (!voice)
            voice = argv[i];
        else if (nfiles < 256)
            files[nfiles++] = argv[i];
    }
    if (!voice || nfiles == 0) {
        fprintf(stderr, "usage: hts_parity VOICE LABEL_FILE... [--speed X] [--pitch N]\n");
        return 2;
    }
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(voice, err, sizeof err);
    if (!v) {
        fprintf(stderr, "hts_parity: %s\n", err);
        return 2;
    }
    HTS_Engine hts;
    HTS_Engine_initialize(&hts);
    char *vp = (char *)voice;
    if (!HTS_Engine_load(&hts, &vp, 1)) {
        fprintf(stderr, "hts_parity: libHTSEngine cannot load %s\n", voice);
        return 2;
    }
    HTS_Engine_set_speed(&hts, speed);
    HTS_Engine_add_half_tone(&hts, pitch);
    int bad = 0;
    double worst_mcp = 0, worst_lf0 = 0, worst_lsd = 0, worst_cell_dev = 0, worst_cell_rel = 0, worst_cell_lsd = 0;
    size_t dur_mis_total = 0, voicing_mis_total = 0;
    printf("%-10s %7s %8s %9s %11s %11s %9s %8s %8s %9s %9s\n", "file", "states", "dur_mis", "frames", "mcp_maxabs",
           "lf0_maxabs", "voice_mis", "len_eq", "lsd_dB", "cell_dev", "cell_lsd");
    for (int fi = 0; fi < nfiles; fi++) {
        size_t nl;
        char **lines = label_file_read(files[fi], 1, &nl);
        if (!lines || nl == 0) {
            fprintf(stderr, "hts_parity: cannot read %s\n", files[fi]);
            return 2;
        }
        if (!HTS_Engine_synthesize_from_strings(&hts, lines, nl)) {
            fprintf(stderr, "hts_parity: libHTSEngine failed on %s\n", files[fi]);
            return 2;
        }
        ss_acoustic_seq seq;
        ss_param_track tr;
        ss_vocoder voc;
        if (ss_acoustic_lookup(v, (const char *const *)lines, nl, pitch, NULL, &seq, err, sizeof err) != 0 ||
            ss_acoustic_durations(&seq, speed, err, sizeof err) != 0 ||
            ss_param_generate(v, &seq, 0, seq.nframes, NULL, &tr, err, sizeof err) != 0 ||
            ss_vocoder_init(&voc, v, v->sample_rate, err, sizeof err) != 0) {
            fprintf(stderr, "hts_parity: %s: %s\n", files[fi], err);
            return 2;
        }
        size_t ns = tr.nframes * (size_t)v->frame_period;
        double *raw = malloc(ns * sizeof(double));
        float *fout = NULL;
        size_t nout = 0, cap = 0;
        if (ss_vocoder_run(&voc, &tr, 1, raw, &fout, &nout, &cap, err, sizeof err) != 0) {
            fprintf(stderr, "hts_parity: %s: %s\n", files[fi], err);
            return 2;
        }
        double *seq_raw = sequential_raw(v, &tr, ns, err, sizeof err), cell_dev = 0, cell_lsd = -1;
        if (!seq_raw) {
            fprintf(stderr, "hts_parity: %s: %s\n", files[fi], err);
            return 2;
        }
        double peak = 0;
        for (size_t i = 0; i < ns; i++) {
            if (fabs(raw[i] - seq_raw[i]) > cell_dev)
                cell_dev = fabs(raw[i] - seq_raw[i]);
            if (fabs(seq_raw[i]) > peak)
                peak = fabs(seq_raw[i]);
        }
        size_t hs = HTS_Engine_get_total_state(&hts), dur_mis = 0;
        for (size_t s = 0; s < hs && s < seq.total_states; s++)
            dur_mis += HTS_Engine_get_state_duration(&hts, s) != seq.dur[s];
        if (hs != seq.total_states)
            dur_mis += hs > seq.total_states ? hs - seq.total_states : seq.total_states - hs;
        size_t hf = HTS_Engine_get_total_frame(&hts);
        double mcp_max = 0, lf0_max = 0;
        size_t vmis = 0;
        unsigned char *voiced = calloc(hf + 1, 1);
        if (hf == tr.nframes) {
            for (size_t f = 0; f < hf; f++) {
                for (int d = 0; d < tr.mcp_dim; d++) {
                    double e = fabs(HTS_Engine_get_generated_parameter(&hts, 0, f, (size_t)d) - tr.mcp[f * (size_t)tr.mcp_dim + (size_t)d]);
                    if (e > mcp_max)
                        mcp_max = e;
                }
                double hl = HTS_Engine_get_generated_parameter(&hts, 1, f, 0);
                int hv = hl > -1e9, ov = tr.lf0[f] != SS_LF0_UNVOICED;
                voiced[f] = (unsigned char)(hv && ov);
                if (hv != ov)
                    vmis++;
                else if (hv && fabs(hl - tr.lf0[f]) > lf0_max)
                    lf0_max = fabs(hl - tr.lf0[f]);
            }
        }
        size_t hn = HTS_Engine_get_nsamples(&hts);
        double lsd = -1;
        if (hn == ns) {
            double *h = malloc(hn * sizeof(double));
            for (size_t i = 0; i < hn; i++)
                h[i] = HTS_Engine_get_generated_speech(&hts, i);
            lsd = waveform_lsd(h, raw, hn, (size_t)v->frame_period, voiced, hf);
            cell_lsd = waveform_lsd(seq_raw, raw, hn, (size_t)v->frame_period, voiced, hf);
            free(h);
        }
        int ok = dur_mis == 0 && hf == tr.nframes && mcp_max <= 1e-3 && lf0_max <= 1e-3 && vmis == 0 &&
                 hn == ns && lsd >= 0 && lsd <= 1.0 && cell_dev <= CELLS_MAXABS;
        const char *base = strrchr(files[fi], '/');
        printf("%-10s %7zu %8zu %9zu %11.2e %11.2e %9zu %8s %8.4f %9.4f %9.5f%s\n", base ? base + 1 : files[fi],
               seq.total_states, dur_mis, tr.nframes, mcp_max, lf0_max, vmis, hn == ns ? "yes" : "NO", lsd, cell_dev,
               cell_lsd, ok ? "" : "  FAIL");
        if (cell_dev > worst_cell_dev)
            worst_cell_dev = cell_dev;
        if (peak > 0 && cell_dev / peak > worst_cell_rel)
            worst_cell_rel = cell_dev / peak;
        if (cell_lsd > worst_cell_lsd)
            worst_cell_lsd = cell_lsd;
        if (!ok)
            bad++;
        dur_mis_total += dur_mis;
        voicing_mis_total += vmis;
        if (mcp_max > worst_mcp)
            worst_mcp = mcp_max;
        if (lf0_max > worst_lf0)
            worst_lf0 = lf0_max;
        if (lsd > worst_lsd)
            worst_lsd = lsd;
        free(voiced);
        free(raw);
        free(seq_raw);
        free(fout);
        ss_vocoder_free(&voc);
        ss_param_track_free(&tr);
        ss_acoustic_seq_free(&seq);
        HTS_Engine_refresh(&hts);
        for (size_t i = 0; i < nl; i++)
            free(lines[i]);
        free(lines);
    }
    printf("SUMMARY files=%d failed=%d dur_mismatch=%zu voicing_mismatch=%zu mcp_maxabs=%.3e lf0_maxabs=%.3e lsd_max_dB=%.4f "
           "cells_maxabs=%.4f cells_rel=%.3e cells_lsd_max_dB=%.5f\n",
           nfiles, bad, dur_mis_total, voicing_mis_total, worst_mcp, worst_lf0, worst_lsd, worst_cell_dev,
           worst_cell_rel, worst_cell_lsd);
    HTS_Engine_clear(&hts);
    ss_htsvoice_free(v);
    return bad ? 1 : 0;
}
