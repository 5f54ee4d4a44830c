"""Every answer of the gateway that the integration tests read is checked
against docs/openapi.json, the document the gateway serves.

check(method, path, status, headers, body) finds the document's operation
(path template + method), the response for the status and its content type,
and validates a JSON body against the response's schema with Debian's
python3-jsonschema (OpenAPI 3.1 schemas are JSON Schema 2020-12; $refs are
resolved inside the document). A mismatch raises AssertionError naming the
route, the status, the document pointer of the schema and the failing part.

Rules beyond the schemas:
* an answer to a path the document does not have must be an error envelope
  whose code belongs to its HTTP status (unknown routes: 404 ROUTE_NOT_FOUND);
  so must an answer to a documented path with an undocumented method (405);
* a success answer to a path or method the document lacks fails: the route
  is missing from the document;
* a status the operation does not list fails (the document says which
  statuses each route can answer);
* a non-JSON answer must have one of the operation's content types.

Counts: `counts()` gives the JSON answers validated and all answers checked
(conftest.py prints them at the end of the run).
"""

import json
import os
import re
import threading
import warnings

import jsonschema

DOC_PATH = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.json"))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

_lock = threading.Lock()  # RefResolver keeps a scope stack: one validation at a time
_state = {"doc": None, "routes": None, "resolver": None, "validators": {}, "json": 0, "all": 0}


def document():
    if _state["doc"] is None:
        with open(DOC_PATH, encoding="utf-8") as f:
            _state["doc"] = json.load(f)
    return _state["doc"]


def _routes():
    """[(regex, template, literal segment count)] for the document's paths."""
    if _state["routes"] is None:
        out = []
        for tpl in document()["paths"]:
            segs = tpl.strip("/").split("/")
            rx = "^/" + "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segs)
            rx += "/$" if tpl.endswith("/") else "$"  # the admin page's .../admin/ keeps its slash
            out.append((re.compile(rx), tpl, sum(not s.startswith("{") for s in segs)))
        _state["routes"] = out
    return _state["routes"]


def template_of(path):
    """The document path template a request path falls under, or None
    (literal segments win over {placeholders})."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    hits = [(lit, tpl) for rx, tpl, lit in _routes() if rx.match(path)]
    return max(hits)[1] if hits else None


def _pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"openapi: external $ref {ref} not supported"
        node = document()
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _validator(pointer):
    v = _state["validators"].get(pointer)
    if v is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if _state["resolver"] is None:
                _state["resolver"] = jsonschema.RefResolver.from_schema(document())
            v = jsonschema.Draft202012Validator({"$ref": pointer}, resolver=_state["resolver"])
        _state["validators"][pointer] = v
    return v


def _validate(value, pointer, where):
    with _lock:
        errors = list(_validator(pointer).iter_errors(value))
    if not errors:
        return
    e = jsonschema.exceptions.best_match(errors)
    at = "/".join(str(p) for p in e.absolute_path) or "(the body)"
    raise AssertionError(
        f"OpenAPI: {where}: the answer does not match {pointer}\n"
        f"  at {at}: {e.message}\n"
        f"  failing schema keyword: {'/'.join(str(p) for p in e.absolute_schema_path)}\n"
        f"  body: {json.dumps(value)[:600]}")


def _media_type(ctype):
    return (ctype or "").split(";", 1)[0].strip().lower()


def _error_schema(status):
    name = f"ErrorEnvelope{status}"
    return _pointer("components", "schemas", name) if name in document()["components"]["schemas"] else None


def _parse_json(body, where):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise AssertionError(f"OpenAPI: {where}: Content-Type is JSON but the body is not ({e}): {body[:200]!r}")


def check(method, path, status, headers, body):
    """headers: anything with .get(name) (case-insensitive) or a dict of
    lower-case names. Raises AssertionError on a mismatch."""
    method = method.upper()
    get = headers.get if hasattr(headers, "get") else (lambda k: None)
    ctype = get("Content-Type") or get("content-type")
    mtype = _media_type(ctype)
    tpl = template_of(path)
    where = f"{method} {path.split('?', 1)[0]} -> HTTP {status}"
    if tpl is not None:
        where += f" (document path {tpl})"
    with _lock:
        _state["all"] += 1
    op_method = "get" if method == "HEAD" else method.lower()
    ops = document()["paths"].get(tpl, {}) if tpl else {}
    if op_method not in ops:
        # not a documented route: only an error envelope of the right status
        if status < 400:
            raise AssertionError(f"OpenAPI: {where}: a {'path' if tpl is None else 'method'} the document "
                                 f"does not have answered {status}: the route is missing from docs/openapi.json")
        schema = _error_schema(status)
        assert schema, f"OpenAPI: {where}: no error code has HTTP status {status}"
        if method != "HEAD":
            assert mtype == "application/json", f"OpenAPI: {where}: error answer with Content-Type {ctype!r}"
            _count_json()
            _validate(_parse_json(body, where), schema, where)
        return
    responses = ops[op_method]["responses"]
    if str(status) not in responses:
        raise AssertionError(f"OpenAPI: {where}: status {status} is not documented for this operation "
                             f"(documented: {', '.join(k for k in responses if k != 'default')})")
    resp = _resolve(responses[str(status)])
    content = resp.get("content") or {}
    if method == "HEAD" or status in (101, 204, 304):
        return
    if not content:
        return
    listed = {k.lower(): k for k in content}  # media types are case-insensitive (RFC 9110 §8.3.1)
    if mtype not in listed:
        raise AssertionError(f"OpenAPI: {where}: Content-Type {ctype!r} is not one the document lists "
                             f"({', '.join(content)})")
    mtype = listed[mtype]
    if mtype != "application/json":
        return
    name = responses[str(status)].get("$ref", "").rsplit("/", 1)[-1]
    pointer = (_pointer("components", "responses", name, "content", mtype, "schema") if name else
               _pointer("paths", tpl, op_method, "responses", str(status), "content", mtype, "schema"))
    _count_json()
    _validate(_parse_json(body, where), pointer, where)


def _count_json():
    with _lock:
        _state["json"] += 1


def counts():
    return _state["json"], _state["all"]
