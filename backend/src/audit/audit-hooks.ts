/**
 * Carries each changing request's pending audit entry (set at sign-in,
 * auth/auth-routes.ts) through its handler, so that the change's transaction
 * writes it (Database.transaction). Before the answer is sent: a success that
 * wrote nothing to the database (a configuration reload) is recorded then;
 * a 4xx answer means the request changed nothing, so an entry that a
 * transaction wrote on the way (one that changed no row) is taken back. After
 * a 5xx the entry stays: a change may have committed before the failure.
 */
import type { Logger } from '@vantage/runtime';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { runWithAudit, writeAudit } from './audit-trail.ts';

export function registerAuditHooks(app: FastifyInstance, db: Database, log: Logger): void {
  app.addHook('preHandler', (request, _reply, done) => {
    if (!request.pendingAudit) return done();
    runWithAudit(request.pendingAudit, done);
  });

  // Before the answer goes out, so whoever reads the trail after it finds the entry (or none).
  app.addHook('onSend', async (request, reply, payload) => {
    const pending = request.pendingAudit;
    if (!pending || pending.closed) return payload;
    pending.closed = true;
    try {
      if (reply.statusCode < 400 && pending.writtenId === undefined) {
        await db.transaction((m) => writeAudit(m, pending, Date.now()));
      } else if (reply.statusCode >= 400 && reply.statusCode < 500 && pending.writtenId !== undefined) {
        await db.transaction((m) => m.query(`DELETE FROM audit_entry WHERE id = $1`, [pending.writtenId]));
      }
    } catch (err) {
      log.error(`cannot record ${describe(request)} in the audit trail: ${(err as Error).message}`);
    }
    return payload;
  });
}

const describe = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? request.url} by ${request.pendingAudit?.user ?? 'unknown'}`;
