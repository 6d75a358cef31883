/**
 * Wires notification delivery into a running backend: the dispatcher over the
 * database outbox, sinks from the configuration in force (replaced on reload),
 * woken when the bus says events were committed.
 */
import type { EventBus } from '@vantage/events';
import type { Logger } from '@vantage/runtime';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { PollingConfig } from '../config/polling-config.ts';
import type { Database } from '../db/database.ts';
import { NotificationDispatcher } from './dispatcher.ts';
import { DbOutboxStore } from './outbox-store.ts';
import { createSink } from './sinks/index.ts';

export interface NotificationRetry {
  /** Attempts before a dead letter (default 8). */
  maxAttempts?: number;
  initialMs?: number;
  maxMs?: number;
}

export async function startNotifications(
  db: Database,
  configs: ConfigHolder,
  bus: EventBus,
  retry: NotificationRetry,
  log: Logger,
): Promise<{ outbox: DbOutboxStore; dispatcher: NotificationDispatcher }> {
  const outbox = new DbOutboxStore(db);
  const released = await outbox.releaseStaleClaims();
  if (released > 0) log.info(`${released} notification${released === 1 ? '' : 's'} left in flight by an earlier run will be delivered again`);
  const sinksOf = (c: PollingConfig) => [...c.notificationSinks.values()].map((sink) => createSink(sink));
  const dispatcher = new NotificationDispatcher(outbox, sinksOf(configs.config), {
    maxAttempts: retry.maxAttempts,
    backoff: { initialMs: retry.initialMs, maxMs: retry.maxMs },
    log,
  });
  dispatcher.start();
  configs.onReplaced((next) => dispatcher.setSinks(sinksOf(next)));
  // Notifications are in the outbox once their event is committed; the bus says when.
  bus.subscribe('notifications', () => dispatcher.wake());
  return { outbox, dispatcher };
}
