/**
 * Values a poller sends (its name, a check's reason) end up in the backend's
 * log. They must not be able to forge log lines: one event, one line, with
 * every control character escaped.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import type { Backend } from '../server.ts';
import { bootTestBackend, TEST_CONFIG } from '../../testing/test-backend.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';

const FORGED = '2030-01-01T00:00:00.000Z INFO  vantage: FORGED';
const lines: string[] = [];
let storage: TestStorage;
let backend: Backend;

before(async () => {
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, TEST_CONFIG);
  backend = await bootTestBackend({ storage, configPath, log: createLogger('vantage', 'debug', (line) => lines.push(line)) });
});
after(async () => {
  await backend.close();
  await storage.cleanup();
});

async function call(method: string, params: unknown, credentials?: MonitorCredentials) {
  const response = await fetch(`http://127.0.0.1:${backend.port}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credentials ? { authorization: formatAuthorization(credentials) } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as { result?: unknown; error?: unknown };
}

void test('a poller name and a result reason with newlines and escapes stay on one log line each', async () => {
  const name = `evil\n${FORGED}\r\x1b[2K`;
  const registered = (await call('registerLocationMonitor', { location: 'RDU', name })).result as MonitorCredentials;
  await backend.monitors.administer(registered.monitorId, 'approve');
  await call('pollerStarting', {}, registered);
  const reason = `refused\n${FORGED}\u2028${FORGED}`;
  const answer = await call('reportResults', { results: [{ seq: 1, serviceId: 'web1/HTTP', timestamp: Date.now(), status: 'DOWN', reason }] }, registered);
  assert.ok(answer.result, JSON.stringify(answer));
  await backend.bus.drain();
  const text = lines.join('');
  assert.ok(text.includes('evil\\n2030-01-01'), 'the name is in the log, escaped');
  assert.ok(text.includes('refused\\n2030-01-01'), 'the reason is in the log, escaped');
  for (const line of text.split('\n')) assert.ok(!line.startsWith('2030-01-01'), `a forged line: ${line}`);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text.replace(/\n/g, ''), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
});
