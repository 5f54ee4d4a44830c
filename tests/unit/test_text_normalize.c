/* Unit tests for node/engine/frontend/text_normalize: text -> expected
 * spoken word sequence, one table row per case, grouped by class (every
 * class of text_normalize.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "node/engine/frontend/text_normalize.h"

typedef struct {
    const char *in, *want;
} norm_case;

/* Joins the normalised words with single spaces. */
static void words_of(const char *in, ss_read_as mode, char *out, size_t cap)
{
    ss_token_list l = {0};
    char err[128];
    cr_assert_eq(ss_normalize(in, strlen(in), NULL, 0, mode, &l, err, sizeof err), 0, "%s", err);
    out[0] = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (i) strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, l.v[i].word, cap - strlen(out) - 1);
    }
    ss_token_list_free(&l);
}

static void run_cases(const norm_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char got[2048];
        words_of(c[i].in, SS_READ_AUTO, got, sizeof got);
        cr_expect_str_eq(got, c[i].want, "normalise(\"%s\")", c[i].in);
    }
}
#define RUN(t) run_cases(t, sizeof t / sizeof t[0])

static const norm_case NUMBERS[] = {
    {"42", "forty two"},
    {"0", "zero"},
    {"7", "seven"},
    {"13", "thirteen"},
    {"100", "one hundred"},
    {"101", "one hundred one"},
    {"1,000", "one thousand"},
    {"1,234,567", "one million two hundred thirty four thousand five hundred sixty seven"},
    {"3.14", "three point one four"},
    {"0.5", "zero point five"},
    {"-5", "minus five"},
    {"-2.75", "minus two point seven five"},
    {"2000 apples", "two thousand apples"},
    {"007", "zero zero seven"},
    {"version 2.0", "version two point zero"},
    {"1000000", "one million"},
    {"the 1990s", "the nineteen nineties"},
    {"'80s", "eighties"},
    {"1/2", "one half"},
    {"3/4", "three quarters"},
    {"24/7", "twenty four seven"},
};
Test(text_normalize, numbers) { RUN(NUMBERS); }

static const norm_case MONEY[] = {
    {"$12.50", "twelve dollars and fifty cents"},
    {"$1", "one dollar"},
    {"$0.99", "ninety nine cents"},
    {"$5.01", "five dollars and one cent"},
    {"\xe2\x82\xac" "5", "five euros"},
    {"\xc2\xa3" "3.20", "three pounds and twenty pence"},
    {"$2.5 million", "two point five million dollars"},
    {"$1,200", "one thousand two hundred dollars"},
};
Test(text_normalize, currency) { RUN(MONEY); }

static const norm_case PERCENT_ORD[] = {
    {"45%", "forty five percent"},
    {"100%", "one hundred percent"},
    {"3.5%", "three point five percent"},
    {"1st", "first"},
    {"2nd place", "second place"},
    {"3rd", "third"},
    {"22nd", "twenty second"},
    {"103rd", "one hundred third"},
    {"11th", "eleventh"},
    {"40th", "fortieth"},
};
Test(text_normalize, percent_and_ordinals) { RUN(PERCENT_ORD); }

static const norm_case DATES[] = {
    {"in 1999", "in nineteen ninety nine"},
    {"since 2005", "since two thousand five"},
    {"in 1900", "in nineteen hundred"},
    {"by 2024", "by twenty twenty four"},
    {"Jan. 3, 2024", "january third twenty twenty four"},
    {"2024-01-03", "january third twenty twenty four"},
    {"3/4/2021", "march fourth twenty twenty one"},
    {"12/25/99", "december twenty fifth twenty ninety nine"},
    {"Mar 15", "march fifteenth"},
    {"December 31, 1999", "december thirty first nineteen ninety nine"},
};
Test(text_normalize, years_and_dates) { RUN(DATES); }

static const norm_case TIMES_PHONES[] = {
    {"10:30 a.m.", "ten thirty a m"},
    {"3:15 pm", "three fifteen p m"},
    {"17:05", "seventeen oh five"},
    {"7:00", "seven o'clock"},
    {"555-123-4567", "five five five one two three four five six seven"},
    {"+1-800-555-0199", "plus one eight zero zero five five five zero one nine nine"},
    {"555.123.4567", "five five five one two three four five six seven"},
};
Test(text_normalize, times_and_phone_numbers) { RUN(TIMES_PHONES); }

static const norm_case ABBREV[] = {
    {"Dr. Smith", "doctor smith"},
    {"Mr. Jones", "mister jones"},
    {"Mrs. Brown", "missus brown"},
    {"St. Louis", "saint louis"},
    {"Main St.", "main street"},
    {"cats vs. dogs", "cats versus dogs"},
    {"e.g. this", "for example this"},
    {"i.e. that", "that is that"},
    {"apples, etc.", "apples et cetera"},
    {"Prof. X", "professor x"},
};
Test(text_normalize, abbreviations) { RUN(ABBREV); }

static const norm_case UNITS[] = {
    {"5 km", "five kilometers"},
    {"1 km", "one kilometer"},
    {"10kg", "ten kilograms"},
    {"20\xc2\xb0" "C", "twenty degrees celsius"},
    {"5 mph", "five miles per hour"},
    {"250 ml", "two hundred fifty milliliters"},
    {"3 GB", "three gigabytes"},
};
Test(text_normalize, units) { RUN(UNITS); }

static const norm_case ACRONYMS[] = {
    {"FBI", "f b i"},
    {"NASA", "nasa"},
    {"HTML", "h t m l"},
    {"NATO", "nato"},
    {"IBM", "i b m"},
    {"the CIA", "the c i a"},
};
Test(text_normalize, acronyms) { RUN(ACRONYMS); }

static const norm_case WEB_SYMBOLS[] = {
    {"bob@mail.com", "bob at mail dot com"},
    {"https://example.com/a", "h t t p s colon slash slash example dot com slash a"},
    {"www.test.org", "w w w dot test dot org"},
    {"A & B", "a and b"},
    {"x + y = z", "x plus y equals z"},
    {"#1", "number one"},
    {"R&D", "r and d"},
};
Test(text_normalize, urls_email_symbols) { RUN(WEB_SYMBOLS); }

static const norm_case UNICODE_MISC[] = {
    {"\xe2\x80\x9cHi\xe2\x80\x9d", "hi"},
    {"it\xe2\x80\x99s", "it's"},
    {"wait\xe2\x80\x94now", "wait now"},
    {"so\xe2\x80\xa6 yes", "so yes"},
    {"ok \xf0\x9f\x98\x80 fine", "ok fine"},
    {"caf\xc3\xa9", "cafe"},
    {"a\x01" "b c\x7f" "d", "a b c d"},
    {"bad \xff\xfe utf8", "bad utf eight"},
    {"well-known", "well known"},
    {"don't", "don't"},
    {"Hello. World!", "hello world"},
    {"6\xc3\xb7" "3\xc3\x97" "2", "six divided by three times two"},
    {"\xc3\xb7\xc3\xb7\xc3\xb7\xc3\xb7", "divided by divided by divided by divided by"},
    {"   ", ""},
    {"", ""},
};
Test(text_normalize, unicode_and_cleanup) { RUN(UNICODE_MISC); }

Test(text_normalize, say_as_modes)
{
    char got[512];
    words_of("abc1", SS_READ_CHARACTERS, got, sizeof got);
    cr_expect_str_eq(got, "a b c one");
    words_of("21", SS_READ_ORDINAL, got, sizeof got);
    cr_expect_str_eq(got, "twenty first");
    words_of("1999", SS_READ_CARDINAL, got, sizeof got);
    cr_expect_str_eq(got, "one thousand nine hundred ninety nine");
    words_of("(555) 123-4567", SS_READ_TELEPHONE, got, sizeof got);
    cr_expect_str_eq(got, "five five five one two three four five six seven");
}

Test(text_normalize, sentence_ends_and_offsets)
{
    const char *t = "Dr. Smith paid $5. Then he left!";
    ss_token_list l = {0};
    char err[128];
    cr_assert_eq(ss_normalize(t, strlen(t), NULL, 0, SS_READ_AUTO, &l, err, sizeof err), 0);
    /* doctor smith paid five dollars | then he left | */
    cr_assert_eq(l.n, 8);
    cr_expect_eq(l.v[0].sentence_end, 0, "Dr. does not end a sentence");
    cr_expect_eq(l.v[4].sentence_end, 1);
    cr_expect_eq(l.v[7].sentence_end, 1);
    cr_expect_eq(l.v[7].punct, '!');
    cr_expect_eq(l.v[1].src_start, 4);
    cr_expect_eq(l.v[1].src_end, 9);
    cr_expect_eq(l.v[3].src_start, 15); /* "$5." */
    ss_token_list_free(&l);
}
