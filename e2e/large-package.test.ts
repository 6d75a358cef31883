/**
 * A large package (a range of 10,000 addresses with 3 services) travels to a
 * poller in one getPollingPackage call, over WebSocket and over HTTP, and the
 * poller's validators accept it.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseResult, type MonitorCredentials } from '@vantage/common';
import { openHttpTransport, openWsTransport, type Transport } from '@vantage/frontend-poller';
import { largeConfigXml } from '../bench/large-config.ts';
import type { Backend } from '@vantage/backend';
import { bootTestBackend, createTestStorage, type TestStorage } from '@vantage/backend/testing';

let storage: TestStorage;
let backend: Backend;
let credentials: MonitorCredentials;

before(async () => {
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, largeConfigXml(10_000));
  backend = await bootTestBackend({ storage, configPath, watchConfig: false });
  const transport = await openWsTransport({ url: `ws://127.0.0.1:${backend.port}/rpc` });
  const answer = parseResult('registerLocationMonitor', await transport.call('registerLocationMonitor', { location: 'DC', name: 'dc-1', token: 'dc-token-1234' }));
  credentials = answer;
  await transport.close();
});
after(async () => {
  await backend.close();
  await storage.cleanup();
});

const transports: [string, () => Promise<Transport>][] = [
  ['WebSocket', () => openWsTransport({ url: `ws://127.0.0.1:${backend.port}/rpc`, credentials })],
  ['HTTP', async () => openHttpTransport({ url: `http://127.0.0.1:${backend.port}/rpc`, credentials })],
];

for (const [name, open] of transports) {
  void test(`30,000 services arrive in one call over ${name}`, async () => {
    const transport = await open();
    try {
      const answer = parseResult('getPollingPackage', await transport.call('getPollingPackage', {}));
      assert.ok('package' in answer);
      const services = answer.package.services;
      assert.equal(services.length, 30_000);
      assert.equal(new Set(services.map((s) => s.serviceId)).size, 30_000);
      assert.ok(services.some((s) => s.serviceId === '10.0.39.16/SSH'));
      assert.deepEqual(services[0]!.downtime, [
        { beginMs: 0, endMs: 300_000, intervalMs: 30_000 },
        { beginMs: 300_000, intervalMs: 300_000 },
      ]);
    } finally {
      await transport.close();
    }
  });
}
