/* Parser and search for HTS decision-tree files; see model_tree.h.
 *
 * Parsing is a small hand-written scanner over the in-memory text (the voice
 * file is read whole). Every failure names the problem and the byte offset,
 * and a truncated or corrupted file can only produce an error, never a read
 * outside the buffer: every access checks the end pointer. */
#include "node/engine/acoustic/model_tree.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest token of a tree node (index, question name, child) we accept. */
#define SS_TREE_TOKEN_MAX 256

typedef struct {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
} scanner;

static int fail(scanner *s, const char *what)
{
    snprintf(s->err, s->errlen, "tree: %s at offset %zu", what, (size_t)(s->p - s->start));
    return -1;
}

static void skip_space(scanner *s)
{
    while (s->p < s->end && isspace((unsigned char)*s->p))
        s->p++;
}

/* Finds the next token: a quoted string (quotes removed) or a run of
 * non-space characters; *quoted tells which. 0 with its bytes in [*b, *b +
 * *len), or -1 at the end of the text (or inside an unterminated quote). */
static int token_span(scanner *s, const char **b, size_t *len, int *quoted)
{
    skip_space(s);
    if (s->p >= s->end)
        return -1;
    const char *e;
    if (*s->p == '"') {
        *b = ++s->p;
        while (s->p < s->end && *s->p != '"')
            s->p++;
        if (s->p >= s->end)
            return -1;
        e = s->p++;
        *quoted = 1;
    } else {
        *b = s->p;
        while (s->p < s->end && !isspace((unsigned char)*s->p))
            s->p++;
        e = s->p;
        *quoted = 0;
    }
    *len = (size_t)(e - *b);
    return 0;
}

/* Reads a token (see token_span). Returns a malloc'd copy or NULL at end. */
static char *read_token(scanner *s, int *quoted)
{
    const char *b;
    size_t len;
    if (token_span(s, &b, &len, quoted) != 0)
        return NULL;
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    memcpy(t, b, len);
    t[len] = '\0';
    return t;
}

/* Reads a token into buf (cap bytes, NUL-terminated): the tree nodes' four
 * tokens, tens of thousands per voice, without an allocation each. 0, or -1
 * at the end or when the token does not fit (*too_long set). */
static int read_token_into(scanner *s, int *quoted, char *buf, size_t cap, int *too_long)
{
    const char *b;
    size_t len;
    *too_long = 0;
    if (token_span(s, &b, &len, quoted) != 0)
        return -1;
    if (len >= cap) {
        *too_long = 1;
        return -1;
    }
    memcpy(buf, b, len);
    buf[len] = '\0';
    return 0;
}

static int add_pattern(ss_pattern **pats, size_t *n, size_t *cap, const char *b, size_t len,
                       char *err, size_t errlen)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        ss_pattern *np = realloc(*pats, nc * sizeof *np);
        if (!np) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        *pats = np;
        *cap = nc;
    }
    char buf[1024];
    if (len >= sizeof buf) {
        snprintf(err, errlen, "tree: pattern longer than %zu bytes", sizeof buf - 1);
        return -1;
    }
    memcpy(buf, b, len);
    buf[len] = '\0';
    if (ss_pattern_compile(buf, &(*pats)[*n], err, errlen) != 0)
        return -1;
    (*n)++;
    return 0;
}

/* Parses a brace list of patterns "{ "a","b" }" or "{*}" ending at the
 * matching '}'; the scanner sits on '{'. Quotes are optional. */
static int parse_pattern_list(scanner *s, ss_pattern **pats, size_t *npats)
{
    size_t cap = 0;
    *pats = NULL;
    *npats = 0;
    if (s->p >= s->end || *s->p != '{')
        return fail(s, "expected '{'");
    s->p++;
    for (;;) {
        while (s->p < s->end && (isspace((unsigned char)*s->p) || *s->p == ','))
            s->p++;
        if (s->p >= s->end)
            return fail(s, "unterminated pattern list");
        if (*s->p == '}') {
            s->p++;
            return 0;
        }
        const char *b, *e;
        if (*s->p == '"') {
            b = ++s->p;
            while (s->p < s->end && *s->p != '"')
                s->p++;
            if (s->p >= s->end)
                return fail(s, "unterminated quoted pattern");
            e = s->p++;
        } else {
            b = s->p;
            while (s->p < s->end && *s->p != ',' && *s->p != '}' && !isspace((unsigned char)*s->p))
                s->p++;
            e = s->p;
        }
        if (add_pattern(pats, npats, &cap, b, (size_t)(e - b), s->err, s->errlen) != 0)
            return -1;
    }
}

static int question_cmp(const void *a, const void *b)
{
    return strcmp(((const ss_question *)a)->name, ((const ss_question *)b)->name);
}

static int find_question(const ss_tree_set *ts, const char *name)
{
    size_t lo = 0, hi = ts->nquestions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ts->questions[mid].name, name);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Leaf "name_N" -> N (> 0), or -1. */
static int leaf_pdf_index(const char *name)
{
    const char *u = strrchr(name, '_');
    const char *d = u ? u + 1 : name;
    if (!*d)
        return -1;
    char *endp;
    errno = 0;
    long v = strtol(d, &endp, 10);
    if (*endp || errno || v <= 0 || v > 100000000)
        return -1;
    return (int)v;
}

static int parse_int(const char *t, long *v)
{
    char *endp;
    errno = 0;
    *v = strtol(t, &endp, 10);
    return (*t && !*endp && !errno) ? 0 : -1;
}

/* Child token -> encoded child (node position >= 0, or -pdf). */
static int encode_child(scanner *s, const char *tok, int quoted, int *child)
{
    if (quoted) {
        int pdf = leaf_pdf_index(tok);
        if (pdf <= 0)
            return fail(s, "bad leaf name");
        *child = -pdf;
        return 0;
    }
    long v;
    if (parse_int(tok, &v) != 0 || v > 0 || v < -10000000)
        return fail(s, "bad child node index");
    *child = (int)-v;
    return 0;
}

/* The nodes of one tree as read, indexed by position (-index), with which
 * positions were defined. */
typedef struct {
    ss_tree_node *nodes;
    unsigned char *seen;
    size_t cap;
    int maxpos;
} node_table;

/* Reads one node "index question no yes" into *pos and *node. 0, or -1
 * with the scanner's error. */
static int read_node(scanner *s, const ss_tree_set *ts, int *pos, ss_tree_node *node)
{
    char tk[4][SS_TREE_TOKEN_MAX];
    int q[4] = {0};
    for (int i = 0; i < 4; i++) {
        int too_long;
        if (read_token_into(s, &q[i], tk[i], sizeof tk[i], &too_long) != 0)
            return fail(s, too_long ? "tree node token too long" : "truncated tree node");
    }
    long idx = 0;
    int qi = -1, no = 0, yes = 0;
    if (parse_int(tk[0], &idx) != 0 || idx > 0 || idx < -10000000)
        return fail(s, "bad node index");
    if ((qi = find_question(ts, tk[1])) < 0)
        return fail(s, "node asks an undefined question");
    if (encode_child(s, tk[2], q[2], &no) != 0 || encode_child(s, tk[3], q[3], &yes) != 0)
        return -1;
    *pos = (int)-idx;
    *node = (ss_tree_node){.question = qi, .no = no, .yes = yes};
    return 0;
}

/* Stores node at pos, growing the table. 0, or -1 when out of memory (the
 * table still owns what it holds). */
static int node_table_put(scanner *s, node_table *nt, int pos, ss_tree_node node)
{
    if ((size_t)pos >= nt->cap) {
        size_t nc = nt->cap ? nt->cap * 2 : 64;
        while (nc <= (size_t)pos)
            nc *= 2;
        ss_tree_node *nn = realloc(nt->nodes, nc * sizeof *nn);
        if (nn)
            nt->nodes = nn;
        unsigned char *ns = realloc(nt->seen, nc);
        if (ns)
            nt->seen = ns;
        if (!nn || !ns) {
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        memset(ns + nt->cap, 0, nc - nt->cap);
        nt->cap = nc;
    }
    nt->nodes[pos] = node;
    nt->seen[pos] = 1;
    if (pos > nt->maxpos)
        nt->maxpos = pos;
    return 0;
}

/* Every position 0..maxpos defined, children in range and after their
 * parent. */
static int node_table_complete(const node_table *nt)
{
    const ss_tree_node *n = nt->nodes;
    for (int i = 0; i <= nt->maxpos; i++) {
        if (!nt->seen[i] || (n[i].no >= 0 && n[i].no > nt->maxpos) ||
            (n[i].yes >= 0 && n[i].yes > nt->maxpos) || (n[i].no >= 0 && n[i].no <= i) ||
            (n[i].yes >= 0 && n[i].yes <= i))
            return 0;
    }
    return 1;
}

static int parse_tree_body(scanner *s, ss_tree_set *ts, ss_tree *t)
{
    /* Nodes: "{" (index question no yes)* "}" */
    node_table nt = {.maxpos = -1};
    s->p++; /* '{' */
    for (;;) {
        skip_space(s);
        if (s->p >= s->end) {
            free(nt.nodes);
            free(nt.seen);
            return fail(s, "unterminated tree");
        }
        if (*s->p == '}') {
            s->p++;
            break;
        }
        int pos;
        ss_tree_node node;
        if (read_node(s, ts, &pos, &node) != 0 || node_table_put(s, &nt, pos, node) != 0) {
            free(nt.nodes);
            free(nt.seen);
            return -1;
        }
    }
    if (!node_table_complete(&nt)) {
        free(nt.nodes);
        free(nt.seen);
        return fail(s, "tree has a missing or out-of-order node");
    }
    free(nt.seen);
    if (nt.maxpos < 0) {
        free(nt.nodes);
        return fail(s, "empty tree");
    }
    t->nodes = nt.nodes;
    t->nnodes = (size_t)nt.maxpos + 1;
    return 0;
}

/* "QS name { patterns }"; the scanner sits on "QS". 0, or -1 with err (the
 * question, once added, belongs to out). */
static int parse_question(scanner *s, ss_tree_set *out, size_t *qcap)
{
    s->p += 2;
    int quoted;
    char *name = read_token(s, &quoted);
    if (!name)
        return fail(s, "truncated question");
    if (out->nquestions == *qcap) {
        size_t nc = *qcap ? *qcap * 2 : 256;
        ss_question *nq = realloc(out->questions, nc * sizeof *nq);
        if (!nq) {
            free(name);
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        out->questions = nq;
        *qcap = nc;
    }
    ss_question *qq = &out->questions[out->nquestions++];
    memset(qq, 0, sizeof *qq);
    qq->name = name;
    skip_space(s);
    if (parse_pattern_list(s, &qq->pats, &qq->npats) != 0)
        return -1;
    if (qq->npats == 0)
        return fail(s, "question without patterns");
    return 0;
}

/* "[state]" after a tree's heads, 2..1000. */
static int parse_tree_state(scanner *s, ss_tree *t)
{
    long state;
    if (s->p >= s->end || *s->p != '[')
        return fail(s, "expected '[state]' after tree heads");
    s->p++;
    const char *b = s->p;
    while (s->p < s->end && *s->p != ']')
        s->p++;
    if (s->p >= s->end || s->p - b > 8)
        return fail(s, "bad tree state");
    char num[16];
    memcpy(num, b, (size_t)(s->p - b));
    num[s->p - b] = '\0';
    s->p++;
    if (parse_int(num, &state) != 0 || state < 2 || state > 1000)
        return fail(s, "bad tree state");
    t->state = (int)state;
    return 0;
}

/* The tree itself: a node list in braces, or a single quoted leaf. */
static int parse_tree_root(scanner *s, ss_tree_set *ts, ss_tree *t)
{
    skip_space(s);
    if (s->p < s->end && *s->p == '{')
        return parse_tree_body(s, ts, t);
    int quoted;
    char *leaf = read_token(s, &quoted);
    int pdf = leaf ? leaf_pdf_index(leaf) : -1;
    free(leaf);
    if (!quoted || pdf <= 0)
        return fail(s, "bad single-leaf tree");
    t->leaf_pdf = pdf;
    return 0;
}

/* "{ heads }[state] root"; the scanner sits on '{'. *sorted tells whether
 * the questions are already sorted for lookup by name. */
static int parse_tree(scanner *s, ss_tree_set *out, size_t *tcap, int *sorted)
{
    if (!*sorted) {
        /* A tree may come before any QS line: qsort's pointer must not be
         * NULL even for zero elements (C11 7.22.5; UBSan says so). */
        if (out->nquestions > 0)
            qsort(out->questions, out->nquestions, sizeof *out->questions, question_cmp);
        *sorted = 1;
    }
    if (out->ntrees == *tcap) {
        size_t nc = *tcap ? *tcap * 2 : 8;
        ss_tree *nt = realloc(out->trees, nc * sizeof *nt);
        if (!nt) {
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        out->trees = nt;
        *tcap = nc;
    }
    ss_tree *t = &out->trees[out->ntrees++];
    memset(t, 0, sizeof *t);
    if (parse_pattern_list(s, &t->heads, &t->nheads) != 0 || parse_tree_state(s, t) != 0)
        return -1;
    return parse_tree_root(s, out, t);
}

int ss_tree_set_parse(const char *text, size_t len, ss_tree_set *out, char *err, size_t errlen)
{
    scanner s = {.p = text, .end = text + len, .start = text, .err = err, .errlen = errlen};
    memset(out, 0, sizeof *out);
    size_t qcap = 0, tcap = 0;
    int sorted = 0;
    for (;;) {
        skip_space(&s);
        if (s.p >= s.end)
            break;
        if (s.end - s.p >= 3 && memcmp(s.p, "QS", 2) == 0 && isspace((unsigned char)s.p[2])) {
            if (parse_question(&s, out, &qcap) != 0)
                goto error;
            sorted = 0;
            continue;
        }
        if (*s.p != '{') {
            fail(&s, "expected 'QS' or a tree");
            goto error;
        }
        if (parse_tree(&s, out, &tcap, &sorted) != 0)
            goto error;
    }
    if (out->ntrees == 0) {
        snprintf(err, errlen, "tree: file has no trees");
        goto error;
    }
    ss_tree_set_index_fields(out);
    return 0;
error:
    ss_tree_set_free(out);
    return -1;
}

void ss_tree_set_free(ss_tree_set *ts)
{
    for (size_t i = 0; i < ts->nquestions; i++)
        ss_question_free(&ts->questions[i]);
    free(ts->questions);
    for (size_t i = 0; i < ts->ntrees; i++) {
        for (size_t j = 0; j < ts->trees[i].nheads; j++)
            ss_pattern_free(&ts->trees[i].heads[j]);
        free(ts->trees[i].heads);
        free(ts->trees[i].nodes);
    }
    free(ts->trees);
    memset(ts, 0, sizeof *ts);
}

static unsigned index_patterns(ss_pattern *p, size_t n)
{
    unsigned runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].text)
            continue;
        ss_pattern_index_field(&p[i]);
        if (p[i].field)
            runs |= 1u << p[i].runs;
    }
    return runs;
}

void ss_tree_set_index_fields(ss_tree_set *ts)
{
    unsigned runs = 0;
    for (size_t i = 0; i < ts->nquestions; i++)
        runs |= index_patterns(ts->questions[i].pats, ts->questions[i].npats);
    for (size_t i = 0; i < ts->ntrees; i++)
        runs |= index_patterns(ts->trees[i].heads, ts->trees[i].nheads);
    ts->field_runs = runs;
}

int ss_tree_set_search_memo(const ss_tree_set *ts, int state, const char *label, size_t label_len,
                            unsigned char *memo, size_t *tree_index, int *pdf_index)
{
    return ss_tree_set_search_tokens(ts, state, label, label_len, NULL, memo, tree_index, pdf_index);
}

int ss_tree_set_search_tokens(const ss_tree_set *ts, int state, const char *label, size_t label_len,
                              const ss_label_tokens *tokens, unsigned char *memo, size_t *tree_index,
                              int *pdf_index)
{
    for (size_t i = 0; i < ts->ntrees; i++) {
        const ss_tree *t = &ts->trees[i];
        if (t->state != state)
            continue;
        int found = t->nheads == 0;
        for (size_t h = 0; h < t->nheads && !found; h++)
            found = ss_pattern_match_tokens(&t->heads[h], tokens, label, label_len);
        if (!found)
            continue;
        *tree_index = i;
        if (t->leaf_pdf > 0) {
            *pdf_index = t->leaf_pdf;
            return 0;
        }
        int pos = 0;
        for (;;) {
            const ss_tree_node *n = &t->nodes[pos];
            int yes;
            if (memo && memo[n->question]) {
                yes = memo[n->question] == 2;
            } else {
                yes = ss_question_match_tokens(&ts->questions[n->question], tokens, label, label_len);
                if (memo)
                    memo[n->question] = yes ? 2 : 1;
            }
            int next = yes ? n->yes : n->no;
            if (next < 0) {
                *pdf_index = -next;
                return 0;
            }
            pos = next;
        }
    }
    return -1;
}
