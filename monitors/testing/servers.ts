// Real servers for the monitor tests. Every one tracks its connections so that
// closing it also ends the sockets it accepted: a socket left open would keep
// the test process alive.
import net from 'node:net';
import type { PollOutcome, ServiceMonitor } from '../src/monitor.ts';
import { ParameterError, type RawParams } from '../src/params.ts';
import { parseCheckSettings } from '../src/run-check.ts';

/** A listening server on 127.0.0.1 and how to shut it down completely. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 on a free port (node:net or node:http server alike). */
export async function start(server: net.Server): Promise<RunningServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A server that accepts connections and never sends a byte. */
export function startSilentServer(): Promise<RunningServer> {
  return start(net.createServer(() => {}));
}

/** A port nothing listens on: one a server just released. */
export async function closedPort(): Promise<number> {
  const server = await start(net.createServer());
  await server.close();
  return server.port;
}

/** What a test asks a monitor to check: the host and the raw parameters, as a service has them. */
export interface RawTarget {
  host: string;
  params: RawParams;
  timeoutMs: number;
}

/**
 * One poll of `monitor` as a poller makes it: the parameters parsed first (a
 * bad or unknown one gives UNKNOWN with the error, without polling), then the
 * poll with `signal`.
 */
export function parseAndPoll<S>(monitor: ServiceMonitor<S>, target: RawTarget, signal: AbortSignal): Promise<PollOutcome> {
  let settings: S;
  try {
    settings = parseCheckSettings(monitor, target.params, target.timeoutMs).settings;
  } catch (err) {
    if (err instanceof ParameterError) return Promise.resolve({ status: 'UNKNOWN', reason: err.message });
    throw err;
  }
  return monitor.poll({ host: target.host, settings, timeoutMs: target.timeoutMs }, signal);
}

/** One poll of `monitor` against 127.0.0.1, with the timeout signal the caller would give it. */
export function pollLocal<S>(
  monitor: ServiceMonitor<S>,
  params: Record<string, string>,
  timeoutMs = 2000,
): Promise<PollOutcome> {
  return parseAndPoll(monitor, { host: '127.0.0.1', params, timeoutMs }, AbortSignal.timeout(timeoutMs));
}
