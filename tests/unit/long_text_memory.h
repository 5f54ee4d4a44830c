/* Test helper (header-only, shared by the unit tests and test tools that
 * check the engine's memory bound on long texts): the process's peak RSS,
 * whether that figure means anything in this build, and a long text made
 * of sentences repeated in turn. */
#ifndef SS_TESTS_LONG_TEXT_MEMORY_H
#define SS_TESTS_LONG_TEXT_MEMORY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AddressSanitizer keeps freed memory in quarantine (resident) instead of
 * reusing it, so the peak RSS says nothing about what is live there; the
 * sanitizer build checks leaks instead, and the plain build checks the
 * bound. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_IS_MEANINGFUL 0
#else
#define RSS_IS_MEANINGFUL 1
#endif

/* VmHWM of this process in kB, or -1 when /proc cannot say. */
static inline long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* At least `want` bytes of sentences[0..n) repeated in turn (NUL-terminated,
 * length in *len); NULL when out of memory. The caller frees it. */
static inline char *long_text(const char *const *sentences, size_t n, size_t want, size_t *len)
{
    size_t longest = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(sentences[i]) > longest)
            longest = strlen(sentences[i]);
    char *text = malloc(want + longest + 1);
    *len = 0;
    for (size_t k = 0; text && *len < want; k++) {
        size_t m = strlen(sentences[k % n]);
        memcpy(text + *len, sentences[k % n], m);
        *len += m;
    }
    if (text)
        text[*len] = '\0';
    return text;
}

#endif
