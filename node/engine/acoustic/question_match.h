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
 * number of threads may match against them at once.
 *
 * A "*text*" pattern whose text begins and ends with a delimiter (a field
 * text, label_tokens.h) also carries its run count and hash, so that
 * ss_pattern_match_tokens answers it from a label's token index (built once
 * per label) with one hash probe instead of a substring search; the answer
 * is the same (label_tokens.h says why). */
#ifndef SS_ENGINE_QUESTION_MATCH_H
#define SS_ENGINE_QUESTION_MATCH_H

#include "node/engine/acoustic/label_tokens.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    /* Set by ss_pattern_index_field (zeroed = not a field pattern, which
     * only costs speed): */
    bool field;     /* SUBSTR whose text is a field text (label_tokens.h) */
    unsigned char runs; /* when field: ss_field_text_runs(text, len) */
    uint64_t hash;  /* when field: ss_field_text_hash(text, len) */
    uint64_t word;  /* when field and len <= SS_TOKENS_WORD: ss_tokens_word(text, len) */
} ss_pattern;

typedef struct {
    char *name;
    ss_pattern *pats;
    size_t npats;
} ss_question;

/* Compiles one glob pattern (ss_pattern_index_field included). 0 ok, -1
 * out of memory. */
int ss_pattern_compile(const char *glob, ss_pattern *out, char *err, size_t errlen);
/* Sets field, runs, hash and word from kind and text: for patterns built without
 * ss_pattern_compile (a prepared voice's, read back from kind and text). */
void ss_pattern_index_field(ss_pattern *p);
void ss_pattern_free(ss_pattern *p);
/* label must be a NUL-terminated string of length label_len (the general
 * glob and the substring search read up to the terminator). */
bool ss_pattern_match(const ss_pattern *p, const char *label, size_t label_len);

/* The same answer, field patterns probed in tokens, which must index this
 * label (ss_label_tokens_index(tokens, label, label_len, ...)); patterns
 * whose run count it does not cover are matched as above. tokens may be
 * NULL (then this is ss_pattern_match). */
bool ss_pattern_match_tokens(const ss_pattern *p, const ss_label_tokens *tokens, const char *label,
                             size_t label_len);

/* True when any pattern of q matches. */
bool ss_question_match(const ss_question *q, const char *label, size_t label_len);
/* Same through ss_pattern_match_tokens. */
bool ss_question_match_tokens(const ss_question *q, const ss_label_tokens *tokens, const char *label,
                              size_t label_len);
void ss_question_free(ss_question *q);

/* General glob match ('*', '?'); exposed for tests. */
bool ss_glob_match(const char *pattern, const char *s);

#endif
