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
  const cache = new AnswerCache<number>(MAX_AGE_MS, { now: () => now });
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
  const cache = new AnswerCache<string>(MAX_AGE_MS, { now: () => 0 });
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

/** Resolves once `ready()` holds, checking every few milliseconds for at most `withinMs`. */
async function until(ready: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!ready()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// These run on the real clock, with short ages: the computations ahead of requests are timers.

void test('an answer asked for lately is computed again as it ages out, with no request, until nobody has asked for a while', async () => {
  let computed = 0;
  const cache = new AnswerCache<number>(50, { keepWarmMs: 250 });
  const compute = async () => ++computed;
  try {
    assert.equal(await cache.get('24h', compute), 1);
    await until(() => computed >= 2, 2_000, 'computed again as it aged out');
    assert.equal(await cache.get('24h', compute), computed, 'the request finds the answer computed ahead');
    const afterLastRequest = computed;
    await until(() => computed >= afterLastRequest + 2, 2_000, 'kept warm while asked for lately');
    // Nobody asks any more: once the keep-warm time has passed, nothing more is computed.
    await sleep(250 + 3 * 50);
    const settled = computed;
    await sleep(4 * 50);
    assert.equal(computed, settled, 'no computation for a key nobody asked for within the keep-warm time');
    assert.ok(settled <= afterLastRequest + Math.ceil((250 + 3 * 50) / 50) + 1, `about one computation per age, not more (${settled - afterLastRequest})`);
  } finally {
    cache.stop();
  }
});

void test('without keep-warm (the default) nothing is computed but for a request', async () => {
  let computed = 0;
  const cache = new AnswerCache<number>(20);
  await cache.get('24h', async () => ++computed);
  await sleep(120);
  assert.equal(computed, 1);
});

void test('a change clears the answer and it is computed again shortly after, once for a burst of changes', async () => {
  let computed = 0;
  const cache = new AnswerCache<number>(60_000, { keepWarmMs: 60_000, rewarmAfterChangeMs: 40 });
  const compute = async () => ++computed;
  try {
    assert.equal(await cache.get('24h', compute), 1);
    // The events of one outage, one after another (no wait between them: a busy machine could stretch any).
    for (let i = 0; i < 5; i++) cache.clear();
    await until(() => computed === 2, 2_000, 'computed again after the change');
    await sleep(150);
    assert.equal(computed, 2, 'one computation for the burst');
    assert.equal(await cache.get('24h', compute), 2, 'the request gets it without computing');
    assert.equal(computed, 2);
  } finally {
    cache.stop();
  }
});

void test('a computation ahead of requests that fails is logged with the key; the next request tries again', async () => {
  const warnings: string[] = [];
  let fail = false;
  let computed = 0;
  const cache = new AnswerCache<number>(60_000, { keepWarmMs: 60_000, rewarmAfterChangeMs: 10, log: { warn: (line) => warnings.push(line) }, name: 'the services list' });
  const compute = async () => {
    computed++;
    if (fail) throw new Error('database gone');
    return computed;
  };
  try {
    assert.equal(await cache.get('24h', compute), 1);
    fail = true;
    cache.clear();
    await until(() => warnings.length === 1, 2_000, 'the failure logged');
    assert.match(warnings[0]!, /the services list \(24h\).*failed.*database gone/);
    fail = false;
    assert.equal(await cache.get('24h', compute), 3, 'the failed answer was not kept');
  } finally {
    cache.stop();
  }
});

void test('stop ends the computations ahead of requests', async () => {
  let computed = 0;
  const cache = new AnswerCache<number>(30, { keepWarmMs: 60_000, rewarmAfterChangeMs: 10 });
  await cache.get('24h', async () => ++computed);
  cache.stop();
  cache.clear();
  await sleep(150);
  assert.equal(computed, 1);
});

void test('an answer kept warm takes at most a tenth of the time: the next computation ahead of requests waits ten times as long as the last took', async () => {
  let computed = 0;
  // Aging out at once, 30 ms to compute: without the spacing, some 20 computations in 800 ms.
  const cache = new AnswerCache<number>(10, { keepWarmMs: 60_000, rewarmAfterChangeMs: 0 });
  const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(++computed), 30));
  try {
    await cache.get('24h', slow);
    for (let i = 0; i < 8; i++) {
      cache.clear(); // changes, as fast as they come
      await sleep(100);
    }
    assert.ok(computed >= 2, `kept warm (${computed} computations)`);
    assert.ok(computed <= 5, `at most one per 300 ms or so (${computed} computations in 800 ms)`);
  } finally {
    cache.stop();
  }
});
