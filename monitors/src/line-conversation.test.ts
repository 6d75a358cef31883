import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MAX_RECEIVED_BYTES, type LineConversation, converse, quoted } from './line-conversation.ts';
import { CLOSE, crlf, startDialogServer, type Dialog } from '../testing/line-servers.ts';
import { start } from '../testing/servers.ts';

const target = (port: number) => ({ host: '127.0.0.1', settings: { port }, timeoutMs: 2000 });

/** Runs `dialog` against a dialog server, returning the outcome and what the conversation read. */
async function talk<T>(serverDialog: Dialog, dialog: (c: LineConversation) => Promise<T>) {
  const server = await startDialogServer(serverDialog);
  try {
    let result: T | undefined;
    const outcome = await converse(target(server.port), AbortSignal.timeout(2000), { port: server.port }, async (c) => {
      result = await dialog(c);
    });
    return { outcome, result };
  } finally {
    await server.close();
  }
}

void test('line-conversation: lines end in "\\r\\n" or "\\n"; what follows the last line end comes last', async () => {
  const { outcome, result } = await talk({ greeting: ['one\r\ntwo\nthree', CLOSE] }, async (c) => [
    await c.readLine('first'),
    await c.readLine('second'),
    await c.readLine('third'),
  ]);
  assert.equal(outcome.status, 'UP', outcome.reason);
  assert.deepEqual(result, ['one', 'two', 'three']);
});

void test('line-conversation: coded replies, single, multi-line, bare code and none', async () => {
  const { outcome, result } = await talk(
    { greeting: crlf('220 ready', '250-a', '250-b', '250 c', '221', 'hello') },
    async (c) => [
      await c.readCodedReply('1'),
      await c.readCodedReply('2'),
      await c.readCodedReply('3'),
      await c.readCodedReply('4'),
    ],
  );
  assert.equal(outcome.status, 'UP', outcome.reason);
  assert.deepEqual(result, [
    { code: 220, text: '220 ready' },
    { code: 250, text: '250 c' },
    { code: 221, text: '221' },
    { code: undefined, text: 'hello' },
  ]);
});

void test('line-conversation: at most 64 KiB is read over the whole conversation', async () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'.'.repeat(40)}`);
  assert.ok(crlf(...lines).length > MAX_RECEIVED_BYTES);
  const { outcome } = await talk({ greeting: crlf(...lines) }, (c) => c.expect(/PONG/m, '"PONG"'));
  assert.deepEqual(outcome, { status: 'DOWN', reason: '"PONG" did not arrive in the first 64 KiB received' });
});

const politeClose = 'line-conversation: closes politely, and gives up on a server that keeps its side open';
void test(politeClose, { timeout: 5000 }, async () => {
  let endedAtMs: number | undefined;
  let resolveClosed: (atMs: number) => void = () => {};
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  // allowHalfOpen: the server does not answer our FIN with its own, and keeps
  // writing; once we have given up, a write meets a closed socket and resets.
  const server = await start(
    net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      socket.on('close', () => resolveClosed(performance.now()));
      socket.on('end', () => {
        endedAtMs = performance.now();
        const timer = setInterval(() => socket.write('.'), 50);
        socket.on('close', () => clearInterval(timer));
      });
      socket.write(crlf('hello'));
    }),
  );
  try {
    const outcome = await converse(target(server.port), AbortSignal.timeout(2000), { port: server.port }, async (c) => {
      await c.readLine('greeting');
    });
    assert.equal(outcome.status, 'UP', outcome.reason);
    const closedAtMs = await closed;
    assert.ok(endedAtMs !== undefined, 'the server saw our FIN');
    const graceMs = closedAtMs - endedAtMs;
    assert.ok(graceMs > 800 && graceMs < 2000, `gave up ${graceMs} ms after the FIN`);
  } finally {
    await server.close();
  }
});

void test('line-conversation: quoted() escapes and shortens server text', () => {
  assert.equal(quoted('a "b"\t'), '"a \\"b\\"\\t"');
  assert.equal(quoted('x'.repeat(200)), `"${'x'.repeat(120)}…"`);
});
