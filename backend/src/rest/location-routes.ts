/**
 * REST for locations: the configured ones with their monitors, the commands
 * that start a poller there, the registration token (rotate, revoke), pause
 * and resume all, and purging the monitors waiting for approval.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { TransitionError, wireStatus } from '../location-monitors/monitor-state.ts';
import { BY_CONFIGURATION, type RegistrationTokenStore } from '../location-monitors/registration-tokens.ts';
import { secretMatches } from '../location-monitors/secrets.ts';
import type { TlsStatus } from '../tls/backend-tls.ts';
import { POLLER_DOWNLOAD_URL, type PollerBundle } from './download-routes.ts';

export interface LocationRouteDependencies {
  configs: ConfigHolder;
  monitors: LocationMonitorService;
  tokens: RegistrationTokenStore;
  tls: TlsStatus | undefined;
  bundle: PollerBundle;
}

/** The variable the poller reads its registration token from (frontend-poller/src/token-source.ts). */
const TOKEN_VARIABLE = 'VANTAGE_TOKEN';
/** Stands in the command for a token that was shown once, at its rotation, and is not kept. */
export const TOKEN_PLACEHOLDER = '<registration token>';

export function registerLocationRoutes(app: FastifyInstance, deps: LocationRouteDependencies): void {
  const by = (request: FastifyRequest) => request.user?.username ?? 'unknown';
  const locationOr404 = (name: string) => deps.configs.location(name);

  /**
   * The commands that start a poller at a location, for the host the
   * administrator reached us at (the best guess for what a remote host should
   * use): with npx where Vantage is installed, and the download-and-run one
   * for a host with only Node.js.
   */
  const commandsFor = async (request: FastifyRequest, location: string, token: string | null) => {
    const host = request.headers.host ?? 'localhost:8980';
    // Our certificate is what the poller meets only when this request met it too (not a proxy's in front of us).
    const direct = (request.raw.socket as Partial<TLSSocket>).encrypted === true;
    const fingerprint = direct && deps.tls ? deps.tls.fingerprint : null;
    const options: PollerCommandOptions = {
      server: `${request.protocol === 'https' ? 'wss' : 'ws'}://${host}/rpc`,
      // A self-signed certificate has no CA to vouch for it: the poller pins it. One from a CA is
      // verified by the CA instead, so that its renewals (every 60-90 days with ACME) need no change on pollers.
      pin: fingerprint !== null && deps.tls!.selfSigned ? fingerprint : undefined,
      location,
      token,
    };
    const bundle = await deps.bundle.read();
    return {
      fingerprint,
      command: registrationCommand('npx vantage-poller', options),
      downloadCommand: bundle
        ? downloadAndRunCommand(`${request.protocol}://${host}${POLLER_DOWNLOAD_URL}`, bundle.sha256, options.pin !== undefined, registrationCommand('node vantage-poller.mjs', options))
        : null,
    };
  };

  app.get('/api/locations', async () => {
    const [monitors, withToken] = await Promise.all([deps.monitors.list(), deps.tokens.locationsWithToken()]);
    return [...deps.configs.config.locations.values()].map((location) => {
      const pkg = deps.configs.packageFor(location.name);
      const own = monitors.filter((m) => m.location === location.name);
      return {
        name: location.name,
        monitoringArea: location.monitoringArea,
        geolocation: location.geolocation ?? null,
        coordinates: location.coordinates ?? null,
        mode: location.mode,
        minOnline: location.minOnline ?? null,
        packages: location.packageNames,
        admission: withToken.has(location.name) ? 'token' : 'approval',
        packageVersion: pkg?.version ?? null,
        services: pkg?.package.services.length ?? 0,
        monitors: own.length,
        monitorsByStatus: countBy(own.map((m) => wireStatus(m))),
        // `distribute` mode: how many services each member (started, unpaused monitor) polls; null in `replicate` mode.
        shares: deps.monitors.shareSizes(location.name, own),
      };
    });
  });

  app.get<{ Params: { name: string } }>('/api/locations/:name/registration', async (request, reply) => {
    const location = locationOr404(request.params.name);
    if (!location) return reply.code(404).send({ error: `no location "${request.params.name}"` });
    const active = await deps.tokens.active(location.name);
    // Only a token from the configuration file can be shown again (the administrator has it there); a rotated one was shown once.
    const configured = location.registrationToken;
    const shown = active && active.createdBy === BY_CONFIGURATION && configured !== undefined && secretMatches(configured, active.tokenHash) ? configured : null;
    const commands = await commandsFor(request, location.name, active ? (shown ?? TOKEN_PLACEHOLDER) : null);
    return { location: location.name, admission: active ? 'token' : 'approval', token: shown, ...commands };
  });

  app.post<{ Params: { name: string } }>('/api/locations/:name/token/rotate', async (request, reply) => {
    const location = locationOr404(request.params.name);
    if (!location) return reply.code(404).send({ error: `no location "${request.params.name}"` });
    const token = await deps.tokens.rotate(location.name, by(request));
    // The one time this token is shown: it is kept only as a hash.
    return { location: location.name, admission: 'token', token, ...(await commandsFor(request, location.name, token)) };
  });

  app.delete<{ Params: { name: string } }>('/api/locations/:name/token', async (request, reply) => {
    const location = locationOr404(request.params.name);
    if (!location) return reply.code(404).send({ error: `no location "${request.params.name}"` });
    if (!(await deps.tokens.revoke(location.name, by(request)))) {
      return reply.code(409).send({ error: `location "${location.name}" has no registration token to revoke` });
    }
    return { location: location.name, admission: 'approval' };
  });

  app.post<{ Params: { name: string } }>('/api/locations/:name/purge-pending', async (request, reply) => {
    const location = locationOr404(request.params.name);
    if (!location) return reply.code(404).send({ error: `no location "${request.params.name}"` });
    return { location: location.name, purged: await deps.monitors.purgePending(location.name, by(request)) };
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string } }>(`/api/locations/:name/${action}-all`, async (request, reply) => {
      if (!deps.configs.location(request.params.name)) return reply.code(404).send({ error: `no location "${request.params.name}"` });
      const changed: string[] = [];
      const skipped: { id: string; reason: string }[] = [];
      for (const monitor of await deps.monitors.list(request.params.name)) {
        if (monitor.paused === (action === 'pause')) continue;
        try {
          await deps.monitors.administer(monitor.id, action, by(request));
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

interface PollerCommandOptions {
  server: string;
  pin: string | undefined;
  location: string;
  token: string | null;
}

/**
 * The command that registers a monitor, as the register panel shows it. The
 * token goes in the environment, not among the arguments, where every local
 * user could read it in /proc/PID/cmdline.
 */
export function registrationCommand(program: string, options: PollerCommandOptions): string {
  const words = [program, '--server', shellWord(options.server)];
  if (options.pin) words.push('--fingerprint', options.pin);
  words.push('--location', shellWord(options.location), '--name', shellWord(`${options.location.toLowerCase()}-1`));
  const poller = words.join(' ');
  // Always quoted, so the variable stands out as the token it is.
  return options.token === null ? poller : `${TOKEN_VARIABLE}=${singleQuoted(options.token)} ${poller}`;
}

/**
 * Downloads the poller bundle from this backend, checks it against the
 * SHA-256 the (signed-in) panel shows, and runs it. With a self-signed
 * certificate curl cannot verify the server (-k), which is why the digest is
 * checked: a file that is not ours never runs.
 */
function downloadAndRunCommand(url: string, sha256: string, selfSigned: boolean, run: string): string {
  return `curl -fsS${selfSigned ? 'k' : ''}L -o vantage-poller.mjs ${shellWord(url)} && echo '${sha256}  vantage-poller.mjs' | sha256sum -c --quiet - && ${run}`;
}

/** The word as it is when the shell would take it literally, else single-quoted. */
const shellWord = (value: string) => (/^[\w.:/@-]+$/.test(value) ? value : singleQuoted(value));
const singleQuoted = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
