// Drives a ScaiSpeak gateway with the official OpenAI Node SDK (npm
// `openai`, as any OpenAI client would use it) and reports what the SDK saw.
//
//   node tests/openai/sdk_calls.mjs PLAN.json
//
// PLAN: {"base_url", "api_key", "out_dir", "calls": [{"name", "op", "params",
// "stream"}]} with op one of "speech" (audio.speech.create(params); the body
// is written to OUT_DIR/NAME; with "stream": true it is read incrementally
// from response.body and the number of reads reported), "models.list",
// "models.retrieve" (params.id). Prints one JSON object per call on stdout,
// one line each: {name, ok, status, content_type, headers, bytes, reads,
// models} on success, {name, ok: false, status, message, code, error} when
// the SDK threw (its APIError: message is what an application would show).
// Retries are off (maxRetries 0) so a refusal is seen once, as it was sent.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const client = new OpenAI({ baseURL: plan.base_url, apiKey: plan.api_key, maxRetries: 0, timeout: 120000 });

const KEPT_HEADERS = ['x-request-id', 'x-scaispeak-sample-rate', 'trailer', 'x-scaispeak-voice-id',
                      'x-scaispeak-instructions-understood'];

async function speech(call) {
  const res = await client.audio.speech.create(call.params);
  let bytes;
  let reads = 0;
  if (call.stream) {
    const parts = [];
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads++;
      parts.push(Buffer.from(value));
    }
    bytes = Buffer.concat(parts);
  } else {
    bytes = Buffer.from(await res.arrayBuffer());
  }
  writeFileSync(join(plan.out_dir, call.name), bytes);
  const headers = {};
  for (const h of KEPT_HEADERS) if (res.headers.get(h) !== null) headers[h] = res.headers.get(h);
  return { status: res.status, content_type: res.headers.get('content-type'), headers, bytes: bytes.length, reads };
}

async function modelsList() {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m);
  return { models: ids };
}

const OPS = {
  speech,
  'models.list': modelsList,
  'models.retrieve': async (call) => ({ models: [await client.models.retrieve(call.params.id)] }),
};

for (const call of plan.calls) {
  let out;
  try {
    out = { name: call.name, ok: true, ...(await OPS[call.op](call)) };
  } catch (e) {
    if (!(e instanceof OpenAI.APIError)) throw e;
    out = { name: call.name, ok: false, status: e.status, message: e.message, code: e.code ?? null,
            error: e.error ?? null, kind: e.constructor.name };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
