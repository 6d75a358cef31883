import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uei } from '@vantage/common';
import { matchingSinks, notificationConfigProblems, severityRank, type NotificationRule, type NotificationSinkConfig } from './rules.ts';
import { emailSubject, emailText, webhookBody } from './message.ts';
import { lostServiceEvent } from '../../testing/notifications.ts';

const lost = lostServiceEvent(); // Minor, RDU
const regained = lostServiceEvent({ uei: Uei.nodeRegainedService, severity: 'Normal' });
const disconnected = lostServiceEvent({ uei: Uei.locationMonitorDisconnected, severity: 'Warning', location: 'LHR', serviceId: null, nodeLabel: null });
const appDown = lostServiceEvent({ uei: Uei.applicationDown, severity: 'Major', location: null, monitorId: null, serviceId: null, nodeLabel: null, params: { application: 'shop' } });

const rule = (r: Partial<NotificationRule>): NotificationRule => ({ name: 'r', ueis: ['*'], sinks: ['s'], ...r });

const table: { name: string; rules: NotificationRule[]; event: typeof lost; sinks: string[] }[] = [
  { name: 'exact UEI matches', rules: [rule({ ueis: [Uei.nodeLostService] })], event: lost, sinks: ['s'] },
  { name: 'exact UEI does not match another', rules: [rule({ ueis: [Uei.nodeLostService] })], event: regained, sinks: [] },
  { name: 'exact UEI is not a prefix', rules: [rule({ ueis: ['uei.opennms.org/remote/nodes/nodeLost'] })], event: lost, sinks: [] },
  { name: 'prefix with *', rules: [rule({ ueis: ['uei.opennms.org/remote/nodes/*'] })], event: regained, sinks: ['s'] },
  { name: 'prefix with * does not match elsewhere', rules: [rule({ ueis: ['uei.opennms.org/remote/nodes/*'] })], event: disconnected, sinks: [] },
  { name: '* alone matches everything', rules: [rule({ ueis: ['*'] })], event: appDown, sinks: ['s'] },
  { name: 'no UEIs match nothing', rules: [rule({ ueis: [] })], event: lost, sinks: [] },
  { name: 'severity equal to the threshold', rules: [rule({ minSeverity: 'Minor' })], event: lost, sinks: ['s'] },
  { name: 'severity above the threshold', rules: [rule({ minSeverity: 'Warning' })], event: lost, sinks: ['s'] },
  { name: 'severity below the threshold', rules: [rule({ minSeverity: 'Major' })], event: lost, sinks: [] },
  { name: 'Normal is below Warning', rules: [rule({ minSeverity: 'Warning' })], event: regained, sinks: [] },
  { name: 'location in the filter', rules: [rule({ locations: ['LHR', 'RDU'] })], event: lost, sinks: ['s'] },
  { name: 'location not in the filter', rules: [rule({ locations: ['LHR'] })], event: lost, sinks: [] },
  { name: 'empty location filter is every location', rules: [rule({ locations: [] })], event: lost, sinks: ['s'] },
  { name: 'event of no location fails a location filter', rules: [rule({ locations: ['RDU'] })], event: appDown, sinks: [] },
  { name: 'all conditions together', rules: [rule({ ueis: ['uei.opennms.org/remote/*'], minSeverity: 'Warning', locations: ['LHR'], sinks: ['pager'] })], event: disconnected, sinks: ['pager'] },
  {
    name: 'several rules: deduplicated, in order first named',
    rules: [
      rule({ name: 'all to the log hook', ueis: ['*'], sinks: ['hook'] }),
      rule({ name: 'lost to ops', ueis: [Uei.nodeLostService], sinks: ['ops-mail', 'hook'] }),
      rule({ name: 'RDU minor+', ueis: ['uei.opennms.org/*'], minSeverity: 'Minor', locations: ['RDU'], sinks: ['rdu-mail', 'ops-mail'] }),
      rule({ name: 'critical only', ueis: ['*'], minSeverity: 'Critical', sinks: ['pager'] }),
    ],
    event: lost,
    sinks: ['hook', 'ops-mail', 'rdu-mail'],
  },
  { name: 'no rules', rules: [], event: lost, sinks: [] },
];

for (const row of table) {
  void test(`matchingSinks: ${row.name}`, () => {
    assert.deepEqual(matchingSinks(row.rules, row.event), row.sinks);
  });
}

void test('severity order is the catalogue order', () => {
  const order = ['Indeterminate', 'Cleared', 'Normal', 'Warning', 'Minor', 'Major', 'Critical'] as const;
  assert.deepEqual(
    order.map((s) => severityRank(s)),
    [0, 1, 2, 3, 4, 5, 6],
  );
});

void test('notificationConfigProblems names each mistake', () => {
  const sinks: NotificationSinkConfig[] = [
    { name: 'hook', type: 'webhook', url: 'ftp://example.com/x', headers: {}, timeoutMs: 1000 },
    { name: 'hook', type: 'email', smtpHost: 'mail', smtpPort: 25, secure: false, from: 'v@example.com', to: [] },
  ];
  assert.deepEqual(notificationConfigProblems(sinks, [rule({ name: 'r1', sinks: ['hook', 'nowhere'] })]), [
    'notification sink "hook": url "ftp://example.com/x" is not an http or https URL',
    'duplicate notification sink "hook"',
    'notification sink "hook": no recipients',
    'notification rule "r1": no sink named "nowhere"',
  ]);
  assert.deepEqual(notificationConfigProblems([{ ...sinks[0]!, url: 'https://hooks.example.com/v' } as NotificationSinkConfig], [rule({ sinks: ['hook'] })]), []);
});

void test('webhook body: the event with label and description from the catalogue', () => {
  assert.deepEqual(webhookBody(lost), {
    id: 42,
    uei: 'uei.opennms.org/remote/nodes/nodeLostService',
    severity: 'Minor',
    label: 'A service is down, as seen from one location monitor',
    time: '2025-01-02T03:04:05.678Z',
    location: 'RDU',
    monitorId: 'mon-7',
    serviceId: 'web1/HTTP',
    nodeLabel: 'web1',
    params: { monitorName: 'rdu-edge', reason: 'HTTP 503 Service Unavailable' },
    description: 'Sent when a service fails to respond to a poll by a location monitor (UEI from OpenNMS: nodeLostService).',
  });
});

void test('e-mail subject names the severity, the label, what and where', () => {
  assert.equal(emailSubject(lost), '[Vantage] Minor: A service is down, as seen from one location monitor — web1/HTTP at RDU');
  assert.equal(emailSubject(disconnected), '[Vantage] Warning: A remote location monitor has disconnected — monitor rdu-edge at LHR');
  assert.equal(emailSubject(appDown), '[Vantage] Major: An application is down — application shop');
  assert.equal(emailSubject(lostServiceEvent({ serviceId: 'web1/HTTP\r\nBcc: x@example.com' })).includes('\n'), false);
});

void test('e-mail text: label, fields, parameters, description', () => {
  assert.equal(
    emailText(lost),
    [
      'A service is down, as seen from one location monitor',
      '',
      'Severity:    Minor',
      'Time:        2025-01-02T03:04:05.678Z',
      'Location:    RDU',
      'Monitor:     rdu-edge (mon-7)',
      'Node:        web1',
      'Service:     web1/HTTP',
      'Event:       uei.opennms.org/remote/nodes/nodeLostService #42',
      '',
      'Parameters:',
      '  reason: HTTP 503 Service Unavailable',
      '',
      'Sent when a service fails to respond to a poll by a location monitor (UEI from OpenNMS: nodeLostService).',
      '',
    ].join('\n'),
  );
});
