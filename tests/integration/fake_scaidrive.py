"""A small stand-in for ScaiDrive, the platform's file service, in plain
Python stdlib (+ fake_scaikey's verification, python3-cryptography).

Protocol (what gateway/scaidrive_client.h speaks):
  GET  /api/v1/shares                  -> {items:[{share_id,name}], next_cursor:null}
  GET  /api/v1/shares/{id}/folders     -> {items:[{folder_id,name,parent_id}], next_cursor:null}
  POST /api/v1/files  multipart/form-data: share_id, folder_id (absent: root),
       name, overwrite ("true"/"false", default false), file
       -> 201 {file_id, share_id, folder_id, name, size, version, content_type, sha256}
          (a new file), or 200 with version+1 when the name exists and
          overwrite is true; 409 {"error":{"code":"name_conflict",...}} when it
          exists and overwrite is false.
Errors are {"error":{"code","message"}}. Every call needs
Authorization: Bearer <a token the fake ScaiKey issued> with aud "scaidrive"
and the scope the call needs (files:read to list, files:write to upload):
401 without a valid, unexpired token, 403 without the scope or for a share
of another tenant. State: self.shares {share_id: {name, tenant, folders
{folder_id: name}}} and self.files [{file_id, share_id, folder_id, name,
versions:[bytes...], content_type}]."""
import email.parser
import email.policy
import hashlib
import http.server
import json
import re
import threading

import fake_scaikey as fk


class ScaiDrive:
    def __init__(self, exchange, tenant="tn_jwt"):
        self.exchange = exchange   # fake_scaikey.Exchange: its issuer key signs our tokens
        self.shares = {"shr_team": {"name": "Team", "tenant": tenant,
                                    "folders": {"fld_audio": "Audio", "fld_drafts": "Drafts"}},
                       "shr_other": {"name": "Someone else's", "tenant": "tn_other", "folders": {}}}
        self.files = []
        self.requests = []         # (method, path, Authorization) of every call
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def error(self, status, code, message):
                self.answer(status, {"error": {"code": code, "message": message}})

            def caller(self, scope):
                """The token's claims, or None after answering 401/403."""
                outer.requests.append((self.command, self.path, self.headers.get("Authorization")))
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer "):
                    self.error(401, "unauthenticated", "a bearer token is required")
                    return None
                try:
                    claims = fk.verify(auth[7:], [outer.exchange.issuer_key])
                except ValueError as e:
                    self.error(401, "invalid_token", str(e))
                    return None
                if claims.get("aud") != "scaidrive":
                    self.error(401, "invalid_token", "the token is not for ScaiDrive")
                    return None
                if scope not in claims.get("scope", "").split():
                    self.error(403, "insufficient_scope", f"the token lacks {scope}")
                    return None
                return claims

            def share_of(self, claims, share_id):
                share = outer.shares.get(share_id)
                if share is None:
                    self.error(404, "share_not_found", f"no share {share_id}")
                    return None
                if share["tenant"] != claims.get("tenant_id"):
                    self.error(403, "forbidden", "that share is not yours")
                    return None
                return share

            def do_GET(self):
                claims = self.caller("files:read")
                if claims is None:
                    return
                if self.path == "/api/v1/shares":
                    items = [{"share_id": k, "name": v["name"]} for k, v in outer.shares.items()
                             if v["tenant"] == claims.get("tenant_id")]
                    self.answer(200, {"items": items, "next_cursor": None})
                    return
                m = re.fullmatch(r"/api/v1/shares/([^/]+)/folders", self.path)
                if not m:
                    self.error(404, "not_found", "no such route")
                    return
                share = self.share_of(claims, m.group(1))
                if share is not None:
                    items = [{"folder_id": k, "name": v, "parent_id": None} for k, v in share["folders"].items()]
                    self.answer(200, {"items": items, "next_cursor": None})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                claims = self.caller("files:write")
                if claims is None:
                    return
                if self.path != "/api/v1/files":
                    self.error(404, "not_found", "no such route")
                    return
                ctype = self.headers.get("Content-Type", "")
                if not ctype.startswith("multipart/form-data"):
                    self.error(400, "bad_request", "multipart/form-data expected")
                    return
                msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
                fields, file_part = {}, None
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if name == "file":
                        file_part = part
                    else:
                        fields[name] = part.get_payload(decode=True).decode()
                if file_part is None or not fields.get("share_id") or not fields.get("name"):
                    self.error(400, "bad_request", "share_id, name and file are required")
                    return
                share = self.share_of(claims, fields["share_id"])
                if share is None:
                    return
                folder = fields.get("folder_id")
                if folder is not None and folder not in share["folders"]:
                    self.error(404, "folder_not_found", f"no folder {folder} in {fields['share_id']}")
                    return
                data = file_part.get_payload(decode=True)
                overwrite = fields.get("overwrite", "false") == "true"
                with outer.lock:
                    existing = next((f for f in outer.files if f["share_id"] == fields["share_id"]
                                     and f["folder_id"] == folder and f["name"] == fields["name"]), None)
                    if existing and not overwrite:
                        self.error(409, "name_conflict",
                                   f"a file named {fields['name']!r} exists in that folder")
                        return
                    if existing:
                        existing["versions"].append(data)
                        f, status = existing, 200
                    else:
                        f = {"file_id": f"fil_{len(outer.files) + 1}", "share_id": fields["share_id"],
                             "folder_id": folder, "name": fields["name"], "versions": [data],
                             "content_type": file_part.get_content_type()}
                        outer.files.append(f)
                        status = 201
                self.answer(status, {"file_id": f["file_id"], "share_id": f["share_id"],
                                     "folder_id": f["folder_id"], "name": f["name"], "size": len(data),
                                     "version": len(f["versions"]), "content_type": f["content_type"],
                                     "sha256": hashlib.sha256(data).hexdigest()})

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
