/* Question matching for HTS decision trees.
 *
 * An HTS question ("QS name { "pat1","pat2" }") is true for a full-context
 * label when any of its glob patterns matches the whole label ('*' = any run
 * of characters, '?' = one character; every other character is literal, so
 * '[' and ']' are not classes). The patterns are compiled once, at voice
 * load, into the cheapest test that gives the same answer: a substring search
 * for "*text*" (the common case: "*-a+*", "*" "/A:1_*"), a prefix compare for
 * "text*", a suffix compare for "*text", an exact compare, and a general
 * backtracking glob for the rest. Compiled questions are immutable, so any
 * number of threads may match against them at once. */
#ifndef SS_ENGINE_QUESTION_MATCH_H
#define SS_ENGINE_QUESTION_MATCH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SS_PAT_EXACT = 0,
    SS_PAT_PREFIX,
    SS_PAT_SUFFIX,
    SS_PAT_SUBSTR,
    SS_PAT_GLOB
} ss_pattern_kind;

typedef struct {
    ss_pattern_kind kind;
    char *text;     /* literal part (EXACT/PREFIX/SUFFIX/SUBSTR) or whole glob */
    size_t len;     /* strlen(text) */
} ss_pattern;

typedef struct {
    char *name;
    ss_pattern *pats;
    size_t npats;
} ss_question;

/* Compiles one glob pattern. 0 ok, -1 out of memory. */
int ss_pattern_compile(const char *glob, ss_pattern *out, char *err, size_t errlen);
void ss_pattern_free(ss_pattern *p);
/* label must be a NUL-terminated string of length label_len (the general
 * glob and the substring search read up to the terminator). */
bool ss_pattern_match(const ss_pattern *p, const char *label, size_t label_len);

/* True when any pattern of q matches. */
bool ss_question_match(const ss_question *q, const char *label, size_t label_len);
void ss_question_free(ss_question *q);

/* General glob match ('*', '?'); exposed for tests. */
bool ss_glob_match(const char *pattern, const char *s);

#endif
