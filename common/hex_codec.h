/* Hexadecimal text for bytes, one implementation for the places that write
 * or read it: object names and digests (object_store.c), opaque list
 * cursors (gateway/voice_index.c, gateway/erasure_audit.c) and gRPC's
 * percent-decoding (grpc_frames.c). Pure functions, no state.
 *
 * Writing is lowercase. Reading a whole string (ss_hex_decode) accepts
 * lowercase only, so a value our code wrote has exactly one spelling;
 * a single digit (ss_hex_digit) accepts either case, for formats whose
 * writers may use upper case (percent-encoding). */
#ifndef SS_COMMON_HEX_CODEC_H
#define SS_COMMON_HEX_CODEC_H

#include <stddef.h>

/* The value of one hex digit, 0-15, upper or lower case; -1 for any other
 * character. */
int ss_hex_digit(char c);

/* Writes 2 * n lowercase digits of in[0..n) and a NUL to out, which holds
 * at least 2 * n + 1 bytes. */
void ss_hex_encode(const void *in, size_t n, char *out);

/* Reads len lowercase digits (an even number) into out as len / 2 bytes;
 * the count, or -1 when len is odd, a character is not a lowercase digit,
 * or the bytes do not fit in cap. */
long ss_hex_decode(const char *hex, size_t len, void *out, size_t cap);

#endif
