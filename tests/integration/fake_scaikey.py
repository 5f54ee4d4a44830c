"""A small stand-in for ScaiKey's signing side: key pairs, a JWKS served over
HTTP (GET /.well-known/jwks.json, counting fetches) and token minting, using
python3-cryptography (independent of our C code, which must verify them).

With an Exchange config it also plays ScaiKey's OAuth token endpoint
(POST /oauth/token) for the RFC 8693 token exchange: client authentication
by HTTP Basic (RFC 6749 §2.3.1, form-url-encoded id and secret), the
subject token's signature, issuer and expiry checked against its own keys
(no leeway), the audience and scopes checked against what the client may
ask; the answer is RFC 8693's {access_token, issued_token_type,
token_type, expires_in, scope}, the token a JWT signed by its issuer key;
refusals are OAuth error bodies {error, error_description} (400
invalid_request / invalid_grant / invalid_target / invalid_scope /
unsupported_grant_type, 401 invalid_client)."""
import base64
import urllib.parse
import http.server
import json
import threading
import time

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://scaikey.test"
AUDIENCE = "scaispeak"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64u(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(length, "big"))


class Key:
    def __init__(self, kid, alg="RS256"):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.priv = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        pub = self.priv.public_key().public_numbers()
        if self.alg == "RS256":
            return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "n": int_b64u(pub.n),
                    "e": int_b64u(pub.e)}
        return {"kty": "EC", "kid": self.kid, "crv": "P-256", "x": int_b64u(pub.x, 32),
                "y": int_b64u(pub.y, 32)}

    def public_pem(self):
        return self.priv.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, signing_input):
        if self.alg == "RS256":
            return self.priv.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.priv.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def claims(sub="usr_jwt", tenant="tn_jwt", role="tenant_user", ttl=600, **extra):
    now = int(time.time())
    c = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "tenant_id": tenant, "role": role,
         "iat": now, "nbf": now, "exp": now + ttl}
    c.update(extra)
    return c


def mint(key, payload, header=None):
    hdr = {"alg": key.alg, "typ": "JWT", "kid": key.kid}
    hdr.update(header or {})
    signing_input = (b64u(json.dumps(hdr).encode()) + "." +
                     b64u(json.dumps(payload).encode())).encode()
    return signing_input.decode() + "." + b64u(key.sign(signing_input))


def mint_unsigned(payload, kid):
    hdr = {"alg": "none", "typ": "JWT", "kid": kid}
    return b64u(json.dumps(hdr).encode()) + "." + b64u(json.dumps(payload).encode()) + "."


def mint_hs256_with_public_key(key, payload):
    """The classic confusion attack: HMAC keyed with the public key's PEM."""
    hdr = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = (b64u(json.dumps(hdr).encode()) + "." +
                     b64u(json.dumps(payload).encode())).encode()
    h = hmac.HMAC(key.public_pem(), hashes.SHA256())
    h.update(signing_input)
    return signing_input.decode() + "." + b64u(h.finalize())


GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:access_token")


class Exchange:
    """What the token endpoint allows: the client's credentials, the audiences
    it may ask for, the scopes it may be granted, the lifetime of a token."""

    def __init__(self, client_id="scaispeak", client_secret="itest-client-secret",
                 audiences=("scaidrive",), scopes=("files:write", "files:read"), lifetime_s=300):
        self.client_id, self.client_secret = client_id, client_secret
        self.audiences, self.scopes, self.lifetime_s = set(audiences), set(scopes), lifetime_s
        self.issuer_key = Key("exchange-1")
        self.calls = []   # the form of every exchange asked


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify(token, keys, issuer=ISSUER, now=None):
    """The claims of a JWT signed by one of keys, or raises ValueError(reason)."""
    try:
        head_b, payload_b, sig_b = token.split(".")
        head = json.loads(b64u_decode(head_b))
        payload = json.loads(b64u_decode(payload_b))
        sig = b64u_decode(sig_b)
    except Exception:
        raise ValueError("the token is not a JWT")
    key = next((k for k in keys if k.kid == head.get("kid")), None)
    if key is None or head.get("alg") != key.alg:
        raise ValueError("the token's key is unknown")
    pub = key.priv.public_key()
    signing_input = (head_b + "." + payload_b).encode()
    try:
        if key.alg == "RS256":
            pub.verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            pub.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except Exception:
        raise ValueError("the token's signature is invalid")
    if payload.get("iss") != issuer:
        raise ValueError("the token's issuer is not this ScaiKey")
    if not isinstance(payload.get("exp"), int) or payload["exp"] <= (now or time.time()):
        raise ValueError("the token has expired")
    return payload


def _exchange(outer, headers, body):
    """(status, answer) of one POST /oauth/token."""
    ex = outer.exchange
    form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
    ex.calls.append(form)

    def oauth_error(status, error, description):
        return status, {"error": error, "error_description": description}

    auth = headers.get("Authorization", "")
    try:
        scheme, cred = auth.split(" ", 1)
        cid, secret = base64.b64decode(cred).decode().split(":", 1)
        cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
    except Exception:
        return oauth_error(401, "invalid_client", "client authentication (HTTP Basic) is required")
    if scheme.lower() != "basic" or cid != ex.client_id or secret != ex.client_secret:
        return oauth_error(401, "invalid_client", "unknown client or wrong secret")
    if form.get("grant_type") != GRANT_TOKEN_EXCHANGE:
        return oauth_error(400, "unsupported_grant_type", "only token exchange is supported here")
    if not form.get("subject_token") or form.get("subject_token_type") not in TOKEN_TYPES:
        return oauth_error(400, "invalid_request", "subject_token and a JWT subject_token_type are required")
    try:
        subject = verify(form["subject_token"], outer.keys)
    except ValueError as e:
        return oauth_error(400, "invalid_grant", f"subject token rejected: {e}")
    audience = form.get("audience", "")
    if audience not in ex.audiences:
        return oauth_error(400, "invalid_target", f"audience {audience!r} is not allowed for this client")
    asked = form.get("scope", "").split()
    missing = [sc for sc in asked if sc not in ex.scopes]
    if not asked or missing:
        return oauth_error(400, "invalid_scope", f"scope {' '.join(missing) or '(none)'} cannot be granted")
    now = int(time.time())
    claims_out = {"iss": ISSUER, "aud": audience, "sub": subject.get("sub"),
                  "tenant_id": subject.get("tenant_id"), "scope": " ".join(asked),
                  "client_id": cid, "iat": now, "exp": now + ex.lifetime_s}
    return 200, {"access_token": mint(ex.issuer_key, claims_out),
                 "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                 "token_type": "Bearer", "expires_in": ex.lifetime_s, "scope": " ".join(asked)}


class JwksServer:
    """Serves {"keys": [...]} of the keys in self.keys; self.fetches counts GETs.
    With exchange (an Exchange), POST /oauth/token does the token exchange;
    self.token_url is its address."""

    def __init__(self, keys, exchange=None):
        self.keys = list(keys)
        self.fetches = 0
        self.exchange = exchange
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/oauth/token" or outer.exchange is None:
                    self.send_error(404)
                    return
                status, answer = _exchange(outer, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path != "/.well-known/jwks.json":
                    self.send_error(404)
                    return
                outer.fetches += 1
                body = json.dumps({"keys": [k.jwk() for k in outer.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.token_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oauth/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
