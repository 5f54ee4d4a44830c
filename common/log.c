/* JSON-lines logging (see log.h).
 *
 * Global state, documented: the component name and the minimum level. Both are
 * set once by ss_log_init() before any thread starts and only read afterwards. */
#include "common/log.h"

#include "common/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static char g_component[32] = "scaispeak";
static ss_log_level g_min_level = SS_LOG_INFO;

void ss_log_init(const char *component, ss_log_level min_level)
{
    snprintf(g_component, sizeof g_component, "%s", component);
    g_min_level = min_level;
}

int ss_log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (s && strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Appends s to buf as the body of a JSON string; returns the new length.
 * The line stays valid UTF-8 whatever s holds (messages quote what clients
 * and peers sent, and snprintf may have cut a character): a byte that does
 * not start a well-formed character becomes U+FFFD, and the line ends
 * (7 bytes short of cap) before a character or an escape could be cut. */
static size_t json_escape_into(char *buf, size_t len, size_t cap, const char *s)
{
    size_t left = strlen(s);
    while (left > 0 && len + 7 < cap) {
        unsigned char c = (unsigned char)*s;
        size_t k = 1;
        if (c == '"' || c == '\\') {
            buf[len++] = '\\';
            buf[len++] = (char)c;
        } else if (c == '\n') {
            buf[len++] = '\\';
            buf[len++] = 'n';
        } else if (c < 0x20) {
            len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
        } else if (c < 0x80) {
            buf[len++] = (char)c;
        } else if ((k = ss_utf8_char_len(s, left)) == 0) {
            k = 1;
            memcpy(buf + len, "\\ufffd", 6);
            len += 6;
        } else {
            memcpy(buf + len, s, k); /* k <= 4: fits under the 7 bytes kept free */
            len += k;
        }
        s += k;
        left -= k;
    }
    return len;
}

void ss_log(ss_log_level level, const char *request_id, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < g_min_level)
        return;

    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);

    char line[4096];
    size_t cap = sizeof line - 4;
    size_t n = (size_t)snprintf(line, cap,
                                "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                                "\"component\":\"%s\"",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec, ts.tv_nsec / 1000000, names[level], g_component);
    if (request_id && *request_id) {
        n += (size_t)snprintf(line + n, cap - n, ",\"request_id\":\"");
        n = json_escape_into(line, n, cap, request_id);
        line[n++] = '"';
    }
    n += (size_t)snprintf(line + n, cap - n, ",\"msg\":\"");
    n = json_escape_into(line, n, cap, msg);
    line[n++] = '"';
    line[n++] = '}';
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
