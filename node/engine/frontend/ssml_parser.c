/* SSML subset reader (see ssml_parser.h).
 *
 * One forward pass over the bytes. Markup is recognised with a small state
 * machine; element context (prosody values, say-as mode, whether we are in
 * a sub or phoneme) lives on an explicit stack. Text between tags is
 * entity-decoded into a scratch buffer together with the original offset of
 * every decoded byte, and handed to the normaliser, so words keep offsets
 * into the caller's SSML. */
#include "node/engine/frontend/ssml_parser.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/lexicon_runtime.h"
#include "node/engine/frontend/text_normalize.h"

typedef struct {
    char name[16];
    double rate, pitch_st;
    ss_read_as mode;
    int skip_text;     /* inside sub/phoneme: text replaced */
    int emphasis;      /* inside <emphasis> */
} frame;

typedef struct {
    const char *t;
    size_t len;
    char *err;
    size_t errlen;
} reader;

static int fail_at(reader *r, size_t at, const char *why)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < r->len; i++) {
        if (r->t[i] == '\n') line++, col = 1;
        else col++;
    }
    snprintf(r->err, r->errlen, "SSML error at byte %zu (line %zu:%zu): %s", at, line, col, why);
    return -1;
}

/* Decodes text[a..b) into buf/off; -1 on a bad entity (position in *bad). */
static int decode_text(const char *t, size_t a, size_t b, char *buf, size_t *off, size_t *n,
                       size_t *bad)
{
    size_t k = 0;
    for (size_t i = a; i < b;) {
        if (t[i] != '&') {
            buf[k] = t[i];
            off[k++] = i++;
            continue;
        }
        const char *semi = memchr(t + i, ';', (b - i) < 12 ? b - i : 12);
        if (!semi) { *bad = i; return -1; }
        size_t el = (size_t)(semi - (t + i)) + 1;
        unsigned cp = 0;
        if (el == 5 && !memcmp(t + i, "&amp;", 5)) cp = '&';
        else if (el == 4 && !memcmp(t + i, "&lt;", 4)) cp = '<';
        else if (el == 4 && !memcmp(t + i, "&gt;", 4)) cp = '>';
        else if (el == 6 && !memcmp(t + i, "&quot;", 6)) cp = '"';
        else if (el == 6 && !memcmp(t + i, "&apos;", 6)) cp = '\'';
        else if (el > 3 && t[i + 1] == '#') {
            char *end;
            unsigned long v = t[i + 2] == 'x' ? strtoul(t + i + 3, &end, 16) : strtoul(t + i + 2, &end, 10);
            if (end != semi || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *bad = i; return -1; }
            cp = (unsigned)v;
        } else { *bad = i; return -1; }
        /* UTF-8 encode */
        unsigned char u[4];
        int ul;
        if (cp < 0x80) u[0] = (unsigned char)cp, ul = 1;
        else if (cp < 0x800) u[0] = (unsigned char)(0xC0 | (cp >> 6)), u[1] = (unsigned char)(0x80 | (cp & 63)), ul = 2;
        else if (cp < 0x10000) u[0] = (unsigned char)(0xE0 | (cp >> 12)), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 63)), u[2] = (unsigned char)(0x80 | (cp & 63)), ul = 3;
        else u[0] = (unsigned char)(0xF0 | (cp >> 18)), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 63)), u[2] = (unsigned char)(0x80 | ((cp >> 6) & 63)), u[3] = (unsigned char)(0x80 | (cp & 63)), ul = 4;
        for (int j = 0; j < ul; j++) { buf[k] = (char)u[j]; off[k++] = i; }
        i += el;
    }
    *n = k;
    return 0;
}

/* Attribute lookup inside a tag body [a, b). Copies the (raw) value. */
static int get_attr(const char *t, size_t a, size_t b, const char *name, char *val, size_t vlen)
{
    size_t nl = strlen(name);
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

static double parse_rate(const char *v, double cur)
{
    if (!strcmp(v, "x-slow")) return 0.5;
    if (!strcmp(v, "slow")) return 0.75;
    if (!strcmp(v, "medium") || !strcmp(v, "default")) return 1.0;
    if (!strcmp(v, "fast")) return 1.25;
    if (!strcmp(v, "x-fast")) return 1.5;
    char *end;
    double x = strtod(v, &end);
    if (end != v && *end == '%') return cur * (x / 100.0);
    if (end != v && *end == 0 && x > 0) return cur * x;
    return cur;
}

static double parse_pitch(const char *v, double cur)
{
    if (!strcmp(v, "x-low")) return -6;
    if (!strcmp(v, "low")) return -3;
    if (!strcmp(v, "medium") || !strcmp(v, "default")) return 0;
    if (!strcmp(v, "high")) return 3;
    if (!strcmp(v, "x-high")) return 6;
    char *end;
    double x = strtod(v, &end);
    if (end == v) return cur;
    if (!strcmp(end, "st")) return cur + x;
    if (*end == '%' && 1 + x / 100.0 > 0) return cur + 12.0 * log2(1 + x / 100.0);
    return cur;
}

static int parse_break_ms(const char *t, size_t a, size_t b)
{
    char v[32];
    if (get_attr(t, a, b, "time", v, sizeof v)) {
        char *end;
        double x = strtod(v, &end);
        if (end != v && x >= 0) {
            if (!strcmp(end, "s")) x *= 1000;
            if (x > 10000) x = 10000;
            return (int)x;
        }
    }
    if (get_attr(t, a, b, "strength", v, sizeof v)) {
        if (!strcmp(v, "none")) return 0;
        if (!strcmp(v, "x-weak")) return 100;
        if (!strcmp(v, "weak")) return 200;
        if (!strcmp(v, "strong")) return 700;
        if (!strcmp(v, "x-strong")) return 1000;
    }
    return 400;
}

static const struct {
    const char *ipa, *arpa;
    int vowel;
} IPA[] = {
    {"t\xca\x83", "ch", 0}, {"d\xca\x92", "jh", 0}, {"e\xc9\xaa", "ey", 1}, {"a\xc9\xaa", "ay", 1},
    {"\xc9\x94\xc9\xaa", "oy", 1}, {"a\xca\x8a", "aw", 1}, {"o\xca\x8a", "ow", 1},
    {"\xc9\x99\xca\x8a", "ow", 1}, {"\xc9\x9d", "er", 1}, {"\xc9\x9a", "er", 1},
    {"\xc9\x91", "aa", 1}, {"\xc3\xa6", "ae", 1}, {"\xca\x8c", "ah", 1}, {"\xc9\x94", "ao", 1},
    {"\xc9\x99", "ax", 1}, {"\xc9\x9b", "eh", 1}, {"\xc9\xaa", "ih", 1}, {"i", "iy", 1},
    {"\xca\x8a", "uh", 1}, {"u", "uw", 1}, {"e", "ey", 1}, {"o", "ow", 1}, {"a", "aa", 1},
    {"\xce\xb8", "th", 0}, {"\xc3\xb0", "dh", 0}, {"\xca\x83", "sh", 0}, {"\xca\x92", "zh", 0},
    {"\xc5\x8b", "ng", 0}, {"\xc9\xb9", "r", 0}, {"r", "r", 0}, {"j", "y", 0}, {"\xc9\xa1", "g", 0},
    {"g", "g", 0}, {"h", "hh", 0}, {"b", "b", 0}, {"d", "d", 0}, {"f", "f", 0}, {"k", "k", 0},
    {"l", "l", 0}, {"m", "m", 0}, {"n", "n", 0}, {"p", "p", 0}, {"s", "s", 0}, {"t", "t", 0},
    {"v", "v", 0}, {"w", "w", 0}, {"z", "z", 0}, {"\xc9\xbe", "t", 0},
};

int ss_ipa_to_arpabet(const char *ipa, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t k = 0;
    int pending_stress = 0;
    out[0] = 0;
    for (const char *p = ipa; *p;) {
        if (!strncmp(p, "\xcb\x88", 2)) { pending_stress = 1; p += 2; continue; } /* primary */
        if (!strncmp(p, "\xcb\x8c", 2)) { p += 2; continue; }                     /* secondary */
        if (!strncmp(p, "\xcb\x90", 2)) { p += 2; continue; }                     /* length */
        if (*p == '.' || *p == ' ' || *p == '/' || *p == '[' || *p == ']') { p++; continue; }
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < sizeof IPA / sizeof IPA[0]; i++) {
            size_t l = strlen(IPA[i].ipa);
            if (l > best && !strncmp(p, IPA[i].ipa, l)) best = l, bi = i;
        }
        if (!best) {
            snprintf(err, errlen, "unknown IPA symbol at '%.6s'", p);
            return -1;
        }
        char ph[8];
        snprintf(ph, sizeof ph, "%s%s", IPA[bi].arpa,
                 IPA[bi].vowel ? (pending_stress ? "1" : "0") : "");
        if (IPA[bi].vowel) pending_stress = 0;
        size_t pl = strlen(ph);
        if (k + pl + 2 > outlen) {
            snprintf(err, errlen, "IPA transcription too long");
            return -1;
        }
        if (k) out[k++] = ' ';
        memcpy(out + k, ph, pl + 1);
        k += pl;
        p += best;
    }
    if (!k) {
        snprintf(err, errlen, "empty IPA transcription");
        return -1;
    }
    return 0;
}

/* Applies the current frame's prosody to tokens [from, l->n). */
static void apply_prosody(ss_token_list *l, size_t from, const frame *f)
{
    for (size_t i = from; i < l->n; i++) {
        l->v[i].rate = f->rate;
        l->v[i].pitch_st = f->pitch_st;
        l->v[i].emphasis = f->emphasis;
    }
}

int ss_ssml_to_tokens(const char *t, size_t len, ss_token_list *out, char *err, size_t errlen)
{
    reader r = {t, len, err, errlen};
    frame stack[SS_SSML_MAX_DEPTH + 1];
    int depth = 0;
    memset(&stack[0], 0, sizeof stack[0]);
    stack[0].rate = 1.0;
    int seen_speak = 0, closed_speak = 0;
    char *buf = malloc(len * 4 + 1);
    size_t *off = malloc((len * 4 + 1) * sizeof(size_t));
    /* sub/phoneme capture */
    char attr[1024];
    if (!buf || !off) {
        free(buf);
        free(off);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    size_t i = 0;
    while (i < len && rc == 0) {
        if (t[i] != '<') {
            size_t a = i;
            while (i < len && t[i] != '<') i++;
            frame *f = &stack[depth];
            if (f->skip_text) continue;
            int blank = 1;
            for (size_t k = a; k < i; k++) if (!isspace((unsigned char)t[k])) blank = 0;
            if (blank) continue;
            if (!seen_speak || closed_speak) { rc = fail_at(&r, a, "text outside <speak>"); break; }
            size_t n, bad;
            if (decode_text(t, a, i, buf, off, &n, &bad)) { rc = fail_at(&r, bad, "bad entity"); break; }
            size_t from = out->n;
            if (ss_normalize(buf, n, off, 0, f->mode, out, err, errlen)) { rc = -1; break; }
            apply_prosody(out, from, f);
            continue;
        }
        size_t tag = i;
        if (len - i >= 4 && !memcmp(t + i, "<!--", 4)) {
            const char *e = NULL;
            for (size_t k = i + 4; k + 2 < len; k++) if (!memcmp(t + k, "-->", 3)) { e = t + k; break; }
            if (!e) { rc = fail_at(&r, tag, "unclosed comment"); break; }
            i = (size_t)(e - t) + 3;
            continue;
        }
        if (len - i >= 2 && t[i + 1] == '?') {
            const char *e = NULL;
            for (size_t k = i + 2; k + 1 < len; k++) if (t[k] == '?' && t[k + 1] == '>') { e = t + k; break; }
            if (!e) { rc = fail_at(&r, tag, "unclosed processing instruction"); break; }
            i = (size_t)(e - t) + 2;
            continue;
        }
        /* find the end of the tag, honouring quotes */
        size_t j = i + 1;
        char q = 0;
        while (j < len && (q || t[j] != '>')) {
            if (q) { if (t[j] == q) q = 0; }
            else if (t[j] == '"' || t[j] == '\'') q = t[j];
            else if (t[j] == '<') break;
            j++;
        }
        if (j >= len || t[j] != '>') { rc = fail_at(&r, tag, "unterminated tag"); break; }
        int closing = t[i + 1] == '/';
        size_t ns = i + 1 + (size_t)closing, ne = ns;
        while (ne < j && (isalnum((unsigned char)t[ne]) || t[ne] == '-' || t[ne] == ':' || t[ne] == '_')) ne++;
        if (ne == ns) { rc = fail_at(&r, tag, "tag without a name"); break; }
        int selfclose = !closing && t[j - 1] == '/';
        size_t body_a = ne, body_b = selfclose ? j - 1 : j;
        char name[16];
        size_t nl = ne - ns < sizeof name - 1 ? ne - ns : sizeof name - 1;
        memcpy(name, t + ns, nl);
        name[nl] = 0;
        i = j + 1;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth].name, name) != 0) {
                char why[96];
                snprintf(why, sizeof why, "closing </%s> does not match <%s>", name,
                         depth ? stack[depth].name : "(nothing open)");
                rc = fail_at(&r, tag, why);
                break;
            }
            if ((!strcmp(name, "s") || !strcmp(name, "p")) && out->n) {
                out->v[out->n - 1].sentence_end = 1;
                if (!out->v[out->n - 1].punct) out->v[out->n - 1].punct = '.';
            }
            if (!strcmp(name, "speak")) closed_speak = 1;
            depth--;
            continue;
        }
        if (!seen_speak) {
            if (strcmp(name, "speak") != 0) { rc = fail_at(&r, tag, "the root element must be <speak>"); break; }
            seen_speak = 1;
        } else if (closed_speak) { rc = fail_at(&r, tag, "markup after </speak>"); break; }
        else if (!strcmp(name, "speak")) { rc = fail_at(&r, tag, "nested <speak>"); break; }
        if (!strcmp(name, "break")) {
            int ms = parse_break_ms(t, body_a, body_b);
            if (out->n && ms > 0) {
                out->v[out->n - 1].phrase_break = 1;
                out->v[out->n - 1].pause_ms = ms;
            }
            if (!selfclose) {
                if (depth >= SS_SSML_MAX_DEPTH) { rc = fail_at(&r, tag, "elements nested too deeply"); break; }
                stack[depth + 1] = stack[depth];
                snprintf(stack[depth + 1].name, sizeof stack[0].name, "%s", name);
                depth++;
            }
            continue;
        }
        if (!strcmp(name, "p") || !strcmp(name, "s")) {
            if (out->n) {
                out->v[out->n - 1].sentence_end = 1;
                if (!out->v[out->n - 1].punct) out->v[out->n - 1].punct = '.';
            }
        }
        if (selfclose) continue;
        if (depth >= SS_SSML_MAX_DEPTH) { rc = fail_at(&r, tag, "elements nested too deeply"); break; }
        frame nf = stack[depth];
        snprintf(nf.name, sizeof nf.name, "%s", name);
        if (!strcmp(name, "prosody")) {
            if (get_attr(t, body_a, body_b, "rate", attr, sizeof attr)) nf.rate = parse_rate(attr, nf.rate);
            if (get_attr(t, body_a, body_b, "pitch", attr, sizeof attr)) nf.pitch_st = parse_pitch(attr, nf.pitch_st);
            if (nf.rate < 0.25) nf.rate = 0.25;
            if (nf.rate > 4) nf.rate = 4;
        } else if (!strcmp(name, "emphasis")) {
            nf.emphasis = !(get_attr(t, body_a, body_b, "level", attr, sizeof attr) &&
                            (!strcmp(attr, "none") || !strcmp(attr, "reduced")));
        } else if (!strcmp(name, "say-as")) {
            if (get_attr(t, body_a, body_b, "interpret-as", attr, sizeof attr)) {
                if (!strcmp(attr, "characters") || !strcmp(attr, "spell-out") || !strcmp(attr, "verbatim")) nf.mode = SS_READ_CHARACTERS;
                else if (!strcmp(attr, "cardinal") || !strcmp(attr, "number")) nf.mode = SS_READ_CARDINAL;
                else if (!strcmp(attr, "ordinal")) nf.mode = SS_READ_ORDINAL;
                else if (!strcmp(attr, "date")) nf.mode = SS_READ_DATE;
                else if (!strcmp(attr, "telephone")) nf.mode = SS_READ_TELEPHONE;
            }
        } else if (!strcmp(name, "sub") || !strcmp(name, "phoneme")) {
            /* The element's own text is replaced; find its extent for offsets. */
            size_t te = i;
            while (te < len && t[te] != '<') te++;
            size_t n = 0, bad;
            if (decode_text(t, i, te, buf, off, &n, &bad)) { rc = fail_at(&r, bad, "bad entity"); break; }
            size_t s0 = i, s1 = te > i ? te : i;
            size_t from = out->n;
            if (!strcmp(name, "sub")) {
                if (!get_attr(t, body_a, body_b, "alias", attr, sizeof attr)) { rc = fail_at(&r, tag, "<sub> needs an alias attribute"); break; }
                size_t al = strlen(attr), *amap = malloc((al + 1) * sizeof(size_t));
                if (!amap) { snprintf(err, errlen, "out of memory"); rc = -1; break; }
                for (size_t k = 0; k < al; k++) amap[k] = s0;
                /* The alias is spoken; every word points at the replaced text. */
                rc = ss_normalize(attr, al, amap, 0, SS_READ_AUTO, out, err, errlen);
                free(amap);
                for (size_t k = from; k < out->n; k++) { out->v[k].src_start = s0; out->v[k].src_end = s1; }
                if (rc) break;
            } else {
                char ph[1024], alpha[32] = "x-cmu", e2[160];
                if (!get_attr(t, body_a, body_b, "ph", attr, sizeof attr)) { rc = fail_at(&r, tag, "<phoneme> needs a ph attribute"); break; }
                get_attr(t, body_a, body_b, "alphabet", alpha, sizeof alpha);
                if (!strcmp(alpha, "ipa")) {
                    if (ss_ipa_to_arpabet(attr, ph, sizeof ph, e2, sizeof e2)) { rc = fail_at(&r, tag, e2); break; }
                } else if (!strcmp(alpha, "x-cmu") || !strcmp(alpha, "arpabet") || !strcmp(alpha, "cmu") ||
                           !strcmp(alpha, "x-arpabet")) {
                    snprintf(ph, sizeof ph, "%s", attr);
                } else { rc = fail_at(&r, tag, "unsupported phoneme alphabet (use ipa or x-cmu)"); break; }
                ss_pron pr;
                if (ss_pron_parse(ph, &pr, e2, sizeof e2)) { rc = fail_at(&r, tag, e2); break; }
                char word[64];
                size_t wk = 0;
                for (size_t k = 0; k < n && wk + 1 < sizeof word; k++)
                    if (isalpha((unsigned char)buf[k])) word[wk++] = (char)tolower((unsigned char)buf[k]);
                if (!wk) word[wk++] = 'x';
                word[wk] = 0;
                if (ss_token_list_push(out, word, wk, s0, s1, ph)) { snprintf(err, errlen, "out of memory"); rc = -1; break; }
            }
            apply_prosody(out, from, &nf);
            nf.skip_text = 1;
        }
        /* Other elements (unknown ones included) only scope their content. */
        stack[++depth] = nf;
    }
    if (rc == 0 && depth > 0) rc = fail_at(&r, len, "unclosed element");
    if (rc == 0 && !seen_speak) rc = fail_at(&r, 0, "no <speak> element");
    free(buf);
    free(off);
    return rc;
}
