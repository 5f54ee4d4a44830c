/* Counting UTF-8 characters (code points) the way limits in the API are
 * stated: "1..100 000 characters", "at most 300 characters". The input is
 * already valid UTF-8 (jansson and the request parsers check it), so a
 * character is every byte that is not a continuation byte (10xxxxxx). */
#ifndef SS_COMMON_UTF8_H
#define SS_COMMON_UTF8_H

#include <stddef.h>

/* Characters of the NUL-terminated s (0 for NULL). */
size_t ss_utf8_chars(const char *s);
/* Characters of s[0..n). */
size_t ss_utf8_chars_n(const char *s, size_t n);

#endif
