/* The normaliser's time and date recognisers: hh:mm (with a following
 * a.m./p.m.), ISO yyyy-mm-dd, US m/d/yyyy and m/d/yy, and a month name or
 * abbreviation followed by a day and maybe a year ("Jan. 3, 2024"). Each
 * recogniser declines shapes whose fields are out of range (25:00, 13/45/2020)
 * so the later ones read them. See text_normalize_rules.h for the shape of a
 * recogniser. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/text_normalize_rules.h"

const char *const SS_NORM_MONTHS[12] = {"january", "february", "march",     "april",
                                        "may",     "june",     "july",      "august",
                                        "september", "october", "november", "december"};
static const char *const MONTH_ABBR[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};

int ss_norm_month_index(const char *s, size_t n)
{
    for (int m = 0; m < 12; m++)
        if (ss_norm_ieq(s, n, SS_NORM_MONTHS[m]) || ss_norm_ieq(s, n, MONTH_ABBR[m]) ||
            (m == 8 && ss_norm_ieq(s, n, "sept")))
            return m;
    return -1;
}

/* ---- time hh:mm ------------------------------------------------------- */

static int is_am_pm(const ss_norm_ctx *c)
{
    return c->nx && (ss_norm_ieq(c->nx, c->nx_core, "a.m") || ss_norm_ieq(c->nx, c->nx_core, "p.m") ||
                     ss_norm_ieq(c->nx, c->nx_core, "am") || ss_norm_ieq(c->nx, c->nx_core, "pm"));
}

size_t ss_norm_match_time(const ss_norm_ctx *c)
{
    const char *s = c->s;
    size_t n = c->core_n;
    if (!((n == 4 || n == 5) && isdigit((unsigned char)s[0]) && s[n - 3] == ':' &&
          ss_norm_all_digits(s, n - 3) && ss_norm_all_digits(s + n - 2, 2)))
        return 0;
    if (!(atoi(s) <= 24 && atoi(s + n - 2) < 60)) return 0;
    return is_am_pm(c) ? 2 : 1;
}

void ss_norm_emit_time(ss_norm_ctx *c, size_t taken)
{
    const char *s = c->s;
    size_t n = c->core_n;
    int hh = atoi(s), mm = atoi(s + n - 2);
    ss_say_cardinal(c->b, s, n - 3);
    if (mm == 0) {
        if (taken == 1) ss_wb_add(c->b, hh > 12 ? "hundred" : "o'clock");
    } else if (mm < 10) {
        ss_wb_add(c->b, "oh");
        ss_say_cardinal(c->b, s + n - 1, 1);
    } else {
        ss_say_cardinal(c->b, s + n - 2, 2);
    }
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
    if (taken == 2) {
        const ss_raw_tok *ap = &c->rt[c->t + 1];
        ss_norm_letter(&c->e, c->nx[0], ap->s0, ap->s1);
        ss_norm_letter(&c->e, 'm', ap->s0, ap->s1);
        size_t m = ap->n;
        /* "a.m." closing a sentence keeps its period as the end. */
        c->punct = ss_norm_strip_trailing(ap->s, &m);
    }
}

/* ---- ISO yyyy-mm-dd ---------------------------------------------------- */

size_t ss_norm_match_iso_date(const ss_norm_ctx *c)
{
    const char *s = c->s;
    if (!(c->core_n == 10 && ss_norm_all_digits(s, 4) && s[4] == '-' && ss_norm_all_digits(s + 5, 2) &&
          s[7] == '-' && ss_norm_all_digits(s + 8, 2)))
        return 0;
    int mo = atoi(s + 5), d = atoi(s + 8);
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

void ss_norm_emit_iso_date(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    ss_wb_add(c->b, SS_NORM_MONTHS[atoi(c->s + 5) - 1]);
    char dd[3];
    snprintf(dd, sizeof dd, "%d", atoi(c->s + 8));
    ss_say_ordinal(c->b, dd, strlen(dd));
    ss_say_year(c->b, c->s, 4);
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}

/* ---- US m/d/yyyy, m/d/yy ------------------------------------------------ */

/* The two slashes of a m/d/y token with 1-2 digit month and day and a 2 or 4
 * digit year, or 0. */
static int us_date_slashes(const char *s, size_t n, const char **p1, const char **p2)
{
    *p1 = memchr(s, '/', n);
    *p2 = *p1 ? memchr(*p1 + 1, '/', n - (size_t)(*p1 + 1 - s)) : NULL;
    if (!*p1 || !*p2) return 0;
    size_t ml = (size_t)(*p1 - s), dl = (size_t)(*p2 - *p1 - 1), yl = n - (size_t)(*p2 + 1 - s);
    return ss_norm_all_digits(s, ml) && ss_norm_all_digits(*p1 + 1, dl) && ss_norm_all_digits(*p2 + 1, yl) &&
           ml <= 2 && dl <= 2 && dl > 0 && (yl == 4 || yl == 2);
}

size_t ss_norm_match_us_date(const ss_norm_ctx *c)
{
    const char *p1, *p2;
    if (!us_date_slashes(c->s, c->core_n, &p1, &p2)) return 0;
    int mo = atoi(c->s), d = atoi(p1 + 1);
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

void ss_norm_emit_us_date(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    const char *p1, *p2;
    us_date_slashes(c->s, c->core_n, &p1, &p2);
    ss_wb_add(c->b, SS_NORM_MONTHS[atoi(c->s) - 1]);
    ss_say_ordinal(c->b, p1 + 1, (size_t)(p2 - p1 - 1));
    if (c->core_n - (size_t)(p2 + 1 - c->s) == 4) {
        ss_say_year(c->b, p2 + 1, 4);
    } else {
        char y[5] = {'2', '0', p2[1], p2[2], 0};
        ss_say_year(c->b, y, 4);
    }
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}

/* ---- month name + day [+ year] ------------------------------------------ */

/* A year token after the day: exactly four digits with only punctuation after. */
static int is_year_token(const ss_raw_tok *y)
{
    if (!(y->n >= 4 && ss_norm_all_digits(y->s, 4))) return 0;
    size_t m = y->n;
    ss_norm_strip_trailing(y->s, &m);
    return m == 4;
}

size_t ss_norm_match_month_day(const ss_norm_ctx *c)
{
    const char *s = c->s, *nx = c->nx;
    if (!(ss_norm_month_index(s, c->core_n) >= 0 && nx && c->nx_core >= 1 && c->nx_core <= 4 &&
          isdigit((unsigned char)nx[0]) && (c->core_n > 3 || c->had_dot || isupper((unsigned char)s[0]))))
        return 0;
    size_t dl = 0;
    while (dl < c->nx_core && isdigit((unsigned char)nx[dl])) dl++;
    int d = atoi(nx);
    if (!(dl <= 2 && d >= 1 && d <= 31)) return 0;
    return c->t + 2 < c->nt && is_year_token(&c->rt[c->t + 2]) ? 3 : 2;
}

void ss_norm_emit_month_day(ss_norm_ctx *c, size_t taken)
{
    const ss_raw_tok *day = &c->rt[c->t + 1];
    size_t dl = 0;
    while (dl < c->nx_core && isdigit((unsigned char)c->nx[dl])) dl++;
    ss_wb_add(c->b, SS_NORM_MONTHS[ss_norm_month_index(c->s, c->core_n)]);
    ss_say_ordinal(c->b, c->nx, dl);
    ss_norm_flush(&c->e, c->b, c->s0, day->s1);
    size_t m = day->n;
    c->punct = ss_norm_strip_trailing(day->s, &m);
    if (taken == 3) {
        const ss_raw_tok *year = &c->rt[c->t + 2];
        m = year->n;
        c->punct = ss_norm_strip_trailing(year->s, &m);
        ss_say_year(c->b, year->s, 4);
        ss_norm_flush(&c->e, c->b, year->s0, year->s1);
    }
}
