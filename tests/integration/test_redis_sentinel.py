"""Redis high availability with Redis's own Sentinel (issue 16, point 5).

A real primary, one replica and three redis-server --sentinel processes run
locally; the gateway, a node (its heartbeats go through the gateway), a
worker and the `scaispeak admin` CLI are given only the sentinel list and
the master name (`redis_sentinels`, `redis_master_name`). Traffic runs from
four client threads — voices designed (a durable write), jobs submitted (a
durable write), one-sentence /speak, voice list reads — while the primary is
killed with SIGKILL. Once the sentinels have promoted the replica, the old
primary is started again as a replica of the new one (as a supervisor's
start script would: ask the sentinels, then --replicaof).

Shown: every request type works again after the failover without any
restart of our processes; every voice and job that was acknowledged (201 /
202) before, during or after the failover is there afterwards, and every job
completes; answers during the outage are 503 with the documented state-store
error, never a success that is later lost. The figures (failover time, time
to the first success of each kind) are printed (`-s`) for the closing note
and docs/STATE.md."""
import os
import subprocess
import threading
import time

import pytest

import harness
from harness import SLOW, assert_ok

VOICE = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"
MOD = "/v1/modules/scaispeak"
MASTER = "scaispeak"

pytestmark = pytest.mark.skipif(not os.path.exists(VOICE), reason=f"{VOICE} not installed")


class Cluster:
    """A primary, a replica and three sentinels on free ports."""

    def __init__(self, procs):
        self.procs = procs
        self.primary_port = harness.free_port()
        self.replica_port = harness.free_port()
        self.sentinel_ports = [harness.free_port() for _ in range(3)]
        self.dirs = {}
        self.primary = self.replica = None
        self.sentinels = []

    def data_server(self, name, port, replica_of=None):
        d = self.dirs.setdefault(name, os.path.join(self.procs.tmpdir, name))
        os.makedirs(d, exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--dir", d,
                # a replica's full sync starts at once, not after the 5 s default wait
                "--repl-diskless-sync-delay", "0"]
        if replica_of:
            argv += ["--replicaof", "127.0.0.1", str(replica_of)]
        p = self.procs.spawn(f"redis-{name}-{len(self.procs.procs)}", argv, harness.child_env({}))
        harness.wait_for(lambda: harness.redis_command(port, "PING") == "+PONG", 10 * SLOW,
                         what=f"redis {name} on {port}")
        return p

    def start(self):
        self.primary = self.data_server("primary", self.primary_port)
        self.replica = self.data_server("replica", self.replica_port, replica_of=self.primary_port)
        harness.wait_for(lambda: "state=online" in (harness.redis_command(self.primary_port, "INFO", "replication")
                                                    or ""), 10 * SLOW, what="the replica in sync")
        for i, port in enumerate(self.sentinel_ports):
            conf = os.path.join(self.procs.tmpdir, f"sentinel-{i}.conf")
            with open(conf, "w") as f:  # sentinel rewrites its own config file
                f.write(f"port {port}\nbind 127.0.0.1\ndir {self.procs.tmpdir}\n"
                        f"sentinel monitor {MASTER} 127.0.0.1 {self.primary_port} 2\n"
                        f"sentinel down-after-milliseconds {MASTER} 1000\n"
                        f"sentinel failover-timeout {MASTER} 10000\n"
                        f"sentinel parallel-syncs {MASTER} 1\n")
            self.sentinels.append(self.procs.spawn(f"redis-sentinel-{i}", ["redis-server", conf, "--sentinel"],
                                                   harness.child_env({})))

        def settled():  # each sentinel sees the replica and the two other sentinels
            for port in self.sentinel_ports:
                info = harness.redis_command(port, "INFO", "sentinel") or ""
                if f"slaves=1,sentinels=3" not in info:
                    return False
            return True
        harness.wait_for(settled, 20 * SLOW, interval=0.2, what="sentinels discovered the replica and each other")
        return self

    @property
    def sentinel_list(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    def named_primary_port(self):
        """The primary's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                out = subprocess.run(["redis-cli", "-p", str(port), "SENTINEL", "get-master-addr-by-name", MASTER],
                                     capture_output=True, text=True, timeout=5).stdout.split()
                if len(out) == 2:
                    return int(out[1])
            except (OSError, subprocess.TimeoutExpired, ValueError):
                continue
        return None


def redis_env(cluster):
    return {"SCAISPEAK_REDIS_SENTINELS": cluster.sentinel_list, "SCAISPEAK_REDIS_MASTER_NAME": MASTER,
            # a port where nothing listens: only the sentinels may lead to Redis
            "SCAISPEAK_REDIS_PORT": "1"}


def admin(cluster, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAISPEAK_")}
    env.update(redis_env(cluster))
    return subprocess.run([harness.binary("scaispeak"), "admin", *args], capture_output=True, text=True,
                          env=env, timeout=30 * SLOW)


def new_key(cluster):
    def run(*args):
        p = admin(cluster, *args)
        assert p.returncode == 0, p.stderr
        return p.stdout.split()[0]
    tenant = run("create-tenant", "--name", "t-" + os.urandom(3).hex())
    user = run("create-user", "--tenant", tenant, "--role", "tenant_admin")
    return run("create-key", "--user", user)


class Traffic:
    """Client threads, each repeating one kind of request and recording
    (monotonic time, HTTP status, id or error code)."""

    KINDS = ("design", "job", "speak", "list")

    def __init__(self, gw, key):
        self.gw, self.key = gw, key
        self.stop = threading.Event()
        self.log = {k: [] for k in self.KINDS}
        self.threads = [threading.Thread(target=self.run, args=(k,), daemon=True) for k in self.KINDS]

    def request(self, kind, n):
        h = {"Authorization": f"Bearer {self.key}"}
        http = harness.Http(self.gw.http_port, timeout=10 * SLOW)
        if kind == "design":
            return http.request("POST", f"{MOD}/voices", headers=h, json_body={
                "display_name": f"failover voice {n}", "language_primary": "en",
                "voice_design_prompt": "calm low male voice"}), 201, "voice_id"
        if kind == "job":
            return http.request("POST", f"{MOD}/speak", headers=h, json_body={
                "text": f"Job number {n}.", "force_async": True, "response_format": "pcm"}), 202, "job_id"
        if kind == "speak":
            return http.request("POST", f"{MOD}/speak", headers=h, json_body={
                "text": "Hello.", "response_format": "pcm"}), 200, None
        return http.request("GET", f"{MOD}/voices?limit=1", headers=h), 200, None

    def run(self, kind):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                r, want, field = self.request(kind, n)
            except OSError as e:
                self.log[kind].append((time.monotonic(), 0, repr(e)))
                time.sleep(0.05)
                continue
            if r.status == want:
                ident = r.json()["data"][field] if field else None
                self.log[kind].append((time.monotonic(), r.status, ident))
            else:
                body = r.json() if r.body[:1] == b"{" else {}
                self.log[kind].append((time.monotonic(), r.status, body.get("error", {}).get("code")))
            time.sleep(0.1 if kind == "job" else 0.02)  # every job is synthesised afterwards

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30 * SLOW)

    def acknowledged(self, kind, want):
        return [ident for _, status, ident in self.log[kind] if status == want]

    def recovered_after(self, kind, t0):
        """Seconds from t0 to the first success of `kind` after which every
        answer succeeded; None if it never did."""
        last_failure = max((t for t, status, _ in self.log[kind] if t > t0 and status not in (200, 201, 202)),
                           default=t0)
        later = [t for t, status, _ in self.log[kind] if t > last_failure and status in (200, 201, 202)]
        return later[0] - t0 if later else None


@pytest.fixture
def cluster(procs):
    return Cluster(procs).start()


def test_sentinel_failover_loses_nothing_acknowledged(procs, cluster, tmp_path):
    env = redis_env(cluster)
    gw = harness.Gateway(procs, 1, env=env).start()
    node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key, node_id="itest-sentinel",
                        env={"SCAISPEAK_VOICE_PATH": VOICE}).start()
    gw.wait_node_status(node.node_id, "online", 10 * SLOW)
    harness.Worker(procs, 1, objects_dir=gw.objects_dir,
                   env=dict(env, SCAISPEAK_JOB_HEARTBEAT_MS=200, SCAISPEAK_JOB_LEASE_MS=3000)).start()
    assert "sentinel master scaispeak" in gw.proc.log_text()

    key = new_key(cluster)
    assert_ok(gw.http.request("PUT", f"{MOD}/admin/policy", headers={"Authorization": f"Bearer {key}"}, json_body={
        "rate_limits": {"per_key": 100000, "per_user": 100000, "per_tenant": 100000}}))

    traffic = Traffic(gw, key)
    traffic.start()
    time.sleep(2 * SLOW)
    before = {k: len(traffic.acknowledged(k, w)) for k, w in (("design", 201), ("job", 202))}
    assert before["design"] > 0 and before["job"] > 0, traffic.log

    t_kill = time.monotonic()
    cluster.primary.kill9()
    harness.wait_for(lambda: cluster.named_primary_port() == cluster.replica_port, 30 * SLOW, interval=0.1,
                     what="the sentinels promote the replica")
    t_promoted = time.monotonic()
    # The old primary comes back as a replica of the primary the sentinels
    # now name (what a supervisor's start script does, e.g. deploy/k8s's
    # redis pods); durable writes WAIT for it. Left to itself as a primary,
    # the sentinels would demote it too, but only at their next INFO poll
    # (every 10 s).
    cluster.data_server("primary", cluster.primary_port, replica_of=cluster.replica_port)
    t_restarted = time.monotonic()
    harness.wait_for(lambda: all(traffic.recovered_after(k, t_kill) is not None for k in Traffic.KINDS),
                     40 * SLOW, interval=0.2, what="every kind of request succeeds again")
    time.sleep(2 * SLOW)
    traffic.finish()

    # What the clients saw during the outage: 503 (the state store), or for
    # /speak 502 while the node's heartbeat records could not be renewed
    # (it counts as offline until its next heartbeat reaches the new primary).
    for kind in Traffic.KINDS:
        for t, status, code in traffic.log[kind]:
            if status not in (200, 201, 202):
                assert (status, code) in ((503, "SERVICE_UNAVAILABLE"), (502, "SCAISPEAK_BACKEND_UNAVAILABLE")) \
                    and (status == 503 or kind == "speak"), (kind, status, code)

    # Nothing acknowledged is lost: every voice and job the API acknowledged
    # is there on the new primary, and every job completes.
    http = harness.Http(gw.http_port, token=key, timeout=10 * SLOW)
    voices = traffic.acknowledged("design", 201)
    jobs = traffic.acknowledged("job", 202)
    for vid in voices:
        assert_ok(http.get(f"{MOD}/voices/{vid}", token=True))

    def all_jobs_done():
        return all(assert_ok(http.get(f"{MOD}/speak/jobs/{j}", token=True))["status"] == "completed" for j in jobs)
    harness.wait_for(all_jobs_done, 90 * SLOW, interval=0.5, what=f"{len(jobs)} acknowledged jobs completed")

    # The CLI follows the failover too, and what it writes is replicated.
    key2 = new_key(cluster)
    assert_ok(harness.Http(gw.http_port, token=key2).get(f"{MOD}/voices", token=True))
    # The node's heartbeats reach the new primary through the gateway.
    gw.wait_node_status(node.node_id, "online", 10 * SLOW)

    figures = {
        "failover_s (kill -> sentinels name the replica)": round(t_promoted - t_kill, 2),
        "old primary restarted at_s": round(t_restarted - t_kill, 2),
        **{f"{k} recovered_s": round(traffic.recovered_after(k, t_kill), 2) for k in Traffic.KINDS},
        "acknowledged voices / jobs": (len(voices), len(jobs)),
        "503 answers during the outage": sum(1 for k in Traffic.KINDS for _, s, _ in traffic.log[k] if s == 503),
    }
    print("\nsentinel failover:", figures)
    for k in Traffic.KINDS:
        assert traffic.recovered_after(k, t_kill) < 30 * SLOW, figures


def test_sentinel_settings_are_checked_at_start(procs, tmp_path):
    p = subprocess.run([harness.binary("scaispeak-gateway")], capture_output=True, text=True, timeout=10 * SLOW,
                       env=harness.child_env({"SCAISPEAK_REDIS_SENTINELS": "127.0.0.1:26379,nonsense",
                                              "SCAISPEAK_DEV_MODE": 1}))
    assert p.returncode != 0 and "redis_sentinels: 'nonsense' is not host:port" in p.stderr + p.stdout, p


def test_cli_says_when_no_sentinel_answers(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAISPEAK_")}
    env.update({"SCAISPEAK_REDIS_SENTINELS": f"127.0.0.1:{harness.free_port()}"})
    p = subprocess.run([harness.binary("scaispeak"), "admin", "create-tenant", "--name", "x"], capture_output=True,
                       text=True, env=env, timeout=30 * SLOW)
    assert p.returncode == 1 and "no sentinel named the primary 'scaispeak'" in p.stderr, p.stderr
