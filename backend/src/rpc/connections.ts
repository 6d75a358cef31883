/**
 * The pollers connected right now, by monitor id, so the backend can send
 * them hints (configurationChanged, statusChanged). Hints are best effort:
 * a poller that misses one learns the same at its next check-in.
 */
import type { NotificationName, NotificationParams } from '@vantage/common';
import type { PollerNotifier } from '../location-monitors/location-monitor-service.ts';

export interface PollerConnection {
  send(message: string): void;
  /** Ends the connection, telling the peer why (absent for the in-process local poller). */
  close?(reason: string): void;
}

export class ConnectionRegistry implements PollerNotifier {
  private readonly byMonitor = new Map<string, Set<PollerConnection>>();

  add(monitorId: string, connection: PollerConnection): () => void {
    let set = this.byMonitor.get(monitorId);
    if (!set) this.byMonitor.set(monitorId, (set = new Set()));
    set.add(connection);
    return () => {
      set.delete(connection);
      if (set.size === 0) this.byMonitor.delete(monitorId);
    };
  }

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
