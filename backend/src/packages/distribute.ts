/**
 * A `distribute` location's services split among its members (its STARTED,
 * unpaused monitors) by rendezvous hashing (rendezvous.ts), and each
 * member's share as the package it polls, with a version of its own.
 *
 * Computing a split costs services × members hash steps (a few ms for
 * 100,000 × 10), so it is never done per call: each location's
 * `LocationShares` belongs to one configuration (it is rebuilt with the
 * packages) and keeps the splits of the last few memberships it was asked
 * about. The ingest, check-ins and package fetches then cost a map lookup.
 */
import { createHash } from 'node:crypto';
import type { PollingPackage, PolledService } from '@vantage/common';
import { assignServices, hashKey } from './rendezvous.ts';

/**
 * Splits kept per location and configuration. A membership change makes a
 * new one; a monitor fetching its package while not (yet) a member asks for
 * the split with itself added. Four covers both and a change racing them.
 */
export const MAX_CACHED_SPLITS = 4;

/** One member's share: what it polls. */
export interface Share {
  /** Changes only when the services of the share (or the location's package) change. */
  version: string;
  package: PollingPackage;
}

/** The split of one location's services among one membership. */
export class Split {
  private readonly shares = new Map<string, Share>();
  private readonly sizes: number[];

  constructor(
    private readonly location: LocationShares,
    /** Sorted, without duplicates. */
    readonly members: readonly string[],
    /** Per service (in the package's order), the index of its member. */
    private readonly owners: Uint32Array,
  ) {
    this.sizes = members.map(() => 0);
    if (members.length > 0) for (const owner of owners) this.sizes[owner]!++;
  }

  /** The member that polls a service; undefined when there are no members or the service is not in the location. */
  holderOf(serviceId: string): string | undefined {
    if (this.members.length === 0) return undefined;
    const index = this.location.indexOf(serviceId);
    return index === undefined ? undefined : this.members[this.owners[index]!];
  }

  /** How many services a member polls (0 for a monitor that is not a member). */
  sizeOf(monitorId: string): number {
    const index = this.members.indexOf(monitorId);
    return index < 0 ? 0 : this.sizes[index]!;
  }

  /** Each member's number of services. */
  shareSizes(): Record<string, number> {
    return Object.fromEntries(this.members.map((id, i) => [id, this.sizes[i]!]));
  }

  /** A member's package and version (an empty share for a monitor that is not a member). Built once per member. */
  shareOf(monitorId: string): Share {
    let share = this.shares.get(monitorId);
    if (!share) {
      const member = this.members.indexOf(monitorId);
      const services: PolledService[] = [];
      if (member >= 0) {
        const all = this.location.pkg.services;
        for (let i = 0; i < all.length; i++) if (this.owners[i] === member) services.push(all[i]!);
      }
      share = { version: this.location.versionOf(services), package: { ...this.location.pkg, services } };
      this.shares.set(monitorId, share);
    }
    return share;
  }
}

/** The splits of one location's package (one configuration of it). */
export class LocationShares {
  private hashes: Uint32Array | undefined;
  private indexById: Map<string, number> | undefined;
  /** Most recently used last. */
  private readonly recent: Split[] = [];

  constructor(
    readonly pkg: PollingPackage,
    /** The location's whole package version: a share's version derives from it. */
    private readonly packageVersion: string,
  ) {}

  /** The split among these members (any order, duplicates ignored). */
  splitFor(memberIds: Iterable<string>): Split {
    const members = [...new Set(memberIds)].sort();
    const key = members.join('\n');
    const at = this.recent.findIndex((s) => s.members.join('\n') === key);
    if (at >= 0) {
      const [split] = this.recent.splice(at, 1);
      this.recent.push(split!);
      return split!;
    }
    this.hashes ??= Uint32Array.from(this.pkg.services, (s) => hashKey(s.serviceId));
    const split = new Split(this, members, assignServices(this.hashes, members));
    this.recent.push(split);
    if (this.recent.length > MAX_CACHED_SPLITS) this.recent.shift();
    return split;
  }

  /** A service's position in the package, or undefined when the location does not poll it. */
  indexOf(serviceId: string): number | undefined {
    this.indexById ??= new Map(this.pkg.services.map((s, i) => [s.serviceId, i]));
    return this.indexById.get(serviceId);
  }

  /**
   * A share's version: the location's package version (so any change of
   * the package or of the settings changes it) and which services the share
   * holds (so a membership change changes only the shares that changed).
   */
  versionOf(services: readonly PolledService[]): string {
    const hash = createHash('sha256').update(this.packageVersion);
    for (const s of services) hash.update('\n').update(s.serviceId);
    return `share-${hash.digest('base64url').slice(0, 16)}`;
  }
}
