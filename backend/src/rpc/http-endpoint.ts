/**
 * The same JSON-RPC methods over plain HTTP: `POST /rpc` with a request or a
 * batch in the body, credentials in the Authorization header of each call.
 * For networks where WebSockets do not pass; no notifications come this way.
 */
import { parseAuthorization } from '@vantage/common';
import type { FastifyInstance } from 'fastify';
import { PUBLIC } from '../auth/route-access.ts';
import type { JSONRPCServer } from 'json-rpc-2.0';
import type { RpcContext } from './rpc-server.ts';
import { MAX_RPC_MESSAGE_BYTES } from './ws-endpoint.ts';

export function registerHttpRpc(app: FastifyInstance, rpc: JSONRPCServer<RpcContext>): void {
  // Encapsulated so that the raw-body parser applies to /rpc only, not to the REST API.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // JSON-RPC wants the raw text: a parse error must be answered as -32700, not as a 400 page.
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_RPC_MESSAGE_BYTES }, (_req, body, done) => done(null, body));
    // Public to the sign-in hook: each call carries the location monitor's own credentials.
    scope.post('/rpc', PUBLIC, async (request, reply) => {
      const credentials = parseAuthorization(request.headers.authorization);
      const context: RpcContext = { credentials, peer: request.ip, address: request.ip };
      const response = await rpc.receiveJSON(typeof request.body === 'string' ? request.body : '', context);
      if (response === null) return reply.code(204).send();
      return reply.type('application/json').send(JSON.stringify(response));
    });
  });
}
