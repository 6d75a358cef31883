import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { monitors, type MonitorRegistry } from './index.ts';
import type { PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
import { runCheck } from './run-check.ts';
import { closedPort, start, startSilentServer, type RunningServer } from './test-support.ts';

/** A monitor that answers from a script and records how it was called. */
function scripted(answer: (call: number) => PollOutcome | Promise<PollOutcome>): {
  monitor: ServiceMonitor;
  calls: Array<{ target: PollTarget; signal: AbortSignal }>;
} {
  const calls: Array<{ target: PollTarget; signal: AbortSignal }> = [];
  return {
    calls,
    monitor: {
      name: 'scripted',
      poll: async (target, signal) => {
        calls.push({ target, signal });
        return answer(calls.length);
      },
    },
  };
}

/** An HTTP server that answers 503 to its first request and 200 afterwards. */
async function startFlakyServer(): Promise<RunningServer> {
  let requests = 0;
  return start(http.createServer((_req, res) => res.writeHead(++requests === 1 ? 503 : 200).end()));
}

const check = (
  registry: MonitorRegistry,
  monitor: string,
  params: Record<string, string>,
  defaultTimeoutMs = 2000,
): Promise<PollOutcome> => runCheck(registry, { monitor, host: '127.0.0.1', params }, defaultTimeoutMs);

void test('runCheck: UNKNOWN for a monitor not in the registry', async () => {
  for (const name of ['xyz', 'toString', '__proto__']) {
    assert.deepEqual(await check(monitors, name, {}), { status: 'UNKNOWN', reason: `unknown monitor "${name}"` });
  }
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: { timeout: 'abc' }, reason: 'parameter "timeout" must be an integer from 1 to 2147483647, got "abc"' },
  { params: { timeout: '0' }, reason: 'parameter "timeout" must be an integer from 1 to 2147483647, got "0"' },
  {
    params: { timeout: '3000000000' },
    reason: 'parameter "timeout" must be an integer from 1 to 2147483647, got "3000000000"',
  },
  { params: { retry: '-1' }, reason: 'parameter "retry" must be an integer of at least 0, got "-1"' },
  { params: { retry: 'twice' }, reason: 'parameter "retry" must be an integer of at least 0, got "twice"' },
  { params: { 'invert-status': 'yes' }, reason: 'parameter "invert-status" must be "true" or "false", got "yes"' },
];

for (const { params, reason } of badParams) {
  void test(`runCheck: UNKNOWN for ${JSON.stringify(params)}, without polling`, async () => {
    const { monitor, calls } = scripted(() => ({ status: 'UP' }));
    assert.deepEqual(await check({ scripted: monitor }, 'scripted', params), { status: 'UNKNOWN', reason });
    assert.equal(calls.length, 0);
  });
}

void test('runCheck: passes the timeout parameter, else the default, to the monitor', async () => {
  const { monitor, calls } = scripted(() => ({ status: 'UP' }));
  await check({ scripted: monitor }, 'scripted', {}, 1500);
  await check({ scripted: monitor }, 'scripted', { timeout: '250' }, 1500);
  assert.deepEqual(
    calls.map((c) => c.target.timeoutMs),
    [1500, 250],
  );
});

void test('runCheck: the monitor\'s own failures come back as they are', async () => {
  const port = await closedPort();
  assert.deepEqual(await check(monitors, 'tcp', { port: String(port) }), {
    status: 'DOWN',
    reason: 'connection refused',
  });
  assert.deepEqual(await check(monitors, 'tcp', {}), { status: 'UNKNOWN', reason: 'parameter "port" is required' });
});

void test('runCheck: DOWN after the timeout when the server never answers', async (t) => {
  const silent = await startSilentServer();
  t.after(() => silent.close());

  const started = performance.now();
  const outcome = await check(monitors, 'http', { port: String(silent.port), timeout: '200' });
  const elapsed = performance.now() - started;

  assert.deepEqual(outcome, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.ok(elapsed >= 150 && elapsed < 1000, `returned after ${elapsed} ms`);
});

const retryCases: Array<{ retry?: string; status: PollOutcome['status'] }> = [
  { status: 'DOWN' },
  { retry: '0', status: 'DOWN' },
  { retry: '1', status: 'UP' },
];

for (const { retry, status } of retryCases) {
  void test(`runCheck: ${status} against a server failing its first request, retry ${retry ?? 'unset'}`, async (t) => {
    const flaky = await startFlakyServer();
    t.after(() => flaky.close());

    const params = { port: String(flaky.port), ...(retry === undefined ? {} : { retry }) };
    const outcome = await check(monitors, 'http', params);

    assert.equal(outcome.status, status, outcome.reason);
    if (status === 'DOWN') assert.equal(outcome.reason, 'HTTP 503, expected 100-399');
  });
}

void test('runCheck: each attempt gets a fresh signal; retries stop at the first non-DOWN', async () => {
  const alwaysDown = scripted(() => ({ status: 'DOWN', reason: 'nope' }));
  assert.deepEqual(await check({ s: alwaysDown.monitor }, 's', { retry: '2' }), { status: 'DOWN', reason: 'nope' });
  assert.equal(alwaysDown.calls.length, 3);
  assert.equal(new Set(alwaysDown.calls.map((c) => c.signal)).size, 3);

  const unknown = scripted(() => ({ status: 'UNKNOWN', reason: 'no capability' }));
  await check({ s: unknown.monitor }, 's', { retry: '2' });
  assert.equal(unknown.calls.length, 1);
});

void test('runCheck: invert-status swaps UP and DOWN and leaves UNKNOWN alone', async (t) => {
  const server = await start(http.createServer((_req, res) => res.end('ok')));
  t.after(() => server.close());
  const refused = await closedPort();

  assert.deepEqual(await check(monitors, 'http', { port: String(server.port), 'invert-status': 'true' }), {
    status: 'DOWN',
    reason: 'service responded while invert-status is set',
  });
  assert.deepEqual(await check(monitors, 'tcp', { port: String(refused), 'invert-status': 'true' }), { status: 'UP' });
  assert.deepEqual(await check(monitors, 'tcp', { 'invert-status': 'true' }), {
    status: 'UNKNOWN',
    reason: 'parameter "port" is required',
  });
  const plain = await check(monitors, 'http', { port: String(server.port), 'invert-status': 'false' });
  assert.equal(plain.status, 'UP');
});

void test('runCheck: UNKNOWN, never a rejection, when a monitor throws or rejects', async () => {
  const rejecting: ServiceMonitor = { name: 'rejecting', poll: () => Promise.reject(new Error('boom')) };
  const throwing: ServiceMonitor = {
    name: 'throwing',
    poll: () => {
      throw new TypeError('cannot read properties of undefined');
    },
  };
  assert.deepEqual(await check({ rejecting }, 'rejecting', {}), { status: 'UNKNOWN', reason: 'monitor error: boom' });
  assert.deepEqual(await check({ throwing }, 'throwing', {}), {
    status: 'UNKNOWN',
    reason: 'monitor error: cannot read properties of undefined',
  });
});

void test('runCheck: UNKNOWN when a monitor ignores its signal', async () => {
  const hanging: ServiceMonitor = { name: 'hanging', poll: () => new Promise<PollOutcome>(() => {}) };
  const started = performance.now();
  assert.deepEqual(await check({ hanging }, 'hanging', { timeout: '50' }), {
    status: 'UNKNOWN',
    reason: 'monitor did not stop within 1000 ms of its timeout',
  });
  assert.ok(performance.now() - started < 2000);
});
