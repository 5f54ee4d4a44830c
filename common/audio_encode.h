/* Audio output encoders: the bytes /speak, /v1/audio/speech and
 * /stream/speak answer with (API.md §2, §3).
 *
 * Input is s16 mono PCM at the engine's rate, in chunks as synthesis
 * produces it. Each encoder first resamples to the requested rate with the
 * streaming soxr wrapper (audio_resample.h; equal rates are copied), then
 * encodes (one file per codec, audio_encode_<codec>.c; docs/AUDIO.md has
 * the settings and why):
 *   wav    RIFF/WAVE PCM 16-bit mono, written here.
 *   pcm    raw s16le mono at the requested rate, no header.
 *   flac   libFLAC's stream encoder, 16-bit, blocks of at most ~93 ms.
 *   mp3    libmp3lame, VBR; MPEG-1/2/2.5 Layer III by rate.
 *   opus   Ogg Opus written here with libogg over libopus, a page every
 *          20 ms; the requested rate (8/12/16/24/48 kHz) is what libopus
 *          codes at and what the OpusHead records as the input rate.
 *   aac    AAC-LC from libavcodec's native encoder in ADTS frames (7-byte
 *          headers written here; no libavformat).
 *   opus_packets  (internal, for the WebSocket; not accepted by
 *          ss_audio_format_parse) raw Opus packets at 48 kHz, one per 20 ms,
 *          each as a record [uint16 little-endian length][packet bytes].
 *
 * Two modes:
 *   file   (ss_audio_encoder_new): a complete file with exact lengths. wav,
 *          flac and mp3 go back to their start at finish (RIFF sizes;
 *          STREAMINFO total samples and MD5; the LAME/Xing tag that lets
 *          gapless decoders drop MP3's delay and padding), so their bytes
 *          are readable only after finish. pcm, opus, aac and opus_packets
 *          never go back: readable as produced.
 *   stream (ss_audio_encoder_new_stream): every byte is readable as soon as
 *          it is produced, for every format, and nothing is rewritten at
 *          finish — what streaming servers send: wav with RIFF and data
 *          sizes 0xFFFFFFFF (unknown length), flac with STREAMINFO total
 *          samples 0 and MD5 0 (valid: "unknown", RFC 9639), mp3 without a
 *          Xing/LAME tag (decoders then play LAME's delay and padding: up to
 *          one frame plus 1105 samples longer), opus and pcm as in file
 *          mode, aac as in file mode (ADTS cannot carry the 1024-sample
 *          priming: decoders play it). At most ~100 ms of audio stays inside
 *          an encoder between writes, plus the codec's own look-ahead.
 *
 * Zero samples in: wav (a 44-byte header), flac (a 0-sample file), pcm and
 * opus_packets (no bytes) are truly empty; mp3, opus and aac have no empty
 * form their decoders accept (an Ogg Opus stream needs one audio packet to
 * carry its end), so they encode one sample of silence. samples_out reports
 * it.
 *
 * Errors: every library failure becomes -1 with a message naming the
 * library call; after a failure the encoder refuses further writes. There is
 * no fallback to another format or rate. One encoder is used by one thread
 * at a time; encoders share no state (libmp3lame's one-time table set-up
 * is serialised inside audio_encode_mp3.c; libavcodec's log level is set
 * once in audio_encode_aac.c). */
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
    SS_FMT_AAC,
    SS_FMT_OPUS_PACKETS, /* internal: the WebSocket's raw Opus packets */
} ss_audio_format;

/* Every value of the enum (the API formats and the internal ones). */
#define SS_AUDIO_FORMAT_COUNT 7
/* The formats a request may name: SS_FMT_WAV .. SS_FMT_AAC. */
#define SS_AUDIO_API_FORMAT_COUNT 6

/* "wav" | "mp3" | "opus" | "flac" | "pcm" | "aac" (exact, lower case) -> 0;
 * anything else, "opus_packets" included, -1. */
int ss_audio_format_parse(const char *name, ss_audio_format *out);
/* The name of f ("wav", ..., "opus_packets" for logs); NULL outside the enum. */
const char *ss_audio_format_name(ss_audio_format f);
/* Content-Type for f: audio/wav, audio/mpeg, audio/ogg, audio/flac,
 * audio/aac, or audio/L16;rate=N for pcm (N = rate). Written into buf;
 * returns buf, or NULL when f is unknown or internal, cap is too small, or
 * pcm has no valid rate. */
const char *ss_audio_format_content_type(ss_audio_format f, int rate, char *buf, size_t cap);
/* 1 when rate is allowed for f: 8000, 16000, 22050, 24000, 32000, 44100,
 * 48000 for wav/mp3/flac/pcm/aac (all of them AAC sampling frequencies);
 * 8000, 12000, 16000, 24000, 48000 for opus; 48000 for opus_packets.
 * 0 otherwise (also for an unknown f). */
int ss_audio_rate_allowed(ss_audio_format f, int rate);
/* 1 when a FILE-mode encoder of f shows bytes before finish (pcm, opus,
 * aac, opus_packets); 0 for wav, flac, mp3. Stream-mode encoders always do
 * (see ss_audio_encoder_streams). */
int ss_audio_format_streams(ss_audio_format f);

/* The 44-byte RIFF/WAVE header of a streamed wav answer at rate: RIFF and
 * data sizes 0xFFFFFFFF ("length unknown"), what a stream-mode wav encoder
 * writes first. For callers that pass s16le samples through themselves. */
#define SS_AUDIO_WAV_HEADER_BYTES 44
void ss_audio_wav_stream_header(uint8_t h[SS_AUDIO_WAV_HEADER_BYTES], int rate);

typedef struct ss_audio_encoder ss_audio_encoder;

/* File mode. in_rate: the PCM rate fed to write (1000..384000); out_rate:
 * must pass ss_audio_rate_allowed(f, out_rate). NULL with err on anything
 * else or a library failure. */
ss_audio_encoder *ss_audio_encoder_new(ss_audio_format f, int in_rate, int out_rate, char *err,
                                       size_t errlen);
/* Stream mode (see above); same arguments and errors. */
ss_audio_encoder *ss_audio_encoder_new_stream(ss_audio_format f, int in_rate, int out_rate,
                                              char *err, size_t errlen);
/* 1 when e's bytes are readable before finish (every stream-mode encoder;
 * file mode as ss_audio_format_streams). */
int ss_audio_encoder_streams(const ss_audio_encoder *e);
/* Feeds n samples at in_rate (n may be 0). 0, or -1 with err. */
int ss_audio_encoder_write(ss_audio_encoder *e, const int16_t *pcm, size_t n, char *err,
                           size_t errlen);
/* Flushes the resampler and the codec and completes the bytes. Call once. */
int ss_audio_encoder_finish(ss_audio_encoder *e, char *err, size_t errlen);
/* Encoded bytes not yet consumed; *len = 0 when none (and, for a file-mode
 * wav/flac/mp3 encoder, always before finish). opus_packets shows whole
 * records only. */
const uint8_t *ss_audio_encoder_data(ss_audio_encoder *e, size_t *len);
/* Drops the first n readable bytes (n <= the length data() gave). */
void ss_audio_encoder_consume(ss_audio_encoder *e, size_t n);
/* Samples given to the codec at out_rate so far (after finish: the whole
 * output, before codec padding); duration_ms = samples * 1000 / out_rate. */
uint64_t ss_audio_encoder_samples_out(const ss_audio_encoder *e);
void ss_audio_encoder_free(ss_audio_encoder *e);

#endif
