/** Users of each role for tests, created through the REST API as the test administrator. */
import type { Role } from '../src/auth/roles.ts';
import { adminFetch } from './test-backend.ts';

/** A password long enough for the backend's minimum. */
export const TEST_USER_PASSWORD = 'a-test-user-password';

export const basicAuthorization = (username: string, password = TEST_USER_PASSWORD) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** Creates `username` with `role`; throws with the answer when the backend refuses. */
export async function createUser(baseUrl: string, username: string, role: Role, password = TEST_USER_PASSWORD): Promise<void> {
  const response = await adminFetch(`${baseUrl}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, role, password }) });
  if (response.status !== 200) throw new Error(`creating ${role} "${username}": ${response.status} ${await response.text()}`);
}

/** fetch signed in as `username` (HTTP Basic). */
export function userFetch(username: string, url: string, init: RequestInit = {}, password = TEST_USER_PASSWORD): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', basicAuthorization(username, password));
  return fetch(url, { ...init, headers });
}
