/* The normaliser's word recognisers: tokens that are only punctuation (a
 * pause on the word before, or a symbol's name), abbreviations and titles
 * with their period (the table is here; "St." is Saint before a capitalised
 * word, else Street), and the last resort, the generic reading of letters,
 * digits and symbols. See text_normalize_rules.h for the shape of a
 * recogniser. */
#include <ctype.h>
#include <string.h>

#include "node/engine/frontend/text_normalize_rules.h"

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

/* ---- punctuation only: "-", "--", "...", ">" ------------------------------ */

size_t ss_norm_match_punctuation_only(const ss_norm_ctx *c)
{
    return c->core_n == 0;
}

/* A lone symbol is named; dashes and dots are a pause (a comma on the word
 * before, unless it has punctuation already). The token's own punctuation is
 * not put on any word. */
void ss_norm_emit_punctuation_only(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    ss_token_list *out = c->e.out;
    if (c->n == 1 && ss_norm_symbol_word(c->s[0])) {
        ss_norm_words(&c->e, ss_norm_symbol_word(c->s[0]), c->s0, c->s1);
    } else if (out->n > 0 && (memchr(c->s, '-', c->n) || memchr(c->s, '.', c->n))) {
        if (!out->v[out->n - 1].punct) out->v[out->n - 1].punct = ',';
    }
    c->punct = 0;
}

/* ---- abbreviations (with their period) --------------------------------- */

static int abbrev_index(const ss_norm_ctx *c)
{
    if (!(c->had_dot || memchr(c->s, '.', c->core_n))) return -1;
    for (size_t a = 0; a < sizeof ABBREV / sizeof ABBREV[0]; a++)
        if (strlen(ABBREV[a].abbr) == c->core_n && strncmp(ABBREV[a].abbr, c->s, c->core_n) == 0)
            return (int)a;
    return -1;
}

size_t ss_norm_match_abbreviation(const ss_norm_ctx *c)
{
    return abbrev_index(c) >= 0;
}

void ss_norm_emit_abbreviation(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    const char *abbr = ABBREV[abbrev_index(c)].abbr, *w = ABBREV[abbrev_index(c)].words;
    int next_capital = c->nx && isupper((unsigned char)c->nx[0]);
    /* "St." before a capitalised word is Saint, else Street. */
    if (!strcmp(abbr, "St") && !next_capital) w = "street";
    /* NOTE: meant as "Dr." after a word is Drive, but nothing of this token
     * has been pushed yet here, so out->n > before is never true: Dr. is
     * always "doctor" (kept as it was; the tests expect "doctor"). */
    if (!strcmp(abbr, "Dr") && !next_capital && c->e.out->n > c->before) w = "drive";
    if (!strcmp(w, "a m") || !strcmp(w, "p m") || !strcmp(w, "u s") || !strcmp(w, "u k")) {
        ss_norm_letter(&c->e, w[0], c->s0, c->s1);
        ss_norm_letter(&c->e, w[2], c->s0, c->s1);
    } else {
        ss_norm_words(&c->e, w, c->s0, c->s1);
    }
    /* The period belongs to the abbreviation: the sentence goes on unless it
     * is the last token or the next one starts with a capital after "etc." /
     * "a.m." / "p.m.". */
    if (c->punct == '.') {
        int may_end = !strcmp(abbr, "etc") || !strcmp(abbr, "a.m") || !strcmp(abbr, "p.m");
        int ends = c->t + 1 == c->nt || (may_end && next_capital);
        c->punct = ends ? '.' : 0;
    }
}

/* ---- anything else: words, acronyms, hyphenated and symbol-joined forms --- */

size_t ss_norm_match_word(const ss_norm_ctx *c)
{
    (void)c;
    return 1;
}

void ss_norm_emit_word(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    ss_norm_say_mixed(&c->e, c->b, c->s, c->core_n, c->s0, c->s1);
}
