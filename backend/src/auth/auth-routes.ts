/**
 * Sign-in for the web UI and the REST API. Every /api/ request needs a
 * signed-in user: a session cookie (the UI; changes also need the session's
 * CSRF token in `X-CSRF-Token`) or HTTP Basic credentials (scripts, which
 * have no cookie to be tricked with). /api/health and signing in are open.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH, SESSION_TTL_MS, type AuthService, type SignedInUser } from './auth-service.ts';

export const SESSION_COOKIE = 'vantage_session';
const OPEN_ROUTES = new Set(['GET /api/health', 'POST /api/session', 'GET /api/session', 'GET /api/openapi.json']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_FAILED_SIGN_INS_PER_MINUTE = 10;

declare module 'fastify' {
  interface FastifyRequest {
    user?: SignedInUser;
  }
}

export function registerAuth(app: FastifyInstance, auth: AuthService): void {
  const failures = new Map<string, number[]>();
  const tooManyFailures = (ip: string) => {
    const recent = (failures.get(ip) ?? []).filter((t) => t > Date.now() - 60_000);
    failures.set(ip, recent);
    return recent.length >= MAX_FAILED_SIGN_INS_PER_MINUTE;
  };

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (!path.startsWith('/api/') || OPEN_ROUTES.has(`${request.method} ${path}`)) return;
    const basic = request.headers.authorization;
    if (basic?.toLowerCase().startsWith('basic ')) {
      const user = await auth.checkBasic(basic);
      if (!user) return reply.code(401).header('www-authenticate', 'Basic realm="Vantage"').send({ error: 'wrong username or password' });
      request.user = user;
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await auth.session(token) : null;
    if (!session) return reply.code(401).send({ error: 'sign in first (POST /api/session, or HTTP Basic credentials)' });
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      return reply.code(403).send({ error: 'missing or wrong X-CSRF-Token header (GET /api/session gives the token)' });
    }
    request.user = session.user;
  });

  app.post<{ Body: { username?: unknown; password?: unknown } }>('/api/session', async (request, reply) => {
    if (tooManyFailures(request.ip)) return reply.code(429).send({ error: 'too many failed sign-ins; wait a minute' });
    const { username, password } = request.body ?? {};
    if (typeof username !== 'string' || typeof password !== 'string') return reply.code(400).send({ error: 'username and password are required' });
    const user = await auth.checkPassword(username, password);
    if (!user) {
      failures.get(request.ip)!.push(Date.now());
      return reply.code(401).send({ error: 'wrong username or password' });
    }
    const { token, session } = await auth.createSession(user);
    setSessionCookie(request, reply, token);
    return { user: session.user.username, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  });

  app.get('/api/session', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await auth.session(token) : null;
    if (!session) return reply.code(401).send({ error: 'not signed in' });
    return { user: session.user.username, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
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
    const outcome = await auth.changePassword(request.user!, current, next);
    if (outcome === 'too-short') return reply.code(400).send({ error: `the new password must be at least ${MIN_PASSWORD_LENGTH} characters` });
    if (outcome === 'wrong-password') return reply.code(403).send({ error: 'the current password is wrong' });
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { changed: true, note: 'every session of this user has ended; sign in again' };
  });
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
