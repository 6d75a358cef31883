import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
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
  { file: 'package-without-target.xml', error: '2: <package>: package "web" has no <specific> target' },
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
      ],
      location,
    );
  }
});

const VALID = `<?xml version="1.0" encoding="UTF-8"?>
<poller-configuration>
  <poller-settings check-in-interval="10000" parallel-tasks="7" log-level="debug"/>
  <package name="web">
    <specific node-label="www">192.0.2.10</specific>
    <specific>192.0.2.11</specific>
    <service name="HTTP" interval="30000">
      <parameter key="port" value="\${backend.port}"/>
      <parameter key="url" value="http://localhost:\${backend.port}/health"/>
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
  return parsePollingConfig(xml, { fileName: 'valid.xml', knownMonitorTypes: KNOWN_MONITOR_TYPES, variables: VARIABLES });
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
    targets: [
      { host: '192.0.2.10', nodeLabel: 'www' },
      { host: '192.0.2.11', nodeLabel: '192.0.2.11' },
    ],
    services: [
      {
        name: 'HTTP',
        intervalMs: 30_000,
        enabled: true,
        params: { port: '8980', url: 'http://localhost:8980/health' },
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
  });
  // No monitoring-area: the location's name; no token: an administrator approves its pollers.
  assert.deepEqual(config.locations.get('RDU'), { name: 'RDU', monitoringArea: 'RDU', packageNames: ['web', 'db'] });
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
    params: { port: '8980', url: 'http://localhost:8980/health' },
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

for (const { change, from, to, changed } of VERSION_CASES) {
  void test(`package versions after changing ${change}`, () => {
    const before = computeLocationPackages(parse(VALID));
    const after = computeLocationPackages(parse(edit(VALID, from, to)));
    for (const location of ['Default', 'RDU']) {
      const [was, is] = [before.get(location)?.version, after.get(location)?.version];
      assert.ok(was !== undefined && is !== undefined, location);
      if (changed.includes(location)) assert.notEqual(is, was, `${location} should get a new version`);
      else assert.equal(is, was, `${location} should keep its version`);
    }
  });
}
