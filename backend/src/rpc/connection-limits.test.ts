/**
 * The bounds on connections (PROTOCOL.md, "Limits"): WebSocket connections in
 * all, per source address and without credentials; how long a WebSocket
 * without credentials may stay; how long an HTTP request may take to arrive.
 * One backend with small limits, so the tests reach them with a few sockets;
 * the loopback addresses 127.0.0.2… stand for other machines.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

const LIMITS = {
  maxConnections: 12,
  maxConnectionsPerAddress: 5,
  maxUnauthenticatedConnections: 3,
  unauthenticatedConnectionLifetimeMs: 1_500,
  requestTimeoutMs: 2_000,
  headersTimeoutMs: 2_000,
};

/** Each test fails rather than hangs when the backend never answers (as it did before these bounds). */
const TEST_TIMEOUT_MS = 90_000;

let t: TestBackend;
let creds: MonitorCredentials;

before(async () => {
  t = await startTestBackend(undefined, { limits: LIMITS });
  creds = await registerApproved(t);
});
after(() => t.close());

interface Opened {
  ws?: WebSocket;
  status?: number;
}

function open(options: { from?: string; credentials?: MonitorCredentials } = {}): Promise<Opened> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = options.credentials ? { authorization: formatAuthorization(options.credentials) } : {};
    const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers, localAddress: options.from });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.once('error', (err) => resolve({ status: -1, ws: undefined, ...{ error: err.message } }));
  });
}

async function openMany(count: number, options: { from?: string; credentials?: MonitorCredentials }): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const { ws, status } = await open(options);
    assert.ok(ws, `connection ${i + 1} from ${options.from ?? '127.0.0.1'} was refused with ${status}`);
    sockets.push(ws);
  }
  return sockets;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    ),
  );
  // The backend counts a connection gone when its socket closes on its side too.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

void test('a WebSocket without credentials is closed after its lifetime (1008), and may register meanwhile', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { ws } = await open({ from: '127.0.0.2' });
  assert.ok(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const answer = await new Promise<{ result?: { status: string } }>((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString())));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'registerLocationMonitor', params: { location: 'RDU', name: 'short-lived' } }));
  });
  assert.equal(answer.result?.status, 'PENDING');
  const { code, reason } = await closed;
  assert.equal(code, 1008);
  assert.match(reason, /without credentials.*1500 ms/);
});

void test('WebSockets without credentials are capped (503) while those with credentials still come in', { timeout: TEST_TIMEOUT_MS }, async () => {
  const anonymous = await openMany(3, { from: '127.0.0.3' });
  const refused = await open({ from: '127.0.0.4' });
  assert.equal(refused.status, 503);
  const own = await open({ from: '127.0.0.4', credentials: creds });
  assert.ok(own.ws, `an authenticated connection was refused with ${own.status}`);
  await closeAll([...anonymous, own.ws]);
  const again = await open({ from: '127.0.0.4' });
  assert.ok(again.ws, 'a slot is free again once they close');
  await closeAll([again.ws]);
});

void test('one source address holds at most its share of WebSockets (429); others still come in', { timeout: TEST_TIMEOUT_MS }, async () => {
  const sockets = await openMany(5, { from: '127.0.0.5', credentials: creds });
  const refused = await open({ from: '127.0.0.5', credentials: creds });
  assert.equal(refused.status, 429);
  const elsewhere = await open({ from: '127.0.0.6', credentials: creds });
  assert.ok(elsewhere.ws);
  await closeAll([...sockets, elsewhere.ws]);
});

void test('WebSockets in all are capped (503)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const sockets = [
    ...(await openMany(5, { from: '127.0.0.7', credentials: creds })),
    ...(await openMany(5, { from: '127.0.0.8', credentials: creds })),
    ...(await openMany(2, { from: '127.0.0.9', credentials: creds })),
  ];
  const refused = await open({ from: '127.0.0.10', credentials: creds });
  assert.equal(refused.status, 503);
  await closeAll(sockets);
  const again = await open({ from: '127.0.0.10', credentials: creds });
  assert.ok(again.ws);
  await closeAll([again.ws]);
});

void test('a POST whose body trickles in a byte at a time is cut off at the request timeout', { timeout: TEST_TIMEOUT_MS }, async () => {
  const socket = connect({ host: '127.0.0.1', port: t.backend.port });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let sent = 0;
  const trickle = setInterval(() => {
    if (!socket.writable || sent >= 999) return;
    socket.write(' ');
    sent++;
  }, 100);
  // Generous: node checks request timeouts on an interval; what matters is that it ends, long before the 1,000 bytes.
  const outcome = await Promise.race([ended.then(() => 'closed'), delay(60_000, 'still open', { ref: false })]);
  clearInterval(trickle);
  socket.destroy();
  assert.equal(outcome, 'closed');
  assert.ok(sent < 999, `the whole body went through (${sent} bytes)`);
  assert.match(received, /^HTTP\/1\.1 408/);
});
