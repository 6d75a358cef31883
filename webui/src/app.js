/**
 * The shell: checks the session (sign-in form when there is none, then the
 * page the user was going to), loads the event catalogue, shows the header
 * with navigation, the signed-in user and Sign out, and the page for the
 * current address. The session's role decides which pages and actions are
 * offered (role.js); the backend enforces it either way.
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { UNAUTHORIZED_EVENT, currentSession, forgetSession, signOut, signedInBefore } from './api.js';
import { OpenAlarmCount } from './alarm-count.js';
import { catalogueLoaded, loadCatalogue } from './catalogue.js';
import { earlyAnswersRead } from './early-requests.js';
import { ConfirmHost, ErrorBox, Loading, Notices, notify } from './components.js';
import { closeLive, useLiveState } from './live.js';
import { useLoadEffect } from './load-effect.js';
import { currentRoute, followLinks, href, useRoute } from './router.js';
import { loadUPlot } from './chart.js';
import { SignInPage } from './pages/sign-in.js';
import { AvailabilityPage } from './pages/availability.js';
import { LocationsPage } from './pages/locations.js';
import { ServicePage } from './pages/service.js';
import { ServicesPage } from './pages/services.js';
import { EventsPage } from './pages/events.js';
import { AlarmsPage } from './pages/alarms.js';
import { AuditPage } from './pages/audit.js';
import { UsersPage } from './pages/users.js';
import { can, currentRole, setRole } from './role.js';

/** The pages in the navigation; `role` hides one from users without it. @type {{ key: string, label: string, role?: import('./role.js').Role }[]} */
const NAV = [
  { key: 'availability', label: 'Availability' },
  { key: 'services', label: 'Services' },
  { key: 'locations', label: 'Locations' },
  { key: 'events', label: 'Events' },
  { key: 'alarms', label: 'Alarms' },
  { key: 'audit', label: 'Audit', role: 'operator' },
  { key: 'users', label: 'Users', role: 'admin' },
];

function App() {
  /** undefined: checking; null: signed out. */
  const [session, setSession] = useState(/** @type {import('./api.js').Session | null | undefined} */ (undefined));
  const [bootError, setBootError] = useState(/** @type {unknown} */ (null));

  const check = () => {
    setBootError(null);
    // The catalogue is asked for with the session, not after it: the first page shows a round trip sooner.
    if (signedInBefore()) loadCatalogue(true).catch(() => undefined);
    currentSession().then(setSession, setBootError);
  };
  useLoadEffect(check, []);
  useEffect(() => {
    const lost = () => {
      closeLive();
      forgetSession();
      setSession((s) => {
        if (s) notify('Your session has ended; sign in again.', 'error');
        return null;
      });
    };
    window.addEventListener(UNAUTHORIZED_EVENT, lost);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, lost);
  }, []);

  let body;
  if (bootError) body = html`<main class="page narrow"><h1>Vantage</h1><${ErrorBox} error=${bootError} onRetry=${check} /></main>`;
  else if (session === undefined) body = html`<main class="page narrow"><${Loading} /></main>`;
  else if (session === null) body = html`<${SignInPage} onSignedIn=${setSession} />`;
  else {
    setRole(session.role);
    body = html`<${Shell} user=${session.user} onSignedOut=${() => setSession(null)} />`;
  }
  return html`${body}<${Notices} /><${ConfirmHost} />`;
}

/** @param {{ user: string, onSignedOut: () => void }} props */
function Shell({ user, onSignedOut }) {
  const route = useRoute();
  const section = route.path[0] ?? 'availability';
  // Pages word events from the catalogue: none is shown before it is here (it loads once per page load).
  const [catalogueReady, setCatalogueReady] = useState(catalogueLoaded);
  const [catalogueError, setCatalogueError] = useState(/** @type {unknown} */ (null));
  const loadEvents = () => {
    setCatalogueError(null);
    loadCatalogue().then(() => setCatalogueReady(true), setCatalogueError);
  };
  useLoadEffect(loadEvents, []);

  const leave = async () => {
    try {
      await signOut();
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'error');
    }
    closeLive();
    onSignedOut();
  };

  return html`
    <a class="skip-link" href="#main" onClick=${(/** @type {Event} */ e) => {
      e.preventDefault();
      document.getElementById('main')?.focus();
    }}>Skip to content</a>
    <header class="topbar" data-testid="topbar">
      <a class="brand" href=${href(['availability'])}><span class="brand-mark" aria-hidden="true">◎</span>Vantage</a>
      <nav id="main-nav" aria-label="Main">
        ${NAV.filter((item) => !item.role || can(item.role)).map(
          (item) => html`<a href=${href([item.key])} data-testid=${`nav-${item.key}`}
            aria-current=${section === item.key ? 'page' : undefined}>${item.label}${item.key === 'alarms' ? html`<${OpenAlarmCount} onAlarmsPage=${section === 'alarms'} />` : null}</a>`,
        )}
      </nav>
      <div class="session">
        <${LiveIndicator} />
        <span class="user" data-testid="current-user" data-role=${currentRole()} title=${`Signed in as ${user} (${currentRole()})`}><span class="sr-only">Signed in as </span>${user}<span class="muted small" data-testid="current-role"> · ${currentRole()}</span></span>
        <button type="button" class="btn btn-small" onClick=${leave} data-testid="sign-out">Sign out</button>
      </div>
    </header>
    <main id="main" class="page" tabindex="-1">
      ${catalogueError
        ? html`<${ErrorBox} error=${catalogueError} onRetry=${loadEvents} />`
        : catalogueReady
          ? html`<${Page} route=${route} user=${user} />`
          : html`<${Loading} />`}
    </main>
  `;
}

function LiveIndicator() {
  const live = useLiveState();
  return html`<span class="live ${live ? 'live-on' : 'live-off'}" data-testid="live-indicator" data-live=${live ? 'true' : 'false'}
    title=${live ? 'Updates arrive as they happen' : 'The live stream is not open: pages refresh every few seconds'}>
    <span class="live-dot" aria-hidden="true"></span>${live ? 'Live' : 'Polling'}
  </span>`;
}

/** @param {{ route: import('./router.js').Route, user: string }} props */
function Page({ route, user }) {
  const [section, ...rest] = route.path;
  useEffect(() => {
    const titles = /** @type {Record<string, string>} */ ({ availability: 'Availability', locations: 'Locations and monitors', services: rest.length ? 'Service' : 'Services', events: 'Events', alarms: 'Alarms', audit: 'Audit trail', users: 'Users' });
    document.title = `${titles[section ?? 'availability'] ?? 'Not found'} · Vantage`;
  }, [section, rest.length > 0]);
  switch (section ?? 'availability') {
    case 'availability':
      return html`<${AvailabilityPage} query=${route.query} />`;
    case 'locations':
      return html`<${LocationsPage} />`;
    case 'services':
      if (rest.length === 0) return html`<${ServicesPage} query=${route.query} />`;
      // Service ids hold a slash ("node/SERVICE"): take the rest of the path, escaped or not.
      return html`<${ServicePage} key=${rest.join('/')} serviceId=${rest.join('/')} query=${route.query} />`;
    case 'events':
      return html`<${EventsPage} />`;
    case 'alarms':
      return html`<${AlarmsPage} />`;
    case 'audit':
      return can('operator') ? html`<${AuditPage} />` : html`<${NotAllowed} what="the audit trail" role="operator" />`;
    case 'users':
      return can('admin') ? html`<${UsersPage} currentUser=${user} />` : html`<${NotAllowed} what="users" role="admin" />`;
    default:
      return html`<section><h1>Page not found</h1><p>There is no page “${section}”. <a href=${href(['availability'])}>Go to availability</a>.</p></section>`;
  }
}

/** A page the signed-in user's role does not open. @param {{ what: string, role: string }} props */
function NotAllowed({ what, role }) {
  return html`<section data-testid="not-allowed"><h1>Not available</h1><p>Only users with the ${role} role see ${what}. <a href=${href(['availability'])}>Go to availability</a>.</p></section>`;
}

/**
 * How long the first render waits for the answers index.html asked for. They
 * are usually here within a few tens of milliseconds of this module: with
 * them, the first render goes from the session to the page with its data in
 * one go and the browser lays the page out and draws it once, where a render
 * per answer costs a frame of style and layout each (a spinner, the shell,
 * then the data). A slow answer holds the page back this long at most.
 */
const FIRST_RENDER_WAIT_MS = 300;

// Meanwhile, work the first render would do: a service page's chart library (at hand: the page ran it before this module).
const firstPath = currentRoute().path;
const chartLoaded = firstPath[0] === 'services' && firstPath.length > 1 ? loadUPlot().catch(() => undefined) : undefined;
await Promise.race([Promise.all([earlyAnswersRead(), chartLoaded]), new Promise((resolve) => setTimeout(resolve, FIRST_RENDER_WAIT_MS))]);
followLinks();
const root = /** @type {HTMLElement} */ (document.getElementById('app'));
root.textContent = '';
render(html`<${App} />`, root);
