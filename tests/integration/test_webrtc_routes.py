"""WebRTC routes (API.md §3) without the peer-connection module: every route
answers 501 SCAISPEAK_WEBRTC_UNAVAILABLE with the install hint (or, where
GStreamer's webrtcbin is installed, says the module is not built yet and
points at the WebSocket), after authentication like every route."""
import harness
from harness import assert_error
from test_speak import key, tenant  # noqa: F401 (fixtures)

BASE = "/v1/modules/scaispeak/stream/speak/webrtc/sessions"


def test_every_webrtc_route_answers_501_with_the_install_hint(gateway, key):
    h = {"Authorization": f"Bearer {key}"}
    calls = [("POST", BASE, {"voice_id": "vc_platform_slt", "sdp_offer": "v=0"}),
             ("POST", BASE + "/wrtc_x/ice", {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}),
             ("DELETE", BASE + "/wrtc_x", None)]
    for method, path, body in calls:
        resp = gateway.http.request(method, path, json_body=body, headers=h)
        err = assert_error(resp, 501, "SCAISPEAK_WEBRTC_UNAVAILABLE")
        assert "apt-get install gstreamer1.0-plugins-bad" in err["message"] or \
            "/stream/speak" in err["message"], err
    assert gateway.http.get("/v1/modules/scaispeak/healthz").status == 200


def test_webrtc_routes_authenticate_first(gateway):
    resp = gateway.http.request("POST", BASE, json_body={"voice_id": "x", "sdp_offer": "v=0"})
    assert_error(resp, 401, "AUTH_TOKEN_MISSING")
    assert "WebRTC: unavailable" in gateway.proc.log_text()
    harness.assert_request_id(resp)
