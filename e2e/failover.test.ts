/**
 * Home and standby servers (ELM's switchover and switchback): the home
 * backend is killed with SIGKILL, the poller moves to the standby after
 * --switchover-after, comes back when home answers again, and every check it
 * made is stored. Both kinds of standby: a separate installation with its own
 * database (the poller registers there with the location's token), and, on
 * PostgreSQL, a second instance of the same installation (one database: the
 * same identity, and its seqs simply continue).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Uei } from '@vantage/common';
import { adminFetch, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { edgeConfig, startBackend, startEdgePoller, storedResults, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, type RunningProcess } from './support/processes.ts';

const NODES = 10;
const INTERVAL_MS = 500;
/** Results per reportResults: a crash of home can leave at most one such batch stored there and sent again to a standby of its own. */
const BATCH = 1_000;

const processes: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  for (const cleanup of cleanups) await cleanup();
});

interface Side {
  storage: TestStorage;
  dataDir: string;
  port: number;
  configPath: string;
  process?: RunningProcess;
}

async function getJson<T>(port: number, path: string): Promise<T> {
  const response = await adminFetch(`http://127.0.0.1:${port}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

async function up(side: Side): Promise<void> {
  side.process = await startBackend(side.storage, side.configPath, side.port, side.dataDir);
  processes.push(side.process);
}

const monitorAt = async (side: Side) =>
  (await getJson<{ id: string; name: string; lastSeq: number; server: string | null; serverRole: string | null }[]>(side.port, '/api/monitors?location=EDGE')).find((m) => m.name === 'edge-fo');

const eventsAt = (side: Side, uei: string) => getJson<{ params: Record<string, string> }[]>(side.port, `/api/events?uei=${encodeURIComponent(uei)}`);

async function scenario(oneInstallation: boolean): Promise<void> {
  const target = new HttpTarget(await freePort());
  await target.start();
  cleanups.push(() => target.stop());
  const homeStorage = await createTestStorage();
  cleanups.push(() => homeStorage.cleanup());
  const standbyStorage = oneInstallation ? homeStorage : await createTestStorage();
  if (!oneInstallation) cleanups.push(() => standbyStorage.cleanup());
  const xml = edgeConfig({ targetPort: target.port, nodes: NODES, intervalMs: INTERVAL_MS });
  const home: Side = { storage: homeStorage, dataDir: join(homeStorage.dataDir, 'home'), port: await freePort(), configPath: await writeConfig(homeStorage, xml, 'home.xml') };
  const standby: Side = {
    storage: standbyStorage,
    dataDir: join(standbyStorage.dataDir, 'standby'),
    port: await freePort(),
    configPath: await writeConfig(standbyStorage, xml, 'standby.xml'),
  };
  await mkdir(home.dataDir, { recursive: true });
  await mkdir(standby.dataDir, { recursive: true });
  await up(home);
  await up(standby);

  const homeUrl = `ws://127.0.0.1:${home.port}/rpc`;
  const standbyUrl = `ws://127.0.0.1:${standby.port}/rpc`;
  const stateDir = join(homeStorage.dataDir, `poller-${oneInstallation ? 'one' : 'two'}`);
  const poller = startEdgePoller('edge-fo', stateDir, [homeUrl, standbyUrl], ['--switchover-after', '3s', '--switchback-interval', '2s']);
  processes.push(poller);
  const checksBefore = target.requests;

  const atHome = await eventually('results at home', async () => ((await monitorAt(home))?.lastSeq ?? 0) > 2 * NODES && (await monitorAt(home)), 30_000);
  assert.equal(atHome.server, homeUrl);
  assert.equal(atHome.serverRole, 'home');

  home.process!.child.kill('SIGKILL');
  await home.process!.exited;
  const killedAt = Date.now();
  await poller.waitForLine(/switched over to standby server/, 20_000);
  assert.ok(Date.now() - killedAt >= 2_500, 'not before home had been away for --switchover-after');
  const atStandby = await eventually('results at the standby', async () => {
    const m = await monitorAt(standby);
    return m && m.lastSeq > atHome.lastSeq && m.serverRole === 'standby' ? m : undefined;
  }, 30_000);
  assert.equal(atStandby.server, standbyUrl);
  if (oneInstallation) assert.equal(atStandby.id, atHome.id, 'one installation, one identity');
  else assert.notEqual(atStandby.id, atHome.id, 'a standby installation registers the poller with its token');
  const over = await eventually('the switchover event at the standby', async () => (await eventsAt(standby, Uei.locationMonitorSwitchedOver))[0], 10_000);
  assert.deepEqual({ server: over.params.server, from: over.params.from }, { server: standbyUrl, from: homeUrl });

  await up(home);
  await poller.waitForLine(/switched back to home server/, 30_000);
  const back = await eventually('the switchback event at home', async () => (await eventsAt(home, Uei.locationMonitorSwitchedBack))[0], 10_000);
  assert.deepEqual({ server: back.params.server, from: back.params.from }, { server: homeUrl, from: standbyUrl });
  const afterBack = await eventually('results at home again', async () => {
    const m = await monitorAt(home);
    return m && m.lastSeq > atStandby.lastSeq && m.serverRole === 'home' ? m : undefined;
  }, 30_000);

  assert.equal(await poller.stop('SIGTERM'), 0, poller.output.join('\n'));
  const checks = target.requests - checksBefore;
  await home.process!.stop('SIGTERM');
  await standby.process!.stop('SIGTERM');

  const atHomeStored = await storedResults(home.storage, afterBack.id, home.dataDir);
  const atStandbyStored = oneInstallation ? [] : await storedResults(standby.storage, atStandby.id, standby.dataDir);
  const homeSeqs = new Set(atHomeStored.map((r) => r.seq));
  const duplicated = atStandbyStored.filter((r) => homeSeqs.has(r.seq)).length;
  const stored = new Set([...homeSeqs, ...atStandbyStored.map((r) => r.seq)]).size;
  console.log(`failover (${oneInstallation ? 'one installation' : 'separate installations'}): ${checks} checks, ${atHomeStored.length} stored at home, ${atStandbyStored.length} at the standby, ${duplicated} at both`);
  assert.equal(stored, checks, 'every check stored, none lost (a clean stop at the end)');
  if (oneInstallation) assert.equal(duplicated, 0);
  else assert.ok(duplicated <= BATCH, `${duplicated} results at both installations: at most the batch home stored but could not acknowledge`);
}

void test('separate standby installation: switch over when home is killed, back when it returns; every check stored', async () => {
  await scenario(false);
});

void test('one installation on PostgreSQL: the same identity moves to the other instance and back; every check stored exactly once', { skip: process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): two instances share one database' }, async () => {
  await scenario(true);
});
