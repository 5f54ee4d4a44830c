/* Audio output encoders: the bytes /speak answers with (API.md §2).
 *
 * Input is s16 mono PCM at the engine's rate, in chunks as synthesis
 * produces it. Each encoder first resamples to the requested rate with the
 * streaming soxr wrapper (audio_resample.h; equal rates are copied), then
 * encodes:
 *   wav   RIFF/WAVE PCM 16-bit mono, written here. A 44-byte header is
 *         reserved first and filled in at finish, when the length is known.
 *   pcm   raw s16le mono at the requested rate, no header.
 *   flac  libsndfile FLAC 16-bit through virtual I/O into memory (libsndfile
 *         seeks back at close to write STREAMINFO's length and MD5).
 *   mp3   libsndfile MPEG-1/2/2.5 Layer III (LAME inside) through virtual
 *         I/O; at close libsndfile seeks back to write the LAME/Xing tag,
 *         which lets gapless decoders drop LAME's delay and padding.
 *   opus  Ogg Opus via libopusenc (ope_encoder_create_callbacks into memory,
 *         OPE_SET_MUXING_DELAY(960) and OPE_SET_DECISION_DELAY(0) so pages
 *         come out every 20 ms instead of after 1-2 s). The requested rate
 *         (8/12/16/24/48 kHz) is what we resample to and what the OpusHead
 *         records as the input sample rate; libopusenc converts it to the
 *         48 kHz Opus always codes at. Duration is exact in Ogg Opus
 *         (pre-skip + end granule position trim the codec's padding).
 *
 * Streaming: pcm and opus bytes are readable (ss_audio_encoder_data) as soon
 * as they are produced, so a chunked or streamed answer can forward them.
 * wav, flac and mp3 rewrite their start at finish, so their bytes stay
 * buffered in the encoder and become readable only after
 * ss_audio_encoder_finish (ss_audio_format_streams() says which is which).
 * The gateway's synchronous /speak answers after finish, so holding the
 * whole file (about 64 KB per second of 32 kHz wav) is fine there.
 *
 * Zero samples in: wav (a 44-byte header), flac (a 0-sample file) and pcm
 * (no bytes) are truly empty; mp3 and opus have no empty form their
 * decoders accept (libopusenc 0.2.1 even asserts when drained with no
 * audio), so they encode one sample of silence. samples_out reports it.
 *
 * Errors: every library failure becomes -1 with a message naming the
 * library call; after a failure the encoder refuses further writes. There is
 * no fallback to another format or rate. One encoder is used by one thread
 * at a time; encoders share no state. */
#ifndef SS_COMMON_AUDIO_ENCODE_H
#define SS_COMMON_AUDIO_ENCODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SS_FMT_WAV = 0,
    SS_FMT_MP3,
    SS_FMT_OPUS,
    SS_FMT_FLAC,
    SS_FMT_PCM,
} ss_audio_format;

#define SS_AUDIO_FORMAT_COUNT 5

/* "wav" | "mp3" | "opus" | "flac" | "pcm" (exact, lower case) -> 0; else -1. */
int ss_audio_format_parse(const char *name, ss_audio_format *out);
/* The API name of f ("wav", ...); NULL for a value outside the enum. */
const char *ss_audio_format_name(ss_audio_format f);
/* Content-Type for f: audio/wav, audio/mpeg, audio/ogg, audio/flac, or
 * audio/L16;rate=N for pcm (N = rate). Written into buf; returns buf, or NULL
 * when f is unknown, cap is too small, or pcm has no valid rate. */
const char *ss_audio_format_content_type(ss_audio_format f, int rate, char *buf, size_t cap);
/* 1 when the API allows rate for f: 8000, 16000, 22050, 24000, 32000,
 * 44100, 48000 for wav/mp3/flac/pcm; 8000, 12000, 16000, 24000, 48000 for
 * opus. 0 otherwise (also for an unknown f). */
int ss_audio_rate_allowed(ss_audio_format f, int rate);
/* 1 when f's bytes can be taken before finish (pcm, opus); 0 otherwise. */
int ss_audio_format_streams(ss_audio_format f);

typedef struct ss_audio_encoder ss_audio_encoder;

/* in_rate: the PCM rate fed to write (1000..384000); out_rate: must pass
 * ss_audio_rate_allowed(f, out_rate). NULL with err on anything else or a
 * library failure. */
ss_audio_encoder *ss_audio_encoder_new(ss_audio_format f, int in_rate, int out_rate, char *err,
                                       size_t errlen);
/* An encoder for a streamed answer: every byte readable as it is made.
 * (Interim: the same as ss_audio_encoder_new until the streaming containers
 * land; wav, flac and mp3 bytes then still come at finish.) */
ss_audio_encoder *ss_audio_encoder_new_stream(ss_audio_format f, int in_rate, int out_rate,
                                              char *err, size_t errlen);
/* Feeds n samples at in_rate (n may be 0). 0, or -1 with err. */
int ss_audio_encoder_write(ss_audio_encoder *e, const int16_t *pcm, size_t n, char *err,
                           size_t errlen);
/* Flushes the resampler and the codec and completes the file. Call once. */
int ss_audio_encoder_finish(ss_audio_encoder *e, char *err, size_t errlen);
/* Encoded bytes not yet consumed (see "Streaming" above); *len = 0 when none. */
const uint8_t *ss_audio_encoder_data(ss_audio_encoder *e, size_t *len);
/* Drops the first n readable bytes (n <= the length data() gave). */
void ss_audio_encoder_consume(ss_audio_encoder *e, size_t n);
/* Samples produced at out_rate so far (after finish: the whole output);
 * duration_ms = samples * 1000 / out_rate. */
uint64_t ss_audio_encoder_samples_out(const ss_audio_encoder *e);
void ss_audio_encoder_free(ss_audio_encoder *e);

#endif
