import net from 'node:net';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import { elapsedMs, networkFailure, portParam, readParams, timeoutReason } from './params.ts';

/**
 * TCP connect check. Parameter `port` (required). UP once the connection is
 * established, with the connect time (DNS lookup included); the socket is
 * closed at once without sending anything.
 */
export const tcpMonitor: ServiceMonitor = {
  name: 'tcp',
  poll(target, signal) {
    const parsed = readParams(() => portParam(target.params));
    if (!parsed.ok) return Promise.resolve(parsed.outcome);
    if (signal.aborted) return Promise.resolve({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
    const port = parsed.value;

    return new Promise<PollOutcome>((resolve) => {
      const start = performance.now();
      const socket = net.connect({ host: target.host, port, signal });
      socket.once('connect', () => {
        const responseTimeMs = elapsedMs(start);
        socket.destroy();
        resolve({ status: 'UP', responseTimeMs });
      });
      // `on`, not `once`: a second error with no listener would crash the process.
      socket.on('error', (err) => {
        socket.destroy();
        resolve(networkFailure(err, signal, target.timeoutMs));
      });
    });
  },
};
