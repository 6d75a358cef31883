import type { StoredEvent } from './event.ts';

export type EventSubscriber = (event: StoredEvent) => void | Promise<void>;

/**
 * Delivers stored events to subscribers (alarms, notifications, the live UI)
 * in the order they were published. Each subscriber has its own queue, so a
 * slow one does not hold up the others, and a failing one is logged and skips
 * only that event: the event itself is already stored.
 */
export class EventBus {
  private readonly subscribers = new Map<string, { handler: EventSubscriber; tail: Promise<void> }>();

  constructor(private readonly onSubscriberError: (name: string, event: StoredEvent, err: unknown) => void = logError) {}

  subscribe(name: string, handler: EventSubscriber): () => void {
    if (this.subscribers.has(name)) throw new Error(`event subscriber "${name}" already exists`);
    this.subscribers.set(name, { handler, tail: Promise.resolve() });
    return () => this.subscribers.delete(name);
  }

  publish(events: readonly StoredEvent[]): void {
    for (const [name, entry] of this.subscribers) {
      for (const event of events) {
        entry.tail = entry.tail.then(async () => {
          try {
            await entry.handler(event);
          } catch (err) {
            this.onSubscriberError(name, event, err);
          }
        });
      }
    }
  }

  /** Resolves once every event published so far has reached every subscriber. */
  async drain(): Promise<void> {
    await Promise.all([...this.subscribers.values()].map((s) => s.tail));
  }
}

function logError(name: string, event: StoredEvent, err: unknown): void {
  console.error(`event subscriber "${name}" failed on event ${event.id} (${event.uei}):`, err);
}
