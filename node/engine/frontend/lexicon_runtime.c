/* Run-time lexicon and explicit-pronunciation parsing (see lexicon_runtime.h).
 *
 * Storage is a sorted array searched by binary search. Lexicons are small
 * (tens to thousands of entries), built once and then only read, possibly by
 * several threads at once, so every add keeps the array sorted (insertion,
 * O(n) per add) and lookups never modify anything. */
#include "node/engine/frontend/lexicon_runtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *word;   /* lower case */
    char *phones; /* normalised */
} lex_entry;

struct ss_lexicon {
    lex_entry *v;
    size_t n, cap;
};

/* The voice's phone set (festival radio phones as the slt voice uses them). */
static const char *const VOWELS[] = {"aa", "ae", "ah", "ao", "aw", "ax", "axr", "ay", "eh", "el",
                                     "em", "en", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw"};
static const char *const CONSONANTS[] = {"b",  "ch", "d", "dh", "f",  "g",  "hh", "jh",
                                         "k",  "l",  "m", "n",  "ng", "p",  "r",  "s",
                                         "sh", "t",  "th", "v", "w",  "y",  "z",  "zh"};

int ss_phone_is_vowel(const char *ph)
{
    for (size_t i = 0; i < sizeof VOWELS / sizeof VOWELS[0]; i++)
        if (strcmp(ph, VOWELS[i]) == 0) return 1;
    return 0;
}

static int is_consonant(const char *ph)
{
    for (size_t i = 0; i < sizeof CONSONANTS / sizeof CONSONANTS[0]; i++)
        if (strcmp(ph, CONSONANTS[i]) == 0) return 1;
    return 0;
}

/* Legal English onsets of two and three consonants (single consonants other
 * than ng are always legal). Used to split consonant clusters by maximal onset. */
static int legal_onset(char ph[][8], int from, int to)
{
    int n = to - from;
    if (n <= 0) return 1;
    if (n == 1) return strcmp(ph[from], "ng") != 0;
    static const char *const two[] = {
        "p l", "p r", "p y", "b l", "b r", "b y", "t r", "t w", "t y", "d r", "d w", "d y",
        "k l", "k r", "k w", "k y", "g l", "g r", "g w", "g y", "f l", "f r", "f y", "th r",
        "th w", "sh r", "s p", "s t", "s k", "s m", "s n", "s l", "s w", "s f", "m y", "n y",
        "v y", "hh y", "l y"};
    static const char *const three[] = {"s p r", "s p l", "s t r", "s k r", "s k l", "s k w",
                                        "s p y", "s k y", "s t y"};
    char buf[32];
    buf[0] = 0;
    for (int i = from; i < to; i++) {
        if (strlen(buf) + strlen(ph[i]) + 2 > sizeof buf) return 0;
        if (i > from) strcat(buf, " ");
        strcat(buf, ph[i]);
    }
    const char *const *set = n == 2 ? two : three;
    size_t cnt = n == 2 ? sizeof two / sizeof two[0] : n == 3 ? sizeof three / sizeof three[0] : 0;
    for (size_t i = 0; i < cnt; i++)
        if (strcmp(buf, set[i]) == 0) return 1;
    return 0;
}

int ss_pron_parse(const char *phones, ss_pron *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int vstress[SS_PRON_MAX_PHONES];
    const char *p = phones;
    while (*p) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        size_t len = (size_t)(p - s);
        if (out->n_phones >= SS_PRON_MAX_PHONES) {
            snprintf(err, errlen, "pronunciation has more than %d phones", SS_PRON_MAX_PHONES);
            return -1;
        }
        char ph[8];
        if (len >= sizeof ph) {
            snprintf(err, errlen, "unknown phone '%.*s'", (int)(len > 20 ? 20 : len), s);
            return -1;
        }
        for (size_t i = 0; i < len; i++) ph[i] = (char)tolower((unsigned char)s[i]);
        ph[len] = 0;
        int stress = -1;
        if (len > 1 && isdigit((unsigned char)ph[len - 1])) {
            stress = ph[len - 1] - '0';
            ph[len - 1] = 0;
        }
        if (stress > 2 || (!ss_phone_is_vowel(ph) && !is_consonant(ph))) {
            snprintf(err, errlen, "unknown phone '%.*s'", (int)len, s);
            return -1;
        }
        if (stress >= 0 && !ss_phone_is_vowel(ph)) {
            snprintf(err, errlen, "stress digit on consonant '%.*s'", (int)len, s);
            return -1;
        }
        /* CMUdict's unstressed AH is the schwa of the voice's set. */
        if (strcmp(ph, "ah") == 0 && stress == 0) strcpy(ph, "ax");
        strcpy(out->phone[out->n_phones], ph);
        vstress[out->n_phones] = stress == 1 ? 1 : (stress < 0 && strcmp(ph, "ax") != 0 ? -1 : 0);
        out->n_phones++;
    }
    /* Nuclei, then maximal-onset split of the consonants between them. */
    int nuc[SS_PRON_MAX_PHONES], nn = 0;
    for (int i = 0; i < out->n_phones; i++)
        if (ss_phone_is_vowel(out->phone[i])) nuc[nn++] = i;
    if (nn == 0) {
        snprintf(err, errlen, "pronunciation '%s' has no vowel", phones);
        return -1;
    }
    int any_stress_given = 0;
    for (int k = 0; k < nn; k++)
        if (vstress[nuc[k]] >= 0) any_stress_given = 1;
    for (int k = 0; k < nn; k++) {
        int st = vstress[nuc[k]];
        /* Without any digits: stress the first full vowel. */
        if (!any_stress_given) st = (k == 0 && strcmp(out->phone[nuc[k]], "ax") != 0) ? 1 : 0;
        out->stress[k] = st > 0 ? 1 : 0;
    }
    int syl = 0;
    for (int i = 0; i < out->n_phones; i++) out->syl_of[i] = 0;
    for (int k = 0; k < nn; k++) {
        int start;
        if (k == 0) {
            start = 0;
        } else {
            int lo = nuc[k - 1] + 1, hi = nuc[k];
            start = hi;
            while (start - 1 >= lo && legal_onset(out->phone, start - 1, hi)) start--;
        }
        int end = k + 1 < nn ? -1 : out->n_phones;
        (void)end;
        for (int i = start; i < out->n_phones; i++) out->syl_of[i] = syl;
        syl++;
    }
    out->n_syls = nn;
    return 0;
}

ss_lexicon *ss_lexicon_create(void)
{
    return calloc(1, sizeof(ss_lexicon));
}

void ss_lexicon_free(ss_lexicon *lex)
{
    if (!lex) return;
    for (size_t i = 0; i < lex->n; i++) {
        free(lex->v[i].word);
        free(lex->v[i].phones);
    }
    free(lex->v);
    free(lex);
}

static void lower_copy(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[n] = 0;
}

/* Index of the first entry >= word. */
static size_t lower_bound(const ss_lexicon *lex, const char *word)
{
    size_t lo = 0, hi = lex->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(lex->v[mid].word, word) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int ss_lexicon_add(ss_lexicon *lex, const char *word, const char *phones, char *err,
                   size_t errlen)
{
    size_t wl = strlen(word);
    if (wl == 0 || wl > 200) {
        snprintf(err, errlen, "lexicon word must be 1..200 bytes");
        return -1;
    }
    ss_pron pr;
    if (ss_pron_parse(phones, &pr, err, errlen) != 0) return -1;
    /* Normalised text form: phones with a stress digit on each vowel. */
    char norm[SS_PRON_MAX_PHONES * 9 + 1];
    norm[0] = 0;
    for (int i = 0; i < pr.n_phones; i++) {
        if (i) strcat(norm, " ");
        strcat(norm, pr.phone[i]);
        if (ss_phone_is_vowel(pr.phone[i])) strcat(norm, pr.stress[pr.syl_of[i]] ? "1" : "0");
    }
    char *w = malloc(wl + 1), *ph = strdup(norm);
    if (!w || !ph) {
        free(w);
        free(ph);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    lower_copy(w, word, wl);
    size_t at = lower_bound(lex, w);
    if (at < lex->n && strcmp(lex->v[at].word, w) == 0) {
        free(lex->v[at].phones);
        free(w);
        lex->v[at].phones = ph;
        return 0;
    }
    if (lex->n == lex->cap) {
        size_t cap = lex->cap ? lex->cap * 2 : 16;
        lex_entry *v = realloc(lex->v, cap * sizeof *v);
        if (!v) {
            free(w);
            free(ph);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        lex->v = v;
        lex->cap = cap;
    }
    memmove(&lex->v[at + 1], &lex->v[at], (lex->n - at) * sizeof *lex->v);
    lex->v[at].word = w;
    lex->v[at].phones = ph;
    lex->n++;
    return 0;
}

int ss_lexicon_load(ss_lexicon *lex, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#' || (p[0] == ';' && p[1] == ';')) continue;
        char *w = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = 0;
        p[strcspn(p, "\r\n")] = 0;
        char e[200];
        if (ss_lexicon_add(lex, w, p, e, sizeof e) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, e);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

const char *ss_lexicon_lookup(const ss_lexicon *lex, const char *word)
{
    if (!lex || lex->n == 0) return NULL;
    char w[256];
    size_t wl = strlen(word);
    if (wl >= sizeof w) return NULL;
    lower_copy(w, word, wl);
    size_t at = lower_bound(lex, w);
    if (at < lex->n && strcmp(lex->v[at].word, w) == 0) return lex->v[at].phones;
    return NULL;
}
