/**
 * The pollers connected to this process right now, by monitor id, so the
 * backend can send them hints (configurationChanged, statusChanged). Hints are
 * best effort: a poller that misses one learns the same at its next check-in.
 * Each connection is also told to the tracker, which keeps the connections of
 * every instance in the database (what the REST API shows).
 */
import type { NotificationName, NotificationParams } from '@vantage/common';
import type { ConnectionTracker, PollerTransport } from '../cluster/poller-connections.ts';
import type { PollerNotifier } from '../location-monitors/location-monitor-service.ts';

export interface PollerConnection {
  transport: PollerTransport;
  send(message: string): void;
  /** Ends the connection, telling the peer why (absent for the in-process local poller). */
  close?(reason: string): void;
}

export class ConnectionRegistry implements PollerNotifier {
  private readonly byMonitor = new Map<string, Set<PollerConnection>>();
  private tracker: ConnectionTracker | undefined;

  /** Tells `tracker` of every connection from now on; set once the instance is registered, before any poller can connect. */
  track(tracker: ConnectionTracker): void {
    if (this.byMonitor.size > 0) throw new Error('connections must be tracked from the first one on');
    this.tracker = tracker;
  }

  add(monitorId: string, connection: PollerConnection): () => void {
    let set = this.byMonitor.get(monitorId);
    if (!set) this.byMonitor.set(monitorId, (set = new Set()));
    set.add(connection);
    const closed = this.tracker?.opened(monitorId, connection.transport);
    return () => {
      closed?.();
      set.delete(connection);
      if (set.size === 0) this.byMonitor.delete(monitorId);
    };
  }

  /** Connected to this process (the REST API asks the database, which knows every instance's). */
  isConnected(monitorId: string): boolean {
    return this.byMonitor.has(monitorId);
  }

  /** Closes every connection of the monitor: its credentials were revoked, so what it holds open must not go on serving it. */
  disconnect(monitorId: string, reason: string): void {
    for (const connection of this.byMonitor.get(monitorId) ?? []) connection.close?.(reason);
  }

  notify<N extends NotificationName>(monitorId: string, name: N, params: NotificationParams<N>): void {
    const connections = this.byMonitor.get(monitorId);
    if (!connections) return;
    const message = JSON.stringify({ jsonrpc: '2.0', method: name, params });
    for (const connection of connections) connection.send(message);
  }
}
