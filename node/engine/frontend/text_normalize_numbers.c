/* The normaliser's number recognisers: currency ($ EUR GBP, cents, a
 * following million/billion/...), decades (1990s, '80s), simple fractions,
 * ordinals (22nd), phone numbers read digit by digit, and plain numbers
 * (cardinals, decimals, negatives, years in a year context, 007) with an
 * attached or following unit or percent. The unit table is here. See
 * text_normalize_rules.h for the shape of a recogniser. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/text_normalize_rules.h"

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

static const char *unit_words(const char *s, size_t n, int plural)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (ss_norm_ieq(s, n, UNITS[i].unit)) return plural ? UNITS[i].many : UNITS[i].one;
    return NULL;
}

/* ---- currency --------------------------------------------------------- */

static const char *scale_word(const char *s, size_t n)
{
    static const char *const SCALES[] = {"million", "billion", "trillion", "thousand"};
    for (size_t i = 0; i < sizeof SCALES / sizeof SCALES[0]; i++)
        if (ss_norm_ieq(s, n, SCALES[i])) return SCALES[i];
    return NULL;
}

static void say_currency(ss_wordbuf *b, char sign, const char *ip, const char *fp, const char *scale)
{
    const char *unit1 = sign == SS_MK_EURO ? "euro" : sign == SS_MK_POUND ? "pound" : "dollar";
    const char *unitn = sign == SS_MK_EURO ? "euros" : sign == SS_MK_POUND ? "pounds" : "dollars";
    const char *sub1 = sign == SS_MK_POUND ? "penny" : "cent";
    const char *subn = sign == SS_MK_POUND ? "pence" : "cents";
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

size_t ss_norm_match_currency(const ss_norm_ctx *c)
{
    const char *s = c->s;
    if (!(c->core_n >= 2 && (s[0] == '$' || s[0] == SS_MK_EURO || s[0] == SS_MK_POUND) &&
          isdigit((unsigned char)s[1])))
        return 0;
    return c->nx && scale_word(c->nx, c->nx_core) ? 2 : 1;
}

void ss_norm_emit_currency(ss_norm_ctx *c, size_t taken)
{
    char ip[64], fp[64];
    int neg;
    const char *s = c->s;
    size_t k = ss_norm_scan_number(s + 1, c->core_n - 1, ip, sizeof ip, fp, sizeof fp, &neg);
    const char *scale = NULL;
    size_t s1 = c->s1;
    if (taken == 2) { /* "$2.5 million" */
        size_t m = c->nxn;
        scale = scale_word(c->nx, c->nx_core);
        c->punct = ss_norm_strip_trailing(c->nx, &m);
        s1 = c->rt[c->t + 1].s1;
    }
    say_currency(c->b, s[0], ip, fp, scale);
    ss_norm_flush(&c->e, c->b, c->s0, s1);
    if (k + 1 < c->core_n) ss_norm_say_mixed(&c->e, c->b, s + 1 + k, c->core_n - 1 - k, c->s0, s1);
}

/* ---- decades: 1990s, 1900s, '90s ------------------------------------------ */

/* The digits of a decade token (without a leading apostrophe), or NULL. */
static const char *decade_digits(const ss_norm_ctx *c, size_t *dn)
{
    const char *d = c->s;
    *dn = c->core_n;
    if (*dn == 4 && d[0] == '\'') d++, (*dn)--;
    if ((*dn == 5 || *dn == 3) && (d[*dn - 1] == 's' || d[*dn - 1] == 'S') && ss_norm_all_digits(d, *dn - 1) &&
        d[*dn - 2] == '0')
        return d;
    return NULL;
}

size_t ss_norm_match_decade(const ss_norm_ctx *c)
{
    size_t dn;
    return decade_digits(c, &dn) != NULL;
}

void ss_norm_emit_decade(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    size_t dn;
    const char *d = decade_digits(c, &dn);
    ss_wordbuf *b = c->b;
    if (dn == 5) ss_say_year(b, d, 4);
    else ss_say_cardinal(b, d, 2);
    /* Pluralise the last word: ninety -> nineties, hundred -> hundreds. */
    if (!b->overflow && b->len + 4 < b->cap) {
        if (b->len > 1 && b->buf[b->len - 1] == 'y') { strcpy(b->buf + b->len - 1, "ies"); b->len += 2; }
        else { strcpy(b->buf + b->len, "s"); b->len += 1; }
    }
    ss_norm_flush(&c->e, b, c->s0, c->s1);
}

/* ---- simple fractions: 1/2, 3/4, 2/3 (24/7 and others: both numbers) ----- */

size_t ss_norm_match_fraction(const ss_norm_ctx *c)
{
    const char *s = c->s, *sl = memchr(s, '/', c->core_n);
    return sl && sl > s && ss_norm_all_digits(s, (size_t)(sl - s)) && sl - s <= 2 &&
           ss_norm_all_digits(sl + 1, c->core_n - (size_t)(sl + 1 - s)) &&
           c->core_n - (size_t)(sl + 1 - s) <= 2;
}

void ss_norm_emit_fraction(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    static const char *const DEN1[] = {"", "", "half", "third", "quarter", "fifth",
                                       "sixth", "seventh", "eighth", "ninth", "tenth"};
    static const char *const DENN[] = {"", "", "halves", "thirds", "quarters", "fifths",
                                       "sixths", "sevenths", "eighths", "ninths", "tenths"};
    const char *s = c->s, *sl = memchr(s, '/', c->core_n);
    size_t dl = c->core_n - (size_t)(sl + 1 - s);
    int num = atoi(s), den = atoi(sl + 1);
    ss_say_cardinal(c->b, s, (size_t)(sl - s));
    if (den >= 2 && den <= 10 && num >= 1 && num < den) ss_wb_add(c->b, num == 1 ? DEN1[den] : DENN[den]);
    else ss_say_cardinal(c->b, sl + 1, dl);
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}

/* ---- ordinals: 1st 22nd ---------------------------------------------------- */

static size_t leading_digits(const char *s, size_t n)
{
    size_t dl = 0;
    while (dl < n && isdigit((unsigned char)s[dl])) dl++;
    return dl;
}

size_t ss_norm_match_ordinal(const ss_norm_ctx *c)
{
    const char *s = c->s;
    size_t dl = leading_digits(s, c->core_n);
    return dl > 0 && dl <= 15 && c->core_n == dl + 2 &&
           (ss_norm_ieq(s + dl, 2, "st") || ss_norm_ieq(s + dl, 2, "nd") || ss_norm_ieq(s + dl, 2, "rd") ||
            ss_norm_ieq(s + dl, 2, "th"));
}

void ss_norm_emit_ordinal(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    ss_say_ordinal(c->b, c->s, leading_digits(c->s, c->core_n));
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}

/* ---- phone numbers: digit groups joined by - . ( ) with 7..15 digits ------ */

size_t ss_norm_match_phone(const ss_norm_ctx *c)
{
    const char *s = c->s;
    size_t n = c->core_n, digits = 0, seps = 0, i = s[0] == '+';
    for (; i < n; i++) {
        if (isdigit((unsigned char)s[i])) digits++;
        else if (s[i] == '-' || s[i] == '.' || s[i] == '(' || s[i] == ')') seps++;
        else return 0;
    }
    /* One separator two digits from the end is a decimal (1234567.89). */
    return seps >= 1 && digits >= 7 && digits <= 15 && !(seps == 1 && s[n - 3] == '.');
}

void ss_norm_emit_phone(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    if (c->s[0] == '+') ss_wb_add(c->b, "plus");
    ss_say_digits(c->b, c->s, c->core_n);
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}

/* ---- numbers, with an attached or following unit / percent ----------------- */

/* A number the generic reading takes whole: more than 15 digits and nothing
 * else, or no number after the sign ("-.5"). */
static int number_read_as_mixed(const ss_norm_ctx *c, char *ip, char *fp, size_t cap, int *neg, size_t *k)
{
    size_t intlen = leading_digits(c->s, c->core_n);
    if (intlen > 15 && intlen == c->core_n) return 1;
    *k = ss_norm_scan_number(c->s, c->core_n, ip, cap, fp, cap, neg);
    return *k == 0;
}

/* The unit words of the next token when it is a unit this number takes
 * ("5 km"; not "in", and of the one-letter units only g and %). */
static const char *following_unit(const ss_norm_ctx *c, int plural)
{
    const char *nx = c->nx, *uw;
    size_t nc = c->nx_core;
    if (!nx || (uw = unit_words(nx, nc, plural)) == NULL) return NULL;
    if (nc == 2 && ss_norm_ieq(nx, 2, "in")) return NULL;
    if (!(nc > 1 || nx[0] == 'm' || nx[0] == 'g' || nx[0] == 's' || nx[0] == 'h' || nx[0] == '%')) return NULL;
    if (ss_norm_ieq(nx, nc, "s") || ss_norm_ieq(nx, nc, "m") || ss_norm_ieq(nx, nc, "h")) return NULL;
    return uw;
}

size_t ss_norm_match_number(const ss_norm_ctx *c)
{
    const char *s = c->s;
    if (!(isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && c->core_n > 1 &&
                                           (isdigit((unsigned char)s[1]) || s[1] == '.'))))
        return 0;
    char ip[64], fp[64];
    int neg;
    size_t k = 0;
    if (number_read_as_mixed(c, ip, fp, sizeof ip, &neg, &k)) return 1;
    int plural = !(strcmp(ip, "1") == 0 && !*fp);
    return k == c->core_n && following_unit(c, plural) ? 2 : 1;
}

/* A four-digit year is read as a year after "in", "since", a month, ...
 * or before AD/BC. */
static int is_year_context(const char *s, size_t n)
{
    static const char *const w[] = {"in", "since", "from", "until", "till", "by", "of", "during",
                                    "before", "after", "around", "circa", "year", "to"};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (ss_norm_ieq(s, n, w[i])) return 1;
    return ss_norm_month_index(s, n) >= 0;
}

static void say_plain_number(ss_norm_ctx *c, const char *ip, const char *fp, int neg, size_t k)
{
    const char *nx = c->nx;
    int prev_ctx = c->t > 0 && is_year_context(c->rt[c->t - 1].s, c->rt[c->t - 1].n);
    if (!neg && !*fp && k == c->core_n && k == 4 && strlen(ip) == 4 && atoi(ip) >= 1100 && atoi(ip) <= 2099 &&
        (prev_ctx || (nx && (ss_norm_ieq(nx, c->nx_core, "AD") || ss_norm_ieq(nx, c->nx_core, "BC")))))
        ss_say_year(c->b, ip, 4);
    else if (!*fp && strlen(ip) >= 2 && ip[0] == '0' && k == c->core_n && !neg)
        ss_say_digits(c->b, ip, strlen(ip)); /* 007 */
    else
        ss_norm_say_number(c->b, ip, fp, neg);
}

void ss_norm_emit_number(ss_norm_ctx *c, size_t taken)
{
    char ip[64], fp[64];
    int neg;
    size_t k = 0;
    if (number_read_as_mixed(c, ip, fp, sizeof ip, &neg, &k)) {
        ss_norm_say_mixed(&c->e, c->b, c->s, c->core_n, c->s0, c->s1);
        return;
    }
    const char *rest = c->s + k;
    size_t rn = c->core_n - k;
    int plural = !(strcmp(ip, "1") == 0 && !*fp);
    say_plain_number(c, ip, fp, neg, k);
    const char *uw = rn > 0 ? unit_words(rest, rn, plural) : NULL;
    if (uw) { /* "10kg" */
        ss_wb_add(c->b, uw);
        ss_norm_flush(&c->e, c->b, c->s0, c->s1);
    } else if (rn > 0) {
        ss_norm_flush(&c->e, c->b, c->s0, c->s1);
        ss_norm_say_mixed(&c->e, c->b, rest, rn, c->s0, c->s1);
    } else if (taken == 2) { /* "5 km" */
        const ss_raw_tok *u = &c->rt[c->t + 1];
        ss_wb_add(c->b, following_unit(c, plural));
        ss_norm_flush(&c->e, c->b, c->s0, u->s1);
        size_t m = u->n;
        c->punct = ss_norm_strip_trailing(u->s, &m);
    } else {
        ss_norm_flush(&c->e, c->b, c->s0, c->s1);
    }
}
