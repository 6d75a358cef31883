/**
 * How much unauthenticated registration the backend accepts (PROTOCOL.md,
 * "Registration limits"; README, "Remote pollers"). registerLocationMonitor
 * is the one method anybody may call, so everything it can cost is bounded:
 * monitors waiting for approval, calls per source address, and guesses at
 * registration tokens.
 */

/** Monitors waiting for approval at one location; beyond it registrations there answer -32010. */
export const MAX_PENDING_PER_LOCATION = 50;

/**
 * Monitors waiting for approval registered from one source address (all
 * locations). Several pollers behind one NAT address are normal, but an
 * administrator approves them one by one anyway; sites that deploy many at
 * once use a registration token, which makes them REGISTERED, not pending.
 */
export const MAX_PENDING_PER_ADDRESS = 5;

/**
 * registerLocationMonitor calls per source address: a token bucket of this
 * many, refilled at this rate. Counted per call, so a JSON-RPC batch costs
 * as many as it holds. A poller registers once in its life; ten at once
 * covers a site starting several pollers together.
 */
export const REGISTRATION_BURST_PER_ADDRESS = 10;
export const REGISTRATIONS_PER_MINUTE_PER_ADDRESS = 10;

/**
 * After a wrong registration token, the address may not present a token
 * again for this long, doubling with each further wrong one up to the
 * maximum: six guesses in the first minute, thirteen in the first hour,
 * then four an hour.
 * One token check runs at a time per address, so a batch cannot race ahead
 * of its own failures. Other addresses are not affected.
 */
export const FAILED_TOKEN_FIRST_BACKOFF_MS = 1_000;
export const FAILED_TOKEN_MAX_BACKOFF_MS = 15 * 60_000;
/** An address's wrong tokens are forgotten this long after the last one. */
export const FAILED_TOKEN_FORGET_AFTER_MS = 60 * 60_000;

/** retryAfterMs answered while a location or an address has its most pending monitors: an administrator must act first. */
export const PENDING_FULL_RETRY_AFTER_MS = 60_000;

/**
 * Source addresses whose limiter state is kept in memory. Idle entries
 * (full bucket, no recent wrong token) are dropped first; IPv6 addresses
 * count by their /64, so one host cannot hop through its own prefix.
 */
export const MAX_TRACKED_ADDRESSES = 10_000;

/** The limits in force; tests may loosen them, production uses the defaults above. */
export interface RegistrationLimits {
  maxPendingPerLocation: number;
  maxPendingPerAddress: number;
  burstPerAddress: number;
  perMinutePerAddress: number;
  failedTokenFirstBackoffMs: number;
  failedTokenMaxBackoffMs: number;
  failedTokenForgetAfterMs: number;
  pendingFullRetryAfterMs: number;
  maxTrackedAddresses: number;
}

export const DEFAULT_REGISTRATION_LIMITS: Readonly<RegistrationLimits> = {
  maxPendingPerLocation: MAX_PENDING_PER_LOCATION,
  maxPendingPerAddress: MAX_PENDING_PER_ADDRESS,
  burstPerAddress: REGISTRATION_BURST_PER_ADDRESS,
  perMinutePerAddress: REGISTRATIONS_PER_MINUTE_PER_ADDRESS,
  failedTokenFirstBackoffMs: FAILED_TOKEN_FIRST_BACKOFF_MS,
  failedTokenMaxBackoffMs: FAILED_TOKEN_MAX_BACKOFF_MS,
  failedTokenForgetAfterMs: FAILED_TOKEN_FORGET_AFTER_MS,
  pendingFullRetryAfterMs: PENDING_FULL_RETRY_AFTER_MS,
  maxTrackedAddresses: MAX_TRACKED_ADDRESSES,
};
