// One WebRTC session from a real browser: headless Debian chromium driven
// by playwright-core. Usage: node browser_session.mjs plan.json
//   plan: {origin, key, voice_id, text, chromium}
// The page (loaded from the gateway's origin, so its fetches are same-origin)
// makes an RTCPeerConnection with a recvonly audio transceiver, POSTs the
// offer, trickles its ICE candidates to .../{id}/ice, sets the answer, opens
// control_url, sends the text and `close`, records the remote track with
// MediaRecorder (webm/opus) until `closed` plus a second, and reads the
// inbound-rtp stats. Prints one JSON line: timings, messages, stats and the
// recording (base64).
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const args = [
  "--use-fake-ui-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
  // plain host candidates (no mDNS .local names): libnice can reach them
  "--disable-features=WebRtcHideLocalIpsWithMdns",
];
if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
const browser = await chromium.launch({ executablePath: plan.chromium, headless: true, args });
try {
  const page = await browser.newPage();
  page.on("console", (m) => process.stderr.write(`page: ${m.text()}\n`));
  await page.goto(plan.origin + "/v1/modules/scaispeak/healthz");
  const result = await page.evaluate(async (plan) => {
    const base = "/v1/modules/scaispeak/stream/speak/webrtc/sessions";
    const auth = { Authorization: "Bearer " + plan.key };
    const pc = new RTCPeerConnection();
    pc.addTransceiver("audio", { direction: "recvonly" });
    const track = new Promise((resolve) => (pc.ontrack = (e) => resolve(e.track)));
    let sessionId = null;
    const early = [];
    const iceStatuses = [];
    const trickle = async (c) => {
      const r = await fetch(`${base}/${sessionId}/ice`, {
        method: "POST", headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ candidate: c.candidate, sdp_mline_index: c.sdpMLineIndex }),
      });
      iceStatuses.push(r.status);
    };
    pc.onicecandidate = (e) => {
      if (!e.candidate) return;
      if (sessionId) trickle(e.candidate); else early.push(e.candidate);
    };
    await pc.setLocalDescription(await pc.createOffer());
    const t0 = performance.now();
    const resp = await fetch(base, {
      method: "POST", headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ voice_id: plan.voice_id, sdp_offer: pc.localDescription.sdp }),
    });
    const created = await resp.json();
    const answerMs = performance.now() - t0;
    if (resp.status !== 201) return { status: resp.status, body: created };
    sessionId = created.data.session_id;
    for (const c of early) await trickle(c);
    await pc.setRemoteDescription({ type: "answer", sdp: created.data.sdp_answer });
    const remote = new MediaStream([await track]);
    const audio = new Audio();
    audio.srcObject = remote; // Chromium decodes remote audio only for a sink
    audio.play().catch(() => {});
    const chunks = [];
    const rec = new MediaRecorder(remote, { mimeType: "audio/webm;codecs=opus" });
    rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    rec.start(100);
    const connected = await new Promise((resolve) => {
      const done = () => ["connected", "failed"].includes(pc.connectionState) && resolve(pc.connectionState);
      pc.onconnectionstatechange = done;
      done();
      setTimeout(() => resolve(pc.connectionState), 10000);
    });
    const inbound = async () => {
      const stats = await pc.getStats();
      let rtp = null, codec = null;
      stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") rtp = s; });
      if (rtp && rtp.codecId) codec = stats.get(rtp.codecId);
      return { rtp, codec };
    };
    const url = created.data.control_url + (created.data.control_url.includes("?") ? "&" : "?") +
      "token=" + encodeURIComponent(plan.key);
    const messages = [];
    let textSentAt = 0, firstPacketMs = null;
    const poll = setInterval(async () => {
      if (!textSentAt || firstPacketMs !== null) return;
      const { rtp } = await inbound();
      if (rtp && rtp.packetsReceived > 0) firstPacketMs = performance.now() - textSentAt;
    }, 10);
    const closeCode = await new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        messages.push(m);
        if (m.type === "ready") {
          textSentAt = performance.now();
          ws.send(JSON.stringify({ type: "text", delta: plan.text }));
          ws.send(JSON.stringify({ type: "close" }));
        }
      };
      ws.onclose = (e) => resolve(e.code);
      setTimeout(() => resolve(-1), 60000);
    });
    await new Promise((r) => setTimeout(r, 1500)); // the last packets play out
    clearInterval(poll);
    const { rtp, codec } = await inbound();
    const stopped = new Promise((r) => (rec.onstop = r));
    rec.stop();
    await stopped;
    const blob = new Blob(chunks, { type: "audio/webm" });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const del = await fetch(`${base}/${sessionId}`, { method: "DELETE", headers: auth });
    pc.close();
    return {
      status: 201, answer_ms: answerMs, first_packet_ms: firstPacketMs, connected, close_code: closeCode,
      messages, ice_statuses: iceStatuses, delete_status: del.status,
      control_url: created.data.control_url,
      rtp: rtp && { packetsReceived: rtp.packetsReceived, packetsLost: rtp.packetsLost,
                    totalSamplesReceived: rtp.totalSamplesReceived, concealedSamples: rtp.concealedSamples,
                    jitter: rtp.jitter },
      codec: codec && { mimeType: codec.mimeType, clockRate: codec.clockRate, payloadType: codec.payloadType },
      recording_b64: btoa(bin),
    };
  }, plan);
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await browser.close();
}
