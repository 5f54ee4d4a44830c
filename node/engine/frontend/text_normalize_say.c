/* The normaliser's shared reading helpers (see text_normalize_rules.h):
 * pushing words and letter names, scanning numbers, stripping punctuation,
 * and the generic reading of a token that no special recogniser took
 * (letters as words or acronyms, digits as numbers, symbols as words).
 * The tables here (acronyms read as words, letter names, symbols) are
 * read-only. */
#include <ctype.h>
#include <string.h>

#include "node/engine/frontend/text_normalize_rules.h"

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

void ss_norm_words(ss_emitter *e, const char *words, size_t s0, size_t s1)
{
    const char *p = words;
    while (*p) {
        while (*p == ' ') p++;
        const char *st = p;
        while (*p && *p != ' ') p++;
        if (p > st && ss_token_list_push(e->out, st, (size_t)(p - st), s0, s1, NULL)) e->oom = 1;
    }
}

void ss_norm_letter(ss_emitter *e, char ch, size_t s0, size_t s1)
{
    int l = tolower((unsigned char)ch);
    if (l < 'a' || l > 'z') return;
    char w[2] = {(char)l, 0};
    if (ss_token_list_push(e->out, w, 1, s0, s1, LETTER_PHONES[l - 'a'])) e->oom = 1;
}

void ss_norm_flush(ss_emitter *e, ss_wordbuf *b, size_t s0, size_t s1)
{
    if (b->len) ss_norm_words(e, b->buf, s0, s1);
    b->len = 0;
    b->buf[0] = 0;
    b->overflow = 0;
}

int ss_norm_all_digits(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

int ss_norm_ieq(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

size_t ss_norm_scan_number(const char *s, size_t n, char *ip, size_t ipcap, char *fp, size_t fpcap,
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
        } else if (s[i] == ',' && i + 3 < n + 1 && i > start && ss_norm_all_digits(s + i + 1, 3) &&
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

void ss_norm_say_number(ss_wordbuf *b, const char *ip, const char *fp, int neg)
{
    if (neg) ss_wb_add(b, "minus");
    ss_say_cardinal(b, ip, strlen(ip));
    if (*fp) {
        ss_wb_add(b, "point");
        ss_say_digits(b, fp, strlen(fp));
    }
}

char ss_norm_strip_trailing(const char *s, size_t *n)
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

const char *ss_norm_symbol_word(char c)
{
    for (size_t i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++)
        if (SYMBOLS[i].sym == c) return SYMBOLS[i].word;
    return NULL;
}

static int is_word_acronym(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof WORD_ACRONYMS / sizeof WORD_ACRONYMS[0]; i++)
        if (ss_norm_ieq(s, n, WORD_ACRONYMS[i])) return 1;
    return 0;
}

/* All capitals, not listed as a word, and not pronounceable: read as letters.
 * Pronounceable capitals of 4+ letters with vowels in them (NASA-like) are
 * words; shorter ones and consonant strings are letters. */
static int is_spelled_acronym(const char *s, size_t n)
{
    int upper = 0, lower = 0, vowels = 0;
    for (size_t i = 0; i < n; i++) {
        if (isupper((unsigned char)s[i])) upper++;
        if (islower((unsigned char)s[i])) lower++;
        if (strchr("aeiouyAEIOUY", s[i])) vowels++;
    }
    if (!(upper >= 2 && lower == 0) || is_word_acronym(s, n)) return 0;
    int run = 0, maxrun = 0;
    for (size_t i = 0; i < n; i++) {
        run = strchr("AEIOU", s[i]) ? 0 : run + 1;
        if (run > maxrun) maxrun = run;
    }
    int consonants = (int)n - vowels;
    return !(n >= 4 && vowels >= 2 && consonants >= 2 && maxrun <= 2);
}

/* A run of letters (maybe with apostrophes): a word, or letters for an
 * all-capitals acronym that is not pronounceable. */
static void say_letters_run(ss_emitter *e, const char *s, size_t n, size_t s0, size_t s1)
{
    if (is_spelled_acronym(s, n)) {
        for (size_t i = 0; i < n; i++) ss_norm_letter(e, s[i], s0, s1);
        return;
    }
    char w[128];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof w; i++)
        if (isalpha((unsigned char)s[i]) || s[i] == '\'') w[k++] = (char)tolower((unsigned char)s[i]);
    while (k && w[k - 1] == '\'') k--;
    size_t st = 0;
    while (st < k && w[st] == '\'') st++;
    if (k - st == 1 && w[st] != 'a' && w[st] != 'i') { ss_norm_letter(e, w[st], s0, s1); return; }
    if (k > st) {
        w[k] = 0;
        if (ss_token_list_push(e->out, w + st, k - st, s0, s1, NULL)) e->oom = 1;
    }
}

/* Digits at s[0..n) inside a mixed token; returns the bytes read. */
static size_t say_digits_run(ss_emitter *e, ss_wordbuf *b, const char *s, size_t n, size_t s0, size_t s1)
{
    char ip[64], fp[64];
    int neg;
    size_t k = ss_norm_scan_number(s, n, ip, sizeof ip, fp, sizeof fp, &neg);
    if (k == 0) k = 1;
    size_t j = 0;
    while (j < n && isdigit((unsigned char)s[j])) j++;
    if (j > 15) { /* a very long digit string: digits, in bounded pieces */
        for (size_t p = 0; p < j; p += 32) {
            size_t m = j - p < 32 ? j - p : 32;
            ss_say_digits(b, s + p, m);
            ss_norm_flush(e, b, s0, s1);
        }
        return j;
    }
    ss_norm_say_number(b, ip, fp, 0);
    ss_norm_flush(e, b, s0, s1);
    return k;
}

static const char *mixed_symbol_word(char c)
{
    if (c == SS_MK_EURO) return "euro";
    if (c == SS_MK_POUND) return "pound";
    if (c == SS_MK_DEGREE) return "degree";
    if (c == '$') return "dollar";
    return ss_norm_symbol_word(c);
}

void ss_norm_say_mixed(ss_emitter *e, ss_wordbuf *b, const char *s, size_t n, size_t s0, size_t s1)
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
            i += say_digits_run(e, b, s + i, n - i, s0, s1);
        } else {
            const char *w = mixed_symbol_word(s[i]);
            if (w) ss_norm_words(e, w, s0, s1);
            i++;
        }
    }
}
