/**
 * Outage calendars: results inside a scheduled maintenance window are stored
 * and outages recorded, but no lost/regained events or alarms are raised;
 * the first result after the window announces what is still true.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei, type MonitorCredentials } from '@vantage/common';
import { AlarmEntity, EventEntity, OutageEntity, PollResultEntity } from '../db/entities.ts';
import { registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

// A window of one hour that ended an hour ago: results must be within the backend's clock window (the spool's maximum age back).
const WINDOW_BEGIN = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const WINDOW_END = WINDOW_BEGIN + 3_600_000;
const IN_WINDOW = WINDOW_BEGIN + 13 * 60_000;
const AFTER_WINDOW = WINDOW_END + 30 * 60_000;

/** "14-Nov-2023 22:00:00" (UTC), as <time begin end> of a specific outage reads it. */
function outageTime(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}-${month}-${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

const CONFIG = `<poller-configuration>
  <package name="maintained">
    <specific node-label="db">127.0.0.1</specific>
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
    <outage-calendar>upgrade</outage-calendar>
  </package>
  <package name="plain">
    <specific node-label="web">127.0.0.1</specific>
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <outage name="upgrade" type="specific" time-zone="UTC">
    <time begin="${outageTime(WINDOW_BEGIN)}" end="${outageTime(WINDOW_END)}"/>
  </outage>
  <location name="RDU"><polling-package name="maintained"/><polling-package name="plain"/></location>
</poller-configuration>`;

let t: TestBackend;
let creds: MonitorCredentials;
before(async () => {
  t = await startTestBackend(CONFIG);
  creds = await registerApproved(t, 'RDU', 'm');
});
after(() => t.close());

let seq = 0;
async function report(serviceId: string, status: 'UP' | 'DOWN', timestamp: number) {
  const answer = await t.call('reportResults', { results: [{ seq: ++seq, serviceId, timestamp, status, reason: 'test' }] }, creds);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
}
const count = (serviceId: string, uei: string) => t.backend.db.manager.countBy(EventEntity, { monitorId: creds.monitorId, serviceId, uei });

void test('inside the window a down service raises nothing, but its results are kept', async () => {
  await report('db/TCP', 'DOWN', IN_WINDOW);
  await report('db/TCP', 'UP', IN_WINDOW + 1000);
  await report('db/TCP', 'DOWN', IN_WINDOW + 2000);
  assert.equal(await count('db/TCP', Uei.nodeLostService), 0);
  assert.equal(await count('db/TCP', Uei.nodeRegainedService), 0);
  assert.equal(await t.backend.db.manager.countBy(PollResultEntity, { monitorId: creds.monitorId, serviceId: 'db/TCP' }), 3);
  // The record is kept: two outages, marked as scheduled; no alarm.
  const outages = await t.backend.db.manager.findBy(OutageEntity, { monitorId: creds.monitorId, serviceId: 'db/TCP' });
  assert.deepEqual(
    outages.map((o) => [o.startedAt, o.endedAt, o.scheduled]).sort(),
    [
      [IN_WINDOW, IN_WINDOW + 1000, true],
      [IN_WINDOW + 2000, null, true],
    ],
  );
  assert.equal(await t.backend.db.manager.countBy(AlarmEntity, { serviceId: 'db/TCP' }), 0);
});

void test('a service without the calendar raises its events in the same window', async () => {
  await report('web/TCP', 'DOWN', IN_WINDOW + 3000);
  assert.equal(await count('web/TCP', Uei.nodeLostService), 1);
});

void test('still down after the window: the loss is raised then', async () => {
  await report('db/TCP', 'DOWN', AFTER_WINDOW);
  assert.equal(await count('db/TCP', Uei.nodeLostService), 1);
  await report('db/TCP', 'UP', AFTER_WINDOW + 1000);
  assert.equal(await count('db/TCP', Uei.nodeRegainedService), 1);
});
