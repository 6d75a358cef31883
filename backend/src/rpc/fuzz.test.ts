/**
 * Random and hostile messages (5,000 in the suite; VANTAGE_FUZZ_MESSAGES for
 * a longer run: 20,000 took about a minute of CPU on 2 cores, a sixth of the
 * suite's budget on one file) from senders without credentials (or
 * with wrong ones), over WebSocket and POST /rpc, against a real backend:
 * random JSON, deep nesting, ids of every wrong kind, wrong types, oversized
 * strings, NUL and lone surrogates, batches, unknown methods, binary frames,
 * text that is not JSON. Throughout, /api/health must answer; afterwards,
 * nothing may have been stored, no answer may be an internal error (every
 * bad input gets an error that names it), and the backend must still serve.
 *
 * Seeded (VANTAGE_FUZZ_SEED to replay another run); the seed is printed.
 * The generator never makes a valid registration, the one call anybody may
 * make, so every row count must stay as it was.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, formatAuthorization, MAX_UNAUTHENTICATED_MESSAGE_BYTES } from '@vantage/common';
import WebSocket from 'ws';
import { AlarmEntity, EventEntity, LocationMonitorEntity, OutageEntity, PollResultEntity, ServiceStateEntity } from '../db/entities.ts';
import { startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

const MESSAGES = Number(process.env.VANTAGE_FUZZ_MESSAGES ?? 5_000);
const SEED = Number(process.env.VANTAGE_FUZZ_SEED ?? 20_251_010);
const WS_CONNECTIONS = 4;
const POST_CONCURRENCY = 6;
/** Generous on a loaded machine: a message or a health check this late means the backend stopped answering. */
const ANSWER_TIMEOUT_MS = 30_000;
const HEALTH_TIMEOUT_MS = 10_000;

let t: TestBackend;
before(async () => {
  t = await startTestBackend();
});
after(() => t.close());

// ---- a seeded generator of hostile messages ----

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Hostile {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = prng(seed);
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Short strings with the characters that break things: NUL, lone surrogates, quotes, brackets, controls. */
  string(maxLength = 40): string {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '[', '{', '\u0000', '\ud800', '\udfff', '\ud83d\ude00', '\n', '\u2028', 'é', '/', '.'];
    let out = '';
    const length = this.int(maxLength + 1);
    for (let i = 0; i < length; i++) out += this.pick(alphabet);
    return out;
  }

  /** Any JSON value, nested at most `depth`. */
  json(depth = 4): unknown {
    const kind = this.int(depth > 0 ? 9 : 6);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MIN_VALUE, this.int(1e9)]);
      case 3:
      case 4:
        return this.string();
      case 5:
        return this.pick(['', 'UP', 'DOWN', 'RDU', 'NYC', 'web1/HTTP', '2.0']);
      case 6:
      case 7:
        return Array.from({ length: this.int(5) }, () => this.json(depth - 1));
      default:
        return Object.fromEntries(Array.from({ length: this.int(5) }, () => [this.pick([this.string(8), 'id', 'method', 'params', 'results', 'seq']), this.json(depth - 1)]));
    }
  }

  id(): unknown {
    return this.pick<() => unknown>([
      () => this.int(1000),
      () => this.string(10),
      () => null,
      () => this.string(300),
      () => 'x'.repeat(129),
      () => [this.int(9)],
      () => ({ id: 1 }),
      () => 1.25,
      () => 2 ** 60,
      () => true,
    ])();
  }

  method(): string {
    return this.pick([
      'registerLocationMonitor',
      'registerLocationMonitor',
      'pollerStarting',
      'getPollingPackage',
      'pollerCheckingIn',
      'reportResults',
      'reportResults',
      'pollerStopping',
      'rpc.discover',
      '__proto__',
      'constructor',
      'toString',
      this.string(12),
      'm'.repeat(65),
    ]);
  }

  /** A registration that is never valid: unknown location, wrong token, or bad params. */
  registration(): unknown {
    return this.pick<() => unknown>([
      () => ({ location: this.pick(['Atlantis', '', 'rdu', 'RDU\u0000', '\ud800']), name: this.string(20) }),
      () => ({ location: 'NYC', name: 'n', token: this.pick(['wrong-token', '', 'nyc-secret-tokeN', 'x'.repeat(300)]) }),
      () => ({ location: 'RDU', name: this.pick(['', 'x'.repeat(201), 'a\u0000b', 'a\udc00', 42, null]) }),
      () => ({ location: 'RDU', name: 'ok', details: this.pick([{ 'k\u0000': 'v' }, { k: 'v'.repeat(300) }, { k: 1 }, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])), 'details']) }),
      () => ({ location: 'RDU', name: 'ok', token: this.pick([1, null, ['t']]) }),
      () => ({ location: ['RDU'], name: 'ok' }),
      () => this.json(3),
    ])();
  }

  results(): unknown {
    const count = this.pick([0, 1, 3, 50, 500]);
    return Array.from({ length: count }, (_, i) => ({
      seq: this.pick([i + 1, 0, -1, 2 ** 53 - 1, 1.5, '1']),
      serviceId: this.pick(['web1/HTTP', 'web1/TCP', 'elsewhere/SSH', '', '\u0000']),
      timestamp: this.pick([Date.now(), 0, Date.now() + 1e12, -5, 8.64e15 + 1]),
      status: this.pick(['UP', 'DOWN', 'UNKNOWN', 'SIDEWAYS']),
      responseTimeMs: this.pick([1, -1, 1e300, undefined]),
      reason: this.pick([undefined, 'refused', this.string(30), 'r'.repeat(2001)]),
      details: this.pick([undefined, { connectMs: 1 }, { 'a\u0000': 1 }, { x: 'fast' }]),
    }));
  }

  params(method: string): unknown {
    if (this.chance(0.15)) return this.json(3);
    switch (method) {
      case 'registerLocationMonitor':
        return this.registration();
      case 'reportResults':
        return { results: this.chance(0.8) ? this.results() : this.json(2) };
      case 'pollerCheckingIn':
        return { configVersion: this.pick(['', 'v', 'v'.repeat(200), 5]), stats: this.pick([undefined, { a: 1 }, { a: 'x' }, Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`s${i}`, i]))]) };
      default:
        return this.pick([{}, [], { details: { os: this.string(10) } }, { knownVersion: this.string(10) }, undefined]);
    }
  }

  /** One call: sometimes a notification, sometimes a broken envelope. */
  call(): unknown {
    const method = this.method();
    const call: Record<string, unknown> = { jsonrpc: this.chance(0.95) ? '2.0' : this.pick(['1.0', 2, undefined]), method, params: this.params(method) };
    if (this.chance(0.9)) call.id = this.chance(0.8) ? this.int(100_000) : this.id();
    if (this.chance(0.03)) delete call.method;
    return call;
  }

  /** A whole message as text; `null` for a binary frame (WebSocket only). */
  message(): string | null {
    const kind = this.int(100);
    if (kind < 45) return JSON.stringify(this.call());
    if (kind < 60) return JSON.stringify(Array.from({ length: this.pick([0, 1, 2, 5, 30, 101, 150]) }, () => (this.chance(0.9) ? this.call() : this.json(2))));
    if (kind < 68) return JSON.stringify(this.json(5));
    if (kind < 74) {
      // Deep nesting, in the id, the params or the whole message.
      const depth = this.pick([33, 100, 5_000, 20_000]);
      const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      return this.pick([
        `{"jsonrpc":"2.0","id":${deep},"method":"registerLocationMonitor","params":{}}`,
        `{"jsonrpc":"2.0","id":1,"method":"registerLocationMonitor","params":{"location":${deep}}}`,
        deep,
        `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      ]);
    }
    if (kind < 80) return JSON.stringify({ jsonrpc: '2.0', id: this.id(), method: this.method(), params: {} });
    if (kind < 86) {
      // Text that is not JSON: cut short, stray bytes, empty.
      const text = JSON.stringify(this.call());
      return this.pick([text.slice(0, this.int(text.length)), '', ' ', 'null', '\u0000', `${text}garbage`, '{"jsonrpc":"2.0",', '\ud800']);
    }
    if (kind < 90) {
      // Oversized: past the 64 KiB a sender without credentials may send.
      const size = MAX_UNAUTHENTICATED_MESSAGE_BYTES + this.int(200_000);
      return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'registerLocationMonitor', params: { location: 'RDU', name: 'x'.repeat(size) } });
    }
    if (kind < 95) {
      // Long hostile text within the size bound; always longer than a name may be, so never a valid registration.
      const name = 'x'.repeat(201) + this.string(30_000);
      return JSON.stringify({ jsonrpc: '2.0', id: this.int(100), method: 'registerLocationMonitor', params: { location: 'RDU', name } });
    }
    return null;
  }
}

// ---- senders ----

interface Tally {
  sent: number;
  internalErrors: string[];
  problems: string[];
  statuses: Map<string, number>;
}

function count(tally: Tally, key: string): void {
  tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1);
}

/** Internal errors anywhere in an answer (a batch answers an array). */
function checkAnswer(tally: Tally, text: string, sent: string): void {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    tally.problems.push(`an answer that is not JSON: ${text.slice(0, 200)}`);
    return;
  }
  for (const item of Array.isArray(answer) ? answer : [answer]) {
    const code = (item as { error?: { code?: number } })?.error?.code;
    if (code === ErrorCode.InternalError) tally.internalErrors.push(`${sent.slice(0, 300)} → ${JSON.stringify(item).slice(0, 300)}`);
  }
}

/** One WebSocket sender: each message is followed by a probe, answered only once the message has been (answers come in order). */
async function wsSender(hostile: Hostile, messages: (string | null)[], tally: Tally): Promise<void> {
  let ws: WebSocket | undefined;
  let inbox: ((text: string) => void) | undefined;
  let closed: (() => void) | undefined;
  const connect = async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade answered ${res.statusCode}`)));
      socket.once('error', reject);
    });
    socket.on('message', (data) => inbox?.(data.toString()));
    socket.on('close', () => closed?.());
    socket.on('error', () => undefined);
    return socket;
  };
  let probe = 0;
  for (const message of messages) {
    if (!ws || ws.readyState !== WebSocket.OPEN) ws = await connect();
    const probeId = `probe-${++probe}`;
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS);
      const done = (why: string) => {
        clearTimeout(timer);
        inbox = undefined;
        closed = undefined;
        resolve(why);
      };
      inbox = (text) => {
        if (text.includes(`"${probeId}"`)) return done('answered');
        checkAnswer(tally, text, message ?? '(binary)');
      };
      closed = () => done('closed');
      ws!.send(message === null ? Buffer.from([0xff, 0x00, hostile.int(256)]) : message);
      ws!.send(JSON.stringify({ jsonrpc: '2.0', id: probeId, method: 'probe' }));
    });
    tally.sent++;
    count(tally, `ws ${outcome}`);
    if (outcome === 'timeout') tally.problems.push(`no answer over WebSocket within ${ANSWER_TIMEOUT_MS} ms to ${String(message).slice(0, 200)}`);
    if (outcome !== 'answered') {
      ws.terminate();
      ws = undefined;
    }
  }
  ws?.close();
}

/** POSTs, with no credentials or wrong ones, `concurrency` at a time. */
async function postSender(hostile: Hostile, messages: string[], tally: Tally): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const body = messages[next++]!;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (hostile.chance(0.4)) headers.authorization = formatAuthorization({ monitorId: hostile.pick(['no-such-monitor', crypto.randomUUID()]), secret: 'wrong-secret' });
      try {
        const response = await fetch(t.rpcUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
        const text = await response.text();
        count(tally, `POST ${response.status}`);
        if (response.status >= 500) tally.problems.push(`POST answered ${response.status}: ${text.slice(0, 200)} to ${body.slice(0, 200)}`);
        if (text) checkAnswer(tally, text, body);
      } catch (err) {
        tally.problems.push(`POST failed: ${(err as Error).message} for ${body.slice(0, 200)}`);
      }
      tally.sent++;
    }
  };
  await Promise.all(Array.from({ length: POST_CONCURRENCY }, worker));
}

async function storedRows(): Promise<Record<string, number>> {
  const m = t.backend.db.manager;
  return {
    monitors: await m.count(LocationMonitorEntity),
    results: await m.count(PollResultEntity),
    states: await m.count(ServiceStateEntity),
    events: await m.count(EventEntity),
    alarms: await m.count(AlarmEntity),
    outages: await m.count(OutageEntity),
  };
}

void test(`${MESSAGES} hostile messages without credentials: the backend stays up, answers health, stores nothing`, { timeout: 600_000 }, async (context) => {
  context.diagnostic(`seed ${SEED} (VANTAGE_FUZZ_SEED replays it)`);
  const hostile = new Hostile(SEED);
  const before = await storedRows();

  const overWs: (string | null)[][] = Array.from({ length: WS_CONNECTIONS }, () => []);
  const overPost: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const message = hostile.message();
    if (message === null || hostile.chance(0.5)) overWs[i % WS_CONNECTIONS]!.push(message);
    else overPost.push(message);
  }

  // /api/health, every 200 ms while the messages go in.
  const health = { checks: 0, failures: [] as string[], slowestMs: 0 };
  let fuzzing = true;
  const watching = (async () => {
    while (fuzzing) {
      const started = performance.now();
      try {
        const response = await fetch(`http://127.0.0.1:${t.backend.port}/api/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
        if (response.status !== 200) health.failures.push(`HTTP ${response.status}`);
        await response.arrayBuffer();
      } catch (err) {
        health.failures.push((err as Error).message);
      }
      health.checks++;
      health.slowestMs = Math.max(health.slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  const tally: Tally = { sent: 0, internalErrors: [], problems: [], statuses: new Map() };
  const started = performance.now();
  await Promise.all([...overWs.map((messages) => wsSender(hostile, messages, tally)), postSender(hostile, overPost, tally)]);
  const elapsedMs = performance.now() - started;
  fuzzing = false;
  await watching;

  context.diagnostic(`${tally.sent} messages in ${(elapsedMs / 1000).toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(tally.statuses))}`);
  context.diagnostic(`${health.checks} health checks, slowest ${health.slowestMs.toFixed(0)} ms`);
  assert.equal(tally.sent, MESSAGES);
  assert.deepEqual(tally.problems.slice(0, 10), []);
  assert.deepEqual(tally.internalErrors.slice(0, 10), [], 'every bad input gets an error that names it, never -32603');
  assert.deepEqual(health.failures.slice(0, 10), [], `/api/health answered within ${HEALTH_TIMEOUT_MS} ms throughout`);
  assert.deepEqual(await storedRows(), before, 'nothing was stored');

  // Still serving: a real registration is answered, registered, or told when to come back (the storm
  // spent this address's registration allowance: the per-address limits at work).
  const registered = await t.call('registerLocationMonitor', { location: 'RDU', name: 'after-the-storm' });
  if (registered.error) {
    assert.equal(registered.error.code, ErrorCode.Overloaded, JSON.stringify(registered));
    assert.ok((registered.error.data as { retryAfterMs: number }).retryAfterMs > 0);
  } else {
    assert.equal((registered.result as { status: string }).status, 'PENDING');
  }
});
