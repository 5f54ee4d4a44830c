/* The SSML element handlers (see ssml_elements.h), one row per supported
 * element:
 *   speak          the root; its end tag closes the document
 *   p, s           a sentence ends before and after
 *   break          a phrase break and pause (time, strength) on the last word
 *   prosody        rate and pitch for the content
 *   emphasis       an accent on the content's words (not level none/reduced)
 *   say-as         the normaliser's reading mode for the content
 *   sub            the alias is spoken instead of the content
 *   phoneme        the content is one word with the given pronunciation
 * The document-order rules (root is <speak>, nothing after </speak>) and
 * the nesting are the parser's (ssml_parser.c). The tables of values
 * (break strengths, rates, pitches) are read-only. */
#include "node/engine/frontend/ssml_elements.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/lexicon_runtime.h"
#include "node/engine/frontend/ssml_ipa.h"

void ssml_apply_prosody(ss_token_list *out, size_t from, const ssml_frame *f)
{
    for (size_t i = from; i < out->n; i++) {
        out->v[i].rate = f->rate;
        out->v[i].pitch_st = f->pitch_st;
        out->v[i].emphasis = f->emphasis;
    }
}

/* ---- speak, p, s --------------------------------------------------------- */

static void close_speak(ssml_doc *d)
{
    d->closed_speak = 1;
}

/* The last word so far ends a sentence (with a period unless it has
 * punctuation). */
static void end_sentence(ssml_doc *d)
{
    ss_token_list *out = d->out;
    if (!out->n) return;
    out->v[out->n - 1].sentence_end = 1;
    if (!out->v[out->n - 1].punct) out->v[out->n - 1].punct = '.';
}

static void at_sentence_tag(ssml_doc *d, const ssml_item *tag)
{
    (void)tag;
    end_sentence(d);
}

/* ---- break ----------------------------------------------------------------- */

static int break_ms(const ssml_doc *d, const ssml_item *tag)
{
    static const struct {
        const char *strength;
        int ms;
    } STRENGTHS[] = {{"none", 0}, {"x-weak", 100}, {"weak", 200}, {"strong", 700}, {"x-strong", 1000}};
    char v[32];
    if (ssml_attr(&d->lx, tag, "time", v, sizeof v)) {
        char *end;
        double x = strtod(v, &end);
        if (end != v && x >= 0) {
            if (!strcmp(end, "s")) x *= 1000;
            if (x > 10000) x = 10000;
            return (int)x;
        }
    }
    if (ssml_attr(&d->lx, tag, "strength", v, sizeof v))
        for (size_t i = 0; i < sizeof STRENGTHS / sizeof STRENGTHS[0]; i++)
            if (!strcmp(v, STRENGTHS[i].strength)) return STRENGTHS[i].ms;
    return 400;
}

static void at_break(ssml_doc *d, const ssml_item *tag)
{
    int ms = break_ms(d, tag);
    if (d->out->n && ms > 0) {
        d->out->v[d->out->n - 1].phrase_break = 1;
        d->out->v[d->out->n - 1].pause_ms = ms;
    }
}

/* ---- prosody ---------------------------------------------------------------- */

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

/* Rate is kept within 0.25..4. */
static int open_prosody(ssml_doc *d, const ssml_item *tag, ssml_frame *nf)
{
    char v[1024];
    if (ssml_attr(&d->lx, tag, "rate", v, sizeof v)) nf->rate = parse_rate(v, nf->rate);
    if (ssml_attr(&d->lx, tag, "pitch", v, sizeof v)) nf->pitch_st = parse_pitch(v, nf->pitch_st);
    if (nf->rate < 0.25) nf->rate = 0.25;
    if (nf->rate > 4) nf->rate = 4;
    return 0;
}

/* ---- emphasis, say-as -------------------------------------------------------- */

static int open_emphasis(ssml_doc *d, const ssml_item *tag, ssml_frame *nf)
{
    char v[1024];
    nf->emphasis = !(ssml_attr(&d->lx, tag, "level", v, sizeof v) && (!strcmp(v, "none") || !strcmp(v, "reduced")));
    return 0;
}

/* An interpret-as value that is not listed leaves the mode as it was. */
static int open_say_as(ssml_doc *d, const ssml_item *tag, ssml_frame *nf)
{
    static const struct {
        const char *interpret_as;
        ss_read_as mode;
    } MODES[] = {{"characters", SS_READ_CHARACTERS}, {"spell-out", SS_READ_CHARACTERS},
                 {"verbatim", SS_READ_CHARACTERS},   {"cardinal", SS_READ_CARDINAL},
                 {"number", SS_READ_CARDINAL},       {"ordinal", SS_READ_ORDINAL},
                 {"date", SS_READ_DATE},             {"telephone", SS_READ_TELEPHONE}};
    char v[1024];
    if (!ssml_attr(&d->lx, tag, "interpret-as", v, sizeof v)) return 0;
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++)
        if (!strcmp(v, MODES[i].interpret_as)) nf->mode = MODES[i].mode;
    return 0;
}

/* ---- sub, phoneme: the content is replaced ------------------------------------ */

/* The element's own text (up to the next tag), decoded into d->buf: its
 * length in *n and its extent in the input in [*s0, *s1). */
static int replaced_text(ssml_doc *d, const ssml_item *tag, size_t *n, size_t *s0, size_t *s1)
{
    size_t te = tag->end, bad;
    while (te < d->lx.len && d->lx.t[te] != '<') te++;
    *n = 0;
    if (ssml_decode_text(d->lx.t, tag->end, te, d->buf, d->off, n, &bad))
        return ssml_fail_at(&d->lx, bad, "bad entity");
    *s0 = tag->end;
    *s1 = te;
    return 0;
}

/* The alias is normalised and spoken; every word points at the replaced text. */
static int open_sub(ssml_doc *d, const ssml_item *tag, ssml_frame *nf)
{
    char alias[1024];
    size_t n, s0, s1, from = d->out->n;
    if (replaced_text(d, tag, &n, &s0, &s1)) return -1;
    if (!ssml_attr(&d->lx, tag, "alias", alias, sizeof alias))
        return ssml_fail_at(&d->lx, tag->at, "<sub> needs an alias attribute");
    size_t al = strlen(alias), *amap = malloc((al + 1) * sizeof(size_t));
    if (!amap) {
        snprintf(d->lx.err, d->lx.errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < al; k++) amap[k] = s0;
    int rc = ss_normalize(alias, al, amap, 0, SS_READ_AUTO, d->out, d->lx.err, d->lx.errlen);
    free(amap);
    for (size_t k = from; k < d->out->n; k++) {
        d->out->v[k].src_start = s0;
        d->out->v[k].src_end = s1;
    }
    if (rc) return -1;
    ssml_apply_prosody(d->out, from, nf);
    nf->skip_text = 1;
    return 0;
}

/* The ph attribute as ARPAbet phones in ph (ipa converted; x-cmu, arpabet,
 * cmu and x-arpabet taken as they are), checked against the phone set. */
static int phoneme_phones(ssml_doc *d, const ssml_item *tag, char *ph, size_t phlen)
{
    char attr[1024], alpha[32] = "x-cmu", why[160];
    if (!ssml_attr(&d->lx, tag, "ph", attr, sizeof attr))
        return ssml_fail_at(&d->lx, tag->at, "<phoneme> needs a ph attribute");
    ssml_attr(&d->lx, tag, "alphabet", alpha, sizeof alpha); /* an unterminated value is used too */
    if (!strcmp(alpha, "ipa")) {
        if (ss_ipa_to_arpabet(attr, ph, phlen, why, sizeof why)) return ssml_fail_at(&d->lx, tag->at, why);
    } else if (!strcmp(alpha, "x-cmu") || !strcmp(alpha, "arpabet") || !strcmp(alpha, "cmu") ||
               !strcmp(alpha, "x-arpabet")) {
        snprintf(ph, phlen, "%s", attr);
    } else {
        return ssml_fail_at(&d->lx, tag->at, "unsupported phoneme alphabet (use ipa or x-cmu)");
    }
    ss_pron pr;
    if (ss_pron_parse(ph, &pr, why, sizeof why)) return ssml_fail_at(&d->lx, tag->at, why);
    return 0;
}

/* The content's letters, lower case, are the word ("x" when it has none). */
static int open_phoneme(ssml_doc *d, const ssml_item *tag, ssml_frame *nf)
{
    char ph[1024], word[64];
    size_t n, s0, s1, from = d->out->n, wk = 0;
    if (replaced_text(d, tag, &n, &s0, &s1) || phoneme_phones(d, tag, ph, sizeof ph)) return -1;
    for (size_t k = 0; k < n && wk + 1 < sizeof word; k++)
        if (isalpha((unsigned char)d->buf[k])) word[wk++] = (char)tolower((unsigned char)d->buf[k]);
    if (!wk) word[wk++] = 'x';
    word[wk] = 0;
    if (ss_token_list_push(d->out, word, wk, s0, s1, ph)) {
        snprintf(d->lx.err, d->lx.errlen, "out of memory");
        return -1;
    }
    ssml_apply_prosody(d->out, from, nf);
    nf->skip_text = 1;
    return 0;
}

/* ---- the table --------------------------------------------------------------- */

static const ssml_element ELEMENTS[] = {
    {"speak", NULL, NULL, close_speak},
    {"p", at_sentence_tag, NULL, end_sentence},
    {"s", at_sentence_tag, NULL, end_sentence},
    {"break", at_break, NULL, NULL},
    {"prosody", NULL, open_prosody, NULL},
    {"emphasis", NULL, open_emphasis, NULL},
    {"say-as", NULL, open_say_as, NULL},
    {"sub", NULL, open_sub, NULL},
    {"phoneme", NULL, open_phoneme, NULL},
};

const ssml_element *ssml_element_find(const char *name)
{
    for (size_t i = 0; i < sizeof ELEMENTS / sizeof ELEMENTS[0]; i++)
        if (!strcmp(ELEMENTS[i].name, name)) return &ELEMENTS[i];
    return NULL;
}
