import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { AlarmEntity, EventEntity } from '../db/entities.ts';
import { registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;
before(async () => {
  t = await startTestBackend(); // check-in interval 1 s, disconnect timeout 3 s
});
after(() => t.close());

async function waitForEvent(monitorId: string, uei: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await t.backend.db.manager.findOneBy(EventEntity, { monitorId, uei });
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no ${uei} for ${monitorId} within ${timeoutMs} ms`);
}

void test('a started monitor that stops checking in is DISCONNECTED, and its next check-in reconnects it', async () => {
  const creds = await registerApproved(t, 'RDU', 'flaky');
  await t.call('pollerStarting', {}, creds);
  const started = Date.now();
  const event = await waitForEvent(creds.monitorId, Uei.locationMonitorDisconnected, 8_000);
  assert.ok(Date.now() - started >= 3_000, 'not before the timeout');
  assert.equal(event.location, 'RDU');
  assert.equal(event.severity, 'Warning');
  assert.equal((await t.backend.monitors.get(creds.monitorId)).lifecycle, 'DISCONNECTED');

  const checkIn = await t.call('pollerCheckingIn', { configVersion: '' }, creds);
  assert.equal((checkIn.result as { status: string }).status, 'CONFIG_CHANGED');
  await waitForEvent(creds.monitorId, Uei.locationMonitorReconnected, 1_000);
  assert.equal((await t.backend.monitors.get(creds.monitorId)).lifecycle, 'STARTED');
  const disconnects = await t.backend.db.manager.countBy(EventEntity, { monitorId: creds.monitorId, uei: Uei.locationMonitorDisconnected });
  assert.equal(disconnects, 1, 'one disconnection, one event');
  // Disconnected raised an alarm keyed %uei%:%monitorId%; Reconnected cleared it.
  const alarm = await t.backend.db.manager.findOneBy(AlarmEntity, { reductionKey: `${Uei.locationMonitorDisconnected}:${creds.monitorId}` });
  assert.equal(alarm?.severity, 'Cleared');
  assert.ok(alarm?.clearedAt);
});

void test('a monitor that keeps checking in, or stopped cleanly, is never disconnected', async () => {
  const steady = await registerApproved(t, 'RDU', 'steady');
  const stopped = await registerApproved(t, 'RDU', 'stopped');
  await t.call('pollerStarting', {}, steady);
  await t.call('pollerStarting', {}, stopped);
  await t.call('pollerStopping', {}, stopped);
  for (let i = 0; i < 9; i++) {
    await t.call('pollerCheckingIn', { configVersion: '' }, steady);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  for (const creds of [steady, stopped]) {
    const count = await t.backend.db.manager.countBy(EventEntity, { monitorId: creds.monitorId, uei: Uei.locationMonitorDisconnected });
    assert.equal(count, 0);
  }
});
