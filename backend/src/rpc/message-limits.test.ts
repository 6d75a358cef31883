/**
 * The bounds on a JSON-RPC message before any method runs (PROTOCOL.md,
 * "Limits"): its size, nesting and envelope, the size of a batch, the order
 * in which one connection's messages are answered, and which requests /rpc
 * takes at all (no browser: no Origin header, JSON only). Against a real
 * backend on loopback, over POST /rpc and WebSocket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, formatAuthorization, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { PollResultEntity } from '../db/entities.ts';
import { registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

/** Each test fails rather than hangs when the backend never answers (as it did before these bounds). */
const TEST_TIMEOUT_MS = 90_000;

let t: TestBackend;
let creds: MonitorCredentials;
let auth: Record<string, string>;

before(async () => {
  t = await startTestBackend();
  creds = await registerApproved(t);
  auth = { authorization: formatAuthorization(creds) };
  await t.call('pollerStarting', {}, creds);
});
after(() => t.close());

interface Answer {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const storedResults = () => t.backend.db.manager.countBy(PollResultEntity, { monitorId: creds.monitorId });
const call = (id: number, method: string, params: unknown = {}) => ({ jsonrpc: '2.0', id, method, params });
const results = (fromSeq: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ seq: fromSeq + i, serviceId: 'web1/HTTP', timestamp: Date.now(), status: 'UP', responseTimeMs: 1 }));

/** POST /rpc with any headers; the body as text and, when it is JSON, parsed. */
async function postRaw(body: string, headers: Record<string, string>): Promise<{ status: number; answer: unknown }> {
  const response = await fetch(t.rpcUrl, { method: 'POST', headers, body });
  const text = await response.text();
  let answer: unknown = text;
  try {
    answer = JSON.parse(text);
  } catch {
    // not JSON: the test shows the text
  }
  return { status: response.status, answer };
}

void test('a batch of more than 100 calls is refused whole with one -32600 naming the limit', { timeout: TEST_TIMEOUT_MS }, async () => {
  const batch = Array.from({ length: 101 }, (_, i) => call(i + 1, 'reportResults', { results: results(i + 1, 1) }));
  const { status, body } = await t.post(JSON.stringify(batch), auth);
  assert.equal(status, 200);
  const answer = body as Answer;
  assert.equal(Array.isArray(body), false, 'one error, not one per call');
  assert.deepEqual([answer.id, answer.error?.code], [null, ErrorCode.InvalidRequest]);
  assert.match(answer.error!.message, /at most 100 calls in a batch/);
  assert.equal(await storedResults(), 0, 'no call of the batch ran');
});

void test('reportResults calls of one batch carry at most 10,000 results together', { timeout: TEST_TIMEOUT_MS }, async () => {
  const batch = [call(1, 'reportResults', { results: results(1, 6_000) }), call(2, 'reportResults', { results: results(6_001, 6_000) })];
  const { body } = await t.post(JSON.stringify(batch), auth);
  const answer = body as Answer;
  assert.deepEqual([answer.id, answer.error?.code], [null, ErrorCode.InvalidRequest]);
  assert.match(answer.error!.message, /at most 10000 results in one message/);
  assert.equal(await storedResults(), 0);
});

void test('a batch asks for the polling package at most once', { timeout: TEST_TIMEOUT_MS }, async () => {
  const batch = [call(1, 'getPollingPackage'), call(2, 'getPollingPackage')];
  const answer = (await t.post(JSON.stringify(batch), auth)).body as Answer;
  assert.deepEqual([answer.id, answer.error?.code], [null, ErrorCode.InvalidRequest]);
  assert.match(answer.error!.message, /at most 1 getPollingPackage call in a batch/);
  const one = (await t.post(JSON.stringify([call(1, 'getPollingPackage'), call(2, 'pollerCheckingIn', { configVersion: '' })]), auth)).body as Answer[];
  assert.equal(one.length, 2);
});

void test('a million empty calls without credentials are refused unread (HTTP 413), with credentials unrun (-32600)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const million = `[${Array.from({ length: 1_000_000 }, () => '{}').join(',')}]`;
  const anonymous = await postRaw(million, { 'content-type': 'application/json' });
  assert.equal(anonymous.status, 413);
  assert.deepEqual((anonymous.answer as Answer).error?.code, ErrorCode.InvalidRequest);
  assert.match((anonymous.answer as Answer).error!.message, /at most 65536 bytes without credentials/);
  const wrong = await postRaw(million, { 'content-type': 'application/json', authorization: formatAuthorization({ ...creds, secret: 'wrong' }) });
  assert.equal(wrong.status, 413, 'wrong credentials are no credentials');
  const authenticated = await postRaw(million, { 'content-type': 'application/json', ...auth });
  assert.equal(authenticated.status, 200);
  assert.match((authenticated.answer as Answer).error!.message, /at most 100 calls in a batch/);
});

void test('envelopes that are not JSON-RPC 2.0 requests are -32600, with the id only when it is a valid one', { timeout: TEST_TIMEOUT_MS }, async () => {
  const cases: [string, unknown, unknown][] = [
    ['version 1.0', { jsonrpc: '1.0', id: 1, method: 'pollerStopping' }, 1],
    ['no version', { id: 2, method: 'pollerStopping' }, 2],
    ['no method', { jsonrpc: '2.0', id: 3 }, 3],
    ['a method that is a number', { jsonrpc: '2.0', id: 4, method: 42 }, 4],
    ['a method of 65 characters', { jsonrpc: '2.0', id: 5, method: 'm'.repeat(65) }, 5],
    ['params that are a string', { jsonrpc: '2.0', id: 6, method: 'pollerStopping', params: 'all' }, 6],
    ['a response instead of a request', { jsonrpc: '2.0', id: 7, result: {} }, 7],
    ['an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'pollerStopping' }, null],
    ['a fractional id', { jsonrpc: '2.0', id: 1.5, method: 'pollerStopping' }, null],
    ['an id of 129 characters', { jsonrpc: '2.0', id: 'i'.repeat(129), method: 'pollerStopping' }, null],
    ['a number that is not JSON-RPC at all', 42, null],
  ];
  for (const [name, envelope, id] of cases) {
    const answer = (await t.post(JSON.stringify(envelope), auth)).body as Answer;
    assert.deepEqual([answer.id, answer.error?.code], [id, ErrorCode.InvalidRequest], name);
  }
  // In a batch, each bad element gets its own -32600 and the good ones run.
  const answers = (await t.post(JSON.stringify([1, { jsonrpc: '2.0', id: 'ok', method: 'pollerCheckingIn', params: { configVersion: '' } }]), auth)).body as Answer[];
  assert.deepEqual(
    answers.map((a) => [a.id, a.error?.code ?? 'result']),
    [
      [null, ErrorCode.InvalidRequest],
      ['ok', 'result'],
    ],
  );
});

void test('nesting deeper than 32 levels is refused before parsing, wherever it is', { timeout: TEST_TIMEOUT_MS }, async () => {
  const deep = (depth: number) => `{"jsonrpc":"2.0","id":1,"method":"pollerCheckingIn","params":{"configVersion":"","x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
  const tooDeep = (await t.post(deep(31), auth)).body as Answer;
  assert.deepEqual([tooDeep.id, tooDeep.error?.code], [null, ErrorCode.InvalidRequest]);
  assert.match(tooDeep.error!.message, /nested deeper than 32 levels/);
  // Brackets inside strings are text, not nesting.
  const inString = (await t.post(JSON.stringify(call(2, 'pollerCheckingIn', { configVersion: '['.repeat(200) })), auth)).body as Answer;
  assert.equal(inString.error?.code, ErrorCode.InvalidParams);
  assert.match(inString.error!.message, /configVersion/);
  const deepEnough = (await t.post(deep(29), auth)).body as Answer;
  assert.ok(deepEnough.result, JSON.stringify(deepEnough));
});

void test('POST /rpc takes application/json only: text/plain and form types are 415', { timeout: TEST_TIMEOUT_MS }, async () => {
  const body = JSON.stringify(call(1, 'registerLocationMonitor', { location: 'Atlantis', name: 'x' }));
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const { status, answer } = await postRaw(body, { 'content-type': type });
    assert.equal(status, 415, type);
    assert.match((answer as Answer).error!.message, /Content-Type: application\/json/, type);
  }
  const charset = await postRaw(body, { 'content-type': 'application/json; charset=utf-8' });
  assert.equal((charset.answer as Answer).error?.code, ErrorCode.NoSuchLocation);
});

void test('POST /rpc and the WebSocket upgrade refuse requests from a browser page (an Origin header) with 403', { timeout: TEST_TIMEOUT_MS }, async () => {
  const body = JSON.stringify(call(1, 'registerLocationMonitor', { location: 'RDU', name: 'from-a-web-page' }));
  const posted = await postRaw(body, { 'content-type': 'application/json', origin: 'https://evil.example' });
  assert.equal(posted.status, 403);
  assert.match((posted.answer as Answer).error!.message, /not from browsers/);
  const sameOrigin = await postRaw(body, { 'content-type': 'application/json', origin: `http://127.0.0.1:${t.backend.port}` });
  assert.equal(sameOrigin.status, 403);
  const upgrade = await openWebSocket({ origin: 'https://evil.example' });
  assert.equal(upgrade.status, 403);
});

void test('an unauthenticated WebSocket closes on a message over 64 KiB; an authenticated one takes 1 MiB', { timeout: TEST_TIMEOUT_MS }, async () => {
  const anonymous = await openWebSocket({});
  assert.ok(anonymous.ws);
  const closed = new Promise<number>((resolve) => anonymous.ws!.once('close', (code) => resolve(code)));
  anonymous.ws.send(JSON.stringify(call(1, 'registerLocationMonitor', { location: 'RDU', name: 'x'.repeat(70_000) })));
  assert.equal(await closed, 1009, 'message too big');

  const own = await openWebSocket(auth);
  assert.ok(own.ws);
  const big = results(1, 400).map((r) => ({ ...r, status: 'DOWN', reason: 'r'.repeat(2000) }));
  const message = JSON.stringify(call(1, 'reportResults', { results: big }));
  assert.ok(message.length > 800_000);
  const answer = await request(own.ws, message);
  assert.deepEqual(answer.result, { ackedSeq: 400 });
  own.ws.close();
});

void test("one connection's messages are answered one at a time, in the order they came", { timeout: TEST_TIMEOUT_MS }, async () => {
  const other = await registerApproved(t, 'RDU', 'pipelining');
  const { ws } = await openWebSocket({ authorization: formatAuthorization(other) });
  assert.ok(ws);
  const order: unknown[] = [];
  const done = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      order.push((JSON.parse(data.toString()) as Answer).id);
      if (order.length === 3) resolve();
    }),
  );
  // A slow call first, then two quick ones: the quick ones wait their turn.
  ws.send(JSON.stringify(call(1, 'reportResults', { results: results(1, 5_000) })));
  ws.send(JSON.stringify(call(2, 'pollerCheckingIn', { configVersion: '' })));
  ws.send(JSON.stringify(call(3, 'nope')));
  await done;
  assert.deepEqual(order, [1, 2, 3]);
  ws.close();
});

function openWebSocket(headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers, maxPayload: 64 * 1024 * 1024 });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}

function request(ws: WebSocket, message: string): Promise<Answer> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Answer));
    ws.send(message);
  });
}
