"""The gateway's access_log setting (issue 16, point 6): all, errors (4xx,
5xx and slow answers) or off (5xx still logged); a bad value stops the start."""

import pytest

import harness
from harness import SLOW, wait_for

GW_HEALTHZ = "/v1/modules/scaispeak/healthz"


def access_lines(gw, path):
    return [line for line in gw.proc.log_text().splitlines() if f" {path}" in line and " -> " in line]


@pytest.mark.parametrize("mode,logged_200,logged_404", [("all", True, True),
                                                        ("errors", False, True),
                                                        ("off", False, False)])
def test_access_log_modes(procs, redis, mode, logged_200, logged_404):
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_ACCESS_LOG": mode}).start()
    gw.http.get(GW_HEALTHZ + "?probe=ok")
    gw.http.get("/no-such-route-for-the-log")
    wait_for(lambda: gw.proc.log_text(), 2 * SLOW, what="gateway log")
    assert bool(access_lines(gw, GW_HEALTHZ + "?probe=ok")) == logged_200, gw.proc.log_tail()
    assert bool(access_lines(gw, "/no-such-route-for-the-log")) == logged_404, gw.proc.log_tail()


def test_access_log_bad_value_refused(procs, redis):
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_ACCESS_LOG": "some"})
    p = procs.spawn("gateway-badlog", [harness.binary("scaispeak-gateway")],
                    harness.child_env(gw.env), expect_exit_zero=False)
    rc = p.wait(10 * SLOW)
    p.stopped_by_test = True  # exiting is what this test wants
    assert rc != 0, rc
    assert "access_log must be all, errors or off (got 'some')" in p.log_text(), p.log_tail()


def test_server_errors_logged_at_warn(procs, redis):
    # log_level=warn drops info lines, access lines included; a 5xx still
    # shows: its access line is at warn. No node and no relay: /speak is 502.
    gw = harness.Gateway(procs, redis.port, env={"SCAISPEAK_ACCESS_LOG": "off",
                                                 "SCAISPEAK_LOG_LEVEL": "warn"}).start()
    key = harness.tenant_admin_key(redis.port)
    r = gw.http.post("/v1/modules/scaispeak/speak", token=key, json_body={"text": "Hello."})
    assert r.status == 502 and r.json()["error"]["code"] == "SCAISPEAK_BACKEND_UNAVAILABLE", r
    gw.http.get(GW_HEALTHZ + "?probe=warn")
    lines = access_lines(gw, "/v1/modules/scaispeak/speak")
    assert lines and all('"level":"warn"' in line for line in lines), gw.proc.log_tail()
    assert r.header("X-Request-Id") in lines[0], lines
    assert not access_lines(gw, GW_HEALTHZ + "?probe=warn"), gw.proc.log_tail()
