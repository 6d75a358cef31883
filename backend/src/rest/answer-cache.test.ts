/** AnswerCache on a fake clock, with a real event bus. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Uei } from '@vantage/common';
import { EventBus, type StoredEvent } from '@vantage/events';
import { AnswerCache } from './answer-cache.ts';

const MAX_AGE_MS = 10_000;

const event = (id: number, uei: StoredEvent['uei']): StoredEvent => ({
  id,
  uei,
  severity: 'Minor',
  time: 0,
  location: 'LON',
  monitorId: 'm-1',
  serviceId: 'shop/HTTP',
  nodeLabel: 'shop',
  params: {},
});

function counted() {
  let now = 1_000_000;
  let computed = 0;
  const cache = new AnswerCache<number>(MAX_AGE_MS, () => now);
  const compute = async () => ++computed;
  return { cache, compute, advance: (ms: number) => void (now += ms), computed: () => computed };
}

void test('an answer is reused while younger than the maximum age, then computed again', async () => {
  const c = counted();
  assert.equal(await c.cache.get('24h', c.compute), 1);
  c.advance(MAX_AGE_MS - 1);
  assert.equal(await c.cache.get('24h', c.compute), 1);
  assert.equal(await c.cache.get('7d', c.compute), 2, 'each key has its own answer');
  c.advance(1);
  assert.equal(await c.cache.get('24h', c.compute), 3);
  assert.equal(c.computed(), 3);
});

void test('requests that arrive while an answer is computed share the computation', async () => {
  const cache = new AnswerCache<string>(MAX_AGE_MS, () => 0);
  let release!: (value: string) => void;
  let computed = 0;
  const slow = () => {
    computed++;
    return new Promise<string>((resolve) => (release = resolve));
  };
  const answers = [cache.get('k', slow), cache.get('k', slow), cache.get('k', slow)];
  release('the answer');
  assert.deepEqual(await Promise.all(answers), ['the answer', 'the answer', 'the answer']);
  assert.equal(computed, 1);
});

void test('a failed computation is not kept: the next request tries again', async () => {
  const c = counted();
  await assert.rejects(c.cache.get('24h', () => Promise.reject(new Error('database gone'))), /database gone/);
  assert.equal(await c.cache.get('24h', c.compute), 1);
});

/** The three sources of change, with a way to fire the two that are not a bus. */
function changes() {
  const statusListeners: (() => void)[] = [];
  const configListeners: (() => void)[] = [];
  return {
    bus: new EventBus(() => {}),
    ingest: { onStatusesChanged: (listener: () => void) => void statusListeners.push(listener) },
    configs: { onReplaced: (listener: () => void) => void configListeners.push(listener) },
    statusesChanged: () => statusListeners.forEach((listener) => listener()),
    configReplaced: () => configListeners.forEach((listener) => listener()),
  };
}

void test('every event on the bus clears the kept answers, even one still being computed', async () => {
  const c = counted();
  const { bus, ...rest } = changes();
  c.cache.clearOnChanges({ bus, ...rest }, 'test');
  assert.equal(await c.cache.get('24h', c.compute), 1);
  bus.publish([event(1, Uei.nodeLostService)]);
  await bus.drain();
  assert.equal(await c.cache.get('24h', c.compute), 2, 'computed again after the event');

  // An event while an answer is being computed: that answer may hold the data from before the change.
  let release!: (value: number) => void;
  const pending = c.cache.get('7d', () => new Promise<number>((resolve) => (release = resolve)));
  bus.publish([event(2, Uei.nodeRegainedService)]);
  await bus.drain();
  release(-1);
  assert.equal(await pending, -1, 'the requests already waiting get it');
  assert.equal(await c.cache.get('7d', c.compute), 3, 'later ones do not');
});

void test('statuses changed by results (a first status has no event) and a configuration reload clear the kept answers', async () => {
  const c = counted();
  const sources = changes();
  c.cache.clearOnChanges(sources, 'test');
  assert.equal(await c.cache.get('24h', c.compute), 1);
  assert.equal(await c.cache.get('24h', c.compute), 1);
  sources.statusesChanged();
  assert.equal(await c.cache.get('24h', c.compute), 2);
  sources.configReplaced();
  assert.equal(await c.cache.get('24h', c.compute), 3);
});
