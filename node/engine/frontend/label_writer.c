/* HTS_TTS_ENG label writer (see label_writer.h).
 *
 *   p1^p2-p3+p4=p5@p6_p7/A:a1_a2_a3/B:b1-b2-b3@b4-b5&b6-b7#b8-b9$b10-b11!b12-b13;b14-b15|b16
 *   /C:c1+c2+c3/D:d1_d2/E:e1+e2@e3+e4&e5+e6#e7+e8/F:f1_f2/G:g1_g2/H:h1=h2@h3=h4|h5/I:i1=i2/J:j1+j2-j3
 *
 * Every value follows festival's definition as hts.scm computes it, quirks
 * included, because the voice's decision trees were trained on exactly those:
 *  - a pause's "previous/next" fields (A, C, D, F, G, I) are those of the
 *    phone before/after it ("0" when that is missing or another pause), and
 *    its own-unit fields are "x"; its H field is "x=x@1=<phrases>|0";
 *  - b8..b11 (ssyl/asyl in) do not count the phrase's first syllable;
 *  - e3+e4 is position in phrase and words from here to the phrase end
 *    (this word included); e5+e6 count content words before/after, this one
 *    excluded;
 *  - the distances (b12..b15, e7, e8) do not cross a phrase break and are 0
 *    when there is no such unit;
 *  - h5 is the end tone of the phrase's last syllable ("NONE" if none). */
#include "node/engine/frontend/label_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/lexicon_runtime.h"

static int phrase_first_syl(const ss_sentence *s, int ph)
{
    return s->words[s->phrases[ph].first_word].first_syl;
}

static int phrase_last_syl(const ss_sentence *s, int ph)
{
    const ss_word *w = &s->words[s->phrases[ph].first_word + s->phrases[ph].n_words - 1];
    return w->first_syl + w->n_syls - 1;
}

static int phrase_syls(const ss_sentence *s, int ph)
{
    return phrase_last_syl(s, ph) - phrase_first_syl(s, ph) + 1;
}

/* Distance to the previous/next syllable with flag set (stress or accent),
 * not crossing a phrase break; 0 when there is none. */
static int dist_prev(const ss_sentence *s, int i, int accent)
{
    int c = 0;
    for (int j = i - 1; j >= 0 && s->syls[j].brk <= 1; j--) {
        c++;
        if (accent ? s->syls[j].accented : s->syls[j].stress) return c;
    }
    return 0;
}

static int dist_next(const ss_sentence *s, int i, int accent)
{
    int c = 0;
    for (int j = i + 1; j < (int)s->n_syls && s->syls[j - 1].brk <= 1; j++) {
        c++;
        if (accent ? s->syls[j].accented : s->syls[j].stress) return c;
    }
    return 0;
}

static const char *syl_vowel(const ss_sentence *s, int i)
{
    const ss_syllable *y = &s->syls[i];
    for (int p = 0; p < y->n_phones; p++)
        if (ss_phone_is_vowel(s->phones[y->first_phone + p].name))
            return s->phones[y->first_phone + p].name;
    return "novowel";
}

static int is_content(const ss_sentence *s, int w)
{
    return strcmp(s->words[w].gpos, "content") == 0;
}

/* Appends formatted text to a fixed buffer. */
typedef struct {
    char buf[1024];
    size_t n;
} sb;

static void put(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->buf + b->n, sizeof b->buf - b->n, fmt, ap);
    va_end(ap);
    if (k > 0) b->n += (size_t)k;
    if (b->n >= sizeof b->buf) b->n = sizeof b->buf - 1;
}

static const char *phone_name(const ss_sentence *s, long k)
{
    if (k < 0 || k >= (long)s->n_phones) return "x";
    return s->phones[k].name;
}

/* Syllable of phone k, or -1 (missing or pause). */
static int phone_syl(const ss_sentence *s, long k)
{
    if (k < 0 || k >= (long)s->n_phones) return -1;
    return s->phones[k].syllable;
}

static void put_syl3(sb *b, const ss_sentence *s, int y, char sep)
{
    if (y < 0) put(b, "0%c0%c0", sep, sep);
    else put(b, "%d%c%d%c%d", s->syls[y].stress, sep, s->syls[y].accented, sep, s->syls[y].n_phones);
}

static void put_word2(sb *b, const ss_sentence *s, int w)
{
    if (w < 0 || w >= (int)s->n_words) put(b, "0_0");
    else put(b, "%s_%d", s->words[w].gpos, s->words[w].n_syls);
}

static void put_phrase2(sb *b, const ss_sentence *s, int ph, char sep)
{
    if (ph < 0 || ph >= (int)s->n_phrases) put(b, "0%c0", sep);
    else put(b, "%d%c%d", phrase_syls(s, ph), sep, s->phrases[ph].n_words);
}

int ss_label_write(ss_sentence *s, char *err, size_t errlen)
{
    s->labels = calloc(s->n_phones ? s->n_phones : 1, sizeof(char *));
    if (!s->labels) goto oom;
    int total_phr = (int)s->n_phrases;
    for (size_t kk = 0; kk < s->n_phones; kk++) {
        long k = (long)kk;
        const ss_phone *p = &s->phones[k];
        int pau = p->syllable < 0;
        sb b = {.n = 0};
        b.buf[0] = 0;
        put(&b, "%s^%s-%s+%s=%s", phone_name(s, k - 2), phone_name(s, k - 1), p->name,
            phone_name(s, k + 1), phone_name(s, k + 2));
        int y = p->syllable;
        if (pau) {
            int py = phone_syl(s, k - 1), ny = phone_syl(s, k + 1);
            int pw = py >= 0 ? s->syls[py].word : -1, nw = ny >= 0 ? s->syls[ny].word : -1;
            put(&b, "@x_x/A:");
            put_syl3(&b, s, py, '_');
            put(&b, "/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:");
            put_syl3(&b, s, ny, '+');
            put(&b, "/D:");
            put_word2(&b, s, pw);
            put(&b, "/E:x+x@x+x&x+x#x+x/F:");
            put_word2(&b, s, nw);
            put(&b, "/G:");
            put_phrase2(&b, s, pw >= 0 ? s->words[pw].phrase : -1, '_');
            put(&b, "/H:x=x@1=%d|0/I:", total_phr);
            put_phrase2(&b, s, nw >= 0 ? s->words[nw].phrase : -1, '=');
        } else {
            const ss_syllable *sy = &s->syls[y];
            int wi = sy->word;
            const ss_word *w = &s->words[wi];
            int ph = w->phrase;
            int f = phrase_first_syl(s, ph), l = phrase_last_syl(s, ph);
            int pos = (int)(k - sy->first_phone);
            put(&b, "@%d_%d/A:", pos + 1, sy->n_phones - pos);
            put_syl3(&b, s, y - 1, '_');
            int ssi = 0, sso = 0, asi = 0, aso = 0;
            for (int j = f + 1; j < y; j++) ssi += s->syls[j].stress, asi += s->syls[j].accented;
            for (int j = y + 1; j <= l; j++) sso += s->syls[j].stress, aso += s->syls[j].accented;
            int piw = y - w->first_syl;
            put(&b, "/B:%d-%d-%d@%d-%d&%d-%d#%d-%d$%d-%d!%d-%d;%d-%d|%s", sy->stress, sy->accented,
                sy->n_phones, piw + 1, w->n_syls - piw, y - f + 1, l - y + 1, ssi + 1, sso + 1,
                asi + 1, aso + 1, dist_prev(s, y, 0), dist_next(s, y, 0), dist_prev(s, y, 1),
                dist_next(s, y, 1), syl_vowel(s, y));
            put(&b, "/C:");
            put_syl3(&b, s, y + 1 < (int)s->n_syls ? y + 1 : -1, '+');
            put(&b, "/D:");
            put_word2(&b, s, wi - 1);
            const ss_phrase *pr = &s->phrases[ph];
            int wpos = wi - pr->first_word;
            int cin = 0, cout = 0, dpc = 0, dnc = 0;
            for (int j = pr->first_word; j < wi; j++) cin += is_content(s, j);
            for (int j = wi + 1; j < pr->first_word + pr->n_words; j++) cout += is_content(s, j);
            for (int j = wi - 1, c = 1; j >= pr->first_word; j--, c++)
                if (is_content(s, j)) { dpc = c; break; }
            for (int j = wi + 1, c = 1; j < pr->first_word + pr->n_words; j++, c++)
                if (is_content(s, j)) { dnc = c; break; }
            put(&b, "/E:%s+%d@%d+%d&%d+%d#%d+%d/F:", w->gpos, w->n_syls, wpos + 1,
                pr->n_words - wpos, cin, cout, dpc, dnc);
            put_word2(&b, s, wi + 1 < (int)s->n_words ? wi + 1 : -1);
            put(&b, "/G:");
            put_phrase2(&b, s, ph - 1, '_');
            put(&b, "/H:%d=%d@%d=%d|%s/I:", phrase_syls(s, ph), pr->n_words, ph + 1,
                total_phr - ph, s->syls[l].endtone);
            put_phrase2(&b, s, ph + 1, '=');
        }
        put(&b, "/J:%zu+%zu-%d", s->n_syls, s->n_words, total_phr);
        s->labels[kk] = strdup(b.buf);
        if (!s->labels[kk]) goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}
