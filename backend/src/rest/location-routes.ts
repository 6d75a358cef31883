/**
 * REST for locations: the configured ones with their monitors, the
 * registration command, the registration token (rotate, revoke), pause and
 * resume all, and purging the monitors waiting for approval.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { TransitionError, wireStatus } from '../location-monitors/monitor-state.ts';
import { BY_CONFIGURATION, type RegistrationTokenStore } from '../location-monitors/registration-tokens.ts';
import { secretMatches } from '../location-monitors/secrets.ts';

export interface LocationRouteDependencies {
  configs: ConfigHolder;
  monitors: LocationMonitorService;
  tokens: RegistrationTokenStore;
}

/** The variable the poller reads its registration token from (frontend-poller/src/token-source.ts). */
const TOKEN_VARIABLE = 'VANTAGE_TOKEN';
/** Stands in the command for a token that was shown once, at its rotation, and is not kept. */
export const TOKEN_PLACEHOLDER = '<registration token>';

export function registerLocationRoutes(app: FastifyInstance, deps: LocationRouteDependencies): void {
  const by = (request: FastifyRequest) => request.user?.username ?? 'unknown';
  const locationOr404 = (name: string) => deps.configs.location(name);

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
        packages: location.packageNames,
        admission: withToken.has(location.name) ? 'token' : 'approval',
        packageVersion: pkg?.version ?? null,
        services: pkg?.package.services.length ?? 0,
        monitors: own.length,
        monitorsByStatus: countBy(own.map((m) => wireStatus(m))),
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
    const command = registrationCommand({ server: serverUrl(request), location: location.name, token: active ? (shown ?? TOKEN_PLACEHOLDER) : null });
    return { location: location.name, admission: active ? 'token' : 'approval', token: shown, command };
  });

  app.post<{ Params: { name: string } }>('/api/locations/:name/token/rotate', async (request, reply) => {
    const location = locationOr404(request.params.name);
    if (!location) return reply.code(404).send({ error: `no location "${request.params.name}"` });
    const token = await deps.tokens.rotate(location.name, by(request));
    // The one time this token is shown: it is kept only as a hash.
    return { location: location.name, admission: 'token', token, command: registrationCommand({ server: serverUrl(request), location: location.name, token }) };
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

/** The backend's RPC URL as the administrator reached it: the best guess for what a remote host should use. */
function serverUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? 'localhost:8980';
  return `${request.protocol === 'https' ? 'wss' : 'ws'}://${host}/rpc`;
}

/**
 * The command that registers a monitor, as the register panel shows it. The
 * token goes in the environment, not among the arguments, where every local
 * user could read it in /proc/PID/cmdline.
 */
export function registrationCommand(options: { server: string; location: string; token: string | null }): string {
  const quote = (value: string) => (/^[\w.:/@-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);
  const name = `${options.location.toLowerCase()}-1`;
  const poller = `npx vantage-poller --server ${options.server} --location ${quote(options.location)} --name ${quote(name)}`;
  // Always quoted, so the variable stands out as the token it is.
  return options.token === null ? poller : `${TOKEN_VARIABLE}='${options.token.replace(/'/g, "'\\''")}' ${poller}`;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
