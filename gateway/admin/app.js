// The ScaiSpeak admin page's logic (gateway/admin/index.html): one plain ES
// module, no build step. It signs in with an API key or JWT (kept in
// sessionStorage only, sent as `Authorization: Bearer`), lists and creates
// voices (a clone's clips chosen as files or recorded with the microphone:
// MediaRecorder, decoded in the page and uploaded as WAV), speaks over the
// WebSocket with playback while the audio streams (PCM s16le through the
// Web Audio API) and word highlighting from the
// `alignment` frames, offers the ScaiDrive save, and polls the operator's
// node list. Counters on #speak-stats (data-*) let the browser test see
// what was received and played.
const MOD = "/v1/modules/scaispeak";
const TOKEN_KEY = "scaispeak.credential";
const SAMPLE_RATE = 24000;
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------ plumbing

function say(message, isError = false) {
  const s = $("status");
  s.textContent = message;
  s.classList.toggle("error", isError);
}

function credential() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

// One API call: {status, body} where body is the parsed JSON envelope (or
// null for an answer that is not JSON).
async function api(method, path, { json, form } = {}) {
  const headers = { Authorization: "Bearer " + credential() };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const resp = await fetch(path, { method, headers, body });
  let parsed = null;
  if ((resp.headers.get("Content-Type") || "").startsWith("application/json")) parsed = await resp.json();
  return { status: resp.status, body: parsed };
}

function errorText(r) {
  const e = r.body && r.body.error;
  return e ? `${e.code}: ${e.message}` : `HTTP ${r.status}`;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  row.appendChild(td);
  return td;
}

function definition(dl, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
  dl.append(dt, dd);
}

// ------------------------------------------------------------ sign in

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  const r = await api("GET", "/v1/me");
  if (r.status !== 200) {
    // the operator token is no user (/v1/me refuses it) but opens /v1/infra
    if (r.status === 401 && (await api("GET", "/v1/infra/nodes")).status === 200) return operatorSignedIn();
    sessionStorage.removeItem(TOKEN_KEY);
    say("Sign-in failed: " + errorText(r), true);
    return false;
  }
  const me = r.body.data;
  $("me-caller").textContent = `${me.caller.name || me.caller.user_id} (${me.caller.kind})`;
  $("me-tenant").textContent = me.tenant ? `${me.tenant.name || ""} ${me.tenant.tenant_id || ""}`.trim() : "";
  $("me-role").textContent = me.role;
  $("me").hidden = false;
  $("tabs").hidden = false;
  $("signout-button").hidden = false;
  showTab("voices");
  say(`Signed in as ${me.caller.name || me.caller.user_id}, role ${me.role}.`);
  return true;
}

function operatorSignedIn() {
  $("me-caller").textContent = "the operator token";
  $("me-tenant").textContent = "(none)";
  $("me-role").textContent = "operator";
  $("me").hidden = false;
  $("tabs").hidden = false;
  $("signout-button").hidden = false;
  showTab("operator");
  say("Signed in with the operator token: the Operator tab only.");
  return true;
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  $("me").hidden = true;
  $("tabs").hidden = true;
  $("signout-button").hidden = true;
  for (const p of document.querySelectorAll(".panel")) p.hidden = true;
  say("Signed out.");
}

// ------------------------------------------------------------ tabs

function showTab(name) {
  for (const t of ["voices", "speak", "operator"]) {
    $("tab-" + t).setAttribute("aria-pressed", String(t === name));
    $("panel-" + t).hidden = t !== name;
  }
  if (name === "operator") startPolling(); else stopPolling();
  if (name === "speak") loadVoiceChoices();
}

// ------------------------------------------------------------ voices

let voicesCursor = null;

function voicesQuery(cursor) {
  const q = new URLSearchParams();
  for (const id of ["f-language", "f-scope", "f-gender", "f-q", "f-limit"]) {
    const el = $(id);
    if (el.value) q.set(el.name, el.value);
  }
  if (cursor) q.set("cursor", cursor);
  return q.toString();
}

function showVoices(items, page) {
  const table = $("voices-table");
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const v of items) {
    const row = body.insertRow();
    cell(row, v.display_name);
    cell(row, v.voice_id);
    cell(row, v.scope);
    cell(row, v.language_primary);
    cell(row, v.gender_hint);
    cell(row, v.embedding_status);
  }
  table.dataset.page = String(page);
  table.dataset.count = String(items.length);
}

async function loadVoices(next) {
  const page = next ? Number($("voices-table").dataset.page) + 1 : 1;
  const r = await api("GET", `${MOD}/voices?${voicesQuery(next ? voicesCursor : null)}`);
  if (r.status !== 200) return say("Voice list failed: " + errorText(r), true);
  voicesCursor = r.body.data.next_cursor;
  showVoices(r.body.data.items, page);
  $("voices-next").disabled = !voicesCursor;
  say(`Page ${page}: ${r.body.data.items.length} voices${voicesCursor ? ", more on the next page" : ""}.`);
}

async function designVoice(form) {
  const json = {};
  for (const el of form.elements) if (el.name) json[el.name] = el.value;
  const r = await api("POST", `${MOD}/voices`, { json });
  if (r.status !== 201) return say("Design failed: " + errorText(r), true);
  const v = r.body.data;
  $("design-voice-id").textContent = v.voice_id;
  const dl = $("design-understood");
  dl.replaceChildren();
  for (const [k, val] of Object.entries(v.design || {})) definition(dl, k, val);
  $("design-result").hidden = false;
  say(`Voice ${v.voice_id} designed.`);
}

function showPreflight(pf) {
  $("preflight-reasons").textContent = "Reasons: " + pf.fail_reasons.join(", ");
  const body = $("preflight-table").tBodies[0];
  body.replaceChildren();
  const rows = [["duration (s)", pf.duration_s], ["voice activity ratio", pf.voice_activity_ratio],
    ["peak (dBFS)", pf.peak_dbfs], ["SNR (dB)", pf.snr_db], ["sample rate", pf.sample_rate],
    ["channels", pf.channels]];
  for (const [k, val] of Object.entries(pf.thresholds || {})) rows.push(["threshold " + k, val]);
  for (const [k, val] of rows) {
    const row = body.insertRow();
    cell(row, k);
    cell(row, val);
  }
  $("preflight").hidden = false;
}

function showClone(v) {
  $("clone-voice-id").textContent = v.voice_id;
  $("clone-voice-name").textContent = v.display_name;
  $("clone-voice-language").textContent = v.language_primary;
  $("clone-voice-status").textContent = v.embedding_status +
    (v.embedding_status_reason ? ` (${v.embedding_status_reason})` : "");
  $("clone-result").hidden = false;
}

async function cloneVoice(form) {
  $("preflight").hidden = true;
  $("clone-result").hidden = true;
  say("Uploading the clips…");
  const r = await api("POST", `${MOD}/voices`, { form: new FormData(form) });
  if (r.status === 201) {
    showClone(r.body.data);
    return say(`Voice ${r.body.data.voice_id} cloned.`);
  }
  const err = r.body && r.body.error;
  if (err && err.preflight) showPreflight(err.preflight);
  say("Clone failed: " + errorText(r), true);
}

// ------------------------------------------------------------ recording

// A clone clip recorded with the microphone. Chromium's MediaRecorder gives
// WebM/Opus (Firefox Ogg/Opus), which the gateway's audio intake
// (libsndfile) does not read, so the page decodes the recording with
// decodeAudioData, mixes it to mono 16-bit PCM at 24 kHz and puts a WAV
// file into the field's file input: the form uploads it like a chosen file.
// The browser's echo cancellation, noise suppression and gain control are
// off, so preflight measures the speech as it was.
class ClipRecorder {
  constructor(field) {
    this.field = field;    // "reference" or "consent"
    this.chunks = [];
    this.startedAt = 0;
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: {
      echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 } });
    try {
      this.recorder = new MediaRecorder(this.stream);
    } catch (e) {
      for (const t of this.stream.getTracks()) t.stop();
      throw e;
    }
    this.recorder.ondataavailable = (ev) => { if (ev.data.size) this.chunks.push(ev.data); };
    this.stopped = new Promise((resolve, reject) => {
      this.recorder.onstop = resolve;
      this.recorder.onerror = (ev) => reject(ev.error || new Error("the recorder failed"));
    });
    this.recorder.start(250);
    this.startedAt = performance.now();
  }

  seconds() {
    return (performance.now() - this.startedAt) / 1000;
  }

  // Stops the microphone; the recording as a WAV File.
  async stop() {
    this.recorder.stop();
    try {
      await this.stopped;
    } finally {
      for (const t of this.stream.getTracks()) t.stop();
    }
    const encoded = new Blob(this.chunks, { type: this.recorder.mimeType });
    const decoder = new OfflineAudioContext(1, 1, SAMPLE_RATE);
    const audio = await decoder.decodeAudioData(await encoded.arrayBuffer());
    return new File([wavFile(mixdown(audio), SAMPLE_RATE)], `${this.field}.wav`, { type: "audio/wav" });
  }
}

function mixdown(audio) {
  const out = new Float32Array(audio.length);
  for (let c = 0; c < audio.numberOfChannels; c++) {
    const ch = audio.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i] += ch[i] / audio.numberOfChannels;
  }
  return out;
}

// A mono 16-bit PCM WAV of these samples (-1..1, clamped).
function wavFile(samples, rate) {
  const view = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const ascii = (at, s) => { for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i)); };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, "WAVEfmt ");
  view.setUint32(16, 16, true);        // fmt chunk size
  view.setUint16(20, 1, true);         // PCM
  view.setUint16(22, 1, true);         // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);  // bytes per second
  view.setUint16(32, 2, true);         // bytes per frame
  view.setUint16(34, 16, true);        // bits per sample
  ascii(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, Math.round(v * 32767), true);
  }
  return view.buffer;
}

// Browsers offer the microphone to secure pages only (HTTPS, localhost).
function canRecord() {
  return Boolean(navigator.mediaDevices && window.MediaRecorder);
}

// The one recording in progress (field null: none); busy while the
// microphone is being opened or a recording encoded.
const recording = { field: null, recorder: null, timer: null, busy: false };
const clipUrls = {};

function recorderUi(field, state, text) {
  const button = $(`c-${field}-record`);
  const recordingNow = state === "recording";
  // the button's name says what pressing it does (no aria-pressed: a
  // toggle whose name changes reads wrong)
  button.dataset.recording = String(recordingNow);
  button.textContent = recordingNow ? `Stop recording ${field}` : `Record ${field}`;
  const label = $(`c-${field}-rec-state`);
  label.dataset.state = state;
  label.textContent = text;
  for (const other of ["reference", "consent"]) {
    if (other !== field) $(`c-${other}-record`).disabled = recordingNow || !canRecord();
  }
  $("clone-button").disabled = recordingNow;
}

// The recorded clip replaces the file input's choice, with a player for it.
function useRecording(field, file, seconds) {
  const input = $(`c-${field}`);
  const files = new DataTransfer();
  files.items.add(file);
  input.files = files.files;
  showClipPlayer(field, file);
  recorderUi(field, "recorded",
    `Recorded ${seconds.toFixed(1)} s (WAV, ${file.size} bytes); it replaces the chosen file.`);
}

function showClipPlayer(field, file) {
  const player = $(`c-${field}-audio`);
  if (clipUrls[field]) URL.revokeObjectURL(clipUrls[field]);
  clipUrls[field] = file ? URL.createObjectURL(file) : null;
  player.hidden = !file;
  if (file) player.src = clipUrls[field]; else player.removeAttribute("src");
}

async function toggleRecording(field) {
  if (recording.busy) return;
  if (recording.field === field) return stopRecording();
  if (recording.field) return;
  const recorder = new ClipRecorder(field);
  recorderUi(field, "starting", "Asking for the microphone…");
  recording.busy = true;
  try {
    await recorder.start();
  } catch (e) {
    recorderUi(field, "error", `Microphone: ${e.name || "error"}: ${e.message}`);
    return say(`Recording failed: ${e.message}`, true);
  } finally {
    recording.busy = false;
  }
  Object.assign(recording, { field, recorder });
  recorderUi(field, "recording", `Recording ${field}…`);
  // the elapsed time is for the eye only: a screen reader hears the states
  const clock = () => { $(`c-${field}-rec-time`).textContent = `${recorder.seconds().toFixed(0)} s`; };
  clock();
  recording.timer = setInterval(clock, 500);
  say(`Recording the ${field} clip: press the button again to stop.`);
}

async function stopRecording() {
  const { field, recorder, timer } = recording;
  clearInterval(timer);
  $(`c-${field}-rec-time`).textContent = "";
  Object.assign(recording, { field: null, recorder: null, timer: null, busy: true });
  const seconds = recorder.seconds();
  recorderUi(field, "encoding", "Encoding the recording as WAV…");
  try {
    useRecording(field, await recorder.stop(), seconds);
    say(`The ${field} clip is recorded.`);
  } catch (e) {
    recorderUi(field, "error", `The recording could not be read: ${e.message}`);
    say(`Recording failed: ${e.message}`, true);
  } finally {
    recording.busy = false;
  }
}

// ------------------------------------------------------------ speak

async function loadVoiceChoices() {
  const r = await api("GET", `${MOD}/voices?limit=200`);
  if (r.status !== 200) return;
  const select = $("s-voice");
  const chosen = select.value;
  select.replaceChildren(new Option("vc_platform_slt (the platform voice)", "vc_platform_slt"));
  for (const v of r.body.data.items) {
    if (v.voice_id === "vc_platform_slt") continue;
    if (v.embedding_status !== "ready") continue;
    select.add(new Option(`${v.display_name} (${v.voice_id})`, v.voice_id));
  }
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

// One streamed synthesis: the socket, the audio clock and the words.
class Playback {
  constructor() {
    this.ctx = new AudioContext({ sampleRate: SAMPLE_RATE });
    this.startAt = 0;      // AudioContext time of the session's sample 0
    this.nextAt = 0;       // where the next chunk is scheduled
    this.scheduledMs = 0;
    this.bytes = 0;
    this.frames = 0;
    this.spare = null;     // an odd byte carried to the next frame
    this.words = [];       // {start_ms, end_ms, span}
    this.highlighted = 0;
    this.done = false;
  }

  addPcm(buf) {
    let bytes = new Uint8Array(buf);
    this.bytes += bytes.length;
    this.frames += 1;
    if (this.spare) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.spare[0];
      joined.set(bytes, 1);
      bytes = joined;
      this.spare = null;
    }
    if (bytes.length % 2) {
      this.spare = bytes.slice(-1);
      bytes = bytes.slice(0, -1);
    }
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    if (!samples.length) return;
    const audio = this.ctx.createBuffer(1, samples.length, SAMPLE_RATE);
    const ch = audio.getChannelData(0);
    for (let i = 0; i < samples.length; i++) ch[i] = samples[i] / 32768;
    const src = this.ctx.createBufferSource();
    src.buffer = audio;
    src.connect(this.ctx.destination);
    const now = this.ctx.currentTime;
    if (!this.startAt) this.startAt = this.nextAt = now + 0.1;
    if (this.nextAt < now) this.nextAt = now + 0.02; // an underrun: resume a little ahead
    src.start(this.nextAt);
    this.nextAt += audio.duration;
    this.scheduledMs += audio.duration * 1000;
  }

  addWords(words, container) {
    for (const w of words) {
      const span = document.createElement("span");
      span.textContent = w.text;
      container.append(span, " ");
      this.words.push({ start_ms: w.start_ms, end_ms: w.end_ms, span });
    }
  }

  playedMs() {
    if (!this.startAt) return 0;
    const ms = (this.ctx.currentTime - this.startAt) * 1000;
    return Math.max(0, Math.min(ms, this.scheduledMs));
  }

  highlight() {
    const t = this.playedMs();
    let count = 0;
    for (const w of this.words) {
      const current = w.start_ms <= t && t < w.end_ms;
      w.span.classList.toggle("current", current);
      w.span.classList.toggle("spoken", w.end_ms <= t);
      if (current || w.end_ms <= t) count++;
    }
    this.highlighted = Math.max(this.highlighted, count);
  }

  close() {
    this.ctx.close();
  }
}

let playback = null;
let socket = null;

function showSpeakStats(state) {
  const p = $("speak-stats");
  if (state) p.dataset.state = state;
  if (!playback) return;
  p.dataset.bytesReceived = String(playback.bytes);
  p.dataset.frames = String(playback.frames);
  p.dataset.playedMs = String(Math.round(playback.playedMs()));
  p.dataset.highlighted = String(playback.highlighted);
  p.textContent = `${p.dataset.state}: ${playback.bytes} bytes received, ` +
    `${p.dataset.playedMs} ms played of ${Math.round(playback.scheduledMs)} ms.`;
}

function tick() {
  if (!playback) return;
  playback.highlight();
  showSpeakStats();
  const finished = playback.done && playback.playedMs() >= playback.scheduledMs;
  if (finished) {
    showSpeakStats("finished");
    say("Playback finished.");
    $("speak-button").disabled = false;
    $("speak-stop").disabled = true;
    return;
  }
  requestAnimationFrame(tick);
}

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${MOD}/stream/speak?token=${encodeURIComponent(credential())}`;
}

function onSocketMessage(ev, text) {
  if (typeof ev.data !== "string") {
    playback.addPcm(ev.data);
    if (playback.frames === 1) showSpeakStats("playing");
    return;
  }
  const msg = JSON.parse(ev.data);
  if (msg.type === "ready") {
    socket.send(JSON.stringify({ type: "text", delta: text }));
    socket.send(JSON.stringify({ type: "flush" }));
    socket.send(JSON.stringify({ type: "close" }));
    say(`Streaming from backend ${msg.backend_used}.`);
  } else if (msg.type === "alignment") {
    playback.addWords(msg.words, $("speak-words"));
  } else if (msg.type === "error") {
    say(`Speak failed: ${msg.code}: ${msg.message}`, true);
  } else if (msg.type === "closed") {
    playback.done = true;
  }
}

async function speak(form) {
  stopSpeaking();
  const text = $("s-text").value;
  $("speak-words").replaceChildren();
  playback = new Playback();
  await playback.ctx.resume();
  showSpeakStats("connecting");
  socket = new WebSocket(wsUrl());
  socket.binaryType = "arraybuffer";
  socket.onopen = () => socket.send(JSON.stringify({
    type: "open", voice_id: form.elements.voice_id.value,
    output: { codec: "pcm", sample_rate: SAMPLE_RATE }, timestamps: $("s-timestamps").checked,
  }));
  socket.onmessage = (ev) => onSocketMessage(ev, text);
  socket.onclose = (ev) => {
    if (playback) playback.done = true;
    if (ev.code !== 1000) say(`The stream closed with ${ev.code}.`, true);
  };
  $("speak-button").disabled = true;
  $("speak-stop").disabled = false;
  requestAnimationFrame(tick);
}

function stopSpeaking() {
  if (socket) socket.close();
  socket = null;
  if (playback) playback.close();
  playback = null;
  $("speak-button").disabled = false;
  $("speak-stop").disabled = true;
}

// ------------------------------------------------------------ ScaiDrive

function errorCode(r) {
  return r.body && r.body.error ? r.body.error.code : "";
}

// What the page says when the shares cannot be listed: ScaiDrive is not
// configured, the credential is an API key (only a ScaiKey JWT is
// exchanged for a ScaiDrive token), or another error.
const DRIVE_REFUSALS = {
  SCAISPEAK_SCAIDRIVE_NOT_AVAILABLE: ["not-configured", "ScaiDrive not configured"],
  SCAISPEAK_SAVE_TO_REQUIRES_JWT: ["needs-jwt", "ScaiDrive needs a ScaiKey sign-in (not an API key)"],
};

async function loadShares() {
  const r = await api("GET", `${MOD}/scaidrive/shares`);
  const state = $("drive-state");
  if (r.status !== 200) {
    const [name, text] = DRIVE_REFUSALS[errorCode(r)] || ["error", "ScaiDrive: " + errorText(r)];
    state.textContent = text;
    state.dataset.state = name;
    return say(text + ".", name === "error");
  }
  const select = $("drive-share");
  select.replaceChildren();
  for (const s of r.body.data.items) select.add(new Option(s.name || s.share_id, s.share_id));
  select.disabled = false;
  const n = r.body.data.items.length;
  state.textContent = `${n} share${n === 1 ? "" : "s"}.`;
  state.dataset.state = "shares";
  await loadFolders();
}

async function loadFolders() {
  const share = $("drive-share").value;
  const select = $("drive-folder");
  select.replaceChildren(new Option("(top level)", ""));
  if (!share) return;
  const r = await api("GET", `${MOD}/scaidrive/shares/${encodeURIComponent(share)}/folders`);
  if (r.status !== 200) return say("ScaiDrive folders: " + errorText(r), true);
  for (const f of r.body.data.items) select.add(new Option(f.name || f.folder_id, f.folder_id));
  select.disabled = false;
  $("drive-save").disabled = false;
}

async function saveToDrive() {
  $("drive-result").textContent = "";
  const saveTo = { share_id: $("drive-share").value, filename: $("drive-filename").value };
  if ($("drive-folder").value) saveTo.folder_id = $("drive-folder").value;
  const r = await api("POST", `${MOD}/speak`, { json: {
    text: $("s-text").value, voice_id: $("s-voice").value, response_format: "mp3", save_to: saveTo } });
  if (r.status !== 200) return say("Save failed: " + errorText(r), true);
  const saved = r.body.data.saved_to;
  const text = `Saved as ${saved.name} (${saved.size} bytes).`;
  $("drive-result").textContent = text;
  $("drive-result").dataset.fileId = saved.file_id;
  say(text);
}

// ------------------------------------------------------------ operator

let pollTimer = null;

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

function startPolling() {
  stopPolling();
  loadNodes();
  pollTimer = setInterval(loadNodes, 3000);
}

function nodeRow(body, n) {
  const row = body.insertRow();
  row.dataset.nodeId = n.node_id;
  cell(row, n.node_id);
  cell(row, n.status).className = "node-status";
  const cap = n.capacity || {};
  cell(row, `${cap.in_flight ?? "?"} / ${cap.slots ?? "?"}`);
  cell(row, n.gpu ? (n.gpu.name || "gpu") : "cpu");
  const draining = n.status === "draining";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = draining ? "Undrain" : "Drain";
  button.setAttribute("aria-label", `${button.textContent} ${n.node_id}`);
  button.addEventListener("click", () => drainNode(n.node_id, draining ? "undrain" : "drain"));
  cell(row, "").appendChild(button);
}

async function loadNodes() {
  const r = await api("GET", "/v1/infra/nodes");
  if (r.status !== 200) return say("Nodes: " + errorText(r), true);
  const table = $("nodes-table");
  const focused = document.activeElement && document.activeElement.closest("tr");
  const focusedId = focused && focused.dataset.nodeId;
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const n of r.body.data.items) nodeRow(body, n);
  table.dataset.count = String(r.body.data.items.length);
  $("nodes-updated").textContent = "Updated " + new Date().toLocaleTimeString() + ".";
  if (focusedId) { // keep keyboard focus on the row it was on across refreshes
    const again = body.querySelector(`tr[data-node-id="${CSS.escape(focusedId)}"] button`);
    if (again) again.focus();
  }
}

async function drainNode(id, action) {
  const r = await api("POST", `/v1/infra/nodes/${encodeURIComponent(id)}/${action}`,
    { json: { reason: "admin page" } });
  if (r.status !== 200) return say(`${action} failed: ` + errorText(r), true);
  say(`Node ${id}: ${action} done.`);
  await loadNodes();
}

// ------------------------------------------------------------ wiring

function on(id, event, fn) {
  $(id).addEventListener(event, (ev) => {
    if (event === "submit") ev.preventDefault();
    Promise.resolve(fn(ev)).catch((e) => say(String(e), true));
  });
}

on("signin-form", "submit", () => signIn($("token").value.trim()));
on("signout-button", "click", signOut);
for (const t of ["voices", "speak", "operator"]) on("tab-" + t, "click", () => showTab(t));
on("voice-filters", "submit", () => loadVoices(false));
on("voices-next", "click", () => loadVoices(true));
on("design-form", "submit", (ev) => designVoice(ev.target));
on("clone-form", "submit", (ev) => cloneVoice(ev.target));
for (const field of ["reference", "consent"]) {
  on(`c-${field}-record`, "click", () => toggleRecording(field));
  on(`c-${field}`, "change", (ev) => showClipPlayer(field, ev.target.files[0]));
  if (!canRecord()) {
    $(`c-${field}-record`).disabled = true;
    recorderUi(field, "unavailable", "Recording needs a secure page (HTTPS or localhost) and MediaRecorder.");
  }
}
on("speak-form", "submit", (ev) => speak(ev.target));
on("speak-stop", "click", stopSpeaking);
on("drive-load", "click", loadShares);
on("drive-share", "change", loadFolders);
on("drive-form", "submit", saveToDrive);

if (credential()) signIn(credential()).catch((e) => say(String(e), true));
