/**
 * How a poller reaches the backend. A transport carries JSON-RPC calls and,
 * where it can (WebSocket), the backend's notifications. Failures are
 * classified once, here: the backend answered with an error (RpcCallError,
 * its code says what to do) or it could not be reached (TransportError,
 * transient: back off and retry).
 */
import type { MonitorCredentials } from '@vantage/common';

export interface Transport {
  call(method: string, params: unknown): Promise<unknown>;
  /** Called for each notification the backend pushes; transports without push never call it. */
  onNotification(handler: (method: string, params: unknown) => void): void;
  /** Called once if the connection drops; pending and later calls fail with TransportError. */
  onClose(handler: (reason: string) => void): void;
  close(): Promise<void>;
}

/** Opens a transport presenting these credentials (none: only registration will work). */
export type TransportFactory = (credentials: MonitorCredentials | undefined) => Promise<Transport>;

/** Opens a transport to one of the poller's servers (home or a standby). */
export type ServerTransportFactory = (server: string, credentials: MonitorCredentials | undefined) => Promise<Transport>;

/** The backend answered with a JSON-RPC error. */
export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcCallError';
  }
}

/** The backend could not be reached or did not answer in time. */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
