import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolledService } from '@vantage/common';
import { type Clock, FakeClock } from '@vantage/runtime';
import { PollScheduler } from './scheduler.ts';

// Aligned to every interval used below, so due instants are easy to name.
const EPOCH_ALIGNED = Date.UTC(2025, 0, 1);

function service(serviceId: string, intervalMs: number): PolledService {
  return {
    serviceId,
    serviceName: serviceId,
    monitor: 'ICMP',
    nodeLabel: 'node',
    host: '192.0.2.1',
    intervalMs,
    params: {},
  };
}

interface Start {
  id: string;
  at: number;
}

/** A scheduler whose checks finish at once and are recorded with their start time. */
function recordingScheduler(clock: FakeClock, parallelTasks = 10): { scheduler: PollScheduler; starts: Start[] } {
  const starts: Start[] = [];
  const scheduler = new PollScheduler({
    clock,
    parallelTasks,
    runCheck: async (s) => {
      starts.push({ id: s.serviceId, at: clock.now() });
    },
  });
  return { scheduler, starts };
}

/** A check that takes `ms` of fake time. */
function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}

void test('services of one interval are spread evenly and aligned to the epoch', async () => {
  const start = EPOCH_ALIGNED + 12_345;
  const clock = new FakeClock(start);
  const { scheduler, starts } = recordingScheduler(clock);
  const slow = Array.from({ length: 10 }, (_, i) => service(`slow-${i}`, 60_000));
  const fast = Array.from({ length: 4 }, (_, i) => service(`fast-${i}`, 10_000));
  // Shuffled input: phases must follow serviceId order, not input order.
  scheduler.setServices([...fast.slice(2), ...slow.reverse(), ...fast.slice(0, 2)]);
  scheduler.start();
  await clock.advance(120_000);

  for (const { prefix, intervalMs, n } of [
    { prefix: 'slow-', intervalMs: 60_000, n: 10 },
    { prefix: 'fast-', intervalMs: 10_000, n: 4 },
  ]) {
    const spacing = intervalMs / n;
    const group = starts.filter((s) => s.id.startsWith(prefix) && s.at < start + 2 * intervalMs);
    assert.equal(group.length, 2 * n, `${prefix}: one run per service per interval`);

    for (let i = 1; i < group.length; i++) {
      const gap = group[i]!.at - group[i - 1]!.at;
      assert.ok(Math.abs(gap - spacing) <= 1, `${prefix}: starts ${gap} ms apart, expected ${spacing}`);
    }

    for (let i = 0; i < n; i++) {
      const runs = group.filter((s) => s.id === `${prefix}${i}`).map((s) => s.at);
      assert.equal(runs.length, 2, `${prefix}${i} runs once per interval`);
      assert.equal(runs[1]! - runs[0]!, intervalMs);
      for (const at of runs) assert.equal(at % intervalMs, (i * intervalMs) / n, `${prefix}${i} phase`);
    }
  }
  assert.equal(scheduler.stats().skipped, 0);
  await scheduler.stop();
});

void test('a restarted scheduler keeps every phase', async () => {
  const services = Array.from({ length: 7 }, (_, i) => service(`svc-${i}`, 30_000));
  const phases = async (now: number, list: PolledService[]): Promise<Map<string, number>> => {
    const clock = new FakeClock(now);
    const { scheduler, starts } = recordingScheduler(clock);
    scheduler.setServices(list);
    scheduler.start();
    await clock.advance(30_000);
    await scheduler.stop();
    return new Map(starts.map((s) => [s.id, s.at % 30_000]));
  };

  const before = await phases(EPOCH_ALIGNED + 1_111, services);
  const after = await phases(EPOCH_ALIGNED + 987_654_321, [...services].reverse());
  assert.equal(before.size, 7);
  assert.deepEqual(after, before);
});

void test('at most parallelTasks checks run at once; queued ones start as slots free', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const starts: Start[] = [];
  let running = 0;
  let maxRunning = 0;
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 2,
    runCheck: async (s) => {
      starts.push({ id: s.serviceId, at: clock.now() });
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(clock, 5_000);
      running--;
    },
  });
  // Each alone in its interval group, so all have phase 0 and fall due together.
  scheduler.setServices([service('a', 60_000), service('b', 30_000), service('c', 20_000), service('d', 15_000)]);
  scheduler.start();

  await clock.advance(0);
  assert.deepEqual(
    { running: scheduler.stats().running, queued: scheduler.stats().queued },
    { running: 2, queued: 2 },
  );

  await clock.advance(15_000);
  const t = EPOCH_ALIGNED;
  assert.deepEqual(starts, [
    { id: 'a', at: t },
    { id: 'b', at: t },
    { id: 'c', at: t + 5_000 },
    { id: 'd', at: t + 5_000 },
    // Due again on its phase, not 15 s after its late start.
    { id: 'd', at: t + 15_000 },
  ]);
  assert.equal(maxRunning, 2);
  const stats = scheduler.stats();
  assert.equal(stats.started, 5);
  assert.equal(stats.lateMsP50, 0);
  assert.equal(stats.lateMsP99, 5_000);
  const stopped = scheduler.stop();
  await clock.advance(5_000);
  await stopped;
});

void test('a check slower than its interval is skipped, never run twice at once', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const starts: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 4,
    runCheck: async () => {
      starts.push(clock.now());
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(clock, 25_000);
      running--;
    },
  });
  scheduler.setServices([service('slow', 10_000)]);
  scheduler.start();
  await clock.advance(60_000);

  const t = EPOCH_ALIGNED;
  assert.deepEqual(starts, [t, t + 30_000, t + 60_000]);
  assert.equal(maxRunning, 1);
  assert.equal(scheduler.stats().skipped, 4);
  const stopped = scheduler.stop();
  await clock.advance(25_000);
  await stopped;
});

void test('setServices on a running scheduler replaces the schedule', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const { scheduler, starts } = recordingScheduler(clock);
  scheduler.setServices([service('kept', 10_000), service('removed', 10_000)]);
  scheduler.start();
  await clock.advance(15_000);
  assert.deepEqual(new Set(starts.map((s) => s.id)), new Set(['kept', 'removed']));

  const changedAt = clock.now();
  scheduler.setServices([service('kept', 10_000), service('added', 10_000)]);
  assert.equal(scheduler.size, 2);
  await clock.advance(30_000);

  const after = starts.filter((s) => s.at > changedAt);
  assert.equal(after.filter((s) => s.id === 'removed').length, 0);
  assert.equal(after.filter((s) => s.id === 'kept').length, 3);
  assert.equal(after.filter((s) => s.id === 'added').length, 3);
  assert.equal(clock.pendingTimers, 1);
  await scheduler.stop();
});

void test('setServices keeps queued checks of services that stay and drops those of removed ones', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const starts: Start[] = [];
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 1,
    runCheck: async (s) => {
      starts.push({ id: s.serviceId, at: clock.now() });
      await sleep(clock, 5_000);
    },
  });
  // Alone in their interval groups: all due at once, so b and c wait for a's slot.
  scheduler.setServices([service('a', 60_000), service('b', 30_000), service('c', 20_000)]);
  scheduler.start();
  await clock.advance(1_000);
  assert.equal(scheduler.stats().queued, 2);

  scheduler.setServices([service('a', 60_000), service('b', 30_000)]);
  assert.equal(scheduler.stats().queued, 1);
  await clock.advance(19_000);

  const t = EPOCH_ALIGNED;
  assert.deepEqual(starts, [
    { id: 'a', at: t },
    { id: 'b', at: t + 5_000 },
  ]);
  await scheduler.stop();
});

void test('stop() starts no more checks and resolves once running ones finish', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const starts: number[] = [];
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 1,
    runCheck: async () => {
      starts.push(clock.now());
      await sleep(clock, 5_000);
    },
  });
  scheduler.setServices([service('a', 10_000), service('b', 10_000), service('c', 60_000)]);
  scheduler.start();
  await clock.advance(2_000);
  assert.equal(scheduler.stats().running, 1);

  let stopped = false;
  const stopping = scheduler.stop().then(() => {
    stopped = true;
  });
  await clock.advance(1_000);
  assert.equal(stopped, false, 'waits for the running check');
  await clock.advance(2_000);
  await stopping;
  assert.equal(stopped, true);

  const startsAtStop = starts.length;
  await clock.advance(120_000);
  assert.equal(starts.length, startsAtStop);
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(
    { running: scheduler.stats().running, queued: scheduler.stats().queued },
    { running: 0, queued: 0 },
  );
});

void test('errors from runCheck go to onError, never to an unhandled rejection', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const errors: [string, unknown][] = [];
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 2,
    runCheck: (s) => {
      if (s.serviceId === 'throws') throw new Error('sync');
      return Promise.reject(new Error('async'));
    },
    onError: (err, s) => {
      errors.push([s.serviceId, (err as Error).message]);
    },
  });
  scheduler.setServices([service('throws', 10_000), service('rejects', 20_000)]);
  scheduler.start();
  await clock.advance(10_000);
  assert.deepEqual(errors.sort(), [
    ['rejects', 'async'],
    ['throws', 'sync'],
    ['throws', 'sync'],
  ]);
  assert.equal(scheduler.stats().running, 0, 'a failed check frees its slot');
  await scheduler.stop();
});

void test('a wall clock set back does not stall the schedule', async () => {
  const fake = new FakeClock(EPOCH_ALIGNED);
  let offsetMs = 0;
  const clock: Clock = {
    now: () => fake.now() + offsetMs,
    setTimer: (callback, delayMs) => fake.setTimer(callback, delayMs),
    clearTimer: (handle) => fake.clearTimer(handle),
  };
  const starts: number[] = [];
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 1,
    runCheck: async () => {
      starts.push(clock.now());
    },
  });
  scheduler.setServices([service('a', 10_000)]);
  scheduler.start();
  await fake.advance(10_000);
  assert.equal(starts.length, 2);

  offsetMs = -3_600_000;
  await fake.advance(30_000);
  assert.ok(starts.length >= 4, `ran ${starts.length - 2} times in 30 s after the clock went back`);
  for (const at of starts) assert.equal(at % 10_000, 0, 'phase kept');
  await scheduler.stop();
});

void test('100,000 services: one timer, each checked once per interval', async () => {
  const count = 100_000;
  const intervalMs = 300_000;
  // One past an aligned instant: no due time falls on either end of the window.
  const clock = new FakeClock(EPOCH_ALIGNED + 1);
  const runs = new Int32Array(count);
  let maxPending = 0;
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 50,
    runCheck: async (s) => {
      runs[Number(s.serviceId.slice(4))]!++;
      maxPending = Math.max(maxPending, clock.pendingTimers);
    },
  });
  const services = Array.from({ length: count }, (_, i) => service(`svc-${String(i).padStart(6, '0')}`, intervalMs));

  // How long this takes is bench/scheduler.bench.ts's business, not a test's.
  scheduler.setServices(services);
  assert.equal(scheduler.size, count);

  scheduler.start();
  assert.equal(clock.pendingTimers, 1);
  await clock.advance(intervalMs);

  assert.ok(
    runs.every((n) => n === 1),
    'every service ran exactly once',
  );
  assert.ok(maxPending <= 2, `${maxPending} timers pending at once`);
  assert.equal(clock.pendingTimers, 1);
  const stats = scheduler.stats();
  assert.equal(stats.started, count);
  assert.equal(stats.skipped, 0);
  await scheduler.stop();
});

void test('a batch window starts the checks due within it together: the same spread, a tenth of the wake-ups', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  const starts = new Map<string, number[]>();
  const firings = new Set<number>();
  const scheduler = new PollScheduler({
    clock,
    parallelTasks: 1000,
    batchWindowMs: 10,
    runCheck: async (s) => {
      firings.add(clock.now());
      starts.set(s.serviceId, [...(starts.get(s.serviceId) ?? []), clock.now()]);
    },
  });
  // 1,000 services a second: one due every millisecond.
  scheduler.setServices(Array.from({ length: 1000 }, (_, i) => service(`s${String(i).padStart(4, '0')}`, 1000)));
  scheduler.start();
  await clock.advance(10_000);
  for (const [id, times] of starts) {
    assert.ok(times.length === 10 || times.length === 11, `${id} ran ${times.length} times in 10 rounds`);
    for (let i = 1; i < times.length; i++) assert.ok(Math.abs(times[i]! - times[i - 1]! - 1000) <= 10, `${id} keeps its interval, give or take the window`);
  }
  const perSecond = firings.size / 10;
  assert.ok(perSecond <= 101, `${perSecond} timer firings a second for 1,000 checks a second`);
  const spread = [...starts.values()].map((t) => t[0]! - EPOCH_ALIGNED).sort((a, b) => a - b);
  assert.ok(spread.at(-1)! >= 980, 'still spread over the whole interval');
  await scheduler.stop();
});

void test('an interval shorter than the batch window runs once per firing, never again within it', async () => {
  const clock = new FakeClock(EPOCH_ALIGNED);
  let runs = 0;
  const scheduler = new PollScheduler({ clock, parallelTasks: 10, batchWindowMs: 10, runCheck: async () => void runs++ });
  scheduler.setServices([service('fast', 2)]);
  scheduler.start();
  await clock.advance(1000);
  assert.ok(runs > 0 && runs <= 501, `${runs} runs of a 2 ms service in a second`);
  await scheduler.stop();
});
