/* Spelling numbers as English words: cardinals, ordinals, years, digit
 * strings. Output is appended to a caller buffer as space-separated
 * lower-case words. */
#ifndef SS_ENGINE_TEXT_NUMBERS_H
#define SS_ENGINE_TEXT_NUMBERS_H

#include <stddef.h>

typedef struct {
    char *buf;
    size_t len, cap;
    int overflow; /* set when something did not fit */
} ss_wordbuf;

void ss_wb_add(ss_wordbuf *b, const char *words);
/* Cardinal of a digit string (leading zeros ignored). Strings longer than 15
 * digits are read digit by digit. */
void ss_say_cardinal(ss_wordbuf *b, const char *digits, size_t n);
/* Ordinal ("twenty second"). */
void ss_say_ordinal(ss_wordbuf *b, const char *digits, size_t n);
/* A year: 1999 -> nineteen ninety nine, 2005 -> two thousand five,
 * 2024 -> twenty twenty four, 1900 -> nineteen hundred. */
void ss_say_year(ss_wordbuf *b, const char *digits, size_t n);
/* Each digit ("zero", "one", ...). */
void ss_say_digits(ss_wordbuf *b, const char *digits, size_t n);

#endif
