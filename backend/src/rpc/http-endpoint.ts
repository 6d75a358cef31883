/**
 * The same JSON-RPC methods over plain HTTP: `POST /rpc` with a request or a
 * batch in the body, credentials in the Authorization header of each call.
 * For networks where WebSockets do not pass; no notifications come this way.
 *
 * Before the body is read (PROTOCOL.md, "Limits"): a request from a browser
 * page (an Origin header) is 403 and one that is not `application/json` is
 * 415, so no web page can reach /rpc; the credentials are checked, and the
 * body may be 32 MiB with valid ones, 64 KiB without (413 beyond, unread).
 * Every refusal is a JSON-RPC error in the body, with the HTTP status.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode, MAX_MESSAGE_BYTES, MAX_UNAUTHENTICATED_MESSAGE_BYTES, parseAuthorization } from '@vantage/common';
import type { Logger } from '@vantage/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { PUBLIC } from '../auth/route-access.ts';
import { errorAnswer, type RpcMessages } from './rpc-messages.ts';
import type { RpcContext } from './rpc-server.ts';

/** A refusal of the request as a whole, before any method runs. */
class HttpRpcRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function registerHttpRpc(app: FastifyInstance, messages: RpcMessages, monitors: LocationMonitorService, log: Logger): void {
  /** Each request's body limit, decided by its credentials before the body is read. */
  const bodyLimits = new WeakMap<IncomingMessage, number>();

  // Encapsulated so that the raw-body parser and the error answers apply to /rpc only, not to the REST API.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // JSON-RPC wants the raw text: a parse error must be answered as -32700, not as a 400 page.
    scope.addContentTypeParser('*', (request, payload, done) => {
      readBody(payload, bodyLimits.get(request.raw) ?? MAX_UNAUTHENTICATED_MESSAGE_BYTES).then(
        (body) => done(null, body),
        (err: Error) => done(err, undefined),
      );
    });
    scope.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 500) log.error(`POST /rpc from ${request.ip} failed: ${err.stack ?? err.message}`);
      const code = status >= 500 ? ErrorCode.InternalError : ErrorCode.InvalidRequest;
      return sendAnswer(reply.code(status), JSON.stringify(errorAnswer(null, code, status >= 500 ? 'internal error; the backend logged the details' : err.message)));
    });

    // Public to the sign-in hook: each call carries the location monitor's own credentials.
    scope.post('/rpc', {
      ...PUBLIC,
      onRequest: async (request) => {
        // Pollers never send Origin; browsers always do, and a page must not reach /rpc.
        if (request.headers.origin !== undefined) throw new HttpRpcRefusal(403, 'invalid request: /rpc is for pollers, not from browsers (the request has an Origin header)');
        if (!isJson(request.headers['content-type'])) throw new HttpRpcRefusal(415, 'invalid request: the body must be Content-Type: application/json');
        const limit = (await hasValidCredentials(request)) ? MAX_MESSAGE_BYTES : MAX_UNAUTHENTICATED_MESSAGE_BYTES;
        bodyLimits.set(request.raw, limit);
        const declared = Number(request.headers['content-length']);
        if (declared > limit) throw tooLarge(limit);
      },
      handler: async (request, reply) => {
        const context: RpcContext = { credentials: parseAuthorization(request.headers.authorization), peer: request.ip, address: request.ip };
        const answer = await messages.answer(typeof request.body === 'string' ? request.body : '', context);
        if (answer === null) return reply.code(204).send();
        return sendAnswer(reply, answer);
      },
    });
  });

  async function hasValidCredentials(request: FastifyRequest): Promise<boolean> {
    const credentials = parseAuthorization(request.headers.authorization);
    if (!credentials) return false;
    return (await monitors.verifyCredentials(credentials)) !== null;
  }
}

function sendAnswer(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json').send(text);
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function tooLarge(limit: number): HttpRpcRefusal {
  const which = limit === MAX_UNAUTHENTICATED_MESSAGE_BYTES ? ` without credentials (${MAX_MESSAGE_BYTES} with them)` : '';
  return new HttpRpcRefusal(413, `invalid request: a message is at most ${limit} bytes${which}`);
}

/** The body as text; refuses (413) as soon as it grows past `limit`, without keeping the rest. */
function readBody(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.removeListener('data', onData);
        // Drain what is still coming so the answer can be written; none of it is kept.
        stream.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}
