import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { NotificationDispatcher } from '../dispatcher.ts';
import { InMemoryOutboxStore } from '../../../testing/in-memory-outbox-store.ts';
import { webhookBody } from '../message.ts';
import { WebhookSink } from './webhook.ts';
import type { WebhookSinkConfig } from '../rules.ts';
import { closeServer, closedPort, listenLocal, lostServiceEvent, recordingLog, waitFor } from '../../../testing/notifications.ts';

interface Received {
  atMs: number;
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that answers each request with `reply(n)` (n counts from 1). */
async function startReceiver(reply: (n: number, res: http.ServerResponse) => void): Promise<{ server: http.Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const atMs = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ atMs, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      reply(received.length, res);
    });
  });
  const port = await listenLocal(server);
  return { server, port, received };
}

function hookConfig(port: number, overrides: Partial<WebhookSinkConfig> = {}): WebhookSinkConfig {
  return { name: 'hook', type: 'webhook', url: `http://127.0.0.1:${port}/vantage/events`, headers: {}, timeoutMs: 2000, ...overrides };
}

void test('webhook: two 503s, then delivered on attempt 3 after backing off; JSON body and configured headers', async () => {
  const { server, port, received } = await startReceiver((n, res) => {
    if (n <= 2) res.writeHead(503, { 'content-type': 'text/plain' }).end('busy,\n try later');
    else res.writeHead(204).end();
  });
  try {
    const store = new InMemoryOutboxStore();
    const sink = new WebhookSink(
      hookConfig(port, { url: `http://user:pw@127.0.0.1:${port}/vantage/events?token=s3cret`, headers: { Authorization: 'Bearer abc123', 'X-Vantage-Team': 'ops', 'Content-Type': 'application/vnd.vantage+json' } }),
    );
    const log = recordingLog();
    // A long poll interval: the retries must come from their own timers, at nextAttemptAt.
    const dispatcher = new NotificationDispatcher(store, [sink], { backoff: { initialMs: 20 }, random: () => 0, pollIntervalMs: 60_000, log });
    const event = lostServiceEvent();
    store.enqueue('hook', event);
    dispatcher.start();
    await waitFor(() => store.delivered.length === 1, 'the delivery');
    await dispatcher.close();

    assert.equal(received.length, 3);
    const [first, second, third] = received as [Received, Received, Received];
    // 20 ms after the first failure, 40 ms after the second (a millisecond or two of rounding allowed).
    assert.ok(second.atMs - first.atMs >= 18, `first backoff ${second.atMs - first.atMs} ms`);
    assert.ok(third.atMs - second.atMs >= 38, `second backoff ${third.atMs - second.atMs} ms`);
    for (const r of received) {
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/vantage/events?token=s3cret');
      assert.equal(r.headers.authorization, 'Bearer abc123');
      assert.equal(r.headers['x-vantage-team'], 'ops');
      assert.equal(r.headers['content-type'], 'application/vnd.vantage+json');
      assert.deepEqual(JSON.parse(r.body), webhookBody(event));
    }
    assert.equal(JSON.parse(third.body).label, 'A service is down, as seen from one location monitor');

    const [delivered] = store.delivered;
    assert.equal(delivered?.attempts, 2);
    // The error shows where, without the credentials or the query string.
    assert.equal(delivered?.lastError, `HTTP 503 from http://127.0.0.1:${port}/vantage/events: busy, try later`);
    assert.deepEqual(store.dead, []);
    assert.deepEqual(store.pending, []);
    assert.equal(log.lines.filter((l) => l.startsWith('info') && l.includes('failed (attempt')).length, 2);
  } finally {
    await closeServer(server);
  }
});

void test('webhook: after maxAttempts failures the notification is dead with the last error', async () => {
  const { server, port, received } = await startReceiver((n, res) => res.writeHead(n < 3 ? 502 : 503).end(n < 3 ? '' : 'down for maintenance'));
  try {
    const store = new InMemoryOutboxStore();
    const log = recordingLog();
    const dispatcher = new NotificationDispatcher(store, [new WebhookSink(hookConfig(port))], { maxAttempts: 3, backoff: { initialMs: 5 }, pollIntervalMs: 60_000, log });
    const n = store.enqueue('hook', lostServiceEvent());
    dispatcher.start();
    await waitFor(() => store.dead.length === 1, 'the dead letter');
    await dispatcher.close();

    assert.equal(received.length, 3);
    const [dead] = store.dead;
    assert.equal(dead?.notification.id, n.id);
    assert.equal(dead?.notification.attempts, 3);
    assert.equal(dead?.error, `HTTP 503 from http://127.0.0.1:${port}/vantage/events: down for maintenance`);
    assert.deepEqual(store.pending, []);
    assert.deepEqual(store.delivered, []);
    assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('is dead after 3 attempts')));
  } finally {
    await closeServer(server);
  }
});

void test('webhook: failures say what failed', async (t) => {
  const notification = { id: 1, sink: 'hook', event: lostServiceEvent(), attempts: 0, nextAttemptAt: 0 };

  await t.test('connection refused', async () => {
    const port = await closedPort();
    await assert.rejects(new WebhookSink(hookConfig(port)).deliver(notification), { message: `connection refused (http://127.0.0.1:${port}/vantage/events)` });
  });

  await t.test('no reply within timeoutMs', async () => {
    const server = http.createServer(() => undefined); // never answers
    const port = await listenLocal(server);
    try {
      await assert.rejects(new WebhookSink(hookConfig(port, { timeoutMs: 100 })).deliver(notification), {
        message: `timeout after 100 ms (http://127.0.0.1:${port}/vantage/events)`,
      });
    } finally {
      server.closeAllConnections();
      await closeServer(server);
    }
  });

  await t.test('a redirect is not followed', async () => {
    const { server, port, received } = await startReceiver((_n, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    try {
      await assert.rejects(new WebhookSink(hookConfig(port)).deliver(notification), { message: `HTTP 302 from http://127.0.0.1:${port}/vantage/events` });
      assert.equal(received.length, 1);
    } finally {
      await closeServer(server);
    }
  });

  await t.test('any 2xx is delivered', async () => {
    const { server, port } = await startReceiver((_n, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}'));
    try {
      await new WebhookSink(hookConfig(port)).deliver(notification);
    } finally {
      await closeServer(server);
    }
  });

  await t.test('credentials in the URL become Basic authentication', async () => {
    const { server, port, received } = await startReceiver((_n, res) => res.writeHead(200).end());
    try {
      await new WebhookSink(hookConfig(port, { url: `http://vantage:p%40ss@127.0.0.1:${port}/hook` })).deliver(notification);
      assert.equal(received[0]?.headers.authorization, `Basic ${Buffer.from('vantage:p@ss').toString('base64')}`);
      assert.equal(received[0]?.headers['content-type'], 'application/json');
      assert.equal(received[0]?.headers['user-agent'], 'Vantage');
    } finally {
      await closeServer(server);
    }
  });

  await t.test('a long error body is cut short', async () => {
    const { server, port } = await startReceiver((_n, res) => res.writeHead(400).end('x'.repeat(100_000)));
    try {
      await assert.rejects(new WebhookSink(hookConfig(port)).deliver(notification), (err: Error) => {
        assert.match(err.message, new RegExp(`^HTTP 400 from http://127\\.0\\.0\\.1:${port}/vantage/events: x{200}…$`));
        return true;
      });
    } finally {
      await closeServer(server);
    }
  });
});
