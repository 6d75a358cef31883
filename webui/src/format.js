/** Numbers and names as people read them: percentages, response times, counts, the order of names. */

/**
 * An availability ratio as a percentage, never rounded up to 100 % when it is
 * not 100 % ("99.99 %" for 0.99996), at most two decimals.
 * @param {number | null | undefined} ratio 0..1
 */
export function percent(ratio) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  if (ratio >= 1) return '100 %';
  if (ratio <= 0) return '0 %';
  if (ratio < 0.0001) return '< 0.01 %';
  const floored = Math.floor(ratio * 10_000) / 100;
  const digits = floored >= 99 || floored < 1 ? 2 : 1;
  const shown = Math.floor(ratio * 100 * 10 ** digits) / 10 ** digits;
  return `${shown.toFixed(digits)} %`;
}

/** A response time: "12.3 ms", "1.25 s". */
export function ms(/** @type {number | null | undefined} */ value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (Math.abs(value) >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

/** A signed offset, "+12 ms", "−1.4 s", "±0 ms". */
export function signedMs(/** @type {number | null | undefined} */ value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.round(value) === 0) return '±0 ms';
  return `${value > 0 ? '+' : '−'}${ms(Math.abs(value))}`;
}

/** A count with thousands separators, "12,345" (written out: Intl's first use in a tab costs tens of ms, see time.js). */
export function count(/** @type {number | null | undefined} */ value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const [whole = '', fraction] = String(Math.abs(value)).split('.');
  return `${value < 0 ? '-' : ''}${whole.replace(/\B(?=(\d{3})+$)/g, ',')}${fraction ? `.${fraction}` : ''}`;
}

/** A count with its noun in the right number: "1 monitor", "3 monitors", "0 monitors". */
export function countOf(/** @type {number} */ n, /** @type {string} */ one, /** @type {string} */ many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/**
 * Names in the order a list shows them: letters' case aside, then as
 * written ("node-2/http" beside "Node-2/HTTP"). Plain comparison rather than
 * localeCompare, whose first call in a new tab sets up ICU's collation (tens
 * of milliseconds of a list's first render), for names that are node
 * labels, service and monitor names.
 * @param {string} a @param {string} b
 */
export function compareNames(a, b) {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
