/**
 * Two backend processes on one PostgreSQL database behave as one: a poller
 * connected to each, and GET /api/monitors on either says which monitors are
 * connected, to which instance, since when, the same on both; /api/live on
 * either streams every event, whichever instance recorded it, each once; and
 * when one instance is killed with SIGKILL its monitors stop being shown as
 * connected within the instance expiry bound.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { adminFetch, createTestStorage, TEST_ADMIN_PASSWORD, type TestStorage } from '@vantage/backend/testing';
import { writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { openLiveStream, type LiveEvent, type LiveStream } from './support/live-events.ts';
import { eventually, freePort, startBackendProcess, startProcess, type RunningProcess } from './support/processes.ts';

const ON_POSTGRES = process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): two instances share one database';
/** README's bound for a killed instance's connections (instance expiry 10 s after its last heartbeat), with room for a loaded machine. */
const KILLED_INSTANCE_GONE_WITHIN_MS = 45_000;

interface MonitorView {
  id: string;
  name: string;
  location: string;
  connected: boolean;
  instance: string | null;
  connectedSince: number | null;
}

interface Instance {
  port: number;
  dataDir: string;
  process: RunningProcess;
  url: string;
}

const processes: RunningProcess[] = [];
const streams: LiveStream[] = [];
const cleanups: (() => Promise<void>)[] = [];
let storage: TestStorage;
let targetB: HttpTarget;
let a: Instance;
let b: Instance;
let liveA: LiveStream;
let liveB: LiveStream;

after(async () => {
  for (const stream of streams) stream.close();
  for (const p of processes) await p.stop('SIGKILL');
  for (const cleanup of cleanups) await cleanup();
});

function siteConfig(portA: number, portB: number): string {
  return `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="5000" default-timeout="2000"/>
  <package name="a"><specific node-label="a0">127.0.0.1</specific><service name="HTTP" interval="500"><parameter key="port" value="${portA}"/></service></package>
  <package name="b"><specific node-label="b0">127.0.0.1</specific><service name="HTTP" interval="500"><parameter key="port" value="${portB}"/></service></package>
  <monitor service="HTTP" type="http"/>
  <location name="SITE-A" registration-token="site-a-token-123"><polling-package name="a"/></location>
  <location name="SITE-B" registration-token="site-b-token-123"><polling-package name="b"/></location>
</poller-configuration>`;
}

async function startInstance(name: string, configPath: string): Promise<Instance> {
  const port = await freePort();
  const dataDir = join(storage.dataDir, name);
  await mkdir(dataDir, { recursive: true });
  const process = await startBackendProcess({ configPath, port, dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
  processes.push(process);
  return { port, dataDir, process, url: `http://127.0.0.1:${port}` };
}

function startPoller(name: string, location: string, token: string, server: Instance): RunningProcess {
  const poller = startProcess(
    name,
    'frontend-poller/bin/vantage-poller.js',
    ['--server', `ws://127.0.0.1:${server.port}/rpc`, '--location', location, '--name', name, '--state-dir', join(storage.dataDir, name), '--reconnect-max-ms', '1000'],
    { VANTAGE_TOKEN: token },
  );
  processes.push(poller);
  return poller;
}

async function monitorsAt(instance: Instance): Promise<MonitorView[]> {
  const response = await adminFetch(`${instance.url}/api/monitors`);
  assert.equal(response.status, 200);
  return ((await response.json()) as MonitorView[]).sort((x, y) => x.name.localeCompare(y.name));
}

const byName = (list: MonitorView[], name: string) => list.find((m) => m.name === name);

before(async () => {
  if (ON_POSTGRES !== false) return;
  storage = await createTestStorage();
  cleanups.push(() => storage.cleanup());
  const targetA = new HttpTarget(await freePort());
  targetB = new HttpTarget(await freePort());
  await targetA.start();
  await targetB.start();
  cleanups.push(() => targetA.stop(), () => targetB.stop());
  const configPath = await writeConfig(storage, siteConfig(targetA.port, targetB.port));
  a = await startInstance('backend-a', configPath);
  b = await startInstance('backend-b', configPath);
  liveA = await openLiveStream(a.url);
  liveB = await openLiveStream(b.url);
  streams.push(liveA, liveB);
  startPoller('poller-a', 'SITE-A', 'site-a-token-123', a);
  startPoller('poller-b', 'SITE-B', 'site-b-token-123', b);
});

void test('GET /api/monitors on either instance shows both monitors connected, each to its own instance, since the same time', { skip: ON_POSTGRES }, async () => {
  const both = async (instance: Instance) => {
    const list = await monitorsAt(instance);
    const [pa, pb] = [byName(list, 'poller-a'), byName(list, 'poller-b')];
    return pa?.connected && pb?.connected ? list : undefined;
  };
  const pick = (list: MonitorView[]) => list.filter((m) => m.name.startsWith('poller-')).map((m) => ({ name: m.name, connected: m.connected, instance: m.instance, connectedSince: m.connectedSince }));
  // A poller that has just registered reconnects with its new credentials, so
  // its connection (and since when) may change between two reads: read both
  // instances until two reads in a row agree, then they must agree exactly.
  const [atA, atB] = await eventually(
    'both monitors connected, and both instances agreeing',
    async () => {
      const [fromA, fromB] = [await both(a), await both(b)];
      return fromA && fromB && JSON.stringify(pick(fromA)) === JSON.stringify(pick(fromB)) ? ([fromA, fromB] as const) : undefined;
    },
    30_000,
  );
  assert.deepEqual(pick(atA), pick(atB), 'one view from every instance');
  const [pa, pb] = [byName(atA, 'poller-a')!, byName(atA, 'poller-b')!];
  assert.match(pa.instance ?? '', new RegExp(`:${a.port}:`), 'poller-a is connected to instance A');
  assert.match(pb.instance ?? '', new RegExp(`:${b.port}:`), 'poller-b is connected to instance B');
  for (const m of [pa, pb]) assert.ok(typeof m.connectedSince === 'number' && m.connectedSince <= Date.now(), `${m.name} has a connectedSince`);
});

void test('/api/live on either instance streams the events of both, each once', { skip: ON_POSTGRES }, async () => {
  const monitors = await monitorsAt(a);
  const pollerB = byName(monitors, 'poller-b')!;
  // Recorded by instance B (its poller's service went down), seen at A.
  await targetB.stop();
  const lostAtA = await eventually(
    'the service lost at poller-b on the live stream of instance A',
    async () => liveA.events.find((e) => e.uei === Uei.nodeLostService && e.monitorId === pollerB.id),
    30_000,
  );
  assert.equal(lostAtA.location, 'SITE-B');
  // Every stored event reaches both streams, and none twice.
  const stored = async () => ((await (await adminFetch(`${a.url}/api/events?limit=1000`)).json()) as LiveEvent[]).map((e) => e.id).sort((x, y) => x - y);
  const ids = (stream: LiveStream) => [...stream.countsById().keys()].sort((x, y) => x - y);
  await eventually(
    'every stored event on both streams',
    async () => {
      const all = await stored();
      return JSON.stringify(ids(liveA)) === JSON.stringify(all) && JSON.stringify(ids(liveB)) === JSON.stringify(all);
    },
    30_000,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nA: ${ids(liveA).join(',')}\nB: ${ids(liveB).join(',')}`);
  });
  for (const [name, stream] of [['A', liveA], ['B', liveB]] as const) {
    const twice = [...stream.countsById()].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], `no event twice on the stream of instance ${name}`);
  }
  const ueis = (stream: LiveStream, monitorId: string) => new Set(stream.events.filter((e) => e.monitorId === monitorId).map((e) => e.uei));
  const pollerA = byName(monitors, 'poller-a')!;
  assert.ok(ueis(liveA, pollerB.id).has(Uei.locationMonitorStarted), 'A saw poller-b start (recorded by B)');
  assert.ok(ueis(liveB, pollerA.id).has(Uei.locationMonitorStarted), 'B saw poller-a start (recorded by A)');
});

void test('kill -9 of instance B: its monitor stops being shown as connected within the bound; A’s stays', { skip: ON_POSTGRES }, async () => {
  b.process.child.kill('SIGKILL');
  await b.process.exited;
  const killedAt = Date.now();
  const list = await eventually(
    'poller-b no longer shown as connected at A',
    async () => {
      const monitors = await monitorsAt(a);
      return byName(monitors, 'poller-b')?.connected === false ? monitors : undefined;
    },
    KILLED_INSTANCE_GONE_WITHIN_MS,
  );
  console.log(`a killed instance's monitor was shown as disconnected ${Date.now() - killedAt} ms after the kill`);
  const pb = byName(list, 'poller-b')!;
  assert.equal(pb.instance, null);
  assert.equal(pb.connectedSince, null);
  const pa = byName(list, 'poller-a')!;
  assert.equal(pa.connected, true);
  assert.match(pa.instance ?? '', new RegExp(`:${a.port}:`));
});
