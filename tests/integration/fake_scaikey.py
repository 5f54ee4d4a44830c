"""A small stand-in for ScaiKey's signing side: key pairs, a JWKS served over
HTTP (GET /.well-known/jwks.json, counting fetches) and token minting, using
python3-cryptography (independent of our C code, which must verify them)."""
import base64
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


class JwksServer:
    """Serves {"keys": [...]} of the keys in self.keys; self.fetches counts GETs."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.fetches = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
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
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
