// Every flow of the admin page (gateway/admin/) clicked through in headless
// Debian chromium driven by playwright-core, against a real stack started by
// tests/integration/test_admin_browser.py. Usage: node admin_flows.mjs plan.json
//   plan: {flows: "all" | "drive", origin, key, operator_token, chromium, out,
//          text, consent_wav, short_wav, speech_wav, mic_wav, record_s, voices_q}
// "all" is every flow on a gateway without ScaiDrive; "drive" signs in
// (plan.key: a JWT) on a gateway with a ScaiDrive and saves through the
// share/folder picker. The microphone is chromium's fake capture device
// playing plan.mic_wav. Saves one screenshot per flow under plan.out and
// prints one JSON line with what each flow showed; the Python test asserts
// on it.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const PAGE = plan.origin + "/v1/modules/scaispeak/admin/";
const args = ["--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream"];
if (plan.mic_wav) {
  args.push("--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${plan.mic_wav}`);
}
if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
const browser = await chromium.launch({ executablePath: plan.chromium, headless: true, args });
const result = { console_errors: [], ms: {} };

async function newPage() {
  const page = await (await browser.newContext()).newPage();
  page.on("console", (m) => {
    process.stderr.write(`page: ${m.text()}\n`);
    // the expected 4xx answers (preflight 422, ScaiDrive 404, ...) are logged
    // by chromium as "Failed to load resource"; anything else is a page bug
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) result.console_errors.push(m.text());
  });
  page.on("pageerror", (e) => result.console_errors.push(String(e)));
  await page.goto(PAGE);
  return page;
}

const shot = (page, name) => page.screenshot({ path: `${plan.out}/${name}.png`, fullPage: true });
const data = (page, sel, attr) => page.$eval(sel, (el, a) => el.dataset[a], attr);
const statsAbove = (page, attr, n) => page.waitForFunction(
  ([a, v]) => Number(document.getElementById("speak-stats").dataset[a]) > v, [attr, n], { timeout: 60000 });

async function signIn(page) {
  await page.fill("#token", plan.key);
  await page.click("#signin-button");
  await page.waitForSelector("#me:not([hidden])");
  return {
    caller: await page.textContent("#me-caller"), tenant: await page.textContent("#me-tenant"),
    role: await page.textContent("#me-role"), status: await page.textContent("#status"),
  };
}

async function voiceList(page) {
  await page.fill("#f-q", plan.voices_q);
  await page.fill("#f-limit", "2");
  await page.click("#voices-search");
  await page.waitForSelector('#voices-table[data-page="1"]');
  const first = { count: Number(await data(page, "#voices-table", "count")),
    next_enabled: await page.isEnabled("#voices-next") };
  await page.click("#voices-next");
  await page.waitForSelector('#voices-table[data-page="2"]');
  const second = { count: Number(await data(page, "#voices-table", "count")),
    names: await page.$$eval("#voices-table tbody tr td:first-child", (tds) => tds.map((t) => t.textContent)) };
  await shot(page, "2-voices");
  return { first, second };
}

async function design(page) {
  await page.fill("#d-name", "Browser narrator");
  await page.fill("#d-prompt", "deep, slow, elderly male narrator");
  await page.click("#design-button");
  await page.waitForSelector("#design-result:not([hidden])");
  await shot(page, "3-design");
  return { voice_id: await page.textContent("#design-voice-id"),
    understood: await page.textContent("#design-understood") };
}

async function clone(page) {
  await page.setInputFiles("#c-reference", plan.short_wav);
  await page.setInputFiles("#c-consent", plan.consent_wav);
  await page.fill("#c-name", "Too short");
  await page.fill("#c-fullname", "Ada Lovelace");
  await page.fill("#c-purpose", "browser test");
  await page.fill("#c-text", "I agree that my voice may be cloned for this test.");
  await page.click("#clone-button");
  await page.waitForSelector("#preflight:not([hidden])");
  await shot(page, "4-clone-preflight");
  return { reasons: await page.textContent("#preflight-reasons"), status: await page.textContent("#status"),
    rows: await page.$$eval("#preflight-table tbody tr", (trs) => trs.length) };
}

// Waits for the clone form's answer: the created voice or a refusal (the
// preflight block, or another error in the status line).
async function cloneAnswer(page, name) {
  await page.waitForFunction(() => /cloned\.$|^Clone failed/.test(document.getElementById("status").textContent),
    null, { timeout: 60000 });
  await shot(page, name);
  const visible = (id) => page.$eval(id, (el) => !el.hidden);
  return {
    status: await page.textContent("#status"),
    created: await visible("#clone-result"), preflight: await visible("#preflight"),
    voice_id: await page.textContent("#clone-voice-id"), name: await page.textContent("#clone-voice-name"),
    embedding: await page.textContent("#clone-voice-status"),
    reasons: await page.textContent("#preflight-reasons"),
  };
}

async function fillCloneFields(page, name) {
  await page.fill("#c-name", name);
  await page.fill("#c-fullname", "Test User");
  await page.fill("#c-purpose", "browser test");
  await page.fill("#c-text", plan.consent_text);
}

async function cloneUpload(page) {
  await page.setInputFiles("#c-reference", plan.speech_wav);
  await page.setInputFiles("#c-consent", plan.consent_wav);
  await fillCloneFields(page, "Uploaded clone");
  await page.click("#clone-button");
  return cloneAnswer(page, "4b-clone-upload");
}

const recState = (page, field) => page.$eval(`#c-${field}-rec-state`, (el) => ({
  state: el.dataset.state, text: el.textContent }));

// Records one clip: the button is reached and pressed by keyboard (the
// reference) or clicked by its accessible name (the consent).
async function recordClip(page, field, seconds, byKeyboard) {
  const t0 = Date.now();
  const button = page.getByRole("button", { name: `Record ${field}`, exact: true });
  if (byKeyboard) {
    await page.focus(`#c-${field}`);
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement.id);
    if (focused !== `c-${field}-record`) throw new Error(`Tab from #c-${field} reached #${focused}`);
    await page.keyboard.press("Enter");
  } else {
    await button.click();
  }
  await page.waitForSelector(`#c-${field}-rec-state[data-state="recording"]`);
  const startMs = Date.now() - t0;
  const during = { ...(await recState(page, field)),
    recording: await data(page, `#c-${field}-record`, "recording"),
    stop_button: await page.getByRole("button", { name: `Stop recording ${field}` }).count() };
  if (field === "reference") await shot(page, "4c-recording");
  await page.waitForTimeout(seconds * 1000);
  during.clock = await page.textContent(`#c-${field}-rec-time`);
  if (byKeyboard) await page.keyboard.press("Enter");
  else await page.getByRole("button", { name: `Stop recording ${field}` }).click();
  await page.waitForSelector(`#c-${field}-rec-state:is([data-state="recorded"], [data-state="error"])`,
    { timeout: 20000 });
  const file = await page.$eval(`#c-${field}`, (i) => i.files[0] && { name: i.files[0].name,
    type: i.files[0].type, size: i.files[0].size });
  result.ms[`record_${field}`] = { start: startMs, total: Date.now() - t0 };
  return { during, after: await recState(page, field), file, label: await button.count() };
}

// The recorded clip's player receives the WAV and plays it.
async function playClip(page, field) {
  const sel = `#c-${field}-audio`;
  await page.waitForFunction((s) => document.querySelector(s).readyState >= 1, sel);
  await page.$eval(sel, (a) => a.play());
  await page.waitForFunction((s) => document.querySelector(s).currentTime > 0.3, sel, { timeout: 10000 });
  return page.$eval(sel, (a) => {
    a.pause();
    return { duration: a.duration, played: a.currentTime, hidden: a.hidden, src: a.src.slice(0, 5),
      label: a.getAttribute("aria-label") };
  });
}

async function cloneRecorded(page) {
  const reference = await recordClip(page, "reference", plan.record_s.reference, true);
  const consent = await recordClip(page, "consent", plan.record_s.consent, false);
  let t0 = Date.now();
  const player = await playClip(page, "reference");
  result.ms.record_play = Date.now() - t0;
  await fillCloneFields(page, "Recorded clone");
  t0 = Date.now();
  await page.click("#clone-button");
  const answer = await cloneAnswer(page, "4d-clone-recorded");
  result.ms.record_clone = Date.now() - t0;
  return { reference, consent, player, answer };
}

async function speakStats(page) {
  return page.$eval("#speak-stats", (el) => ({ ...el.dataset }));
}

async function speak(page) {
  await page.click("#tab-speak");
  await page.selectOption("#s-voice", "vc_platform_slt");
  await page.fill("#s-text", plan.text);
  await page.click("#speak-button");
  await statsAbove(page, "bytesReceived", 0);
  await statsAbove(page, "playedMs", 300);
  await statsAbove(page, "highlighted", 0);
  const during = await speakStats(page);
  const current = await page.$$eval("#speak-words span.current, #speak-words span.spoken", (s) => s.length);
  await shot(page, "5-speak");
  await page.waitForSelector('#speak-stats[data-state="finished"]', { timeout: 60000 });
  return { during, current, after: await speakStats(page),
    words: await page.$$eval("#speak-words span", (s) => s.map((x) => x.textContent)) };
}

async function drive(page) {
  await page.click("#drive-load");
  await page.waitForSelector('#drive-state[data-state]');
  await shot(page, "6-scaidrive");
  return { state: await data(page, "#drive-state", "state"), text: await page.textContent("#drive-state") };
}

// The ScaiDrive picker on a gateway that has one: pick a share and a
// folder by their labels, save, and read what the page says.
async function driveSave(page) {
  await page.click("#tab-speak");
  await page.fill("#s-text", plan.text);
  await page.getByRole("button", { name: "Load ScaiDrive folders" }).click();
  await page.waitForSelector('#drive-state[data-state]');
  await page.waitForFunction(() => !document.getElementById("drive-save").disabled, null, { timeout: 10000 });
  const options = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => [o.value, o.textContent]));
  const picker = { state: await data(page, "#drive-state", "state"), shares: await options("#drive-share"),
    folders: await options("#drive-folder") };
  await page.getByLabel("Share").selectOption(plan.share);
  await page.getByLabel("Folder").selectOption(plan.folder);
  await page.getByLabel("File name").fill(plan.filename);
  await page.getByRole("button", { name: "Save to ScaiDrive" }).click();
  await page.waitForFunction(() => /^Saved as|^Save failed/.test(document.getElementById("status").textContent),
    null, { timeout: 60000 });
  await shot(page, "9-scaidrive-saved");
  return { picker, result: await page.textContent("#drive-result"), status: await page.textContent("#status"),
    file_id: await data(page, "#drive-result", "fileId") };
}

async function nodeStatus(page, want) {
  await page.waitForFunction((w) => [...document.querySelectorAll("#nodes-table .node-status")]
    .some((td) => td.textContent === w), want, { timeout: 15000 });
}

async function operator(page) {
  // drain/undrain need super_admin or the operator token (a tenant admin
  // may only read the list): sign in again with the operator token
  await page.click("#signout-button");
  await page.fill("#token", plan.operator_token);
  await page.click("#signin-button");
  await page.waitForSelector("#tabs:not([hidden])");
  await page.click("#tab-operator");
  await page.waitForFunction(() => Number(document.getElementById("nodes-table").dataset.count) > 0);
  const row = await page.$eval("#nodes-table tbody tr", (tr) => [...tr.cells].map((c) => c.textContent));
  await page.click("#nodes-table tbody tr button");
  await nodeStatus(page, "draining");
  await shot(page, "7-operator-drained");
  const drained = await page.$eval("#nodes-table tbody tr", (tr) => [...tr.cells].map((c) => c.textContent));
  await page.click("#nodes-table tbody tr button");
  await nodeStatus(page, "online");
  await shot(page, "7-operator");
  return { row, drained };
}

// Tab until the element with this id has the focus (fails after 40 presses).
async function tabTo(page, id) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) return i + 1;
  }
  throw new Error(`Tab never reached #${id}`);
}

async function keyboardOnly() {
  const page = await newPage();
  const presses = {};
  presses.token = await tabTo(page, "token");
  await page.keyboard.type(plan.key);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#me:not([hidden])");
  presses.tab_speak = await tabTo(page, "tab-speak");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#panel-speak:not([hidden])");
  presses.text = await tabTo(page, "s-text");
  await page.keyboard.type("Keyboard only. It works.");
  presses.speak = await tabTo(page, "speak-button");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  await page.keyboard.press("Enter");
  await statsAbove(page, "bytesReceived", 0);
  await statsAbove(page, "playedMs", 200);
  await shot(page, "8-keyboard");
  const stats = await speakStats(page);
  await page.waitForSelector('#speak-stats[data-state="finished"]', { timeout: 60000 });
  return { presses, outline, stats, role: await page.textContent("#me-role") };
}

// Runs one flow into result[name], with its wall time in result.ms[name].
async function flow(name, fn) {
  const t0 = Date.now();
  result[name] = await fn();
  result.ms[name] = Date.now() - t0;
}

async function everyFlow() {
  const page = await newPage();
  await shot(page, "0-start");
  await flow("signin", () => signIn(page));
  await shot(page, "1-signin");
  await flow("voices", () => voiceList(page));
  await flow("design", () => design(page));
  await flow("clone", () => clone(page));
  await flow("clone_upload", () => cloneUpload(page));
  await flow("clone_recorded", () => cloneRecorded(page));
  await flow("speak", () => speak(page));
  await flow("drive", () => drive(page));
  await flow("operator", () => operator(page));
  await flow("keyboard", keyboardOnly);
}

async function driveFlow() {
  const page = await newPage();
  await flow("signin", () => signIn(page));
  await flow("drive_save", () => driveSave(page));
}

try {
  await (plan.flows === "drive" ? driveFlow() : everyFlow());
} catch (e) {
  result.failure = String(e && e.stack || e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
