import { webhookBody, type Notification } from '../message.ts';
import type { WebhookSinkConfig } from '../rules.ts';
import { bodyExcerpt, codeOf, displayUrl, errorMessage, knownNetworkError } from './delivery-errors.ts';
import type { NotificationSink } from './sink.ts';

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

