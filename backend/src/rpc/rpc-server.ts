/**
 * The JSON-RPC server of the poller protocol, independent of transport: the
 * WebSocket endpoint, `POST /rpc` and the in-process local poller all feed it.
 * Every method's params are validated with the protocol's schemas before a
 * handler runs; protocol failures keep their codes and anything else is
 * logged and answered as -32603 without internals.
 */
import {
  ErrorCode,
  parseParams,
  ProtocolError,
  type MethodName,
  type MonitorCredentials,
  type ParamsOf,
  type ResultOf,
} from '@vantage/common';
import { createJSONRPCErrorResponse, JSONRPCErrorException, JSONRPCServer, type JSONRPCID } from 'json-rpc-2.0';
import type { ResultIngest } from '../ingest/result-ingest.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import type { LocationMonitorRow } from '../db/entities.ts';
import type { Logger } from '@vantage/runtime';

/** Who is calling, as established by the transport. */
export interface RpcContext {
  /** Parsed from the Authorization header; null when the header was malformed. */
  credentials?: MonitorCredentials | null;
  /** The standalone backend's own poller. */
  local?: boolean;
  /** Called after a successful registration, so a connection can remember who it serves. */
  onRegistered?: (monitorId: string) => void;
  /** For log lines: the peer address. */
  peer?: string;
  /** The client's IP address (no port): what per-address registration limits and the deny list go by. */
  address?: string;
  /**
   * The monitor these credentials were verified for, kept for the life of a
   * WebSocket connection so that a stream of reportResults and check-ins
   * does not read the monitor once more per call; the ingest checks the
   * monitor's standing under its row lock, a check-in reads what it needs as
   * it records itself and reads the monitor again when it is not the usual
   * one (and a revocation closes the connection).
   */
  verified?: { credentials: MonitorCredentials; monitor: LocationMonitorRow };
}

type Handler<M extends MethodName> = (params: ParamsOf<M>, monitor: LocationMonitorRow, context: RpcContext) => Promise<ResultOf<M>>;
type Handlers = { [M in Exclude<MethodName, 'registerLocationMonitor' | 'getServerInfo'>]: Handler<M> };

export function createRpcServer(monitors: LocationMonitorService, ingest: ResultIngest, installationId: string, log: Logger): JSONRPCServer<RpcContext> {
  const server = new JSONRPCServer<RpcContext>({ errorListener: () => undefined });

  // One entry per method: a method missing here is a compile error.
  const handlers: Handlers = {
    pollerStarting: (params, monitor) => monitors.starting(monitor, params),
    getPollingPackage: (params, monitor) => monitors.getPackage(monitor, params.knownVersion),
    pollerCheckingIn: (params, monitor, context) => monitors.checkIn(monitor, params, () => monitors.authenticate(context.credentials, 'pollerCheckingIn')),
    reportResults: (params, monitor) => ingest.report(monitor, params),
    pollerStopping: (_params, monitor) => monitors.stopping(monitor),
  };

  // The two methods that need no credentials.
  server.addMethod('getServerInfo', async (raw) => {
    parseParams('getServerInfo', raw);
    return { installationId, serverTime: Date.now() };
  });
  server.addMethod('registerLocationMonitor', async (raw, context) => {
    const params = parseParams('registerLocationMonitor', raw);
    const from = context.local ? 'in process' : `from ${context.address ?? 'an unknown address'}`;
    const result = await monitors.register(params, { local: context.local === true, address: context.address }).catch((err: unknown) => {
      // Refused tokens and blocked addresses are worth a line; limits hit by a flood would only fill the log.
      if (err instanceof ProtocolError && err.code === ErrorCode.Forbidden) {
        log.warn(`registration of "${params.name}" at location "${params.location}" ${from} refused: ${err.message}`);
      } else if (err instanceof ProtocolError && err.code === ErrorCode.Overloaded) {
        log.debug(`registration of "${params.name}" at location "${params.location}" ${from} refused: ${err.message}`);
      }
      throw err;
    });
    log.info(`monitor "${params.name}" registered at location "${params.location}" ${from} as ${result.monitorId} (${result.status})`);
    context.onRegistered?.(result.monitorId);
    return result;
  });
  for (const method of Object.keys(handlers) as (keyof Handlers)[]) {
    server.addMethod(method, async (raw, context) => {
      const params = parseParams(method, raw);
      const monitor = await authenticated(method, context);
      return (handlers[method] as Handler<typeof method>)(params as never, monitor, context);
    });
  }

  answerErrors(server, log);
  return server;

  async function authenticated(method: MethodName, context: RpcContext): Promise<LocationMonitorRow> {
    if (method !== 'reportResults' && method !== 'pollerCheckingIn') return monitors.authenticate(context.credentials, method);
    if (context.credentials && context.verified?.credentials === context.credentials) return context.verified.monitor;
    const monitor = await monitors.authenticate(context.credentials, method);
    context.verified = { credentials: context.credentials!, monitor };
    return monitor;
  }
}

/**
 * What a method throws becomes its answer: a protocol failure keeps its code,
 * message and data; anything else is a bug, logged with its stack and
 * answered -32603 without internals.
 */
export function answerErrors(server: JSONRPCServer<RpcContext>, log: Logger): void {
  server.mapErrorToJSONRPCErrorResponse = (id: JSONRPCID, error: unknown) => {
    if (error instanceof ProtocolError || error instanceof JSONRPCErrorException) {
      return createJSONRPCErrorResponse(id, error.code, error.message, error.data);
    }
    log.error(`internal error answering RPC request ${String(id)}: ${(error as Error)?.stack ?? String(error)}`);
    return createJSONRPCErrorResponse(id, ErrorCode.InternalError, 'internal error; the backend logged the details');
  };
}
