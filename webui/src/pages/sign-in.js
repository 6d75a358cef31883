/**
 * Sign-in: username and password. The address is left alone, so once signed in
 * the shell shows the page the user was going to.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { signIn } from '../api.js';

/** @param {{ onSignedIn: (session: import('../api.js').Session) => void }} props */
export function SignInPage({ onSignedIn }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const first = useRef(/** @type {HTMLInputElement | null} */ (null));
  useEffect(() => {
    first.current?.focus();
  }, []);

  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(username.trim(), password));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setPassword('');
      setBusy(false);
    }
  };

  return html`<main class="signin" id="main">
    <form class="signin-card" onSubmit=${submit} data-testid="sign-in-form" aria-labelledby="signin-title">
      <p class="brand brand-large"><span class="brand-mark" aria-hidden="true">◎</span>Vantage</p>
      <h1 id="signin-title">Sign in</h1>
      ${error ? html`<p class="error-box" role="alert" data-testid="sign-in-error">${error}</p>` : null}
      <label for="signin-username">Username</label>
      <input id="signin-username" name="username" ref=${first} autocomplete="username" required value=${username}
        onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setUsername(e.currentTarget.value)} />
      <label for="signin-password">Password</label>
      <input id="signin-password" name="password" type="password" autocomplete="current-password" required value=${password}
        onInput=${(/** @type {import('preact').TargetedEvent<HTMLInputElement>} */ e) => setPassword(e.currentTarget.value)} />
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}
