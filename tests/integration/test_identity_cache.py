"""The identity cache (gateway/identity_cache.h): a /speak whose API key was
seen recently skips the identity read — one EVALSHA per request — and yet
never acts on a stale identity: a revoked key, a lost permission or an
edited user/tenant hash is noticed on the very next /speak; a request run
again after such a change reports its `instructions` once. Real
redis-server, gateway and node processes."""
import hashlib
import os
import socket
import threading
import time

import pytest

import harness
from harness import assert_error, assert_ok

SPEAK = "/v1/modules/scaispeak/speak"
ENGINE = {"SCAISPEAK_VOICE_PATH": None}
TEXT = {"text": "The birch canoe slid on the smooth planks."}


admin = harness.admin_cli


@pytest.fixture
def tenant(redis):
    return admin(redis, "create-tenant", "--name", "t-" + os.urandom(3).hex())[0]


def user_and_key(redis, tenant, role="tenant_user", grants="scaispeak:synthesize"):
    user = admin(redis, "create-user", "--tenant", tenant, "--role", role,
                 *(["--grant", grants] if grants else []))[0]
    out = admin(redis, "create-key", "--user", user)
    return user, out[0], out[1]


@pytest.fixture
def node(gateway, start_node):
    n = start_node(env=ENGINE)
    gateway.wait_node_status(n.node_id, "online", 5 * harness.SLOW)
    harness.wait_for(lambda: gateway.node(n.node_id)["engines"], 5 * harness.SLOW,
                     what="node engine listed")
    return n


def speak(gateway, key, path=SPEAK):
    return gateway.http.request("POST", path, json_body=TEXT, headers={"Authorization": f"Bearer {key}"})


def remaining(resp):
    return int(resp.header("X-Scaispeak-Ratelimit-Remaining"))


def hset(redis, key, field, value):
    harness.redis_command(redis.port, "HSET", key, field, value)


class Monitor:
    """The commands Redis runs meanwhile (MONITOR), as text lines."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"*1\r\n$7\r\nMONITOR\r\n")
        self.buf = b""
        while b"+OK\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        self.buf = self.buf.split(b"+OK\r\n", 1)[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return
            self.buf += chunk

    def lines(self):
        time.sleep(0.3)  # the last commands reach the monitor
        self.stop.set()
        self.thread.join()
        self.sock.close()
        return [l.decode("utf-8", "replace") for l in self.buf.split(b"\r\n") if l]


def evalshas_of(lines, key_hash, tenant):
    """The EVALSHAs that served this key's request: the identity read names
    ss:apikey:<hash>; speak_admit names the tenant's keys."""
    return [l for l in lines if '"EVALSHA"' in l.upper() and (key_hash in l or f":{tenant}" in l)]


def test_a_repeated_speak_is_one_evalsha_counted_once(redis, gateway, node, tenant):
    _, key, _ = user_and_key(redis, tenant)
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    mon = Monitor(redis.port)
    first = speak(gateway, key)
    first_lines = evalshas_of(mon.lines(), key_hash, tenant)
    assert first.status == 200, first
    assert len(first_lines) == 2, first_lines  # the identity read, then speak_admit
    mon = Monitor(redis.port)
    second = speak(gateway, key)
    lines = evalshas_of(mon.lines(), key_hash, tenant)
    assert second.status == 200, second
    assert len(lines) == 1, lines  # speak_admit only, verifying the cached identity
    assert key_hash in lines[0]
    assert remaining(second) == remaining(first) - 1, "a cached request is counted once"
    third = speak(gateway, key, "/v1/audio/speech")  # the OpenAI alias uses the same cache
    assert third.status in (200, 400, 422), third
    assert remaining(third) == remaining(second) - 1


def test_a_revoked_key_is_refused_on_the_next_speak(redis, gateway, node, tenant):
    _, key, key_id = user_and_key(redis, tenant)
    assert speak(gateway, key).status == 200
    assert speak(gateway, key).status == 200  # from the cache
    done = assert_ok(gateway.http.request("DELETE", f"/v1/api-keys/{key_id}",
                                          headers={"Authorization": f"Bearer {key}"}))
    assert done["revoked"] is True
    err = assert_error(speak(gateway, key), 401, "AUTH_TOKEN_INVALID")
    assert "revoked" in str(err)
    assert_error(speak(gateway, key), 401, "AUTH_TOKEN_INVALID")


def test_a_lost_permission_is_403_on_the_next_speak_and_counted_once(redis, gateway, node, tenant):
    user, key, _ = user_and_key(redis, tenant)
    speak(gateway, key)
    before = speak(gateway, key)  # cached
    assert before.status == 200, before
    hset(redis, f"ss:user:{user}", "grants", "")
    denied = speak(gateway, key)
    assert_error(denied, 403, "AUTHZ_PERMISSION_DENIED")
    assert remaining(denied) == remaining(before) - 1, "the re-run is counted once"
    denied_again = speak(gateway, key)
    assert_error(denied_again, 403, "AUTHZ_PERMISSION_DENIED")
    assert remaining(denied_again) == remaining(denied) - 1
    hset(redis, f"ss:user:{user}", "grants", "scaispeak:synthesize")
    again = speak(gateway, key)  # a cached caller that would be refused is read again first
    assert again.status == 200, again


def test_a_role_change_is_seen_on_the_next_speak(redis, gateway, node, tenant):
    user, key, _ = user_and_key(redis, tenant, role="tenant_admin", grants="")
    assert speak(gateway, key).status == 200
    assert speak(gateway, key).status == 200
    hset(redis, f"ss:user:{user}", "role", "tenant_viewer")
    assert_error(speak(gateway, key), 403, "AUTHZ_PERMISSION_DENIED")


def test_edited_user_and_tenant_hashes_are_read_again(redis, gateway, node, tenant):
    user, key, _ = user_and_key(redis, tenant)
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    assert speak(gateway, key).status == 200
    assert speak(gateway, key).status == 200
    hset(redis, f"ss:tenant:{tenant}", "name", "renamed-" + os.urandom(2).hex())
    mon = Monitor(redis.port)
    resp = speak(gateway, key)
    lines = evalshas_of(mon.lines(), key_hash, tenant)
    assert resp.status == 200, resp
    assert len(lines) == 3, lines  # refused check, identity read, speak_admit
    assert "identity changed in Redis; reading it again" in gateway.proc.log_text() or \
        "changed in Redis; reading it again" in gateway.proc.log_text()
    other = admin(redis, "create-tenant", "--name", "o-" + os.urandom(3).hex())[0]
    hset(redis, f"ss:user:{user}", "tenant_id", other)  # the key's tenant is no longer its user's
    assert_error(speak(gateway, key), 401, "AUTH_TOKEN_INVALID")


def test_a_bad_body_from_a_cached_caller_is_answered_as_uncached(redis, gateway, node, tenant):
    _, key, key_id = user_and_key(redis, tenant)
    assert speak(gateway, key).status == 200
    assert speak(gateway, key).status == 200
    admin(redis, "revoke-key", "--key-id", key_id)
    resp = gateway.http.request("POST", SPEAK, json_body={"text": ""},
                                headers={"Authorization": f"Bearer {key}"})
    assert_error(resp, 401, "AUTH_TOKEN_INVALID")


def test_a_request_run_again_reports_its_instructions_once(redis, gateway, node, tenant):
    _, key, _ = user_and_key(redis, tenant)
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT["text"], "instructions": "Speak slowly.",
            "response_format": "wav"}
    say = lambda: gateway.http.request("POST", "/v1/audio/speech", json_body=body,
                                       headers={"Authorization": f"Bearer {key}"})
    assert say().status == 200
    hset(redis, f"ss:tenant:{tenant}", "name", "renamed-" + os.urandom(2).hex())  # the cached identity is stale
    mark = len(gateway.proc.log_text())
    resp = say()
    assert resp.status == 200, resp
    assert len(resp.headers.get_all("X-Scaispeak-Instructions-Understood") or []) == 1, resp.headers
    rid = resp.header("X-Request-Id")
    log = gateway.proc.log_text()[mark:]
    assert "changed in Redis; reading it again" in log
    understood = [l for l in log.splitlines() if "instructions understood" in l and rid in l]
    assert len(understood) == 1, understood
