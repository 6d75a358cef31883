/**
 * Whether a registerLocationMonitor call from an address is admitted, and
 * as what: the address's allowance of calls, the deny list by address, the
 * location's registration token (with the back-off after wrong ones), and
 * room for one more monitor waiting for approval. Each refusal is a
 * ProtocolError the poller knows what to do with: -32010 with retryAfterMs
 * (wait, then try again) or -32003 (stop).
 */
import { ErrorCode, ProtocolError, type OverloadedErrorData } from '@vantage/common';
import type { EntityManager } from 'typeorm';
import type { BlockedAddressStore } from './blocked-addresses.ts';
import { RegistrationLimiter, type Refusal } from './registration-limiter.ts';
import type { RegistrationLimits } from './registration-limits.ts';
import type { RegistrationTokenStore } from './registration-tokens.ts';

/** Registrations that would add a pending monitor take turns under this lock, so counting and inserting are one step. */
const PENDING_LOCK = 'vantage.pending-registrations';

export class RegistrationAdmission {
  private readonly limiter: RegistrationLimiter;

  constructor(
    private readonly limits: RegistrationLimits,
    private readonly tokens: RegistrationTokenStore,
    private readonly blocked: BlockedAddressStore,
    now: () => number = Date.now,
  ) {
    this.limiter = new RegistrationLimiter(limits, now);
  }

  /** First thing for every call: its share of the address's allowance. */
  takeCall(address: string): void {
    const refusal = this.limiter.takeCall(address);
    if (refusal) throw overloaded(refusal);
  }

  /** The deny list, then the token: REGISTERED with the location's token, PENDING without one. */
  async decide(location: string, token: string | undefined, address: string): Promise<'REGISTERED' | 'PENDING'> {
    if (await this.blocked.isBlocked(address)) {
      throw new ProtocolError(ErrorCode.Forbidden, `registrations from ${address} are blocked by an administrator`);
    }
    if (token === undefined) return 'PENDING';
    const check = this.limiter.beginTokenCheck(address);
    if ('retryAfterMs' in check) throw overloaded(check);
    let verdict;
    try {
      verdict = await this.tokens.check(location, token);
    } catch (err) {
      check.finish('unchecked');
      throw err;
    }
    check.finish(verdict === 'accepted' ? 'accepted' : 'refused');
    switch (verdict) {
      case 'accepted':
        return 'REGISTERED';
      case 'wrong':
        throw new ProtocolError(ErrorCode.Forbidden, `wrong registration token for location "${location}"`);
      case 'revoked':
        throw new ProtocolError(ErrorCode.Forbidden, `this registration token of location "${location}" has been revoked; ask an administrator for the current one`);
      case 'location-has-none':
        throw new ProtocolError(ErrorCode.Forbidden, `location "${location}" takes no registration token; omit it and wait for approval`);
    }
  }

  /**
   * In the registration's transaction, before a pending monitor is inserted:
   * refused while its location or its address has as many waiting as allowed.
   */
  async ensurePendingRoom(manager: EntityManager, location: string, address: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [PENDING_LOCK]);
    const [counts] = (await manager.query(
      `SELECT count(*) FILTER (WHERE location = $1)::int AS "atLocation", count(*) FILTER (WHERE source_address = $2)::int AS "fromAddress"
         FROM location_monitor WHERE lifecycle = 'PENDING' AND (location = $1 OR source_address = $2)`,
      [location, address],
    )) as { atLocation: number; fromAddress: number }[];
    const retryAfterMs = this.limits.pendingFullRetryAfterMs;
    if (counts!.atLocation >= this.limits.maxPendingPerLocation) {
      throw overloaded({
        retryAfterMs,
        reason: `location "${location}" already has ${counts!.atLocation} monitors waiting for approval; an administrator must approve, deny or purge them first`,
      });
    }
    if (counts!.fromAddress >= this.limits.maxPendingPerAddress) {
      throw overloaded({
        retryAfterMs,
        reason: `${address} already has ${counts!.fromAddress} monitors waiting for approval; an administrator must approve, deny or purge them first (or give the location a registration token)`,
      });
    }
  }
}

function overloaded(refusal: Refusal): ProtocolError {
  const data: OverloadedErrorData = { retryAfterMs: refusal.retryAfterMs };
  return new ProtocolError(ErrorCode.Overloaded, refusal.reason, data);
}
