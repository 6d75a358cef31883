/** Numbers as people read them: percentages, response times, counts. */

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

/** A count with thousands separators. */
export function count(/** @type {number | null | undefined} */ value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString();
}

/** A count with its noun in the right number: "1 monitor", "3 monitors", "0 monitors". */
export function countOf(/** @type {number} */ n, /** @type {string} */ one, /** @type {string} */ many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}
