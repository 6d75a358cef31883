/**
 * How failures answer, decided once: a client's mistake gets its message; a
 * bug gets a fixed sentence (the details, with the stack, go to the log and
 * never to the client); a request no route matches gets a plain 404 that
 * says nothing about what does exist; a path the router cannot even decode
 * is a bad request target.
 */
import type { Logger } from '@vantage/runtime';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applySecurityHeaders } from './security-headers.ts';

export const NOT_FOUND = { error: 'not found' } as const;
export const INTERNAL_ERROR = { error: 'internal error; the backend logged the details' } as const;

const isHttpError = (status: unknown): status is number => typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599;

export function registerErrorAnswers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = isHttpError(err.statusCode) ? err.statusCode : 500;
    if (status >= 500) {
      log.error(`${request.method} ${JSON.stringify(request.url)} failed: ${err.stack ?? err.message}`);
      return reply.code(status).send(INTERNAL_ERROR);
    }
    return reply.code(status).send({ error: err.message });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));
}

/** Why the router refused a path, by fastify's error code. */
const UNROUTABLE: Record<string, string> = {
  FST_ERR_BAD_URL: 'the path is not valid percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
};

/**
 * Fastify's `frameworkErrors`: what the router refuses before routing (so no
 * hook has run, and the security headers are set here).
 */
export function frameworkErrorAnswer(log: Logger): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    applySecurityHeaders(reply.raw);
    const problem = UNROUTABLE[error.code];
    if (problem) return void reply.code(400).send({ error: `bad request target: ${problem}` });
    log.error(`${request.method} ${JSON.stringify(request.raw.url)} failed before routing: ${error.stack ?? error.message}`);
    void reply.code(500).send(INTERNAL_ERROR);
  };
}
