/**
 * What re-evaluating other locations' connectivity after each batch costs
 * result ingest. Location A reports batches of results (all UP) for its
 * package; location B polls the same services. Three phases, each timed
 * over the same number of batches, printed as a ratio to the first:
 *   baseline: B sees every service up (no monitor to look at again);
 *   some down: B sees 1% of the services down (found, then passed over:
 *     it cannot be cut off while it reaches the rest);
 *   cut off: B has lost its own connectivity and sees everything down
 *     (A's UPs cannot confirm B's outage: found, then passed over).
 *
 *   node --import tsx bench/correlation.bench.ts [batches] [services] [batchSize]
 *   (PGlite by default; VANTAGE_TEST_PG_URL=postgres://… for PostgreSQL)
 */
import { Uei } from '@vantage/common';
import { EventBus } from '@vantage/events';
import { monitors as monitorRegistry } from '@vantage/monitors';
import { ConfigHolder } from '../backend/src/config/config-holder.ts';
import { parsePollingConfig } from '../backend/src/config/parse-polling-config.ts';
import { Database } from '../backend/src/db/database.ts';
import { LocationMonitorEntity } from '../backend/src/db/entities.ts';
import { EventRecorder } from '../backend/src/event-store/event-recorder.ts';
import { ResultIngest } from '../backend/src/ingest/result-ingest.ts';
import { createTestStorage } from '@vantage/backend/testing';

const batches = Number(process.argv[2] ?? 40);
const services = Number(process.argv[3] ?? 1000);
const batchSize = Number(process.argv[4] ?? 250);

const xml = `<poller-configuration>
  <package name="p">
${Array.from({ length: services }, (_, i) => `    <specific node-label="n${i}">127.0.0.1</specific>`).join('\n')}
    <service name="TCP" interval="60000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="A"><polling-package name="p"/></location>
  <location name="B"><polling-package name="p"/></location>
</poller-configuration>`;
const ids = Array.from({ length: services }, (_, i) => `n${i}/TCP`);

const storage = await createTestStorage();
const db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });
const configs = new ConfigHolder(parsePollingConfig(xml, { fileName: 'bench.xml', monitors: monitorRegistry }));
const ingest = new ResultIngest(db, configs, new EventBus(), new EventRecorder());
console.log(`${db.description}; ${services} services at A and B, batches of ${batchSize}, ${batches} batches per phase`);

const seqs = new Map<string, number>();
async function addMonitor(id: string, location: string) {
  await db.transaction(async (m) => {
    await m.query(
      `INSERT INTO location_monitor (id, location, name, lifecycle, paused, connectivity_lost, secret_hash, registered_at, last_check_in_at)
       VALUES ($1, $2, $1, 'STARTED', false, false, 'x', $3, $3)`,
      [id, location, Date.now()],
    );
    await new EventRecorder().record(m, [{ uei: Uei.locationMonitorStarted, time: Date.now(), location, monitorId: id, params: { monitorName: id } }]);
  });
  seqs.set(id, 0);
  return (await db.manager.findOneBy(LocationMonitorEntity, { id }))!;
}
const a = await addMonitor('a', 'A');
const b = await addMonitor('b', 'B');

async function report(monitor: typeof a, serviceIds: readonly string[], status: (id: string) => 'UP' | 'DOWN') {
  for (let i = 0; i < serviceIds.length; i += batchSize) {
    const results = serviceIds.slice(i, i + batchSize).map((serviceId) => {
      const seq = seqs.get(monitor.id)! + 1;
      seqs.set(monitor.id, seq);
      return { seq, serviceId, timestamp: Date.now(), status: status(serviceId) };
    });
    await ingest.report(monitor, { results });
  }
}

/** Milliseconds per batch of A's (all UP), over `batches` batches cycling through the package. */
async function phase(): Promise<number> {
  const started = performance.now();
  for (let n = 0; n < batches; n++) {
    const from = (n * batchSize) % services;
    await report(a, ids.slice(from, from + batchSize), () => 'UP');
  }
  return (performance.now() - started) / batches;
}

await report(a, ids, () => 'UP');
await report(b, ids, () => 'UP');
await phase(); // warm-up
const baseline = await phase();

const someDown = new Set(ids.filter((_, i) => i % 100 === 0));
await report(b, [...someDown], () => 'DOWN');
const partly = await phase();

await report(b, ids, () => 'DOWN');
await db.transaction((m) => m.update(LocationMonitorEntity, { id: b.id }, { connectivityLost: true }));
const cutOff = await phase();

console.log(`baseline (B sees every service up):   ${baseline.toFixed(2)} ms per batch  (1.00)`);
console.log(`B sees 1% down:                       ${partly.toFixed(2)} ms per batch  (${(partly / baseline).toFixed(2)} × baseline)`);
console.log(`B cut off, every service down:        ${cutOff.toFixed(2)} ms per batch  (${(cutOff / baseline).toFixed(2)} × baseline)`);
await db.close();
await storage.cleanup();
