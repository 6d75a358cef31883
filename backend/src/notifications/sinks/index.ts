import type { NotificationSinkConfig } from '../rules.ts';
import { EmailSink } from './email.ts';
import type { NotificationSink } from './sink.ts';
import { WebhookSink } from './webhook.ts';

export type { NotificationSink } from './sink.ts';
export { EmailSink, type EmailSinkOptions } from './email.ts';
export { WebhookSink, type WebhookSinkOptions } from './webhook.ts';

/** The sink a configuration describes. */
export function createSink(config: NotificationSinkConfig): NotificationSink {
  switch (config.type) {
    case 'webhook':
      return new WebhookSink(config);
    case 'email':
      return new EmailSink(config);
  }
}
