export type { NotificationRule, NotificationSinkConfig, WebhookSinkConfig, EmailSinkConfig } from './rules.ts';
export { matchingSinks, ruleMatches, ueiMatches, severityRank, notificationConfigProblems } from './rules.ts';
export type { Notification, WebhookBody } from './notification.ts';
export { webhookBody, emailSubject, emailText, describeEvent } from './notification.ts';
export type { NotificationSink, WebhookSinkOptions, EmailSinkOptions } from './sinks.ts';
export { WebhookSink, EmailSink, createSink } from './sinks.ts';
export type { OutboxStore, DispatcherOptions, DispatcherClock, DispatcherLog, BackoffOptions, DeadLetter } from './dispatcher.ts';
export { NotificationDispatcher, InMemoryOutboxStore, backoffDelayMs } from './dispatcher.ts';
