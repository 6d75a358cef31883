/**
 * The split of a `distribute` location: rendezvous hashing balances within a
 * few percent, moves only the share of a monitor that joins or leaves, and
 * gives the same answer on every backend (it depends on the ids alone); the
 * shares of one membership are disjoint, cover the location, and keep their
 * version unless their services change.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolledService, PollingPackage } from '@vantage/common';
import { LocationShares, MAX_CACHED_SPLITS } from './distribute.ts';
import { assignServices, hashKey, holderOf, weightOf } from './rendezvous.ts';

/** Ids shaped like the real ones: services "node/SERVICE", monitors UUIDs (fixed, so every run is the same). */
const serviceIds = (count: number) => Array.from({ length: count }, (_, i) => `host-${i}.example.net/HTTP`);
const monitorId = (i: number) => `${(0x1f3a9c00 + i * 0x9e3779).toString(16).padStart(8, '0')}-7c1e-4b7a-9f3d-${(i * 0x51ed27 + 0xa5a5).toString(16).padStart(12, '0')}`;
const monitors = (count: number) => Array.from({ length: count }, (_, i) => monitorId(i)).sort();

function shareCounts(ids: readonly string[], members: readonly string[]): number[] {
  const owners = assignServices(Uint32Array.from(ids, hashKey), members);
  const counts = members.map(() => 0);
  for (const owner of owners) counts[owner]!++;
  return counts;
}

void test('100,000 services over 2, 3, 10 and 50 monitors: every share within 5% of its fair part', () => {
  const ids = serviceIds(100_000);
  for (const count of [2, 3, 10, 50]) {
    const fair = ids.length / count;
    const counts = shareCounts(ids, monitors(count));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      ids.length,
    );
    const worst = Math.max(...counts.map((c) => Math.abs(c - fair) / fair));
    // Binomial noise alone is 0.3% of a share at 2 monitors and 2% at 50 (one standard deviation).
    assert.ok(worst < (count === 50 ? 0.08 : 0.05), `${count} monitors: the worst share is ${(worst * 100).toFixed(2)}% off its fair part (${counts.join(', ')})`);
  }
});

void test('a monitor that joins takes about 1/(n+1) of the services, each from its holder, and nothing else moves', () => {
  const ids = serviceIds(20_000);
  const before = monitors(10);
  const newcomer = monitorId(99);
  const after = [...before, newcomer].sort();
  let moved = 0;
  for (const id of ids.slice(0, 20_000)) {
    const was = holderOf(id, before);
    const is = holderOf(id, after);
    if (was === is) continue;
    moved++;
    assert.equal(is, newcomer, `${id} moved from ${was} to ${is}, not to the monitor that joined`);
  }
  const share = moved / ids.length;
  assert.ok(Math.abs(share - 1 / 11) < 0.01, `the newcomer took ${(share * 100).toFixed(2)}% (fair: 9.09%)`);
});

void test('a monitor that leaves gives away only its own services, spread over the others', () => {
  const ids = serviceIds(20_000);
  const before = monitors(10);
  const leaving = before[3]!;
  const after = before.filter((m) => m !== leaving);
  const receivedBy = new Map<string, number>();
  for (const id of ids) {
    const was = holderOf(id, before)!;
    const is = holderOf(id, after)!;
    if (was !== leaving) assert.equal(is, was, `${id} moved from ${was}, which did not leave`);
    else receivedBy.set(is, (receivedBy.get(is) ?? 0) + 1);
  }
  const received = [...receivedBy.values()];
  assert.equal(received.length, 9, 'every remaining monitor takes some of its services');
  const fair = received.reduce((a, b) => a + b, 0) / 9;
  assert.ok(Math.max(...received.map((r) => Math.abs(r - fair) / fair)) < 0.25, `spread: ${received.join(', ')}`);
});

void test('deterministic: the order of the members does not matter, and the weights are the same on every backend', () => {
  const members = monitors(5);
  const shuffled = [members[3]!, members[0]!, members[4]!, members[1]!, members[2]!];
  for (const id of serviceIds(500)) assert.equal(holderOf(id, shuffled), holderOf(id, members));
  assert.deepEqual(assignServices(Uint32Array.from(serviceIds(500), hashKey), members), assignServices(Uint32Array.from(serviceIds(500), hashKey), [...members]));
  // Pinned: backends of different builds must agree on the split, so the hashing may never change silently.
  assert.deepEqual([hashKey(''), hashKey('www/HTTP'), hashKey('db/TCP')], [0xab3e7c0b, 0x993f4466, 0xf390ecbe]);
  assert.equal(weightOf(hashKey('www/HTTP'), hashKey('a')), 0x0b0e29b5);
  assert.deepEqual(
    ['www/HTTP', 'db/TCP', 'mail/SMTP', 'n1/ICMP', 'n2/ICMP', 'n3/ICMP'].map((id) => holderOf(id, ['a', 'b', 'c'])),
    ['c', 'c', 'c', 'b', 'c', 'b'],
  );
  assert.equal(holderOf('www/HTTP', []), undefined);
});

function location(ids: readonly string[]): PollingPackage {
  const services: PolledService[] = ids.map((serviceId) => ({
    serviceId,
    serviceName: 'HTTP',
    monitor: 'http',
    nodeLabel: serviceId.split('/')[0]!,
    host: '192.0.2.1',
    intervalMs: 60_000,
    params: {},
  }));
  return { name: 'web', location: 'DC', services };
}

void test('the shares of one membership are disjoint and cover the location; each has its own version', () => {
  const shares = new LocationShares(location(serviceIds(1_000)), 'v1');
  const members = monitors(3);
  const split = shares.splitFor(members);
  const seen = new Set<string>();
  const versions = new Set<string>();
  for (const member of members) {
    const share = split.shareOf(member);
    assert.equal(share.package.services.length, split.sizeOf(member));
    for (const s of share.package.services) {
      assert.ok(!seen.has(s.serviceId), `${s.serviceId} is in two shares`);
      seen.add(s.serviceId);
      assert.equal(split.holderOf(s.serviceId), member);
    }
    versions.add(share.version);
  }
  assert.equal(seen.size, 1_000);
  assert.equal(versions.size, 3);
  assert.ok(![...versions].includes('v1'), "a share's version is never the location's");
  assert.equal(split.holderOf('not/HERE'), undefined);
  assert.deepEqual(split.shareOf('a-stranger').package.services, []);
  assert.equal(split.sizeOf('a-stranger'), 0);
  assert.deepEqual(shares.splitFor([]).shareSizes(), {});
  assert.equal(shares.splitFor([]).holderOf(serviceIds(1)[0]!), undefined);
});

void test("a share's version changes only when its services (or the location's package) change", () => {
  const ids = serviceIds(1_000);
  const shares = new LocationShares(location(ids), 'v1');
  const [a, b, c] = monitors(3) as [string, string, string];
  const two = shares.splitFor([a, b]);
  const three = shares.splitFor([a, b, c]);
  // c joins: a and b each give some services to c.
  assert.notEqual(three.shareOf(a).version, two.shareOf(a).version);
  assert.notEqual(three.shareOf(b).version, two.shareOf(b).version);
  // Same membership, any order: the same split, the same versions (cached, or computed again alike).
  assert.equal(shares.splitFor([b, a]).shareOf(a).version, two.shareOf(a).version);
  assert.equal(new LocationShares(location(ids), 'v1').splitFor([a, b]).shareOf(a).version, two.shareOf(a).version);
  // Another package version (a reload that changed something): every share's version changes.
  assert.notEqual(new LocationShares(location(ids), 'v2').splitFor([a, b]).shareOf(a).version, two.shareOf(a).version);
  // A service added to the location goes to one share; the other keeps its version.
  const grown = new LocationShares(location([...ids, 'extra/HTTP']), 'v1');
  const holder = holderOf('extra/HTTP', [a, b])!;
  const other = holder === a ? b : a;
  assert.equal(grown.splitFor([a, b]).shareOf(holder).package.services.length, two.shareOf(holder).package.services.length + 1);
  assert.deepEqual(
    grown.splitFor([a, b]).shareOf(other).package.services.map((s) => s.serviceId),
    two.shareOf(other).package.services.map((s) => s.serviceId),
  );
});

void test(`the splits of the last ${MAX_CACHED_SPLITS} memberships are kept, so a check-in or a batch costs a lookup`, () => {
  const shares = new LocationShares(location(serviceIds(100)), 'v1');
  const all = monitors(MAX_CACHED_SPLITS + 1);
  const first = shares.splitFor([all[0]!]);
  assert.equal(shares.splitFor([all[0]!]), first, 'the same object: not computed again');
  for (let i = 1; i < MAX_CACHED_SPLITS; i++) shares.splitFor([all[i]!]);
  assert.equal(shares.splitFor([all[0]!]), first, 'still kept');
  for (let i = 1; i <= MAX_CACHED_SPLITS; i++) shares.splitFor([all[i]!]);
  assert.notEqual(shares.splitFor([all[0]!]), first, 'the oldest was dropped');
});
