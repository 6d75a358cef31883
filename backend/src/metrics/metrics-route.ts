/**
 * GET /metrics: the backend's metrics in the Prometheus text format, for a
 * signed-in user (HTTP Basic suits Prometheus's `basic_auth`) or, when
 * configured, the scrape token (`authorization: {credentials: …}`).
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { SCRAPE } from '../auth/route-access.ts';

export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', SCRAPE, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
