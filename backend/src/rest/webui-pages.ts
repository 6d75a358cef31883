/**
 * The web UI's pages by path (`/services`, `/services/NODE/SERVICE`,
 * `/alarms?state=all`) and the REST answers each page shows first. Because
 * the server sees the path, it can send those answers inside the page
 * itself: for a signed-in browser (its session cookie came with the
 * request) the page carries them, made by the REST API's own routes with
 * that cookie (the same answers, the same role checks), and the page
 * renders its data without asking. Without a session cookie (signed out, or
 * a link followed from another site, which does not send the SameSite=Strict
 * cookie) the page carries only the list, and index.html's early script asks
 * for them while the modules load. webui/src/early-requests.js takes both.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../auth/auth-routes.ts';

/** The pages' first path segments (webui/src/router.js routes the same ones; `/` is availability). */
export const PAGE_SECTIONS = ['availability', 'services', 'locations', 'events', 'alarms', 'audit', 'users'] as const;

/** The paths the web UI's page is served at. */
export const PAGE_PATHS = ['/', ...PAGE_SECTIONS.map((s) => `/${s}`), '/services/*'];

const SESSION = '/api/session';

/**
 * The REST answers the page at `url` (path and query, as requested) shows
 * first: the session, the event catalogue and the open-alarm count in the
 * navigation, and the page's own data when the address holds no filter (a
 * filtered page asks for its own, with its filters).
 */
export function firstAnswerUrls(url: string): string[] {
  const cut = url.indexOf('?');
  const path = (cut >= 0 ? url.slice(0, cut) : url).split('/').filter(Boolean);
  const query = cut >= 0 ? url.slice(cut + 1) : '';
  const page = path[0] ?? 'availability';
  const urls = [SESSION, '/api/events/catalogue'];
  // The alarms page counts its own list.
  if (page !== 'alarms') urls.push('/api/alarms/count');
  if (query) return urls;
  if (path.length <= 1) {
    if (page === 'availability') urls.push('/api/availability?window=24h', '/api/locations');
    if (page === 'services') urls.push('/api/services?window=24h');
    if (page === 'locations') urls.push('/api/locations', '/api/monitors', '/api/blocked-addresses');
    if (page === 'events') urls.push('/api/locations', '/api/events?limit=200');
    if (page === 'alarms') urls.push('/api/locations', '/api/alarms?state=open&limit=500', '/api/monitors');
    return urls;
  }
  const id = serviceIdOf(path);
  if (id) {
    const slash = id.lastIndexOf('/');
    urls.push(`/api/services/${encodeURIComponent(id.slice(0, slash))}/${encodeURIComponent(id.slice(slash + 1))}?window=24h`);
  }
  return urls;
}

/** Whether `url` is a service's page (`/services/NODE/SERVICE`), which shows a chart. */
export function isServicePage(url: string): boolean {
  const path = url.split('?')[0]!.split('/').filter(Boolean);
  return serviceIdOf(path) !== undefined;
}

/** A service page's id, NODE/SERVICE, escaped in the path or not (as router.js reads it); undefined on any other page. */
function serviceIdOf(path: string[]): string | undefined {
  if (path[0] !== 'services' || path.length < 2) return undefined;
  try {
    const id = path.slice(1).map(decodeURIComponent).join('/');
    return id.lastIndexOf('/') > 0 ? id : undefined;
  } catch {
    return undefined; // a malformed escape: the page shows its own error
  }
}

/** Whether the request came with a session cookie (valid or not: answersForPage finds out). */
export const hasSessionCookie = (request: FastifyRequest) => request.cookies[SESSION_COOKIE] !== undefined;

/** One REST answer carried by the page. */
export interface CarriedAnswer {
  url: string;
  body: string;
}

/**
 * The answers for `urls`, made by the REST routes with the request's own
 * session cookie; undefined when it has no valid session (then the browser
 * asks itself, and a page without a session shows the sign-in form). Only
 * successful JSON answers are carried: the page asks for anything else
 * itself, and shows why it failed.
 */
export async function answersForPage(app: FastifyInstance, request: FastifyRequest, urls: string[]): Promise<CarriedAnswer[] | undefined> {
  const cookie = request.headers.cookie;
  if (!cookie || !hasSessionCookie(request)) return undefined;
  const ask = async (url: string) => {
    const answer = await app.inject({ method: 'GET', url, headers: { cookie, accept: 'application/json' } });
    const json = String(answer.headers['content-type'] ?? '').startsWith('application/json');
    return answer.statusCode === 200 && json ? { url, body: answer.body } : undefined;
  };
  // All at once (a cookie that opens no session has the rest refused as well).
  const answers = await Promise.all([SESSION, ...urls.filter((url) => url !== SESSION)].map(ask));
  if (!answers[0]) return undefined;
  return answers.filter((answer) => answer !== undefined);
}

/**
 * The answers as elements the page's parser keeps as text and never runs
 * (`type="application/json"`). Every `<` in the JSON (only ever inside its
 * strings) is written `\u003c`, the same string to JSON.parse: a service
 * named `</script><script>…` cannot end the element.
 */
export function answerElements(answers: CarriedAnswer[]): string {
  return answers.map((a) => `<script type="application/json" data-answer="${escapeAttribute(a.url)}">${a.body.replaceAll('<', '\\u003c')}</script>`).join('\n');
}

/** The list of answers for the early script to ask for (index.html), in the page's head. */
export function earlyRequestsElement(urls: string[]): string {
  return `<script type="application/json" id="early-requests">${JSON.stringify(urls).replaceAll('<', '\\u003c')}</script>`;
}

const escapeAttribute = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
