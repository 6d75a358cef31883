/**
 * The per-address registration limits on a clock the test moves: how many
 * token guesses an attacker gets checked per minute and per hour at full
 * speed, that other addresses are not locked out, and that the state stays
 * bounded whatever the number of addresses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistrationLimiter, type Refusal, type TokenCheck } from './registration-limiter.ts';
import { DEFAULT_REGISTRATION_LIMITS, REGISTRATION_BURST_PER_ADDRESS } from './registration-limits.ts';
import { limiterKey, normalizeAddress } from './source-address.ts';

function limiter(overrides: Partial<typeof DEFAULT_REGISTRATION_LIMITS> = {}) {
  const clock = { nowMs: 1_000_000 };
  return { clock, limiter: new RegistrationLimiter({ ...DEFAULT_REGISTRATION_LIMITS, ...overrides }, () => clock.nowMs) };
}
const isRefusal = (outcome: TokenCheck | Refusal | null): outcome is Refusal => outcome !== null && 'retryAfterMs' in outcome;

/** An attacker presenting a new guess every `stepMs` for `forMs`; returns how many guesses were actually checked. */
function guessAtFullSpeed(l: RegistrationLimiter, clock: { nowMs: number }, address: string, forMs: number, stepMs: number): number {
  let checked = 0;
  for (const end = clock.nowMs + forMs; clock.nowMs < end; clock.nowMs += stepMs) {
    if (l.takeCall(address)) continue;
    const check = l.beginTokenCheck(address);
    if (isRefusal(check)) continue;
    checked++;
    check.finish('refused');
  }
  return checked;
}

void test('token guessing at full speed: a handful checked in the first minute, about a dozen in an hour', () => {
  const { clock, limiter: l } = limiter();
  const firstMinute = guessAtFullSpeed(l, clock, '198.51.100.1', 60_000, 10);
  assert.ok(firstMinute <= 7, `${firstMinute} guesses checked in the first minute`);
  const restOfHour = guessAtFullSpeed(l, clock, '198.51.100.1', 59 * 60_000, 1_000);
  assert.ok(firstMinute + restOfHour <= 15, `${firstMinute + restOfHour} guesses checked in an hour`);
  // Meanwhile another address presents its token at once.
  const other = l.beginTokenCheck('198.51.100.2');
  assert.ok(!isRefusal(other));
  other.finish('accepted');
  assert.ok(!isRefusal(l.beginTokenCheck('198.51.100.2')), 'a right token leaves no back-off');
});

void test('the back-off doubles from the first wrong token and says how long it lasts', () => {
  const { clock, limiter: l } = limiter();
  const waits: number[] = [];
  for (let i = 0; i < 12; i++) {
    const check = l.beginTokenCheck('198.51.100.3') as TokenCheck;
    check.finish('refused');
    const refusal = l.beginTokenCheck('198.51.100.3') as Refusal;
    waits.push(refusal.retryAfterMs);
    clock.nowMs += refusal.retryAfterMs;
  }
  assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 900_000, 900_000]);
  // Forgotten an hour after the last wrong one.
  clock.nowMs += 60 * 60_000 + 1;
  (l.beginTokenCheck('198.51.100.3') as TokenCheck).finish('refused');
  assert.equal((l.beginTokenCheck('198.51.100.3') as Refusal).retryAfterMs, 1_000);
});

void test('one token check at a time per address', () => {
  const { limiter: l } = limiter();
  const first = l.beginTokenCheck('198.51.100.4') as TokenCheck;
  assert.match((l.beginTokenCheck('198.51.100.4') as Refusal).reason, /being checked; one at a time/);
  first.finish('accepted');
  assert.ok(!isRefusal(l.beginTokenCheck('198.51.100.4')));
});

void test(`calls: a burst of ${REGISTRATION_BURST_PER_ADDRESS}, then ten a minute`, () => {
  const { clock, limiter: l } = limiter();
  for (let i = 0; i < REGISTRATION_BURST_PER_ADDRESS; i++) assert.equal(l.takeCall('198.51.100.5'), null, `call ${i + 1}`);
  const refused = l.takeCall('198.51.100.5')!;
  assert.equal(refused.retryAfterMs, 6_000);
  assert.match(refused.reason, /too many registrations from 198\.51\.100\.5/);
  clock.nowMs += 6_000;
  assert.equal(l.takeCall('198.51.100.5'), null);
  assert.notEqual(l.takeCall('198.51.100.5'), null);
  assert.equal(l.takeCall('198.51.100.6'), null, 'another address has its own allowance');
});

void test('IPv6 addresses of one /64 share an allowance; an IPv4-mapped address is its IPv4 address', () => {
  const { limiter: l } = limiter({ burstPerAddress: 2 });
  assert.equal(l.takeCall('2001:db8:1:2::1'), null);
  assert.equal(l.takeCall('2001:db8:1:2:ffff::9'), null);
  assert.notEqual(l.takeCall('2001:db8:1:2:abcd::1'), null);
  assert.equal(l.takeCall('2001:db8:1:3::1'), null);
  assert.equal(l.takeCall('::ffff:192.0.2.1'), null);
  assert.equal(l.takeCall('192.0.2.1'), null);
  assert.notEqual(l.takeCall('192.0.2.1'), null);
});

void test('the state stays bounded however many addresses call', () => {
  const { limiter: l } = limiter({ maxTrackedAddresses: 100 });
  for (let i = 0; i < 5_000; i++) {
    l.takeCall(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const check = l.beginTokenCheck(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (!isRefusal(check)) check.finish('refused');
  }
  assert.ok(l.trackedAddresses <= 100, `${l.trackedAddresses} addresses tracked`);
});

void test('addresses are written one way', () => {
  const table: [string, string | null, string | null][] = [
    ['192.0.2.7', '192.0.2.7', '192.0.2.7'],
    [' 192.0.2.7 ', '192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7', '192.0.2.7'],
    ['2001:DB8:0:0::7', '2001:db8::7', '2001:db8::/64'],
    ['2001:db8:0:1:0:0:0:7', '2001:db8:0:1::7', '2001:db8:0:1::/64'],
    ['fe80::1%eth0', 'fe80::1', 'fe80::/64'],
    ['::1', '::1', '::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['not-an-address', null, 'not-an-address'],
    ['999.1.1.1', null, '999.1.1.1'],
  ];
  for (const [input, normalized, key] of table) {
    assert.equal(normalizeAddress(input), normalized, input);
    assert.equal(limiterKey(input), key, input);
  }
});
