/**
 * The one way the page talks to the backend: JSON in and out, the session's
 * CSRF token on every change, a 401 turned into "show the sign-in form", and
 * the server's `{error}` text carried in the thrown ApiError so pages can show it.
 */
import { carriesAnswer, dropEarlyAnswers, readAnswer, takeEarlyAnswer } from './early-requests.js';
import { whenIdle } from './idle.js';

/** @type {string | null} */
let csrfToken = null;

/** Raised on `window` when a request finds the session gone (401). */
export const UNAUTHORIZED_EVENT = 'vantage:unauthorized';

export class ApiError extends Error {
  /**
   * @param {string} message the server's `error` text, or a description of what went wrong
   * @param {number} status HTTP status; 0 when the server could not be reached
   */
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** @param {string | null} token */
export function setCsrfToken(token) {
  csrfToken = token;
}

/**
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path e.g. `/api/monitors`
 * @param {{ query?: Record<string, string | number | undefined | null>, body?: unknown, quiet401?: boolean }} [options]
 *   `quiet401`: a 401 is an answer (signing in, checking the session), not a lost session.
 * @returns {Promise<unknown>} the parsed JSON, or null for an empty answer (rest.js says what each route answers)
 */
export async function request(method, path, options = {}) {
  const url = path + queryString(options.query);
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const answer = (method === 'GET' ? await takeEarlyAnswer(url) : null) ?? (await fetchAnswer(method, url, headers, options.body));
  /** @type {unknown} */
  let data = null;
  if (answer.text) {
    try {
      data = JSON.parse(answer.text);
    } catch {
      data = null;
    }
  }
  if (!answer.ok) {
    if (answer.status === 401 && !options.quiet401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    const message = typeof data === 'object' && data !== null && 'error' in data && typeof data.error === 'string' ? data.error : `${method} ${path} failed: HTTP ${answer.status}`;
    throw new ApiError(message, answer.status);
  }
  return data;
}

/**
 * @param {string} method @param {string} url @param {Record<string, string>} headers @param {unknown} body
 * @returns {Promise<import('./early-requests.js').EarlyAnswer>}
 */
async function fetchAnswer(method, url, headers, body) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('The Vantage server cannot be reached. Check your connection; the page retries by itself.', 0);
  }
  return readAnswer(response);
}

/** @param {Record<string, string | number | undefined | null> | undefined} query */
function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** @param {string} path @param {Record<string, string | number | undefined | null>} [query] */
export const get = (path, query) => request('GET', path, { query });
/** @param {string} path @param {unknown} [body] */
export const post = (path, body) => request('POST', path, { body: body ?? {} });
/** @param {string} path @param {unknown} body */
export const patch = (path, body) => request('PATCH', path, { body });
/** @param {string} path */
export const del = (path) => request('DELETE', path);

/** A path segment, escaped (monitor ids, location names). */
export const seg = (/** @type {string} */ s) => encodeURIComponent(s);

// --- session ---

/** `role` decides which actions the pages offer (role.js). @typedef {{ user: string, role: string, csrfToken: string, expiresAt?: number }} Session */

/**
 * Whether this browser has signed in and not signed out since: the session
 * cookie is HttpOnly, so without this hint a first visit would always start
 * with a 401 from GET /api/session (a console error in every browser).
 */
const HINT = 'vantage.signedIn';
const hint = {
  get: () => {
    try {
      return localStorage.getItem(HINT) === '1';
    } catch {
      return true;
    }
  },
  set: (/** @type {boolean} */ on) => {
    try {
      if (on) localStorage.setItem(HINT, '1');
      else localStorage.removeItem(HINT);
    } catch {
      // Storage refused (private mode): the hint only saves a request.
    }
  },
};

/**
 * Whether this browser was signed in when last here (a hint, not a proof: the session may have ended), or the page
 * came with the session (the server found it valid). The page's own answer is asked first: the first look at the
 * storage in a tab just opened waits for the browser to read it (some 5-9 ms, before the first picture).
 */
export const signedInBefore = () => carriesAnswer('/api/session') || hint.get();

/** @returns {Promise<Session | null>} the current session, or null when not signed in */
export async function currentSession() {
  const carried = carriesAnswer('/api/session');
  if (!carried && !hint.get()) return null;
  try {
    const session = /** @type {Session} */ (await request('GET', '/api/session', { quiet401: true }));
    setCsrfToken(session.csrfToken);
    // The hint for the next page that comes without the session (opened from another site), once the browser is idle.
    if (carried)
      whenIdle(() => {
        if (!hint.get()) hint.set(true);
      });
    return session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      hint.set(false);
      return null;
    }
    throw err;
  }
}

/** The session is gone (a 401 on some request). */
export function forgetSession() {
  hint.set(false);
  dropEarlyAnswers();
  setCsrfToken(null);
}

/** @param {string} username @param {string} password @returns {Promise<Session>} */
export async function signIn(username, password) {
  const session = /** @type {Session} */ (await request('POST', '/api/session', { body: { username, password }, quiet401: true }));
  setCsrfToken(session.csrfToken);
  hint.set(true);
  return session;
}

export async function signOut() {
  try {
    await request('DELETE', '/api/session', { quiet401: true });
  } finally {
    forgetSession();
  }
}
