/* The SSML reader's tokenizer (see ssml_tokenizer.h).
 *
 * One forward scan: text runs up to the next '<'; "<!--" ... "-->" and
 * "<?" ... "?>" are skipped; a tag ends at the first '>' outside quotes (an
 * unquoted '<' before it leaves it unterminated). Attribute values and
 * entities are read on demand, from the byte ranges the items carry. No
 * state beyond the lexer's position. */
#include "node/engine/frontend/ssml_tokenizer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ssml_fail_at(const ssml_lexer *lx, size_t at, const char *why)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < lx->len; i++) {
        if (lx->t[i] == '\n') line++, col = 1;
        else col++;
    }
    snprintf(lx->err, lx->errlen, "SSML error at byte %zu (line %zu:%zu): %s", at, line, col, why);
    return -1;
}

/* Skips "<!--...-->" or "<?...?>" at lx->pos. 1 skipped, 0 not one, -1 unclosed. */
static int skip_comment_or_pi(ssml_lexer *lx)
{
    const char *t = lx->t;
    size_t i = lx->pos, len = lx->len;
    if (len - i >= 4 && !memcmp(t + i, "<!--", 4)) {
        for (size_t k = i + 4; k + 2 < len; k++)
            if (!memcmp(t + k, "-->", 3)) { lx->pos = k + 3; return 1; }
        return ssml_fail_at(lx, i, "unclosed comment");
    }
    if (len - i >= 2 && t[i + 1] == '?') {
        for (size_t k = i + 2; k + 1 < len; k++)
            if (t[k] == '?' && t[k + 1] == '>') { lx->pos = k + 2; return 1; }
        return ssml_fail_at(lx, i, "unclosed processing instruction");
    }
    return 0;
}

/* The '>' closing the tag that starts at i, honouring quotes; len if none. */
static size_t tag_end(const char *t, size_t i, size_t len)
{
    size_t j = i + 1;
    char q = 0;
    while (j < len && (q || t[j] != '>')) {
        if (q) { if (t[j] == q) q = 0; }
        else if (t[j] == '"' || t[j] == '\'') q = t[j];
        else if (t[j] == '<') break;
        j++;
    }
    return j < len && t[j] == '>' ? j : len;
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == ':' || c == '_';
}

static int read_tag(ssml_lexer *lx, ssml_item *it)
{
    const char *t = lx->t;
    size_t i = lx->pos, j = tag_end(t, i, lx->len);
    if (j >= lx->len) return ssml_fail_at(lx, i, "unterminated tag");
    int closing = t[i + 1] == '/';
    size_t ns = i + 1 + (size_t)closing, ne = ns;
    while (ne < j && is_name_char(t[ne])) ne++;
    if (ne == ns) return ssml_fail_at(lx, i, "tag without a name");
    it->kind = closing ? SSML_END_TAG : SSML_START_TAG;
    it->at = i;
    it->end = j + 1;
    it->selfclose = !closing && t[j - 1] == '/';
    it->attrs_a = ne;
    it->attrs_b = it->selfclose ? j - 1 : j;
    size_t nl = ne - ns < sizeof it->name - 1 ? ne - ns : sizeof it->name - 1;
    memcpy(it->name, t + ns, nl);
    it->name[nl] = 0;
    lx->pos = j + 1;
    return 0;
}

int ssml_next(ssml_lexer *lx, ssml_item *it)
{
    memset(it, 0, sizeof *it);
    for (;;) {
        if (lx->pos >= lx->len) return 0; /* SSML_END_OF_INPUT */
        if (lx->t[lx->pos] != '<') {
            it->kind = SSML_TEXT;
            it->at = lx->pos;
            while (lx->pos < lx->len && lx->t[lx->pos] != '<') lx->pos++;
            it->end = lx->pos;
            return 0;
        }
        int skipped = skip_comment_or_pi(lx);
        if (skipped < 0) return -1;
        if (!skipped) return read_tag(lx, it);
    }
}

int ssml_attr(const ssml_lexer *lx, const ssml_item *tag, const char *name, char *val, size_t vlen)
{
    const char *t = lx->t;
    size_t a = tag->attrs_a, b = tag->attrs_b, nl = strlen(name);
    for (size_t i = a; i + nl < b; i++) {
        if ((i == a || isspace((unsigned char)t[i - 1])) && !strncmp(t + i, name, nl)) {
            size_t j = i + nl;
            while (j < b && isspace((unsigned char)t[j])) j++;
            if (j >= b || t[j] != '=') continue;
            j++;
            while (j < b && isspace((unsigned char)t[j])) j++;
            if (j >= b || (t[j] != '"' && t[j] != '\'')) return 0;
            char q = t[j++];
            size_t k = 0;
            while (j < b && t[j] != q) {
                if (k + 1 < vlen) val[k++] = t[j];
                j++;
            }
            val[k] = 0;
            return j < b;
        }
    }
    return 0;
}

/* The code point of the entity t[i..i+el) (el includes '&' and ';'), 0 if bad. */
static unsigned entity_code_point(const char *t, size_t i, size_t el, const char *semi)
{
    if (el == 5 && !memcmp(t + i, "&amp;", 5)) return '&';
    if (el == 4 && !memcmp(t + i, "&lt;", 4)) return '<';
    if (el == 4 && !memcmp(t + i, "&gt;", 4)) return '>';
    if (el == 6 && !memcmp(t + i, "&quot;", 6)) return '"';
    if (el == 6 && !memcmp(t + i, "&apos;", 6)) return '\'';
    if (el > 3 && t[i + 1] == '#') {
        char *end;
        unsigned long v = t[i + 2] == 'x' ? strtoul(t + i + 3, &end, 16) : strtoul(t + i + 2, &end, 10);
        if (end != semi || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        return (unsigned)v;
    }
    return 0;
}

static int utf8_encode(unsigned cp, unsigned char u[4])
{
    if (cp < 0x80) { u[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        u[2] = (unsigned char)(0x80 | (cp & 63));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | (cp >> 18));
    u[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
    u[3] = (unsigned char)(0x80 | (cp & 63));
    return 4;
}

int ssml_decode_text(const char *t, size_t a, size_t b, char *buf, size_t *off, size_t *n, size_t *bad)
{
    size_t k = 0;
    for (size_t i = a; i < b;) {
        if (t[i] != '&') {
            buf[k] = t[i];
            off[k++] = i++;
            continue;
        }
        const char *semi = memchr(t + i, ';', (b - i) < 12 ? b - i : 12);
        size_t el = semi ? (size_t)(semi - (t + i)) + 1 : 0;
        unsigned cp = semi ? entity_code_point(t, i, el, semi) : 0;
        if (!cp) { *bad = i; return -1; }
        unsigned char u[4];
        int ul = utf8_encode(cp, u);
        for (int j = 0; j < ul; j++) { buf[k] = (char)u[j]; off[k++] = i; }
        i += el;
    }
    *n = k;
    return 0;
}
