import type { NodemailerError, Transporter } from 'nodemailer';
import { emailSubject, emailText, type Notification } from '../message.ts';
import type { EmailSinkConfig } from '../rules.ts';
import { errorMessage, knownNetworkError } from './delivery-errors.ts';
import type { NotificationSink } from './sink.ts';

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
  // Made at the first notification: nodemailer is loaded then, not at every start.
  private transport: Promise<Transporter> | undefined;

  constructor(
    private readonly config: EmailSinkConfig,
    options: EmailSinkOptions = {},
  ) {
    this.name = config.name;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async deliver(notification: Notification): Promise<void> {
    const { event } = notification;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      this.transport ??= createSmtpTransport(this.config, this.timeoutMs);
      await (await this.transport).sendMail({
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
    // A transport that never came to be has nothing to close (its failure was reported by deliver).
    void this.transport?.then((transport) => transport.close(), () => undefined);
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

async function createSmtpTransport(config: EmailSinkConfig, timeoutMs: number): Promise<Transporter> {
  const { default: nodemailer } = await import('nodemailer');
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

