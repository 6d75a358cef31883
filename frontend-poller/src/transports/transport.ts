/**
 * How a poller reaches the backend. A transport carries JSON-RPC calls and,
 * where it can (WebSocket), the backend's notifications. Failures are
 * classified once, here: the backend answered with an error (RpcCallError,
 * its code says what to do), it could not be reached (TransportError,
 * transient: back off and retry), or the server failed verification
 * (ServerCertificateError, fatal: a certificate problem does not go away by
 * retrying, and the poller never falls back to an unverified connection).
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

/**
 * The server's certificate failed verification (wrong pin, untrusted, wrong
 * name). Raised after the TLS handshake and before any application byte is
 * written, so no credential reached that server.
 */
export class ServerCertificateError extends Error {
  constructor(
    message: string,
    /** The fingerprint the server presented (sha256:AB:…), when it presented a certificate. */
    readonly presented: string | undefined,
    /** The pinned fingerprint, when --fingerprint was given. */
    readonly expected?: string,
  ) {
    super(message);
    this.name = 'ServerCertificateError';
  }
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/**
 * The largest message a poller accepts from the backend. Twice the protocol's
 * 32 MiB message limit, so a legitimate answer is never cut; anything larger
 * is a broken or hostile server and is dropped rather than held in memory.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
