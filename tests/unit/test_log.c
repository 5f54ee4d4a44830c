/* Unit tests for common/log: every line is one JSON object in valid UTF-8
 * with the request id, whatever bytes the message quotes (malformed UTF-8
 * becomes U+FFFD, control characters are escaped, well-formed characters
 * pass unchanged) and however long it is (cut before a character could be
 * split). The lines are read back from stderr, redirected to a file. */
#include "common/log.h"

#include "common/utf8.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The line ss_log writes for msg, parsed (jansson refuses invalid UTF-8). */
static json_t *logged(const char *request_id, const char *msg)
{
    FILE *f = tmpfile();
    cr_assert(f);
    int saved = dup(STDERR_FILENO);
    cr_assert(saved >= 0);
    cr_assert(dup2(fileno(f), STDERR_FILENO) >= 0);
    ss_log(SS_LOG_WARN, request_id, "%s", msg);
    cr_assert(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    static char line[8192];
    rewind(f);
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    cr_assert(n > 0 && line[n - 1] == '\n' && memchr(line, '\n', n) == line + n - 1, "one line: %s", line);
    cr_assert(ss_utf8_valid(line, n), "the line is UTF-8");
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    cr_assert(j, "not JSON (%s): %s", e.text, line);
    return j;
}

Test(log, malformed_utf8_becomes_replacement_characters)
{
    json_t *j = logged("req_abc", "engine 'hts\xff\xc3(' and caf\xc3\xa9 \xf0\x9f\x98\x80 \xed\xa0\x80.");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")),
                     "engine 'hts\xef\xbf\xbd\xef\xbf\xbd(' and caf\xc3\xa9 \xf0\x9f\x98\x80 "
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.");
    cr_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "req_abc");
    cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "warn");
    json_decref(j);
}

Test(log, control_characters_and_quotes_are_escaped)
{
    json_t *j = logged("req_\"x", "a \"quoted\" \\ line\nwith\ttabs\x01.");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "a \"quoted\" \\ line\nwith\ttabs\x01.");
    cr_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "req_\"x");
    json_decref(j);
}

Test(log, a_long_message_is_cut_between_characters)
{
    /* 3000 bytes of 3-byte characters: the message buffer (2048) cuts one
     * in two, and the line is cut again near its end */
    static char msg[3001];
    for (int i = 0; i < 1000; i++)
        memcpy(msg + 3 * i, "\xe2\x82\xac", 3);
    msg[3000] = 0;
    json_t *j = logged("req_long", msg);
    const char *got = json_string_value(json_object_get(j, "msg"));
    cr_assert(got && strlen(got) > 1500, "the message is kept up to the limits");
    size_t n = strlen(got);
    for (size_t i = 0; i + 3 <= n - (n % 3); i += 3)
        if (memcmp(got + i, "\xe2\x82\xac", 3) != 0)
            cr_assert(!memcmp(got + i, "\xef\xbf\xbd", 3) && i + 3 >= n - 3, "only the cut tail differs");
    json_decref(j);
}
