/**
 * Wires notification delivery into a running backend: the dispatcher over the
 * database outbox, claiming as this instance, sinks from the configuration in
 * force (replaced on reload), woken when the bus says events were committed
 * (by this instance or, relayed, by another). Nothing is released at start:
 * claims left by a dead instance, or an earlier run of this one, expire with
 * their lease and are taken over by whichever instance claims next.
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

export function startNotifications(
  db: Database,
  configs: ConfigHolder,
  bus: EventBus,
  retry: NotificationRetry,
  /** The instance id: the owner of this process's claims. */
  claimant: string,
  log: Logger,
): { outbox: DbOutboxStore; dispatcher: NotificationDispatcher } {
  const outbox = new DbOutboxStore(db, {
    claimant,
    onTakeover: (n, former) =>
      log.warn(`notification ${n.id} (event ${n.event.id} ${n.event.uei}) to "${n.sink}": the claim of ${former ?? 'an earlier version'} expired unfinished; delivering it again`),
  });
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
