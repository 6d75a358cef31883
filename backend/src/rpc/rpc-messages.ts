/**
 * The one way a message from the network reaches the JSON-RPC server: text
 * in, text out, never a rejection. Before any method runs, the message is
 * held to the protocol's limits (PROTOCOL.md, "Limits"): nesting (counted on
 * the text, before parsing), each request's envelope, and a batch's size,
 * results and package fetches. A batch runs one call at a time, yielding to
 * the event loop between calls, so no message holds the process for long.
 * Anything unexpected on the way, serialising the answer included, is logged
 * and answered -32603.
 *
 * Sizes are the transports' business (WebSocket maxPayload, the POST body
 * limit): the text arrives here already bounded.
 */
import {
  checkRequest,
  ErrorCode,
  MAX_BATCH_CALLS,
  MAX_NESTING_DEPTH,
  MAX_PACKAGE_REQUESTS_PER_BATCH,
  MAX_RESULTS_PER_MESSAGE,
  nestsDeeperThan,
  type RpcId,
  type RpcRequest,
} from '@vantage/common';
import { yieldToEventLoop, type Logger } from '@vantage/runtime';
import type { JSONRPCRequest, JSONRPCResponse, JSONRPCServer } from 'json-rpc-2.0';
import type { RpcContext } from './rpc-server.ts';

interface ErrorAnswer {
  jsonrpc: '2.0';
  id: RpcId;
  error: { code: number; message: string };
}

type Answer = JSONRPCResponse | ErrorAnswer;

export function errorAnswer(id: RpcId, code: number, message: string): ErrorAnswer {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

const INTERNAL_ERROR_TEXT = JSON.stringify(errorAnswer(null, ErrorCode.InternalError, 'internal error; the backend logged the details'));

export class RpcMessages {
  constructor(
    private readonly server: JSONRPCServer<RpcContext>,
    private readonly log: Logger,
  ) {}

  /** The answer to one message (a request or a batch) as text, or null when it needs none (only notifications). */
  async answer(text: string, context: RpcContext): Promise<string | null> {
    try {
      const answer = await this.answerMessage(text, context);
      return answer === null ? null : JSON.stringify(answer);
    } catch (err) {
      this.log.error(`internal error answering a message from ${context.peer ?? 'an unknown peer'}: ${(err as Error)?.stack ?? String(err)}`);
      return INTERNAL_ERROR_TEXT;
    }
  }

  private async answerMessage(text: string, context: RpcContext): Promise<Answer | Answer[] | null> {
    if (nestsDeeperThan(text, MAX_NESTING_DEPTH)) {
      return errorAnswer(null, ErrorCode.InvalidRequest, `invalid request: arrays and objects nested deeper than ${MAX_NESTING_DEPTH} levels`);
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return errorAnswer(null, ErrorCode.ParseError, 'parse error: the message is not JSON');
    }
    if (!Array.isArray(message)) {
      const check = checkRequest(message);
      return check.valid ? this.run(check.request, context) : errorAnswer(check.id, ErrorCode.InvalidRequest, check.message);
    }

    const refusal = batchRefusal(message);
    if (refusal) return errorAnswer(null, ErrorCode.InvalidRequest, `invalid request: ${refusal}`);
    const answers: Answer[] = [];
    for (const [index, element] of message.entries()) {
      // Let other connections (and /api/health) in between the calls of a batch.
      if (index > 0) await yieldToEventLoop();
      const check = checkRequest(element);
      const answer = check.valid ? await this.run(check.request, context) : errorAnswer(check.id, ErrorCode.InvalidRequest, check.message);
      if (answer) answers.push(answer);
    }
    return answers.length > 0 ? answers : null;
  }

  private async run(request: RpcRequest, context: RpcContext): Promise<JSONRPCResponse | null> {
    // The envelope is valid, so this is a JSON-RPC request as json-rpc-2.0 means it.
    return await this.server.receive(request as JSONRPCRequest, context);
  }
}

/** Why a batch is refused whole, or undefined when it is within the limits. */
function batchRefusal(batch: unknown[]): string | undefined {
  if (batch.length === 0) return 'an empty batch';
  if (batch.length > MAX_BATCH_CALLS) return `at most ${MAX_BATCH_CALLS} calls in a batch, got ${batch.length}`;
  let results = 0;
  let packageRequests = 0;
  for (const element of batch) {
    const call = element as { method?: unknown; params?: { results?: unknown } } | null;
    if (call?.method === 'getPollingPackage') packageRequests++;
    if (call?.method === 'reportResults' && Array.isArray(call.params?.results)) results += call.params.results.length;
  }
  if (results > MAX_RESULTS_PER_MESSAGE) return `at most ${MAX_RESULTS_PER_MESSAGE} results in one message, got ${results}`;
  if (packageRequests > MAX_PACKAGE_REQUESTS_PER_BATCH) {
    return `at most ${MAX_PACKAGE_REQUESTS_PER_BATCH} getPollingPackage call in a batch, got ${packageRequests}`;
  }
  return undefined;
}
