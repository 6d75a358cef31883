/**
 * The backend's bounds on connections and on how long a request may take to
 * arrive, with their defaults in one place (README "Limits", PROTOCOL.md
 * "Limits"). Options of startBackend; the protocol's own bounds on messages
 * are in @vantage/common (`limits.ts`).
 */
export interface ServerLimits {
  /** WebSocket connections open at once, of every kind; more are refused with HTTP 503. */
  maxConnections: number;
  /**
   * WebSocket connections from one source address (the socket's, or the first
   * X-Forwarded-For address when the backend trusts a proxy); more are refused
   * with HTTP 429. Raise it when many pollers share one address (a NAT, a TCP
   * load balancer).
   */
  maxConnectionsPerAddress: number;
  /** WebSocket connections without credentials (they can only register); more are refused with HTTP 503. */
  maxUnauthenticatedConnections: number;
  /** A WebSocket without credentials is closed (1008) this long after it opened: registering takes one call. */
  unauthenticatedConnectionLifetimeMs: number;
  /** Time to receive a whole HTTP request, headers and body; a slower one is answered 408 and closed. */
  requestTimeoutMs: number;
  /** Time to receive a request's headers; at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** An idle keep-alive HTTP connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = {
  maxConnections: 2_000,
  maxConnectionsPerAddress: 50,
  maxUnauthenticatedConnections: 200,
  unauthenticatedConnectionLifetimeMs: 30_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
};

/** How often node looks for requests past their timeout: a request is cut off at most this late. */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** The defaults with `overrides` on top, checked: each must be a positive whole number. */
export function serverLimits(overrides: Partial<ServerLimits> = {}): ServerLimits {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS };
  for (const [name, value] of Object.entries(overrides) as [keyof ServerLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`limit ${name} must be a positive whole number, got ${value}`);
    limits[name] = value;
  }
  // A shorter request timeout takes the default headers timeout down with it.
  if (overrides.headersTimeoutMs === undefined) limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(`limit headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return limits;
}
