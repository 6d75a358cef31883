/**
 * The sinks: they deliver one notification or reject with an Error that says
 * what failed. Retrying, backing off and dead-lettering are the dispatcher's.
 */
import { NETWORK_ERROR_WORDS } from '@vantage/common';
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';
import { emailSubject, emailText, webhookBody, type Notification } from './notification.ts';
import type { EmailSinkConfig, NotificationSinkConfig, WebhookSinkConfig } from './rules.ts';

export interface NotificationSink {
  readonly name: string;
  /** Resolves once the notification is delivered; rejects with an Error whose message says what failed. */
  deliver(notification: Notification): Promise<void>;
  /** Releases connections; the dispatcher never calls it, whoever made the sink does. */
  close?(): void;
}

/** Operators read these in the dead-letter list; errno names mean little to most of them. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ...NETWORK_ERROR_WORDS,
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function knownNetworkError(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(NETWORK_ERRORS, code) ? NETWORK_ERRORS[code] : undefined;
}

/** The errno-like code of an error or its cause (fetch wraps the socket's error; happy eyeballs aggregates several). */
function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      e = errors[0];
      continue;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The URL as it may appear in an error: no user, password or query string. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return url;
  }
}

/** Up to `maxChars` of a response body on one line, for the error message. */
async function bodyExcerpt(response: Response, maxChars = 200): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxChars * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks)).replace(/\s+/g, ' ').trim();
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

export interface WebhookSinkOptions {
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Sent unless the configured headers set their own. */
  userAgent?: string;
}

/**
 * POSTs the event as JSON ({@link webhookBody}). A 2xx reply is delivered;
 * anything else (a redirect too: it is not followed) or a network error fails:
 * `HTTP 503 from https://host/path: <start of the body>`, `connection refused (https://host/path)`,
 * `timeout after 5000 ms (https://host/path)`.
 */
export class WebhookSink implements NotificationSink {
  readonly name: string;
  private readonly fetch: typeof fetch;
  private readonly userAgent: string;

  constructor(
    private readonly config: WebhookSinkConfig,
    options: WebhookSinkOptions = {},
  ) {
    this.name = config.name;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent ?? 'Vantage';
  }

  async deliver(notification: Notification): Promise<void> {
    const { url, timeoutMs } = this.config;
    const headers = new Headers({ 'content-type': 'application/json', 'user-agent': this.userAgent });
    // fetch refuses a URL with credentials in it: they become Basic authentication.
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new Error(`invalid webhook URL "${url}"`);
    }
    if (target.username || target.password) {
      const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
      target.username = '';
      target.password = '';
    }
    for (const [name, value] of Object.entries(this.config.headers)) headers.set(name, value);
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(target, {
        method: 'POST',
        headers,
        body: JSON.stringify(webhookBody(notification.event)),
        signal,
        redirect: 'manual',
      });
    } catch (err) {
      throw new Error(`${this.requestFailure(err, signal)} (${displayUrl(url)})`, { cause: err });
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return;
    }
    const excerpt = await bodyExcerpt(response).catch(() => '');
    throw new Error(`HTTP ${response.status} from ${displayUrl(url)}${excerpt ? `: ${excerpt}` : ''}`);
  }

  private requestFailure(err: unknown, signal: AbortSignal): string {
    // Once the signal has fired, whatever the socket reports is a consequence of it.
    if (signal.aborted) return `timeout after ${this.config.timeoutMs} ms`;
    const code = codeOf(err);
    const known = knownNetworkError(code);
    if (known) return known;
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    const message = cause ? cause.message : errorMessage(err);
    return code && !message.includes(code) ? `${code}: ${message}` : message;
  }
}

export interface EmailSinkOptions {
  /** Limit for one message: connecting, greeting, each reply, and the whole send. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Mails the event (subject {@link emailSubject}, plain text {@link emailText})
 * through the configured SMTP server, one connection per message. Failures say
 * which server and carry its reply: `SMTP mail.example.com:25: Can't send mail -
 * all recipients were rejected: 550 5.1.1 <ops@example.com>: no such user`.
 * A message some recipients accepted counts as delivered: sending it again would
 * reach those twice.
 */
export class EmailSink implements NotificationSink {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly transport: ReturnType<typeof createSmtpTransport>;

  constructor(
    private readonly config: EmailSinkConfig,
    options: EmailSinkOptions = {},
  ) {
    this.name = config.name;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.transport = createSmtpTransport(config, this.timeoutMs);
  }

  async deliver(notification: Notification): Promise<void> {
    const { event } = notification;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      await this.transport.sendMail({
        from: this.config.from,
        to: this.config.to,
        subject: emailSubject(event),
        text: emailText(event),
        signal,
      });
    } catch (err) {
      throw new Error(`SMTP ${this.config.smtpHost}:${this.config.smtpPort}: ${this.sendFailure(err, signal)}`, { cause: err });
    }
  }

  close(): void {
    this.transport.close();
  }

  private sendFailure(err: unknown, signal: AbortSignal): string {
    if (signal.aborted) return `timeout after ${this.timeoutMs} ms`;
    const e = err as NodemailerError;
    // An SMTP reply is the most useful thing to show, and nodemailer's message carries it.
    if (e.response) return errorMessage(err);
    if (e.code === 'ETIMEDOUT') return `timeout after ${this.timeoutMs} ms`;
    const known = knownNetworkError(e.originalCode) ?? knownNetworkError(e.code);
    return known ?? errorMessage(err);
  }
}

function createSmtpTransport(config: EmailSinkConfig, timeoutMs: number) {
  return nodemailer.createTransport({
    host: config.smtpHost,
    port: config.smtpPort,
    secure: config.secure,
    auth: config.user !== undefined ? { user: config.user, pass: config.password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

/** The sink a configuration describes. */
export function createSink(config: NotificationSinkConfig): NotificationSink {
  switch (config.type) {
    case 'webhook':
      return new WebhookSink(config);
    case 'email':
      return new EmailSink(config);
  }
}
