/**
 * How the poller's scheduler holds a large package: builds a schedule of
 * 100,000 services (three intervals), runs one full 5-minute interval on a
 * fake clock with instant checks, and prints the time and memory it took;
 * then what the poller adds when a package arrives: every service's check
 * prepared once (its monitor's parameters parsed).
 *
 *   node --import tsx bench/scheduler.bench.ts [services]
 */
import type { PolledService } from '@vantage/common';
import { PollScheduler } from '@vantage/frontend-poller';
import { CheckPreparer, monitors } from '@vantage/monitors';
import { FakeClock } from '@vantage/runtime';

const count = Number(process.argv[2] ?? 100_000);
const intervals = [60_000, 120_000, 300_000];
const services: PolledService[] = Array.from({ length: count }, (_, i) => ({
  serviceId: `node-${i}/HTTP`,
  serviceName: 'HTTP',
  monitor: 'http',
  nodeLabel: `node-${i}`,
  host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  intervalMs: intervals[i % intervals.length]!,
  params: { port: '80' },
}));

const clock = new FakeClock();
let checks = 0;
const scheduler = new PollScheduler({ clock, parallelTasks: 100, runCheck: async () => void checks++ });

global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let t0 = performance.now();
scheduler.setServices(services);
scheduler.start();
const setMs = performance.now() - t0;
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

t0 = performance.now();
const stepMs = 1_000;
for (let elapsed = 0; elapsed < 300_000; elapsed += stepMs) {
  await clock.advance(stepMs);
  if (elapsed % 60_000 === 0) process.stderr.write(`  ${elapsed / 1000} s simulated, ${checks} checks\n`);
}
const runMs = performance.now() - t0;
const expected = services.reduce((sum, s) => sum + 300_000 / s.intervalMs, 0);
await scheduler.stop();

console.log(`scheduler: ${count} services`);
console.log(`  setServices + start: ${setMs.toFixed(0)} ms, heap for the schedule: ~${heapMb.toFixed(1)} MiB`);
console.log(`  one 300 s interval simulated: ${checks} checks (expected about ${Math.round(expected)}; the window includes both ends) in ${runMs.toFixed(0)} ms, ${((runMs * 1000) / checks).toFixed(2)} µs per dispatched check`);
const stats = scheduler.stats();
console.log(`  lateness p50 ${stats.lateMsP50} ms, p99 ${stats.lateMsP99} ms, skipped ${stats.skipped}`);

global.gc?.();
const heapBeforePrepare = process.memoryUsage().heapUsed;
t0 = performance.now();
const preparer = new CheckPreparer(monitors, 3_000);
// As the poller holds them: the service and its prepared check, beside the id and interval the scheduler reads.
const prepared = services.map((service) => ({
  serviceId: service.serviceId,
  intervalMs: service.intervalMs,
  service,
  check: preparer.prepare(service),
}));
const prepareMs = performance.now() - t0;
global.gc?.();
const prepareHeapMb = (process.memoryUsage().heapUsed - heapBeforePrepare) / 1024 / 1024;
console.log(`  preparing the ${prepared.length} checks (parameters parsed once per package): ${prepareMs.toFixed(0)} ms, heap ~${prepareHeapMb.toFixed(1)} MiB`);
