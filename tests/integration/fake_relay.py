"""A stand-in for backend B: a small real HTTP server speaking the
OpenAI-compatible TTS relay protocol, independent of our C code.

    POST /v1/audio/speech  bearer key checked (401 otherwise); JSON body
                           {model, input, voice, response_format?, speed?}
                           validated (400 with OpenAI's {"error":{...}}); answers
                           real audio: wav and pcm made here (python `wave`),
                           flac/mp3 by sox, opus (Ogg Opus) by opusenc.
    GET  /v1/models        bearer key checked; {"object":"list","data":[...]}

Knobs (attributes, change them at any time):
    key          the accepted bearer key
    slow_s       sleep this long before answering (both endpoints)
    fail_status  answer every request with this status (e.g. 500) instead
    fail_paths   None (every path), or the set of paths fail_status applies
                 to: {"/v1/audio/speech"} fails speech while the gateway's
                 probes (GET /v1/models) still see a healthy relay
    drop         accept, read the request, then close without an answer
    chunk_delay_s  speech body sent in 4 chunks with this pause between them
    down()/up()  close the listening socket and cut open connections (new
                 ones are refused) / listen again on the same port
Counters: calls[path] (every request, before any check), requests (a list of
{path, headers, json}), both guarded by a lock.
"""
import http.server
import io
import json
import math
import os
import shutil
import socket
import socketserver
import struct
import subprocess
import tempfile
import threading
import time
import wave

SAMPLE_RATE = 24000
FORMATS = ("wav", "mp3", "opus", "flac", "pcm")
CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "opus": "audio/ogg",
                 "flac": "audio/flac", "pcm": "audio/pcm"}
MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")


def sine_pcm(seconds=0.5, freq=440.0, rate=SAMPLE_RATE):
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate)))
                    for i in range(n))


def wav_bytes(pcm, rate=SAMPLE_RATE):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def encode(fmt, seconds=0.5):
    """Real audio bytes in `fmt`, or None when no encoder is installed."""
    pcm = sine_pcm(seconds)
    if fmt == "pcm":
        return pcm
    wav = wav_bytes(pcm)
    if fmt == "wav":
        return wav
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.wav"), os.path.join(d, "out." + fmt)
        with open(src, "wb") as f:
            f.write(wav)
        if fmt == "opus":
            if not shutil.which("opusenc"):
                return None
            cmd = ["opusenc", "--quiet", src, dst]
        else:
            if not shutil.which("sox"):
                return None
            cmd = ["sox", src, dst]
        if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            return None
        with open(dst, "rb") as f:
            return f.read()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a client that goes away mid-answer (timeout, cancel) is expected
        pass


class FakeRelay:
    def __init__(self, key="relay-test-key", port=0):
        self.key = key
        self.slow_s = 0.0
        self.fail_status = None
        self.fail_paths = None
        self.drop = False
        self.chunk_delay_s = 0.0
        self.lock = threading.Lock()
        self.calls = {}
        self.requests = []
        self._audio = {}
        self._conns = set()
        self._port = port
        self._server = None
        self._thread = None

    # lifecycle
    def start(self):
        return self.up()

    def up(self):
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # quiet
                pass

            def setup(self):
                super().setup()
                with relay.lock:
                    relay._conns.add(self.connection)

            def finish(self):
                with relay.lock:
                    relay._conns.discard(self.connection)
                super().finish()

            def do_GET(self):
                relay._handle(self, "GET")

            def do_POST(self):
                relay._handle(self, "POST")

        self._server = _Server(("127.0.0.1", self._port), Handler)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self):
        """Stops listening AND cuts the kept-alive connections, as a relay
        that went away would."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    stop = down

    @property
    def port(self):
        return self._port

    @property
    def url(self):
        return f"http://127.0.0.1:{self._port}"

    def count(self, path):
        with self.lock:
            return self.calls.get(path, 0)

    def audio(self, fmt):
        if fmt not in self._audio:
            self._audio[fmt] = encode(fmt)
        return self._audio[fmt]

    # protocol
    def _handle(self, h, method):
        path = h.path.split("?", 1)[0]
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length > 0 else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        with self.lock:
            self.calls[path] = self.calls.get(path, 0) + 1
            self.requests.append({"method": method, "path": path, "headers": dict(h.headers),
                                  "json": body if body is not ValueError else None})
        if self.slow_s:
            time.sleep(self.slow_s)
        if self.drop:
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.fail_status and (self.fail_paths is None or path in self.fail_paths):
            return self._error(h, self.fail_status, "the relay failed (test knob)", "server_error")
        if h.headers.get("Authorization") != f"Bearer {self.key}":
            return self._error(h, 401, "Incorrect API key provided", "invalid_request_error",
                               "invalid_api_key")
        if method == "GET" and path == "/v1/models":
            return self._json(h, 200, {"object": "list", "data": [
                {"id": m, "object": "model", "owned_by": "fake-relay"} for m in MODELS]})
        if method == "POST" and path == "/v1/audio/speech":
            return self._speech(h, body)
        return self._error(h, 404, f"no route {method} {path}", "invalid_request_error")

    def _speech(self, h, body):
        if body is ValueError or not isinstance(body, dict):
            return self._error(h, 400, "body must be a JSON object", "invalid_request_error")
        for field in ("model", "input", "voice"):
            v = body.get(field)
            if not isinstance(v, str) or not v:
                return self._error(h, 400, f"'{field}' is required (non-empty string)",
                                   "invalid_request_error", param=field)
        if body["model"] not in MODELS:
            return self._error(h, 400, f"unknown model {body['model']!r}", "invalid_request_error",
                               param="model")
        if len(body["input"]) > 4096:
            return self._error(h, 400, "input longer than 4096 characters", "invalid_request_error",
                               param="input")
        fmt = body.get("response_format", "mp3")
        if fmt not in FORMATS:
            return self._error(h, 400, f"unsupported response_format {fmt!r}", "invalid_request_error",
                               param="response_format")
        speed = body.get("speed", 1.0)
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0:
            return self._error(h, 400, "speed must be a number in 0.25..4.0", "invalid_request_error",
                               param="speed")
        data = self.audio(fmt)
        if data is None:
            return self._error(h, 400, f"unsupported response_format {fmt!r} (no encoder)",
                               "invalid_request_error", param="response_format")
        h.send_response(200)
        h.send_header("Content-Type", CONTENT_TYPES[fmt])
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if not self.chunk_delay_s:
            h.wfile.write(data)
            return
        step = (len(data) + 3) // 4
        for i in range(0, len(data), step):
            h.wfile.write(data[i:i + step])
            h.wfile.flush()
            time.sleep(self.chunk_delay_s)

    @staticmethod
    def _json(h, status, obj):
        data = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _error(self, h, status, message, type_, code=None, param=None):
        self._json(h, status, {"error": {"message": message, "type": type_, "param": param,
                                         "code": code}})
