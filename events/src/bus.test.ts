import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Uei } from '@vantage/common';
import { EventBus } from './bus.ts';
import type { StoredEvent } from './event.ts';

const event = (id: number): StoredEvent => ({
  id,
  uei: Uei.nodeLostService,
  time: id,
  severity: 'Minor',
  location: 'RDU',
  monitorId: 'm',
  serviceId: 's',
  nodeLabel: 'n',
  params: {},
});

void test('every subscriber gets every event in order; a failing or slow one holds up no other', async () => {
  const failures: string[] = [];
  const bus = new EventBus((name, e, err) => failures.push(`${name}:${e.id}:${(err as Error).message}`));
  const fast: number[] = [];
  const slow: number[] = [];
  const flaky: number[] = [];
  bus.subscribe('fast', (e) => void fast.push(e.id));
  bus.subscribe('slow', async (e) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    slow.push(e.id);
  });
  bus.subscribe('flaky', (e) => {
    if (e.id % 2 === 0) throw new Error('boom');
    flaky.push(e.id);
  });
  bus.publish([event(1), event(2), event(3)]);
  bus.publish([event(4), event(5)]);
  await bus.drain();
  assert.deepEqual(fast, [1, 2, 3, 4, 5]);
  assert.deepEqual(slow, [1, 2, 3, 4, 5]);
  assert.deepEqual(flaky, [1, 3, 5], 'the failures skip only their own event for that subscriber');
  assert.deepEqual(failures, ['flaky:2:boom', 'flaky:4:boom']);
});

void test('an unsubscribed subscriber gets nothing more; names are unique', async () => {
  const bus = new EventBus(() => undefined);
  const seen: number[] = [];
  const unsubscribe = bus.subscribe('ui', (e) => void seen.push(e.id));
  bus.publish([event(1)]);
  await bus.drain();
  unsubscribe();
  bus.publish([event(2)]);
  await bus.drain();
  assert.deepEqual(seen, [1]);
  bus.subscribe('x', () => undefined);
  assert.throws(() => bus.subscribe('x', () => undefined), /already exists/);
});
