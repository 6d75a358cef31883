/**
 * Navigation by location hash: `#/availability?window=7d`, `#/locations`,
 * `#/services/vantage-backend/HTTP`, `#/events`, `#/alarms`. The hash keeps
 * the page and its choices, so links and the back button work and a
 * reload (or signing in) lands where the user was.
 */
import { useEffect, useState } from 'preact/hooks';

/** @typedef {{ path: string[], query: URLSearchParams }} Route */

/** @param {string} hash @returns {Route} */
export function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const pathPart = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const path = pathPart
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query };
}

/**
 * The hash for a page and its query, e.g. href(['services', 'web/HTTP']).
 * @param {string[]} path
 * @param {Record<string, string | number | null | undefined>} [query]
 */
export function href(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

/** Goes to a page; `replace` keeps the history from growing (filters, windows). */
export function navigate(/** @type {string} */ hash, replace = false) {
  if (window.location.hash === hash) return;
  if (replace) window.history.replaceState(null, '', hash);
  else window.location.hash = hash;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The current route, kept in step with the hash. @returns {Route} */
export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/**
 * A page's filter kept in the address (`#/events?location=RDU`): its value
 * ('' when absent, or `fallback`) and a setter that replaces the hash, so a
 * link, a reload or the back button shows the same filtered page.
 * @param {string} name
 * @param {string} [fallback]
 * @returns {[string, (value: string) => void]}
 */
export function useHashParam(name, fallback = '') {
  const route = useRoute();
  const set = (/** @type {string} */ value) => {
    // Read the hash now, not the render's copy: several filters may change in one go.
    const { path, query } = parseHash(window.location.hash);
    if (value && value !== fallback) query.set(name, value);
    else query.delete(name);
    const qs = query.toString();
    navigate(`#/${path.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`, true);
  };
  return [route.query.get(name) ?? fallback, set];
}
