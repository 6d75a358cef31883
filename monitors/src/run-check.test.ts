import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { monitors, type MonitorRegistry } from './index.ts';
import type { PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
import { defineParameters, param } from './params.ts';
import { CheckPreparer, prepareCheck, runCheck } from './run-check.ts';
import { closedPort, start, startSilentServer, type RunningServer } from '../testing/servers.ts';

/** What the test monitors take: no parameters of their own. */
const none = { parameters: defineParameters({}), parse: () => undefined };

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
      ...none,
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
  const rejecting: ServiceMonitor = { name: 'rejecting', ...none, poll: () => Promise.reject(new Error('boom')) };
  const throwing: ServiceMonitor = {
    name: 'throwing',
    ...none,
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
  const hanging: ServiceMonitor = { name: 'hanging', ...none, poll: () => new Promise<PollOutcome>(() => {}) };
  const started = performance.now();
  assert.deepEqual(await check({ hanging }, 'hanging', { timeout: '50' }), {
    status: 'UNKNOWN',
    reason: 'monitor did not stop within 1000 ms of its timeout',
  });
  assert.ok(performance.now() - started < 2000);
});

void test('runCheck: UNKNOWN naming an unknown parameter and every known one, common ones included', async () => {
  const { monitor, calls } = scripted(() => ({ status: 'UP' }));
  assert.deepEqual(await check({ scripted: monitor }, 'scripted', { 'no-such-param': '1' }), {
    status: 'UNKNOWN',
    reason: 'unknown parameter "no-such-param" for monitor scripted (known: invert-status, retry, timeout)',
  });
  assert.equal(calls.length, 0);
  assert.deepEqual(await check(monitors, 'tcp', { port: '7', respones: '200' }), {
    status: 'UNKNOWN',
    reason:
      'unknown parameter "respones" for monitor tcp ' +
      '(known: banner, expect, invert-status, port, retry, send, server-name, timeout, tls, verify-server-certificate)',
  });
  // A key is known by its exact name: no trimming, no case folding, nothing inherited.
  for (const key of ['Port', ' port', 'constructor']) {
    const outcome = await check(monitors, 'tcp', { port: '7', [key]: '1' });
    assert.match(outcome.reason ?? '', new RegExp(`^unknown parameter "${key}" for monitor tcp`), key);
  }
});

/** A monitor that answers what its `answer` parameter says, on the host it is given, and records what it parsed. */
function counting(): { monitor: ServiceMonitor<{ answer: 'UP' | 'DOWN' }>; parsed: Array<Readonly<Record<string, string>>> } {
  const parsed: Array<Readonly<Record<string, string>>> = [];
  const parameters = defineParameters({ answer: param.oneOf(['UP', 'DOWN'], 'upper').default('UP') });
  const monitor: ServiceMonitor<{ answer: 'UP' | 'DOWN' }> = {
    name: 'counting',
    parameters,
    parse(params) {
      parsed.push(params);
      return parameters.read(params);
    },
    poll: async (target) => ({ status: target.settings.answer, reason: `as configured for ${target.host}` }),
  };
  return { monitor, parsed };
}

void test('prepareCheck: the parameters are parsed once, however often the check runs', async () => {
  const { monitor, parsed } = counting();
  const prepared = prepareCheck({ counting: monitor }, { monitor: 'counting', host: '127.0.0.1', params: { answer: 'down', retry: '2' } }, 1000);
  assert.equal(parsed.length, 1);
  for (let i = 0; i < 5; i++) assert.deepEqual(await prepared.run(), { status: 'DOWN', reason: 'as configured for 127.0.0.1' });
  assert.equal(parsed.length, 1);
});

void test('CheckPreparer: services with the same monitor and parameters share one parse, each on its own host', async () => {
  const { monitor, parsed } = counting();
  const preparer = new CheckPreparer({ counting: monitor }, 1000);
  const hosts = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
  const down = hosts.map((host) => preparer.prepare({ monitor: 'counting', host, params: { answer: 'down' } }));
  const up = preparer.prepare({ monitor: 'counting', host: '192.0.2.4', params: { answer: 'up' } });
  const bad = hosts.map((host) => preparer.prepare({ monitor: 'counting', host, params: { answer: 'sideways' } }));
  assert.equal(parsed.length, 3);
  assert.deepEqual(
    await Promise.all(down.map((check) => check.run())),
    hosts.map((host) => ({ status: 'DOWN', reason: `as configured for ${host}` })),
  );
  assert.deepEqual(await up.run(), { status: 'UP', reason: 'as configured for 192.0.2.4' });
  for (const check of bad) {
    assert.deepEqual(await check.run(), { status: 'UNKNOWN', reason: 'parameter "answer" must be "UP" or "DOWN", got "sideways"' });
  }
  assert.equal(parsed.length, 3);
});

void test('prepareCheck: a service whose parameters do not parse resolves UNKNOWN every time, without polling', async () => {
  const { monitor, calls } = scripted(() => ({ status: 'UP' }));
  const prepared = prepareCheck({ scripted: monitor }, { monitor: 'scripted', host: '127.0.0.1', params: { retry: 'x' } }, 1000);
  const reason = 'parameter "retry" must be an integer of at least 0, got "x"';
  for (let i = 0; i < 3; i++) assert.deepEqual(await prepared.run(), { status: 'UNKNOWN', reason });
  assert.equal(calls.length, 0);
  const unknownMonitor = prepareCheck(monitors, { monitor: 'gopher', host: '127.0.0.1', params: {} }, 1000);
  assert.deepEqual(await unknownMonitor.run(), { status: 'UNKNOWN', reason: 'unknown monitor "gopher"' });
});

void test('prepareCheck: a monitor whose parse breaks (a bug, not a ParameterError) gives UNKNOWN, never a throw', async () => {
  const broken: ServiceMonitor = {
    name: 'broken',
    parameters: defineParameters({}),
    parse: () => {
      throw new TypeError('oops');
    },
    poll: () => Promise.resolve({ status: 'UP' }),
  };
  const prepared = prepareCheck({ broken }, { monitor: 'broken', host: '127.0.0.1', params: {} }, 1000);
  assert.deepEqual(await prepared.run(), { status: 'UNKNOWN', reason: 'monitor error: oops' });
});

/** A monitor that answers UP after `answerMs`, or DOWN when its signal aborts first; it records the signals it got. */
function waiting(): { monitor: ServiceMonitor<{ answerMs: number }>; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const parameters = defineParameters({ 'answer-ms': param.int({ min: 0 }).default(0) });
  const monitor: ServiceMonitor<{ answerMs: number }> = {
    name: 'waiting',
    parameters,
    parse: (params) => ({ answerMs: parameters.read(params)['answer-ms'] }),
    poll: (target, signal) => {
      signals.push(signal);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ status: 'UP' }), target.settings.answerMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve({ status: 'DOWN', reason: String((signal.reason as Error).message) });
          },
          { once: true },
        );
      });
    },
  };
  return { monitor, signals };
}

void test('runCheck: checks started together share one deadline, and each still gets its own outcome', async () => {
  const { monitor, signals } = waiting();
  const started = performance.now();
  const outcomes = await Promise.all(
    ['0', '30', '5000', '5000'].map((answerMs) => check({ waiting: monitor }, 'waiting', { 'answer-ms': answerMs, timeout: '200' })),
  );
  const elapsed = performance.now() - started;
  assert.deepEqual(outcomes, [
    { status: 'UP' },
    { status: 'UP' },
    { status: 'DOWN', reason: 'timeout after 200 ms' },
    { status: 'DOWN', reason: 'timeout after 200 ms' },
  ]);
  assert.ok(elapsed >= 190 && elapsed < 1000, `returned after ${elapsed} ms`);
  assert.equal(new Set(signals).size, 1);
  // Another timeout is another deadline.
  await Promise.all(['100', '200'].map((timeout) => check({ waiting: monitor }, 'waiting', { timeout })));
  assert.equal(new Set(signals.slice(4)).size, 2);
});

void test('runCheck: a check started later gets its whole timeout, not the deadline of the checks before it', async () => {
  const { monitor, signals } = waiting();
  const params = { 'answer-ms': '5000', timeout: '200' };
  const first = check({ waiting: monitor }, 'waiting', params);
  await new Promise((resolve) => setTimeout(resolve, 120));
  const startedLater = performance.now();
  const later = await check({ waiting: monitor }, 'waiting', params);
  const elapsed = performance.now() - startedLater;
  assert.deepEqual(await first, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.deepEqual(later, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.ok(elapsed >= 190, `the later check was aborted after ${elapsed} ms`);
  assert.notEqual(signals[0], signals[1]);
});

void test('runCheck: of checks sharing a deadline, only one that ignores its signal is abandoned', async () => {
  const { monitor } = waiting();
  const hanging: ServiceMonitor = { name: 'hanging', ...none, poll: () => new Promise<PollOutcome>(() => {}) };
  const [honouring, ignoring] = await Promise.all([
    check({ waiting: monitor }, 'waiting', { 'answer-ms': '5000', timeout: '50' }),
    check({ hanging }, 'hanging', { timeout: '50' }),
  ]);
  assert.deepEqual(honouring, { status: 'DOWN', reason: 'timeout after 50 ms' });
  assert.deepEqual(ignoring, { status: 'UNKNOWN', reason: 'monitor did not stop within 1000 ms of its timeout' });
});

void test('runCheck: checks that answered in time leave no timer behind', async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const { monitor } = waiting();
  const before = timers();
  const outcomes = await Promise.all(Array.from({ length: 100 }, () => check({ waiting: monitor }, 'waiting', { timeout: '60000' })));
  assert.ok(outcomes.every((o) => o.status === 'UP'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(timers(), before);
});
