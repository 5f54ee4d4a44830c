/* Text normalisation (see text_normalize.h for the classes).
 *
 * Three passes, each linear:
 *  1. clean: decode UTF-8 into a byte string the rules can read, keeping
 *     for every byte its offset in the original. Curly quotes become ' and ",
 *     dashes - (en) or " -- " (em), the ellipsis "...", accented Latin
 *     letters their base letter, the currency signs and the degree sign
 *     one-byte markers; control characters, emoji, other scripts and invalid
 *     UTF-8 become a space (so they drop out but still separate words);
 *  2. split on white space into raw tokens;
 *  3. read each raw token with the rules below, with one token of lookahead
 *     (a.m./p.m., units, month-day-year, number + million).
 * The tables (abbreviations, units, months, acronyms read as words, letter
 * names, symbols) are at the top of the file. */
#include "node/engine/frontend/text_normalize.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/text_numbers.h"

#define MK_EURO '\x01'
#define MK_POUND '\x02'
#define MK_DEGREE '\x03'

/* ---- tables ---------------------------------------------------------- */

static const struct {
    const char *abbr, *words;
} ABBREV[] = {
    {"Dr", "doctor"},   {"Mr", "mister"},        {"Mrs", "missus"},    {"Ms", "miz"},
    {"St", "saint"},    {"vs", "versus"},        {"e.g", "for example"}, {"i.e", "that is"},
    {"etc", "et cetera"}, {"Jr", "junior"},      {"Sr", "senior"},     {"Prof", "professor"},
    {"Inc", "incorporated"}, {"Ltd", "limited"}, {"Co", "company"},    {"approx", "approximately"},
    {"Ave", "avenue"},  {"Mt", "mount"},         {"Gen", "general"},   {"Capt", "captain"},
    {"Sgt", "sergeant"}, {"Dept", "department"}, {"Fig", "figure"},    {"Rd", "road"},
    {"Blvd", "boulevard"}, {"Gov", "governor"},  {"Sen", "senator"},   {"Rep", "representative"},
    {"a.m", "a m"},     {"p.m", "p m"},          {"U.S", "u s"},       {"U.K", "u k"},
};

static const char *const MONTHS[] = {"january", "february", "march",     "april",
                                     "may",     "june",     "july",      "august",
                                     "september", "october", "november", "december"};
static const char *const MONTH_ABBR[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};

static const struct {
    const char *unit, *one, *many;
} UNITS[] = {
    {"km", "kilometer", "kilometers"}, {"m", "meter", "meters"},
    {"cm", "centimeter", "centimeters"}, {"mm", "millimeter", "millimeters"},
    {"kg", "kilogram", "kilograms"},   {"g", "gram", "grams"},
    {"mg", "milligram", "milligrams"}, {"lb", "pound", "pounds"},
    {"lbs", "pound", "pounds"},        {"oz", "ounce", "ounces"},
    {"mi", "mile", "miles"},           {"ft", "foot", "feet"},
    {"in", "inch", "inches"},          {"mph", "miles per hour", "miles per hour"},
    {"km/h", "kilometer per hour", "kilometers per hour"},
    {"kmh", "kilometer per hour", "kilometers per hour"},
    {"l", "liter", "liters"},          {"ml", "milliliter", "milliliters"},
    {"s", "second", "seconds"},        {"sec", "second", "seconds"},
    {"ms", "millisecond", "milliseconds"}, {"min", "minute", "minutes"},
    {"h", "hour", "hours"},            {"hr", "hour", "hours"},
    {"kb", "kilobyte", "kilobytes"},   {"mb", "megabyte", "megabytes"},
    {"gb", "gigabyte", "gigabytes"},   {"tb", "terabyte", "terabytes"},
    {"hz", "hertz", "hertz"},          {"khz", "kilohertz", "kilohertz"},
    {"\x03" "c", "degree celsius", "degrees celsius"},
    {"\x03" "f", "degree fahrenheit", "degrees fahrenheit"},
    {"\x03", "degree", "degrees"},     {"%", "percent", "percent"},
};

/* Acronyms that are read as words although written in capitals. */
static const char *const WORD_ACRONYMS[] = {
    "NASA", "NATO", "UNESCO", "UNICEF", "OPEC", "NAFTA", "FIFA", "SCUBA", "LASER", "RADAR",
    "AIDS", "COVID", "ASAP", "POTUS", "SWAT", "ZIP", "PIN", "RAM", "ROM", "LAN", "WAN",
    "SIM", "CAPTCHA", "GIF", "JPEG", "NASCAR", "INTERPOL", "ISIS", "UNIX", "LINUX", "WIFI"};

/* Letter names (explicit phones, so "a" is not the article). */
static const char *const LETTER_PHONES[26] = {
    "ey1",      "b iy1",     "s iy1",  "d iy1",   "iy1",     "eh1 f",   "jh iy1",
    "ey1 ch",   "ay1",       "jh ey1", "k ey1",   "eh1 l",   "eh1 m",   "eh1 n",
    "ow1",      "p iy1",     "k y uw1", "aa1 r",  "eh1 s",   "t iy1",   "y uw1",
    "v iy1",    "d ah1 b ax0 l y uw0", "eh1 k s", "w ay1", "z iy1"};

static const struct {
    char sym;
    const char *word;
} SYMBOLS[] = {{'&', "and"},  {'@', "at"},     {'+', "plus"},   {'=', "equals"},
               {'#', "number"}, {'%', "percent"}, {'*', "star"}, {'<', "less than"},
               {'>', "greater than"}, {'~', "about"}};

/* ---- pass 1: clean ---------------------------------------------------- */

typedef struct {
    char *s;
    size_t *off; /* original offset of each byte of s */
    size_t n;
} cleaned;

static void put_clean(cleaned *c, const char *str, size_t off)
{
    for (; *str; str++) {
        c->s[c->n] = *str;
        c->off[c->n] = off;
        c->n++;
    }
}

/* Latin-1 supplement letters U+00C0..U+00FF -> ASCII base letter (0 = drop). */
static const char LATIN1[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";

static int decode_utf8(const unsigned char *p, size_t n, unsigned *cp)
{
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    int len = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || (size_t)len > n) return 0;
    unsigned v = p[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
        v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static int clean_text(const char *text, size_t len, const size_t *offmap, size_t base, cleaned *c)
{
    /* Worst case: a 2-byte character becomes 12 bytes ("÷" -> " divided by "). */
    c->s = malloc(len * 6 + 16);
    c->off = malloc((len * 6 + 16) * sizeof(size_t));
    c->n = 0;
    if (!c->s || !c->off) return -1;
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t off = offmap ? offmap[i] : base + i;
        unsigned cp;
        int k = decode_utf8(p + i, len - i, &cp);
        if (k == 0) { i++; continue; } /* invalid UTF-8: dropped */
        i += (size_t)k;
        char one[2] = {0, 0};
        const char *rep = one;
        if (cp < 0x80) {
            if (cp == '\t' || cp == '\n' || cp == '\r' || cp < 0x20 || cp == 0x7F) rep = " ";
            else one[0] = (char)cp;
        } else if (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) {
            one[0] = LATIN1[cp - 0xC0];
        } else {
            switch (cp) {
            case 0x2018: case 0x2019: case 0x201B: case 0x2032: rep = "'"; break;
            case 0x201C: case 0x201D: case 0x201E: case 0x2033: case 0xAB: case 0xBB: rep = "\""; break;
            case 0x2013: case 0x2212: case 0x2010: case 0x2011: rep = "-"; break;
            case 0x2014: case 0x2015: rep = " -- "; break;
            case 0x2026: rep = "..."; break;
            case 0x20AC: one[0] = MK_EURO; break;
            case 0xA3: one[0] = MK_POUND; break;
            case 0xB0: one[0] = MK_DEGREE; break;
            case 0xD7: rep = " times "; break;
            case 0xF7: rep = " divided by "; break;
            default: rep = " "; break; /* emoji, other scripts, NBSP, ... */
            }
        }
        put_clean(c, rep, off);
    }
    c->s[c->n] = 0;
    return 0;
}

/* ---- output helpers --------------------------------------------------- */

typedef struct {
    ss_token_list *out;
    int oom;
} emitter;

/* Pushes each space-separated word of `words` with the source range. */
static void emit_words(emitter *e, const char *words, size_t s0, size_t s1)
{
    const char *p = words;
    while (*p) {
        while (*p == ' ') p++;
        const char *st = p;
        while (*p && *p != ' ') p++;
        if (p > st && ss_token_list_push(e->out, st, (size_t)(p - st), s0, s1, NULL)) e->oom = 1;
    }
}

static void emit_letter(emitter *e, char ch, size_t s0, size_t s1)
{
    int l = tolower((unsigned char)ch);
    if (l < 'a' || l > 'z') return;
    char w[2] = {(char)l, 0};
    if (ss_token_list_push(e->out, w, 1, s0, s1, LETTER_PHONES[l - 'a'])) e->oom = 1;
}

static void emit_wb(emitter *e, ss_wordbuf *b, size_t s0, size_t s1)
{
    if (b->len) emit_words(e, b->buf, s0, s1);
    b->len = 0;
    b->buf[0] = 0;
    b->overflow = 0;
}

/* ---- pass 3: the rules ------------------------------------------------ */

typedef struct {
    const char *s; /* into cleaned text */
    size_t n;
    size_t s0, s1; /* original range */
} raw_tok;

static int all_digits(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static int ieq(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

static int month_index(const char *s, size_t n)
{
    for (int m = 0; m < 12; m++)
        if (ieq(s, n, MONTHS[m]) || ieq(s, n, MONTH_ABBR[m]) || (m == 8 && ieq(s, n, "sept")))
            return m;
    return -1;
}

static const char *unit_words(const char *s, size_t n, int plural)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (ieq(s, n, UNITS[i].unit)) return plural ? UNITS[i].many : UNITS[i].one;
    return NULL;
}

/* Reads a number "-1,234.56" at s (len n): digits of the integer part
 * (commas removed) and of the fraction. Returns chars consumed (0 if none). */
static size_t scan_number(const char *s, size_t n, char *ip, size_t ipcap, char *fp, size_t fpcap,
                          int *neg)
{
    size_t i = 0, a = 0, b = 0;
    *neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+') && i + 1 < n && isdigit((unsigned char)s[i + 1])) {
        *neg = s[i] == '-';
        i++;
    }
    size_t start = i;
    while (i < n) {
        if (isdigit((unsigned char)s[i])) {
            if (a + 1 < ipcap) ip[a++] = s[i];
            i++;
        } else if (s[i] == ',' && i + 3 < n + 1 && i > start && all_digits(s + i + 1, 3) &&
                   (i + 4 >= n || !isdigit((unsigned char)s[i + 4]))) {
            i++;
        } else break;
    }
    if (i == start) return 0;
    ip[a] = 0;
    if (i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            if (b + 1 < fpcap) fp[b++] = s[i];
            i++;
        }
    }
    fp[b] = 0;
    return i;
}

static void say_number(ss_wordbuf *b, const char *ip, const char *fp, int neg)
{
    if (neg) ss_wb_add(b, "minus");
    ss_say_cardinal(b, ip, strlen(ip));
    if (*fp) {
        ss_wb_add(b, "point");
        ss_say_digits(b, fp, strlen(fp));
    }
}

static int is_word_acronym(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof WORD_ACRONYMS / sizeof WORD_ACRONYMS[0]; i++)
        if (ieq(s, n, WORD_ACRONYMS[i])) return 1;
    return 0;
}

/* A run of letters (maybe with apostrophes): a word, or letters for an
 * all-capitals acronym that is not pronounceable. */
static void say_letters_run(emitter *e, const char *s, size_t n, size_t s0, size_t s1)
{
    int upper = 0, lower = 0, vowels = 0;
    for (size_t i = 0; i < n; i++) {
        if (isupper((unsigned char)s[i])) upper++;
        if (islower((unsigned char)s[i])) lower++;
        if (strchr("aeiouyAEIOUY", s[i])) vowels++;
    }
    int acronym = upper >= 2 && lower == 0;
    if (acronym && !is_word_acronym(s, n)) {
        /* Pronounceable capitals of 4+ letters with vowels in them (NASA-like)
         * are words; shorter ones and consonant strings are letters. */
        int run = 0, maxrun = 0;
        for (size_t i = 0; i < n; i++) {
            run = strchr("AEIOU", s[i]) ? 0 : run + 1;
            if (run > maxrun) maxrun = run;
        }
        int consonants = (int)n - vowels;
        if (!(n >= 4 && vowels >= 2 && consonants >= 2 && maxrun <= 2)) {
            for (size_t i = 0; i < n; i++) emit_letter(e, s[i], s0, s1);
            return;
        }
    }
    char w[128];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof w; i++)
        if (isalpha((unsigned char)s[i]) || s[i] == '\'') w[k++] = (char)tolower((unsigned char)s[i]);
    while (k && w[k - 1] == '\'') k--;
    size_t st = 0;
    while (st < k && w[st] == '\'') st++;
    if (k - st == 1 && w[st] != 'a' && w[st] != 'i') { emit_letter(e, w[st], s0, s1); return; }
    if (k > st) {
        w[k] = 0;
        if (ss_token_list_push(e->out, w + st, k - st, s0, s1, NULL)) e->oom = 1;
    }
}

static const char *symbol_word(char c)
{
    for (size_t i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++)
        if (SYMBOLS[i].sym == c) return SYMBOLS[i].word;
    return NULL;
}

/* Generic reading of a token core: runs of letters, digits and symbols. */
static void say_mixed(emitter *e, ss_wordbuf *b, const char *s, size_t n, size_t s0, size_t s1)
{
    size_t i = 0;
    while (i < n) {
        if (isalpha((unsigned char)s[i])) {
            size_t j = i;
            while (j < n && (isalpha((unsigned char)s[j]) ||
                             (s[j] == '\'' && j + 1 < n && isalpha((unsigned char)s[j + 1]))))
                j++;
            say_letters_run(e, s + i, j - i, s0, s1);
            i = j;
        } else if (isdigit((unsigned char)s[i])) {
            char ip[64], fp[64];
            int neg;
            size_t k = scan_number(s + i, n - i, ip, sizeof ip, fp, sizeof fp, &neg);
            if (k == 0) k = 1;
            size_t j = i;
            while (j < n && isdigit((unsigned char)s[j])) j++;
            if (j - i > 15) { /* a very long digit string: digits, in bounded pieces */
                for (size_t p = i; p < j; p += 32) {
                    size_t m = j - p < 32 ? j - p : 32;
                    ss_say_digits(b, s + p, m);
                    emit_wb(e, b, s0, s1);
                }
                i = j;
                continue;
            }
            say_number(b, ip, fp, 0);
            emit_wb(e, b, s0, s1);
            i += k;
        } else {
            const char *w = symbol_word(s[i]);
            if (s[i] == MK_EURO) w = "euro";
            else if (s[i] == MK_POUND) w = "pound";
            else if (s[i] == MK_DEGREE) w = "degree";
            else if (s[i] == '$') w = "dollar";
            if (w) emit_words(e, w, s0, s1);
            i++;
        }
    }
}

static void say_currency(ss_wordbuf *b, char sign, const char *ip, const char *fp, const char *scale)
{
    const char *unit1 = sign == MK_EURO ? "euro" : sign == MK_POUND ? "pound" : "dollar";
    const char *unitn = sign == MK_EURO ? "euros" : sign == MK_POUND ? "pounds" : "dollars";
    const char *sub1 = sign == MK_POUND ? "penny" : "cent";
    const char *subn = sign == MK_POUND ? "pence" : "cents";
    int is_one = strcmp(ip, "1") == 0;
    if (strcmp(ip, "0") == 0 && *fp && !scale) { /* $0.99 -> ninety nine cents */
        char c[3] = {fp[0], fp[1] ? fp[1] : '0', 0};
        ss_say_cardinal(b, c, 2);
        ss_wb_add(b, strcmp(c, "01") == 0 ? sub1 : subn);
        return;
    }
    ss_say_cardinal(b, ip, strlen(ip));
    if (scale) {
        if (*fp) { ss_wb_add(b, "point"); ss_say_digits(b, fp, strlen(fp)); }
        ss_wb_add(b, scale);
        ss_wb_add(b, unitn);
        return;
    }
    ss_wb_add(b, is_one ? unit1 : unitn);
    if (*fp) {
        char c[3] = {fp[0], fp[1] ? fp[1] : '0', 0};
        if (strcmp(c, "00") != 0) {
            ss_wb_add(b, "and");
            ss_say_cardinal(b, c, 2);
            ss_wb_add(b, strcmp(c, "01") == 0 ? sub1 : subn);
        }
    }
}

static int is_scale_word(const char *s, size_t n)
{
    return ieq(s, n, "million") || ieq(s, n, "billion") || ieq(s, n, "trillion") ||
           ieq(s, n, "thousand");
}

static int is_year_context(const char *s, size_t n)
{
    static const char *const w[] = {"in", "since", "from", "until", "till", "by", "of", "during",
                                    "before", "after", "around", "circa", "year", "to"};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (ieq(s, n, w[i])) return 1;
    return month_index(s, n) >= 0;
}

/* Strips trailing punctuation; returns the strongest punctuation found. */
static char strip_trailing(const char *s, size_t *n)
{
    char punct = 0;
    size_t full = *n;
    while (*n > 0 && strchr("\"')]}>,;:!?.", s[*n - 1])) {
        char c = s[*n - 1];
        if (c == '.' || c == '?' || c == '!') punct = (punct == '?' || punct == '!') ? punct : c;
        else if ((c == ',' || c == ';' || c == ':') && !punct) punct = c;
        (*n)--;
    }
    /* An ellipsis is a pause, not a sentence end. */
    if (punct == '.' && full - *n >= 2 && s[full - 1] == '.' && s[full - 2] == '.') punct = ',';
    return punct;
}

int ss_normalize(const char *text, size_t len, const size_t *offmap, size_t base,
                 ss_read_as mode, ss_token_list *out, char *err, size_t errlen)
{
    cleaned c = {0};
    if (clean_text(text, len, offmap, base, &c)) {
        free(c.s);
        free(c.off);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* pass 2: raw tokens */
    size_t cap = 16, nt = 0;
    raw_tok *rt = malloc(cap * sizeof *rt);
    char wbuf[4096];
    ss_wordbuf b = {wbuf, 0, sizeof wbuf, 0};
    wbuf[0] = 0;
    emitter e = {out, 0};
    if (!rt) goto oom;
    for (size_t i = 0; i < c.n;) {
        while (i < c.n && c.s[i] == ' ') i++;
        if (i >= c.n) break;
        size_t st = i;
        while (i < c.n && c.s[i] != ' ') i++;
        if (nt == cap) {
            cap *= 2;
            raw_tok *q = realloc(rt, cap * sizeof *rt);
            if (!q) goto oom;
            rt = q;
        }
        rt[nt].s = c.s + st;
        rt[nt].n = i - st;
        rt[nt].s0 = c.off[st];
        rt[nt].s1 = c.off[i - 1] + 1;
        nt++;
    }

    for (size_t t = 0; t < nt && !e.oom; t++) {
        const char *s = rt[t].s;
        size_t n = rt[t].n, s0 = rt[t].s0, s1 = rt[t].s1;
        size_t before = out->n;
        /* leading quotes/brackets */
        while (n > 0 && strchr("\"'([{<", s[0])) s++, n--;
        size_t core_n = n;
        char punct = strip_trailing(s, &core_n);
        int had_dot = core_n < n && memchr(s + core_n, '.', n - core_n) != NULL;
        const char *nx = t + 1 < nt ? rt[t + 1].s : NULL;
        size_t nxn = t + 1 < nt ? rt[t + 1].n : 0;
        size_t nx_core = nxn;
        if (nx) strip_trailing(nx, &nx_core);

        int only_dash = n > 0;
        for (size_t k = 0; k < n; k++) if (s[k] != '-' && s[k] != '.') only_dash = 0;
        if (only_dash) core_n = 0;
        if (core_n == 0) { /* punctuation only: "-", "--", "...", "&" */
            if (n == 1 && symbol_word(s[0])) emit_words(&e, symbol_word(s[0]), s0, s1);
            else if (out->n > 0 && (memchr(s, '-', n) || memchr(s, '.', n)))
                out->v[out->n - 1].punct = out->v[out->n - 1].punct ? out->v[out->n - 1].punct : ',';
            continue;
        }

        if (mode == SS_READ_CHARACTERS) {
            for (size_t i = 0; i < n; i++) {
                if (isalpha((unsigned char)s[i])) emit_letter(&e, s[i], s0, s1);
                else if (isdigit((unsigned char)s[i])) { ss_say_digits(&b, s + i, 1); emit_wb(&e, &b, s0, s1); }
                else if (symbol_word(s[i])) emit_words(&e, symbol_word(s[i]), s0, s1);
            }
            goto done;
        }
        if (mode == SS_READ_TELEPHONE) {
            for (size_t i = 0; i < core_n; i++) {
                if (isdigit((unsigned char)s[i])) ss_say_digits(&b, s + i, 1);
                else if (s[i] == '+') ss_wb_add(&b, "plus");
            }
            emit_wb(&e, &b, s0, s1);
            goto done;
        }
        if ((mode == SS_READ_ORDINAL || mode == SS_READ_CARDINAL) && all_digits(s, core_n)) {
            if (core_n > 15) ss_say_digits(&b, s, core_n);
            else if (mode == SS_READ_ORDINAL) ss_say_ordinal(&b, s, core_n);
            else ss_say_cardinal(&b, s, core_n);
            emit_wb(&e, &b, s0, s1);
            goto done;
        }

        /* e-mail */
        const char *at = memchr(s, '@', core_n);
        if (at && at > s && memchr(at, '.', core_n - (size_t)(at - s)) && core_n < 256) {
            for (size_t i = 0; i < core_n;) {
                if (isalnum((unsigned char)s[i])) {
                    size_t j = i;
                    while (j < core_n && isalnum((unsigned char)s[j])) j++;
                    say_mixed(&e, &b, s + i, j - i, s0, s1);
                    i = j;
                } else {
                    const char *w = s[i] == '@' ? "at" : s[i] == '.' ? "dot" : s[i] == '-' ? "dash"
                                  : s[i] == '_' ? "underscore" : NULL;
                    if (w) emit_words(&e, w, s0, s1);
                    i++;
                }
            }
            goto done;
        }
        /* URL */
        if ((core_n > 7 && (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8))) ||
            (core_n > 4 && !strncasecmp(s, "www.", 4))) {
            size_t i = 0;
            if (!strncasecmp(s, "http", 4)) {
                emit_words(&e, "", s0, s1);
                for (const char *h = "http"; *h; h++) emit_letter(&e, *h, s0, s1);
                i = 4;
                if (s[i] == 's' || s[i] == 'S') { emit_letter(&e, 's', s0, s1); i++; }
                i += 3; /* :// */
                emit_words(&e, "colon slash slash", s0, s1);
            }
            while (i < core_n) {
                if (isalnum((unsigned char)s[i])) {
                    size_t j = i;
                    while (j < core_n && isalnum((unsigned char)s[j])) j++;
                    if (ieq(s + i, j - i, "www")) for (int k = 0; k < 3; k++) emit_letter(&e, 'w', s0, s1);
                    else say_mixed(&e, &b, s + i, j - i, s0, s1);
                    i = j;
                } else {
                    const char *w = s[i] == '.' ? "dot" : s[i] == '/' ? "slash" : s[i] == '-' ? "dash"
                                  : s[i] == '_' ? "underscore" : s[i] == ':' ? "colon" : NULL;
                    if (w) emit_words(&e, w, s0, s1);
                    i++;
                }
            }
            goto done;
        }
        /* currency */
        if (core_n >= 2 && (s[0] == '$' || s[0] == MK_EURO || s[0] == MK_POUND) &&
            isdigit((unsigned char)s[1])) {
            char ip[64], fp[64];
            int neg;
            size_t k = scan_number(s + 1, core_n - 1, ip, sizeof ip, fp, sizeof fp, &neg);
            const char *scale = NULL;
            if (nx && is_scale_word(nx, nx_core)) {
                scale = ieq(nx, nx_core, "million") ? "million" : ieq(nx, nx_core, "billion")
                        ? "billion" : ieq(nx, nx_core, "trillion") ? "trillion" : "thousand";
                punct = strip_trailing(nx, &nxn);
                s1 = rt[t + 1].s1;
                t++;
            }
            say_currency(&b, s[0], ip, fp, scale);
            emit_wb(&e, &b, s0, s1);
            if (k + 1 < core_n) say_mixed(&e, &b, s + 1 + k, core_n - 1 - k, s0, s1);
            goto done;
        }
        /* time hh:mm */
        if ((core_n == 4 || core_n == 5) && isdigit((unsigned char)s[0]) &&
            s[core_n - 3] == ':' && all_digits(s, core_n - 3) && all_digits(s + core_n - 2, 2)) {
            int hh = atoi(s), mm = atoi(s + core_n - 2);
            if (hh <= 24 && mm < 60) {
                ss_say_cardinal(&b, s, core_n - 3);
                if (mm == 0) {
                    if (!(nx && (ieq(nx, nx_core, "a.m") || ieq(nx, nx_core, "p.m") ||
                                 ieq(nx, nx_core, "am") || ieq(nx, nx_core, "pm"))))
                        ss_wb_add(&b, hh > 12 ? "hundred" : "o'clock");
                } else if (mm < 10) {
                    ss_wb_add(&b, "oh");
                    ss_say_cardinal(&b, s + core_n - 1, 1);
                } else {
                    ss_say_cardinal(&b, s + core_n - 2, 2);
                }
                emit_wb(&e, &b, s0, s1);
                if (nx && (ieq(nx, nx_core, "a.m") || ieq(nx, nx_core, "am") ||
                           ieq(nx, nx_core, "p.m") || ieq(nx, nx_core, "pm"))) {
                    emit_letter(&e, nx[0], rt[t + 1].s0, rt[t + 1].s1);
                    emit_letter(&e, 'm', rt[t + 1].s0, rt[t + 1].s1);
                    size_t m = rt[t + 1].n;
                    punct = strip_trailing(rt[t + 1].s, &m);
                    /* "a.m." closing a sentence keeps its period as the end. */
                    t++;
                }
                goto done;
            }
        }
        /* ISO date yyyy-mm-dd */
        if (core_n == 10 && all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) && s[7] == '-' &&
            all_digits(s + 8, 2)) {
            int mo = atoi(s + 5), d = atoi(s + 8);
            if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
                ss_wb_add(&b, MONTHS[mo - 1]);
                char dd[3];
                snprintf(dd, sizeof dd, "%d", d);
                ss_say_ordinal(&b, dd, strlen(dd));
                ss_say_year(&b, s, 4);
                emit_wb(&e, &b, s0, s1);
                goto done;
            }
        }
        /* m/d/yyyy (US order) */
        {
            const char *p1 = memchr(s, '/', core_n);
            const char *p2 = p1 ? memchr(p1 + 1, '/', core_n - (size_t)(p1 + 1 - s)) : NULL;
            if (p1 && p2 && all_digits(s, (size_t)(p1 - s)) && all_digits(p1 + 1, (size_t)(p2 - p1 - 1)) &&
                all_digits(p2 + 1, core_n - (size_t)(p2 + 1 - s)) && p1 - s <= 2 && p2 - p1 - 1 <= 2 &&
                p2 - p1 > 1 && (core_n - (size_t)(p2 + 1 - s) == 4 || core_n - (size_t)(p2 + 1 - s) == 2)) {
                int mo = atoi(s), d = atoi(p1 + 1);
                if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
                    ss_wb_add(&b, MONTHS[mo - 1]);
                    ss_say_ordinal(&b, p1 + 1, (size_t)(p2 - p1 - 1));
                    size_t yl = core_n - (size_t)(p2 + 1 - s);
                    if (yl == 4) ss_say_year(&b, p2 + 1, 4);
                    else { char y[5] = {'2', '0', p2[1], p2[2], 0}; ss_say_year(&b, y, 4); }
                    emit_wb(&e, &b, s0, s1);
                    goto done;
                }
            }
        }
        /* Month name/abbreviation followed by a day (and maybe a year). */
        if (month_index(s, core_n) >= 0 && nx && nx_core >= 1 && nx_core <= 4 &&
            isdigit((unsigned char)nx[0]) && (core_n > 3 || had_dot || isupper((unsigned char)s[0]))) {
            size_t dl = 0;
            while (dl < nx_core && isdigit((unsigned char)nx[dl])) dl++;
            int d = atoi(nx);
            if (dl <= 2 && d >= 1 && d <= 31) {
                ss_wb_add(&b, MONTHS[month_index(s, core_n)]);
                ss_say_ordinal(&b, nx, dl);
                emit_wb(&e, &b, s0, rt[t + 1].s1);
                size_t m = rt[t + 1].n;
                punct = strip_trailing(rt[t + 1].s, &m);
                t++;
                if (t + 1 < nt && rt[t + 1].n >= 4 && all_digits(rt[t + 1].s, 4)) {
                    size_t m2 = rt[t + 1].n;
                    char p2 = strip_trailing(rt[t + 1].s, &m2);
                    if (m2 == 4) {
                        ss_say_year(&b, rt[t + 1].s, 4);
                        emit_wb(&e, &b, rt[t + 1].s0, rt[t + 1].s1);
                        punct = p2;
                        t++;
                    }
                }
                goto done;
            }
        }
        /* abbreviations (with their period) */
        if (had_dot || memchr(s, '.', core_n)) {
            size_t an = core_n;
            for (size_t a = 0; a < sizeof ABBREV / sizeof ABBREV[0]; a++) {
                if (strlen(ABBREV[a].abbr) == an && strncmp(ABBREV[a].abbr, s, an) == 0) {
                    const char *w = ABBREV[a].words;
                    /* "St." before a capitalised word is Saint, else Street. */
                    if (!strcmp(ABBREV[a].abbr, "St") && !(nx && isupper((unsigned char)nx[0]))) w = "street";
                    if (!strcmp(ABBREV[a].abbr, "Dr") && !(nx && isupper((unsigned char)nx[0])) && out->n > before) w = "drive";
                    if (!strcmp(w, "a m") || !strcmp(w, "p m") || !strcmp(w, "u s") || !strcmp(w, "u k")) {
                        emit_letter(&e, w[0], s0, s1);
                        emit_letter(&e, w[2], s0, s1);
                    } else {
                        emit_words(&e, w, s0, s1);
                    }
                    /* The period belongs to the abbreviation: the sentence
                     * goes on unless it is the last token or the next one
                     * starts with a capital after "etc." / "a.m.". */
                    if (punct == '.') {
                        int ends = t + 1 == nt || ((!strcmp(ABBREV[a].abbr, "etc") ||
                                                    !strcmp(ABBREV[a].abbr, "a.m") ||
                                                    !strcmp(ABBREV[a].abbr, "p.m")) &&
                                                   nx && isupper((unsigned char)nx[0]));
                        punct = ends ? '.' : 0;
                    }
                    goto done;
                }
            }
        }
        /* decades: 1990s, 1900s, '90s */
        {
            const char *d = s;
            size_t dn = core_n;
            if (dn == 4 && d[0] == '\'') d++, dn--;
            if ((dn == 5 || dn == 3) && (d[dn - 1] == 's' || d[dn - 1] == 'S') && all_digits(d, dn - 1) &&
                d[dn - 2] == '0') {
                if (dn == 5) ss_say_year(&b, d, 4);
                else ss_say_cardinal(&b, d, 2);
                /* Pluralise the last word: ninety -> nineties, hundred -> hundreds. */
                if (!b.overflow && b.len + 4 < b.cap) {
                    if (b.len > 1 && b.buf[b.len - 1] == 'y') { strcpy(b.buf + b.len - 1, "ies"); b.len += 2; }
                    else { strcpy(b.buf + b.len, "s"); b.len += 1; }
                }
                emit_wb(&e, &b, s0, s1);
                goto done;
            }
        }
        /* simple fractions: 1/2, 3/4, 2/3 (24/7 and others: both numbers) */
        {
            const char *sl = memchr(s, '/', core_n);
            if (sl && sl > s && all_digits(s, (size_t)(sl - s)) && sl - s <= 2 &&
                all_digits(sl + 1, core_n - (size_t)(sl + 1 - s)) && core_n - (size_t)(sl + 1 - s) <= 2) {
                int num = atoi(s), den = atoi(sl + 1);
                static const char *const DEN1[] = {"", "", "half", "third", "quarter", "fifth",
                                                   "sixth", "seventh", "eighth", "ninth", "tenth"};
                static const char *const DENN[] = {"", "", "halves", "thirds", "quarters", "fifths",
                                                   "sixths", "sevenths", "eighths", "ninths", "tenths"};
                ss_say_cardinal(&b, s, (size_t)(sl - s));
                if (den >= 2 && den <= 10 && num >= 1 && num < den) {
                    ss_wb_add(&b, num == 1 ? DEN1[den] : DENN[den]);
                } else {
                    ss_say_cardinal(&b, sl + 1, core_n - (size_t)(sl + 1 - s));
                }
                emit_wb(&e, &b, s0, s1);
                goto done;
            }
        }
        /* ordinal 1st 22nd */
        {
            size_t dl = 0;
            while (dl < core_n && isdigit((unsigned char)s[dl])) dl++;
            if (dl > 0 && dl <= 15 && core_n == dl + 2 &&
                (ieq(s + dl, 2, "st") || ieq(s + dl, 2, "nd") || ieq(s + dl, 2, "rd") || ieq(s + dl, 2, "th"))) {
                ss_say_ordinal(&b, s, dl);
                emit_wb(&e, &b, s0, s1);
                goto done;
            }
        }
        /* phone number: digit groups joined by - or . with >= 7 digits */
        {
            size_t digits = 0, seps = 0, i = 0;
            int ok = 1;
            if (s[0] == '+') i = 1;
            for (; i < core_n; i++) {
                if (isdigit((unsigned char)s[i])) digits++;
                else if (s[i] == '-' || s[i] == '.' || s[i] == '(' || s[i] == ')') seps++;
                else { ok = 0; break; }
            }
            if (ok && seps >= 1 && digits >= 7 && digits <= 15 && !(seps == 1 && s[core_n - 3] == '.')) {
                int dec_like = 0;
                for (size_t k = 0; k < core_n; k++) if (s[k] == ',') dec_like = 1;
                if (!dec_like) {
                    if (s[0] == '+') ss_wb_add(&b, "plus");
                    ss_say_digits(&b, s, core_n);
                    emit_wb(&e, &b, s0, s1);
                    goto done;
                }
            }
        }
        /* numbers, with attached or following unit / percent */
        if (isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && core_n > 1 &&
                                             (isdigit((unsigned char)s[1]) || s[1] == '.'))) {
            char ip[64], fp[64];
            int neg;
            size_t intlen = 0;
            while (intlen < core_n && isdigit((unsigned char)s[intlen])) intlen++;
            if (intlen > 15 && intlen == core_n) { /* huge plain number: digits */
                say_mixed(&e, &b, s, core_n, s0, s1);
                goto done;
            }
            size_t k = scan_number(s, core_n, ip, sizeof ip, fp, sizeof fp, &neg);
            if (k == 0) { say_mixed(&e, &b, s, core_n, s0, s1); goto done; }
            const char *rest = s + k;
            size_t rn = core_n - k;
            int plural = !(strcmp(ip, "1") == 0 && !*fp);
            int prev_ctx = t > 0 && is_year_context(rt[t - 1].s, rt[t - 1].n);
            if (!neg && !*fp && rn == 0 && k == 4 && strlen(ip) == 4 && atoi(ip) >= 1100 &&
                atoi(ip) <= 2099 && (prev_ctx || (nx && (ieq(nx, nx_core, "AD") || ieq(nx, nx_core, "BC"))))) {
                ss_say_year(&b, ip, 4);
            } else if (!*fp && strlen(ip) >= 2 && ip[0] == '0' && rn == 0 && !neg) {
                ss_say_digits(&b, ip, strlen(ip)); /* 007 */
            } else {
                say_number(&b, ip, fp, neg);
            }
            const char *uw = NULL;
            if (rn > 0) uw = unit_words(rest, rn, plural);
            if (rn > 0 && uw) {
                ss_wb_add(&b, uw);
                emit_wb(&e, &b, s0, s1);
            } else if (rn > 0) {
                emit_wb(&e, &b, s0, s1);
                say_mixed(&e, &b, rest, rn, s0, s1);
            } else if (nx && (uw = unit_words(nx, nx_core, plural)) != NULL &&
                       !(nx_core == 2 && ieq(nx, 2, "in")) && !(nx_core == 1 && islower((unsigned char)nx[0]) && 0) &&
                       (nx_core > 1 || nx[0] == 'm' || nx[0] == 'g' || nx[0] == 's' || nx[0] == 'h' || nx[0] == '%') &&
                       !ieq(nx, nx_core, "s") && !ieq(nx, nx_core, "m") && !ieq(nx, nx_core, "h")) {
                ss_wb_add(&b, uw);
                emit_wb(&e, &b, s0, rt[t + 1].s1);
                size_t m = rt[t + 1].n;
                punct = strip_trailing(rt[t + 1].s, &m);
                t++;
            } else {
                emit_wb(&e, &b, s0, s1);
            }
            goto done;
        }
        /* words, acronyms, hyphenated and symbol-joined forms */
        say_mixed(&e, &b, s, core_n, s0, s1);
    done:
        if (out->n > before && punct) {
            out->v[out->n - 1].punct = punct;
            if (punct == '.' || punct == '?' || punct == '!') out->v[out->n - 1].sentence_end = 1;
        }
    }
    if (e.oom) goto oom;
    free(rt);
    free(c.s);
    free(c.off);
    return 0;
oom:
    free(rt);
    free(c.s);
    free(c.off);
    snprintf(err, errlen, "out of memory");
    return -1;
}
