/**
 * The poller's metrics in the Prometheus text format (`--metrics-port`):
 * checks run by monitor type and result, how late checks start, the spool
 * (results waiting, bytes on disk, results dropped) and reconnections. The
 * poller reports checks, lateness and reconnections as they happen; the
 * spool is read when scraped.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '@vantage/runtime';

/** What the spool says of itself when scraped. */
export interface SpoolFigures {
  records: number;
  bytes: number;
  /** Dropped by its bounds (age, size) since the poller started. */
  dropped: number;
  /** Refused by the backend (services no longer in the package, timestamps outside its clock window) and dropped. */
  discarded: number;
}

/** A check starts on time to late by seconds (a full queue, a busy host). */
const LATENESS_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

export class PollerMetrics {
  readonly registry = new Registry();
  private spool: () => SpoolFigures | undefined = () => undefined;
  private readonly checks = new Counter({
    name: 'vantage_poller_checks_total',
    help: 'Checks run, by monitor type and result status',
    labelNames: ['monitor', 'status'],
    registers: [this.registry],
  });
  private readonly lateness = new Histogram({
    name: 'vantage_poller_check_lateness_seconds',
    help: 'How long after its due time each check started',
    buckets: LATENESS_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly reconnects = new Counter({
    name: 'vantage_poller_reconnects_total',
    help: 'Connections to a backend made again after one was lost or refused',
    registers: [this.registry],
  });

  constructor() {
    const figures = () => this.spool();
    new Gauge({
      name: 'vantage_poller_spool_results',
      help: 'Results in the spool, not yet acknowledged by the backend',
      registers: [this.registry],
      collect() {
        this.set(figures()?.records ?? 0);
      },
    });
    new Gauge({
      name: 'vantage_poller_spool_bytes',
      help: 'Size of the spool on disk',
      registers: [this.registry],
      collect() {
        this.set(figures()?.bytes ?? 0);
      },
    });
    new Counter({
      name: 'vantage_poller_dropped_results_total',
      help: 'Results dropped unsent: by the spool bounds (spool_limit) or refused by the backend (refused)',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        const spool = figures();
        this.reset();
        this.inc({ reason: 'spool_limit' }, spool?.dropped ?? 0);
        this.inc({ reason: 'refused' }, spool?.discarded ?? 0);
      },
    });
  }

  /** Where the spool figures come from (the poller, once its spool is open). */
  readSpool(source: () => SpoolFigures): void {
    this.spool = source;
  }

  checkDone(monitor: string, status: string): void {
    this.checks.inc({ monitor, status });
  }

  checkStarted(latenessMs: number): void {
    this.lateness.observe(latenessMs / 1000);
  }

  reconnected(): void {
    this.reconnects.inc();
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics on `host:port` (port 0: any free one). */
export async function serveMetrics(metrics: PollerMetrics, host: string, port: number, log: Logger): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log.error(`metrics: cannot render them: ${String(err)}`);
        response.writeHead(500, { 'content-type': 'text/plain' }).end('cannot render the metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error(`metrics server: ${err.message}`));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
