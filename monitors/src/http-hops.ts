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
  readonly url: URL;
  scheme: Scheme;
  /** The address or name connected to. */
  connectHost: string;
  port: number;
  /** Path and query. */
  path: string;
  /** Host header; undefined lets node:http send host[:port]. */
  hostHeader: string | undefined;
  /** SNI and the name the certificate is checked against; undefined for an IP literal. */
  readonly servername: string | undefined;
  /** False once a redirect has left the first origin: credentials stay behind. */
  sendCredentials: boolean;
  /** The request headers, once worked out (node:http does not change the object it is given, so it may be shared). */
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

/**
 * The first request of a check. A poller makes one at every check it runs,
 * and most checks make no other request, so what only a redirect or TLS
 * needs is worked out when first asked for: the URL (parsing it and telling
 * an IPv6 address from a name cost more than the rest of the request's
 * preparation) and the certificate name. The headers are the same for every
 * service with these settings: made once per settings.
 */
class FirstHop implements Hop {
  readonly connectHost: string;
  readonly port: number;
  readonly path: string;
  readonly hostHeader: string | undefined;
  readonly sendCredentials = true;
  headers: http.OutgoingHttpHeaders;
  readonly #settings: HttpSettings;
  #url: URL | undefined;
  // null until worked out: undefined is an answer (no name, an IP literal).
  #servername: string | undefined | null = null;

  constructor(
    readonly scheme: Scheme,
    host: string,
    p: HttpSettings,
  ) {
    this.connectHost = host;
    this.port = p.port;
    this.path = p.path;
    this.hostHeader = p.hostName;
    this.#settings = p;
    let headers = firstHeaders.get(p);
    if (headers === undefined) {
      headers = requestHeaders(p, this);
      firstHeaders.set(p, headers);
    }
    this.headers = headers;
  }

  get url(): URL {
    if (this.#url === undefined) {
      const p = this.#settings;
      const defaultAuthority = `${hostForUrl(this.connectHost)}:${p.port}`;
      try {
        this.#url = new URL(`${this.scheme}://${p.hostName ?? defaultAuthority}${p.path}`);
      } catch {
        // A host-name a URL cannot hold: resolve Locations against the target instead.
        this.#url = new URL(`${this.scheme}://${defaultAuthority}${p.path}`);
      }
    }
    return this.#url;
  }

  get servername(): string | undefined {
    if (this.#servername === null) {
      const p = this.#settings;
      const sniHost = p.serverName ?? (p.hostName === undefined ? this.connectHost : hostOfAuthority(p.hostName));
      this.#servername = sniHost === undefined || net.isIP(sniHost) ? undefined : sniHost;
    }
    return this.#servername;
  }
}

/** The first request's headers, by settings: they depend on nothing else (see {@link requestHeaders}). */
const firstHeaders = new WeakMap<HttpSettings, http.OutgoingHttpHeaders>();

export function firstHop(scheme: Scheme, host: string, p: HttpSettings): Hop {
  return new FirstHop(scheme, host, p);
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
