/* Cutting a job's text into parts (see job_parts.h). */
#include "worker/job_parts.h"

#include <stdbool.h>
#include <string.h>

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_closer(unsigned char c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}';
}

/* Length of a sentence-end mark at p (0 when none): ASCII . ! ? or the
 * UTF-8 of … 。 ！ ？. */
static size_t end_mark(const char *p, size_t left)
{
    unsigned char c = (unsigned char)p[0];
    if (c == '.' || c == '!' || c == '?')
        return 1;
    static const char *const MARKS[] = {"\xE2\x80\xA6", "\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F"};
    for (size_t i = 0; i < sizeof MARKS / sizeof MARKS[0]; i++)
        if (left >= 3 && memcmp(p, MARKS[i], 3) == 0)
            return 3;
    return 0;
}

/* Whether a part may end right after offset i - 1 (i is where the white
 * space that proves the sentence ended begins). */
static bool sentence_ends_at(const char *t, size_t from, size_t i)
{
    size_t j = i;
    while (j > from && is_closer((unsigned char)t[j - 1]))
        j--;
    if (j > from && (t[j - 1] == '.' || t[j - 1] == '!' || t[j - 1] == '?'))
        return true;
    return j >= from + 3 && end_mark(t + j - 3, 3) == 3;
}

size_t job_part_end(const char *t, size_t len, size_t from, size_t max_bytes)
{
    if (len - from <= max_bytes || (len - from >= 6 && memcmp(t + from, "<speak", 6) == 0))
        return len;
    size_t limit = from + max_bytes;
    size_t best_sentence = 0, best_space = 0;
    for (size_t i = from + 1; i <= limit; i++) {
        if (!is_space((unsigned char)t[i]))
            continue;
        if (t[i] == '\n' && i + 1 < len && t[i + 1] == '\n')
            best_sentence = i;
        else if (sentence_ends_at(t, from, i))
            best_sentence = i;
        best_space = i;
    }
    if (best_sentence)
        return best_sentence;
    if (best_space)
        return best_space;
    size_t cut = limit;
    while (cut > from + 1 && ((unsigned char)t[cut] & 0xC0) == 0x80)
        cut--; /* not inside a UTF-8 sequence */
    return cut;
}

size_t job_part_next(const char *t, size_t len, size_t end)
{
    while (end < len && is_space((unsigned char)t[end]))
        end++;
    return end;
}
