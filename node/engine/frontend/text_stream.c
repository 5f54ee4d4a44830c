/* Plain text normalised window by window (see text_stream.h). The windows
 * are cut at ASCII white space, which is never inside a UTF-8 sequence and
 * always separates raw tokens, so a window's raw tokens are the text's. */
#include "node/engine/frontend/text_stream.h"

#include "node/engine/frontend/text_normalize.h"

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* The end of a window of at least `want` bytes from `at`: the next white
 * space, or the end of the text. */
static size_t window_end(const ss_text_stream *s, size_t want)
{
    if (want >= s->len - s->at) return s->len;
    size_t end = s->at + want;
    while (end < s->len && !is_space(s->text[end])) end++;
    return end;
}

void ss_text_stream_init(ss_text_stream *s, const char *text, size_t len)
{
    *s = (ss_text_stream){text, len, 0, 0, 0, len == 0};
}

int ss_text_stream_read(ss_text_stream *s, ss_token_list *out, char *err, size_t errlen)
{
    /* A window that holds too few raw tokens to read one (long tokens,
     * long runs of white space) is doubled until it does. */
    for (size_t want = SS_TEXT_WINDOW; !s->done; want *= 2) {
        size_t end = window_end(s, want);
        int final = end == s->len;
        size_t at, skip;
        if (ss_normalize_window(s->text, s->at, end, s->skip, final, out, &at, &skip, err, errlen)) return -1;
        s->read_to = end;
        if (final) {
            s->done = 1;
        } else if (at != s->at || skip != s->skip) {
            s->at = at;
            s->skip = skip;
            return 0;
        }
    }
    return 0;
}
