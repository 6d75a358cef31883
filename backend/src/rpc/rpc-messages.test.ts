/**
 * RpcMessages, the gate between the network and the JSON-RPC server: what a
 * method does wrong (throws, or returns what cannot be written as JSON) is
 * logged with its context and answered -32603, and never escapes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import { JSONRPCServer } from 'json-rpc-2.0';
import { RpcMessages } from './rpc-messages.ts';
import { answerErrors, type RpcContext } from './rpc-server.ts';

function gate() {
  const lines: string[] = [];
  const server = new JSONRPCServer<RpcContext>({ errorListener: () => undefined });
  server.addMethod('explode', () => {
    throw new TypeError('a bug in a handler');
  });
  server.addMethod('bigint', () => ({ n: 10n }));
  server.addMethod('echo', (params: unknown) => params);
  const log = createLogger('rpc', 'debug', (line) => lines.push(line));
  answerErrors(server, log);
  return { messages: new RpcMessages(server, log), lines };
}

const request = (method: string, id: number | string = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params: {} });

void test('a handler that throws is logged and answered -32603 with the id, without its internals', async () => {
  const { messages, lines } = gate();
  const answer = JSON.parse((await messages.answer(request('explode', 'x1'), { peer: '192.0.2.1:5000' }))!);
  assert.equal(answer.id, 'x1');
  assert.equal(answer.error.code, ErrorCode.InternalError);
  assert.doesNotMatch(answer.error.message, /a bug in a handler/);
  assert.ok(lines.some((l) => /internal error answering RPC request x1: TypeError: a bug in a handler/.test(l)), lines.join('\n'));
});

void test('an answer that cannot be written as JSON is logged with the peer and answered -32603', async () => {
  const { messages, lines } = gate();
  const answer = JSON.parse((await messages.answer(request('bigint'), { peer: '192.0.2.1:5000' }))!);
  assert.deepEqual([answer.id, answer.error.code], [null, ErrorCode.InternalError]);
  assert.ok(lines.some((l) => /internal error answering a message from 192\.0\.2\.1:5000: TypeError: Do not know how to serialize a BigInt/.test(l)), lines.join('\n'));
});

void test('a batch runs its calls in order and answers each; notifications get no answer', async () => {
  const { messages } = gate();
  const batch = JSON.stringify([
    { jsonrpc: '2.0', id: 1, method: 'echo', params: { n: 1 } },
    { jsonrpc: '2.0', method: 'echo', params: { n: 2 } },
    { jsonrpc: '2.0', id: 3, method: 'explode' },
    { jsonrpc: '2.0', id: 4, method: 'missing' },
  ]);
  const answers = JSON.parse((await messages.answer(batch, {}))!) as { id: number; result?: unknown; error?: { code: number } }[];
  assert.deepEqual(
    answers.map((a) => [a.id, a.error?.code ?? a.result]),
    [
      [1, { n: 1 }],
      [3, ErrorCode.InternalError],
      [4, ErrorCode.MethodNotFound],
    ],
  );
  assert.equal(await messages.answer(JSON.stringify([{ jsonrpc: '2.0', method: 'echo' }]), {}), null);
  assert.equal(await messages.answer(JSON.stringify({ jsonrpc: '2.0', method: 'echo' }), {}), null);
});
