#!/usr/bin/env python3
"""Runs a command as the terminal's foreground process group, for `make run`.

Ctrl-C sends SIGINT to every process of the terminal's foreground group.
Under `make run` that group holds make itself, so make was interrupted
along with run_local.sh: whatever run_local.sh did about it (stop the
daemons, exit 0), make ended by the signal and the shell saw status 130.
Here the command gets a process group of its own and the terminal's
foreground: Ctrl-C reaches only it (and the daemons it starts), it stops
everything and exits 0, and make, never interrupted, exits with its status.

Usage: foreground.py COMMAND [ARG...]. Without a terminal on stdin the
command is simply run in place (CI, tests)."""
import os
import signal
import sys


def main(argv):
    if not argv:
        print("usage: foreground.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    if not os.isatty(0):
        os.execvp(argv[0], argv)
    # Taking the terminal from the background would stop us with SIGTTOU.
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    ours = os.tcgetpgrp(0)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        os.tcsetpgrp(0, os.getpgrp())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execvp(argv[0], argv)
    try:
        os.setpgid(pid, pid)  # whichever of parent and child gets here first
    except OSError:
        pass  # the child already did it (or has exec'd)
    try:
        os.tcsetpgrp(0, pid)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C racing the hand-over
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    try:
        os.tcsetpgrp(0, ours)
    except OSError:
        pass
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as shells say


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
