/**
 * The JSON-RPC 2.0 envelope of a request, checked before its method runs
 * (PROTOCOL.md, "Limits"): how deep the message nests (counted on the text,
 * before parsing), and the shape of each request in it. A request that
 * fails is answered -32600; its id is echoed only when the id itself is
 * valid, so no answer ever repeats an arbitrary value back.
 */
import { MAX_ID_LENGTH, MAX_METHOD_LENGTH } from './limits.ts';

/** A request id: a string of at most MAX_ID_LENGTH characters, a safe integer, or null. */
export type RpcId = string | number | null;

/** A request whose envelope is valid; `params`, if any, are still to be validated by the method. */
export interface RpcRequest {
  jsonrpc: '2.0';
  method: string;
  /** Absent for a notification, which gets no answer. */
  id?: RpcId;
  params?: unknown;
}

export type EnvelopeCheck = { valid: true; request: RpcRequest } | { valid: false; id: RpcId; message: string };

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether arrays and objects in JSON text nest deeper than `limit`, counted
 * without parsing: `[` and `{` outside strings. One pass over the text, with
 * strings skipped by a native search for their closing quote (most of a big
 * message is strings); it stops at the first level too deep. Text that is
 * not JSON may count wrong, and is refused by the parser anyway.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (end < 0) return false;
      i = end;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote that closes the string opening at `open`: the next one not escaped by an odd run of backslashes; -1 if none. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end >= 0) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

export function isValidId(id: unknown): id is RpcId {
  return id === null || (typeof id === 'string' && id.length <= MAX_ID_LENGTH) || Number.isSafeInteger(id);
}

/** Checks one parsed request (an element of a batch, or the whole message). */
export function checkRequest(value: unknown): EnvelopeCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { valid: false, id: null, message: 'invalid request: a request is a JSON object' };
  }
  const candidate = value as Record<string, unknown>;
  const hasId = Object.hasOwn(candidate, 'id');
  if (hasId && !isValidId(candidate.id)) {
    return { valid: false, id: null, message: `invalid request: id must be a string of at most ${MAX_ID_LENGTH} characters, a safe integer or null` };
  }
  const id = hasId ? (candidate.id as RpcId) : null;
  if (candidate.jsonrpc !== '2.0') return { valid: false, id, message: 'invalid request: jsonrpc must be "2.0"' };
  const method = candidate.method;
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_LENGTH) {
    return { valid: false, id, message: `invalid request: method must be a string of 1 to ${MAX_METHOD_LENGTH} characters` };
  }
  const params = candidate.params;
  // null is taken for "no params", as the backend always has.
  if (params !== undefined && typeof params !== 'object') {
    return { valid: false, id, message: 'invalid request: params must be an object or an array' };
  }
  const request: RpcRequest = { jsonrpc: '2.0', method };
  if (hasId) request.id = id;
  if (params !== undefined && params !== null) request.params = params;
  return { valid: true, request };
}
