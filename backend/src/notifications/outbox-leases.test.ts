/**
 * The lease rules of the database outbox, with two claimants (two instances)
 * on one database: a live claim is never taken, an expired one is, renewals
 * and outcomes count only for the holder under its own lease, and many
 * notifications claimed at once by both go each to exactly one of them; a
 * delivery longer than the lease keeps its claim by renewing it. On
 * PostgreSQL the two claimants use two connection pools, as two processes
 * would; on PGlite they share the one connection.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { Database } from '../db/database.ts';
import { NotificationEntity } from '../db/entities.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { lostServiceEvent, recordingLog, waitFor } from '../../testing/notifications.ts';
import { DbOutboxStore } from './outbox-store.ts';
import { NotificationDispatcher, type ClaimedNotification } from './dispatcher.ts';
import type { NotificationSink } from './sinks/sink.ts';

let storage: TestStorage;
let dbA: Database;
let dbB: Database;

before(async () => {
  storage = await createTestStorage();
  dbA = await Database.open({ url: storage.databaseUrl, dataDir: 'memory://' });
  // PGlite is one database per process: the second claimant shares the connection there.
  dbB = storage.databaseUrl ? await Database.open({ url: storage.databaseUrl }) : dbA;
});

after(async () => {
  if (dbB !== dbA) await dbB.close();
  await dbA.close();
  await storage.cleanup();
});

beforeEach(async () => {
  await dbA.transaction((m) => m.query(`DELETE FROM notification`));
});

async function enqueue(count = 1): Promise<void> {
  const now = Date.now();
  const rows = Array.from({ length: count }, (_, i) => ({
    sink: 'ops',
    eventId: i + 1,
    event: lostServiceEvent({ id: i + 1 }),
    state: 'pending' as const,
    attempts: 0,
    nextAttemptAt: now - 1,
    lastError: null,
    createdAt: now,
    finishedAt: null,
    claimedBy: null,
    leaseExpiresAt: null,
    leaseSeq: 0,
  }));
  await dbA.transaction((m) => m.insert(NotificationEntity, rows));
}

async function row(id: number) {
  return dbA.manager.findOneByOrFail(NotificationEntity, { id });
}

/** Claims until something comes back (a lease must expire first), failing after `timeoutMs`. */
async function claimOnceExpired(store: DbOutboxStore, timeoutMs = 20_000): Promise<ClaimedNotification[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claimed = await store.claimDue(Date.now(), 10);
    if (claimed.length > 0) return claimed;
    assert.ok(Date.now() < deadline, 'the expired claim was never taken over');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

void test('a live claim is not taken by another claimant; its holder records the outcome', async () => {
  await enqueue();
  const a = new DbOutboxStore(dbA, { claimant: 'instance-a', leaseMs: 60_000 });
  const b = new DbOutboxStore(dbB, { claimant: 'instance-b', leaseMs: 60_000 });
  const [claim] = await a.claimDue(Date.now(), 10);
  assert.ok(claim);
  const held = await row(claim.id);
  assert.equal(held.state, 'inflight');
  assert.equal(held.claimedBy, 'instance-a');
  assert.equal(held.leaseSeq, claim.lease);
  assert.ok(held.leaseExpiresAt! > Date.now() + 50_000, 'the lease runs for leaseMs on the database clock');
  assert.deepEqual(await b.claimDue(Date.now(), 10), [], 'a live claim is not taken');
  assert.equal(await b.markDelivered(claim), false, 'another claimant cannot record the outcome of a claim it does not hold');
  assert.equal((await row(claim.id)).state, 'inflight');
  assert.equal(await a.markDelivered(claim), true);
  const done = await row(claim.id);
  assert.deepEqual([done.state, done.attempts, done.claimedBy, done.leaseExpiresAt], ['delivered', 1, 'instance-a', null]);
  assert.equal(await a.markFailed(claim, 'late', Date.now()), false, 'a finished claim takes no second outcome');
  assert.equal((await row(claim.id)).state, 'delivered');
});

void test('an expired claim is taken over under a new lease; the former holder can neither renew nor overwrite the outcome', async () => {
  await enqueue();
  const a = new DbOutboxStore(dbA, { claimant: 'instance-a', leaseMs: 300 });
  const takeovers: [number, string | null][] = [];
  const b = new DbOutboxStore(dbB, { claimant: 'instance-b', leaseMs: 60_000, onTakeover: (n, former) => takeovers.push([n.id, former]) });
  const [lost] = await a.claimDue(Date.now(), 10);
  assert.ok(lost);
  const [taken] = await claimOnceExpired(b);
  assert.equal(taken?.id, lost.id);
  assert.equal(taken.lease, lost.lease + 1);
  assert.deepEqual(takeovers, [[lost.id, 'instance-a']]);
  assert.equal(taken.attempts, 0, 'an attempt of unknown outcome is not counted as failed');

  assert.equal(await a.renewLease(lost), false, 'the former holder learns it lost the lease');
  assert.equal(await a.markDelivered(lost), false);
  assert.equal(await a.markDead(lost, 'gave up'), false);
  const held = await row(lost.id);
  assert.deepEqual([held.state, held.claimedBy, held.leaseSeq], ['inflight', 'instance-b', taken.lease]);

  assert.equal(await b.markFailed(taken, 'HTTP 503', Date.now() + 60_000), true);
  assert.equal(await a.markDelivered(lost), false, "a lost lease does not overwrite the holder's outcome");
  const failed = await row(lost.id);
  assert.deepEqual([failed.state, failed.attempts, failed.lastError, failed.leaseExpiresAt], ['pending', 1, 'HTTP 503', null]);
});

void test('renewing moves the expiry forward; the same claimant claiming again gets a new lease', async () => {
  await enqueue();
  const a = new DbOutboxStore(dbA, { claimant: 'instance-a', leaseMs: 500 });
  const [first] = await a.claimDue(Date.now(), 10);
  assert.ok(first);
  const before = (await row(first.id)).leaseExpiresAt!;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await a.renewLease(first), true);
  assert.ok((await row(first.id)).leaseExpiresAt! > before);
  // Its own expired claim, taken again (a restarted dispatcher would): the first claim's outcome no longer counts.
  const [second] = await claimOnceExpired(a);
  assert.equal(second?.lease, first.lease + 1);
  assert.equal(await a.markDelivered(first), false);
  assert.equal(await a.markDelivered(second), true);
});

void test('a claim left by a version without leases (no owner, no expiry) is taken over', async () => {
  await enqueue();
  await dbA.transaction((m) => m.query(`UPDATE notification SET state = 'inflight', lease_expires_at = NULL, claimed_by = NULL`));
  const takeovers: (string | null)[] = [];
  const b = new DbOutboxStore(dbB, { claimant: 'instance-b', onTakeover: (_n, former) => takeovers.push(former) });
  const claimed = await b.claimDue(Date.now(), 10);
  assert.equal(claimed.length, 1);
  assert.deepEqual(takeovers, [null]);
});

void test('two claimants claiming at once: every notification goes to exactly one', async () => {
  const count = 300;
  await enqueue(count);
  const a = new DbOutboxStore(dbA, { claimant: 'instance-a', leaseMs: 60_000 });
  const b = new DbOutboxStore(dbB, { claimant: 'instance-b', leaseMs: 60_000 });
  const drain = async (store: DbOutboxStore) => {
    const ids: number[] = [];
    for (;;) {
      const batch = await store.claimDue(Date.now(), 7);
      if (batch.length === 0) return ids;
      for (const claim of batch) {
        ids.push(claim.id);
        assert.equal(await store.markDelivered(claim), true);
      }
    }
  };
  const lists = await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
  const all = lists.flat();
  assert.equal(all.length, count, 'no notification claimed twice');
  assert.equal(new Set(all).size, count);
  const { n } = ((await dbA.manager.query(`SELECT count(*)::int AS n FROM notification WHERE state = 'delivered'`)) as { n: number }[])[0]!;
  assert.equal(n, count);
});

void test('a delivery that lasts longer than the lease renews it: the other instance never takes the notification', async () => {
  await enqueue();
  const leaseMs = 3_000;
  const holdMs = 7_000;
  const begunAt: Record<string, number> = {};
  const slowSink = (who: string): NotificationSink => ({
    name: 'ops',
    deliver: async () => {
      begunAt[who] = (begunAt[who] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    },
  });
  const a = new NotificationDispatcher(new DbOutboxStore(dbA, { claimant: 'instance-a', leaseMs }), [slowSink('a')], { pollIntervalMs: 100, log: recordingLog() });
  const b = new NotificationDispatcher(new DbOutboxStore(dbB, { claimant: 'instance-b', leaseMs }), [slowSink('b')], { pollIntervalMs: 100, log: recordingLog() });
  a.start();
  await waitFor(() => begunAt.a === 1, 'the delivery at instance a', 10_000);
  b.start();
  const { id } = ((await dbA.manager.query(`SELECT id FROM notification`)) as { id: string }[])[0]!;
  const deadline = Date.now() + 30_000;
  while ((await row(Number(id))).state !== 'delivered') {
    assert.ok(Date.now() < deadline, 'never delivered');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all([a.close(), b.close()]);
  assert.deepEqual(begunAt, { a: 1 }, 'only the holder delivered');
  const done = await row(Number(id));
  assert.deepEqual([done.claimedBy, done.leaseSeq, done.attempts], ['instance-a', 1, 1]);
});
