/* Comma-separated header lists (see http_lists.h). */
#include "gateway/http_lists.h"

#include <string.h>
#include <strings.h>

const char *gw_list_next(const char **cursor, size_t *len)
{
    const char *p = *cursor;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *v = p;
        while (*p && *p != ',')
            p++;
        size_t n = (size_t)(p - v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n) {
            *cursor = p;
            *len = n;
            return v;
        }
    }
    *cursor = p;
    return NULL;
}

bool gw_list_has(const char *list, const char *token)
{
    size_t tlen = strlen(token), len;
    const char *v;
    while ((v = gw_list_next(&list, &len)))
        if (len == tlen && strncasecmp(v, token, tlen) == 0)
            return true;
    return false;
}
