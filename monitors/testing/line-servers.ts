// Servers that speak just enough of a line protocol for the tests of the
// TCP, SMTP, SSH, FTP, IMAP and POP3 monitors, and the cases they share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { PollOutcome, ServiceMonitor } from '../src/monitor.ts';
import { closedPort, parseAndPoll, pollLocal, start, startSilentServer, type RunningServer } from './servers.ts';

/** In a reply: close the connection (our side: FIN, or TLS close then FIN). */
export const CLOSE = Symbol('close');

/** Text sent as it is, CLOSE, or several of those in turn. */
export type Reply = string | typeof CLOSE | ReadonlyArray<string | typeof CLOSE>;

/** What a test server does. */
export interface Dialog {
  /** Sent on accepting a connection; absent: the server waits, silent. */
  greeting?: Reply;
  /**
   * The reply to each line received that starts with the key (the first key
   * that fits); a line no key fits gets no answer.
   */
  replies?: Readonly<Record<string, Reply>>;
}

export interface DialogServer extends RunningServer {
  /** Every line received, without its line end, over all connections. */
  lines: string[];
  /** Over TLS, the SNI each connection asked for (false: none). */
  serverNames: Array<string | false>;
  /** Resolves once every connection accepted so far has closed. */
  idle(): Promise<void>;
}

/** Lines with "\r\n" after each, as the wire carries them. */
export function crlf(...lines: string[]): string {
  return lines.map((line) => `${line}\r\n`).join('');
}

/** A server on 127.0.0.1, port 0, that follows `dialog`; over TLS when given a key and certificate. */
export async function startDialogServer(dialog: Dialog, tlsOptions?: tls.TlsOptions): Promise<DialogServer> {
  const lines: string[] = [];
  const serverNames: Array<string | false> = [];
  const open = new Set<net.Socket>();
  let waiters: Array<() => void> = [];

  const handle = (socket: net.Socket): void => {
    // A client that resets the connection must not crash the test process.
    socket.on('error', () => {});
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      if (open.size === 0) {
        for (const resolve of waiters) resolve();
        waiters = [];
      }
    });
    if (socket instanceof tls.TLSSocket) serverNames.push(socket.servername ?? false);

    const send = (reply: Reply): void => {
      const parts: ReadonlyArray<string | typeof CLOSE> =
        typeof reply === 'string' || reply === CLOSE ? [reply] : reply;
      for (const part of parts) {
        if (socket.writableEnded) return;
        if (part === CLOSE) socket.end();
        else socket.write(part);
      }
    };
    if (dialog.greeting !== undefined) send(dialog.greeting);

    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        lines.push(line);
        const key = Object.keys(dialog.replies ?? {}).find((prefix) => line.startsWith(prefix));
        if (key !== undefined) send(dialog.replies![key]!);
      }
    });
  };

  const server = tlsOptions ? tls.createServer(tlsOptions, handle) : net.createServer(handle);
  const running = await start(server);
  return {
    ...running,
    lines,
    serverNames,
    idle: () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

/** One case of a monitor against a dialog server. */
export interface DialogCase {
  name: string;
  dialog: Dialog;
  params?: Record<string, string>;
  /** The caller's timeout; default 2000 ms. */
  timeoutMs?: number;
  /** UP (any response time), or DOWN with this reason. */
  outcome: { status: 'UP' } | { status: 'DOWN'; reason: string };
  /** The lines the server must have received, once the connection has closed. */
  lines?: string[];
}

/** Asserts an UP outcome with a plausible response time. */
export function assertUp(outcome: PollOutcome): void {
  assert.equal(outcome.status, 'UP', outcome.reason);
  assert.equal(outcome.reason, undefined);
  const ms = outcome.responseTimeMs ?? -1;
  assert.ok(ms >= 0 && ms < 2000, `responseTimeMs ${outcome.responseTimeMs}`);
}

/** Registers one test per case: a fresh server, one poll, the outcome and what the server received. */
export function testDialogCases(monitor: ServiceMonitor, cases: readonly DialogCase[]): void {
  for (const c of cases) {
    void test(`${monitor.name}: ${c.outcome.status}, ${c.name}`, async (t) => {
      const server = await startDialogServer(c.dialog);
      t.after(() => server.close());

      const outcome = await pollLocal(monitor, { port: String(server.port), ...c.params }, c.timeoutMs);

      if (c.outcome.status === 'UP') assertUp(outcome);
      else assert.deepEqual(outcome, c.outcome);
      if (c.lines) {
        await server.idle();
        assert.deepEqual(server.lines, c.lines);
      }
    });
  }
}

/**
 * The cases every line-protocol monitor shares: refused, closed before the
 * greeting, silent past the timeout, aborted before the start, bad port.
 */
export function testCommonFailures(monitor: ServiceMonitor, greeting: string): void {
  const name = monitor.name;

  void test(`${name}: DOWN "connection refused" when nothing listens`, async () => {
    const port = await closedPort();
    assert.deepEqual(await pollLocal(monitor, { port: String(port) }), {
      status: 'DOWN',
      reason: 'connection refused',
    });
  });

  void test(`${name}: DOWN when the server closes before its ${greeting}`, async (t) => {
    const server = await startDialogServer({ greeting: CLOSE });
    t.after(() => server.close());
    assert.deepEqual(await pollLocal(monitor, { port: String(server.port) }), {
      status: 'DOWN',
      reason: `connection closed before the ${greeting} arrived`,
    });
  });

  void test(`${name}: DOWN when a silent server lets the timeout run out`, async (t) => {
    const server = await startSilentServer();
    t.after(() => server.close());
    assert.deepEqual(await pollLocal(monitor, { port: String(server.port) }, 200), {
      status: 'DOWN',
      reason: `no ${greeting} within 200 ms`,
    });
  });

  void test(`${name}: DOWN with the timeout reason when the signal has aborted before the start`, async (t) => {
    const server = await startSilentServer();
    t.after(() => server.close());
    const target = { host: '127.0.0.1', params: { port: String(server.port) }, timeoutMs: 1234 };
    assert.deepEqual(await parseAndPoll(monitor, target, AbortSignal.abort()), {
      status: 'DOWN',
      reason: 'timeout after 1234 ms',
    });
  });

  for (const port of ['abc', '0', '65536', '-1']) {
    void test(`${name}: UNKNOWN for port "${port}"`, async () => {
      assert.deepEqual(await pollLocal(monitor, { port }), {
        status: 'UNKNOWN',
        reason: `parameter "port" must be an integer from 1 to 65535, got "${port}"`,
      });
    });
  }
}
