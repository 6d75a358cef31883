/**
 * Which results are too far from the backend's clock to be believed
 * (PROTOCOL.md, "Limits"): more than CLOCK_SKEW_TOLERANCE_MS ahead of it, or
 * older than the location's spool maximum age plus that tolerance (a poller
 * drops results older than its spool's maximum age, so an older one comes
 * from a wrong clock). A result from the future would open outages that have
 * not happened and hold rollups back; one from 1970 would make every
 * aggregate walk from there.
 */
import { CLOCK_SKEW_TOLERANCE_MS, ErrorCode, ProtocolError, type ParamsOf, type RefusedResultsErrorData } from '@vantage/common';

type Result = ParamsOf<'reportResults'>['results'][number];

/**
 * A -32602 naming the first result out of the window and the bound it
 * crossed, with every such result's seq in `error.data.seqs`; undefined when
 * all are within it.
 */
export function outsideClockWindow(results: readonly Result[], nowMs: number, spoolMaxAgeMs: number): ProtocolError | undefined {
  const latest = nowMs + CLOCK_SKEW_TOLERANCE_MS;
  const earliest = nowMs - spoolMaxAgeMs - CLOCK_SKEW_TOLERANCE_MS;
  const refused = results.flatMap((r, index) => (r.timestamp > latest || r.timestamp < earliest ? [{ index, result: r }] : []));
  const first = refused[0];
  if (!first) return undefined;
  const { index, result } = first;
  const problem =
    result.timestamp > latest
      ? `is ahead of the backend's clock by more than ${CLOCK_SKEW_TOLERANCE_MS} ms (the clock skew tolerance)`
      : `is older than the spool's maximum age (${spoolMaxAgeMs} ms) plus the clock skew tolerance (${CLOCK_SKEW_TOLERANCE_MS} ms)`;
  const all = refused.length > 1 ? `; ${refused.length} results are outside that window (their seqs are in error.data.seqs)` : '';
  const data: RefusedResultsErrorData = { seqs: refused.map((r) => r.result.seq) };
  return new ProtocolError(
    ErrorCode.InvalidParams,
    `invalid params: params.results[${index}].timestamp: ${formatTime(result.timestamp)} ${problem}; the backend's clock reads ${formatTime(nowMs)}${all}`,
    data,
  );
}

function formatTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : `${date.toISOString()} (${ms})`;
}
