/**
 * Live updates: one shared EventSource on /api/live (each message is a stored
 * event as JSON) for every page that listens, and a hook that refreshes a
 * page when a relevant event arrives, or polls while the stream is not open
 * (the route missing, the network down, the browser without EventSource).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLoadEffect } from './load-effect.js';

/** @typedef {import('./rest.js').StoredEvent} StoredEvent */

/** @type {Set<(event: StoredEvent) => void>} */
const listeners = new Set();
/** @type {Set<(open: boolean) => void>} */
const stateListeners = new Set();
/** @type {EventSource | null} */
let source = null;
let open = false;
/** @type {ReturnType<typeof setTimeout> | null} */
let retryTimer = null;
let retryMs = 3000;

function setOpen(/** @type {boolean} */ value) {
  if (open === value) return;
  open = value;
  for (const fn of stateListeners) fn(open);
}

function connect() {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/live');
  source.onopen = () => {
    retryMs = 3000;
    setOpen(true);
  };
  source.onmessage = (message) => {
    /** @type {StoredEvent} */
    let event;
    try {
      // Each message is an event as GET /api/events gives it.
      event = JSON.parse(String(message.data));
    } catch {
      return;
    }
    for (const fn of [...listeners]) fn(event);
  };
  source.onerror = () => {
    // The browser retries by itself while the stream is merely interrupted
    // (CONNECTING); a refusal (404, 401) closes it: try again later, slower.
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      setOpen(false);
      if (listeners.size > 0 && !retryTimer) {
        retryTimer = setTimeout(() => {
          retryTimer = null;
          if (listeners.size > 0) connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 60_000);
      }
    } else {
      setOpen(false);
    }
  };
}

function disconnectIfIdle() {
  if (listeners.size > 0 || stateListeners.size > 0) return;
  source?.close();
  source = null;
  setOpen(false);
}

/**
 * @param {(event: StoredEvent) => void} fn
 * @returns {() => void} unsubscribe
 */
export function subscribe(fn) {
  listeners.add(fn);
  connect();
  return () => {
    listeners.delete(fn);
    disconnectIfIdle();
  };
}

/** Closes the stream (signing out). */
export function closeLive() {
  listeners.clear();
  source?.close();
  source = null;
  setOpen(false);
}

/** Whether the live stream is open, kept current. */
export function useLiveState() {
  const [state, setState] = useState(open);
  useEffect(() => {
    stateListeners.add(setState);
    setState(open);
    return () => {
      stateListeners.delete(setState);
      disconnectIfIdle();
    };
  }, []);
  return state;
}

/**
 * Calls `onEvent` with every live event; calls `refresh` now, on each live
 * event `matches` accepts (gathered over `debounceMs`), every `pollMs` while
 * the stream is not open, and every `liveEveryMs` while it is (for what
 * changes without events, such as check-in times). Polling pauses while the
 * tab is hidden.
 * @param {() => unknown} refresh
 * @param {{ pollMs: number, liveEveryMs?: number, matches?: (event: StoredEvent) => boolean, onEvent?: (event: StoredEvent) => void, debounceMs?: number, deps?: unknown[] }} options
 */
export function useLiveRefresh(refresh, { pollMs, liveEveryMs, matches = () => true, onEvent, debounceMs = 300, deps = [] }) {
  const live = useLiveState();
  const latest = useRef({ refresh, matches, onEvent });
  latest.current = { refresh, matches, onEvent };

  // Refresh now, and again when what the page shows (deps) changes.
  useLoadEffect(() => {
    latest.current.refresh();
  }, deps);

  useEffect(() => {
    /** @type {ReturnType<typeof setTimeout> | null} */
    let pending = null;
    const unsubscribe = subscribe((event) => {
      latest.current.onEvent?.(event);
      if (!latest.current.matches(event)) return;
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        latest.current.refresh();
      }, debounceMs);
    });
    return () => {
      unsubscribe();
      if (pending) clearTimeout(pending);
    };
  }, []);

  // Events may have been missed while the stream was down: catch up when it opens again. Not
  // when it first opens: the page has just loaded its data (fetching it twice made every page slower).
  const wasLive = useRef(live);
  const everLive = useRef(live);
  useEffect(() => {
    if (live && !wasLive.current && everLive.current) latest.current.refresh();
    if (live) everLive.current = true;
    wasLive.current = live;
  }, [live]);

  const every = live ? liveEveryMs : pollMs;
  useEffect(() => {
    if (!every) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') latest.current.refresh();
    }, every);
    return () => clearInterval(timer);
  }, [every, ...deps]);

  return live;
}
