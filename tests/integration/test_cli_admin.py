"""`scaispeak admin` for a newcomer (issue 16, point 6): help without Redis,
revoke-key says what it did, and the shell next to `make run` needs no
exported password (var/redis_password is read when Redis asks for one)."""

import os
import subprocess

import harness
from harness import SLOW, wait_for


def cli(*args, env=None, cwd=None):
    return subprocess.run([harness.binary("scaispeak"), *args], capture_output=True, text=True,
                          timeout=30 * SLOW, cwd=cwd,
                          env=harness.child_env(env or {"SCAISPEAK_REDIS_PORT": "1"}))


def test_help_needs_no_redis():
    for args in (("--help",), ("admin", "--help"), ("admin", "-h"), ("admin", "revoke-key", "--help")):
        p = cli(*args)
        assert p.returncode == 0, (args, p.returncode, p.stderr)
        assert "usage: scaispeak" in p.stdout, (args, p.stdout)
        assert "redis" not in p.stderr.lower(), (args, p.stderr)
    p = cli("admin", "no-such-command")
    assert p.returncode == 2 and "unknown command 'no-such-command'" in p.stderr, p.stderr
    assert "cannot reach redis" not in p.stderr, p.stderr


def test_unreachable_redis_says_where_it_looked():
    p = cli("admin", "create-tenant", "--name", "x")
    assert p.returncode == 1, p
    assert "cannot reach redis 127.0.0.1:1" in p.stderr and "SCAISPEAK_REDIS_PORT" in p.stderr, p.stderr


def test_revoke_key_says_what_it_did(gateway, redis):
    env = {"SCAISPEAK_REDIS_PORT": str(redis.port)}
    tenant = cli("admin", "create-tenant", "--name", "t-revoke", env=env).stdout.split()[0]
    user = cli("admin", "create-user", "--tenant", tenant, "--role", "tenant_admin",
               env=env).stdout.split()[0]
    key, key_id = cli("admin", "create-key", "--user", user, env=env).stdout.split()[:2]
    assert gateway.http.get("/v1/me", token=key).status == 200

    p = cli("admin", "revoke-key", "--key-id", key_id, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"revoked key {key_id} at "), p.stdout
    wait_for(lambda: gateway.http.get("/v1/me", token=key).status == 401, 5 * SLOW,
             what="the revoked key refused")

    p = cli("admin", "revoke-key", "--key-id", key_id, env=env)
    assert p.returncode == 0, p.stderr
    assert f"key {key_id} was already revoked at " in p.stdout and "nothing changed" in p.stdout, p.stdout

    p = cli("admin", "revoke-key", "--key-id", "key_doesnotexist", env=env)
    assert p.returncode == 1, p
    assert "no such key id: key_doesnotexist (nothing revoked)" in p.stderr, p.stderr


def test_make_run_password_read_from_var(procs, tmp_path):
    port = harness.free_port()
    pw = "itest-" + os.urandom(8).hex()
    r = procs.spawn("redis-auth", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                   "--save", "", "--requirepass", pw], harness.child_env({}))
    wait_for(lambda: r.alive() and harness.tcp_open(port), 10 * SLOW, what="redis with a password")
    env = {"SCAISPEAK_REDIS_PORT": str(port)}
    # no password anywhere: said so, with where one is looked for (not Redis's protocol error)
    p = cli("admin", "create-tenant", "--name", "t-noauth", env=env, cwd=str(tmp_path))
    assert p.returncode == 1 and "Redis asks for a password and none is set" in p.stderr, p.stderr
    assert "SCAISPEAK_REDIS_PASSWORD" in p.stderr and "var/redis_password" in p.stderr, p.stderr
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "redis_password").write_text(pw + "\n")
    p = cli("admin", "create-tenant", "--name", "t-var", env=env, cwd=str(tmp_path))
    assert p.returncode == 0 and p.stdout.startswith("tn_"), p.stderr
    # a configured password wins, and a wrong one is an error, not a fallback
    p = cli("admin", "create-tenant", "--name", "t-wrong",
            env={**env, "SCAISPEAK_REDIS_PASSWORD": "wrong"}, cwd=str(tmp_path))
    assert p.returncode == 1 and "refused the password from redis_password" in p.stderr, p.stderr
