"""Bytes of gateway log per N /speak requests for each access_log mode
(README "Logs"). A measurement, not a test: a real Redis, gateway and node
from $SCAISPEAK_BUILD (default build/), two client threads.

    /usr/bin/python3 tests/bench/access_log_cost.py [N=1000]
"""
import concurrent.futures as cf
import os
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("SCAISPEAK_BUILD", os.path.join(ROOT, "build"))
import harness  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
for mode, level in (("all", "info"), ("errors", "info"), ("errors", "warn")):
    d = tempfile.mkdtemp()
    procs = harness.ProcessSet(d)
    try:
        redis = harness.RedisServer(procs).start()
        gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_ACCESS_LOG": mode,
                                                     "SCAISPEAK_LOG_LEVEL": level}).start()
        node = harness.Node(procs, gw.grpc_target, node_auth_key=gw.node_auth_key,
                            env={"SCAISPEAK_VOICE_PATH": None}).start()
        gw.wait_node_status(node.node_id, "online", 10)
        key = harness.tenant_admin_key(redis.port)
        r = gw.http.request("PUT", "/v1/modules/scaispeak/admin/policy", token=key,
                            json_body={"rate_limits": {"per_key": 100000, "per_user": 100000,
                                                       "per_tenant": 100000}})
        assert r.status == 200, r
        before = os.path.getsize(gw.proc.log_path)

        def one(_):
            r = gw.http.post("/v1/modules/scaispeak/speak", token=key,
                             json_body={"text": "Hi."})
            return r.status
        with cf.ThreadPoolExecutor(2) as ex:
            codes = list(ex.map(one, range(N)))
        after = os.path.getsize(gw.proc.log_path)
        print(mode, level, "requests", N, "codes", {c: codes.count(c) for c in set(codes)},
              "log bytes", after - before, flush=True)
    finally:
        procs.close()
