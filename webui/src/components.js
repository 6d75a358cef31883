/**
 * Small pieces every page uses: state badges (colour AND text, never colour
 * alone), error and loading boxes, notices, the confirmation dialog, action
 * buttons that report failures, scrollable tables, and a data-loading hook.
 */
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { markup } from './markup.js';

// --- states and badges ---

/**
 * Every state a cell, a service or a location can be in, and how it reads:
 * each has its own colour AND its own word, so a paused location never
 * reads like one with no data.
 */
export const STATES = {
  up: { label: 'Up', icon: '✓', hint: 'every monitor checking it sees it up' },
  partial: { label: 'Partially down', icon: '◐', hint: 'some monitors or locations see it down' },
  down: { label: 'Down', icon: '✕', hint: 'seen down' },
  paused: { label: 'Paused', icon: '‖', hint: 'an administrator paused the monitors here' },
  stopped: { label: 'Stopped', icon: '■', hint: 'the pollers here were shut down' },
  disconnected: { label: 'Disconnected', icon: '↯', hint: 'the monitors here stopped checking in' },
  'no data': { label: 'No data', icon: '?', hint: 'no monitor here has reported' },
};
/** The availability matrix's own states (GET /api/availability), before the page tells why a cell has no data. */
export const AVAILABILITY_STATES = { up: STATES.up, partial: STATES.partial, down: STATES.down, 'no data': STATES['no data'] };

/** @param {string} state */
export const stateClass = (state) => `state-${state.replace(/\s+/g, '-')}`;

/** How a state reads; an unknown one by its own name. @param {string} state */
const stateLook = (state) => STATES[/** @type {keyof typeof STATES} */ (state)] ?? { label: state, icon: '•', hint: '' };

/** @param {{ state: string, testid?: string }} props */
export function StateBadge({ state, testid }) {
  const known = stateLook(state);
  return html`<span class="badge ${stateClass(state)}" title=${known.hint} data-testid=${testid} data-state=${state}><span aria-hidden="true" class="badge-icon">${known.icon}</span>${known.label}</span>`;
}

/** The same badge as markup (markup.js), for long lists. @param {string} state @param {string} [testid] */
export function stateBadgeMarkup(state, testid) {
  const known = stateLook(state);
  return markup`<span class="badge ${stateClass(state)}" title="${known.hint}"${testid ? markup` data-testid="${testid}"` : ''} data-state="${state}"><span aria-hidden="true" class="badge-icon">${known.icon}</span>${known.label}</span>`;
}

/** Monitor statuses, by tone. */
const MONITOR_TONES = /** @type {Record<string, string>} */ ({
  STARTED: 'up',
  REGISTERED: 'info',
  PENDING: 'attention',
  PAUSED: 'paused',
  STOPPED: 'stopped',
  CONFIG_CHANGED: 'info',
  DISCONNECTED: 'disconnected',
  DENIED: 'muted',
  DELETED: 'muted',
});

/** @param {{ status: string, paused?: boolean }} props */
export function MonitorStatusBadge({ status, paused }) {
  const tone = MONITOR_TONES[status] ?? 'neutral';
  return html`<span class="badge tone-${tone}">${status}${paused && status !== 'PAUSED' ? html` <span class="badge-note">(paused)</span>` : ''}</span>`;
}

/** What a monitor last saw of a service: UP, DOWN, UNKNOWN or nothing yet. @param {{ status: string | null }} props */
export function ServiceStatusBadge({ status }) {
  if (!status) return html`<span class="badge tone-muted">No result yet</span>`;
  const tone = status === 'UP' ? 'up' : status === 'DOWN' ? 'down' : 'neutral';
  const icon = status === 'UP' ? '✓' : status === 'DOWN' ? '✕' : '?';
  return html`<span class="badge tone-${tone}"><span aria-hidden="true" class="badge-icon">${icon}</span>${status}</span>`;
}

/** @param {{ severity: string }} props */
export function SeverityBadge({ severity }) {
  return html`<span class="badge sev sev-${severity.toLowerCase()}">${severity}</span>`;
}

// --- boxes ---

/** @param {{ error: unknown, onRetry?: () => void }} props */
export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return html`<div class="error-box" role="alert" data-testid="error">
    <span>${message}</span>
    ${onRetry ? html`<button type="button" class="btn btn-small" onClick=${onRetry}>Try again</button>` : null}
  </div>`;
}

/** @param {{ label?: string }} props */
export function Loading({ label = 'Loading…' }) {
  return html`<p class="loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

/** @param {{ children: import('preact').ComponentChildren }} props */
export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/**
 * A table that scrolls sideways when it does not fit; a keyboard user can
 * focus it and scroll with the arrow keys. When part of it is out of sight,
 * it says so: a shadow on the hidden side and a line under it, so a phone
 * user knows there is more (a third location, say) to swipe to.
 * @param {{ label: string, children: import('preact').ComponentChildren, testid?: string, className?: string }} props
 */
export function TableWrap({ label, children, testid, className = '' }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const [more, setMore] = useState({ left: false, right: false });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => {
      const left = el.scrollLeft > 1;
      const right = el.scrollLeft + el.clientWidth < el.scrollWidth - 1;
      setMore((prev) => (prev.left === left && prev.right === right ? prev : { left, right }));
    };
    update();
    const labels = labelCards(el);
    el.addEventListener('scroll', update, { passive: true });
    const resize = new ResizeObserver(update);
    resize.observe(el);
    if (el.firstElementChild) resize.observe(el.firstElementChild);
    return () => {
      el.removeEventListener('scroll', update);
      resize.disconnect();
      labels?.disconnect();
    };
  }, []);
  const hidden = more.left || more.right;
  return html`<div class="table-scroller ${more.left ? 'more-left' : ''} ${more.right ? 'more-right' : ''} ${className}-outer">
    <div ref=${box} class="table-wrap ${className}" role="region" aria-label=${label} tabindex="0" data-testid=${testid}>${children}</div>
    ${hidden
      ? html`<p class="scroll-hint" data-testid=${`${testid ?? 'table'}-scroll-hint`}>${more.right ? 'More to the right: scroll or swipe sideways →' : '← More to the left'}</p>`
      : null}
  </div>`;
}

/**
 * A table with class "cards" is shown as one card per row on a phone, each
 * cell under its column's name: the names come from the header, copied onto
 * every cell (rows arriving later too) unless the cell names itself.
 * @param {HTMLElement} wrap
 * @returns {MutationObserver | null}
 */
function labelCards(wrap) {
  const table = wrap.querySelector('table.cards');
  if (!table) return null;
  const label = () => {
    const names = [...table.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').trim());
    for (const row of table.querySelectorAll('tbody tr')) {
      [...row.children].forEach((cell, i) => {
        if (!cell.hasAttribute('data-label') && names[i]) cell.setAttribute('data-label', names[i]);
      });
    }
  };
  label();
  const observer = new MutationObserver(label);
  observer.observe(table, { childList: true, subtree: true });
  return observer;
}

// --- notices (toasts) ---

/** @typedef {{ id: number, message: string, kind: 'error' | 'ok' }} Notice */
/** @type {Notice[]} */
let notices = [];
/** @type {Set<(n: Notice[]) => void>} */
const noticeListeners = new Set();
let nextNotice = 1;

/** Shows a short message at the bottom of the page; errors stay until dismissed. */
export function notify(/** @type {string} */ message, /** @type {'error' | 'ok'} */ kind = 'ok') {
  const notice = { id: nextNotice++, message, kind };
  notices = [...notices.slice(-4), notice];
  for (const fn of noticeListeners) fn(notices);
  if (kind === 'ok') setTimeout(() => dismiss(notice.id), 4000);
}

function dismiss(/** @type {number} */ id) {
  notices = notices.filter((n) => n.id !== id);
  for (const fn of noticeListeners) fn(notices);
}

export function Notices() {
  const [list, setList] = useState(notices);
  useEffect(() => {
    noticeListeners.add(setList);
    return () => noticeListeners.delete(setList);
  }, []);
  return html`<div class="notices" aria-live="polite" data-testid="notices">
    ${list.map(
      (n) => html`<div key=${n.id} class="notice notice-${n.kind}" role=${n.kind === 'error' ? 'alert' : 'status'}>
        <span>${n.message}</span>
        <button type="button" class="notice-close" aria-label="Dismiss" onClick=${() => dismiss(n.id)}>×</button>
      </div>`,
    )}
  </div>`;
}

// --- confirmation dialog ---

/** @typedef {{ title: string, message: string, confirmLabel: string, danger?: boolean, resolve: (ok: boolean) => void }} ConfirmRequest */
/** @type {((r: ConfirmRequest | null) => void) | null} */
let showConfirm = null;

/**
 * Asks before something that cannot be undone; resolves true when confirmed.
 * @param {{ title: string, message: string, confirmLabel: string, danger?: boolean }} options
 * @returns {Promise<boolean>}
 */
export function confirmAction(options) {
  return new Promise((resolve) => {
    if (!showConfirm) return resolve(false);
    showConfirm({ ...options, resolve });
  });
}

/** The one confirmation dialog, mounted by the app shell. */
export function ConfirmHost() {
  const [request, setRequest] = useState(/** @type {ConfirmRequest | null} */ (null));
  const dialog = useRef(/** @type {HTMLDialogElement | null} */ (null));
  useEffect(() => {
    showConfirm = setRequest;
    return () => {
      showConfirm = null;
    };
  }, []);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (request && !d.open) d.showModal();
    if (!request && d.open) d.close();
  }, [request]);
  const answer = (/** @type {boolean} */ ok) => {
    request?.resolve(ok);
    setRequest(null);
  };
  return html`<dialog ref=${dialog} class="confirm" aria-labelledby="confirm-title" data-testid="confirm-dialog" onCancel=${(/** @type {Event} */ e) => {
    e.preventDefault();
    answer(false);
  }}>
    ${request
      ? html`<form method="dialog" onSubmit=${(/** @type {Event} */ e) => {
          e.preventDefault();
          answer(true);
        }}>
          <h2 id="confirm-title">${request.title}</h2>
          <p>${request.message}</p>
          <div class="dialog-actions">
            <button type="button" class="btn" onClick=${() => answer(false)}>Cancel</button>
            <button type="submit" class="btn ${request.danger ? 'btn-danger' : 'btn-primary'}" data-testid="confirm-ok">${request.confirmLabel}</button>
          </div>
        </form>`
      : null}
  </dialog>`;
}

// --- actions ---

/**
 * A button that runs an async action, is disabled meanwhile, and shows the
 * server's error when it fails.
 * @param {{ label: string, action: () => Promise<unknown>, kind?: 'primary' | 'danger' | 'default', small?: boolean, testid?: string, title?: string, done?: string, disabled?: boolean }} props
 */
export function ActionButton({ label, action, kind = 'default', small = true, testid, title, done, disabled }) {
  const [busy, setBusy] = useState(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const run = async () => {
    setBusy(true);
    try {
      const outcome = await action();
      if (done && outcome !== false) notify(done, 'ok');
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'error');
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return html`<button type="button" class="btn ${kind === 'default' ? '' : `btn-${kind}`} ${small ? 'btn-small' : ''}" onClick=${run}
    disabled=${busy || disabled} aria-busy=${busy ? 'true' : undefined} data-testid=${testid} title=${title}>${label}</button>`;
}

// --- loading data ---

/**
 * Loads data with `loader`, keeps what was loaded while reloading (no
 * flicker on refresh), and ignores answers that arrive after a newer request.
 * @template T
 * @param {() => Promise<T>} loader
 * @returns {{ data: T | undefined, error: unknown, loading: boolean, load: () => Promise<void> }}
 */
export function useResource(loader) {
  const [state, setState] = useState(/** @type {{ data: T | undefined, error: unknown, loading: boolean }} */ ({ data: undefined, error: null, loading: true }));
  const seq = useRef(0);
  const alive = useRef(true);
  const latestLoader = useRef(loader);
  latestLoader.current = loader;
  const load = useCallback(async () => {
    const mine = ++seq.current;
    setState((s) => (s.loading ? s : { ...s, loading: true }));
    try {
      const data = await latestLoader.current();
      if (alive.current && mine === seq.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (alive.current && mine === seq.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, []);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  return { ...state, load };
}
