/** Shared by the notification tests: an event, a quiet log, waiting for a condition, servers on port 0. */
import type { AddressInfo, Server } from 'node:net';
import { Uei } from '@vantage/common';
import type { StoredEvent } from '@vantage/events';
import type { DispatcherLogger } from '../src/notifications/dispatcher.ts';

/** web1/HTTP lost at RDU, as the backend stores it. */
export function lostServiceEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: 42,
    uei: Uei.nodeLostService,
    severity: 'Minor',
    time: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
    location: 'RDU',
    monitorId: 'mon-7',
    serviceId: 'web1/HTTP',
    nodeLabel: 'web1',
    params: { monitorName: 'rdu-edge', reason: 'HTTP 503 Service Unavailable' },
    ...overrides,
  };
}

/** Keeps what was logged, for the assertions that care, and prints nothing. */
export function recordingLog(): DispatcherLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    info: (m) => lines.push(`info ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `condition()` holds; fails the test naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** Listens on 127.0.0.1, port 0, and returns the port. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** A port nothing listens on (it was just released). */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  const port = await listenLocal(server);
  await closeServer(server);
  return port;
}

/** A promise with its resolver, for sinks that wait until the test lets them go. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
