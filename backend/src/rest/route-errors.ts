/**
 * How the domain's errors answer over REST, decided once: an unknown id is
 * 404; an action the monitor's state or kind does not allow is 409. Anything
 * else is a bug and reaches the server's error handler (500, logged).
 */
import type { FastifyReply } from 'fastify';
import { ForbiddenActionError, NotFoundError } from '../location-monitors/location-monitor-service.ts';
import { TransitionError } from '../location-monitors/monitor-state.ts';

export async function withErrors<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof TransitionError || err instanceof ForbiddenActionError) return reply.code(409).send({ error: err.message });
    throw err;
  }
}
