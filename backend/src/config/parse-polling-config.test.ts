import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { monitors } from '@vantage/monitors';
import { computeLocationPackages } from '../packages/location-packages.ts';
import { ConfigError } from './config-error.ts';
import { KNOWN_MONITOR_TYPES, loadPollingConfigFile } from './load-config.ts';
import { parsePollingConfig } from './parse-polling-config.ts';
import { DEFAULT_SETTINGS } from './polling-config.ts';
import type { PollingConfig } from './polling-config.ts';

const VARIABLES = { 'backend.port': '8980' };

/**
 * A path relative to the working directory, as an operator would pass it
 * (`backend/src/config/testdata/x.xml` when the tests run from the repository root).
 */
function here(...parts: string[]): string {
  return relative(process.cwd(), join(import.meta.dirname, ...parts));
}

async function assertConfigError(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

// Each invalid file and the exact error it gives: `LINE: <element>: problem` after `FILE:`.
const INVALID: { file: string; error: string }[] = [
  { file: 'wrong-root.xml', error: '2: <poller-config>: the root element must be <poller-configuration>' },
  { file: 'unknown-root-attribute.xml', error: '1: <poller-configuration>: unknown attribute "xmlns"' },
  { file: 'unknown-element.xml', error: '4: <servce>: unknown element <servce> inside <package>' },
  {
    file: 'unknown-attribute.xml',
    error: '4: <service>: unknown attribute "timeout" (allowed: name, interval, status)',
  },
  { file: 'missing-attribute.xml', error: '4: <service>: missing required attribute "interval"' },
  { file: 'blank-attribute.xml', error: '2: <package>: missing required attribute "name"' },
  { file: 'empty-node-label.xml', error: '3: <specific>: attribute "node-label" must not be empty' },
  // The <service> tag's attributes are on the following lines; the line is the tag's.
  {
    file: 'bad-interval.xml',
    error: '5: <service>: attribute interval must be a positive whole number of milliseconds, got "30s"',
  },
  {
    file: 'zero-interval.xml',
    error: '4: <service>: attribute interval must be a positive whole number of milliseconds, got "0"',
  },
  { file: 'bad-status.xml', error: '4: <service>: attribute status must be "on" or "off", got "disabled"' },
  {
    file: 'bad-parallel-tasks.xml',
    error: '2: <poller-settings>: attribute parallel-tasks must be a positive whole number, got "-5"',
  },
  {
    file: 'bad-spool-max-bytes.xml',
    error: '2: <poller-settings>: attribute spool-max-bytes must be a positive whole number of bytes, got "64MB"',
  },
  {
    file: 'bad-log-level.xml',
    error: '2: <poller-settings>: attribute log-level must be one of error, warn, info, debug, got "verbose"',
  },
  {
    file: 'disconnect-not-longer-than-check-in.xml',
    error: '2: <poller-settings>: disconnect-timeout (60000) must be longer than check-in-interval (60000)',
  },
  { file: 'duplicate-settings.xml', error: '3: <poller-settings>: only one <poller-settings> is allowed' },
  { file: 'duplicate-package.xml', error: '6: <package>: duplicate package name "web"' },
  {
    file: 'package-without-target.xml',
    error: '2: <package>: package "web" has no target: add a <specific> or an <include-range> (exclusions may have removed every address)',
  },
  {
    file: 'empty-specific.xml',
    error: '3: <specific>: a <specific> needs a host address or name as its text',
  },
  { file: 'duplicate-node-label.xml', error: '4: <specific>: duplicate node label "www" in package "web"' },
  { file: 'duplicate-service.xml', error: '5: <service>: duplicate service "HTTP" in package "web"' },
  { file: 'duplicate-parameter.xml', error: '6: <parameter>: duplicate parameter "port"' },
  { file: 'unknown-variable.xml', error: '6: <parameter>: unknown variable ${backend.host}' },
  {
    file: 'service-without-monitor.xml',
    error: '5: <service>: service "TCP" has no <monitor service="TCP" .../>',
  },
  {
    file: 'unknown-monitor-type.xml',
    error: `6: <monitor>: unknown monitor type "htpp" (known: ${[...KNOWN_MONITOR_TYPES].sort().join(', ')})`,
  },
  { file: 'duplicate-monitor.xml', error: '7: <monitor>: duplicate monitor for service "HTTP"' },
  { file: 'monitor-with-children.xml', error: '7: <parameter>: unknown element <parameter> inside <monitor>' },
  { file: 'duplicate-location.xml', error: '10: <location>: duplicate location name "RDU"' },
  {
    file: 'location-unknown-package.xml',
    error: '9: <polling-package>: location "Default" names unknown package "databases"',
  },
  {
    file: 'location-without-package.xml',
    error: '7: <location>: location "Default" names no <polling-package>',
  },
  {
    file: 'duplicate-polling-package.xml',
    error: '9: <polling-package>: duplicate polling-package "web" in location "Default"',
  },
  { file: 'short-token.xml', error: '7: <location>: registration-token must be at least 8 characters' },
  { file: 'no-location.xml', error: '1: <poller-configuration>: at least one <location> is required' },
  {
    file: 'malformed-xml.xml',
    error: '5: XML syntax error: unexpected close tag, expected </package> (opened on line 2).',
  },
  { file: 'bad-attribute-syntax.xml', error: '4: XML syntax error: unquoted attribute value.' },
  { file: 'truncated.xml', error: '8: XML syntax error: unclosed tag: location' },
  { file: 'empty.xml', error: '1: XML syntax error: document must contain a root element.' },
  // Address ranges.
  {
    file: 'overlapping-include-ranges.xml',
    error: '4: <include-range>: include-range 10.0.0.50–10.0.0.150 overlaps the include-range on line 3',
  },
  { file: 'bad-range-address.xml', error: '3: <include-range>: begin "10.0.0.256" is not an IP address' },
  { file: 'range-end-before-begin.xml', error: '4: <exclude-range>: end 10.0.0.10 is before begin 10.0.0.20' },
  { file: 'range-mixed-families.xml', error: '3: <include-range>: begin and end must both be IPv4 or both IPv6' },
  {
    file: 'range-too-large.xml',
    error: '2: <package>: package "net" covers 16777216 addresses; at most 100000 are allowed in one package',
  },
  {
    file: 'exclusions-remove-every-address.xml',
    error: '2: <package>: package "net" has no target: add a <specific> or an <include-range> (exclusions may have removed every address)',
  },
  {
    file: 'specific-label-in-range.xml',
    error: '4: <specific>: node label "10.0.0.5" is also an address of an include-range in package "net"',
  },
  // The downtime model.
  { file: 'downtime-without-interval.xml', error: '5: <downtime>: missing required attribute "interval" (or delete="true")' },
  { file: 'downtime-delete-with-interval.xml', error: '6: <downtime>: a downtime that deletes takes no interval' },
  {
    file: 'downtime-delete-with-end.xml',
    error: '6: <downtime>: a downtime that deletes takes no end: polling stops for good',
  },
  { file: 'downtime-end-not-after-begin.xml', error: '5: <downtime>: end (300000) must be after begin (300000)' },
  {
    file: 'downtime-out-of-order.xml',
    error: '6: <downtime>: downtimes must be listed in order of begin: 0 comes after 300000 on line 5',
  },
  {
    file: 'overlapping-downtimes.xml',
    error: '6: <downtime>: begin (200000) overlaps the downtime on line 5, which ends at 300000',
  },
  {
    file: 'downtime-after-open-ended.xml',
    error: '6: <downtime>: the downtime on line 5 has no end, so no downtime may follow it',
  },
  // Outage calendars.
  {
    file: 'outage-calendar-unknown-outage.xml',
    error: '5: <outage-calendar>: package "web" names unknown outage "nightly backups"',
  },
  {
    file: 'outage-bad-type.xml',
    error: '7: <outage>: attribute type must be "specific" or "daily" or "weekly" or "monthly", got "yearly"',
  },
  { file: 'outage-without-time.xml', error: '7: <outage>: outage "nightly backups" has no <time>' },
  {
    file: 'outage-time-bad-day.xml',
    error: '9: <time>: attribute day must be a weekday name (monday … sunday), got "funday"',
  },
  {
    file: 'outage-unknown-time-zone.xml',
    error: '7: <outage>: unknown time zone "Europe/Springfield" (use an IANA name such as Europe/Paris)',
  },
  // Locations.
  {
    file: 'location-bad-coordinates.xml',
    error: '7: <location>: attribute coordinates must be "latitude,longitude" in degrees, such as "35.7796,-78.6382", got "139.6917,35.6895"',
  },
  { file: 'location-bad-mode.xml', error: '7: <location>: attribute mode must be "replicate" or "distribute", got "round-robin"' },
  // What pollers send back must fit the protocol's limits.
  { file: 'location-name-too-long.xml', error: `7: <location>: location name "${'L'.repeat(40)}…" is 257 characters; pollers can register at most 256` },
  { file: 'location-token-too-long.xml', error: '7: <location>: registration-token is 257 characters; pollers can send at most 256' },
  { file: 'service-id-too-long.xml', error: `2: <package>: service id "${'n'.repeat(40)}…" is 1031 characters; pollers can report at most 1024` },
  { file: 'location-min-online-replicate.xml', error: '7: <location>: min-online applies only to mode="distribute" (in replicate mode every monitor polls everything)' },
  { file: 'location-bad-min-online.xml', error: '7: <location>: attribute min-online must be a positive whole number of monitors, got "0"' },
  // Applications.
  { file: 'application-unknown-package.xml', error: '19: <service>: application "Shop" names unknown package "database"' },
  {
    file: 'application-node-not-covered.xml',
    error: '19: <service>: application "Shop" names node "db1", which package "web" does not cover',
  },
  {
    file: 'application-unknown-service.xml',
    error: '18: <service>: application "Shop" names service "HTTPS", which package "web" does not define',
  },
  {
    file: 'application-service-off.xml',
    error: '19: <service>: application "Shop" names service "TCP" of package "web", which is status="off"',
  },
  { file: 'duplicate-application.xml', error: '20: <application>: duplicate application name "Shop"' },
  {
    file: 'duplicate-application-member.xml',
    error: '20: <service>: duplicate service HTTP of node "www" in application "Shop"',
  },
  { file: 'application-without-service.xml', error: '17: <application>: application "Shop" has no <service>' },
  { file: 'application-bad-threshold.xml', error: '8: <application>: attribute down-threshold must be a positive whole number of locations, got "0"' },
  { file: 'webhook-bad-url.xml', error: '8: <webhook>: attribute url must be an http:// or https:// URL, got "ftp://example.test/hook"' },
  { file: 'webhook-bad-header.xml', error: '8: <header>: "Bad Header" is not a valid HTTP header name' },
  { file: 'email-without-to.xml', error: '8: <email>: e-mail sink "oncall" has no <to> address' },
  { file: 'email-bad-address.xml', error: '8: <to>: "not-an-address" is not an e-mail address' },
  {
    file: 'notification-unknown-sink.xml',
    error: '9: <notification>: notification "all" names unknown sink "pager" (define it with <webhook> or <email>)',
  },
  {
    file: 'notification-unknown-uei.xml',
    error: '9: <notification>: "uei.opennms.org/remote/nodeLost" is not an event Vantage emits (end it with * to match a prefix)',
  },
  {
    file: 'notification-bad-severity.xml',
    error:
      '9: <notification>: attribute min-severity must be "Indeterminate" or "Cleared" or "Normal" or "Warning" or "Minor" or "Major" or "Critical", got "Urgent"',
  },
  { file: 'duplicate-sink.xml', error: '9: <webhook>: duplicate notification sink name "ops"' },
  // Service parameters, parsed by their monitor as pollers parse them: at the <parameter> at fault,
  // else at the <service> (a required one missing, two that go together).
  {
    file: 'unknown-parameter.xml',
    error:
      '6: <parameter key="respones">: unknown parameter "respones" for monitor http (known: basic-authentication, ' +
      'follow-redirects, header<N>, host-name, invert-status, nodelabel-host-name, password, port, resolve-ip, response, ' +
      'response-text, retry, server-name, timeout, url, user, user-agent, verify-server-certificate)',
  },
  {
    file: 'unknown-parameter-icmp.xml',
    error:
      '6: <parameter key="rrd-repository">: unknown parameter "rrd-repository" for monitor icmp ' +
      '(known: allow-fragmentation, dscp, invert-status, packet-size, retry, timeout)',
  },
  {
    file: 'bad-http-response.xml',
    error: '5: <parameter key="response">: parameter "response" must be status codes or ranges like "200-399" or "200,301-302", got "abc"',
  },
  { file: 'bad-tcp-port.xml', error: '5: <parameter key="port">: parameter "port" must be an integer from 1 to 65535, got "70000"' },
  {
    file: 'bad-parameter-after-substitution.xml',
    error: '5: <parameter key="port">: parameter "port" must be an integer from 1 to 65535, got "89800"',
  },
  { file: 'missing-required-parameter.xml', error: '4: <service name="DNS">: parameter "lookup" is required' },
  {
    file: 'bad-regex-parameter.xml',
    error:
      '6: <parameter key="banner">: parameter "banner" is not a valid regular expression: ' +
      'Invalid regular expression: /^220 (ESMTP/: Unterminated group',
  },
  {
    file: 'bad-timeout-parameter.xml',
    error: '5: <parameter key="timeout">: parameter "timeout" must be an integer from 1 to 2147483647, got "abc"',
  },
  {
    file: 'parameters-go-together.xml',
    error: '4: <service name="FTP">: parameters "userid" and "password" go together: give both or neither',
  },
];

for (const { file, error } of INVALID) {
  void test(`invalid polling configuration ${file}`, async () => {
    const path = here('testdata', file);
    await assertConfigError(loadPollingConfigFile(path, VARIABLES), `${path}:${error}`);
  });
}

void test('the test paths are relative to the repository root', () => {
  // The tests run from /work/main; the messages above then start with this path.
  assert.equal(here('testdata', 'x.xml'), join('backend', 'src', 'config', 'testdata', 'x.xml'));
});

void test('a polling configuration file that does not exist is a ConfigError naming it', async () => {
  const path = here('testdata', 'does-not-exist.xml');
  await assertConfigError(
    loadPollingConfigFile(path, VARIABLES),
    `${path}: cannot read the polling configuration: ENOENT`,
  );
});

void test('the shipped config/polling-config.xml loads', async () => {
  const config = await loadPollingConfigFile(here('..', '..', '..', 'config', 'polling-config.xml'), VARIABLES);
  assert.deepEqual([...config.locations.keys()], ['Default', 'RDU']);
  assert.equal(config.locations.get('Default')?.monitoringArea, 'local');
  assert.equal(config.locations.get('RDU')?.monitoringArea, 'raleigh');
  const packages = computeLocationPackages(config);
  for (const location of ['Default', 'RDU']) {
    const services = packages.get(location)?.package.services.map((s) => ({
      serviceId: s.serviceId,
      monitor: s.monitor,
      host: s.host,
      port: s.params.port,
    }));
    assert.deepEqual(
      services,
      [
        { serviceId: 'vantage-backend/HTTP', monitor: 'http', host: '127.0.0.1', port: '8980' },
        { serviceId: 'vantage-backend/TCP', monitor: 'tcp', host: '127.0.0.1', port: '8980' },
        { serviceId: 'vantage-ui/HTTP', monitor: 'http', host: '127.0.0.1', port: '8980' },
      ],
      location,
    );
  }
  // What the issue asks the example to show: two packages, an application, a downtime model, an outage calendar.
  assert.ok(config.packages.size >= 2);
  assert.deepEqual(
    config.applications.get('Vantage')?.members.map((m) => m.serviceId),
    ['vantage-backend/HTTP', 'vantage-ui/HTTP'],
  );
  assert.equal(config.packages.get('backend')?.downtime.length, 4);
  assert.equal(config.packages.get('backend')?.services.find((s) => s.name === 'HTTPS')?.enabled, false);
  assert.deepEqual(config.packages.get('web-ui')?.outageCalendars, ['weekly maintenance']);
  assert.equal(config.outageCalendars.get('weekly maintenance')?.type, 'weekly');
  assert.deepEqual(config.locations.get('RDU')?.coordinates, { latitude: 35.7796, longitude: -78.6382 });
});

const VALID = `<?xml version="1.0" encoding="UTF-8"?>
<poller-configuration>
  <poller-settings check-in-interval="10000" parallel-tasks="7" log-level="debug"/>
  <package name="web">
    <specific node-label="www">192.0.2.10</specific>
    <specific>192.0.2.11</specific>
    <service name="HTTP" interval="30000">
      <parameter key="port" value="\${backend.port}"/>
      <parameter key="url" value="/health?port=\${backend.port}"/>
    </service>
    <service name="TCP" interval="60000" status="off">
      <parameter key="port" value="22"/>
    </service>
  </package>
  <package name="db">
    <specific node-label="db1">192.0.2.20</specific>
    <service name="TCP" interval="120000" status="on">
      <parameter key="port" value="5432"/>
    </service>
  </package>
  <monitor service="HTTP" type="http"/>
  <monitor service="TCP" type="tcp"/>
  <location name="Default" monitoring-area="local" registration-token=" s3cret-token ">
    <polling-package name="web"/>
  </location>
  <location name="RDU">
    <polling-package name="web"/>
    <polling-package name="db"/>
  </location>
</poller-configuration>
`;

function parse(xml: string): PollingConfig {
  return parsePollingConfig(xml, { fileName: 'valid.xml', monitors, variables: VARIABLES });
}

/** Replaces text that must be in `xml`, so an edit that no longer applies fails rather than testing nothing. */
function edit(xml: string, from: string, to: string): string {
  assert.ok(xml.includes(from), `the configuration no longer contains ${from}`);
  return xml.replace(from, to);
}

void test('settings: defaults, overrides, and disconnect-timeout defaulting to three check-ins', () => {
  assert.deepEqual(parse(VALID).settings, {
    ...DEFAULT_SETTINGS,
    checkInIntervalMs: 10_000,
    disconnectTimeoutMs: 30_000,
    parallelTasks: 7,
    logLevel: 'debug',
  });
  const withoutSettings = edit(VALID, '<poller-settings check-in-interval="10000" parallel-tasks="7" log-level="debug"/>', '');
  assert.deepEqual(parse(withoutSettings).settings, DEFAULT_SETTINGS);
  const allSet = edit(
    VALID,
    'parallel-tasks="7"',
    'disconnect-timeout="45000" parallel-tasks="7" default-timeout="1500" spool-max-age="60000" spool-max-bytes="4096"',
  );
  assert.deepEqual(parse(allSet).settings, {
    checkInIntervalMs: 10_000,
    disconnectTimeoutMs: 45_000,
    parallelTasks: 7,
    defaultTimeoutMs: 1_500,
    logLevel: 'debug',
    spoolMaxAgeMs: 60_000,
    spoolMaxBytes: 4_096,
  });
});

void test('packages, locations and monitors are parsed with their values', () => {
  const config = parse(VALID);
  assert.deepEqual(config.packages.get('web'), {
    name: 'web',
    downtime: [],
    outageCalendars: [],
    targets: [
      { host: '192.0.2.10', nodeLabel: 'www' },
      { host: '192.0.2.11', nodeLabel: '192.0.2.11' },
    ],
    services: [
      {
        name: 'HTTP',
        intervalMs: 30_000,
        enabled: true,
        params: { port: '8980', url: '/health?port=8980' },
      },
      { name: 'TCP', intervalMs: 60_000, enabled: false, params: { port: '22' } },
    ],
  });
  assert.equal(config.packages.get('db')?.services[0]?.enabled, true);
  assert.deepEqual(config.locations.get('Default'), {
    name: 'Default',
    monitoringArea: 'local',
    packageNames: ['web'],
    registrationToken: 's3cret-token',
    mode: 'replicate',
  });
  // No monitoring-area: the location's name; no token: an administrator approves its pollers.
  assert.deepEqual(config.locations.get('RDU'), { name: 'RDU', monitoringArea: 'RDU', packageNames: ['web', 'db'], mode: 'replicate' });
  assert.deepEqual(
    config.monitorTypes,
    new Map([
      ['HTTP', 'http'],
      ['TCP', 'tcp'],
    ]),
  );
});

void test('the computed package of a location leaves out services with status="off"', () => {
  const packages = computeLocationPackages(parse(VALID));
  const web = {
    serviceName: 'HTTP',
    monitor: 'http',
    intervalMs: 30_000,
    params: { port: '8980', url: '/health?port=8980' },
  };
  assert.deepEqual(packages.get('Default')?.package, {
    name: 'web',
    location: 'Default',
    services: [
      { serviceId: '192.0.2.11/HTTP', nodeLabel: '192.0.2.11', host: '192.0.2.11', ...web },
      { serviceId: 'www/HTTP', nodeLabel: 'www', host: '192.0.2.10', ...web },
    ],
  });
  assert.deepEqual(
    packages.get('RDU')?.package.services.map((s) => s.serviceId),
    ['192.0.2.11/HTTP', 'db1/TCP', 'www/HTTP'],
  );
  assert.equal(packages.get('RDU')?.package.name, 'web+db');
  // The backend-only disconnect timeout is not sent to pollers.
  const { disconnectTimeoutMs: _backendOnly, ...pollerSettings } = parse(VALID).settings;
  assert.deepEqual(packages.get('RDU')?.settings, pollerSettings);
});

void test('the same configuration gives the same package versions', () => {
  const first = computeLocationPackages(parse(VALID));
  const second = computeLocationPackages(parse(VALID));
  assert.equal(first.size, 2);
  for (const [location, pkg] of first) {
    assert.match(pkg.version, /^[\w-]{16}$/);
    assert.equal(second.get(location)?.version, pkg.version, location);
  }
  assert.notEqual(first.get('Default')?.version, first.get('RDU')?.version);
});

// Which locations' versions change with each edit; every other location keeps its version.
const VERSION_CASES: { change: string; from: string; to: string; changed: string[] }[] = [
  { change: 'an interval in a package only RDU polls', from: 'interval="120000"', to: 'interval="90000"', changed: ['RDU'] },
  { change: 'an interval in a package both poll', from: 'interval="30000"', to: 'interval="15000"', changed: ['Default', 'RDU'] },
  { change: 'a parameter', from: 'value="5432"', to: 'value="5433"', changed: ['RDU'] },
  { change: 'a setting sent to pollers', from: 'log-level="debug"', to: 'log-level="warn"', changed: ['Default', 'RDU'] },
  { change: 'the interval of a service that is off', from: 'interval="60000"', to: 'interval="61000"', changed: [] },
  {
    change: 'the backend-only disconnect-timeout',
    from: 'parallel-tasks="7"',
    to: 'parallel-tasks="7" disconnect-timeout="40000"',
    changed: [],
  },
  { change: 'a registration token', from: 's3cret-token', to: 'other-token', changed: [] },
];

/** Checks that editing `xml` gives exactly the `changed` locations a new package version. */
function assertVersionChanges(xml: string, locations: string[], from: string, to: string, changed: string[]): void {
  const before = computeLocationPackages(parse(xml));
  const after = computeLocationPackages(parse(edit(xml, from, to)));
  for (const location of locations) {
    const [was, is] = [before.get(location)?.version, after.get(location)?.version];
    assert.ok(was !== undefined && is !== undefined, location);
    if (changed.includes(location)) assert.notEqual(is, was, `${location} should get a new version`);
    else assert.equal(is, was, `${location} should keep its version`);
  }
}

for (const { change, from, to, changed } of VERSION_CASES) {
  void test(`package versions after changing ${change}`, () => {
    assertVersionChanges(VALID, ['Default', 'RDU'], from, to, changed);
  });
}

/**
 * Address ranges, the downtime model, outage calendars, location details and
 * applications. "net" covers a gateway and 10.0.0.1–10.0.39.16 (10,000
 * addresses) less 10.0.10.0–10.0.10.255 (256): 9,744 addresses.
 */
const EXTENDED = `<?xml version="1.0" encoding="UTF-8"?>
<poller-configuration>
  <package name="net">
    <specific node-label="gateway">192.0.2.1</specific>
    <include-range begin="10.0.0.1" end="10.0.39.16"/>
    <exclude-range begin="10.0.10.0" end="10.0.10.255"/>
    <service name="TCP" interval="300000">
      <parameter key="port" value="22"/>
    </service>
    <downtime begin="0" end="300000" interval="30000"/>
    <downtime begin="300000" end="43200000" interval="300000"/>
    <downtime begin="43200000" interval="3600000"/>
    <outage-calendar>weekly maintenance</outage-calendar>
  </package>
  <package name="web">
    <specific node-label="www">192.0.2.10</specific>
    <service name="HTTP" interval="30000"/>
    <downtime begin="0" end="300000" interval="30000"/>
    <downtime begin="300000" delete="true"/>
    <outage-calendar>weekly maintenance</outage-calendar>
    <outage-calendar>new year</outage-calendar>
  </package>
  <monitor service="HTTP" type="http"/>
  <monitor service="TCP" type="tcp"/>
  <outage name="weekly maintenance" type="weekly" time-zone="America/New_York">
    <time day="sunday" begin="03:00:00" end="04:00:00"/>
    <time day="Wednesday" begin="23:30:00" end="00:30:00"/>
  </outage>
  <outage name="nightly backups" type="daily">
    <time begin="01:00:00" end="01:15:00"/>
  </outage>
  <outage name="month end" type="monthly" time-zone="UTC">
    <time day="31" begin="22:00:00" end="23:59:59"/>
  </outage>
  <outage name="new year" type="specific">
    <time begin="2026-12-31T22:00:00Z" end="2027-01-01T02:00:00Z"/>
  </outage>
  <location name="Default" mode="distribute" min-online="2">
    <polling-package name="net"/>
  </location>
  <location name="RDU" monitoring-area="raleigh" geolocation="Raleigh, NC" coordinates="35.7796,-78.6382" mode="replicate">
    <polling-package name="web"/>
  </location>
  <location name="Sydney" geolocation="Sydney, Australia" coordinates="-33.8688, 151.2093">
    <polling-package name="web"/>
    <polling-package name="net"/>
  </location>
  <application name="Shop">
    <service package="web" node="www" name="HTTP"/>
    <service package="net" node="gateway" name="TCP"/>
    <service package="net" node="10.0.0.1" name="TCP"/>
  </application>
  <application name="Network" down-threshold="3">
    <service package="net" node="10.0.39.16" name="TCP"/>
  </application>
</poller-configuration>
`;

const NET_DOWNTIME = [
  { beginMs: 0, endMs: 300_000, intervalMs: 30_000 },
  { beginMs: 300_000, endMs: 43_200_000, intervalMs: 300_000 },
  { beginMs: 43_200_000, intervalMs: 3_600_000 },
];
const WEB_DOWNTIME = [
  { beginMs: 0, endMs: 300_000, intervalMs: 30_000 },
  { beginMs: 300_000, delete: true },
];

/** 10.0.0.1–10.0.39.16 without 10.0.10.x, ascending, written out independently of the parser. */
function netAddresses(): string[] {
  const addresses: string[] = [];
  for (let i = 1; i <= 10_000; i++) {
    const [third, fourth] = [Math.floor(i / 256), i % 256];
    if (third !== 10) addresses.push(`10.0.${third}.${fourth}`);
  }
  return addresses;
}

void test('include-range less exclude-range: every remaining address is a target labelled with it, after the specifics', () => {
  const net = parse(EXTENDED).packages.get('net');
  assert.ok(net);
  const expected = netAddresses();
  assert.equal(expected.length, 10_000 - 256);
  assert.equal(net.targets.length, 1 + 9_744);
  assert.deepEqual(net.targets[0], { host: '192.0.2.1', nodeLabel: 'gateway' });
  assert.deepEqual(
    net.targets.slice(1),
    expected.map((address) => ({ host: address, nodeLabel: address })),
  );
  assert.equal(net.targets[1]?.host, '10.0.0.1');
  assert.equal(net.targets.at(-1)?.host, '10.0.39.16');
  assert.ok(!net.targets.some((t) => t.host.startsWith('10.0.10.')));
  assert.deepEqual(net.downtime, NET_DOWNTIME);
  assert.deepEqual(net.outageCalendars, ['weekly maintenance']);
  assert.deepEqual(parse(EXTENDED).packages.get('web')?.downtime, WEB_DOWNTIME);
});

void test('the computed package carries the downtime model on each polled service', () => {
  const packages = computeLocationPackages(parse(EXTENDED));
  const services = packages.get('Default')?.package.services ?? [];
  assert.equal(services.length, 1 + 9_744);
  for (const service of services) {
    assert.deepEqual(service.downtime, NET_DOWNTIME, service.serviceId);
    assert.equal(service.monitor, 'tcp');
  }
  const ranged = services.find((s) => s.serviceId === '10.0.20.7/TCP');
  assert.deepEqual(ranged, {
    serviceId: '10.0.20.7/TCP',
    serviceName: 'TCP',
    monitor: 'tcp',
    nodeLabel: '10.0.20.7',
    host: '10.0.20.7',
    intervalMs: 300_000,
    params: { port: '22' },
    downtime: NET_DOWNTIME,
  });
  assert.deepEqual(packages.get('RDU')?.package.services, [
    {
      serviceId: 'www/HTTP',
      serviceName: 'HTTP',
      monitor: 'http',
      nodeLabel: 'www',
      host: '192.0.2.10',
      intervalMs: 30_000,
      params: {},
      downtime: WEB_DOWNTIME,
    },
  ]);
  // A location polling both packages: each service keeps its own package's model.
  const sydney = new Map(packages.get('Sydney')?.package.services.map((s) => [s.serviceId, s]));
  assert.equal(sydney.size, 1 + 1 + 9_744);
  assert.deepEqual(sydney.get('www/HTTP')?.downtime, WEB_DOWNTIME);
  assert.deepEqual(sydney.get('gateway/TCP')?.downtime, NET_DOWNTIME);
  // The outage calendars stay with the backend, per service.
  assert.deepEqual(packages.get('Sydney')?.outageCalendars.get('www/HTTP'), ['weekly maintenance', 'new year']);
  assert.deepEqual(packages.get('Sydney')?.outageCalendars.get('10.0.0.1/TCP'), ['weekly maintenance']);
  // A package without <downtime> gives services without a downtime model.
  for (const service of computeLocationPackages(parse(VALID)).get('RDU')?.package.services ?? []) {
    assert.ok(!('downtime' in service), service.serviceId);
  }
});

void test('applications are parsed with the serviceIds of their members', () => {
  const applications = parse(EXTENDED).applications;
  assert.deepEqual([...applications.keys()], ['Shop', 'Network']);
  assert.deepEqual(applications.get('Shop'), {
    name: 'Shop',
    members: [
      { packageName: 'web', nodeLabel: 'www', serviceName: 'HTTP', serviceId: 'www/HTTP' },
      { packageName: 'net', nodeLabel: 'gateway', serviceName: 'TCP', serviceId: 'gateway/TCP' },
      { packageName: 'net', nodeLabel: '10.0.0.1', serviceName: 'TCP', serviceId: '10.0.0.1/TCP' },
    ],
    downThreshold: 2,
  });
  assert.deepEqual(applications.get('Network')?.members.map((m) => m.serviceId), ['10.0.39.16/TCP']);
  assert.equal(applications.get('Network')?.downThreshold, 3);
  // Every member is a service some location polls, under the same id.
  const polled = new Set([...computeLocationPackages(parse(EXTENDED)).values()].flatMap((p) => [...p.serviceIds]));
  for (const application of applications.values()) {
    for (const member of application.members) assert.ok(polled.has(member.serviceId), member.serviceId);
  }
  assert.equal(parse(VALID).applications.size, 0);
});

void test('outage calendars are parsed with their type, time zone and times', () => {
  const calendars = parse(EXTENDED).outageCalendars;
  assert.deepEqual([...calendars.keys()], ['weekly maintenance', 'nightly backups', 'month end', 'new year']);
  assert.deepEqual(calendars.get('weekly maintenance'), {
    name: 'weekly maintenance',
    type: 'weekly',
    timeZone: 'America/New_York',
    times: [
      // Sunday is 7 (ISO); the Wednesday window crosses midnight, so it ends before it begins.
      { type: 'weekly', weekday: 7, beginSecond: 3 * 3600, endSecond: 4 * 3600 },
      { type: 'weekly', weekday: 3, beginSecond: 23 * 3600 + 30 * 60, endSecond: 30 * 60 },
    ],
  });
  // No time-zone: the backend's local zone, and no timeZone property.
  assert.deepEqual(calendars.get('nightly backups'), {
    name: 'nightly backups',
    type: 'daily',
    times: [{ type: 'daily', beginSecond: 3600, endSecond: 3600 + 15 * 60 }],
  });
  assert.deepEqual(calendars.get('month end'), {
    name: 'month end',
    type: 'monthly',
    timeZone: 'UTC',
    times: [{ type: 'monthly', dayOfMonth: 31, beginSecond: 22 * 3600, endSecond: 86_399 }],
  });
  assert.deepEqual(calendars.get('new year'), {
    name: 'new year',
    type: 'specific',
    times: [{ type: 'specific', beginMs: Date.UTC(2026, 11, 31, 22), endMs: Date.UTC(2027, 0, 1, 2) }],
  });
  assert.equal(parse(VALID).outageCalendars.size, 0);
});

void test('locations are parsed with their geolocation, coordinates, mode and min-online', () => {
  const locations = parse(EXTENDED).locations;
  assert.deepEqual(locations.get('Default'), {
    name: 'Default',
    monitoringArea: 'Default',
    packageNames: ['net'],
    mode: 'distribute',
    minOnline: 2,
  });
  assert.deepEqual(locations.get('RDU'), {
    name: 'RDU',
    monitoringArea: 'raleigh',
    packageNames: ['web'],
    geolocation: 'Raleigh, NC',
    coordinates: { latitude: 35.7796, longitude: -78.6382 },
    mode: 'replicate',
  });
  // No mode: replicate; a space after the comma is accepted.
  assert.deepEqual(locations.get('Sydney'), {
    name: 'Sydney',
    monitoringArea: 'Sydney',
    packageNames: ['web', 'net'],
    geolocation: 'Sydney, Australia',
    coordinates: { latitude: -33.8688, longitude: 151.2093 },
    mode: 'replicate',
  });
});

// Outage calendars and applications are used by the backend only; the downtime model and the targets go to pollers.
const EXTENDED_VERSION_CASES: { change: string; from: string; to: string; changed: string[] }[] = [
  { change: 'the times of an outage', from: 'begin="03:00:00" end="04:00:00"', to: 'begin="02:00:00" end="04:00:00"', changed: [] },
  { change: 'the time zone of an outage', from: 'time-zone="America/New_York"', to: 'time-zone="Europe/Paris"', changed: [] },
  {
    change: 'which outages a package names',
    from: '<outage-calendar>new year</outage-calendar>',
    to: '<outage-calendar>nightly backups</outage-calendar>',
    changed: [],
  },
  {
    change: 'an application member',
    from: '<service package="net" node="10.0.0.1" name="TCP"/>',
    to: '<service package="net" node="10.0.0.2" name="TCP"/>',
    changed: [],
  },
  { change: 'the name of an application', from: 'application name="Shop"', to: 'application name="Store"', changed: [] },
  { change: 'the coordinates of a location', from: 'coordinates="35.7796,-78.6382"', to: 'coordinates="35.78,-78.64"', changed: [] },
  {
    change: 'the interval of a downtime entry',
    from: 'end="43200000" interval="300000"',
    to: 'end="43200000" interval="600000"',
    changed: ['Default', 'Sydney'],
  },
  {
    change: 'a deleting downtime entry into a polling one',
    from: '<downtime begin="300000" delete="true"/>',
    to: '<downtime begin="300000" interval="300000"/>',
    changed: ['RDU', 'Sydney'],
  },
  {
    change: 'an exclude-range',
    from: '<exclude-range begin="10.0.10.0"',
    to: '<exclude-range begin="10.0.10.128"',
    changed: ['Default', 'Sydney'],
  },
];

for (const { change, from, to, changed } of EXTENDED_VERSION_CASES) {
  void test(`package versions after changing ${change}`, () => {
    assertVersionChanges(EXTENDED, ['Default', 'RDU', 'Sydney'], from, to, changed);
  });
}

void test('notification sinks and rules are parsed with their values', () => {
  const config = parse(`<poller-configuration>
  <package name="web"><specific>127.0.0.1</specific><service name="HTTP" interval="30000"/></package>
  <monitor service="HTTP" type="http"/>
  <location name="RDU"><polling-package name="web"/></location>
  <webhook name="ops" url="https://hooks.example.test/x" timeout="5000"><header name="Authorization" value="Bearer t"/></webhook>
  <email name="oncall" smtp-host="mail.example.test" smtp-port="587" user="u" password="p" from="vantage@example.test"><to>a@example.test</to><to>b@example.test</to></email>
  <notification name="outages" ueis="uei.opennms.org/remote/nodes/* uei.vantage/application/applicationDown" min-severity="Minor" locations="RDU" sinks="ops, oncall"/>
</poller-configuration>`);
  assert.deepEqual(config.notificationSinks.get('ops'), { name: 'ops', type: 'webhook', url: 'https://hooks.example.test/x', headers: { Authorization: 'Bearer t' }, timeoutMs: 5000 });
  assert.deepEqual(config.notificationSinks.get('oncall'), {
    name: 'oncall',
    type: 'email',
    smtpHost: 'mail.example.test',
    smtpPort: 587,
    secure: false,
    user: 'u',
    password: 'p',
    from: 'vantage@example.test',
    to: ['a@example.test', 'b@example.test'],
  });
  assert.deepEqual(config.notificationRules, [
    {
      name: 'outages',
      ueis: ['uei.opennms.org/remote/nodes/*', 'uei.vantage/application/applicationDown'],
      minSeverity: 'Minor',
      locations: ['RDU'],
      sinks: ['ops', 'oncall'],
    },
  ]);
});
