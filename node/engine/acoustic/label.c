/* The HTS full-context label format, read (see label.h). The writer is the
 * front end's label_writer.c; everything that reads a label's fields is
 * here. */
#include "node/engine/acoustic/label.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is_number_token(const char *b, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)b[i]) && !(i == 0 && (b[i] == '-' || b[i] == '+')) && b[i] != '.')
            return 0;
    return 1;
}

const char *ss_label_name(const char *line, size_t *len)
{
    const char *tok[3];
    size_t tl[3];
    int nt = 0;
    const char *p = line;
    while (*p && nt < 3) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *b = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        tok[nt] = b;
        tl[nt] = (size_t)(p - b);
        nt++;
    }
    while (*p && isspace((unsigned char)*p))
        p++;
    if (nt == 1) {
        *len = tl[0];
        return tok[0];
    }
    if (nt == 3 && !*p && is_number_token(tok[0], tl[0]) && is_number_token(tok[1], tl[1])) {
        *len = tl[2];
        return tok[2];
    }
    return NULL;
}

int ss_label_phone(const char *label, char *buf, size_t cap)
{
    const char *a = strchr(label, '-');
    const char *b = a ? strchr(a + 1, '+') : NULL;
    if (!a || !b || (size_t)(b - a - 1) >= cap || b == a + 1)
        return -1;
    memcpy(buf, a + 1, (size_t)(b - a - 1));
    buf[b - a - 1] = '\0';
    return 0;
}

/* Integer after marker up to a non-digit; -1 for "x" or absent. */
static long field_after(const char *label, const char *marker)
{
    const char *p = strstr(label, marker);
    if (!p)
        return -1;
    p += strlen(marker);
    if (*p < '0' || *p > '9')
        return -1;
    return strtol(p, NULL, 10);
}

/* Phone position in syllable: "@p6_p7/A:" ; syllable in word: "/B:b1-b2-b3@b4-b5&". */
void ss_label_word_position(const char *label, long *p6, long *p7, long *b4, long *b5)
{
    *p6 = *p7 = *b4 = *b5 = -1;
    const char *at = strchr(label, '@');
    const char *A = strstr(label, "/A:");
    if (at && A && at < A) {
        *p6 = field_after(at, "@");
        const char *us = strchr(at, '_');
        if (us && us < A)
            *p7 = field_after(us, "_");
    }
    const char *B = strstr(label, "/B:");
    const char *C = strstr(label, "/C:");
    if (B && C) {
        const char *bat = strchr(B, '@');
        if (bat && bat < C) {
            *b4 = field_after(bat, "@");
            const char *dash = strchr(bat, '-');
            if (dash && dash < C)
                *b5 = field_after(dash, "-");
        }
    }
}
