// Where each request of an HTTP check goes, and with which headers: the
// first request, and each one after a redirect.
import type http from 'node:http';
import net from 'node:net';
import { DEFAULT_PORTS, type HttpSettings, type Scheme } from './http-settings.ts';

/** Headers that are not carried to another origin on a redirect. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** One request of a check: the first, or one after a redirect. */
export interface Hop {
  /** The URL as the server sees it, for resolving a Location and detecting loops. */
  url: URL;
  scheme: Scheme;
  /** The address or name connected to. */
  connectHost: string;
  port: number;
  /** Path and query. */
  path: string;
  /** Host header; undefined lets node:http send host[:port]. */
  hostHeader: string | undefined;
  /** SNI and the name the certificate is checked against; undefined for an IP literal. */
  servername: string | undefined;
  /** False once a redirect has left the first origin: credentials stay behind. */
  sendCredentials: boolean;
  /** The request headers, once worked out (node:http does not change the object it is given). */
  headers?: http.OutgoingHttpHeaders;
}

function hostForUrl(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The host part of a Host header value (no port, no brackets), or undefined when it does not parse. */
function hostOfAuthority(authority: string): string | undefined {
  try {
    return unbracket(new URL(`http://${authority}`).hostname);
  } catch {
    return undefined;
  }
}

export function firstHop(scheme: Scheme, host: string, p: HttpSettings): Hop {
  const defaultAuthority = `${hostForUrl(host)}:${p.port}`;
  let url: URL;
  try {
    url = new URL(`${scheme}://${p.hostName ?? defaultAuthority}${p.path}`);
  } catch {
    // A host-name a URL cannot hold: resolve Locations against the target instead.
    url = new URL(`${scheme}://${defaultAuthority}${p.path}`);
  }
  const sniHost = p.serverName ?? (p.hostName === undefined ? host : hostOfAuthority(p.hostName));
  return {
    url,
    scheme,
    connectHost: host,
    port: p.port,
    path: p.path,
    hostHeader: p.hostName,
    servername: sniHost === undefined || net.isIP(sniHost) ? undefined : sniHost,
    sendCredentials: true,
  };
}

/**
 * The request after a redirect to `next`. The same host name keeps the
 * connection on the monitored address (a virtual host redirecting to itself,
 * or to HTTPS, is still this node); another host name is looked up. Only the
 * same origin (scheme, host and port) receives credentials again.
 */
export function nextHop(hop: Hop, next: URL): Hop {
  const scheme: Scheme = next.protocol === 'https:' ? 'https' : 'http';
  const sameOrigin = next.origin === hop.url.origin;
  const sameHost = next.hostname === hop.url.hostname;
  const hostname = unbracket(next.hostname);
  return {
    url: next,
    scheme,
    connectHost: sameHost ? hop.connectHost : hostname,
    port: sameOrigin ? hop.port : next.port ? Number(next.port) : DEFAULT_PORTS[scheme],
    path: `${next.pathname}${next.search}`,
    hostHeader: sameOrigin ? hop.hostHeader : next.host,
    servername: sameHost ? hop.servername : net.isIP(hostname) ? undefined : hostname,
    sendCredentials: hop.sendCredentials && sameOrigin,
  };
}

export function requestHeaders(p: HttpSettings, hop: Hop): http.OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = { 'user-agent': p.userAgent };
  if (hop.hostHeader !== undefined) headers.host = hop.hostHeader;
  if (p.authorization !== undefined) headers.authorization = p.authorization;
  // headerN replace what the monitor would send; the same name twice sends both.
  const fromParams = new Set<string>();
  for (const [name, value] of p.headers) {
    const key = name.toLowerCase();
    const existing = headers[key];
    if (fromParams.has(key) && existing !== undefined) {
      headers[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    } else {
      headers[key] = value;
      fromParams.add(key);
    }
  }
  if (!hop.sendCredentials) for (const key of CREDENTIAL_HEADERS) delete headers[key];
  return headers;
}
