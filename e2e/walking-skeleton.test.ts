/**
 * The whole path with real processes over a real WebSocket: a backend and a
 * vantage-poller started from their command lines; registration, approval,
 * a lost and regained service, pause, a killed poller that disconnects, and
 * its return with the same identity.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { createTestStorage, type TestStorage, adminFetch, TEST_ADMIN_PASSWORD } from '@vantage/backend/testing';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, startBackendProcess, startProcess, type RunningProcess } from './support/processes.ts';

interface MonitorView {
  id: string;
  name: string;
  status: string;
  lastSeq: number;
  lastCheckInAt: number | null;
}
interface EventView {
  uei: string;
  location: string;
  monitorId: string;
  serviceId: string | null;
  params: Record<string, string>;
}

let storage: TestStorage;
let backend: RunningProcess;
let api: string;
let targetPort: number;
let target: HttpTarget;
const pollers: RunningProcess[] = [];


async function getJson<T>(path: string): Promise<T> {
  const response = await adminFetch(`${api}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}
async function postJson<T>(path: string): Promise<T> {
  const response = await adminFetch(`${api}${path}`, { method: 'POST' });
  assert.equal(response.status, 200, `POST ${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}
const monitorsAt = (location: string) => getJson<MonitorView[]>(`/api/monitors?location=${location}`);
async function eventFor(monitorId: string, uei: string): Promise<EventView | undefined> {
  const events = await getJson<EventView[]>(`/api/events?monitor=${monitorId}&uei=${encodeURIComponent(uei)}`);
  return events[0];
}
const countEvents = async (monitorId: string, uei: string) =>
  (await getJson<EventView[]>(`/api/events?monitor=${monitorId}&uei=${encodeURIComponent(uei)}`)).length;

function startPoller(stateDir: string, backendPort: number): RunningProcess {
  const poller = startProcess('vantage-poller', 'frontend-poller/bin/vantage-poller.js', [
    '--server',
    `ws://127.0.0.1:${backendPort}/rpc`,
    '--location',
    'RDU',
    '--name',
    'rdu-e2e',
    '--state-dir',
    stateDir,
    '--approval-retry-ms',
    '500',
    '--reconnect-max-ms',
    '1000',
  ]);
  pollers.push(poller);
  return poller;
}

before(async () => {
  storage = await createTestStorage();
  targetPort = await freePort();
  target = new HttpTarget(targetPort);
  await target.start();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <poller-settings check-in-interval="1000" disconnect-timeout="3000"/>
      <package name="web">
        <specific node-label="target">127.0.0.1</specific>
        <service name="HTTP" interval="1000">
          <parameter key="port" value="${targetPort}"/>
          <parameter key="timeout" value="500"/>
        </service>
      </package>
      <monitor service="HTTP" type="http"/>
      <location name="RDU" monitoring-area="raleigh"><polling-package name="web"/></location>
    </poller-configuration>`,
  );
  const port = await freePort();
  backend = await startBackendProcess({ configPath, port, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
  api = `http://127.0.0.1:${port}`;
});

after(async () => {
  for (const poller of pollers) await poller.stop('SIGKILL');
  await backend?.stop();
  await target?.stop();
  await storage?.cleanup();
});

void test('register, approve, lose and regain a service, pause, disconnect and reconnect', async (t) => {
  const stateDir = join(storage.dataDir, 'poller-state');
  await mkdir(stateDir, { recursive: true });
  const backendPort = Number(new URL(api).port);
  let poller = startPoller(stateDir, backendPort);
  // On failure, show what the processes said: that is where the story is.
  t.after(() => {
    if (!passed) console.log(`--- backend output ---\n${backend.output.join('\n')}\n--- poller output ---\n${poller.output.join('\n')}`);
  });
  let passed = false;

  // Registration waits for an administrator.
  await poller.waitForLine(/waiting for an administrator to approve/, 20_000);
  const [pending] = await monitorsAt('RDU');
  assert.equal(pending?.status, 'PENDING');
  assert.equal(pending?.name, 'rdu-e2e');
  const monitorId = pending!.id;
  assert.ok(await eventFor(monitorId, Uei.locationMonitorRegistered));

  // Approval through the REST API; the poller starts and polls the target.
  await postJson(`/api/monitors/${monitorId}/approve`);
  await poller.waitForLine(/polling 1 service/, 10_000);
  await eventually('results from the poller', async () => (await monitorsAt('RDU'))[0]!.lastSeq >= 2, 10_000);
  assert.equal((await monitorsAt('RDU'))[0]!.status, 'STARTED');
  assert.equal(await countEvents(monitorId, Uei.nodeLostService), 0);

  // The target goes away: nodeLostService with the location and monitor.
  await target.stop();
  const lost = await eventually('nodeLostService', () => eventFor(monitorId, Uei.nodeLostService), 10_000);
  assert.equal(lost.location, 'RDU');
  assert.equal(lost.monitorId, monitorId);
  assert.equal(lost.serviceId, 'target/HTTP');
  assert.match(lost.params.reason ?? '', /connection refused/);

  // It comes back: nodeRegainedService.
  await target.start();
  const regained = await eventually('nodeRegainedService', () => eventFor(monitorId, Uei.nodeRegainedService), 10_000);
  assert.equal(regained.location, 'RDU');
  assert.equal(await countEvents(monitorId, Uei.nodeLostService), 1);

  // Pause: the poller stops polling and locationMonitorPaused is stored.
  await postJson(`/api/monitors/${monitorId}/pause`);
  await poller.waitForLine(/paused by an administrator/, 10_000);
  assert.ok(await eventFor(monitorId, Uei.locationMonitorPaused));
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // lets a check already under way report
  const seqWhenPaused = (await monitorsAt('RDU'))[0]!.lastSeq;
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const paused = (await monitorsAt('RDU'))[0]!;
  assert.equal(paused.lastSeq, seqWhenPaused, 'no results while paused');
  assert.equal(paused.status, 'PAUSED');

  // SIGKILL: after the disconnect timeout, locationMonitorDisconnected.
  await poller.stop('SIGKILL');
  const disconnected = await eventually('locationMonitorDisconnected', () => eventFor(monitorId, Uei.locationMonitorDisconnected), 10_000);
  assert.equal(disconnected.location, 'RDU');
  assert.equal((await monitorsAt('RDU'))[0]!.status, 'DISCONNECTED');

  // Restarted with the same state: same identity, locationMonitorReconnected, still paused.
  poller = startPoller(stateDir, backendPort);
  await eventually('locationMonitorReconnected', () => eventFor(monitorId, Uei.locationMonitorReconnected), 15_000);
  const monitors = await monitorsAt('RDU');
  assert.equal(monitors.length, 1, 'no second registration');
  assert.equal(monitors[0]!.id, monitorId);
  assert.equal(monitors[0]!.status, 'PAUSED');
  assert.ok(!poller.output.some((line) => /registered at location/.test(line)), 'the poller did not register again');

  // Resume, then a clean stop: locationMonitorStopped.
  await postJson(`/api/monitors/${monitorId}/resume`);
  await poller.waitForLine(/resumed: polling 1 service/, 10_000);
  assert.equal(await poller.stop('SIGTERM'), 0);
  assert.ok(await eventFor(monitorId, Uei.locationMonitorStopped));
  assert.equal((await monitorsAt('RDU'))[0]!.status, 'STOPPED');
  passed = true;
});
