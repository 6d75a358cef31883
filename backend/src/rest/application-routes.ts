/** REST for applications: their state across locations now, and availability over a window. */
import type { FastifyInstance } from 'fastify';
import { availabilityMatrix, presetWindow } from '../availability/matrix.ts';
import type { ConfigHolder } from '../config/config-holder.ts';
import { isApplicationDown, viewApplication } from '../correlation/application-state.ts';
import type { Database } from '../db/database.ts';
import { AnswerCache, type AnswerChanges } from './answer-cache.ts';
import { QueryReader } from './query-params.ts';

export function registerApplicationRoutes(app: FastifyInstance, deps: AnswerChanges & { db: Database; configs: ConfigHolder }): void {
  // Only the preset windows are kept: a custom range is asked for once, and ranges are endless.
  const presets = AnswerCache.forRoutes<Awaited<ReturnType<typeof availabilityMatrix>>>(app, deps, 'availability-answers');

  app.get('/api/applications', async () =>
    Promise.all(
      [...deps.configs.config.applications.values()].map(async (application) => {
        const view = await viewApplication(deps.db.manager, application, (location) => deps.configs.location(location)?.mode === 'distribute');
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

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/availability', async (request, reply) => {
    const q = new QueryReader(request.query, ['window', 'from', 'to']);
    const preset = q.oneOf('window', ['24h', '7d', '30d'] as const);
    const fromMs = q.int('from', 0);
    const toMs = q.int('to', 0);
    q.check(preset === undefined || (fromMs === undefined && toMs === undefined), 'give either window or from and to, not both');
    q.check((fromMs === undefined) === (toMs === undefined), 'a custom range needs both from and to');
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    const matrixAt = (nowMs: number) => {
      const range = fromMs !== undefined && toMs !== undefined ? { fromMs, toMs } : presetWindow(preset ?? '24h', nowMs);
      return availabilityMatrix(deps.db, deps.configs, { ...range, nowMs });
    };
    try {
      return await (fromMs === undefined ? presets.get(preset ?? '24h', () => matrixAt(Date.now())) : matrixAt(Date.now()));
    } catch (err) {
      if (err instanceof RangeError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });
}
