"""Ctrl-C on `make run` (deploy/foreground.py): the command under it gets
the terminal's foreground, so Ctrl-C reaches it and not make; it stops and
exits 0, and its parent (make's place here: a shell that would die of the
SIGINT) goes on and exits with the command's status. Run under a real
pseudo-terminal; the ^C is the terminal's own interrupt character."""
import os
import pty
import select
import signal
import time

import harness

FOREGROUND = os.path.join(harness.REPO, "deploy", "foreground.py")
# The "make" shell reports the status it got; the command stops on SIGINT
# like run_local.sh does (trap, clean up, exit 0).
SCRIPT = (f"python3 {FOREGROUND} sh -c 'trap \"echo stopped cleanly; exit 0\" INT; echo ready; "
          f"sleep 30 & wait'; echo PARENT_STATUS=$?")


def run_under_pty(command, send_after_ready):
    pid, fd = pty.fork()
    if pid == 0:
        # A terminal's session starts with SIGINT at its default; a test run
        # launched in the background (`make test &`) inherits it ignored, and
        # sh may not trap a signal ignored on entry.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvp("sh", ["sh", "-c", command])
    out, deadline, sent, sent_at = b"", time.monotonic() + 20, False, 0.0
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if b"PARENT_STATUS=" in out or (sent and time.monotonic() > sent_at + 2):
            break  # the parent reported, or it died with the command
        if not sent and b"ready" in out:
            time.sleep(0.3)
            os.write(fd, send_after_ready)
            sent, sent_at = True, time.monotonic()
    os.kill(pid, 9) if b"PARENT_STATUS=" not in out else None
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_ctrl_c_stops_the_command_and_not_its_parent():
    out, rc = run_under_pty(SCRIPT, b"\x03")
    assert "stopped cleanly" in out, out
    assert "PARENT_STATUS=0" in out and rc == 0, (rc, out)


def test_without_it_the_parent_dies_of_the_interrupt():
    """The control: the same command without foreground.py takes make's
    shell down with it (no PARENT_STATUS line): what `make run` did."""
    out, _ = run_under_pty(SCRIPT.replace(f"python3 {FOREGROUND} ", ""), b"\x03")
    assert "stopped cleanly" in out and "PARENT_STATUS" not in out, out


def test_without_a_terminal_the_command_just_runs(tmp_path):
    import subprocess
    p = subprocess.run(["python3", FOREGROUND, "sh", "-c", "exit 3"], stdin=subprocess.DEVNULL, timeout=10)
    assert p.returncode == 3
