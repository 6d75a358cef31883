/**
 * GET /api/events/catalogue: the web UI's labels, severities and alarm flags
 * come from here, so every UEI must be there, as events/src/catalogue.ts
 * defines it, and only for a signed-in user.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { eventDefinition, SEVERITIES } from '@vantage/events';
import { adminFetch, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import type { EventCatalogueAnswer } from './event-routes.ts';

let t: TestBackend;
let url: string;
before(async () => {
  t = await startTestBackend();
  url = `http://127.0.0.1:${t.backend.port}/api/events/catalogue`;
});
after(() => t.close());

void test('every UEI is in the catalogue with its name, label, description, severity and alarm role', async () => {
  const response = await adminFetch(url);
  assert.equal(response.status, 200);
  const catalogue = (await response.json()) as EventCatalogueAnswer;
  assert.deepEqual(catalogue.severities, [...SEVERITIES]);
  assert.equal(catalogue.events.length, Object.keys(Uei).length, 'one entry per UEI, no more');
  for (const [name, uei] of Object.entries(Uei)) {
    const definition = eventDefinition(uei);
    const entry = catalogue.events.find((e) => e.uei === uei);
    assert.ok(entry, `${uei} is missing`);
    assert.deepEqual(entry, {
      uei,
      name,
      label: definition.label,
      description: definition.description,
      severity: definition.severity,
      alarm: definition.alarm === undefined ? null : definition.alarm.type === 'problem' ? 'raises' : 'clears',
    });
  }
});

void test('alarm roles: a problem raises, its resolution clears, the rest do nothing to alarms', async () => {
  const catalogue = (await (await adminFetch(url)).json()) as EventCatalogueAnswer;
  const role = (uei: string) => catalogue.events.find((e) => e.uei === uei)?.alarm;
  const cases: [string, 'raises' | 'clears' | null][] = [
    [Uei.nodeLostService, 'raises'],
    [Uei.nodeRegainedService, 'clears'],
    [Uei.locationMonitorDisconnected, 'raises'],
    [Uei.locationMonitorReconnected, 'clears'],
    [Uei.applicationDown, 'raises'],
    [Uei.applicationUp, 'clears'],
    [Uei.monitorConnectivityLost, 'raises'],
    [Uei.monitorConnectivityRestored, 'clears'],
    [Uei.locationMonitorRegistered, null],
    [Uei.locationMonitorPaused, null],
    [Uei.configurationChangeDetected, null],
  ];
  for (const [uei, expected] of cases) assert.equal(role(uei), expected, uei);
});

void test('the catalogue needs a signed-in user', async () => {
  const response = await fetch(url);
  assert.equal(response.status, 401);
  const wrong = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } });
  assert.equal(wrong.status, 401);
});

void test('the catalogue carries an ETag: asked again with it, the answer is 304 with no body', async () => {
  const first = await adminFetch(url);
  const etag = first.headers.get('etag');
  assert.ok(etag, 'an ETag');
  assert.doesNotMatch(first.headers.get('cache-control') ?? '', /no-store/, 'the browser may keep it to revalidate');
  const again = await adminFetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  assert.equal((await adminFetch(url, { headers: { 'if-none-match': '"another"' } })).status, 200);
  assert.equal((await fetch(url, { headers: { 'if-none-match': etag } })).status, 401, 'still only for a signed-in user');
});
