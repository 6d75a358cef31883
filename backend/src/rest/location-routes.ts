/** REST for locations: the configured ones with their monitors, the registration command, pause and resume all. */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { TransitionError, wireStatus } from '../location-monitors/monitor-state.ts';
import type { TlsStatus } from '../tls/backend-tls.ts';
import { POLLER_DOWNLOAD_URL, type PollerBundle } from './download-routes.ts';

export interface LocationRouteDependencies {
  configs: ConfigHolder;
  monitors: LocationMonitorService;
  tls: TlsStatus | undefined;
  bundle: PollerBundle;
}

export function registerLocationRoutes(app: FastifyInstance, deps: LocationRouteDependencies): void {
  app.get('/api/locations', async () => {
    const monitors = await deps.monitors.list();
    return [...deps.configs.config.locations.values()].map((location) => {
      const pkg = deps.configs.packageFor(location.name);
      const own = monitors.filter((m) => m.location === location.name);
      return {
        name: location.name,
        monitoringArea: location.monitoringArea,
        geolocation: location.geolocation ?? null,
        coordinates: location.coordinates ?? null,
        mode: location.mode,
        packages: location.packageNames,
        admission: location.registrationToken !== undefined ? 'token' : 'approval',
        packageVersion: pkg?.version ?? null,
        services: pkg?.package.services.length ?? 0,
        monitors: own.length,
        monitorsByStatus: countBy(own.map((m) => wireStatus(m))),
      };
    });
  });

  app.get<{ Params: { name: string } }>('/api/locations/:name/registration', async (request, reply) => {
    const location = deps.configs.location(request.params.name);
    if (!location) return reply.code(404).send({ error: `no location "${request.params.name}"` });
    // The address the administrator reached us at is the best guess for what a remote host should use.
    const host = request.headers.host ?? `localhost:8980`;
    const scheme = request.protocol === 'https' ? 'wss' : 'ws';
    // Our certificate is what the poller meets only when this request met it too (not a proxy's in front of us).
    const direct = (request.raw.socket as Partial<TLSSocket>).encrypted === true;
    const fingerprint = direct && deps.tls ? deps.tls.fingerprint : null;
    const token = location.registrationToken ?? null;
    const pollerOptions = {
      server: `${scheme}://${host}/rpc`,
      // A self-signed certificate has no CA to vouch for it: the poller pins it. One from a CA is
      // verified by the CA instead, so that its renewals (every 60-90 days with ACME) need no change on pollers.
      pin: fingerprint !== null && deps.tls!.selfSigned ? fingerprint : undefined,
      location: location.name,
      name: `${location.name.toLowerCase()}-1`,
      token: token ?? undefined,
    };
    const command = registrationCommand('npx vantage-poller', pollerOptions);
    const bundle = await deps.bundle.read();
    const downloadCommand = bundle
      ? downloadAndRunCommand(`${request.protocol}://${host}${POLLER_DOWNLOAD_URL}`, bundle.sha256, pollerOptions.pin !== undefined, registrationCommand('node vantage-poller.mjs', pollerOptions))
      : null;
    return { location: location.name, admission: token ? 'token' : 'approval', token, fingerprint, command, downloadCommand };
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string } }>(`/api/locations/:name/${action}-all`, async (request, reply) => {
      if (!deps.configs.location(request.params.name)) return reply.code(404).send({ error: `no location "${request.params.name}"` });
      const changed: string[] = [];
      const skipped: { id: string; reason: string }[] = [];
      for (const monitor of await deps.monitors.list(request.params.name)) {
        if (monitor.paused === (action === 'pause')) continue;
        try {
          await deps.monitors.administer(monitor.id, action);
          changed.push(monitor.id);
        } catch (err) {
          if (!(err instanceof TransitionError)) throw err;
          skipped.push({ id: monitor.id, reason: err.message });
        }
      }
      return { changed, skipped };
    });
  }
}

/**
 * The shell command that starts a poller for a location. The token goes in
 * the environment (VANTAGE_TOKEN), never on the command line, where any user
 * of the host can read it in the process list.
 */
function registrationCommand(program: string, options: { server: string; pin?: string; location: string; name: string; token?: string }): string {
  const words = [program, '--server', shellWord(options.server)];
  if (options.pin) words.push('--fingerprint', options.pin);
  words.push('--location', shellWord(options.location), '--name', shellWord(options.name));
  const command = words.join(' ');
  return options.token === undefined ? command : `VANTAGE_TOKEN=${singleQuoted(options.token)} ${command}`;
}

/**
 * Downloads the poller bundle from this backend, checks it against the
 * SHA-256 the (signed-in) panel shows, and runs it. With a self-signed
 * certificate curl cannot verify the server (-k), which is why the digest is
 * checked: a file that is not ours never runs.
 */
function downloadAndRunCommand(url: string, sha256: string, selfSigned: boolean, run: string): string {
  return (
    `curl -fsS${selfSigned ? 'k' : ''}L -o vantage-poller.mjs ${shellWord(url)} && ` +
    `echo '${sha256}  vantage-poller.mjs' | sha256sum -c --quiet - && ${run}`
  );
}

/** The word as it is when the shell would take it literally, else single-quoted. */
const shellWord = (value: string) => (/^[\w.:/@-]+$/.test(value) ? value : singleQuoted(value));
const singleQuoted = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
