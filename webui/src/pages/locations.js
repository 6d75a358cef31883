/**
 * Locations and their monitors: status, last check-in, host, the poller's
 * own statistics, and the administrator's actions (approve, deny or deny and
 * block its address, pause, resume, revoke its credentials, delete; pause
 * all, resume all and purge pending per location). Each location shows the
 * exact command that registers a new monitor there, with Rotate token and
 * Revoke token. At a location in distribute mode each monitor shows how many
 * of the location's services it polls (its share). The list follows live events (or polls every 3 s), so a new
 * poller appears as it registers, with its Approve button. Blocked addresses
 * are listed at the end, each with Unblock.
 */
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { can } from '../role.js';
import { ActionButton, Empty, ErrorBox, Loading, MonitorStatusBadge, TableWrap, confirmAction, notify, useResource } from '../components.js';
import { compareNames, count, countOf, ms, signedMs } from '../format.js';
import { useLiveRefresh } from '../live.js';
import { useLoadEffect } from '../load-effect.js';
import {
  administerLocation,
  administerMonitor,
  deleteMonitor,
  denyMonitor,
  getBlockedAddresses,
  getLocations,
  getMonitors,
  getRegistration,
  purgePending,
  revokeMonitor,
  revokeToken,
  rotateToken,
  unblockAddress,
} from '../rest.js';
import { Time } from '../time.js';

/**
 * @typedef {import('../rest.js').Location} Location
 * @typedef {import('../rest.js').Monitor} Monitor
 * @typedef {import('../rest.js').BlockedAddress} BlockedAddress
 */

/** States in which a monitor can be resumed or have its credentials revoked (the backend's RUNNABLE, as the wire shows them). */
const RUNNABLE = new Set(['REGISTERED', 'STARTED', 'STOPPED', 'DISCONNECTED', 'PAUSED', 'CONFIG_CHANGED']);
/** States in which Pause means something: a STOPPED monitor's poller is shut down, there is nothing to pause. */
const PAUSABLE = new Set(['REGISTERED', 'STARTED', 'DISCONNECTED', 'CONFIG_CHANGED']);

export function LocationsPage() {
  /** Per monitor, the last stats seen and the checks per minute derived from the two last check-ins. */
  const rates = useRef(/** @type {Map<string, { clockMs: number, checksDone: number, perMinute: number | null }>} */ (new Map()));
  const data = useResource(async () => {
    const [locations, monitors, blocked] = await Promise.all([getLocations(), getMonitors(), getBlockedAddresses()]);
    for (const m of monitors) {
      const s = m.stats;
      if (!s || typeof s.clockMs !== 'number' || typeof s.checksDone !== 'number') continue;
      const prev = rates.current.get(m.id);
      if (!prev) rates.current.set(m.id, { clockMs: s.clockMs, checksDone: s.checksDone, perMinute: null });
      else if (s.clockMs > prev.clockMs) {
        const perMinute = s.checksDone >= prev.checksDone ? ((s.checksDone - prev.checksDone) * 60_000) / (s.clockMs - prev.clockMs) : null;
        rates.current.set(m.id, { clockMs: s.clockMs, checksDone: s.checksDone, perMinute });
      }
    }
    return { locations, monitors, blocked };
  });
  const live = useLiveRefresh(data.load, {
    pollMs: 3000,
    liveEveryMs: 10_000,
    debounceMs: 150,
    // Monitors' own events, and admission changes (tokens rotated or revoked, pending purged) made elsewhere.
    matches: (e) => e.monitorId !== null || e.uei.includes('/remote/') || e.uei.startsWith('uei.vantage/location/'),
  });

  const d = data.data;
  return html`<section aria-labelledby="locations-title">
    <div class="page-head">
      <div>
        <h1 id="locations-title">Locations and monitors</h1>
        <p class="muted">Where pollers run and what they report. ${live ? 'Updates as monitors register and check in.' : 'Refreshed every 3 seconds.'}</p>
      </div>
    </div>
    <${ErrorBox} error=${data.error} onRetry=${data.load} />
    ${!d && data.loading ? html`<${Loading} />` : null}
    ${d && d.locations.length === 0 ? html`<${Empty}>No locations are configured.</${Empty}>` : null}
    ${d?.locations.map(
      (location) => html`<${LocationSection} key=${location.name} location=${location}
        monitors=${d.monitors.filter((m) => m.location === location.name)} rates=${rates.current} reload=${data.load} />`,
    )}
    ${d && d.blocked.length > 0 ? html`<${BlockedAddresses} blocked=${d.blocked} reload=${data.load} />` : null}
  </section>`;
}

/** @param {{ location: Location, monitors: Monitor[], rates: Map<string, { perMinute: number | null }>, reload: () => Promise<void> }} props */
function LocationSection({ location, monitors, rates, reload }) {
  const sorted = [...monitors].sort((a, b) => Number(b.status === 'PENDING') - Number(a.status === 'PENDING') || compareNames(a.name, b.name));
  const pausable = monitors.filter((m) => !m.paused && PAUSABLE.has(m.status)).length;
  const admitted = monitors.filter((m) => !['PENDING', 'DENIED', 'REVOKED'].includes(m.status));
  const checking = admitted.filter((m) => m.status === 'STARTED').length;
  const resumable = monitors.filter((m) => m.paused).length;
  const pending = monitors.filter((m) => m.status === 'PENDING').length;
  const bulk = async (/** @type {'pause' | 'resume'} */ action) => {
    const outcome = await administerLocation(location.name, action).catch((/** @type {unknown} */ err) => {
      if (err instanceof ApiError && err.status === 404 && !err.message.includes('no location')) {
        throw new ApiError(`${action === 'pause' ? 'Pause' : 'Resume'} all is not available on this server yet.`, 404);
      }
      throw err;
    });
    await reload();
    const changed = outcome.changed.length;
    const skipped = outcome.skipped;
    notify(
      `${action === 'pause' ? 'Paused' : 'Resumed'} ${countOf(changed, 'monitor')} at ${location.name}` +
        (skipped.length ? `; ${skipped.length} skipped (${skipped.map((s) => s.reason).join('; ')})` : '.'),
      skipped.length ? 'error' : 'ok',
    );
  };
  const purge = async () => {
    const ok = await confirmAction({
      title: `Purge the ${countOf(pending, 'monitor')} waiting at ${location.name}?`,
      message: 'They are deleted: a poller that still runs must register again (and wait for approval again). Denied monitors stay denied.',
      confirmLabel: 'Purge pending',
      danger: true,
    });
    if (!ok) return false;
    const outcome = await purgePending(location.name);
    await reload();
    notify(`Purged ${countOf(outcome.purged, 'pending monitor')} at ${location.name}.`, 'ok');
    return true;
  };

  return html`<section class="panel location" aria-labelledby=${`loc-${location.name}`} data-testid=${`location-${location.name}`}>
    <div class="panel-head">
      <div>
        <h2 id=${`loc-${location.name}`}>${location.name}${pending ? html` <span class="badge tone-attention" data-testid=${`pending-count-${location.name}`}>${pending} waiting for approval</span>` : null}</h2>
        <p class="small" data-testid=${`checking-${location.name}`}>${checking} of ${countOf(admitted.length, 'monitor')} checking${
          admitted.length > checking
            ? html` <span class="muted">(${[
                ['PAUSED', 'paused'],
                ['STOPPED', 'stopped'],
                ['DISCONNECTED', 'disconnected'],
                ['REGISTERED', 'not started yet'],
              ]
                .map(([status, word]) => [admitted.filter((m) => m.status === status).length, word])
                .filter(([n]) => n)
                .map(([n, word]) => `${n} ${word}`)
                .join(', ')})</span>`
            : ''
        }</p>
        <p class="muted small">
          ${[
            location.monitoringArea && `area ${location.monitoringArea}`,
            location.geolocation,
            location.coordinates && `${location.coordinates.latitude.toFixed(3)}, ${location.coordinates.longitude.toFixed(3)}`,
            `${location.mode === 'distribute' ? 'monitors share the work' : 'every monitor polls everything'} (${location.mode}${location.minOnline ? `, at least ${location.minOnline} online` : ''})`,
            `${countOf(location.services, 'service')} in ${location.packages.join(', ') || 'no package'}`,
            location.admission === 'token' ? 'admission by token' : 'admission by approval',
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      </div>
      <div class="actions">
        ${can('operator')
          ? html`<${ActionButton} label="Pause all" action=${() => bulk('pause')} disabled=${pausable === 0} testid=${`pause-all-${location.name}`}
                title=${pausable === 0 ? 'No monitor here to pause' : `Pause the ${countOf(pausable, 'monitor')} polling from ${location.name}`} />
              <${ActionButton} label="Resume all" action=${() => bulk('resume')} disabled=${resumable === 0} testid=${`resume-all-${location.name}`}
                title=${resumable === 0 ? 'No paused monitor here' : `Resume ${resumable === 1 ? 'the paused monitor' : `the ${resumable} paused monitors`}`} />`
          : null}
        ${can('admin')
          ? html`<${ActionButton} label="Purge pending" kind="danger" action=${purge} disabled=${pending === 0} testid=${`purge-pending-${location.name}`}
              title=${pending === 0 ? 'No monitor waiting for approval here' : `Delete ${pending === 1 ? 'the monitor' : `the ${pending} monitors`} waiting for approval`} />`
          : null}
      </div>
    </div>
    ${sorted.length === 0
      ? html`<${Empty}>No monitor at ${location.name} yet.${can('admin') ? ' Run the command below on a host there.' : ''}</${Empty}>`
      : html`<${TableWrap} label=${`Monitors at ${location.name}`} testid=${`monitors-${location.name}`}>
          <table class="monitors cards">
            <thead>
              <tr>
                <th scope="col">Monitor</th>
                <th scope="col">Status</th>
                <th scope="col">Last check-in</th>
                <th scope="col">Actions</th>
                <th scope="col">Host</th>
                <th scope="col"><abbr title="Checks finished / started since the poller started; per minute between its two last check-ins">Checks</abbr></th>
                <th scope="col"><abbr title="How late checks started (median / 99th percentile), checks that could not run, results waiting in the spool, and the poller's clock minus the backend's">Poller health</abbr></th>
              </tr>
            </thead>
            <tbody>
              ${sorted.map(
                (m) => html`<${MonitorRow} key=${m.id} monitor=${m} perMinute=${rates.get(m.id)?.perMinute ?? null} reload=${reload}
                  share=${location.shares ? { size: location.shares[m.id] ?? 0, of: location.services } : null} />`,
              )}
            </tbody>
          </table>
        </${TableWrap}>`}
    ${can('admin') ? html`<${RegisterPanel} key=${location.name} location=${location.name} admission=${location.admission} reload=${reload} />` : null}
  </section>`;
}

/**
 * `share`: at a location in distribute mode, how many of its services the monitor polls; null in replicate mode.
 * @param {{ monitor: Monitor, perMinute: number | null, reload: () => Promise<void>, share: { size: number, of: number } | null }} props
 */
function MonitorRow({ monitor: m, perMinute, reload, share }) {
  const s = m.stats ?? {};
  const act = (/** @type {'approve' | 'pause' | 'resume'} */ action) => async () => {
    await administerMonitor(m.id, action);
    await reload();
  };
  const remove = async () => {
    const ok = await confirmAction({
      title: `Delete monitor “${m.name}”?`,
      message: `It stops polling from ${m.location}; to come back, the poller has to register again (and be approved if the location asks for approval).`,
      confirmLabel: 'Delete monitor',
      danger: true,
    });
    if (!ok) return false;
    await deleteMonitor(m.id);
    await reload();
    return true;
  };
  const deny = (/** @type {boolean} */ blockAddress) => async () => {
    const ok = await confirmAction({
      title: blockAddress ? `Deny monitor “${m.name}” and block ${m.address}?` : `Deny monitor “${m.name}”?`,
      message:
        `It will never be admitted at ${m.location}: denying is for good.` +
        (blockAddress ? ` Every new registration from ${m.address} is refused too, until you unblock the address (listed at the end of this page).` : ''),
      confirmLabel: blockAddress ? 'Deny and block address' : 'Deny monitor',
      danger: true,
    });
    if (!ok) return false;
    await denyMonitor(m.id, blockAddress);
    await reload();
    return true;
  };
  const revoke = async () => {
    const ok = await confirmAction({
      title: `Revoke the credentials of “${m.name}”?`,
      message: `Its secret stops working at once: the poller at ${m.location} is refused, stops and does not register again. This cannot be undone; delete the monitor afterwards to clear it from the list.`,
      confirmLabel: 'Revoke credentials',
      danger: true,
    });
    if (!ok) return false;
    await revokeMonitor(m.id);
    await reload();
    return true;
  };
  const clockOffset = typeof s.clockMs === 'number' && m.lastCheckInAt ? s.clockMs - m.lastCheckInAt : null;
  const host = m.details ?? {};

  return html`<tr data-testid=${`monitor-${m.name}`} data-status=${m.status} data-monitor-id=${m.id} class=${m.status === 'PENDING' ? 'row-attention' : ''}>
    <th scope="row" class="sticky-col" data-label="Monitor">
      <span class="monitor-name">${m.name}</span>
      <div class="muted small">${m.local ? 'built-in poller' : html`<span title=${m.id}>${m.id.slice(0, 8)}</span>`}${m.address ? ` · from ${m.address}` : ''}</div>
      ${share
        ? html`<div class="muted small" data-testid=${`share-${m.name}`}
            title="Its share of the location's services: the monitors started and not paused split them between them">
            ${share.size > 0 || m.status === 'STARTED' ? `polls ${count(share.size)} of ${count(share.of)} services` : 'polls nothing (not started, or paused)'}
          </div>`
        : null}
    </th>
    <td data-label="Status">
      <${MonitorStatusBadge} status=${m.status} paused=${m.paused} />
      ${m.server && !m.local
        ? html`<div class="muted small" data-testid=${`server-${m.name}`} title=${m.server}>${m.serverRole === 'standby' ? 'on standby ' : 'via '}${serverHost(m.server)}</div>`
        : null}
      <div class="muted small" data-testid=${`connection-${m.name}`}
        title="The backend instance holding the poller's connection, and since when (the same on every instance)">
        ${m.instance ? html`connected to <span title=${m.instance}>${instanceHost(m.instance)}</span> since <${Time} ms=${m.connectedSince} />` : 'not connected'}
      </div>
    </td>
    <td data-label="Last check-in"><${Time} ms=${m.lastCheckInAt} /><div class="muted small">registered <${Time} ms=${m.registeredAt} /></div></td>
    <td class="actions-cell" data-label="Actions">
      <div class="actions">
        ${m.status === 'PENDING' && can('operator')
          ? html`<${ActionButton} label="Approve" kind="primary" action=${act('approve')} done=${`${m.name} approved`} testid=${`approve-${m.name}`} />
              <${ActionButton} label="Deny" kind="danger" action=${deny(false)} done=${`${m.name} denied`} testid=${`deny-${m.name}`} />
              ${m.address
                ? html`<${ActionButton} label="Deny and block address" kind="danger" action=${deny(true)} done=${`${m.name} denied; ${m.address} blocked`}
                    testid=${`deny-block-${m.name}`} title=${`Deny it and refuse every registration from ${m.address}`} />`
                : null}`
          : null}
        ${!can('operator')
          ? null
          : m.paused
          ? html`<${ActionButton} label="Resume" action=${act('resume')} testid=${`resume-${m.name}`} />`
          : PAUSABLE.has(m.status)
            ? html`<${ActionButton} label="Pause" action=${act('pause')} testid=${`pause-${m.name}`} />`
            : null}
        ${m.local || !RUNNABLE.has(m.status) || !can('admin')
          ? null
          : html`<${ActionButton} label="Revoke credentials" kind="danger" action=${revoke} done=${`${m.name}: credentials revoked`} testid=${`revoke-${m.name}`}
              title="Withdraw its secret: the poller is refused and stops" />`}
        ${m.local || m.status === 'DENIED' || !can('admin')
          ? null
          : html`<${ActionButton} label="Delete" kind="danger" action=${remove} done=${`${m.name} deleted`} testid=${`delete-${m.name}`} />`}
      </div>
    </td>
    <td class="host" data-label="Host">
      ${host.hostname ?? html`<span class="muted">—</span>`}
      <div class="muted small">${[host.os, host.version && `poller ${host.version}`, host.node && `node ${host.node}`].filter(Boolean).join(' · ')}</div>
    </td>
    <td class="num" data-testid="checks" data-label="Checks">
      ${m.stats ? `${count(s.checksDone)} / ${count(s.checksStarted)}` : '—'}
      ${perMinute === null ? null : html`<div class="muted small" data-testid="checks-per-minute">${perMinute.toFixed(1)} / min</div>`}
    </td>
    <td class="health small" data-label="Poller health">
      ${m.stats
        ? html`<div>late ${ms(s.lateMsP50)} / ${ms(s.lateMsP99)}</div>
            <div>${countOf(s.monitorErrors ?? 0, 'error')}</div>
            <div>spool ${count(s.spooled)}, ${count(s.spoolDropped)} dropped</div>`
        : html`<div class="muted">no report yet</div>`}
      <div>clock ${signedMs(clockOffset)}</div>
    </td>
  </tr>`;
}

/**
 * How to add a monitor here: the exact command for the remote host, with a
 * copy button, and what happens next (approval or token). Rotate token
 * replaces the location's token (the new one is shown this once; the old one
 * stops working at once, registered monitors keep theirs); Revoke token sends
 * new monitors back to approval.
 * @param {{ location: string, admission: 'token' | 'approval', reload: () => Promise<void> }} props
 */
function RegisterPanel({ location, admission, reload }) {
  const info = useResource(async () => {
    try {
      return await getRegistration(location);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !err.message.includes('no location')) return null;
      throw err;
    }
  });
  useLoadEffect(() => {
    void info.load();
  }, [admission]);
  const [copied, setCopied] = useState(/** @type {string | null} */ (null));
  /** The answer to this page's last rotation: the only time its token can be shown. */
  const [rotated, setRotated] = useState(/** @type {import('../rest.js').RotatedToken | null} */ (null));
  const r = rotated ?? info.data;

  const copy = async (/** @type {string} */ text) => {
    try {
      await copyText(text);
      setCopied(text);
      setTimeout(() => setCopied(null), 2000);
    } catch {
      notify('Copying failed: select the command and copy it by hand.', 'error');
    }
  };
  const rotate = async () => {
    if (admission === 'token') {
      const ok = await confirmAction({
        title: `Replace the registration token of ${location}?`,
        message: 'The current token stops working at once: pollers not yet registered with it are refused. Monitors already registered keep working (they have their own secret).',
        confirmLabel: 'Rotate token',
        danger: true,
      });
      if (!ok) return false;
    }
    setRotated(await rotateToken(location));
    await reload();
    return true;
  };
  const revoke = async () => {
    const ok = await confirmAction({
      title: `Revoke the registration token of ${location}?`,
      message: 'Pollers presenting it are refused from now on; new monitors register without a token and wait for approval. Monitors already registered keep working.',
      confirmLabel: 'Revoke token',
      danger: true,
    });
    if (!ok) return false;
    await revokeToken(location);
    setRotated(null);
    await reload();
    await info.load();
    return true;
  };

  return html`<div class="register" data-testid=${`register-${location}`}>
    <h3>Register a monitor at ${location}</h3>
    <${ErrorBox} error=${info.error} onRetry=${info.load} />
    ${r === undefined && info.loading ? html`<${Loading} />` : null}
    ${r === null ? html`<p class="muted">This server does not give the registration command yet (GET /api/locations/${location}/registration is missing).</p>` : null}
    ${r
      ? html`${r.downloadCommand
            ? html`<p class="muted small">On a host at ${location} with Node.js 20 (nothing else), download the poller from this server and start it:</p>
                <div class="command">
                  <code data-testid=${`register-download-${location}`}>${r.downloadCommand}</code>
                  <button type="button" class="btn btn-small" onClick=${() => copy(/** @type {string} */ (r.downloadCommand))} aria-label=${`Copy the download command for ${location}`}>${copied === r.downloadCommand ? 'Copied' : 'Copy'}</button>
                </div>
                <p class="muted small">The file's SHA-256 is checked before it runs. For a service that starts at boot, see the README's systemd unit. Where Vantage is installed, instead:</p>`
            : html`<p class="muted small">On a host at ${location} with Node.js 20 and Vantage, run:</p>`}
          <div class="command">
            <code data-testid=${`register-command-${location}`} id=${`register-command-${location}`}>${r.command}</code>
            <button type="button" class="btn btn-small" onClick=${() => copy(r.command)} aria-label=${`Copy the command for ${location}`} data-testid=${`copy-command-${location}`}>${copied === r.command ? 'Copied' : 'Copy'}</button>
          </div>
          <p class="muted small" role="status" data-testid=${`register-note-${location}`}>${copied ? 'Command copied to the clipboard. ' : ''}${registrationNote(r, rotated !== null)}</p>
          <${CertificateNote} registration=${r} />`
      : null}
    <div class="actions">
      <${ActionButton} label=${admission === 'token' ? 'Rotate token' : 'Create token'} action=${rotate} testid=${`rotate-token-${location}`}
        done=${`New registration token for ${location}: copy the command now, it is shown once`}
        title=${admission === 'token' ? 'Replace the token: the current one stops working at once' : 'Admit new monitors at once with a token instead of approval'} />
      ${admission === 'token'
        ? html`<${ActionButton} label="Revoke token" kind="danger" action=${revoke} testid=${`revoke-token-${location}`} done=${`${location} now admits monitors by approval`}
            title="New monitors wait for approval; registered ones keep working" />`
        : null}
    </div>
  </div>`;
}

/**
 * What the poller will check of the server's certificate, when the backend serves TLS.
 * @param {{ registration: import('../rest.js').Registration }} props
 */
function CertificateNote({ registration: r }) {
  if (!r.fingerprint) return null;
  return r.command.includes('--fingerprint')
    ? html`<p class="muted small" data-testid=${`register-fingerprint-${r.location}`}>
        The server’s certificate is self-signed; the command pins it, so the monitor talks only to a server presenting
        <code class="fingerprint">${r.fingerprint}</code>.
      </p>`
    : html`<p class="muted small" data-testid=${`register-fingerprint-${r.location}`}>
        The monitor checks the server’s certificate (<code class="fingerprint">${r.fingerprint}</code>) against its system’s CAs;
        add <code>--ca FILE</code> if a private CA issued it.
      </p>`;
}

/** The host:port of a server URL, short enough for a table cell. */
function serverHost(/** @type {string} */ url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** An instance id (`host:port:random`) without its random part, short enough for a table cell; the whole id is its title. */
function instanceHost(/** @type {string} */ id) {
  const parts = id.split(':');
  return parts.length >= 3 ? parts.slice(0, -1).join(':') : id;
}

/** What happens when the command runs, and where the token is. @param {import('../rest.js').Registration} r @param {boolean} justRotated */
function registrationNote(r, justRotated) {
  if (r.admission !== 'token') return 'The monitor then waits as PENDING and appears above with an Approve button.';
  if (justRotated) return 'The new token is shown this once: copy the command now. The monitor is admitted at once.';
  if (r.token === null) return 'The token was shown once, when it was created: put it in VANTAGE_TOKEN, or Rotate token to get a new one. The monitor is admitted at once.';
  return 'The command carries the location’s registration token (from the configuration): the monitor is admitted at once.';
}

/**
 * Source addresses whose registrations are refused ("Deny and block address"), each with Unblock.
 * @param {{ blocked: BlockedAddress[], reload: () => Promise<void> }} props
 */
function BlockedAddresses({ blocked, reload }) {
  return html`<section class="panel" aria-labelledby="blocked-title" data-testid="blocked-addresses">
    <h2 id="blocked-title">Blocked addresses</h2>
    <p class="muted small">Registrations from these addresses are refused. Monitors already registered from them are not affected.</p>
    <${TableWrap} label="Blocked addresses">
      <table class="cards">
        <thead><tr><th scope="col">Address</th><th scope="col">Why</th><th scope="col">Blocked</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${blocked.map(
            (b) => html`<tr key=${b.address} data-testid=${`blocked-${b.address}`}>
              <th scope="row">${b.address}</th>
              <td>${b.reason ?? html`<span class="muted">—</span>`}</td>
              <td><${Time} ms=${b.createdAt} /><div class="muted small">by ${b.createdBy}</div></td>
              <td>${can('admin')
                ? html`<${ActionButton} label="Unblock" action=${async () => {
                    await unblockAddress(b.address);
                    await reload();
                  }} done=${`${b.address} unblocked`} testid=${`unblock-${b.address}`} />`
                : null}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </${TableWrap}>
  </section>`;
}

/** Copies text, also where navigator.clipboard is not offered (plain HTTP to another host). */
async function copyText(/** @type {string} */ text) {
  if (navigator.clipboard && globalThis.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}
