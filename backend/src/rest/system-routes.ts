/** REST for the installation itself: health, the API's description, configuration reload. */
import type { FastifyInstance } from 'fastify';
import type { ConfigReloader } from '../config/config-reloader.ts';
import type { Database } from '../db/database.ts';
import { openApiDocument } from './openapi.ts';

export function registerSystemRoutes(app: FastifyInstance, deps: { db: Database; reloader: ConfigReloader }): void {
  app.get('/api/health', async () => ({ status: 'ok', database: deps.db.description }));
  app.get('/api/openapi.json', async () => openApiDocument('0.1.0'));

  app.post('/api/config/reload', async (_request, reply) => {
    const outcome = await deps.reloader.reload('requested through the REST API');
    if (outcome.status === 'refused') return reply.code(422).send({ error: outcome.error });
    return outcome;
  });
}
