/**
 * Counts the WebSocket connections open (or being opened) and says whether
 * one more may come in: in all, from its source address, and without
 * credentials (ServerLimits). A slot is taken before the upgrade is accepted
 * (and before credentials are checked, which takes a database round trip),
 * so a burst of upgrades cannot slip past the counts together.
 */
import type { ServerLimits } from '../server-limits.ts';

export interface ConnectionSlot {
  /** Gives the slot back; calling it again does nothing. */
  release(): void;
}

/** Why an upgrade is refused: the HTTP status line to answer with. */
export interface SlotRefusal {
  status: '429 Too Many Requests' | '503 Service Unavailable';
  reason: string;
}

type SlotLimits = Pick<ServerLimits, 'maxConnections' | 'maxConnectionsPerAddress' | 'maxUnauthenticatedConnections'>;

export class ConnectionSlots {
  private total = 0;
  private unauthenticated = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: SlotLimits) {}

  take(address: string, authenticated: boolean): ConnectionSlot | SlotRefusal {
    if (this.total >= this.limits.maxConnections) {
      return { status: '503 Service Unavailable', reason: `${this.total} connections open, the most this backend takes (maxConnections)` };
    }
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.maxConnectionsPerAddress) {
      return { status: '429 Too Many Requests', reason: `${fromAddress} connections open from ${address} (maxConnectionsPerAddress)` };
    }
    if (!authenticated && this.unauthenticated >= this.limits.maxUnauthenticatedConnections) {
      return { status: '503 Service Unavailable', reason: `${this.unauthenticated} connections without credentials open (maxUnauthenticatedConnections)` };
    }
    this.total++;
    this.byAddress.set(address, fromAddress + 1);
    if (!authenticated) this.unauthenticated++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.total--;
        const left = (this.byAddress.get(address) ?? 1) - 1;
        if (left > 0) this.byAddress.set(address, left);
        else this.byAddress.delete(address);
        if (!authenticated) this.unauthenticated--;
      },
    };
  }

  /** Connections counted right now, for tests and logs. */
  get open(): number {
    return this.total;
  }
}
