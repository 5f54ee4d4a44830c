/* Number spelling tables and rules (see text_numbers.h). Pure functions over
 * constant tables: thread-safe. */
#include "node/engine/frontend/text_numbers.h"

#include <string.h>

static const char *const ONES[] = {"zero",    "one",     "two",       "three",    "four",
                                   "five",    "six",     "seven",     "eight",    "nine",
                                   "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                   "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const TENS[] = {"", "", "twenty", "thirty", "forty",
                                   "fifty", "sixty", "seventy", "eighty", "ninety"};
static const char *const SCALES[] = {"", "thousand", "million", "billion", "trillion"};

/* Ordinal forms of the last word. */
static const struct {
    const char *card, *ord;
} ORD[] = {{"one", "first"},        {"two", "second"},      {"three", "third"},
           {"five", "fifth"},       {"eight", "eighth"},    {"nine", "ninth"},
           {"twelve", "twelfth"},   {"twenty", "twentieth"}, {"thirty", "thirtieth"},
           {"forty", "fortieth"},   {"fifty", "fiftieth"},  {"sixty", "sixtieth"},
           {"seventy", "seventieth"}, {"eighty", "eightieth"}, {"ninety", "ninetieth"}};

void ss_wb_add(ss_wordbuf *b, const char *words)
{
    size_t n = strlen(words);
    if (n == 0) return;
    size_t need = b->len + n + 2;
    if (need > b->cap) {
        b->overflow = 1;
        return;
    }
    if (b->len) b->buf[b->len++] = ' ';
    memcpy(b->buf + b->len, words, n);
    b->len += n;
    b->buf[b->len] = 0;
}

static void say_below_1000(ss_wordbuf *b, int v)
{
    if (v >= 100) {
        ss_wb_add(b, ONES[v / 100]);
        ss_wb_add(b, "hundred");
        v %= 100;
    }
    if (v >= 20) {
        ss_wb_add(b, TENS[v / 10]);
        if (v % 10) ss_wb_add(b, ONES[v % 10]);
    } else if (v > 0) {
        ss_wb_add(b, ONES[v]);
    }
}

void ss_say_digits(ss_wordbuf *b, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] >= '0' && d[i] <= '9') ss_wb_add(b, ONES[d[i] - '0']);
}

void ss_say_cardinal(ss_wordbuf *b, const char *d, size_t n)
{
    while (n > 1 && d[0] == '0') d++, n--;
    if (n > 15) {
        ss_say_digits(b, d, n);
        return;
    }
    int groups = (int)((n + 2) / 3);
    int any = 0;
    size_t pos = 0;
    for (int g = groups - 1; g >= 0; g--) {
        size_t glen = n - pos - (size_t)g * 3;
        int v = 0;
        for (size_t i = 0; i < glen; i++) v = v * 10 + (d[pos + i] - '0');
        pos += glen;
        if (v) {
            say_below_1000(b, v);
            if (g) ss_wb_add(b, SCALES[g]);
            any = 1;
        }
    }
    if (!any) ss_wb_add(b, "zero");
}

void ss_say_ordinal(ss_wordbuf *b, const char *d, size_t n)
{
    ss_say_cardinal(b, d, n);
    if (b->overflow || b->len == 0) return;
    char *last = strrchr(b->buf, ' ');
    last = last ? last + 1 : b->buf;
    for (size_t i = 0; i < sizeof ORD / sizeof ORD[0]; i++) {
        if (strcmp(last, ORD[i].card) == 0) {
            size_t base = (size_t)(last - b->buf), ol = strlen(ORD[i].ord);
            if (base + ol + 1 > b->cap) { b->overflow = 1; return; }
            memcpy(last, ORD[i].ord, ol + 1);
            b->len = base + ol;
            return;
        }
    }
    if (b->len + 3 > b->cap) { b->overflow = 1; return; }
    memcpy(b->buf + b->len, "th", 3);
    b->len += 2;
}

void ss_say_year(ss_wordbuf *b, const char *d, size_t n)
{
    if (n != 4) {
        ss_say_cardinal(b, d, n);
        return;
    }
    int hi = (d[0] - '0') * 10 + (d[1] - '0'), lo = (d[2] - '0') * 10 + (d[3] - '0');
    if (lo == 0 && hi % 10 == 0) { /* 2000, 1000 */
        ss_say_cardinal(b, d, n);
    } else if (hi % 10 == 0 && lo < 10) { /* 2005 -> two thousand five */
        ss_say_cardinal(b, d, n);
    } else {
        say_below_1000(b, hi);
        if (lo == 0) ss_wb_add(b, "hundred");
        else if (lo < 10) { ss_wb_add(b, "oh"); ss_wb_add(b, ONES[lo]); }
        else say_below_1000(b, lo);
    }
}
