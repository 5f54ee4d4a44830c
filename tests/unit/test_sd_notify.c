/* Unit tests for common/sd_notify: a real AF_UNIX datagram socket stands in
 * for systemd's (a file path and an abstract name); what arrives must be the
 * state, byte for byte. Unset NOTIFY_SOCKET sends nothing; malformed ones
 * are errors. Criterion runs each test in its own process, so setenv here
 * stays in the test. */
#include "common/sd_notify.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Binds a datagram socket at `name` ("@x": abstract, else a path). */
static int listen_at(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    memcpy(a.sun_path, name, len);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (name[0] == '@')
        a.sun_path[0] = '\0';
    else
        alen++;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, alen), 0);
    return fd;
}

static void expect_received(int fd, const char *state)
{
    char buf[128] = "";
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    cr_assert_eq(n, (ssize_t)strlen(state), "got %zd bytes", n);
    cr_assert_str_eq(buf, state);
}

Test(sd_notify, abstract_socket_receives_each_state)
{
    char name[64];
    snprintf(name, sizeof name, "@scaispeak-sd-notify-test-%d", (int)getpid());
    int fd = listen_at(name);
    setenv("NOTIFY_SOCKET", name, 1);
    char err[256] = "";
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), 0, "%s", err);
    expect_received(fd, "READY=1");
    cr_assert_eq(ss_sd_notify("STOPPING=1", err, sizeof err), 0, "%s", err);
    expect_received(fd, "STOPPING=1");
    close(fd);
}

Test(sd_notify, path_socket_receives_the_state)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/scaispeak-sd-notify-%d.sock", (int)getpid());
    unlink(path);
    int fd = listen_at(path);
    setenv("NOTIFY_SOCKET", path, 1);
    char err[256] = "";
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), 0, "%s", err);
    expect_received(fd, "READY=1");
    close(fd);
    unlink(path);
}

Test(sd_notify, unset_or_empty_sends_nothing)
{
    char err[256] = "";
    unsetenv("NOTIFY_SOCKET");
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), 1);
    setenv("NOTIFY_SOCKET", "", 1);
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), 1);
}

Test(sd_notify, malformed_or_absent_addresses_are_errors)
{
    char err[256] = "";
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), -1);
    cr_assert(strstr(err, "absolute path") != NULL, "%s", err);
    char longer[200];
    memset(longer, 'a', sizeof longer - 1);
    longer[0] = '/';
    longer[sizeof longer - 1] = '\0';
    setenv("NOTIFY_SOCKET", longer, 1);
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), -1);
    setenv("NOTIFY_SOCKET", "/nonexistent/scaispeak/notify.sock", 1);
    cr_assert_eq(ss_sd_notify("READY=1", err, sizeof err), -1);
    cr_assert(strstr(err, "No such file") != NULL, "%s", err);
}
