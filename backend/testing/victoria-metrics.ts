import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real VictoriaMetrics for tests of the InfluxDB writer: it speaks the
 * InfluxDB v2 write API (`POST /api/v2/write`) and lets us read the points
 * back (`/api/v1/export`). Debian package `victoria-metrics`; the binary can
 * be pointed elsewhere with VANTAGE_VICTORIA_METRICS.
 *
 * What it does with line protocol: measurement `m` with field `f` becomes the
 * metric `m_f`, every tag a label; integer and float fields keep their value,
 * string fields are stored as 0 (VictoriaMetrics keeps numbers only).
 * Duplicate samples (same series and timestamp) are all kept, so counting
 * exported samples finds points sent twice.
 */
export const victoriaMetricsBin = process.env.VANTAGE_VICTORIA_METRICS ?? '/usr/bin/victoria-metrics';

/** A reason to skip, for `test(..., { skip })`, when the binary is not installed. */
export const victoriaMetricsMissing: string | false = existsSync(victoriaMetricsBin)
  ? false
  : `${victoriaMetricsBin} not found: install the Debian package victoria-metrics (apt-get install victoria-metrics) to run these tests`;

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

const running = new Set<ChildProcess>();
// Belt and braces: a test that dies before its `after` must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (free when asked; the server binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class VictoriaMetrics {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dataPath: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free loopback port with its own temporary data directory. */
  static async start(): Promise<VictoriaMetrics> {
    const vm = new VictoriaMetrics(await freePort(), mkdtempSync(join(tmpdir(), 'vantage-vm-')));
    await vm.start();
    return vm;
  }

  /** Starts (again) on the same port and data path; resolves when /health answers. */
  async start(): Promise<void> {
    if (this.child) return;
    this.output = '';
    const child = spawn(
      victoriaMetricsBin,
      [
        `-storageDataPath=${this.dataPath}`,
        `-httpListenAddr=127.0.0.1:${this.port}`,
        '-retentionPeriod=1',
        // Export reads raw data; the query caches would only hide fresh points.
        '-search.disableCache',
        '-search.latencyOffset=0s',
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    running.add(child);
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`victoria-metrics exited at start: ${this.output}`);
      try {
        const res = await fetch(`${this.url}/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    await this.stop(false);
    throw new Error(`victoria-metrics did not answer /health within 10 s: ${this.output}`);
  }

  /**
   * Stops the process. Graceful (SIGTERM) keeps every sample it acknowledged:
   * SIGKILL loses the ones still in its in-memory buffers, even after
   * /internal/force_flush. Takes about 1.5 s.
   */
  async stop(graceful = true): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops it and deletes its data. */
  async dispose(): Promise<void> {
    await this.stop(false);
    rmSync(this.dataPath, { recursive: true, force: true });
  }

  /** Every series matching the selector, e.g. `{__name__=~"vantage_response_.*",location="T1"}`. */
  async export(selector: string): Promise<ExportedSeries[]> {
    await fetch(`${this.url}/internal/force_flush`);
    const res = await fetch(`${this.url}/api/v1/export?match[]=${encodeURIComponent(selector)}`);
    if (!res.ok) throw new Error(`export ${selector}: HTTP ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as ExportedSeries);
  }

  /**
   * Polls the export until the selector holds `expected` samples, or more
   * (then at once: a duplicate shows), or `timeoutMs` passes. Fresh samples
   * take a few hundred milliseconds to become searchable.
   */
  async waitForSamples(selector: string, expected: number, timeoutMs = 5000): Promise<ExportedSeries[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const series = await this.export(selector);
      const total = sampleCount(series);
      if (total >= expected || Date.now() > deadline) return series;
      await sleep(100);
    }
  }

  /** InfluxDB write requests served since this process started (VictoriaMetrics' own counter). */
  async influxWriteRequests(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('vm_http_requests_total{path="/influx/write"'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }
}

export function sampleCount(series: ExportedSeries[]): number {
  return series.reduce((n, s) => n + s.values.length, 0);
}
