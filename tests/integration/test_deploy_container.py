"""The container files (issue 16 point 3). No container engine runs on
this project's machines, so the image is never built here; what can be
checked is checked: the runtime stage installs the Debian package of every
library the binaries link (NEEDED entries, through ldd and dpkg -S), the
voice data package, a non-root USER, no secret in ENV; and the
HEALTHCHECK script, run as it would run in the container — in a PID
namespace whose PID 1 is a real gateway or node (unshare, nsenter) —
passes against a serving daemon and fails against a wrong port."""

import os
import re
import shutil
import signal
import subprocess

import pytest

import harness

CONTAINER = os.path.join(harness.REPO, "deploy", "container")
CONTAINERFILE = os.path.join(CONTAINER, "Containerfile")
HEALTHCHECK = os.path.join(CONTAINER, "healthcheck.sh")
IN_LIBC = {"libc6", "libgcc-s1"}  # the base image's own
# a sanitizer build (SAN=1) links these; the image ships the plain build
SANITIZER_RUNTIMES = {"libasan8", "libubsan1"}


def runtime_stage():
    text = open(CONTAINERFILE).read()
    stages = re.split(r"^FROM ", text, flags=re.M)
    assert len(stages) == 3, "a build stage and a runtime stage"
    return stages[2].replace("\\\n", " ")


def runtime_packages():
    stage = runtime_stage()
    m = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", stage, re.S)
    return set(m.group(1).split())


def needed_libraries(binary):
    """The files of the libraries `binary` names in its NEEDED entries."""
    dynamic = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True,
                             check=True).stdout
    needed = set(re.findall(r"^\s*NEEDED\s+(\S+)", dynamic, re.M))
    paths = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m and m.group(1) in needed:
            paths[m.group(1)] = os.path.realpath(m.group(2))
    return paths


def owning_packages(files):
    """{file: Debian package} in one dpkg -S (merged /usr: dpkg may know a
    file under /lib instead of /usr/lib)."""
    variants = {v: f for f in files for v in (f, re.sub(r"^/usr/lib/", "/lib/", f))}
    out = subprocess.run(["dpkg", "-S", *variants], capture_output=True, text=True).stdout
    owners = {}
    for line in out.splitlines():
        pkg, _, path = line.partition(": ")
        if path in variants:
            owners[variants[path]] = pkg.split(":")[0]
    return owners


def test_runtime_stage_installs_every_linked_library_and_the_voice():
    if not shutil.which("dpkg") or not shutil.which("objdump"):
        pytest.skip("needs dpkg and objdump (binutils) to map libraries to packages")
    have = runtime_packages()
    libs = {}
    for b in ("scaispeak-gateway", "scaispeak-node", "scaispeak-worker", "scaispeak"):
        libs.update(needed_libraries(harness.binary(b)))
    owners = owning_packages(set(libs.values()))
    assert set(owners) == set(libs.values()), set(libs.values()) - set(owners)
    missing = set(owners.values()) - have - IN_LIBC - SANITIZER_RUNTIMES
    assert not missing, sorted(missing)
    assert "festvox-us-slt-hts" in have


def test_runtime_stage_is_non_root_and_carries_no_secret():
    stage = runtime_stage()
    user = re.search(r"^USER (\S+)", stage, re.M).group(1)
    assert not user.startswith(("0", "root")), user
    for env in re.findall(r"^ENV (.*)$", stage, re.M):
        assert not re.search(r"TOKEN|KEY|PASSWORD|SECRET", env), env
    assert re.search(r"^HEALTHCHECK .*scaispeak-healthcheck", stage, re.M)
    assert "COPY deploy/container/healthcheck.sh /usr/bin/scaispeak-healthcheck" in stage
    ignore = open(CONTAINERFILE + ".dockerignore").read().split()
    assert "var" in ignore and "build" in ignore  # dev secrets and local builds stay out


def pid_namespaces_work():
    if not (shutil.which("unshare") and shutil.which("nsenter")):
        return False
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True)
    return r.returncode == 0


class AsPid1:
    """A daemon as PID 1 of its own PID namespace, as in a container."""

    def __init__(self, procs, name, argv, env):
        self.proc = procs.spawn(name, ["unshare", "--pid", "--fork", "--mount-proc",
                                       "--kill-child=SIGKILL", *argv], harness.child_env(env))

    def child(self):
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None

    def healthcheck(self, env):
        r = subprocess.run(["nsenter", "-t", str(self.child()), "-p", "-m", "sh", HEALTHCHECK],
                           env=harness.child_env(env), capture_output=True, text=True, timeout=30)
        return r.returncode, r.stderr

    def stop(self):
        os.kill(self.child(), signal.SIGTERM)
        return self.proc.wait(30)


@pytest.fixture
def pid1(procs):
    if not pid_namespaces_work():
        pytest.skip("unshare --pid cannot run here (needs root or user namespaces)")
    return lambda *args, **kw: AsPid1(procs, *args, **kw)


def test_healthcheck_against_a_gateway_as_pid1(procs, redis, pid1):
    gw = harness.Gateway(procs, redis.port)  # its settings; started below, as PID 1
    p = pid1("gateway-pid1", [harness.binary("scaispeak-gateway")], gw.env)
    harness.wait_for(lambda: harness.tcp_open(gw.http_port), 15 * harness.SLOW, what="gateway up")
    assert p.healthcheck({"SCAISPEAK_HTTP_PORT": gw.http_port}) == (0, "")
    rc, _ = p.healthcheck({"SCAISPEAK_HTTP_PORT": harness.free_port()})
    assert rc != 0
    assert p.stop() == 0


def test_healthcheck_against_a_node_as_pid1(gateway, pid1):
    node = harness.Node(gateway.procs, gateway.grpc_target, node_auth_key=gateway.node_auth_key)
    p = pid1("node-pid1", [harness.binary("scaispeak-node")], node.env)
    harness.wait_for(lambda: harness.tcp_open(node.metrics_port), 15 * harness.SLOW, what="node up")
    assert p.healthcheck({"SCAISPEAK_METRICS_PORT": node.metrics_port}) == (0, "")
    rc, _ = p.healthcheck({"SCAISPEAK_METRICS_PORT": harness.free_port()})
    assert rc != 0
    assert p.stop() == 0


def test_healthcheck_refuses_a_pid1_that_is_not_ours(pid1):
    p = pid1("sh-pid1", ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"], {})
    harness.wait_for(lambda: p.child() is not None, 5, what="sh started")
    rc, err = p.healthcheck({})
    assert rc == 1 and "not a ScaiSpeak daemon" in err
    assert p.stop() == 0
