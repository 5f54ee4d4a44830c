// Every flow of the admin page (gateway/admin/) clicked through in headless
// Debian chromium driven by playwright-core, against a real stack started by
// tests/integration/test_admin_browser.py. Usage: node admin_flows.mjs plan.json
//   plan: {origin, key, operator_token, chromium, out, text, consent_wav, short_wav, voices_q}
// Saves one screenshot per flow under plan.out and prints one JSON line with
// what each flow showed; the Python test asserts on it.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const PAGE = plan.origin + "/v1/modules/scaispeak/admin/";
const args = ["--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream"];
if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
const browser = await chromium.launch({ executablePath: plan.chromium, headless: true, args });
const result = { console_errors: [] };

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

try {
  const page = await newPage();
  await shot(page, "0-start");
  result.signin = await signIn(page);
  await shot(page, "1-signin");
  result.voices = await voiceList(page);
  result.design = await design(page);
  result.clone = await clone(page);
  result.speak = await speak(page);
  result.drive = await drive(page);
  result.operator = await operator(page);
  result.keyboard = await keyboardOnly();
} catch (e) {
  result.failure = String(e && e.stack || e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
