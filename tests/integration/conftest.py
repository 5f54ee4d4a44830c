"""pytest fixtures for the integration tests (all opt-in: nothing here starts a
process unless a test asks for the fixture).

    procs        ProcessSet of the test; teardown SIGTERMs everything, fails the
                 test on a non-zero exit, a crash or a sanitizer report, and
                 failures get the log tails of every process appended.
    redis        RedisServer (AOF on, own dir, free port); .stop() / .start()
                 restart it on the same port with the same data.
    gateway      Gateway on free HTTP and gRPC ports, healthz answered;
                 .http (Http client, token=True sends the operator token),
                 .nodes(query), .node(id), .wait_node_status(id, status, s).
    start_node   factory start_node(node_id=None, env=None, node_auth_key=None,
                 wait=True) -> Node (engine-less unless env sets
                 SCAISPEAK_VOICE_PATH), heartbeating every 500 ms.
    protos       python protobuf modules compiled from proto/ at test time
                 (.heartbeat, .tts); see harness.send_heartbeat / NodeStub.

See harness.py for the process, HTTP and gRPC helpers.
"""

import pytest

import harness
import openapi_check


def pytest_terminal_summary(terminalreporter):
    validated, checked = openapi_check.counts()
    if checked:
        terminalreporter.write_line(f"openapi: {validated} JSON answers validated against docs/openapi.json "
                                    f"({checked} gateway answers checked)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    ps = getattr(item, "_ss_procs", None)
    if ps is not None and rep.failed and rep.when in ("setup", "call"):
        rep.sections.append(("scaispeak process logs (tails)", ps.log_tails()))


@pytest.fixture
def procs(request, tmp_path):
    ps = harness.ProcessSet(tmp_path)
    request.node._ss_procs = ps
    yield ps
    problems = ps.close()
    if problems:
        pytest.fail("process problems at teardown:\n" + "\n".join(problems) +
                    "\n\n" + ps.log_tails(), pytrace=False)


@pytest.fixture(scope="session")
def protos(tmp_path_factory):
    return harness.compile_protos(tmp_path_factory.mktemp("protos"))


@pytest.fixture
def redis(procs):
    return harness.RedisServer(procs).start()


@pytest.fixture
def gateway(procs, redis):
    return harness.Gateway(procs, redis.port).start()


@pytest.fixture
def start_node(procs, gateway):
    def start(node_id=None, env=None, node_auth_key=None, wait=True):
        n = harness.Node(procs, gateway.grpc_target, node_auth_key=node_auth_key or gateway.node_auth_key,
                         node_id=node_id, env=env)
        return n.start(wait=wait)
    return start
