/** REST for location monitors: list, one, its services, approve/deny (and block its address)/pause/resume, revoke its secret, delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MonitorConnection } from '../cluster/poller-connections.ts';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { Database } from '../db/database.ts';
import { ServiceStateEntity, type LocationMonitorRow } from '../db/entities.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { monitorView } from './monitor-view.ts';
import { withErrors } from './route-errors.ts';

const ACTIONS = ['approve', 'pause', 'resume'] as const;

export interface MonitorRouteDependencies {
  db: Database;
  configs: ConfigHolder;
  monitors: LocationMonitorService;
  /** The open connections of these monitors (of all when absent), on every live instance. */
  connectionsOf: (monitorIds?: readonly string[]) => Promise<Map<string, MonitorConnection>>;
}

/**
 * Every service of the monitor's location package (its share at a `distribute` location), with what this
 * monitor last saw of it (GET /api/monitors/:id/services, and the availability cell's detail).
 */
export async function servicesSeenBy(deps: Pick<MonitorRouteDependencies, 'db' | 'monitors'>, monitor: LocationMonitorRow) {
  const states = new Map((await deps.db.manager.findBy(ServiceStateEntity, { monitorId: monitor.id })).map((s) => [s.serviceId, s]));
  return (await deps.monitors.servicesOf(monitor)).map((service) => {
    const state = states.get(service.serviceId);
    return {
      serviceId: service.serviceId,
      serviceName: service.serviceName,
      nodeLabel: service.nodeLabel,
      host: service.host,
      monitor: service.monitor,
      intervalMs: service.intervalMs,
      status: state?.status ?? null,
      since: state?.changedAt ?? null,
      reason: state?.reason ?? null,
      lastResultAt: state?.lastResultAt ?? null,
    };
  });
}

export function registerMonitorRoutes(app: FastifyInstance, deps: MonitorRouteDependencies): void {
  const present = async (row: Parameters<typeof monitorView>[0]) => monitorView(row, (await deps.connectionsOf([row.id])).get(row.id));

  app.get<{ Querystring: { location?: string } }>('/api/monitors', async (request) => {
    const rows = await deps.monitors.list(request.query.location);
    const connections = await deps.connectionsOf();
    return rows.map((row) => monitorView(row, connections.get(row.id)));
  });

  app.get<{ Params: { id: string } }>('/api/monitors/:id', async (request, reply) =>
    withErrors(reply, async () => present(await deps.monitors.get(request.params.id))),
  );

  app.get<{ Params: { id: string } }>('/api/monitors/:id/services', async (request, reply) =>
    withErrors(reply, async () => servicesSeenBy(deps, await deps.monitors.get(request.params.id))),
  );

  const by = (request: FastifyRequest) => request.user?.username ?? 'unknown';

  app.post<{ Params: { id: string }; Body: { blockAddress?: unknown } | undefined }>('/api/monitors/:id/deny', async (request, reply) => {
    const blockAddress = request.body?.blockAddress ?? false;
    if (typeof blockAddress !== 'boolean') return reply.code(400).send({ error: `blockAddress must be true or false, got ${JSON.stringify(blockAddress)}` });
    return withErrors(reply, async () => present(await deps.monitors.deny(request.params.id, { blockAddress, by: by(request) })));
  });

  app.post<{ Params: { id: string } }>('/api/monitors/:id/revoke', async (request, reply) =>
    withErrors(reply, async () => present(await deps.monitors.revokeCredentials(request.params.id, by(request)))),
  );

  for (const action of ACTIONS) {
    app.post<{ Params: { id: string } }>(`/api/monitors/:id/${action}`, async (request, reply) =>
      withErrors(reply, async () => present(await deps.monitors.administer(request.params.id, action, by(request)))),
    );
  }

  app.delete<{ Params: { id: string } }>('/api/monitors/:id', async (request, reply) =>
    withErrors(reply, async () => present(await deps.monitors.administer(request.params.id, 'delete', by(request)))),
  );
}
