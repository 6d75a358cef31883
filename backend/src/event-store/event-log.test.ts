import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Uei } from '@vantage/common';
import { EventBus, type StoredEvent } from '@vantage/events';
import { createLogger } from '@vantage/runtime';
import { eventLogLine, logEvents } from './event-log.ts';

const event = (fields: Partial<StoredEvent>): StoredEvent => ({
  id: 1,
  uei: Uei.nodeLostService,
  time: 0,
  severity: 'Minor',
  location: 'LON',
  monitorId: 'm-1',
  serviceId: 'payments-eu/HTTP',
  nodeLabel: 'payments-eu',
  params: { monitorName: 'lon-1', reason: 'connection refused' },
  ...fields,
});

void test('an event is logged in words an operator reads, with the UEI to search for', () => {
  assert.equal(eventLogLine(event({})), 'A service is down, as seen from one location monitor: payments-eu/HTTP from LON (lon-1): connection refused [nodeLostService]');
  assert.equal(
    eventLogLine(
      event({
        uei: Uei.applicationDown,
        location: null,
        monitorId: null,
        serviceId: null,
        params: { application: 'Shop', reason: 'down from 2 of 2 reporting locations (LON, RDU); at least 2 needed' },
      }),
    ),
    'An application is down: application Shop: down from 2 of 2 reporting locations (LON, RDU); at least 2 needed [applicationDown]',
  );
  assert.equal(
    eventLogLine(event({ uei: Uei.monitorConnectivityRestored, serviceId: null, params: { monitorName: 'lon-1' } })),
    'A location monitor regained its connectivity: LON (lon-1) [monitorConnectivityRestored]',
  );
});

void test('a logged value cannot forge a log line', async () => {
  const lines: string[] = [];
  const bus = new EventBus();
  logEvents(bus, createLogger('events', 'info', (line) => lines.push(line)));
  bus.publish([event({ params: { monitorName: 'lon-1', reason: 'refused\n2026-01-01 INFO forged' } })]);
  await bus.drain();
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.trimEnd().includes('\n'), false, JSON.stringify(lines[0]));
});
