/**
 * Carries each changing request's pending audit entry (set at sign-in,
 * auth/auth-routes.ts) through its handler, so that the change's transaction
 * writes it (Database.transaction). When the answer is sent: a success that
 * wrote nothing to the database (a configuration reload) is recorded then;
 * an answer of 400 or more changed nothing, so an entry that a transaction
 * wrote on the way (one that changed no row, say) is taken back.
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

  app.addHook('onResponse', async (request, reply) => {
    const pending = request.pendingAudit;
    if (!pending) return;
    pending.closed = true;
    try {
      if (reply.statusCode < 400 && pending.writtenId === undefined) {
        await db.transaction((m) => writeAudit(m, pending, Date.now()));
      } else if (reply.statusCode >= 400 && pending.writtenId !== undefined) {
        await db.transaction((m) => m.query(`DELETE FROM audit_entry WHERE id = $1`, [pending.writtenId]));
      }
    } catch (err) {
      log.error(`cannot record ${describe(request)} in the audit trail: ${(err as Error).message}`);
    }
  });
}

const describe = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? request.url} by ${request.pendingAudit?.user ?? 'unknown'}`;
