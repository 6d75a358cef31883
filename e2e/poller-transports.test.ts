/**
 * The Poller against a real backend on loopback, over each transport: HTTP
 * POST with a registration token, WebSocket across a backend restart, and
 * re-registration after an administrator deletes the monitor.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { openHttpTransport, openWsTransport, Poller, type TransportFactory } from '@vantage/frontend-poller';
import { createLogger, systemClock, type Clock } from '@vantage/runtime';
import type { Backend } from '@vantage/backend';
import { EventEntity, PollResultEntity, bootTestBackend, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { eventually, freePort } from './support/processes.ts';

let storage: TestStorage;
let backend: Backend;
let backendPort: number;
let target: Server;
let configPath: string;

async function bootBackend(): Promise<Backend> {
  return bootTestBackend({ storage, configPath, port: backendPort });
}

before(async () => {
  storage = await createTestStorage();
  target = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as { port: number }).port;
  configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <poller-settings check-in-interval="500" disconnect-timeout="5000"/>
      <package name="p">
        <specific node-label="target">127.0.0.1</specific>
        <service name="TCP" interval="300"><parameter key="port" value="${targetPort}"/></service>
      </package>
      <monitor service="TCP" type="tcp"/>
      <location name="LAB" registration-token="lab-token-123"><polling-package name="p"/></location>
    </poller-configuration>`,
  );
  backendPort = await freePort();
  backend = await bootBackend();
});

after(async () => {
  await backend.close();
  await new Promise((resolve) => target.close(resolve));
  await storage.cleanup();
});

function makePoller(name: string, connect: TransportFactory, lines: string[], clock?: Clock): Poller {
  return new Poller({
    clock,
    servers: [`test://${name}`],
    location: 'LAB',
    name,
    token: 'lab-token-123',
    stateDir: join(storage.dataDir, `state-${name}`),
    connect: (_server, credentials) => connect(credentials),
    log: createLogger(name, 'debug', (line) => lines.push(line)),
    reconnectInitialMs: 100,
    reconnectMaxMs: 300,
  });
}

const events = (monitorId: string, uei: string) => backend.db.manager.countBy(EventEntity, { monitorId, uei });

void test('over HTTP POST: registers with the token, polls, reports, stops cleanly', async () => {
  const lines: string[] = [];
  const url = `http://127.0.0.1:${backendPort}/rpc`;
  const poller = makePoller('http-1', async (credentials) => openHttpTransport({ url, credentials }), lines);
  const exit = poller.start();
  const monitorId = await eventually('registration', async () => poller.monitorId, 5_000);
  await eventually('results', async () => (await backend.monitors.get(monitorId)).lastSeq >= 3, 5_000);
  await poller.stop();
  assert.equal(await exit, 'stopped');
  assert.equal((await backend.monitors.get(monitorId)).lifecycle, 'STOPPED');
  assert.equal(await events(monitorId, Uei.locationMonitorStopped), 1);
  assert.ok(lines.some((l) => /polling 1 service/.test(l)), lines.join('\n'));
});

void test('over WebSocket: survives a backend restart without starting again, and nothing is counted twice', async () => {
  const lines: string[] = [];
  const url = `ws://127.0.0.1:${backendPort}/rpc`;
  const poller = makePoller('ws-1', async (credentials) => openWsTransport({ url, credentials, connectTimeoutMs: 1_000 }), lines);
  void poller.start();
  const monitorId = await eventually('registration', async () => poller.monitorId, 5_000);
  await eventually('results', async () => (await backend.monitors.get(monitorId)).lastSeq >= 2, 5_000);

  await backend.close();
  await new Promise((resolve) => setTimeout(resolve, 700)); // the poller keeps polling into its spool
  backend = await bootBackend();

  const seqAfterRestart = (await backend.monitors.get(monitorId)).lastSeq;
  await eventually('results after the restart', async () => (await backend.monitors.get(monitorId)).lastSeq >= seqAfterRestart + 3, 10_000);
  assert.ok(lines.some((l) => /disconnected from the backend|connection to the backend closed/.test(l)), lines.join('\n'));
  assert.equal(await events(monitorId, Uei.locationMonitorStarted), 1, 'a reconnection is not a new start');
  // Every seq from 1 to the acknowledged one is stored exactly once.
  const { lastSeq } = await backend.monitors.get(monitorId);
  const [row] = (await backend.db.manager.query('SELECT count(*)::int AS n, count(DISTINCT seq)::int AS d, min(seq)::int AS lo FROM poll_result WHERE monitor_id = $1', [
    monitorId,
  ])) as { n: number; d: number; lo: number }[];
  assert.deepEqual(row, { n: lastSeq, d: lastSeq, lo: 1 });
  await poller.stop();
});

void test('a monitor deleted by an administrator registers again', async () => {
  const lines: string[] = [];
  const url = `ws://127.0.0.1:${backendPort}/rpc`;
  const poller = makePoller('ws-2', async (credentials) => openWsTransport({ url, credentials }), lines);
  void poller.start();
  const first = await eventually('registration', async () => poller.monitorId, 5_000);
  await eventually('started', async () => (await backend.monitors.get(first)).lifecycle === 'STARTED', 5_000);
  await backend.monitors.administer(first, 'delete');
  const second = await eventually('a new registration', async () => (poller.monitorId !== first ? poller.monitorId : undefined), 5_000);
  await eventually('the new identity polls', async () => (await backend.monitors.get(second)).lastSeq >= 1, 5_000);
  assert.ok(lines.some((l) => /deleted by an administrator; registering again/.test(l)), lines.join('\n'));
  await poller.stop();
});

void test('a poller whose clock is an hour fast has its results refused and dropped, and reports again once its clock is right', async () => {
  const lines: string[] = [];
  const url = `ws://127.0.0.1:${backendPort}/rpc`;
  let offsetMs = 3_600_000;
  const clock: Clock = { ...systemClock, now: () => Date.now() + offsetMs };
  const poller = makePoller('ws-fast-clock', async (credentials) => openWsTransport({ url, credentials }), lines, clock);
  void poller.start();
  const monitorId = await eventually('registration', async () => poller.monitorId, 5_000);
  await eventually('refused results', async () => lines.some((l) => /dropping \d+ results the backend refuses for their timestamps: .*ahead of the backend's clock/.test(l)), 10_000);
  assert.equal(await backend.db.manager.countBy(PollResultEntity, { monitorId }), 0);
  offsetMs = 0;
  await eventually('results once the clock is right', async () => (await backend.db.manager.countBy(PollResultEntity, { monitorId })) >= 2, 10_000);
  assert.ok(lines.every((l) => !/connecting to \S+ in \d+ ms/.test(l)), `refused results are dropped without a reconnection:\n${lines.join('\n')}`);
  await poller.stop();
});
