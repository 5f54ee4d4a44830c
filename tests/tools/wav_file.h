/* Writing float samples as a 16-bit mono WAV file, shared by the test tools
 * that write what they synthesise (cg_synth, clone_synth, clone_node_synth).
 * A short write or a failed close is an error: a truncated file would be
 * measured as if it were the whole utterance. Header-only: each tool is one
 * program of its own (Makefile, "Test tools"). */
#ifndef SS_TESTS_WAV_FILE_H
#define SS_TESTS_WAV_FILE_H

#include <sndfile.h>
#include <stddef.h>

/* 0, or -1 when the file cannot be created or written whole. */
static inline int ss_test_write_wav(const char *path, const float *x, size_t n, int rate)
{
    SF_INFO info = {.samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return -1;
    sf_count_t wrote = sf_writef_float(sf, x, (sf_count_t)n);
    int closed = sf_close(sf);
    return wrote == (sf_count_t)n && closed == 0 ? 0 : -1;
}

#endif
