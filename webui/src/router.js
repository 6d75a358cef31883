/**
 * Navigation by path: `/availability?window=7d`, `/locations`,
 * `/services/vantage-backend%2FHTTP`, `/events`, `/alarms`. The address
 * keeps the page and its choices, so links, bookmarks and the back button
 * work and a reload (or signing in) lands where the user was; and the
 * server, which sees the path, sends the page with its first answers in it
 * (backend webui-pages.ts serves the same pages). A link to one of these
 * pages changes the page without loading a document (followLinks); an
 * address from when the pages lived in the hash (`/#/services`) is read as
 * its path.
 */
import { useEffect, useState } from 'preact/hooks';

/** @typedef {{ path: string[], query: URLSearchParams }} Route */

/** The pages' first path segments; `/` is availability. */
const SECTIONS = new Set(['availability', 'services', 'locations', 'events', 'alarms', 'audit', 'users']);

/** Fired on window when the page's address changes without a document load (popstate covers back and forward). */
const ROUTE_CHANGE = 'vantage:route';

/**
 * The route of an address's path and query, e.g. parseAddress('/services/web%2FHTTP', '?range=7d').
 * @param {string} pathname @param {string} search @returns {Route}
 */
export function parseAddress(pathname, search) {
  const path = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query: new URLSearchParams(search) };
}

/** The route of the page shown now. @returns {Route} */
export const currentRoute = () => parseAddress(location.pathname, location.search);

/**
 * The address of a page and its query, e.g. href(['services', 'web/HTTP']).
 * @param {string[]} path
 * @param {Record<string, string | number | null | undefined>} [query]
 */
export function href(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `/${path.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

/** Goes to a page (path and query); `replace` keeps the history from growing (filters, windows). */
export function navigate(/** @type {string} */ to, replace = false) {
  if (location.pathname + location.search === to) return;
  if (replace) history.replaceState(null, '', to);
  else {
    history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  window.dispatchEvent(new Event(ROUTE_CHANGE));
}

/** Whether `url` is one of the web UI's pages on this server. @param {URL} url */
function isPage(url) {
  const section = url.pathname.split('/')[1] ?? '';
  return url.origin === location.origin && (section === '' || SECTIONS.has(section));
}

/**
 * Follows a click on a link to one of the web UI's pages without loading a
 * document. Anything else goes as the browser takes it: a click with a
 * modifier or another button (a new tab), a link with a target or a
 * download, a link elsewhere (the API, a downloaded file), a link within
 * the page (`#main`).
 */
export function followLinks() {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!(link instanceof HTMLAnchorElement) || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;
    if (link.getAttribute('href')?.startsWith('#')) return;
    const url = new URL(link.href);
    if (!isPage(url)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  // A hash address set while the page is open (an old link, by hand): the same page at its path.
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#/')) navigate(location.hash.slice(1), true);
  });
}

/** The current route, kept in step with the address. @returns {Route} */
export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener(ROUTE_CHANGE, update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener(ROUTE_CHANGE, update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/**
 * A page's filter kept in the address (`/events?location=RDU`): its value
 * ('' when absent, or `fallback`) and a setter that replaces the address, so
 * a link, a reload or the back button shows the same filtered page.
 * @param {string} name
 * @param {string} [fallback]
 * @returns {[string, (value: string) => void]}
 */
export function useQueryParam(name, fallback = '') {
  const route = useRoute();
  const set = (/** @type {string} */ value) => {
    // Read the address now, not the render's copy: several filters may change in one go.
    const query = new URLSearchParams(location.search);
    if (value && value !== fallback) query.set(name, value);
    else query.delete(name);
    const qs = query.toString();
    navigate(`${location.pathname}${qs ? `?${qs}` : ''}`, true);
  };
  return [route.query.get(name) ?? fallback, set];
}
