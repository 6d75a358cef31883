/** REST for the installation itself: health, the API's description, what it runs on, configuration reload. */
import type { FastifyInstance } from 'fastify';
import { PUBLIC } from '../auth/route-access.ts';
import type { ConfigReloader } from '../config/config-reloader.ts';
import type { Database } from '../db/database.ts';
import { openApiDocument } from './openapi.ts';

export const BACKEND_VERSION = '0.1.0';

export function registerSystemRoutes(app: FastifyInstance, deps: { db: Database; reloader: ConfigReloader }): void {
  // Anyone may ask whether it is up (load balancers, monitoring), so it says nothing else.
  app.get('/api/health', PUBLIC, async () => ({ status: 'ok' }));
  app.get('/api/openapi.json', PUBLIC, async () => openApiDocument(BACKEND_VERSION));
  // The database's description never holds a password (Database.description).
  app.get('/api/system', async () => ({ version: BACKEND_VERSION, database: deps.db.description }));

  app.post('/api/config/reload', async (_request, reply) => {
    const outcome = await deps.reloader.reload('requested through the REST API');
    if (outcome.status === 'refused') return reply.code(422).send({ error: outcome.error });
    return outcome;
  });
}
