"""Integration harness: real redis-server, scaispeak-gateway and scaispeak-node
processes on free ports, plus the small clients the tests talk to them with.

Design. Every process is a `Proc`: started in its own session with stdout and
stderr in a log file under the test's tmp dir, stopped with SIGTERM and then
SIGKILL after 5 s, and checked afterwards (exit status, AddressSanitizer or
UBSan reports in its log). A `ProcessSet` owns the processes of one test and
tears them all down, collecting every problem instead of stopping at the
first, so one crash never hides another. `RedisServer`, `Gateway` and `Node`
wrap `Proc` with the right command line, environment (SCAISPEAK_<KEY>) and
readiness probe (PING, GET healthz, TCP connect), each bounded in time.

Clients: `Http` (http.client, one connection per request, JSON decoding and
envelope checks), `raw_exchange` (a raw socket for malformed input),
`compile_protos` (protoc --python_out into a tmp dir at test time; nothing
generated is committed) and `send_heartbeat` / `node_stub` (Debian
python3-grpcio with generic method handles).

Binaries come from $SCAISPEAK_BUILD/bin (default <repo>/build, or
<repo>/build-san when SAN=1). Under SAN=1 the sanitizer options are set for
every child and the readiness timeouts are tripled.
"""

import hashlib
import hmac
import http.client
import importlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time

import openapi_check

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAN = os.environ.get("SAN", "0") == "1"
SLOW = 3.0 if SAN else 1.0

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]{20}$")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def build_dir():
    b = os.environ.get("SCAISPEAK_BUILD")
    if b:
        return b if os.path.isabs(b) else os.path.join(REPO, b)
    return os.path.join(REPO, "build-san" if SAN else "build")


def binary(name):
    path = os.path.join(build_dir(), "bin", name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing: build it first (make all)")
    return path


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


_handed_out = set()


def free_port():
    """A free port below the kernel's ephemeral range, never handed out twice.

    A port from bind(0) is an ephemeral port: between our closing it and a
    service binding it, any outgoing connection (a sentinel dialling its
    peers, a replica its primary) may take it as its local port, and the
    service then fails with "port in use". Ports below the ephemeral range
    are never chosen for outgoing connections, so only a listener can hold
    them, and we check there is none."""
    lo, _ = _ephemeral_range()
    first = 10000 if lo > 12000 else 1024
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(2000):
        port = rng.randrange(first, lo)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise AssertionError(f"no free port in {first}..{lo - 1}")


def tcp_open(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ProcessDied(AssertionError):
    """A process a wait depends on exited: waiting longer cannot help."""


def minor_faults(pid):
    """Minor page faults of a process so far (/proc/<pid>/stat field 10):
    what the heap tests count instead of time."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until it returns a truthy value; that value, or an
    AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except ProcessDied:
            raise
        except Exception as e:  # noqa: BLE001 - reported below if it never passes
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}{extra}")
        time.sleep(interval)


def child_env(overrides):
    """The environment of a child: ours without any SCAISPEAK_* setting (so a
    developer's shell cannot change a test), plus sanitizer options, plus
    overrides (a value of None removes the variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAISPEAK_")}
    env.pop("SCAISPEAK_CONFIG", None)
    if SAN:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
        supp = os.path.join(REPO, "tests", "lsan.supp")
        if os.path.exists(supp):
            env["LSAN_OPTIONS"] = f"suppressions={supp}"
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


class Proc:
    """One child process with its log file."""

    def __init__(self, name, argv, env, log_path, expect_exit_zero=True):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.expect_exit_zero = expect_exit_zero
        self.popen = None
        self.started_at = None
        self.returncode = None
        self.stopped_by_test = False  # a test killed it on purpose

    def start(self):
        log = open(self.log_path, "ab")
        log.write(f"=== start {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
        log.flush()
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.returncode = None
        self.stopped_by_test = False
        return self

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def poll(self):
        return self.popen.poll() if self.popen else self.returncode

    def signal(self, sig):
        if self.alive():
            os.kill(self.popen.pid, sig)

    def wait(self, timeout):
        """Exit status, or AssertionError if still running after timeout s."""
        try:
            self.returncode = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} (pid {self.pid}) still running {timeout:.1f}s later")
        return self.returncode

    def kill9(self):
        """SIGKILL on purpose (a crash simulation); returns the status."""
        self.stopped_by_test = True
        self.signal(signal.SIGKILL)
        return self.wait(10)

    def terminate(self, timeout=5.0):
        """SIGTERM, then SIGKILL after `timeout` s. Returns (status, killed)."""
        if self.popen is None:
            return None, False
        if not self.alive():
            self.returncode = self.popen.poll()
            return self.returncode, False
        self.signal(signal.SIGTERM)
        try:
            self.returncode = self.popen.wait(timeout=timeout * SLOW)
            return self.returncode, False
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.returncode = self.popen.wait(timeout=10)
            return self.returncode, True

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def sanitizer_report(self):
        text = self.log_text()
        for m in SANITIZER_MARKERS:
            i = text.find(m)
            if i >= 0:
                return text[max(0, i - 200): i + 3000]
        return None


class ProcessSet:
    """The processes of one test; `close()` stops them all and returns the
    list of problems found (unexpected exit status, sanitizer reports)."""

    def __init__(self, tmpdir):
        self.tmpdir = str(tmpdir)
        self.procs = []

    def spawn(self, name, argv, env, expect_exit_zero=True):
        log = os.path.join(self.tmpdir, f"{name}.log")
        p = Proc(name, argv, env, log, expect_exit_zero)
        self.procs.append(p)
        return p.start()

    def log_tails(self, lines=40):
        out = []
        for p in self.procs:
            out.append(f"----- {p.name} (pid {p.pid if p.popen else '-'}, {p.log_path}) -----")
            out.append(p.log_tail(lines))
        return "\n".join(out)

    def close(self):
        problems = []
        # Gateways and nodes first, Redis last, so nothing sees Redis vanish
        # while it is being asked to shut down.
        order = [p for p in self.procs if not p.name.startswith("redis")] + \
                [p for p in self.procs if p.name.startswith("redis")]
        for p in order:
            if p.popen is None:
                continue
            already_dead = not p.alive()
            rc, killed = p.terminate()
            if p.stopped_by_test:
                pass
            elif already_dead and rc != 0:
                problems.append(f"{p.name} died during the test with status {describe_status(rc)}")
            elif killed:
                problems.append(f"{p.name} ignored SIGTERM for {5 * SLOW:.0f}s and was SIGKILLed")
            elif p.expect_exit_zero and rc != 0:
                problems.append(f"{p.name} exited with status {describe_status(rc)} after SIGTERM (want 0)")
            rep = p.sanitizer_report()
            if rep:
                problems.append(f"{p.name}: sanitizer report in {p.log_path}:\n{rep}")
        return problems


def describe_status(rc):
    if rc is None:
        return "None"
    if rc < 0:
        try:
            return f"{rc} ({signal.Signals(-rc).name})"
        except ValueError:
            return str(rc)
    return str(rc)


# ---------------------------------------------------------------- Redis

def redis_command(port, *args, timeout=1.0):
    """One RESP command on a fresh connection; the first reply line decoded
    (simple string, error, integer) or a bulk string. Enough for PING/INFO."""
    payload = f"*{len(args)}\r\n".encode()
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        payload += f"${len(a)}\r\n".encode() + a + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            buf += chunk
        head, rest = buf.split(b"\r\n", 1)
        if head.startswith(b"$"):
            n = int(head[1:])
            if n < 0:
                return None
            while len(rest) < n + 2:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
            return rest[:n].decode("utf-8", "replace")
        return head.decode()


class RedisServer:
    """redis-server with AOF in its own dir; stop() and start() again reuse the
    same port and data dir (the restart test)."""

    def __init__(self, procs, port=None):
        self.procs = procs
        self.port = port or free_port()
        self.dir = os.path.join(procs.tmpdir, "redis-data")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.generation = 0

    def start(self, timeout=10.0):
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "yes", "--dir", self.dir]
        name = "redis" if self.generation == 0 else f"redis-{self.generation}"
        self.generation += 1
        self.proc = self.procs.spawn(name, argv, child_env({}))
        wait_for(lambda: self._pong(), timeout * SLOW, what=f"redis-server on port {self.port}")
        return self

    def _pong(self):
        if not self.proc.alive():
            raise ProcessDied(f"redis-server exited: {self.proc.log_tail(10)}")
        return redis_command(self.port, "PING") == "+PONG"

    def stop(self):
        """SIGTERM (Redis flushes its AOF and exits 0); marks it intentional."""
        rc, killed = self.proc.terminate()
        self.proc.stopped_by_test = True
        assert not killed and rc == 0, f"redis-server stop: status {describe_status(rc)}"


# ---------------------------------------------------------------- HTTP

class _TrailerResponse(http.client.HTTPResponse):
    """http.client reads a chunked body's trailer section and throws it away;
    this keeps it (streamed /speak answers send X-Scaispeak-Audio-Ms there)."""

    def _read_and_discard_trailer(self):
        self.trailers = {}
        while True:
            line = self.fp.readline(65537)
            if not line or line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            self.trailers[name.strip().lower()] = value.strip()


class Response:
    def __init__(self, status, reason, headers, body, trailers=None):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage (case-insensitive get)
        self.body = body
        self.trailers = trailers or {}
        self._json = None

    def header(self, name):
        return self.headers.get(name)

    def trailer(self, name):
        return self.trailers.get(name.lower())

    def audio_ms(self):
        """X-Scaispeak-Audio-Ms: a trailer of a streamed answer, a header of
        the JSON form."""
        v = self.trailer("X-Scaispeak-Audio-Ms") or self.header("X-Scaispeak-Audio-Ms")
        assert v is not None, f"no X-Scaispeak-Audio-Ms header or trailer: {self!r}"
        return int(v)

    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise AssertionError(f"HTTP {self.status}: body is not JSON ({e}): {self.body[:300]!r}")
        return self._json

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:400]!r}>"


class Http:
    """A tiny client for one base address. token: default bearer token sent
    when a call passes token=True. openapi=True (a gateway's address): every
    answer is checked against docs/openapi.json (openapi_check.py) and a
    mismatch fails the test."""

    def __init__(self, port, host="127.0.0.1", token=None, timeout=10.0, openapi=False):
        self.host = host
        self.port = port
        self.token = token
        self.timeout = timeout
        self.openapi = openapi

    def request(self, method, path, body=None, headers=None, token=None, json_body=None):
        hdrs = dict(headers or {})
        if token is True:
            token = self.token
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout * SLOW)
        conn.response_class = _TrailerResponse
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            if self.openapi:
                openapi_check.check(method, path, r.status, r.headers, data)
            return Response(r.status, r.reason, r.headers, data, getattr(r, "trailers", None))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)


def assert_request_id(resp):
    rid = resp.header("X-Request-Id")
    assert rid, f"no X-Request-Id header on {resp!r}"
    return rid


def assert_ok(resp, status=200):
    """A success envelope with `status`; returns data."""
    assert resp.status == status, f"want HTTP {status}, got {resp!r}"
    rid = assert_request_id(resp)
    ctype = resp.header("Content-Type") or ""
    assert ctype.startswith("application/json"), f"Content-Type {ctype!r} on {resp!r}"
    j = resp.json()
    assert j.get("status") == "ok", f"envelope status not ok: {j}"
    assert "data" in j, f"no data in envelope: {j}"
    assert isinstance(j.get("meta"), dict) and j["meta"].get("request_id") == rid, \
        f"meta.request_id {j.get('meta')} != X-Request-Id {rid}"
    return j["data"]


def assert_error(resp, status, code):
    """An error envelope with HTTP `status` and error.code `code`; returns error."""
    assert resp.status == status, f"want HTTP {status} {code}, got {resp!r}"
    # the standard reason phrase, also where libevent's table has none
    want_reason = {422: "Unprocessable Content", 429: "Too Many Requests"}.get(status)
    assert want_reason is None or resp.reason == want_reason, f"status line {status} {resp.reason!r}"
    rid = assert_request_id(resp)
    ctype = resp.header("Content-Type") or ""
    assert ctype.startswith("application/json"), f"Content-Type {ctype!r} (never HTML) on {resp!r}"
    j = resp.json()
    assert j.get("status") == "error", f"envelope status not error: {j}"
    err = j.get("error")
    assert isinstance(err, dict), f"no error object: {j}"
    assert err.get("code") == code, f"want error.code {code}, got {err}"
    assert isinstance(err.get("message"), str) and err["message"], f"empty error.message: {err}"
    assert isinstance(j.get("meta"), dict) and j["meta"].get("request_id") == rid, \
        f"meta.request_id {j.get('meta')} != X-Request-Id {rid}"
    return err


def check_raw_answer(request, status, headers, body):
    """Checks an answer read off a raw socket against docs/openapi.json, as
    Http(openapi=True) does: `request` is the bytes sent (its request line
    names the route; one too broken to name it counts as GET /, a path the
    document does not have, so the answer must be an error envelope)."""
    line = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    method, path = (line[0], line[1]) if len(line) >= 2 and line[1].startswith("/") else ("GET", "/")
    openapi_check.check(method, path, status, headers, body)


def raw_exchange(port, payload, read_timeout=5.0, host="127.0.0.1"):
    """Sends payload on a fresh TCP connection and reads until the server
    closes or read_timeout passes. Returns (bytes_read, closed_by_server)."""
    s = socket.create_connection((host, port), timeout=5)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(read_timeout)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return data, False
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
    finally:
        s.close()


# ---------------------------------------------------------------- daemons

GATEWAY_HEALTHZ = "/v1/modules/scaispeak/healthz"


# Node credentials of the test deployment (docs/SECURITY.md): the gateway
# holds NODE_AUTH_KEY, each node its own secret derived from it, and both
# share NODE_CALL_TOKEN for the gateway's calls to the nodes. dev_mode is off.
NODE_AUTH_KEY = "itest-node-auth-key"
NODE_CALL_TOKEN = "itest-node-call-token"


def audio_seconds(path):
    """Length of an audio file as sox decodes it, not as its header claims:
    streamed WAV and FLAC answers do not know their length up front (RIFF and
    data sizes 0xFFFFFFFF; STREAMINFO total samples 0)."""
    out = subprocess.run(["sox", "-V1", str(path), "-n", "stat"], capture_output=True, text=True,
                         check=True, timeout=120).stderr
    m = re.search(r"Length \(seconds\):\s+([0-9.]+)", out)
    assert m, out
    return float(m.group(1))


def admin_run(redis_port, *args):
    """`scaispeak admin ARGS` against the Redis on redis_port, with no other
    SCAISPEAK_ setting of this process leaking in: the CompletedProcess,
    whatever its exit status."""
    env = child_env({"SCAISPEAK_REDIS_PORT": str(redis_port)})
    return subprocess.run([binary("scaispeak"), "admin", *args], capture_output=True, text=True, env=env,
                          timeout=30 * SLOW)


def admin_cli(redis, *args):
    """admin_run against redis (a RedisServer), which must succeed: its
    output's words."""
    res = admin_run(redis.port, *args)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def tenant_admin_key(redis_port):
    """An API key of a new tenant's admin, provisioned by `scaispeak admin` in
    the Redis on redis_port."""

    def admin(*args):
        p = admin_run(redis_port, *args)
        assert p.returncode == 0, p.stderr
        return p.stdout.split()[0]

    tenant = admin("create-tenant", "--name", "t-" + os.urandom(3).hex())
    user = admin("create-user", "--tenant", tenant, "--role", "tenant_admin")
    return admin("create-key", "--user", user)


def node_secret(key, node_id):
    """A node's heartbeat secret: HMAC-SHA256(node_auth_key, node_id), hex."""
    return hmac.new(key.encode(), node_id.encode(), hashlib.sha256).hexdigest()


class Gateway:
    def __init__(self, procs, redis_port, operator_token="itest-operator-token",
                 node_auth_key=NODE_AUTH_KEY, node_call_token=NODE_CALL_TOKEN, env=None,
                 name="gateway"):
        self.procs = procs
        self.http_port = free_port()
        self.grpc_port = free_port()
        self.operator_token = operator_token
        self.node_auth_key = node_auth_key
        self.node_call_token = node_call_token
        self.redis_port = redis_port
        self.name = name
        self.env = {
            "SCAISPEAK_HTTP_PORT": self.http_port,
            "SCAISPEAK_HTTP_BIND": "127.0.0.1",
            "SCAISPEAK_GRPC_PORT": self.grpc_port,
            "SCAISPEAK_GRPC_BIND": "127.0.0.1",
            "SCAISPEAK_REDIS_HOST": "127.0.0.1",
            "SCAISPEAK_REDIS_PORT": redis_port,
            "SCAISPEAK_NODE_AUTH_KEY": node_auth_key,
            "SCAISPEAK_NODE_CALL_TOKEN": node_call_token,
            "SCAISPEAK_OPERATOR_TOKEN": operator_token,
            "SCAISPEAK_HTTP_IDLE_TIMEOUT_S": 2,
            "SCAISPEAK_HEARTBEAT_INTERVAL_MS": 500,
            "SCAISPEAK_DRAIN_TIMEOUT_S": 5,
            # references and consent clips (common/object_store.h), per test
            "SCAISPEAK_OBJECT_STORE_DIR": os.path.join(procs.tmpdir, f"{name}-objects"),
        }
        self.env.update(env or {})
        self.objects_dir = self.env["SCAISPEAK_OBJECT_STORE_DIR"]
        self.http = Http(self.http_port, token=operator_token, openapi=True)
        self.proc = None

    def start(self, timeout=15.0):
        self.proc = self.procs.spawn(self.name, [binary("scaispeak-gateway")], child_env(self.env))

        def healthy():
            if not self.proc.alive():
                raise ProcessDied(f"gateway exited with {describe_status(self.proc.poll())} while starting")
            try:
                return self.http.get(GATEWAY_HEALTHZ).status == 200
            except OSError:
                return False
        wait_for(healthy, timeout * SLOW, what=f"gateway healthz on port {self.http_port}")
        return self

    @property
    def grpc_target(self):
        return f"127.0.0.1:{self.grpc_port}"

    # operator helpers
    def nodes(self, query=""):
        return assert_ok(self.http.get("/v1/infra/nodes" + query, token=True))["items"]

    def node(self, node_id):
        """The node object, or None when the gateway answers 404."""
        r = self.http.get(f"/v1/infra/nodes/{node_id}", token=True)
        if r.status == 404:
            assert_error(r, 404, "SCAISPEAK_NODE_NOT_FOUND")
            return None
        return assert_ok(r)

    def node_status(self, node_id):
        n = self.node(node_id)
        return n and n["status"]

    def wait_node_status(self, node_id, status, timeout):
        def check():
            n = self.node(node_id)
            return n if n and n["status"] == status else None
        return wait_for(check, timeout * SLOW, interval=0.05, what=f"node {node_id} {status}")


class Worker:
    """scaispeak-worker (the erasure reconciler) on the test's Redis, with the
    node call token and its own object store directory (or the gateway's,
    when given, as on one host)."""

    def __init__(self, procs, redis_port, node_call_token=NODE_CALL_TOKEN, objects_dir=None, env=None,
                 name="worker"):
        self.procs = procs
        self.name = name
        # the default gateway's store: one host, one object store
        self.objects_dir = objects_dir or os.path.join(procs.tmpdir, "gateway-objects")
        self.env = {
            "SCAISPEAK_REDIS_HOST": "127.0.0.1",
            "SCAISPEAK_REDIS_PORT": redis_port,
            "SCAISPEAK_NODE_CALL_TOKEN": node_call_token,
            "SCAISPEAK_OBJECT_STORE_DIR": self.objects_dir,
            "SCAISPEAK_ERASURE_RECONCILE_INTERVAL_MS": 200,
            "SCAISPEAK_ERASURE_EVICT_TIMEOUT_MS": 1000,
        }
        self.env.update(env or {})
        self.proc = None

    def start(self, timeout=15.0):
        self.proc = self.procs.spawn(self.name, [binary("scaispeak-worker")], child_env(self.env))

        def started():
            if not self.proc.alive():
                raise ProcessDied(f"worker exited with {describe_status(self.proc.poll())} while starting")
            return "scaispeak-worker started" in self.proc.log_text()
        wait_for(started, timeout * SLOW, what="worker started")
        return self


class Node:
    def __init__(self, procs, gateways, node_auth_key=NODE_AUTH_KEY, node_id=None, env=None,
                 name=None, binary_path=None, node_call_token=NODE_CALL_TOKEN, node_secret=None):
        self.procs = procs
        # another build of scaispeak-node (the host-emulated CUDA one)
        self.binary_path = binary_path
        self.node_port = free_port()
        self.metrics_port = free_port()
        self.node_id = node_id or f"itest-{self.node_port}"
        self.name = name or f"node-{self.node_id}"
        targets = gateways if isinstance(gateways, str) else ",".join(gateways)
        self.env = {
            "SCAISPEAK_NODE_PORT": self.node_port,
            "SCAISPEAK_NODE_BIND": "127.0.0.1",
            "SCAISPEAK_GATEWAYS": targets,
            "SCAISPEAK_NODE_ID": self.node_id,
            "SCAISPEAK_NODE_SECRET": node_secret or globals()["node_secret"](node_auth_key,
                                                                             self.node_id),
            "SCAISPEAK_NODE_CALL_TOKEN": node_call_token,
            "SCAISPEAK_METRICS_PORT": self.metrics_port,
            "SCAISPEAK_HEARTBEAT_INTERVAL_MS": 500,
            "SCAISPEAK_VOICE_PATH": "",
            "SCAISPEAK_CG_VOICES": "",  # tests that want engines name them
            "SCAISPEAK_DRAIN_TIMEOUT_S": 5,
        }
        self.env.update(env or {})
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.node_port}"

    def start(self, timeout=15.0, wait=True):
        self.proc = self.procs.spawn(self.name, [self.binary_path or binary("scaispeak-node")],
                                     child_env(self.env))
        if wait:
            self.wait_listening(timeout)
        return self

    def wait_listening(self, timeout=15.0):
        def up():
            if not self.proc.alive():
                raise ProcessDied(f"node exited with {describe_status(self.proc.poll())} while starting")
            return tcp_open(self.node_port)
        wait_for(up, timeout * SLOW, what=f"node {self.node_id} listening on {self.node_port}")


# ---------------------------------------------------------------- gRPC

_PROTO_CACHE = {}


def compile_protos(outdir):
    """protoc --python_out for proto/*.proto into outdir; returns a namespace
    with modules `heartbeat` (heartbeat_pb2) and `tts` (tts_node_pb2)."""
    if "mods" in _PROTO_CACHE:
        return _PROTO_CACHE["mods"]
    protodir = os.path.join(REPO, "proto")
    files = sorted(f for f in os.listdir(protodir) if f.endswith(".proto"))
    subprocess.run(["protoc", f"-I{protodir}", f"--python_out={outdir}"] + files, cwd=protodir,
                   check=True)
    sys.path.insert(0, str(outdir))

    class Mods:
        heartbeat = importlib.import_module("heartbeat_pb2")
        tts = importlib.import_module("tts_node_pb2")
    _PROTO_CACHE["mods"] = Mods
    return Mods


def grpc_module():
    import grpc  # Debian python3-grpcio
    return grpc


HEARTBEAT_METHOD = "/scaiinfer.v1.HeartbeatService/Heartbeat"


def send_heartbeat(protos, target, key, request, timeout=5.0, credential=None):
    """One Heartbeat call; returns the HeartbeatResponse or raises grpc.RpcError.
    Presents node_secret(key, request.node_id), or `credential` as given;
    both None send no authorization metadata."""
    grpc = grpc_module()
    token = credential if credential is not None else (
        node_secret(key, request.node_id) if key is not None else None)
    with grpc.insecure_channel(target) as ch:
        call = ch.unary_unary(HEARTBEAT_METHOD,
                              request_serializer=lambda m: m.SerializeToString(),
                              response_deserializer=protos.heartbeat.HeartbeatResponse.FromString)
        md = [("authorization", f"Bearer {token}")] if token is not None else []
        return call(request, metadata=md, timeout=timeout * SLOW)


def heartbeat_request(protos, node_id, address="127.0.0.1:1", engines=(), slots=2, in_flight=0,
                      interval_ms=500, draining=False, labels=None, voices=()):
    """A HeartbeatRequest as a node would send it; engines: (engine_id, kind,
    version, sample_rate) tuples."""
    hb = protos.heartbeat
    req = hb.HeartbeatRequest(node_id=node_id, address=address, slots=slots, in_flight=in_flight,
                              kernels="cpu", version="itest-0", started_at=int(time.time()),
                              draining=draining, heartbeat_interval_ms=interval_ms)
    for e in engines:
        req.engines.add(engine_id=e[0], kind=e[1], version=e[2], sample_rate=e[3])
    for v in voices:
        req.voices_cached.append(v)
    for k, v in (labels or {}).items():
        req.labels[k] = v
    return req


def _metadata_interceptor(grpc, pairs):
    """A client interceptor adding `pairs` to every call's metadata."""
    class Details(grpc.ClientCallDetails):
        def __init__(self, d):
            self.method, self.timeout, self.credentials = d.method, d.timeout, d.credentials
            self.metadata = list(d.metadata or []) + pairs
            self.wait_for_ready = getattr(d, "wait_for_ready", None)
            self.compression = getattr(d, "compression", None)

    class Interceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
        def intercept_unary_unary(self, cont, details, request):
            return cont(Details(details), request)

        def intercept_unary_stream(self, cont, details, request):
            return cont(Details(details), request)
    return Interceptor()


class NodeStub:
    """Independent client of scaiinfer.tts.v1.TtsNode (generic handles).
    Every call presents `token` as the gateway does (None: no credential)."""

    def __init__(self, protos, target, token=NODE_CALL_TOKEN):
        grpc = grpc_module()
        self.protos = protos
        self.raw_channel = grpc.insecure_channel(target)
        self.channel = self.raw_channel
        if token is not None:
            self.channel = grpc.intercept_channel(
                self.raw_channel,
                _metadata_interceptor(grpc, [("authorization", f"Bearer {token}")]))
        t = protos.tts
        ser = lambda m: m.SerializeToString()  # noqa: E731
        self.ListEngines = self.channel.unary_unary(
            "/scaiinfer.tts.v1.TtsNode/ListEngines", request_serializer=ser,
            response_deserializer=t.ListEnginesResponse.FromString)
        self.EvictVoice = self.channel.unary_unary(
            "/scaiinfer.tts.v1.TtsNode/EvictVoice", request_serializer=ser,
            response_deserializer=t.EvictVoiceResponse.FromString)
        self.Synthesize = self.channel.unary_stream(
            "/scaiinfer.tts.v1.TtsNode/Synthesize", request_serializer=ser,
            response_deserializer=t.SynthesizeChunk.FromString)

    def raw_unary(self, method, payload, timeout=5.0):
        """Calls `method` with raw request bytes; returns raw response bytes."""
        call = self.channel.unary_unary(method, request_serializer=lambda b: b,
                                        response_deserializer=lambda b: b)
        return call(payload, timeout=timeout * SLOW)

    def close(self):
        self.raw_channel.close()
