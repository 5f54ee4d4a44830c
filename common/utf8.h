/* UTF-8 text: validation, and counting characters (code points) the way
 * limits in the API are stated: "1..100 000 characters", "at most 300
 * characters".
 *
 * Counting assumes valid UTF-8 (a character is every byte that is not a
 * continuation byte, 10xxxxxx): jansson checks what comes as JSON, and
 * ss_utf8_valid is for text that comes any other way (protobuf-c does not
 * check the UTF-8 of `string` fields, so the node and the gateway check
 * what they read from each other's messages). */
#ifndef SS_COMMON_UTF8_H
#define SS_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* true when s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). NUL bytes are well-formed; callers
 * that need a C string check for them too. */
bool ss_utf8_valid(const char *s, size_t n);
/* The byte length (1..4) of the well-formed character that starts s[0..n),
 * or 0 when none does (a stray or missing continuation byte, an overlong
 * form, a surrogate, a value above U+10FFFF, or n == 0). */
size_t ss_utf8_char_len(const char *s, size_t n);
/* A malloc'd copy of the NUL-terminated s in which every byte that does
 * not start a well-formed character is U+FFFD (for text that must become
 * a JSON string: a message that quotes a peer, or was cut by snprintf
 * inside a character). NULL when out of memory. */
char *ss_utf8_repaired(const char *s);
/* The longest prefix of the well-formed s[0..n) that is at most max bytes
 * and ends between characters (for a length-limited field such as a
 * WebSocket close reason). */
size_t ss_utf8_prefix(const char *s, size_t n, size_t max);

/* Characters of the NUL-terminated s (0 for NULL). */
size_t ss_utf8_chars(const char *s);
/* Characters of s[0..n). */
size_t ss_utf8_chars_n(const char *s, size_t n);

#endif
