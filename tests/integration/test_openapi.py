"""docs/openapi.json: the document the gateway serves, kept equal to the
gateway's route table and lint-clean.

* the route table of the real binary (scaispeak-gateway --print-routes) and
  the document's paths and methods are the same set, both ways;
* every error code of the binary's table (--print-error-codes) is in the
  document's ErrorCode enum, under its HTTP status (ErrorEnvelope<status>);
* GET /v1/modules/scaispeak/openapi.json answers the file byte for byte,
  without credentials, as application/json;
* `redocly lint` (npm @redocly/cli, installed by make deps) is clean.

Every other integration test validates the JSON answers it reads against the
document (openapi_check.py, called by harness.Http)."""

import json
import os
import subprocess

import harness
import openapi_check

OPENAPI = "/v1/modules/scaispeak/openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def binary_lines(flag):
    p = subprocess.run([harness.binary("scaispeak-gateway"), flag], capture_output=True, text=True, timeout=30,
                       env=harness.child_env({}))
    assert p.returncode == 0, (flag, p.returncode, p.stderr)
    return [line.split() for line in p.stdout.splitlines() if line.strip()]


def test_router_table_and_document_have_the_same_routes():
    """Both ways. An operation marked x-scaispeak-pending (specified in API.md,
    its route on another branch) may be missing from the table; once the
    table serves it the mark must go."""
    router = {(m.upper(), path) for m, path in binary_lines("--print-routes")}
    doc, pending = set(), set()
    for path, ops in openapi_check.document()["paths"].items():
        for m, op in ops.items():
            if m in METHODS:
                doc.add((m.upper(), path))
                if "x-scaispeak-pending" in op:
                    pending.add((m.upper(), path))
    assert router, "scaispeak-gateway --print-routes printed nothing"
    missing = sorted(router - doc)
    extra = sorted(doc - router - pending)
    served_but_marked = sorted(router & pending)
    assert not missing and not extra and not served_but_marked, (
        "docs/openapi.json and the gateway's route table (gateway/http_router.c) differ:\n"
        f"  routes the document lacks: {missing}\n"
        f"  document operations no route serves: {extra}\n"
        f"  served now, still marked x-scaispeak-pending (remove the mark): {served_but_marked}")


def test_every_error_code_is_documented_with_its_status():
    schemas = openapi_check.document()["components"]["schemas"]
    enum = set(schemas["ErrorCode"]["enum"])
    problems = []
    for code, status in binary_lines("--print-error-codes"):
        if code not in enum:
            problems.append(f"{code} is not in ErrorCode")
        per_status = schemas.get(f"ErrorEnvelope{status}")
        codes = per_status["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"] if per_status else []
        if code not in codes:
            problems.append(f"{code} is not under ErrorEnvelope{status}")
    assert not problems, "common/api_error.c and docs/openapi.json differ:\n  " + "\n  ".join(problems)


def test_the_gateway_serves_the_document_without_credentials(gateway):
    r = gateway.http.get(OPENAPI)
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/json", r.header("Content-Type")
    harness.assert_request_id(r)
    with open(openapi_check.DOC_PATH, "rb") as f:
        assert r.body == f.read(), "the served document differs from docs/openapi.json (rebuild the gateway)"
    assert json.loads(r.body)["openapi"].startswith("3.1")


def test_the_document_lints_clean():
    redocly = os.path.join(harness.REPO, "node_modules", ".bin", "redocly")
    assert os.path.exists(redocly), "npm @redocly/cli is missing: run `make deps` (npm ci)"
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true", NO_COLOR="1")
    p = subprocess.run([redocly, "lint", "--format=stylish", "--max-problems=50", "docs/openapi.json"],
                       cwd=harness.REPO, capture_output=True, text=True, timeout=120, env=env)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"redocly lint failed:\n{out}"
    assert "warning" not in out.lower().replace("deprecation warning", ""), f"redocly lint warnings:\n{out}"
