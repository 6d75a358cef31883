import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolledService } from '@vantage/common';
import { compactServices } from './compact-services.ts';

// As JSON.parse gives them: every service with its own copies.
const parsed = (): PolledService[] =>
  JSON.parse(
    JSON.stringify(
      Array.from({ length: 3 }, (_, i) => ({
        serviceId: `s${i}`,
        serviceName: 'HTTP',
        monitor: 'http',
        nodeLabel: `n${i}`,
        host: '127.0.0.1',
        intervalMs: 60_000,
        params: i < 2 ? { port: '80', path: '/' } : { port: '8080' },
        downtime: [{ beginMs: 0, intervalMs: 30_000, endMs: 300_000 }],
      })),
    ),
  ) as PolledService[];

void test('equal parameter sets and downtime lists are one shared object; values and order unchanged', () => {
  const original = parsed();
  const compact = compactServices(original);
  assert.deepEqual(compact, original);
  assert.equal(compact[0]!.params, compact[1]!.params);
  assert.notEqual(compact[0]!.params, compact[2]!.params);
  assert.equal(compact[0]!.downtime, compact[2]!.downtime);
});

void test('a service without downtime gets none', () => {
  const [service] = parsed();
  delete service!.downtime;
  assert.equal('downtime' in compactServices([service!])[0]!, false);
});
