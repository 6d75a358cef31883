/**
 * The audit trail (GET /api/audit; operators and administrators): who
 * approved, denied, paused, resumed or deleted a monitor, acknowledged or
 * cleared an alarm, rotated a token, reloaded the configuration or changed a
 * user, and when. Filtered by user and kind of action on the server; the
 * filters live in the address (`/audit?user=otto&action=monitor.`), so a link
 * or a reload shows the same list.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { useLoadEffect } from '../load-effect.js';
import { Empty, ErrorBox, Loading, TableWrap, useResource } from '../components.js';
import { Time, ZoneName } from '../time.js';
import { getAudit } from '../rest.js';
import { useQueryParam } from '../router.js';
import { SelectFilter } from './filters.js';

const KINDS = [
  { value: '', label: 'Every action' },
  { value: 'monitor.', label: 'Monitors' },
  { value: 'location.', label: 'Locations' },
  { value: 'alarm.', label: 'Alarms' },
  { value: 'token.', label: 'Registration tokens' },
  { value: 'address.', label: 'Blocked addresses' },
  { value: 'config.', label: 'Configuration' },
  { value: 'user.', label: 'Users' },
];

export function AuditPage() {
  const [user, setUser] = useQueryParam('user');
  const [action, setAction] = useQueryParam('action');
  // The user filter applies at Enter or when the field is left; until then what is typed is kept here, so a
  // render meanwhile (the list arriving) does not put the applied value back over it.
  const [typedUser, setTypedUser] = useState(user);
  useEffect(() => setTypedUser(user), [user]);
  const entries = useResource(() => getAudit({ user: user.trim() || undefined, action: action || undefined, limit: 500 }));
  useLoadEffect(() => {
    void entries.load();
  }, [user, action]);
  const d = entries.data;
  return html`<section aria-labelledby="audit-title">
    <div class="page-head">
      <div>
        <h1 id="audit-title">Audit trail</h1>
        <p class="muted">Every change made through the web UI or the REST API, with who made it. Times in <${ZoneName} />.</p>
      </div>
    </div>
    <form class="filters" aria-label="Filter the audit trail" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()} data-testid="audit-filters">
      <div class="filter">
        <label for="au-user">User</label>
        <input id="au-user" value=${typedUser} placeholder="Everyone" data-testid="audit-filter-user"
          onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setTypedUser(e.currentTarget.value)}
          onChange=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setUser(e.currentTarget.value.trim())} />
      </div>
      <${SelectFilter} id="au-action" label="Action" value=${action} onChange=${setAction} options=${KINDS} testid="audit-filter-action" />
    </form>
    <${ErrorBox} error=${entries.error} onRetry=${entries.load} />
    ${!d && entries.loading ? html`<${Loading} />` : null}
    ${d
      ? d.length === 0
        ? html`<${Empty}><span data-testid="no-audit">Nothing recorded${user || action ? ' matches the filters' : ' yet'}.</span></${Empty}>`
        : html`<${TableWrap} label="Audit trail" testid="audit">
            <table data-testid="audit-table">
              <thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">On</th><th scope="col">Details</th></tr></thead>
              <tbody>
                ${d.map(
                  (e) => html`<tr key=${e.id} data-testid="audit-row" data-action=${e.action} data-user=${e.user} data-target=${e.target ?? ''}>
                    <td class="nowrap"><${Time} ms=${e.time} /></td>
                    <td>${e.user}</td>
                    <td><code>${e.action}</code></td>
                    <td><${Target} entry=${e} /></td>
                    <td class="small">${Object.entries(e.details)
                      .filter(([k]) => !(e.details.monitor && (k === 'monitor' || k === 'location')))
                      .map(([k, v]) => `${k} ${v}`)
                      .join(' · ')}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </${TableWrap}>`
      : null}
  </section>`;
}

/** What an entry acted on: a monitor by its name and location (its id on hover), anything else as recorded. @param {{ entry: import('../rest.js').AuditEntry }} props */
function Target({ entry: e }) {
  if (e.details.monitor) return html`<span title=${e.target ?? ''}>${e.details.monitor}<span class="muted"> at ${e.details.location}</span></span>`;
  return e.target === null ? html`<span class="muted">—</span>` : html`${e.target}`;
}
