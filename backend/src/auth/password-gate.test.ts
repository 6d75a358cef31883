/**
 * The PasswordGate on its own, with the time in the test's hands: parallel
 * tries are counted before they hash, wrong passwords back off per username
 * and address, a right one clears its key, nobody else's failures lock a user
 * out, and hashing is bounded overall and per address.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey, DEFAULT_GATE_LIMITS, PasswordGate, type GateOutcome, type PasswordGateLimits } from './password-gate.ts';

const USER = { id: 1, username: 'admin' };

/** A gate on a clock the test moves, and a "hash" the test can hold open. */
function gate(limits: Partial<PasswordGateLimits> = {}) {
  let nowMs = 1_000_000;
  const g = new PasswordGate({ limits, now: () => nowMs });
  let hashes = 0;
  const hashed = () => hashes;
  const advance = (ms: number) => (nowMs += ms);
  const wrong = (username = 'admin', address = '10.0.0.1') =>
    g.attempt(username, address, async () => {
      hashes++;
      await new Promise((resolve) => setImmediate(resolve));
      return null;
    });
  const right = (username = 'admin', address = '10.0.0.1') =>
    g.attempt(username, address, async () => {
      hashes++;
      return USER;
    });
  return { g, hashed, advance, wrong, right };
}

const kinds = (outcomes: GateOutcome<unknown>[]) => outcomes.reduce<Record<string, number>>((n, o) => ({ ...n, [o.kind]: (n[o.kind] ?? 0) + 1 }), {});

void test('sixty tries at once from one address: only as many hash as one address may run at once', async () => {
  const { wrong, hashed } = gate();
  const outcomes = await Promise.all(Array.from({ length: 60 }, () => wrong()));
  assert.equal(hashed(), DEFAULT_GATE_LIMITS.maxPendingPerAddress);
  assert.deepEqual(kinds(outcomes), { rejected: DEFAULT_GATE_LIMITS.maxPendingPerAddress, wait: 60 - DEFAULT_GATE_LIMITS.maxPendingPerAddress });
});

void test('tries at once count as failures until they prove otherwise: no more than the free failures hash before a result', async () => {
  const { wrong, hashed } = gate({ maxPendingPerAddress: 100 });
  const outcomes = await Promise.all(Array.from({ length: 60 }, () => wrong()));
  assert.equal(hashed(), DEFAULT_GATE_LIMITS.freeFailures);
  assert.deepEqual(kinds(outcomes), { rejected: 10, wait: 50 });
});

void test('after the free failures each try waits, 1 s doubling up to the longest wait', async () => {
  const { wrong, advance, hashed } = gate({ freeFailures: 3, firstWaitMs: 1_000, maxWaitMs: 4_000 });
  for (let i = 0; i < 3; i++) assert.equal((await wrong()).kind, 'rejected');
  const waits: number[] = [];
  for (const expectedWaitMs of [1_000, 2_000, 4_000, 4_000]) {
    const refused = await wrong();
    assert.deepEqual(refused, { kind: 'wait', retryAfterMs: expectedWaitMs });
    advance(expectedWaitMs - 1);
    assert.equal((await wrong()).kind, 'wait', 'still waiting 1 ms before the end');
    advance(1);
    assert.equal((await wrong()).kind, 'rejected');
    waits.push(expectedWaitMs);
  }
  assert.equal(hashed(), 3 + waits.length);
});

void test('a right password clears its own key, and only its own', async () => {
  const { wrong, right, advance } = gate({ freeFailures: 2 });
  await wrong('admin', '10.0.0.1');
  await wrong('admin', '10.0.0.1');
  await wrong('admin', '10.0.0.2');
  await wrong('admin', '10.0.0.2');
  assert.equal((await right('admin', '10.0.0.1')).kind, 'wait', 'a right password waits its turn too');
  advance(1_000);
  assert.deepEqual(await right('admin', '10.0.0.1'), { kind: 'accepted', user: USER });
  assert.equal((await wrong('admin', '10.0.0.1')).kind, 'rejected', 'the free failures are back for 10.0.0.1');
  assert.equal((await wrong('admin', '10.0.0.2')).kind, 'rejected', '10.0.0.2 waited its second too');
  assert.equal((await wrong('admin', '10.0.0.2')).kind, 'wait', '…and still backs off');
});

void test("an attacker's failures never lock out the same user elsewhere, nor another user from the same address", async () => {
  const { wrong, right } = gate();
  for (let i = 0; i < 30; i++) await wrong('admin', '203.0.113.9');
  assert.equal((await wrong('admin', '203.0.113.9')).kind, 'wait');
  assert.equal((await right('admin', '10.0.0.1')).kind, 'accepted');
  assert.equal((await right('operator', '203.0.113.9')).kind, 'accepted');
});

void test('wrong passwords are forgotten after a quiet day', async () => {
  const { wrong, advance } = gate({ freeFailures: 2, forgetFailuresAfterMs: 86_400_000 });
  await wrong();
  await wrong();
  assert.equal((await wrong()).kind, 'wait');
  advance(86_400_000);
  assert.equal((await wrong()).kind, 'rejected');
  assert.equal((await wrong()).kind, 'rejected');
  assert.equal((await wrong()).kind, 'wait');
});

void test('hashing is bounded overall: a few at once, a short queue, then busy', async () => {
  const { g } = gate({ maxConcurrentHashes: 2, maxQueuedHashes: 3 });
  let running = 0;
  let mostAtOnce = 0;
  const releases: (() => void)[] = [];
  const held = (address: string) =>
    g.attempt('admin', address, async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return null;
    });
  const tries = Array.from({ length: 8 }, (_, i) => held(`10.0.1.${i}`));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(releases.length, 2, 'two hash at once');
  // Each freed slot lets the next waiting try in, until the queue is empty.
  for (let finished = 0; finished < 5; finished++) {
    releases.shift()!();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(releases.length, 0);
  const outcomes = await Promise.all(tries);
  assert.equal(mostAtOnce, 2);
  assert.deepEqual(kinds(outcomes), { rejected: 5, busy: 3 });
  assert.deepEqual(outcomes.find((o) => o.kind === 'busy'), { kind: 'busy', retryAfterMs: 1_000 });
});

void test('a busy answer or a failed check counts as no try', async () => {
  const { g, wrong } = gate({ freeFailures: 1, maxConcurrentHashes: 1, maxQueuedHashes: 0 });
  let release!: () => void;
  const blocker = g.attempt('other', '10.0.0.9', () => new Promise<null>((resolve) => (release = () => resolve(null))));
  assert.equal((await wrong()).kind, 'busy');
  release();
  await blocker;
  await assert.rejects(
    g.attempt('admin', '10.0.0.1', async () => {
      throw new Error('database down');
    }),
    /database down/,
  );
  assert.equal((await wrong()).kind, 'rejected', 'neither the busy answer nor the failed check used the one free failure');
});

void test('the table of keys stays bounded', async () => {
  const { g, wrong } = gate({ maxTrackedKeys: 50 });
  for (let i = 0; i < 200; i++) await wrong(`user-${i}`, '10.0.0.1');
  assert.ok(g.trackedKeys <= 50, `${g.trackedKeys} keys`);
});

void test('clients are keyed by IPv4 address, or by the /64 of an IPv6 one', () => {
  const cases: [string, string][] = [
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ];
  for (const [address, key] of cases) assert.equal(addressKey(address), key, address);
});
