/* The systemd readiness protocol (sd_notify), written by hand: no libsystemd.
 *
 * A unit with Type=notify starts a daemon with NOTIFY_SOCKET set to a
 * datagram socket (a path, or "@name" for the abstract namespace); the daemon
 * sends "READY=1" once it serves and "STOPPING=1" when it begins to drain.
 * Without NOTIFY_SOCKET (make run, a container, the tests) nothing is sent. */
#ifndef SS_SD_NOTIFY_H
#define SS_SD_NOTIFY_H

#include <stddef.h>

/* Sends `state` (e.g. "READY=1", "STOPPING=1", "STATUS=draining") as one
 * datagram to $NOTIFY_SOCKET. Returns 0 when sent, 1 when NOTIFY_SOCKET is
 * unset or empty (nothing to do), -1 with `err` filled when it could not be
 * sent (a malformed address, a socket error). */
int ss_sd_notify(const char *state, char *err, size_t errlen);

/* ss_sd_notify for a daemon's main: a failure is logged as an error (the
 * service manager then decides: a unit that never hears READY=1 fails its
 * start at TimeoutStartSec) and the daemon goes on serving. */
void ss_sd_notify_logged(const char *state);

#endif
