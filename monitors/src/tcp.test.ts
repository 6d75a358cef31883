import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { tcpMonitor } from './tcp.ts';
import { closedPort, pollLocal, start } from './test-support.ts';

void test('tcp: UP with the connect time when the port accepts', async (t) => {
  const server = await start(net.createServer((socket) => socket.end()));
  t.after(() => server.close());

  const outcome = await pollLocal(tcpMonitor, { port: String(server.port) });

  assert.equal(outcome.status, 'UP');
  assert.equal(typeof outcome.responseTimeMs, 'number');
  const ms = outcome.responseTimeMs ?? -1;
  assert.ok(ms >= 0 && ms < 1000, `responseTimeMs ${outcome.responseTimeMs}`);
  assert.equal(outcome.reason, undefined);
});

void test('tcp: DOWN "connection refused" when nothing listens', async () => {
  const port = await closedPort();

  const outcome = await pollLocal(tcpMonitor, { port: String(port) });

  assert.deepEqual(outcome, { status: 'DOWN', reason: 'connection refused' });
});

void test('tcp: DOWN with the timeout reason once the signal aborts', async (t) => {
  const server = await start(net.createServer());
  t.after(() => server.close());
  const target = { host: '127.0.0.1', params: { port: String(server.port) }, timeoutMs: 1234 };

  // Aborted before the connect completes (connect always finishes on a later turn).
  const controller = new AbortController();
  const pending = tcpMonitor.poll(target, controller.signal);
  controller.abort();
  assert.deepEqual(await pending, { status: 'DOWN', reason: 'timeout after 1234 ms' });

  // Already aborted when the check starts.
  assert.deepEqual(await tcpMonitor.poll(target, AbortSignal.abort()), {
    status: 'DOWN',
    reason: 'timeout after 1234 ms',
  });
});

const badPorts: Array<{ params: Record<string, string>; reason: string }> = [
  { params: {}, reason: 'parameter "port" is required' },
  { params: { port: '  ' }, reason: 'parameter "port" is required' },
  { params: { port: 'abc' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "abc"' },
  { params: { port: '0' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "0"' },
  { params: { port: '65536' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "65536"' },
  { params: { port: '-1' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "-1"' },
  { params: { port: '80.5' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "80.5"' },
  { params: { port: '1e3' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "1e3"' },
];

for (const { params, reason } of badPorts) {
  void test(`tcp: UNKNOWN for port ${JSON.stringify(params.port)}`, async () => {
    assert.deepEqual(await pollLocal(tcpMonitor, params), { status: 'UNKNOWN', reason });
  });
}
