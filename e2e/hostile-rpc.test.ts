/**
 * No message ends the backend: the backend as an operator runs it (its CLI,
 * a process of its own) gets, without credentials, the messages that once
 * crashed it or that nothing bounded, and must answer each with its JSON-RPC
 * error and keep answering /api/health.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ErrorCode } from '@vantage/common';
import { createTestStorage, TEST_ADMIN_PASSWORD, TEST_CONFIG, type TestStorage } from '@vantage/backend/testing';
import WebSocket from 'ws';
import { freePort, startBackendProcess, type RunningProcess } from './support/processes.ts';

let storage: TestStorage;
let backend: RunningProcess;
let port: number;

before(async () => {
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, TEST_CONFIG);
  port = await freePort();
  backend = await startBackendProcess({ configPath, port, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
});
after(async () => {
  await backend.stop();
  await storage.cleanup();
});

/** An id that is an array nested `depth` deep: JSON.parse takes it, JSON.stringify of an answer echoing it overflows the stack. */
const deeplyNestedId = (depth: number) => `{"jsonrpc":"2.0","id":${'['.repeat(depth)}${']'.repeat(depth)},"method":"registerLocationMonitor","params":{}}`;

async function assertStillServing(): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => err);
  const exited = backend.child.exitCode !== null ? `; it exited with ${backend.child.exitCode}` : '';
  assert.ok(!(health instanceof Error), `the backend does not answer /api/health (${String(health)})${exited}. Its output:\n${backend.output.slice(-20).join('\n')}`);
  assert.equal(health.status, 200);
}

/** Sends one text message over a fresh unauthenticated WebSocket and resolves with the first answer, or with why none came. */
function sendOverWebSocket(message: string): Promise<{ answer?: Record<string, unknown>; closed?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ closed: 'no answer within 15 s' });
    }, 15_000);
    ws.once('open', () => ws.send(message));
    ws.once('message', (data) => {
      clearTimeout(timer);
      ws.close();
      resolve({ answer: JSON.parse(data.toString()) as Record<string, unknown> });
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve({ closed: `closed with ${code}` });
    });
    ws.once('error', () => undefined);
  });
}

void test('an id nested 5,000 deep over WebSocket is an invalid request, and the backend stays up', async () => {
  const { answer, closed } = await sendOverWebSocket(deeplyNestedId(5_000));
  await assertStillServing();
  assert.ok(answer, `expected an answer, got ${closed}`);
  assert.equal(answer.id, null);
  assert.equal((answer.error as { code: number }).code, ErrorCode.InvalidRequest);
});

void test('an id nested 5,000 deep over POST /rpc is an invalid request, and the backend stays up', async () => {
  const response = await fetch(`http://127.0.0.1:${port}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: deeplyNestedId(5_000),
    signal: AbortSignal.timeout(15_000),
  });
  await assertStillServing();
  const answer = (await response.json()) as { id: unknown; error: { code: number } };
  assert.equal(answer.id, null);
  assert.equal(answer.error.code, ErrorCode.InvalidRequest);
});

void test('ids of every wrong kind are answered -32600 with the id null, over WebSocket and POST', async () => {
  const wrongIds = ['{"a":1}', '[1]', 'true', '1.5', '1e400', `"${'x'.repeat(129)}"`, String(2 ** 53)];
  for (const id of wrongIds) {
    const message = `{"jsonrpc":"2.0","id":${id},"method":"registerLocationMonitor","params":{"location":"Atlantis","name":"x"}}`;
    const { answer, closed } = await sendOverWebSocket(message);
    assert.ok(answer, `id ${id.slice(0, 20)}: expected an answer, got ${closed}`);
    assert.deepEqual([answer.id, (answer.error as { code: number }).code], [null, ErrorCode.InvalidRequest], `id ${id.slice(0, 20)} over WebSocket`);
    const response = await fetch(`http://127.0.0.1:${port}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: message });
    const posted = (await response.json()) as { id: unknown; error: { code: number } };
    assert.deepEqual([posted.id, posted.error.code], [null, ErrorCode.InvalidRequest], `id ${id.slice(0, 20)} over POST`);
  }
  await assertStillServing();
});
