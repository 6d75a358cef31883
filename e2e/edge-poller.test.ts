/**
 * The poller at the edge, with real processes: it keeps every result through
 * a kill -9 while the backend is down (all but the last group commit), never
 * hands a seq out twice, and polls its last good package when it starts while
 * the backend is away.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { adminFetch, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { edgeConfig, highestSpooledSeq, startBackend, startEdgePoller, storedResults, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, type RunningProcess } from './support/processes.ts';

const NODES = 20;
const INTERVAL_MS = 500;
/** Checks a second, and so the most a kill -9 may lose: one group commit (1 s) of them, plus checks under way. */
const CHECKS_PER_SECOND = (NODES * 1000) / INTERVAL_MS;
const MOST_LOST_IN_A_KILL = CHECKS_PER_SECOND * 1.5 + NODES;

let storage: TestStorage;
let configPath: string;
let port: number;
let target: HttpTarget;
const processes: RunningProcess[] = [];

before(async () => {
  storage = await createTestStorage();
  target = new HttpTarget(await freePort());
  await target.start();
  port = await freePort();
  configPath = await writeConfig(storage, edgeConfig({ targetPort: target.port, nodes: NODES, intervalMs: INTERVAL_MS }));
});

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  await target.stop();
  await storage.cleanup();
});

const rpc = () => `ws://127.0.0.1:${port}/rpc`;

async function backendUp(): Promise<RunningProcess> {
  const backend = await startBackend(storage, configPath, port);
  processes.push(backend);
  return backend;
}

function poller(name: string, stateDir: string): RunningProcess {
  const p = startEdgePoller(name, stateDir, [rpc()]);
  processes.push(p);
  return p;
}

async function monitor(name: string): Promise<{ id: string; lastSeq: number; status: string } | undefined> {
  const response = await adminFetch(`http://127.0.0.1:${port}/api/monitors?location=EDGE`);
  const monitors = (await response.json()) as { id: string; name: string; lastSeq: number; status: string }[];
  return monitors.find((m) => m.name === name);
}

void test('kill -9 while the backend is down: after both restart, every check is stored once but the last group commit, and no seq is reused', async () => {
  const stateDir = join(storage.dataDir, 'edge-1');
  await mkdir(stateDir, { recursive: true });
  let backend = await backendUp();
  let edge = poller('edge-1', stateDir);
  const before = target.requests;
  const first = await eventually('results stored', async () => ((await monitor('edge-1'))?.lastSeq ?? 0) > 2 * NODES && (await monitor('edge-1')), 20_000);

  await backend.stop('SIGTERM');
  await edge.waitForLine(/disconnected from the backend|connection to .* closed/, 10_000);
  // Polling goes on into the spool for a while with nobody to send to.
  const requestsAtCut = target.requests;
  await eventually('checks while the backend is down', async () => target.requests > requestsAtCut + CHECKS_PER_SECOND * 3, 15_000);

  edge.child.kill('SIGKILL');
  await edge.exited;
  const checksBeforeKill = target.requests;
  const highestBeforeKill = await highestSpooledSeq(stateDir);
  assert.ok(highestBeforeKill > first.lastSeq, `the spool held results the backend never saw (${highestBeforeKill} > ${first.lastSeq})`);

  const restartedAt = Date.now();
  backend = await backendUp();
  edge = poller('edge-1', stateDir);
  await eventually('the backlog replayed and new results after it', async () => ((await monitor('edge-1'))?.lastSeq ?? 0) > highestBeforeKill + NODES, 30_000);
  // A clean stop loses nothing: what was checked is on disk and sent before it exits.
  assert.equal(await edge.stop('SIGTERM'), 0, edge.output.join('\n'));
  const checks = target.requests - before;
  await backend.stop('SIGTERM');

  const stored = await storedResults(storage, first.id);
  const seqs = stored.map((r) => r.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no result stored twice');
  const lost = checks - stored.length;
  assert.ok(lost >= 0, `more results (${stored.length}) than checks made at the target (${checks})`);
  assert.ok(lost <= MOST_LOST_IN_A_KILL, `${lost} of ${checks} checks lost; at most one group commit (${MOST_LOST_IN_A_KILL}) may be`);
  const afterRestart = stored.filter((r) => r.timestamp >= restartedAt);
  assert.ok(afterRestart.length > 0);
  assert.ok(
    afterRestart.every((r) => r.seq > highestBeforeKill),
    `a seq handed out before the kill (≤ ${highestBeforeKill}) was used again after the restart`,
  );
  // Everything the spool had on disk at the kill reached the backend.
  const beforeKill = stored.filter((r) => r.seq <= highestBeforeKill);
  assert.ok(checksBeforeKill - before - beforeKill.length <= MOST_LOST_IN_A_KILL, `${checksBeforeKill - before - beforeKill.length} checks before the kill missing`);
  console.log(`kill -9 test: ${checks} checks at the target, ${stored.length} results stored, ${lost} lost in the last group commit`);
});

void test('a poller started while the backend is down polls its last package, and its results arrive when the backend returns', async () => {
  const stateDir = join(storage.dataDir, 'edge-2');
  await mkdir(stateDir, { recursive: true });
  let backend = await backendUp();
  let edge = poller('edge-2', stateDir);
  await edge.waitForLine(/polling 20 services of package "edge"/, 20_000);
  const id = (await eventually('edge-2 registered', () => monitor('edge-2'), 10_000)).id;
  await edge.stop('SIGTERM');
  // What the backend had when the poller left: the results made while it is away come after this seq.
  const seqBeforeAway = (await monitor('edge-2'))?.lastSeq ?? 0;
  await backend.stop('SIGTERM');

  const startedAt = Date.now();
  edge = poller('edge-2', stateDir);
  await edge.waitForLine(/polling the stored package of .* \(version .*, 20 services\) until the backend answers/, 10_000);
  const requestsAtStart = target.requests;
  // Two seconds of checks answered by the target, and one more round: a check answered just now may not have its
  // result yet (its timestamp is taken when it ends), and each service has at most one check under way.
  await eventually('checks with no backend at all', async () => target.requests >= requestsAtStart + CHECKS_PER_SECOND * 2 + NODES, 15_000);

  const backendBackAt = Date.now();
  backend = await backendUp();
  // All of them, not just the first batch (a SIGTERM now would keep the rest on disk for the next start), and a
  // second's more: results the first stop kept on disk, if any, come before them.
  await eventually(
    'the results made while it was away',
    async () => ((await monitor('edge-2'))?.lastSeq ?? 0) >= seqBeforeAway + CHECKS_PER_SECOND * 3 && (await monitor('edge-2'))!.status === 'STARTED',
    30_000,
  );
  await edge.stop('SIGTERM');
  await backend.stop('SIGTERM');
  const whileAway = (await storedResults(storage, id)).filter((r) => r.timestamp >= startedAt && r.timestamp < backendBackAt);
  assert.ok(whileAway.length >= CHECKS_PER_SECOND * 2, `${whileAway.length} results from while the backend was away`);
});
