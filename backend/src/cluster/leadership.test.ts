/**
 * Leader leases: the first candidate takes every job and the second none;
 * while one holds a lease the other never leads that job; a clean stop
 * gives the leases up and the other takes them at its next round; a holder
 * that stops renewing (a dead instance) loses them once they expire, and
 * the other takes them over within the lease plus one round.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import { Database } from '../db/database.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { LeaderJob, Leadership } from './leadership.ts';

/** Short bounds so the test sees takeovers; the production ones are in leadership.ts. */
const LEASE_MS = 1_600;
const RENEW_MS = 200;
const JOBS = Object.values(LeaderJob);

let storage: TestStorage;
let db: Database;
const log = createLogger('leader', 'debug', () => undefined);

before(async () => {
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl, dataDir: 'memory://' });
});

after(async () => {
  await db.close();
  await storage.cleanup();
});

const candidate = (id: string) => new Leadership(db, id, JOBS, log, { leaseMs: LEASE_MS, renewEveryMs: RENEW_MS });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, check: () => boolean, timeoutMs: number, whileWaiting: () => void = () => undefined): Promise<number> {
  const started = Date.now();
  while (!check()) {
    whileWaiting();
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
  return Date.now() - started;
}

void test('one leader per job; a clean stop hands the jobs over at the next round', async () => {
  const first = candidate('first');
  const second = candidate('second');
  await first.start();
  await second.start();
  assert.deepEqual(first.roles(), JOBS);
  assert.deepEqual(second.roles(), []);
  await sleep(3 * RENEW_MS);
  assert.deepEqual(first.roles(), JOBS, 'renewed, still the leader');
  assert.deepEqual(second.roles(), [], 'never two at once');
  await first.stop();
  assert.deepEqual(first.roles(), []);
  const tookMs = await waitUntil('the second leads every job', () => second.roles().length === JOBS.length, 5 * RENEW_MS);
  assert.ok(tookMs <= 3 * RENEW_MS, `taken over ${tookMs} ms after a clean stop`);
  await second.stop();
});

void test('a leader that stops renewing loses its jobs when its leases expire, and only then', async () => {
  const dead = candidate('dead');
  const other = candidate('other');
  await dead.start();
  await other.start();
  // Its renewals stop as a killed process's would, without giving anything up.
  await (dead as unknown as { task: { stop(): Promise<void> } }).task.stop();
  const stoppedAt = Date.now();
  // Never two leaders of one job: while `other` waits, `dead` must already have stepped down on its own clock.
  const tookMs = await waitUntil('the other takes every job', () => other.roles().length === JOBS.length, LEASE_MS + 5 * RENEW_MS, () => {
    for (const job of JOBS) assert.ok(!(dead.leads(job) && other.leads(job)), `two leaders of ${job}`);
  });
  assert.ok(Date.now() - stoppedAt >= LEASE_MS - 2 * RENEW_MS, `not taken over before the lease ran out (${tookMs} ms)`);
  assert.deepEqual(dead.roles(), [], 'the one that stopped renewing counts itself leader of nothing');
  await other.stop();
});

void test('on the embedded database, a lease left by a process that died is void at once', async () => {
  const dead = candidate('died-holding-it');
  await dead.start();
  await (dead as unknown as { task: { stop(): Promise<void> } }).task.stop();
  const next = new Leadership(db, 'restarted', JOBS, log, { leaseMs: LEASE_MS, renewEveryMs: RENEW_MS, exclusive: true });
  await next.start();
  assert.deepEqual(next.roles(), JOBS, 'every job led from the first round');
  await next.stop();
});
