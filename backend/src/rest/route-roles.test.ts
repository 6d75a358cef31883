/**
 * The role table against the routes the backend really registers: every
 * route is public or declares a role, nothing in the table is stale, and each
 * route that changes something is tried as a viewer, an operator and an
 * administrator over HTTP on loopback: the roles below the one it needs get
 * 403 naming the role, the others reach the handler.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROLES, roleAllows, type Role } from '../auth/roles.ts';
import { startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { createUser, userFetch } from '../../testing/users.ts';
import { requireDeclaredRole, ROUTE_ACCESS } from './route-roles.ts';
import { PUBLIC_ROUTES } from '../../testing/public-routes.ts';


/** One user per role, named after it. */
const USERS: Record<Role, string> = { viewer: 'vera', operator: 'otto', admin: 'ada' };

let t: TestBackend;
let base: string;
before(async () => {
  t = await startTestBackend();
  base = t.backend.url;
  for (const role of ROLES) await createUser(base, USERS[role], role);
});
after(() => t.close());

void test('every registered route is public or declares the role it needs, and the table names only registered routes', () => {
  const undeclared = t.backend.routes.filter((route) => !PUBLIC_ROUTES.has(route) && !(route in ROUTE_ACCESS));
  assert.deepEqual(undeclared, []);
  const stale = Object.keys(ROUTE_ACCESS).filter((route) => !t.backend.routes.includes(route));
  assert.deepEqual(stale, []);
  const declaredPublic = [...PUBLIC_ROUTES].filter((route) => route in ROUTE_ACCESS);
  assert.deepEqual(declaredPublic, [], 'a public route has no role');
});

void test('every route that changes something records an audit action, and needs more than a viewer unless it is about one\'s own session', () => {
  for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
    if (route.startsWith('GET ')) {
      assert.equal(access.audit, undefined, `${route} reads and records nothing`);
      continue;
    }
    if (route === 'DELETE /api/session') continue;
    assert.ok(access.audit, `${route} records no audit action`);
    if (!route.startsWith('/api/session', route.indexOf(' ') + 1)) assert.notEqual(access.role, 'viewer', `${route} is open to viewers`);
  }
});

/** A route with values for its parameters that name nothing: a caller that gets past the role check meets a 404 or 400, and nothing changes. */
function nowhere(route: string): { method: string; url: string } {
  const [method, pattern] = route.split(' ') as [string, string];
  const path = pattern.replace(':id', 'no-such-id').replace(':name', 'Atlantis').replace(':address', '192.0.2.250').replace(':username', 'nobody');
  return { method, url: `${base}${path}` };
}

void test('each changing route answers 403 to the roles below the one it needs, and reaches its handler for the others', async () => {
  let tried = 0;
  for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
    if (route.startsWith('GET ')) continue;
    const { method, url } = nowhere(route);
    for (const role of ROLES) {
      const response = await userFetch(USERS[role], url, { method, headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      tried++;
      if (roleAllows(role, access.role)) {
        assert.notEqual(response.status, 403, `${route} as ${role}: ${body.error}`);
        assert.ok(response.status < 500, `${route} as ${role}: ${response.status} ${body.error}`);
      } else {
        assert.equal(response.status, 403, `${route} as ${role}`);
        assert.equal(body.error, `this needs the ${access.role} role; user "${USERS[role]}" has the ${role} role`);
      }
    }
  }
  assert.ok(tried >= 3 * 20, `tried ${tried}`);
});

void test('reading routes answer every role that may read them, and administrators only where the table says so', async () => {
  for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
    if (!route.startsWith('GET ') || route === 'GET /api/live' || /[:*]/.test(route)) continue;
    const query = route === 'GET /api/response-times' ? '?service=web1%2FHTTP' : '';
    for (const role of ROLES) {
      const response = await userFetch(USERS[role], `${base}${route.slice(4)}${query}`);
      assert.equal(response.status, roleAllows(role, access.role) ? 200 : 403, `${route} as ${role}`);
    }
  }
});

void test('GET /api/me says who is signed in, with the role', async () => {
  for (const role of ROLES) {
    assert.deepEqual(await (await userFetch(USERS[role], `${base}/api/me`)).json(), { user: USERS[role], role });
  }
});

void test('the OpenAPI description states the role each route needs', async () => {
  const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-vantage-role'?: string }>> };
  for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
    const [method, path] = route.split(' ') as [string, string];
    const operation = document.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
    assert.equal(operation?.['x-vantage-role'], access.role, route);
  }
  assert.equal(document.paths['/api/health']?.get?.['x-vantage-role'], undefined, 'a public route needs no role');
});

void test('a route that is neither public nor declared stops the backend from starting, naming it', () => {
  assert.throws(() => requireDeclaredRole('POST', '/api/undeclared', false), { message: 'route POST /api/undeclared declares no role: add it to backend/src/rest/route-roles.ts' });
  assert.doesNotThrow(() => requireDeclaredRole('POST', '/api/undeclared', true));
  assert.doesNotThrow(() => requireDeclaredRole('HEAD', '/api/monitors', false));
});
