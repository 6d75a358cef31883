import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, type Clock, type TimerHandle } from '@vantage/runtime';
import { DELIVERY_BACKOFF, NotificationDispatcher, type OutboxStore } from './dispatcher.ts';
import { InMemoryOutboxStore } from '../../testing/in-memory-outbox-store.ts';
import type { Notification } from './message.ts';
import type { NotificationSink } from './sinks/sink.ts';
import { deferred, delay, lostServiceEvent, recordingLog, waitFor } from '../../testing/notifications.ts';

/** A sink whose deliveries each wait until the test releases them; it counts how many run at once. */
class GatedSink implements NotificationSink {
  readonly gates: (() => void)[] = [];
  readonly seen: number[] = [];
  running = 0;
  maxRunning = 0;
  constructor(readonly name: string) {}

  async deliver(n: Notification): Promise<void> {
    this.seen.push(n.id);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const gate = deferred();
    this.gates.push(gate.resolve);
    await gate.promise;
    this.running--;
  }

  releaseAll(): void {
    for (const release of this.gates.splice(0)) release();
  }
}

void test('deliveries back off from 1 s up to 10 min', () => {
  const none = () => 0;
  assert.deepEqual(
    [1, 2, 3, 11, 20].map((f) => backoffDelayMs(f, DELIVERY_BACKOFF, none)),
    [1000, 2000, 4000, 600_000, 600_000],
  );
});

void test('no more than `concurrency` deliveries at once; the rest follow as slots free up', async () => {
  const store = new InMemoryOutboxStore();
  const sink = new GatedSink('s');
  const dispatcher = new NotificationDispatcher(store, [sink], { concurrency: 4, pollIntervalMs: 60_000, log: recordingLog() });
  for (let i = 0; i < 10; i++) store.enqueue('s', lostServiceEvent({ id: 100 + i }));
  dispatcher.start();
  await waitFor(() => sink.running === 4, 'four deliveries');
  await delay(30);
  assert.equal(sink.running, 4);
  assert.equal(dispatcher.inFlight, 4);
  assert.equal(store.inFlight, 4, 'only as many claimed as there are free slots');

  sink.gates.shift()?.();
  await waitFor(() => sink.seen.length === 5, 'a fifth delivery once one finished');
  assert.equal(sink.running, 4);

  while (store.delivered.length < 10) {
    sink.releaseAll();
    await delay(2);
  }
  await dispatcher.close();
  assert.equal(sink.maxRunning, 4);
  assert.deepEqual(sink.seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'oldest first, each once');
  assert.deepEqual(store.pending, []);
});

void test('close() waits for the deliveries in flight and their outcome, then claims nothing more', async () => {
  const store = new InMemoryOutboxStore();
  const sink = new GatedSink('s');
  const dispatcher = new NotificationDispatcher(store, [sink], { pollIntervalMs: 5, log: recordingLog() });
  store.enqueue('s', lostServiceEvent());
  dispatcher.start();
  await waitFor(() => sink.running === 1, 'the delivery to start');

  let closed = false;
  const closing = dispatcher.close().then(() => (closed = true));
  await delay(30);
  assert.equal(closed, false, 'close() returned with a delivery in flight');
  sink.releaseAll();
  await closing;
  assert.equal(store.delivered.length, 1, 'the outcome was recorded before close() resolved');

  store.enqueue('s', lostServiceEvent({ id: 43 }));
  dispatcher.wake();
  await delay(30);
  assert.equal(sink.seen.length, 1);
  assert.equal(store.inFlight, 0);
  assert.throws(() => dispatcher.start(), /closed/);
});

void test('a notification for a sink that is not configured is dead at once', async () => {
  const store = new InMemoryOutboxStore();
  const sink = new GatedSink('s');
  const log = recordingLog();
  const dispatcher = new NotificationDispatcher(store, [sink], { log });
  store.enqueue('gone', lostServiceEvent());
  dispatcher.start();
  await waitFor(() => store.dead.length === 1, 'the dead letter');
  await dispatcher.close();
  assert.equal(store.dead[0]?.error, 'no notification sink named "gone" is configured');
  assert.equal(store.dead[0]?.notification.attempts, 1);
  assert.deepEqual(sink.seen, []);
  assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('"gone"')));
});

void test('wake() looks at the outbox at once; passes never overlap', async () => {
  const inner = new InMemoryOutboxStore();
  let claiming = 0;
  let maxClaiming = 0;
  let claims = 0;
  const slow: OutboxStore = {
    async claimDue(nowMs, limit) {
      claims++;
      claiming++;
      maxClaiming = Math.max(maxClaiming, claiming);
      await delay(10);
      claiming--;
      return inner.claimDue(nowMs, limit);
    },
    leaseMs: inner.leaseMs,
    renewLease: (claim) => inner.renewLease(claim),
    markDelivered: (claim) => inner.markDelivered(claim),
    markFailed: (claim, e, at) => inner.markFailed(claim, e, at),
    markDead: (claim, e) => inner.markDead(claim, e),
  };
  const delivered: number[] = [];
  const sink: NotificationSink = { name: 's', deliver: (n) => Promise.resolve(void delivered.push(n.event.id)) };
  const dispatcher = new NotificationDispatcher(slow, [sink], { pollIntervalMs: 60_000, log: recordingLog() });
  dispatcher.start();
  await waitFor(() => claims === 1 && claiming === 0, 'the first pass');
  await delay(20);

  inner.enqueue('s', lostServiceEvent({ id: 7 }));
  for (let i = 0; i < 20; i++) dispatcher.wake();
  await waitFor(() => delivered.length === 1, 'the woken delivery', 1000);
  for (let i = 0; i < 5; i++) {
    dispatcher.wake();
    await delay(3);
  }
  await dispatcher.close();
  assert.equal(maxClaiming, 1);
  assert.ok(claims <= 8, `${claims} claims for 26 wakes`);
  assert.deepEqual(delivered, [7]);
});

void test('a failing store is logged and tried again at the next poll', async () => {
  const inner = new InMemoryOutboxStore();
  let failures = 1;
  const flaky: OutboxStore = {
    claimDue: (nowMs, limit) => (failures-- > 0 ? Promise.reject(new Error('database is restarting')) : inner.claimDue(nowMs, limit)),
    leaseMs: inner.leaseMs,
    renewLease: (claim) => inner.renewLease(claim),
    markDelivered: (claim) => inner.markDelivered(claim),
    markFailed: (claim, e, at) => inner.markFailed(claim, e, at),
    markDead: (claim, e) => inner.markDead(claim, e),
  };
  const log = recordingLog();
  const sink: NotificationSink = { name: 's', deliver: () => Promise.resolve() };
  const dispatcher = new NotificationDispatcher(flaky, [sink], { pollIntervalMs: 10, log });
  inner.enqueue('s', lostServiceEvent());
  dispatcher.start();
  await waitFor(() => inner.delivered.length === 1, 'the delivery');
  await dispatcher.close();
  assert.deepEqual(log.lines.filter((l) => l.startsWith('error')), ['error notification outbox: claiming due notifications failed: database is restarting']);
});

void test('an injected clock drives the polls and the retries; its timers are unref\'d', async () => {
  let nowMs = 1_000_000;
  const timers: { dueMs: number; callback: () => void; unrefd: boolean }[] = [];
  const clock: Clock = {
    now: () => nowMs,
    setTimer(callback, delayMs) {
      const timer = { dueMs: nowMs + delayMs, callback, unrefd: false };
      timers.push(timer);
      return Object.assign(timer, { unref: () => void (timer.unrefd = true) }) as unknown as TimerHandle;
    },
    clearTimer(handle) {
      const i = timers.indexOf(handle as unknown as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advanceTo = async (target: number) => {
    for (;;) {
      timers.sort((a, b) => a.dueMs - b.dueMs);
      const next = timers[0];
      if (!next || next.dueMs > target) break;
      timers.shift();
      nowMs = next.dueMs;
      next.callback();
      await delay(1);
    }
    nowMs = target;
    await delay(1);
  };

  const store = new InMemoryOutboxStore(() => nowMs);
  const attemptsAt: number[] = [];
  const sink: NotificationSink = {
    name: 's',
    deliver: () => {
      attemptsAt.push(nowMs);
      return attemptsAt.length < 3 ? Promise.reject(new Error('HTTP 503 from https://hooks.example.com/v')) : Promise.resolve();
    },
  };
  const dispatcher = new NotificationDispatcher(store, [sink], { clock, random: () => 0, pollIntervalMs: 1000, log: recordingLog() });
  store.enqueue('s', lostServiceEvent(), nowMs + 2500); // due between two polls
  dispatcher.start();
  await delay(1);
  assert.ok(timers.length === 1 && timers[0]!.unrefd, 'one unref\'d timer after the first pass');
  assert.equal(timers[0]!.dueMs, 1_001_000);

  await advanceTo(1_000_000 + 60_000);
  // Found at the poll after it fell due, then retried 1 s and 2 s after the failures.
  assert.deepEqual(attemptsAt, [1_003_000, 1_004_000, 1_006_000]);
  assert.equal(store.delivered.length, 1);
  await dispatcher.close();
  assert.equal(timers.length, 0, 'close() clears the timer');
});
