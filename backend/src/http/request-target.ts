/**
 * Only origin-form request targets (`/path?query`) are served. Absolute-form
 * (`GET http://host/path`) is for proxies, which we are not, and `*` is for
 * server-wide OPTIONS, which we do not offer; both are refused with 400
 * before anything else looks at the request, so no decision downstream has
 * to wonder how such a target maps onto a route.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

export const BAD_TARGET_ERROR = 'bad request target: only a path starting with "/" is served (no absolute URLs, no "*")';

export function isOriginForm(rawUrl: string | undefined): boolean {
  return rawUrl !== undefined && rawUrl.startsWith('/');
}

export function refuseBadTarget(reply: FastifyReply): FastifyReply {
  return reply.code(400).send({ error: BAD_TARGET_ERROR });
}

export function registerOriginFormOnly(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!isOriginForm(request.raw.url)) return refuseBadTarget(reply);
  });
}
