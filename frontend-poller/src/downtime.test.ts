import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolledService, ServiceStatus } from '@vantage/common';
import { type Clock, FakeClock } from '@vantage/runtime';
import { DEFAULT_DOWNTIME_MODEL, DowntimeTracker, effectiveInterval } from './downtime.ts';
import { PollScheduler } from './scheduler.ts';

// Aligned to every interval used below, so due instants are easy to name.
const EPOCH_ALIGNED = Date.UTC(2025, 0, 1);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NORMAL_MS = 5 * MINUTE;

type Model = NonNullable<PolledService['downtime']>;

/** OpenNMS's default model, except that after 5 days the service is no longer polled. */
const DELETE_AFTER_5_DAYS: Model = [...DEFAULT_DOWNTIME_MODEL.slice(0, 3), { beginMs: 5 * DAY, delete: true }];

function service(serviceId: string, intervalMs: number, downtime?: Model): PolledService {
  const s: PolledService = { serviceId, serviceName: 'ICMP', monitor: 'ICMP', nodeLabel: serviceId, host: '192.0.2.1', intervalMs, params: {} };
  if (downtime !== undefined) s.downtime = downtime;
  return s;
}

void test('effectiveInterval applies the first downtime entry that covers the time down', () => {
  const withDefault = service('svc', NORMAL_MS, DEFAULT_DOWNTIME_MODEL);
  const rows: { name: string; service: PolledService; downForMs: number | null; expected: ReturnType<typeof effectiveInterval> }[] = [
    { name: 'down 1 min', service: withDefault, downForMs: MINUTE, expected: { intervalMs: 30 * SECOND } },
    { name: 'down 0 ms (the first DOWN result)', service: withDefault, downForMs: 0, expected: { intervalMs: 30 * SECOND } },
    { name: 'down exactly 5 min (end is exclusive)', service: withDefault, downForMs: 5 * MINUTE, expected: { intervalMs: 5 * MINUTE } },
    { name: 'down 10 min', service: withDefault, downForMs: 10 * MINUTE, expected: { intervalMs: 5 * MINUTE } },
    { name: 'down 1 day', service: withDefault, downForMs: DAY, expected: { intervalMs: 10 * MINUTE } },
    { name: 'down 6 days', service: withDefault, downForMs: 6 * DAY, expected: { intervalMs: HOUR } },
    { name: 'up', service: withDefault, downForMs: null, expected: { intervalMs: NORMAL_MS } },
    { name: 'no model', service: service('svc', NORMAL_MS), downForMs: 6 * DAY, expected: { intervalMs: NORMAL_MS } },
    { name: 'delete after 5 days, down 6 days', service: service('svc', NORMAL_MS, DELETE_AFTER_5_DAYS), downForMs: 6 * DAY, expected: { suspended: true } },
    { name: 'delete after 5 days, down 1 day', service: service('svc', NORMAL_MS, DELETE_AFTER_5_DAYS), downForMs: DAY, expected: { intervalMs: 10 * MINUTE } },
    {
      name: 'first matching entry wins',
      service: service('svc', NORMAL_MS, [
        { beginMs: 0, intervalMs: MINUTE },
        { beginMs: 0, endMs: 5 * MINUTE, intervalMs: 30 * SECOND },
      ]),
      downForMs: MINUTE,
      expected: { intervalMs: MINUTE },
    },
    {
      name: 'a delete entry that comes first wins over a later interval',
      service: service('svc', NORMAL_MS, [
        { beginMs: HOUR, delete: true },
        { beginMs: 0, intervalMs: MINUTE },
      ]),
      downForMs: 2 * HOUR,
      expected: { suspended: true },
    },
    { name: 'no entry covers the time down', service: service('svc', NORMAL_MS, [{ beginMs: HOUR, intervalMs: MINUTE }]), downForMs: MINUTE, expected: { intervalMs: NORMAL_MS } },
    { name: 'an entry without interval or delete', service: service('svc', NORMAL_MS, [{ beginMs: 0 }]), downForMs: MINUTE, expected: { intervalMs: NORMAL_MS } },
  ];
  for (const row of rows) assert.deepEqual(effectiveInterval(row.service, row.downForMs), row.expected, row.name);
});

void test('DowntimeTracker: DOWN starts a down period, UP ends it, UNKNOWN leaves it', () => {
  const tracker = new DowntimeTracker();
  const svc = service('svc', NORMAL_MS, DEFAULT_DOWNTIME_MODEL);
  const t = EPOCH_ALIGNED;
  assert.deepEqual(tracker.observe(svc, 'UNKNOWN', t), { intervalMs: NORMAL_MS });
  assert.equal(tracker.downSince('svc'), undefined);
  assert.deepEqual(tracker.observe(svc, 'DOWN', t), { intervalMs: 30 * SECOND });
  assert.deepEqual(tracker.observe(svc, 'DOWN', t + 10 * MINUTE), { intervalMs: 5 * MINUTE });
  assert.deepEqual(tracker.observe(svc, 'UNKNOWN', t + DAY), { intervalMs: 10 * MINUTE });
  assert.equal(tracker.downSince('svc'), t, 'later DOWN and UNKNOWN results keep the start');
  assert.deepEqual(tracker.observe(svc, 'UP', t + DAY), { intervalMs: NORMAL_MS });
  assert.equal(tracker.downSince('svc'), undefined);

  tracker.observe(svc, 'DOWN', t);
  tracker.observe(service('other', NORMAL_MS), 'DOWN', t);
  tracker.retain(['other']);
  assert.equal(tracker.downSince('svc'), undefined);
  assert.equal(tracker.downSince('other'), t);
});

interface Start {
  id: string;
  at: number;
}

/** A check that takes `ms` of fake time. */
function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}

/**
 * A scheduler whose checks take 2 s of fake time and report whatever `statuses`
 * says, feeding the tracker and applying its verdict as the poller does.
 */
function downtimeRig(clock: FakeClock, services: PolledService[]) {
  const starts: Start[] = [];
  const statuses = new Map<string, ServiceStatus>();
  const tracker = new DowntimeTracker();
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 10,
    runCheck: async (s) => {
      starts.push({ id: s.serviceId, at: clock.now() });
      await sleep(clock, 2 * SECOND);
      const effective = tracker.observe(s, statuses.get(s.serviceId) ?? 'UP', clock.now());
      scheduler.setEffectiveInterval(s.serviceId, 'intervalMs' in effective ? effective.intervalMs : null);
    },
  });
  scheduler.setServices(services);
  const startsOf = (id: string): number[] => starts.filter((s) => s.id === id).map((s) => s.at);
  return { scheduler, statuses, tracker, starts, startsOf };
}

/** Advances to `targetMs` in steps of at most `stepMs`. */
async function advanceTo(clock: FakeClock, targetMs: number, stepMs = 12 * HOUR): Promise<void> {
  while (clock.now() < targetMs) await clock.advanceTo(Math.min(targetMs, clock.now() + stepMs));
}

/** The gap between the two consecutive checks that straddle `t0 + downForMs`. */
function gapAround(starts: number[], t0: number, downForMs: number): number {
  const at = t0 + downForMs;
  const i = starts.findIndex((s) => s > at);
  assert.ok(i > 0, `checks on both sides of ${downForMs} ms down`);
  return starts[i]! - starts[i - 1]!;
}

void test('a service that stays down is polled as the default model says, and back on its phase once up', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED + 1);
  // Three services of 5 minutes: 'b' has phase 100 s, which no downtime step is a multiple of from the epoch.
  const { scheduler, statuses, startsOf } = downtimeRig(clock, [
    service('a', NORMAL_MS, DEFAULT_DOWNTIME_MODEL),
    service('b', NORMAL_MS, DEFAULT_DOWNTIME_MODEL),
    service('c', NORMAL_MS, DEFAULT_DOWNTIME_MODEL),
  ]);
  const phaseB = 100 * SECOND;
  statuses.set('b', 'DOWN');
  scheduler.start();

  const wallStart = performance.now();
  await clock.advance(NORMAL_MS);
  const t0 = startsOf('b')[0]!;
  assert.equal(t0, EPOCH_ALIGNED + phaseB, 'first DOWN check on its phase');
  await advanceTo(clock, t0 + 6 * DAY + 90 * MINUTE);
  const wallMs = performance.now() - wallStart;
  assert.ok(wallMs < 20_000, `6 days of fake time took ${wallMs.toFixed(0)} ms`);

  const b = startsOf('b');
  assert.equal(gapAround(b, t0, MINUTE), 30 * SECOND, 'down 1 min');
  assert.equal(gapAround(b, t0, 10 * MINUTE), 5 * MINUTE, 'down 10 min');
  assert.equal(gapAround(b, t0, DAY), 10 * MINUTE, 'down 1 day');
  assert.equal(gapAround(b, t0, 6 * DAY), HOUR, 'down 6 days');
  // Each step counts from the check that moved to it: 10 checks of 30 s, then 5 min from t0 + 5 min.
  assert.deepEqual(
    b.slice(0, 12).map((at) => at - t0),
    [0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 600].map((s) => s * SECOND),
  );

  // 'a' and 'c' stayed up: every 5 minutes on their phases throughout.
  for (const [id, phaseMs] of [
    ['a', 0],
    ['c', 200 * SECOND],
  ] as const) {
    const runs = startsOf(id);
    assert.ok(
      runs.every((at) => at % NORMAL_MS === phaseMs),
      `${id} on its phase`,
    );
    assert.ok(
      runs.slice(1).every((at, i) => at - runs[i]! === NORMAL_MS),
      `${id} every 5 min`,
    );
  }

  // Up again: the next hourly check sees it, and from then on 'b' is back on its phase.
  statuses.set('b', 'UP');
  const upAt = clock.now();
  await advanceTo(clock, upAt + HOUR + 20 * MINUTE);
  const after = startsOf('b').filter((at) => at > upAt);
  const back = after.slice(1);
  assert.ok(back.length >= 3, `${back.length} checks after coming up`);
  for (const at of back) assert.equal(at % NORMAL_MS, phaseB, 'back on its phase');
  assert.ok(
    back.slice(1).every((at, i) => at - back[i]! === NORMAL_MS),
    'every 5 min',
  );
  assert.ok(back[0]! - after[0]! <= NORMAL_MS, 'the first check after coming up is within one normal interval');
  assert.equal(scheduler.stats().skipped, 0);
  await stopScheduler(clock, scheduler);
});

void test('a service that comes up off its phase returns to the phase, not to 5 min after its last check', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED + 1);
  const { scheduler, statuses, startsOf } = downtimeRig(clock, [
    service('a', NORMAL_MS, DEFAULT_DOWNTIME_MODEL),
    service('b', NORMAL_MS, DEFAULT_DOWNTIME_MODEL),
    service('c', NORMAL_MS, DEFAULT_DOWNTIME_MODEL),
  ]);
  const phaseB = 100 * SECOND;
  statuses.set('b', 'DOWN');
  scheduler.start();
  await clock.advanceTo(EPOCH_ALIGNED + phaseB);
  const t0 = startsOf('b')[0]!;
  assert.equal(t0, EPOCH_ALIGNED + phaseB);
  await clock.advanceTo(t0 + 80 * SECOND);
  statuses.set('b', 'UP');
  await clock.advanceTo(t0 + 20 * MINUTE);

  // DOWN at 0, 30 and 60 s; UP at 90 s; then the phase instants t0 + 5 min, + 10 min, …
  assert.deepEqual(
    startsOf('b').map((at) => at - t0),
    [0, 30, 60, 90, 300, 600, 900, 1200].map((s) => s * SECOND),
  );
  for (const at of startsOf('b')) if (at - t0 >= 300 * SECOND) assert.equal(at % NORMAL_MS, phaseB);
  await stopScheduler(clock, scheduler);
});

void test('a delete entry stops polling after the first check past it', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED + 1);
  const { scheduler, statuses, startsOf } = downtimeRig(clock, [service('a', NORMAL_MS), service('b', NORMAL_MS, DELETE_AFTER_5_DAYS)]);
  statuses.set('b', 'DOWN');
  scheduler.start();
  await clock.advance(NORMAL_MS);
  const t0 = startsOf('b')[0]!;
  await advanceTo(clock, t0 + 5 * DAY + 12 * HOUR);

  const b = startsOf('b');
  // The 10-minute steps from 12 h fall on exactly 5 days: that check finds the service down 5 days.
  assert.equal(b.at(-1)! - t0, 5 * DAY, 'last check: the first at or past 5 days down');
  assert.equal(b.at(-2)! - t0, 5 * DAY - 10 * MINUTE);
  assert.equal(scheduler.nextDueMs('b'), undefined, 'no pending check');
  assert.equal(scheduler.stats().suspended, 1);

  await advanceTo(clock, t0 + 7 * DAY);
  assert.equal(startsOf('b').length, b.length, 'never checked again');
  const a = startsOf('a');
  assert.equal(a.at(-1)! - a.at(-2)!, NORMAL_MS, 'other services carry on');
  assert.equal(clock.pendingTimers, 1, 'one timer, for the service still polled');

  // A new package resets the suspension: the service gets checked again.
  scheduler.setServices([service('a', NORMAL_MS), service('b', NORMAL_MS, DELETE_AFTER_5_DAYS)]);
  assert.equal(scheduler.stats().suspended, 0);
  assert.notEqual(scheduler.nextDueMs('b'), undefined);
  await stopScheduler(clock, scheduler);
});

void test('suspending every service leaves no timer behind', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const scheduler = new PollScheduler({ clock, parallelTasks: 1, runCheck: async () => undefined });
  scheduler.setServices([service('a', NORMAL_MS)]);
  scheduler.start();
  assert.equal(clock.pendingTimers, 1);
  assert.equal(scheduler.setEffectiveInterval('a', null), true);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(scheduler.setEffectiveInterval('a', null), false, 'already suspended');
  assert.equal(scheduler.stats().suspended, 1);
  assert.equal(scheduler.setEffectiveInterval('unknown', 1_000), false, 'a service not in the schedule is ignored');
  assert.throws(() => scheduler.setEffectiveInterval('a', 0), RangeError);
  await scheduler.stop();
});

void test('setEffectiveInterval with the value in force changes nothing', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED + 1);
  const starts: number[] = [];
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 1,
    runCheck: async (s) => {
      starts.push(clock.now());
      // As the poller does after every check: most calls repeat what is in force.
      for (let i = 0; i < 3; i++) scheduler.setEffectiveInterval(s.serviceId, MINUTE);
    },
  });
  scheduler.setServices([service('a', NORMAL_MS)]);
  assert.equal(scheduler.setEffectiveInterval('a', NORMAL_MS), false, 'its own interval is already in force');
  scheduler.start();
  const firstDue = scheduler.nextDueMs('a');
  assert.equal(firstDue, EPOCH_ALIGNED + NORMAL_MS);

  await clock.advanceTo(EPOCH_ALIGNED + NORMAL_MS);
  const t = EPOCH_ALIGNED + NORMAL_MS;
  assert.equal(scheduler.nextDueMs('a'), t + MINUTE, 'the last due time plus the new interval');
  for (let i = 0; i < 5; i++) {
    assert.equal(scheduler.setEffectiveInterval('a', MINUTE), false);
    assert.equal(scheduler.nextDueMs('a'), t + MINUTE);
    assert.equal(clock.pendingTimers, 1);
  }
  await clock.advance(5 * MINUTE);
  assert.deepEqual(
    starts.map((at) => at - t),
    [0, 1, 2, 3, 4, 5].map((m) => m * MINUTE),
  );
  assert.equal(clock.pendingTimers, 1);
  assert.equal(scheduler.stats().skipped, 0);
  await scheduler.stop();
});

void test('setEffectiveInterval is cheap on a large schedule', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED + 1);
  const count = 100_000;
  const scheduler = new PollScheduler({ clock, parallelTasks: 10, runCheck: async () => undefined });
  scheduler.setServices(Array.from({ length: count }, (_, i) => service(`svc-${i}`, NORMAL_MS)));
  scheduler.start();
  const t = performance.now();
  for (let i = 0; i < count; i += 10) scheduler.setEffectiveInterval(`svc-${i}`, 30 * SECOND);
  for (let i = 0; i < count; i += 10) scheduler.setEffectiveInterval(`svc-${i}`, 30 * SECOND);
  const ms = performance.now() - t;
  // A rebuild of the heap per call would take minutes here.
  assert.ok(ms < 5_000, `20,000 calls took ${ms.toFixed(0)} ms`);
  await scheduler.stop();
});

/** Stops the scheduler, letting a check in progress finish on the fake clock. */
async function stopScheduler(clock: FakeClock, scheduler: PollScheduler): Promise<void> {
  const stopped = scheduler.stop();
  await clock.advance(10 * SECOND);
  await stopped;
}
