/**
 * Users (administrators only): who may sign in and with which role, a form
 * to add one, and per user: change the role, set a new password (which ends
 * their sessions), delete. The backend keeps at least one administrator and
 * refuses deleting oneself; its refusal is shown as it says it.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useLoadEffect } from '../load-effect.js';
import { ActionButton, ErrorBox, Loading, TableWrap, confirmAction, notify, useResource } from '../components.js';
import { Time } from '../time.js';
import { changeUser, createUser, deleteUser, getUsers } from '../rest.js';

/** @typedef {import('../rest.js').User} User */

const ROLES = [
  { value: 'viewer', label: 'Viewer', help: 'reads everything, changes nothing' },
  { value: 'operator', label: 'Operator', help: 'also approves, denies, pauses and resumes monitors, acknowledges and clears alarms' },
  { value: 'admin', label: 'Administrator', help: 'also manages users, registration tokens, blocked addresses, deletes monitors, reloads the configuration' },
];

/** @param {{ currentUser: string }} props */
export function UsersPage({ currentUser }) {
  const users = useResource(getUsers);
  useLoadEffect(() => {
    void users.load();
  }, []);
  return html`<section aria-labelledby="users-title">
    <div class="page-head">
      <div>
        <h1 id="users-title">Users</h1>
        <p class="muted">Who may sign in, and what they may do: ${ROLES.map((r, i) => html`${i ? '; ' : ''}<strong>${r.label.toLowerCase()}</strong> ${r.help}`)}.</p>
      </div>
    </div>
    <${NewUserForm} onCreated=${users.load} />
    <${ErrorBox} error=${users.error} onRetry=${users.load} />
    ${!users.data && users.loading ? html`<${Loading} />` : null}
    ${users.data
      ? html`<${TableWrap} label="Users" testid="users">
          <table data-testid="users-table">
            <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              ${users.data.map((u) => html`<${UserRow} key=${u.username} user=${u} self=${u.username === currentUser} reload=${users.load} />`)}
            </tbody>
          </table>
        </${TableWrap}>`
      : null}
  </section>`;
}

/** @param {{ onCreated: () => Promise<void> }} props */
function NewUserForm({ onCreated }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('viewer');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await createUser({ username: username.trim(), role, password });
      notify(`User ${username.trim()} created (${role})`, 'ok');
      setUsername('');
      setPassword('');
      await onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  /** @param {(v: string) => void} set */
  const input = (set) => (/** @type {import('preact').TargetedEvent<HTMLInputElement | HTMLSelectElement>} */ e) => set(e.currentTarget.value);
  return html`<form class="filters" aria-label="Add a user" onSubmit=${submit} data-testid="new-user-form">
    <div class="filter">
      <label for="nu-username">Username</label>
      <input id="nu-username" required autocomplete="off" value=${username} onInput=${input(setUsername)} data-testid="new-user-username" />
    </div>
    <div class="filter">
      <label for="nu-role">Role</label>
      <select id="nu-role" value=${role} onChange=${input(setRole)} data-testid="new-user-role">
        ${ROLES.map((r) => html`<option value=${r.value} selected=${r.value === role}>${r.label}</option>`)}
      </select>
    </div>
    <div class="filter">
      <label for="nu-password">Password</label>
      <input id="nu-password" type="password" required minlength="10" autocomplete="new-password" value=${password} onInput=${input(setPassword)} data-testid="new-user-password" />
    </div>
    <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="new-user-create">Add user</button>
    ${error ? html`<p class="error-box" role="alert" data-testid="new-user-error">${error}</p>` : null}
  </form>`;
}

/** @param {{ user: User, self: boolean, reload: () => Promise<void> }} props */
function UserRow({ user: u, self, reload }) {
  const [settingPassword, setSettingPassword] = useState(false);
  const [password, setPassword] = useState('');
  const changeRole = async (/** @type {string} */ role) => {
    try {
      await changeUser(u.username, { role });
      notify(`${u.username} is now ${role}`, 'ok');
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'error');
    }
    await reload();
  };
  const savePassword = async () => {
    await changeUser(u.username, { password });
    setPassword('');
    setSettingPassword(false);
  };
  const remove = async () => {
    const ok = await confirmAction({
      title: `Delete user “${u.username}”?`,
      message: 'They are signed out at once and can no longer sign in. What they did stays in the audit trail.',
      confirmLabel: 'Delete user',
      danger: true,
    });
    if (!ok) return false;
    await deleteUser(u.username);
    await reload();
    return true;
  };
  return html`<tr data-testid=${`user-${u.username}`} data-role=${u.role}>
    <th scope="row">${u.username}${self ? html` <span class="muted small">(you)</span>` : null}</th>
    <td>
      <label class="sr-only" for=${`role-${u.username}`}>Role of ${u.username}</label>
      <select id=${`role-${u.username}`} value=${u.role} data-testid=${`role-${u.username}`}
        onChange=${(/** @type {import('preact').TargetedEvent<HTMLSelectElement>} */ e) => void changeRole(e.currentTarget.value)}>
        ${ROLES.map((r) => html`<option value=${r.value} selected=${r.value === u.role}>${r.label}</option>`)}
      </select>
    </td>
    <td><${Time} ms=${u.createdAt} /></td>
    <td class="actions-cell">
      <div class="actions">
        ${settingPassword
          ? html`<label class="sr-only" for=${`password-${u.username}`}>New password for ${u.username}</label>
              <input id=${`password-${u.username}`} type="password" minlength="10" autocomplete="new-password" value=${password} placeholder="New password (10+ characters)"
                onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setPassword(e.currentTarget.value)} data-testid=${`password-${u.username}`} />
              <${ActionButton} label="Save password" kind="primary" action=${savePassword} done=${`New password for ${u.username}; their sessions have ended`} testid=${`save-password-${u.username}`} />
              <button type="button" class="btn btn-small" onClick=${() => setSettingPassword(false)}>Cancel</button>`
          : html`<button type="button" class="btn btn-small" onClick=${() => setSettingPassword(true)} data-testid=${`set-password-${u.username}`}>Set password</button>`}
        ${self ? null : html`<${ActionButton} label="Delete" kind="danger" action=${remove} done=${`${u.username} deleted`} testid=${`delete-user-${u.username}`} />`}
      </div>
    </td>
  </tr>`;
}
