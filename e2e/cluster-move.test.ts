/**
 * A poller moves between two instances of one installation (one PostgreSQL
 * database) as itself: its --server list names A, then B; A is stopped, the
 * poller moves to B (A stopped cleanly, or killed), keeps its monitor id, and its seqs continue there; in
 * the end every seq from 1 to the last it handed out is stored exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { adminFetch, createTestStorage } from '@vantage/backend/testing';
import { ON_POSTGRES, startInstance } from './support/cluster.ts';
import { edgeConfig, highestSpooledSeq, startEdgePoller, storedResults, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, type RunningProcess } from './support/processes.ts';

const NODES = 5;

const processes: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  for (const cleanup of cleanups) await cleanup();
});

interface MonitorView {
  id: string;
  name: string;
  lastSeq: number;
  connected: boolean;
  instance: string | null;
}

async function scenario(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const storage = await createTestStorage();
  cleanups.push(() => storage.cleanup());
  const target = new HttpTarget(await freePort());
  await target.start();
  cleanups.push(() => target.stop());
  const configPath = await writeConfig(storage, edgeConfig({ targetPort: target.port, nodes: NODES, intervalMs: 300 }));
  const start = async (name: string) => {
    const instance = await startInstance(storage, configPath, name);
    processes.push(instance.process);
    return instance;
  };
  const a = await start('backend-a');
  const b = await start('backend-b');
  const monitorAt = async (instance: { url: string }) => {
    const response = await adminFetch(`${instance.url}/api/monitors?location=EDGE`);
    assert.equal(response.status, 200);
    return ((await response.json()) as MonitorView[]).find((m) => m.name === 'edge-move');
  };
  const stateDir = join(storage.dataDir, 'poller');
  const poller = startEdgePoller('edge-move', stateDir, [`ws://127.0.0.1:${a.port}/rpc`, `ws://127.0.0.1:${b.port}/rpc`], ['--switchover-after', '2s', '--switchback-interval', '60s']);
  processes.push(poller);

  const atA = await eventually('results through A', async () => {
    const m = await monitorAt(a);
    return m && m.connected && m.lastSeq > 3 * NODES && m.instance?.includes(`:${a.port}:`) ? m : undefined;
  }, 30_000);
  await a.process.stop(signal);

  const atB = await eventually('the poller at B, its seqs going on', async () => {
    const m = await monitorAt(b);
    return m && m.connected && m.instance?.includes(`:${b.port}:`) && m.lastSeq > atA.lastSeq + 2 * NODES ? m : undefined;
  }, 30_000);
  assert.equal(atB.id, atA.id, 'the same monitor, one identity');

  assert.equal(await poller.stop('SIGTERM'), 0, poller.output.join('\n'));
  const handedOut = await highestSpooledSeq(stateDir);
  const last = await eventually('everything the poller handed out stored', async () => {
    const m = await monitorAt(b);
    return m && m.lastSeq >= handedOut ? m : undefined;
  }, 10_000);
  // (monitor, seq) is the results' key, so a seq sent twice is stored once: what counts is that none is missing.
  const seqs = (await storedResults(storage, atA.id)).map((r) => r.seq);
  console.log(`${signal}: moved after seq ${atA.lastSeq}; last seq ${last.lastSeq}; ${seqs.length} seqs stored`);
  assert.equal(last.lastSeq, handedOut, 'the last seq stored is the last the poller handed out');
  assert.equal(new Set(seqs).size, seqs.length, 'no seq stored twice');
  assert.deepEqual(seqs, Array.from({ length: last.lastSeq }, (_, i) => i + 1), 'every seq from 1 to the last stored, none lost');
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  void test(`${signal} to instance A: the poller moves to B with the same monitor id, its seqs continue, every seq stored exactly once`, { skip: ON_POSTGRES, timeout: 180_000 }, () =>
    scenario(signal),
  );
}
