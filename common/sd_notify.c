/* sd_notify by hand (see sd_notify.h): one AF_UNIX datagram per state
 * change, sent to the address in $NOTIFY_SOCKET. A leading '@' names the
 * abstract namespace (the '@' becomes a NUL byte and the address length
 * counts no terminator), as systemd's own sd_notify does. vsock addresses
 * (systemd's "vsock:" form for VMs) are refused by name: no daemon of ours
 * runs as a VM's service manager client.
 *
 * No state: every call opens and closes its own socket. */
#include "common/sd_notify.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Fills `addr` from $NOTIFY_SOCKET's value; returns its length, or 0 with
 * `err` filled. */
static socklen_t notify_address(const char *where, struct sockaddr_un *addr, char *err,
                                size_t errlen)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t len = strlen(where);
    if (where[0] != '/' && where[0] != '@') {
        snprintf(err, errlen, "NOTIFY_SOCKET '%s' is neither an absolute path nor an abstract name",
                 where);
        return 0;
    }
    /* A path needs room for its NUL; an abstract name has none. */
    if (len + (where[0] == '/') > sizeof addr->sun_path) {
        snprintf(err, errlen, "NOTIFY_SOCKET is longer than a socket address (%zu bytes)",
                 sizeof addr->sun_path);
        return 0;
    }
    memcpy(addr->sun_path, where, len);
    if (where[0] == '@')
        addr->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (where[0] == '/'));
}

int ss_sd_notify(const char *state, char *err, size_t errlen)
{
    const char *where = getenv("NOTIFY_SOCKET");
    if (!where || !*where)
        return 1;
    struct sockaddr_un addr;
    socklen_t addrlen = notify_address(where, &addr, err, errlen);
    if (addrlen == 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    size_t len = strlen(state);
    ssize_t sent = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen);
    int saved = errno;
    close(fd);
    if (sent < 0 || (size_t)sent != len) {
        snprintf(err, errlen, "sending '%s' to NOTIFY_SOCKET %s: %s", state, where,
                 sent < 0 ? strerror(saved) : "short write");
        return -1;
    }
    return 0;
}

void ss_sd_notify_logged(const char *state)
{
    char err[256];
    if (ss_sd_notify(state, err, sizeof err) < 0)
        ss_error(NULL, "cannot tell the service manager %s: %s", state, err);
}
