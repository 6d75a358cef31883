/**
 * A busy poller never looks dead. Measured before: with 20,000 services at a
 * 60 s interval (333 checks/s) and a check-in every 10 s, the poller checked
 * in once in 150 s and was declared DISCONNECTED, because sending results
 * starved check-ins. Here the same rate with 1,000 services every 3 s, a
 * check-in every 5 s (1,667 results between two) and a disconnect timeout of
 * 15 s, while the backlog of a 15 s outage (5,000 results) is replayed: no
 * locationMonitorDisconnected, and the check-in and its statistics stay
 * fresh throughout.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { adminFetch, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { edgeConfig, startBackend, startEdgePoller, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, type RunningProcess } from './support/processes.ts';

const NODES = 1_000;
const INTERVAL_MS = 3_000;
const CHECK_IN_MS = 5_000;
const DISCONNECT_MS = 15_000;
const OUTAGE_MS = 15_000;
const WATCH_MS = 25_000;

let storage: TestStorage;
let target: HttpTarget;
let port: number;
let configPath: string;
const processes: RunningProcess[] = [];

before(async () => {
  storage = await createTestStorage();
  target = new HttpTarget(await freePort());
  await target.start();
  port = await freePort();
  configPath = await writeConfig(storage, edgeConfig({ targetPort: target.port, nodes: NODES, intervalMs: INTERVAL_MS, checkInMs: CHECK_IN_MS, disconnectMs: DISCONNECT_MS }));
});

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  await target.stop();
  await storage.cleanup();
});

interface MonitorView {
  id: string;
  name: string;
  status: string;
  lastSeq: number;
  lastCheckInAt: number | null;
  stats: Record<string, number> | null;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await adminFetch(`http://127.0.0.1:${port}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

void test('333 checks/s and a replayed backlog: never marked disconnected, check-ins and stats stay fresh', async () => {
  let backend = await startBackend(storage, configPath, port);
  processes.push(backend);
  const stateDir = join(storage.dataDir, 'busy');
  await mkdir(stateDir, { recursive: true });
  const poller = startEdgePoller('busy-1', stateDir, [`ws://127.0.0.1:${port}/rpc`]);
  processes.push(poller);
  await poller.waitForLine(/polling 1000 services of package "edge"/, 30_000);

  // An outage: the backlog builds up on disk.
  await backend.stop('SIGTERM');
  const cutAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const checksWhileAway = target.requests;
  backend = await startBackend(storage, configPath, port);
  processes.push(backend);
  const backAt = Date.now();

  const monitor = await eventually(
    'the poller back and checking in',
    async () => (await getJson<MonitorView[]>('/api/monitors?location=EDGE')).find((m) => m.name === 'busy-1' && (m.lastCheckInAt ?? 0) > backAt),
    30_000,
  );
  let worstCheckInAgeMs = 0;
  let worstStatsAgeMs = 0;
  let replayedTo = 0;
  const statuses = new Set<string>();
  const watchUntil = Date.now() + WATCH_MS;
  while (Date.now() < watchUntil) {
    const m = (await getJson<MonitorView[]>('/api/monitors?location=EDGE')).find((x) => x.id === monitor.id)!;
    const now = Date.now();
    statuses.add(m.status);
    worstCheckInAgeMs = Math.max(worstCheckInAgeMs, now - (m.lastCheckInAt ?? 0));
    worstStatsAgeMs = Math.max(worstStatsAgeMs, now - (m.stats?.clockMs ?? 0));
    replayedTo = m.lastSeq;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const disconnected = await getJson<unknown[]>(`/api/events?monitor=${monitor.id}&uei=${encodeURIComponent(Uei.locationMonitorDisconnected)}&since=${backAt}`);
  const spooled = await getJson<MonitorView[]>('/api/monitors?location=EDGE');
  console.log(
    `busy poller: ${checksWhileAway} checks by the end of a ${Math.round((backAt - cutAt) / 1000)} s outage; ` +
      `worst check-in age ${worstCheckInAgeMs} ms, worst stats age ${worstStatsAgeMs} ms; lastSeq ${replayedTo}; ` +
      `still spooled ${spooled.find((x) => x.id === monitor.id)?.stats?.spooled}`,
  );
  assert.deepEqual(disconnected, [], 'never declared disconnected while it worked');
  assert.deepEqual([...statuses], ['STARTED']);
  assert.ok(worstCheckInAgeMs < 2 * CHECK_IN_MS + 2_000, `a check-in was ${worstCheckInAgeMs} ms old`);
  assert.ok(worstStatsAgeMs < 2 * CHECK_IN_MS + 2_000, `the check-in statistics were ${worstStatsAgeMs} ms old`);
  assert.ok(replayedTo > (OUTAGE_MS / INTERVAL_MS) * NODES, `the backlog was replayed (lastSeq ${replayedTo})`);
});
