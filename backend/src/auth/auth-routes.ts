/**
 * Sign-in for the web UI and the REST API. Every route needs a signed-in
 * user unless it is registered as PUBLIC (route-access.ts): a session cookie
 * (the UI; changes also need the session's CSRF token in `X-CSRF-Token`) or
 * HTTP Basic credentials (scripts, which have no cookie to be tricked with).
 * A route registered as SCRAPE (GET /metrics) also takes the scrape token,
 * when one is configured, as `Authorization: Bearer TOKEN`.
 * Every password, from the form, Basic or a password change, passes the
 * AuthService's PasswordGate: too many wrong ones answer 429, too many at
 * once 503, both with Retry-After. Once signed in, the user's role must be
 * one the route allows (rest/route-roles.ts), or the answer is 403; a route
 * that changes something gets its pending audit entry here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { runWithAudit, type PendingAudit } from '../audit/audit-trail.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH, SESSION_TTL_MS, type AuthService, type PasswordRefusal, type SignedInUser } from './auth-service.ts';
import { routeAccess } from '../rest/route-roles.ts';
import { needsSignIn, PUBLIC, takesScrapeToken } from './route-access.ts';
import { roleAllows } from './roles.ts';

export const SESSION_COOKIE = 'vantage_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    user?: SignedInUser;
    /** The audit entry this request writes when it changes something (audit/audit-trail.ts). */
    pendingAudit?: PendingAudit;
  }
}

export function registerAuth(app: FastifyInstance, auth: AuthService, options: { scrapeToken?: string } = {}): void {
  const scrapeTokenHash = options.scrapeToken ? sha256(options.scrapeToken) : undefined;
  app.addHook('onRequest', async (request, reply) => {
    if (!needsSignIn(request)) return;
    const authorization = request.headers.authorization;
    if (scrapeTokenHash && authorization?.toLowerCase().startsWith('bearer ') && takesScrapeToken(request)) {
      // Hashes of equal length, so the comparison takes the same time whatever was sent.
      if (timingSafeEqual(sha256(authorization.slice('bearer '.length).trim()), scrapeTokenHash)) return;
      return reply.code(401).send({ error: 'wrong scrape token' });
    }
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const check = await auth.checkBasic(authorization, request.ip);
      if (check.kind !== 'accepted') return refusePassword(reply, check, 401, true);
      request.user = check.user;
      return authorize(request, reply);
    }
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await auth.session(token) : null;
    if (!session) return reply.code(401).send({ error: 'sign in first (POST /api/session, or HTTP Basic credentials)' });
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      return reply.code(403).send({ error: 'missing or wrong X-CSRF-Token header (GET /api/session gives the token)' });
    }
    request.user = session.user;
    return authorize(request, reply);
  });

  app.get('/api/me', async (request) => ({ user: request.user!.username, role: request.user!.role }));

  app.post<{ Body: { username?: unknown; password?: unknown } }>('/api/session', PUBLIC, async (request, reply) => {
    const { username, password } = request.body ?? {};
    if (typeof username !== 'string' || typeof password !== 'string') return reply.code(400).send({ error: 'username and password are required' });
    const check = await auth.checkPassword(username, password, request.ip);
    if (check.kind !== 'accepted') return refusePassword(reply, check, 401, false);
    // Who signed in, and from where, is recorded with the session it opens (a public route has no entry until now).
    request.pendingAudit = { user: check.user.username, action: 'session.sign-in', target: null, details: { address: request.ip } };
    const { token, session } = await runWithAudit(request.pendingAudit, () => auth.createSession(check.user));
    setSessionCookie(request, reply, token);
    return { user: session.user.username, role: session.user.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  });

  app.get('/api/session', PUBLIC, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await auth.session(token) : null;
    if (!session) return reply.code(401).send({ error: 'not signed in' });
    return { user: session.user.username, role: session.user.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  });

  app.delete('/api/session', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await auth.endSession(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.post<{ Body: { current?: unknown; next?: unknown } }>('/api/session/password', async (request, reply) => {
    const { current, next } = request.body ?? {};
    if (typeof current !== 'string' || typeof next !== 'string') return reply.code(400).send({ error: 'current and next passwords are required' });
    const outcome = await auth.changePassword(request.user!, current, next, request.ip);
    if (outcome === 'too-short') return reply.code(400).send({ error: `the new password must be at least ${MIN_PASSWORD_LENGTH} characters` });
    if (outcome !== 'changed') return refusePassword(reply, outcome, 403, false, 'the current password is wrong');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { changed: true, note: 'every session of this user has ended; sign in again' };
  });
}

/**
 * Lets the signed-in user through when their role may call the route, and
 * starts the audit entry of a route that changes something. A route missing
 * from the table is refused (the backend also refuses to start with one).
 */
function authorize(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const user = request.user!;
  const access = routeAccess(request.method, request.routeOptions.url ?? '');
  if (!access) return reply.code(403).send({ error: 'this route declares no role, so nobody may call it' });
  if (!roleAllows(user.role, access.role)) {
    return reply.code(403).send({ error: `this needs the ${access.role} role; user "${user.username}" has the ${user.role} role` });
  }
  if (access.audit) {
    const params = request.params as Record<string, string> | undefined;
    request.pendingAudit = { user: user.username, action: access.audit, target: access.target ? (params?.[access.target] ?? null) : null, details: {} };
  }
  return undefined;
}

/**
 * The answer to a password that signed no one in: `wrongStatus` for a wrong
 * one, 429 while its (username, address) has to wait, 503 while the server
 * checks all the passwords it can; the last two say when to try again.
 */
function refusePassword(reply: FastifyReply, refusal: PasswordRefusal, wrongStatus: 401 | 403, basic: boolean, wrongMessage = 'wrong username or password'): FastifyReply {
  if (refusal.kind === 'rejected') {
    if (basic) void reply.header('www-authenticate', 'Basic realm="Vantage"');
    return reply.code(wrongStatus).send({ error: wrongMessage });
  }
  const seconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  void reply.header('retry-after', String(seconds));
  if (refusal.kind === 'wait') return reply.code(429).send({ error: `too many wrong passwords, or too many at once; try again in ${seconds} s` });
  return reply.code(503).send({ error: `too many sign-ins at once; try again in ${seconds} s` });
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    // Secure when the UI is reached over HTTPS (directly or behind a proxy that says so).
    secure: request.protocol === 'https',
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
