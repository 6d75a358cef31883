/**
 * What every notification sink is: it delivers one notification or rejects
 * with an Error that says what failed. Retrying, backing off and
 * dead-lettering are the dispatcher's. One file per kind of sink beside this
 * one (webhook.ts, email.ts), and one line each in `createSink` (index.ts).
 */
import type { Notification } from '../message.ts';

export interface NotificationSink {
  readonly name: string;
  /** Resolves once the notification is delivered; rejects with an Error whose message says what failed. */
  deliver(notification: Notification): Promise<void>;
  /** Releases connections; the dispatcher never calls it, whoever made the sink does. */
  close?(): void;
}
