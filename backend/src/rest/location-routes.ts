/** REST for locations: the configured ones with their monitors, the registration command, pause and resume all. */
import type { FastifyInstance } from 'fastify';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { TransitionError, wireStatus } from '../location-monitors/monitor-state.ts';

export interface LocationRouteDependencies {
  configs: ConfigHolder;
  monitors: LocationMonitorService;
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
    const token = location.registrationToken ?? null;
    const quote = (value: string) => (/^[\w.:/@-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);
    const command =
      `npx vantage-poller --server ${scheme}://${host}/rpc --location ${quote(location.name)} --name ${quote(`${location.name.toLowerCase()}-1`)}` +
      (token ? ` --token ${quote(token)}` : '');
    return { location: location.name, admission: token ? 'token' : 'approval', token, command };
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

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
