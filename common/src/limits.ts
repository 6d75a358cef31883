/**
 * Every bound of the poller protocol, in one place (PROTOCOL.md, "Limits").
 * The backend refuses what exceeds them before doing any work for it; each
 * is far above what a real poller sends, so only a broken or hostile peer
 * ever meets one.
 */

// ---- messages (one WebSocket text frame, or one POST /rpc body) ----

/** A message from a caller with valid credentials: 10,000 results with long reasons fit. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** A message without valid credentials: only registerLocationMonitor answers, and it is a few hundred bytes. */
export const MAX_UNAUTHENTICATED_MESSAGE_BYTES = 64 * 1024;
/** Arrays and objects inside one another; the deepest real message (a batch of results with details) nests 6. */
export const MAX_NESTING_DEPTH = 32;
/** Calls in one batch. */
export const MAX_BATCH_CALLS = 100;
/** getPollingPackage calls in one batch: a package can be megabytes, and one is all a poller needs. */
export const MAX_PACKAGE_REQUESTS_PER_BATCH = 1;
/** Results in one reportResults call. */
export const MAX_RESULTS_PER_CALL = 10_000;
/** Results in one message, over every reportResults call of a batch: batching cannot get past the per-call bound. */
export const MAX_RESULTS_PER_MESSAGE = 10_000;
/** A method name; the longest real one has 23 characters. */
export const MAX_METHOD_LENGTH = 64;
/** A request id that is a string. (A number id is any safe integer.) */
export const MAX_ID_LENGTH = 128;

// ---- results ----

/**
 * The highest `seq`. Seqs must stay exact integers in every JSON
 * implementation (doubles are exact to 2^53) with room to add to them; at a
 * thousand results a second a poller reaches 2^48 after 8,900 years.
 */
export const MAX_SEQ = 2 ** 48;
/**
 * How far a result's timestamp may be from the backend's clock: at most this
 * far in the future, and at most the location's spool maximum age
 * (`spoolMaxAgeMs`) plus this in the past. Pollers report their clock at
 * check-in (`stats.clockMs`); one that is further off than this has its
 * results refused.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;
/** A response time: a day is longer than any check's timeout. */
export const MAX_RESPONSE_TIME_MS = 24 * 3_600_000;
/** A failure reason. */
export const MAX_REASON_LENGTH = 2_000;
/** Measurements in a result's `details`. */
export const MAX_RESULT_DETAILS = 16;

// ---- strings and maps of the other methods ----

export const MAX_LOCATION_LENGTH = 256;
export const MAX_MONITOR_NAME_LENGTH = 200;
export const MAX_TOKEN_LENGTH = 256;
/** A service id, `NODE-LABEL/SERVICE-NAME`. */
export const MAX_SERVICE_ID_LENGTH = 1_024;
/** A package version (`knownVersion`, `configVersion`). */
export const MAX_VERSION_LENGTH = 128;
/** A server URL a poller reports using (its home or a standby). */
export const MAX_SERVER_URL_LENGTH = 512;
/** Entries in a monitor's `details` (hostname, os, version, …). */
export const MAX_MONITOR_DETAILS = 32;
export const MAX_DETAIL_VALUE_LENGTH = 256;
/** Entries in check-in `stats`. */
export const MAX_STATS = 64;
/** The name of a detail, a stat or a measurement. */
export const MAX_KEY_LENGTH = 64;
/** The magnitude of a stat or a measurement: finite, and exact as an integer. */
export const MAX_MEASUREMENT = 1e15;
