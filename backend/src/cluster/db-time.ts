/**
 * The database's clock, in epoch milliseconds, as an SQL expression. What
 * several instances compare (heartbeats, leases) is written and read in this
 * one clock, so their own clocks may disagree without one instance taking
 * another for dead. `clock_timestamp()` rather than `now()`: the time of the
 * statement, not of the start of its transaction.
 */
export const DB_NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
