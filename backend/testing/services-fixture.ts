/**
 * A backend with many services and a few hours of real results, for the
 * browser tests and benchmarks of the services pages: `nodes` nodes, each
 * with an HTTP service, polled from LON, RDU and SYD (SYD polls every other
 * node), in applications of ten nodes; every seventh service is down from
 * LON for the last hour. Results go in through reportResults, as a poller
 * would send them.
 */
import type { MonitorCredentials } from '@vantage/common';
import { registerApproved, startTestBackend, type TestBackend } from './test-backend.ts';

export const FIXTURE_LOCATIONS = ['LON', 'RDU', 'SYD'] as const;

export function servicesConfigXml(nodes: number): string {
  const node = (i: number) => `node-${String(i).padStart(3, '0')}`;
  const specifics = (filter: (i: number) => boolean) =>
    Array.from({ length: nodes }, (_, i) => i)
      .filter(filter)
      .map((i) => `<specific node-label="${node(i)}">127.0.0.1</specific>`)
      .join('');
  const service = `<service name="HTTP" interval="600000"><parameter key="port" value="1"/></service>`;
  const applications = Array.from({ length: Math.ceil(nodes / 10) }, (_, a) => {
    const members = Array.from({ length: Math.min(10, nodes - a * 10) }, (_, k) => `<service package="all" node="${node(a * 10 + k)}" name="HTTP"/>`);
    return `<application name="App ${a + 1}">${members.join('')}</application>`;
  });
  return `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="600000"/>
  <package name="all">${specifics(() => true)}${service}</package>
  <package name="even">${specifics((i) => i % 2 === 0)}${service}</package>
  <monitor service="HTTP" type="http"/>
  <location name="LON" geolocation="London" coordinates="51.5,-0.12"><polling-package name="all"/></location>
  <location name="RDU" geolocation="Raleigh, NC" coordinates="35.78,-78.64"><polling-package name="all"/></location>
  <location name="SYD" geolocation="Sydney" coordinates="-33.87,151.21"><polling-package name="even"/></location>
  ${applications.join('\n  ')}
</poller-configuration>`;
}

export interface ServicesFixture {
  t: TestBackend;
  /** A started monitor per location. */
  monitors: Record<(typeof FIXTURE_LOCATIONS)[number], MonitorCredentials>;
  url: string;
}

export async function startServicesBackend(nodes: number, resultsPerService = 12): Promise<ServicesFixture> {
  const t = await startTestBackend(servicesConfigXml(nodes));
  const monitors = {} as ServicesFixture['monitors'];
  const now = Date.now();
  for (const location of FIXTURE_LOCATIONS) {
    const creds = await registerApproved(t, location, `${location.toLowerCase()}-1`);
    await t.call('pollerStarting', {}, creds);
    monitors[location] = creds;
    const results = [];
    let seq = 0;
    for (let i = 0; i < nodes; i++) {
      if (location === 'SYD' && i % 2 !== 0) continue;
      for (let k = resultsPerService; k > 0; k--) {
        const ageMs = k * 15 * 60_000;
        const down = location === 'LON' && i % 7 === 0 && ageMs <= 60 * 60_000;
        results.push({
          seq: ++seq,
          serviceId: `node-${String(i).padStart(3, '0')}/HTTP`,
          timestamp: now - ageMs,
          status: down ? 'DOWN' : 'UP',
          ...(down ? { reason: 'connection refused' } : { responseTimeMs: 20 + ((i * 7 + k * 13) % 80) }),
        });
      }
    }
    for (let from = 0; from < results.length; from += 5000) {
      const answer = await t.call('reportResults', { results: results.slice(from, from + 5000) }, creds);
      if (!answer.result) throw new Error(`reportResults at ${location} failed: ${JSON.stringify(answer.error)}`);
    }
  }
  return { t, monitors, url: `http://127.0.0.1:${t.backend.port}` };
}
