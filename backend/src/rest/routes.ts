/**
 * The REST API used by the web UI and by scripts (documented in README.md).
 * Times are epoch milliseconds, like the poller protocol.
 */
import { isUeiValue } from '@vantage/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { ConfigReloader } from '../config/config-reloader.ts';
import type { Database } from '../db/database.ts';
import { isApplicationDown, viewApplication } from '../correlation/application-state.ts';
import { ServiceStateEntity, type LocationMonitorRow } from '../db/entities.ts';
import { MAX_EVENT_PAGE, queryEvents, type EventQuery } from '../event-store/event-store.ts';
import { registerAlarmRoutes } from './alarm-routes.ts';
import { registerEventCatalogueRoute } from './event-catalogue-routes.ts';
import { registerOutageRoutes } from './outage-routes.ts';
import { QueryReader } from './query-params.ts';
import { registerLiveRoute } from './live-routes.ts';
import { openApiDocument } from './openapi.ts';
import type { EventBus } from '@vantage/events';
import { availabilityMatrix, presetWindow } from '../availability/matrix.ts';
import { queryResponseTimes } from '../series/series-query.ts';
import type { DbOutboxStore } from '../notifications/db-outbox-store.ts';
import { ForbiddenActionError, NotFoundError, type LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { TransitionError, wireStatus } from '../location-monitors/monitor-state.ts';

export interface RestDependencies {
  db: Database;
  configs: ConfigHolder;
  monitors: LocationMonitorService;
  reloader: ConfigReloader;
  outbox: DbOutboxStore;
  bus: EventBus;
  isConnected: (monitorId: string) => boolean;
}

const ACTIONS = ['approve', 'deny', 'pause', 'resume'] as const;

export function registerRestRoutes(app: FastifyInstance, deps: RestDependencies): void {
  const present = (row: LocationMonitorRow) => ({
    id: row.id,
    name: row.name,
    location: row.location,
    status: wireStatus(row),
    paused: row.paused,
    local: row.isLocal,
    connected: deps.isConnected(row.id),
    registeredAt: row.registeredAt,
    lastCheckInAt: row.lastCheckInAt,
    lastSeq: row.lastSeq,
    details: row.details,
    stats: row.lastStats,
  });

  app.get('/api/health', async () => ({ status: 'ok', database: deps.db.description }));
  app.get('/api/openapi.json', async () => openApiDocument('0.1.0'));

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

  app.get('/api/applications', async () =>
    Promise.all(
      [...deps.configs.config.applications.values()].map(async (application) => {
        const view = await viewApplication(deps.db.manager, application);
        const down = isApplicationDown(view, application.downThreshold);
        return {
          name: application.name,
          downThreshold: application.downThreshold,
          services: application.members.map((m) => ({ serviceId: m.serviceId, package: m.packageName, node: m.nodeLabel, service: m.serviceName })),
          // Where the application is seen from: locations whose package polls at least one of its services.
          locations: [...deps.configs.config.locations.keys()].filter((name) =>
            application.members.some((m) => deps.configs.packageFor(name)?.serviceIds.has(m.serviceId)),
          ),
          status: view.reporting.length === 0 ? 'no data' : down ? 'down' : view.down.length > 0 ? 'partial' : 'up',
          downLocations: view.down,
          reportingLocations: view.reporting,
        };
      }),
    ),
  );

  app.post('/api/config/reload', async (_request, reply) => {
    const outcome = await deps.reloader.reload('requested through the REST API');
    if (outcome.status === 'refused') return reply.code(422).send({ error: outcome.error });
    return outcome;
  });

  app.get<{ Querystring: { location?: string } }>('/api/monitors', async (request) =>
    (await deps.monitors.list(request.query.location)).map(present),
  );

  app.get<{ Params: { id: string } }>('/api/monitors/:id', async (request, reply) =>
    withErrors(reply, async () => present(await deps.monitors.get(request.params.id))),
  );

  app.get<{ Params: { id: string } }>('/api/monitors/:id/services', async (request, reply) =>
    withErrors(reply, async () => {
      const monitor = await deps.monitors.get(request.params.id);
      const states = new Map((await deps.db.manager.findBy(ServiceStateEntity, { monitorId: monitor.id })).map((s) => [s.serviceId, s]));
      // Every service of the location's package, with what this monitor last saw of it.
      return (deps.configs.packageFor(monitor.location)?.package.services ?? []).map((service) => {
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
    }),
  );

  for (const action of ACTIONS) {
    app.post<{ Params: { id: string } }>(`/api/monitors/:id/${action}`, async (request, reply) =>
      withErrors(reply, async () => present(await deps.monitors.administer(request.params.id, action))),
    );
  }

  app.delete<{ Params: { id: string } }>('/api/monitors/:id', async (request, reply) =>
    withErrors(reply, async () => present(await deps.monitors.administer(request.params.id, 'delete'))),
  );

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/events', async (request, reply) => {
    const q = new QueryReader(request.query, ['location', 'monitor', 'service', 'uei', 'since', 'until', 'limit']);
    const uei = q.string('uei');
    q.check(uei === undefined || isUeiValue(uei), `uei "${uei}" is not an event Vantage emits`);
    const query: EventQuery = {
      location: q.string('location'),
      monitorId: q.string('monitor'),
      serviceId: q.string('service'),
      uei,
      sinceMs: q.int('since', 0),
      untilMs: q.int('until', 0),
      limit: q.int('limit', 1, MAX_EVENT_PAGE),
    };
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return queryEvents(deps.db, query);
  });

  registerEventCatalogueRoute(app);
  registerAlarmRoutes(app, deps.db);
  registerLiveRoute(app, deps.bus);

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

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/availability', async (request, reply) => {
    const q = new QueryReader(request.query, ['window', 'from', 'to']);
    const preset = q.oneOf('window', ['24h', '7d', '30d'] as const);
    const fromMs = q.int('from', 0);
    const toMs = q.int('to', 0);
    q.check(preset === undefined || (fromMs === undefined && toMs === undefined), 'give either window or from and to, not both');
    q.check((fromMs === undefined) === (toMs === undefined), 'a custom range needs both from and to');
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    const nowMs = Date.now();
    const range = fromMs !== undefined && toMs !== undefined ? { fromMs, toMs } : presetWindow(preset ?? '24h', nowMs);
    try {
      return await availabilityMatrix(deps.db, deps.configs, { ...range, nowMs });
    } catch (err) {
      if (err instanceof RangeError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/response-times', async (request, reply) => {
    const q = new QueryReader(request.query, ['service', 'monitor', 'from', 'to', 'maxPoints']);
    const serviceId = q.string('service');
    q.check(serviceId !== undefined, 'service (a service id such as "web1/HTTP") is required');
    const now = Date.now();
    const fromMs = q.int('from', 0) ?? now - 24 * 3_600_000;
    const toMs = q.int('to', 0) ?? now;
    q.check(fromMs < toMs, 'from must be before to');
    const maxPoints = q.int('maxPoints', 2, 5000);
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    const monitor = q.string('monitor');
    return queryResponseTimes(deps.db, { serviceId: serviceId!, fromMs, toMs, ...(maxPoints ? { maxPoints } : {}), ...(monitor ? { monitorIds: monitor.split(',') } : {}) });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/notifications', async (request, reply) => {
    const q = new QueryReader(request.query, ['state', 'limit']);
    const state = q.oneOf('state', ['pending', 'inflight', 'delivered', 'dead'] as const);
    const limit = q.int('limit', 1, 1000) ?? 100;
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    return deps.outbox.list(state, limit);
  });
  registerOutageRoutes(app, deps.db);
}

async function withErrors<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof TransitionError || err instanceof ForbiddenActionError) return reply.code(409).send({ error: err.message });
    throw err;
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
