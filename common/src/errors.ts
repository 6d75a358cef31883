/**
 * JSON-RPC error codes of the poller protocol (PROTOCOL.md, "Errors").
 * One literal table, used by both ends: the backend throws them, the poller
 * classifies them.
 */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  NoSuchLocation: -32001,
  NotAuthenticated: -32002,
  Forbidden: -32003,
  MonitorDeleted: -32004,
  MonitorPending: -32005,
  /** The monitor's secret was revoked by an administrator: final, the poller stops and does not register again. */
  CredentialsRevoked: -32006,
  Overloaded: -32010,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A failure the protocol defines. The backend's RPC layer turns it into a
 * JSON-RPC error response with this code, message and data; anything else
 * thrown by a handler is a bug and answers -32603.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Extra data of a -32003 answer to reportResults: which services were not in the package. */
export interface ForeignServicesErrorData {
  serviceIds: string[];
}

/**
 * Extra data of a -32602 answer to reportResults refused because of
 * timestamps too far from the backend's clock: the seqs of those results. A
 * poller drops them and sends the rest again.
 */
export interface RefusedResultsErrorData {
  seqs: number[];
}

/** Extra data of a -32010 answer. */
export interface OverloadedErrorData {
  retryAfterMs: number;
}
