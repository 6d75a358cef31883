/**
 * Reloading the polling configuration under a running poller: a changed
 * interval reaches the poller and its schedule, a location whose package did
 * not change keeps its version, and a broken edit is refused while polling
 * goes on with the configuration in force.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { openWsTransport, Poller } from '@vantage/frontend-poller';
import { createLogger } from '@vantage/runtime';
import type { Backend } from '@vantage/backend';
import { EventEntity, adminFetch, bootTestBackend, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { eventually } from './support/processes.ts';

let storage: TestStorage;
let backend: Backend;
let target: Server;
let targetPort: number;
let configPath: string;
const backendLines: string[] = [];

const configWith = (labIntervalMs: number) => `<poller-configuration>
  <poller-settings check-in-interval="500" disconnect-timeout="5000"/>
  <package name="lab">
    <specific node-label="target">127.0.0.1</specific>
    <service name="TCP" interval="${labIntervalMs}"><parameter key="port" value="${targetPort}"/></service>
  </package>
  <package name="other">
    <specific node-label="elsewhere">127.0.0.1</specific>
    <service name="TCP" interval="60000"><parameter key="port" value="${targetPort}"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="LAB" registration-token="lab-token-123"><polling-package name="lab"/></location>
  <location name="OTHER"><polling-package name="other"/></location>
</poller-configuration>`;

before(async () => {
  storage = await createTestStorage();
  target = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as { port: number }).port;
  configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, configWith(5_000));
  backend = await bootTestBackend({ storage, configPath, log: createLogger('backend', 'info', (line) => backendLines.push(line)) });
});

after(async () => {
  await backend.close();
  await new Promise((resolve) => target.close(resolve));
  await storage.cleanup();
});

async function resultCount(monitorId: string): Promise<number> {
  const [row] = (await backend.db.manager.query('SELECT count(*)::int AS n FROM poll_result WHERE monitor_id = $1', [monitorId])) as { n: number }[];
  return row!.n;
}

async function reloadThroughRest(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await adminFetch(`http://127.0.0.1:${backend.port}/api/config/reload`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

void test('a changed interval reaches the running poller; a broken edit is refused and polling goes on', async () => {
  const lines: string[] = [];
  const poller = new Poller({
    servers: [`ws://127.0.0.1:${backend.port}/rpc`],
    location: 'LAB',
    name: 'lab-1',
    token: 'lab-token-123',
    stateDir: join(storage.dataDir, 'poller'),
    connect: async (server, credentials) => openWsTransport({ url: server, credentials }),
    log: createLogger('poller', 'debug', (line) => lines.push(line)),
  });
  void poller.start();
  try {
    await eventually('the first package', async () => poller.services.length === 1, 5_000);
    const monitorId = poller.monitorId!;
    assert.equal(poller.services[0]!.intervalMs, 5_000);
    const labBefore = backend.configs.packageFor('LAB')!.version;
    const otherBefore = backend.configs.packageFor('OTHER')!.version;

    // Edit the file: the watcher reloads it, the poller gets the hint and the new schedule.
    await writeFile(configPath, configWith(200));
    await eventually('the new interval at the poller', async () => poller.services[0]?.intervalMs === 200, 10_000);
    assert.equal(poller.services[0]!.serviceId, 'target/TCP', 'the service keeps its id across the reload');
    assert.notEqual(backend.configs.packageFor('LAB')!.version, labBefore);
    assert.equal(backend.configs.packageFor('OTHER')!.version, otherBefore, 'a location whose package did not change keeps its version');
    assert.ok(lines.some((l) => /configuration changed: polling 1 service/.test(l)), lines.join('\n'));
    await eventually(
      'configurationChangeDetected',
      () => backend.db.manager.findOneBy(EventEntity, { monitorId, uei: Uei.configurationChangeDetected }),
      5_000,
    );
    // The schedule follows: at 200 ms, several checks a second (the old one made one per 5 s).
    // Results arrive a group commit (up to 1 s) after their check, so this waits for them rather than a fixed time;
    // within 3 s the old interval could have made one.
    const countAfterChange = await resultCount(monitorId);
    await eventually('checks at the new interval', async () => (await resultCount(monitorId)) - countAfterChange >= 4, 3_000);

    // A broken edit: refused with the file and line, the running configuration stays, polling goes on.
    const labVersion = backend.configs.packageFor('LAB')!.version;
    await writeFile(configPath, configWith(200).replace('<monitor service="TCP" type="tcp"/>', '<monitor service="TCP" type="telnet"/>'));
    const refused = await reloadThroughRest();
    assert.equal(refused.status, 422);
    assert.match(String(refused.body.error), /polling-config\.xml:11: <monitor>: unknown monitor type "telnet"/);
    await eventually('the refusal in the log', async () => backendLines.some((l) => /refused: .*the running configuration stays in force/.test(l)), 5_000);
    assert.equal(backend.configs.packageFor('LAB')!.version, labVersion);
    const countAfterRefusal = await resultCount(monitorId);
    await eventually('polling going on after the refusal', async () => (await resultCount(monitorId)) >= countAfterRefusal + 4, 5_000);
    assert.equal(poller.services[0]!.intervalMs, 200);

    // Mended: it reloads again.
    await writeFile(configPath, configWith(300));
    const mended = await reloadThroughRest();
    assert.equal(mended.status, 200);
    assert.deepEqual(mended.body, { status: 'reloaded', changedLocations: ['LAB'] });
    await eventually('the mended interval at the poller', async () => poller.services[0]?.intervalMs === 300, 10_000);
  } finally {
    await poller.stop();
  }
});
