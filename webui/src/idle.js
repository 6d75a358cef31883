/**
 * Work the first picture does not wait for, run when the browser has time
 * to spare (or after `timeoutMs` at the latest). Safari has no
 * requestIdleCallback: a timeout does the same job there.
 */

// `typeof` of the bare name: this module also loads where there is no window (the tests of time.js run in Node).
const hasIdle = typeof requestIdleCallback === 'function';

/**
 * @param {() => void} run
 * @param {number} [timeoutMs]
 * @returns {number} for cancelIdle
 */
export function whenIdle(run, timeoutMs = 100) {
  return hasIdle ? requestIdleCallback(run, { timeout: timeoutMs }) : Number(setTimeout(run, 0));
}

/** @param {number} id from whenIdle */
export function cancelIdle(id) {
  if (hasIdle) cancelIdleCallback(id);
  else clearTimeout(id);
}
