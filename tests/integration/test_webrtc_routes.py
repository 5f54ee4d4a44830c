"""WebRTC routes (API.md §3), in whichever state this machine is in (probed
the way the gateway probes: webrtc_probe.py):

  * without GStreamer's webrtcbin (the CI default): every route, the
    control WebSocket included, answers 501 SCAISPEAK_WEBRTC_UNAVAILABLE
    with the install hint, after authentication like every route;
  * with it: the routes without a browser — a hand-written offer is
    answered (201, send-only Opus, candidates only on the configured ICE
    address and port range), a body that is not JSON is 400, a missing or
    bad field (bad SDP included) is 422 with details, no backend is 502, the
    per-key cap is 429, another caller's session is 404 on every route and
    4404 (SCAISPEAK_WEBRTC_SESSION_NOT_FOUND) on the control socket, the
    owner's control socket answers `ready` with the wrtc_ session id (and
    4400 to `open`), DELETE closes it 1000, a session nobody controls ends
    after ws_idle_timeout_s. The browser itself: test_webrtc_browser.py."""
import asyncio
import json
import re

import pytest
import websockets

import harness
from harness import assert_error, assert_ok
from test_speak import key, key_for, tenant  # noqa: F401 (fixtures)
from test_ws_stream import ready_node
from webrtc_probe import webrtc_available

BASE = "/v1/modules/scaispeak/stream/speak/webrtc/sessions"
AVAILABLE = webrtc_available()
only_without = pytest.mark.skipif(AVAILABLE, reason="GStreamer's webrtcbin is installed here")
only_with = pytest.mark.skipif(not AVAILABLE, reason="GStreamer's webrtcbin is not installed")

# A browser's offer (Chromium's shape): one recvonly audio m-line, Opus 111.
OFFER = "\r\n".join([
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "a=msid-semantic: WMS", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Xk3v", "a=ice-pwd:b2ZkQ1Vx9yTq8Hj3Lm4Np5Rs", "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=mid:0", "a=recvonly", "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1", ""])
ICE_PORTS = (43100, 43199)


def auth(key):
    return {"Authorization": f"Bearer {key}"}


# ------------------------------------------------------------ without GStreamer

@only_without
def test_every_webrtc_route_answers_501_with_the_install_hint(gateway, key):
    calls = [("POST", BASE, {"voice_id": "vc_platform_slt", "sdp_offer": "v=0"}),
             ("POST", BASE + "/wrtc_x/ice", {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}),
             ("DELETE", BASE + "/wrtc_x", None),
             ("GET", BASE + "/wrtc_x/control", None)]
    for method, path, body in calls:
        resp = gateway.http.request(method, path, json_body=body, headers=auth(key))
        err = assert_error(resp, 501, "SCAISPEAK_WEBRTC_UNAVAILABLE")
        assert "apt-get install gstreamer1.0-plugins-bad" in err["message"], err
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


@only_without
def test_webrtc_routes_authenticate_first(gateway):
    resp = gateway.http.request("POST", BASE, json_body={"voice_id": "x", "sdp_offer": "v=0"})
    assert_error(resp, 401, "AUTH_TOKEN_MISSING")
    assert "WebRTC: unavailable" in gateway.proc.log_text()
    harness.assert_request_id(resp)


# ------------------------------------------------------------ with GStreamer

@pytest.fixture
def rtc_gateway(procs, redis):
    return harness.Gateway(procs, redis.port, env={
        "SCAISPEAK_WS_SESSIONS_PER_KEY": 2, "SCAISPEAK_WS_IDLE_TIMEOUT_S": 3,
        "SCAISPEAK_WEBRTC_ICE_MIN_PORT": ICE_PORTS[0], "SCAISPEAK_WEBRTC_ICE_MAX_PORT": ICE_PORTS[1],
        "SCAISPEAK_WEBRTC_ICE_ADDRESS": "127.0.0.1"}).start()


def create(gw, key, offer=OFFER, **extra):
    return gw.http.request("POST", BASE, json_body=dict({"voice_id": "vc_platform_slt", "sdp_offer": offer}, **extra),
                           headers=auth(key))


def control(gw, key, session_id, messages=(), until_close=True):
    """Opens the control socket, sends messages after `ready`; (frames, close code)."""
    async def go():
        frames, code = [], None
        async with websockets.connect(f"ws://127.0.0.1:{gw.http_port}{BASE}/{session_id}/control",
                                      extra_headers=auth(key), close_timeout=5) as ws:
            try:
                while True:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 20 * harness.SLOW))
                    frames.append(msg)
                    if msg["type"] == "ready":
                        for m in messages:
                            await ws.send(json.dumps(m))
                        if not until_close:
                            return frames, None
            except websockets.ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd else 1006
        return frames, code
    return asyncio.run(go())


@only_with
def test_webrtc_is_offered_and_authenticates_first(rtc_gateway):
    assert "WebRTC: available" in rtc_gateway.proc.log_text()
    resp = rtc_gateway.http.request("POST", BASE, json_body={"voice_id": "x", "sdp_offer": "v=0"})
    assert_error(resp, 401, "AUTH_TOKEN_MISSING")


def invalid(resp, *fields):
    """A 422 VALIDATION_ERROR whose details name exactly `fields`; returns error."""
    err = assert_error(resp, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in err["details"]] == list(fields), err
    assert all(d["message"] for d in err["details"]), err
    return err


@only_with
def test_bad_bodies_are_400_or_422_and_no_backend_is_502(rtc_gateway, start_node, key):
    # not JSON at all: 400; JSON with missing or wrong fields: 422 with details (like /speak)
    assert_error(rtc_gateway.http.request("POST", BASE, body="{not json", headers=dict(auth(key), **{
        "Content-Type": "application/json"})), 400, "MALFORMED_REQUEST")
    invalid(rtc_gateway.http.request("POST", BASE, json_body={}, headers=auth(key)), "sdp_offer")
    invalid(rtc_gateway.http.request("POST", BASE, json_body=[OFFER], headers=auth(key)), "body")
    invalid(rtc_gateway.http.request("POST", BASE, json_body={"voice_id": "vc_platform_slt"}, headers=auth(key)),
            "sdp_offer")
    invalid(rtc_gateway.http.request("POST", BASE, json_body={"sdp_offer": 5}, headers=auth(key)), "sdp_offer")
    for offer, words in [("hello", "SDP offer"), ("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", "opus/48000")]:
        err = invalid(create(rtc_gateway, key, offer), "sdp_offer")
        assert words in err["message"], err
    err = invalid(create(rtc_gateway, key, OFFER, output={"codec": "pcm"}), "output.codec")
    assert "Opus" in err["message"], err
    invalid(create(rtc_gateway, key, OFFER, speed=9), "speed")
    invalid(create(rtc_gateway, key, OFFER, sampel_rate=1), "sampel_rate")
    assert_error(create(rtc_gateway, key), 502, "SCAISPEAK_BACKEND_UNAVAILABLE")  # no node yet
    assert_error(create(rtc_gateway, key, voice_id="vc_nope"), 404, "SCAISPEAK_VOICE_NOT_FOUND")
    ready_node(rtc_gateway, start_node)
    # looks like an offer, but webrtcbin cannot answer it (no ICE credentials, no DTLS fingerprint)
    err = invalid(create(rtc_gateway, key, "v=0\r\nm=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"),
                  "sdp_offer")
    assert "offer" in err["message"], err


@only_with
def test_a_session_is_answered_controlled_and_deleted(rtc_gateway, start_node, redis, tenant, key):
    ready_node(rtc_gateway, start_node)
    resp = create(rtc_gateway, key)
    data = assert_ok(resp, 201)
    sid, answer = data["session_id"], data["sdp_answer"]
    assert data["control_url"] == f"ws://127.0.0.1:{rtc_gateway.http_port}{BASE}/{sid}/control", data
    assert "a=sendonly" in answer and re.search(r"a=rtpmap:111 OPUS/48000/2", answer, re.I), answer
    cands = re.findall(r"a=candidate:\S+ 1 UDP \d+ (\S+) (\d+) typ host", answer, re.I)
    assert cands and all(ICE_PORTS[0] <= int(port) <= ICE_PORTS[1] for _, port in cands), answer
    assert {addr for addr, _ in cands} == {"127.0.0.1"}, answer  # webrtc_ice_address

    other = key_for(redis, tenant)
    assert_error(rtc_gateway.http.request("DELETE", f"{BASE}/{sid}", headers=auth(other)), 404,
                 "SCAISPEAK_WEBRTC_SESSION_NOT_FOUND")
    assert_error(rtc_gateway.http.request("POST", f"{BASE}/{sid}/ice", json_body={"candidate": "candidate:1 1 udp 1 "
                 "127.0.0.1 9 typ host"}, headers=auth(other)), 404, "SCAISPEAK_WEBRTC_SESSION_NOT_FOUND")
    frames, code = control(rtc_gateway, other, sid)
    assert code == 4404, (frames, code)
    assert [f["code"] for f in frames if f["type"] == "error"] == ["SCAISPEAK_WEBRTC_SESSION_NOT_FOUND"], frames

    ice = rtc_gateway.http.request("POST", f"{BASE}/{sid}/ice", json_body={
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.77 50000 typ host", "sdp_mline_index": 0},
        headers=auth(key))
    assert_ok(ice)
    invalid(rtc_gateway.http.request("POST", f"{BASE}/{sid}/ice", json_body={"candidate": 5}, headers=auth(key)),
            "candidate")
    invalid(rtc_gateway.http.request("POST", f"{BASE}/{sid}/ice", json_body={}, headers=auth(key)), "candidate")
    invalid(rtc_gateway.http.request("POST", f"{BASE}/{sid}/ice", json_body={"candidate": "", "sdp_mline_index": -1},
                                     headers=auth(key)), "sdp_mline_index")
    assert_error(rtc_gateway.http.request("POST", f"{BASE}/{sid}/ice", body="{", headers=dict(auth(key), **{
        "Content-Type": "application/json"})), 400, "MALFORMED_REQUEST")

    async def owner():
        async with websockets.connect(f"ws://127.0.0.1:{rtc_gateway.http_port}{BASE}/{sid}/control?token={key}",
                                      close_timeout=5) as ws:
            ready = json.loads(await asyncio.wait_for(ws.recv(), 20 * harness.SLOW))
            resp = await asyncio.to_thread(rtc_gateway.http.request, "DELETE", f"{BASE}/{sid}", None, auth(key))
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10 * harness.SLOW)
            except websockets.ConnectionClosed as e:
                return ready, resp, e.rcvd.code if e.rcvd else 1006
    ready, deleted, code = asyncio.run(owner())
    assert ready["type"] == "ready" and ready["output"]["codec"] == "opus" and ready["voice_id"] == "vc_platform_slt"
    # the WebRTC session's id (the HTTP routes' one); the socket's own id apart
    assert ready["session_id"] == sid and sid.startswith("wrtc_"), ready
    assert ready["connection_id"].startswith("wss_"), ready
    assert assert_ok(deleted) == {"session_id": sid, "ended": True}
    assert code == 1000
    assert_error(rtc_gateway.http.request("DELETE", f"{BASE}/{sid}", headers=auth(key)), 404,
                 "SCAISPEAK_WEBRTC_SESSION_NOT_FOUND")


@only_with
def test_control_socket_rules_cap_and_idle_end(rtc_gateway, start_node, key):
    ready_node(rtc_gateway, start_node)
    a = assert_ok(create(rtc_gateway, key), 201)["session_id"]
    frames, code = control(rtc_gateway, key, a, [{"type": "open"}])
    assert frames[0]["type"] == "ready" and code == 4400, (frames, code)
    # its control socket ended: the session lingers a second, then is gone
    harness.wait_for(lambda: rtc_gateway.http.request("DELETE", f"{BASE}/{a}", headers=auth(key)).status == 404,
                     5 * harness.SLOW, what="session ended with its control socket")
    b = assert_ok(create(rtc_gateway, key), 201)["session_id"]
    assert_ok(create(rtc_gateway, key), 201)
    err = assert_error(create(rtc_gateway, key), 429, "RATE_LIMITED")
    assert "ws_sessions_per_key" in err["message"], err
    # nobody opens b's control socket: it ends after ws_idle_timeout_s (3 s)
    harness.wait_for(lambda: rtc_gateway.http.request("DELETE", f"{BASE}/{b}", headers=auth(key)).status == 404,
                     10 * harness.SLOW, what="idle session ended")
