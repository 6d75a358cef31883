/**
 * One cell of the availability matrix in detail, in one answer: the
 * application's services at the location as each of its monitors last saw
 * them, their outages in the window, and their response times per monitor.
 * The page used to ask for these piece by piece (a request per monitor and
 * two per service); one answer shows the detail in one round trip.
 */
import type { FastifyInstance } from 'fastify';
import { queryOutages } from '../outages/outage-store.ts';
import { queryResponseTimes } from '../series/series-query.ts';
import { servicesSeenBy, type MonitorRouteDependencies } from './monitor-routes.ts';
import { monitorView } from './monitor-view.ts';
import { QueryReader } from './query-params.ts';

/** As many outages as the detail lists, per service. */
const OUTAGES_PER_SERVICE = 500;
const DAY_MS = 24 * 3_600_000;

export function registerCellDetailRoutes(app: FastifyInstance, deps: MonitorRouteDependencies): void {
  app.get<{ Params: { application: string; location: string }; Querystring: Record<string, string | undefined> }>(
    '/api/availability/:application/:location',
    async (request, reply) => {
      const { application: name, location } = request.params;
      const q = new QueryReader(request.query, ['from', 'to']);
      const now = Date.now();
      const fromMs = q.int('from', 0) ?? now - DAY_MS;
      const toMs = q.int('to', 0) ?? now;
      q.check(fromMs < toMs, 'from must be before to');
      if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
      const application = deps.configs.config.applications.get(name);
      if (!application) return reply.code(404).send({ error: `no application "${name}"` });
      if (!deps.configs.location(location)) return reply.code(404).send({ error: `no location "${location}"` });

      const serviceIds = [...new Set(application.members.map((m) => m.serviceId))];
      const rows = await deps.monitors.list(location);
      const connections = await deps.connectionsOf(rows.map((r) => r.id));
      const views = rows.map((row) => ({ row, view: monitorView(row, connections.get(row.id)) }));
      const active = views.filter(({ view }) => view.status !== 'DENIED' && view.status !== 'PENDING');
      const [seen, outages, responseTimes] = await Promise.all([
        Promise.all(active.map(async ({ row }) => ({ monitorId: row.id, services: (await servicesSeenBy(deps, row)).filter((s) => serviceIds.includes(s.serviceId)) }))),
        Promise.all(serviceIds.map((serviceId) => queryOutages(deps.db, { location, serviceId, fromMs, toMs, limit: OUTAGES_PER_SERVICE }))),
        active.length === 0
          ? []
          : Promise.all(serviceIds.map(async (service) => ({ service, series: await queryResponseTimes(deps.db, { serviceId: service, fromMs, toMs, monitorIds: active.map(({ row }) => row.id) }) }))),
      ]);
      return {
        application: name,
        location,
        fromMs,
        toMs,
        serviceIds,
        monitors: active.map(({ view }) => view),
        pending: views.filter(({ view }) => view.status === 'PENDING').length,
        seen,
        outages: outages.flat().sort((a, b) => b.startedAt - a.startedAt),
        responseTimes,
      };
    },
  );
}
