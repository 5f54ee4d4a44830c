/* See file_replace.h. */
#include "common/file_replace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Writes all n bytes; 0, or -1 with errno. */
static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int ss_file_replace(const char *path, const ss_file_part *parts, size_t nparts, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(ENAMETOOLONG));
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = 0;
    for (size_t i = 0; i < nparts && !bad; i++)
        bad = write_all(fd, parts[i].data, parts[i].len) != 0;
    bad = bad || fsync(fd) != 0;
    int werr = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        werr = errno;
    }
    if (!bad && rename(tmp, path) == 0)
        return 0;
    if (!bad)
        werr = errno;
    unlink(tmp);
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(werr));
    return -1;
}
