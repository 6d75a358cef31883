// The line protocols behind the TCP, SMTP, SSH, FTP, IMAP and POP3 monitors:
// connect (plain or TLS) under the caller's signal, read lines or wait for a
// pattern, send lines, close politely. Every way a step can fail becomes a
// ConversationFailure whose message is the DOWN reason, so a monitor's dialog
// reads as the protocol does and `converse` turns the result into an outcome.
import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import type { PollOutcome, PollTarget } from './monitor.ts';
import { elapsedMs, errorMessage, networkFailure, timeoutReason } from './outcomes.ts';

/** The most a conversation reads from a server: a check is not a download. */
export const MAX_RECEIVED_BYTES = 64 * 1024;

/** How long a polite close waits for the server to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** Server text quoted in a reason is cut to this many characters. */
const QUOTE_MAX_CHARS = 120;

export interface TlsOptions {
  /** Refuse certificates that do not chain to a trusted CA or do not name the server. */
  verifyServerCertificate: boolean;
  /** SNI and the name the certificate must carry; default the target host when it is a DNS name. */
  serverName: string | undefined;
}

/** Where and how to connect; the host comes from the poll target. */
export interface Endpoint {
  port: number;
  /** TLS from the first byte (not STARTTLS); absent for plain TCP. */
  tls?: TlsOptions | undefined;
}

/** A step of the conversation failed; the message is the DOWN reason. */
export class ConversationFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConversationFailure';
  }
}

/** Server text as a reason shows it: in double quotes, escaped, cut to a readable length. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > QUOTE_MAX_CHARS ? `${text.slice(0, QUOTE_MAX_CHARS)}…` : text);
}

/** A pattern as a reason shows it: `/source/`. */
export function shownPattern(pattern: RegExp): string {
  return `/${pattern.source}/`;
}

/**
 * Connects to `target.host`, runs `dialog` and closes the connection politely.
 * UP with the time from the start of the connect to the end of the dialog
 * (TLS handshake included); DOWN with the reason of the first failed step.
 * Resolves, never rejects, except for a bug in `dialog` (an error other than
 * {@link ConversationFailure}).
 */
export async function converse(
  target: PollTarget,
  signal: AbortSignal,
  endpoint: Endpoint,
  dialog: (conversation: LineConversation) => Promise<void>,
): Promise<PollOutcome> {
  if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(target.timeoutMs) };
  const start = performance.now();
  const opened = await open(target, signal, endpoint);
  if (!opened.ok) return opened.outcome;
  const { conversation } = opened;
  try {
    await dialog(conversation);
    return { status: 'UP', responseTimeMs: elapsedMs(start) };
  } catch (err) {
    if (err instanceof ConversationFailure) return { status: 'DOWN', reason: err.message };
    throw err;
  } finally {
    conversation.close();
  }
}

type Opened = { ok: true; conversation: LineConversation } | { ok: false; outcome: PollOutcome };

function open(target: PollTarget, signal: AbortSignal, endpoint: Endpoint): Promise<Opened> {
  return new Promise<Opened>((resolve) => {
    const raw = net.connect({ host: target.host, port: endpoint.port });
    let secure: tls.TLSSocket | undefined;
    let handshaking = false;
    let settled = false;

    const finish = (opened: Opened): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (!opened.ok) {
        secure?.destroy();
        raw.destroy();
      }
      resolve(opened);
    };
    const abortReason = (): string =>
      handshaking ? `TLS handshake not complete within ${target.timeoutMs} ms` : timeoutReason(target.timeoutMs);
    const onAbort = (): void => finish({ ok: false, outcome: { status: 'DOWN', reason: abortReason() } });
    // Left in place after a failure: a socket that errs with no listener would crash the process.
    const onError = (err: Error): void => {
      if (signal.aborted) return onAbort();
      finish({
        ok: false,
        outcome: handshaking
          ? { status: 'DOWN', reason: `TLS handshake failed: ${tlsErrorText(err)}` }
          : networkFailure(err, signal, target.timeoutMs),
      });
    };

    signal.addEventListener('abort', onAbort);
    raw.on('error', onError);
    raw.once('connect', () => {
      if (settled) return;
      if (!endpoint.tls) {
        raw.off('error', onError);
        finish({ ok: true, conversation: new LineConversation(raw, raw, signal, target.timeoutMs) });
        return;
      }
      handshaking = true;
      const { verifyServerCertificate, serverName } = endpoint.tls;
      const servername = serverName ?? (net.isIP(target.host) ? undefined : target.host);
      secure = tls.connect({
        socket: raw,
        host: target.host,
        ...(servername === undefined ? {} : { servername }),
        rejectUnauthorized: verifyServerCertificate,
      });
      const socket = secure;
      socket.on('error', onError);
      socket.once('secureConnect', () => {
        if (settled) return;
        raw.off('error', onError);
        socket.off('error', onError);
        finish({ ok: true, conversation: new LineConversation(socket, raw, signal, target.timeoutMs) });
      });
    });
  });
}

/** OpenSSL's short reason ("wrong version number") rather than its long error string. */
function tlsErrorText(err: Error): string {
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : errorMessage(err);
}

/** What a wait says when what it waits for does not come. */
interface Missing {
  timeout(): string;
  closed(): string;
  overflow(): string;
}

/** A three-digit reply (SMTP, FTP): its code, undefined when the reply has none, and its last line. */
export interface CodedReply {
  code: number | undefined;
  text: string;
}

/**
 * An open connection read as text lines (UTF-8, "\n" or "\r\n"). One read at a
 * time; at most {@link MAX_RECEIVED_BYTES} are read over the whole conversation.
 */
export class LineConversation {
  readonly #socket: net.Socket;
  readonly #raw: net.Socket;
  readonly #signal: AbortSignal;
  readonly #timeoutMs: number;
  readonly #decoder = new StringDecoder('utf8');
  /** Received and not consumed yet. */
  #buffer = '';
  #receivedBytes = 0;
  #overflowed = false;
  /** The server closed its side (FIN, or TLS close). */
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #closing = false;
  #wake: (() => void) | undefined;

  constructor(socket: net.Socket, raw: net.Socket, signal: AbortSignal, timeoutMs: number) {
    this.#socket = socket;
    this.#raw = raw;
    this.#signal = signal;
    this.#timeoutMs = timeoutMs;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#buffer += this.#decoder.end();
      this.#ended = true;
      this.#notify();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
    const onError = (err: Error): void => {
      this.#error ??= err;
      this.#notify();
    };
    socket.on('error', onError);
    if (raw !== socket) raw.on('error', onError);
    signal.addEventListener('abort', this.#onAbort);
  }

  /**
   * The next line, without its line end; at the end of the stream, the text
   * left after the last line end. `what` names the awaited line in reasons:
   * "no WHAT within N ms", "connection closed before the WHAT arrived".
   */
  readLine(what: string): Promise<string> {
    return this.#wait(() => this.#takeLine(), {
      timeout: () => `no ${what} within ${this.#timeoutMs} ms`,
      closed: () => `connection closed before the ${what} arrived`,
      overflow: () => `no ${what} in the first ${MAX_RECEIVED_BYTES / 1024} KiB received`,
    });
  }

  /**
   * A reply of SMTP or FTP: "250 text", or a multi-line one from "250-text" to
   * the line that starts with the same code and a space.
   */
  async readCodedReply(what: string): Promise<CodedReply> {
    const first = await this.readLine(what);
    const multiLine = /^(\d{3})-/.exec(first);
    if (!multiLine) {
      const single = /^(\d{3})(?:\s|$)/.exec(first);
      return { code: single ? Number(single[1]) : undefined, text: first };
    }
    const code = multiLine[1]!;
    for (;;) {
      const line = await this.readLine(what);
      if (line === code || line.startsWith(`${code} `)) return { code: Number(code), text: line };
    }
  }

  /**
   * Waits until `pattern` matches the text received and not consumed yet
   * ("\r\n" read as "\n"; no line end needed), then consumes that text and
   * returns the match. `subject` names what is awaited in reasons, e.g. `"PONG"`.
   */
  expect(pattern: RegExp, subject: string): Promise<string> {
    const received = (): string => {
      const text = this.#buffer.trim();
      return text === '' ? '' : ` (received ${quoted(text)})`;
    };
    return this.#wait(
      () => {
        const match = pattern.exec(this.#buffer.replace(/\r\n/g, '\n'));
        if (!match) return undefined;
        this.#buffer = '';
        return match[0];
      },
      {
        timeout: () => `${subject} did not arrive within ${this.#timeoutMs} ms${received()}`,
        closed: () => `connection closed before ${subject} arrived${received()}`,
        overflow: () => `${subject} did not arrive in the first ${MAX_RECEIVED_BYTES / 1024} KiB received`,
      },
    );
  }

  /**
   * Sends `text` as it is. A write that fails shows in the next read; nothing
   * is sent once the connection is closing or gone.
   */
  send(text: string): void {
    if (this.#socket.writable && !this.#closing) this.#socket.write(text);
  }

  /** Sends `line` and "\r\n". */
  sendLine(line: string): void {
    this.send(`${line}\r\n`);
  }

  /**
   * Closes politely: ends our side (TLS close_notify, then FIN) and lets the
   * server close its own; destroys the socket if it has not within a second.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    if (this.#socket.destroyed) {
      this.#destroy();
      return;
    }
    const timer = setTimeout(() => this.#destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.#socket.once('close', () => clearTimeout(timer));
    this.#socket.end();
  }

  readonly #onAbort = (): void => {
    this.#destroy();
    this.#notify();
  };

  #destroy(): void {
    this.#socket.destroy();
    this.#raw.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#overflowed) return;
    const room = MAX_RECEIVED_BYTES - this.#receivedBytes;
    if (chunk.length > room) {
      this.#buffer += this.#decoder.write(chunk.subarray(0, room));
      this.#receivedBytes = MAX_RECEIVED_BYTES;
      this.#overflowed = true;
      this.#destroy();
    } else {
      this.#buffer += this.#decoder.write(chunk);
      this.#receivedBytes += chunk.length;
    }
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #takeLine(): string | undefined {
    const end = this.#buffer.indexOf('\n');
    let line: string;
    if (end >= 0) {
      line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 1);
    } else if (this.#ended && this.#buffer !== '') {
      line = this.#buffer;
      this.#buffer = '';
    } else {
      return undefined;
    }
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }

  /**
   * Takes what `take` finds in the received text, waiting for more as long as
   * more may come. What arrived is used even when the signal has aborted since.
   */
  async #wait<T>(take: () => T | undefined, missing: Missing): Promise<T> {
    for (;;) {
      const taken = take();
      if (taken !== undefined) return taken;
      if (this.#signal.aborted) throw new ConversationFailure(missing.timeout());
      if (this.#overflowed) throw new ConversationFailure(missing.overflow());
      // Before the error: writing to a connection the server has closed fails
      // too, and "closed before" says more than that write error.
      if (this.#ended) throw new ConversationFailure(missing.closed());
      if (this.#error) {
        throw new ConversationFailure(networkFailure(this.#error, this.#signal, this.#timeoutMs).reason ?? '');
      }
      if (this.#closed || this.#closing) throw new ConversationFailure(missing.closed());
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
