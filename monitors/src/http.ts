// The HTTP and HTTPS monitors: one GET over a fresh connection per request,
// its phases timed, redirects followed when asked to. Their parameters and
// settings are in http-settings.ts, where each request goes in http-hops.ts.
import http from 'node:http';
import https from 'node:https';
import type { PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
import { elapsedMs, errorMessage, networkFailure, timeoutReason } from './outcomes.ts';
import { firstHop, nextHop, requestHeaders, type Hop } from './http-hops.ts';
import { formatStatusRanges, httpSettingsFor, type HttpSettings, type Scheme } from './http-settings.ts';

export { DEFAULT_USER_AGENT, parseStatusRanges, type StatusRange } from './http-settings.ts';

/**
 * Where the time of an UP check went, in milliseconds since the check started
 * (curl's convention: each figure is the moment a phase ended, so they only
 * grow). Prometheus blackbox_exporter's phase durations are the differences:
 * resolve = dnsMs, connect = connectMs - dnsMs, tls = tlsMs - connectMs,
 * processing = firstByteMs - (tlsMs ?? connectMs), transfer = totalMs - firstByteMs
 * (without a lookup, or after redirects, the final request starts at 0 or
 * `redirectMs` rather than at dnsMs).
 *
 * A type alias, not an interface, so that it is assignable to
 * `PollOutcome['details']` (`Record<string, number>`).
 */
export type HttpPhases = {
  /** Name lookup done; absent when the host is an IP literal (no lookup). */
  dnsMs?: number;
  /** TCP connection established. */
  connectMs: number;
  /** TLS handshake done; present only for HTTPS. */
  tlsMs?: number;
  /** First byte of the response received. */
  firstByteMs: number;
  /** Response complete (or the first MiB of the body read): the `responseTimeMs`. */
  totalMs: number;
  /** Redirects followed, when there were any; the phases above are the final request's. */
  redirects?: number;
  /** When the final request started, when redirects were followed. */
  redirectMs?: number;
};

/** Redirects followed at most when `follow-redirects` is true. */
export const MAX_REDIRECTS = 5;

/** Beyond this the body is not read further: a check is not a download. */
const MAX_BODY_BYTES = 1024 * 1024;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

// The codes Node gives a certificate that fails verification (OpenSSL's X509_V_ERR_* names).
const CERTIFICATE_ERRORS: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

// The codes for a trusted certificate issued for another name.
const NAME_ERRORS: ReadonlySet<string> = new Set(['HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** {@link networkFailure}, with certificate and TLS handshake failures worded for an operator. */
function requestFailure(err: unknown, signal: AbortSignal, timeoutMs: number): PollOutcome {
  if (!signal.aborted) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const message = errorMessage(err);
    if (code !== undefined && CERTIFICATE_ERRORS.has(code)) {
      return { status: 'DOWN', reason: `certificate not trusted: ${message}` };
    }
    if (code !== undefined && NAME_ERRORS.has(code)) {
      return { status: 'DOWN', reason: `certificate not valid for the name: ${message}` };
    }
    if (code === 'EPROTO' || code?.startsWith('ERR_SSL_')) {
      // "write EPROTO 80BC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…"
      const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
      return { status: 'DOWN', reason: `TLS handshake failed: ${reason}` };
    }
  }
  return networkFailure(err, signal, timeoutMs);
}

/** What one request ended in: the check's outcome, or a redirect to follow. */
type Exchange = { outcome: PollOutcome } | { status: number; location: string };

/** Server-sent text in a reason, cut short: a reason is read on a dashboard and has a size limit. */
function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Milliseconds from `start` to `at` (both `performance.now()` readings), kept to the microsecond. */
function offsetMs(start: number, at: number): number {
  return Math.round((at - start) * 1000) / 1000;
}

/**
 * One request over a fresh connection. Resolves, never rejects; the request
 * is destroyed once the exchange is decided, body read or not.
 */
function exchange(hop: Hop, target: PollTarget<HttpSettings>, signal: AbortSignal, start: number): Promise<Exchange> {
  const p = target.settings;
  return new Promise<Exchange>((resolve) => {
    let req: http.ClientRequest | undefined;
    let response: http.IncomingMessage | undefined;
    let settled = false;
    const done = (result: Exchange): void => {
      if (settled) return;
      settled = true;
      // Frees the socket at once, whether or not the body was read to the end;
      // except after a complete response when node is already closing the
      // connection (nothing keeps it alive: node has ended the socket and
      // destroys it once that end is written). Destroying it before that costs
      // several times the CPU of the orderly close (close(2) of the socket
      // most of all, 15 µs more per check on loopback), for nothing.
      const socket = req?.socket;
      if (!(response?.complete && socket && !socket.writable)) req?.destroy();
      resolve(result);
    };
    const fail = (err: unknown): void => done({ outcome: requestFailure(err, signal, target.timeoutMs) });

    const times: { lookup?: number; connect?: number; secure?: number; firstByte?: number } = {};
    const phases = (totalMs: number): HttpPhases => {
      const firstByteMs = times.firstByte === undefined ? totalMs : offsetMs(start, times.firstByte);
      // Built in place rather than from spreads: this runs for every UP check.
      const details: HttpPhases = { connectMs: times.connect === undefined ? firstByteMs : offsetMs(start, times.connect), firstByteMs, totalMs };
      if (times.lookup !== undefined) details.dnsMs = offsetMs(start, times.lookup);
      if (times.secure !== undefined) details.tlsMs = offsetMs(start, times.secure);
      return details;
    };
    const up = (): void => {
      const responseTimeMs = elapsedMs(start);
      const details: HttpPhases = phases(responseTimeMs);
      done({ outcome: { status: 'UP', responseTimeMs, details } });
    };

    const options: https.RequestOptions = {
      host: hop.connectHost,
      port: hop.port,
      path: hop.path,
      method: 'GET',
      headers: hop.headers ??= requestHeaders(p, hop),
      agent: false,
      signal,
    };
    try {
      req =
        hop.scheme === 'https'
          ? https.request({
              ...options,
              rejectUnauthorized: p.verifyCertificate,
              // An empty name sends no SNI; the certificate is then checked against the address.
              servername: hop.servername ?? '',
            })
          : http.request(options);
    } catch (err) {
      // Header or path values node:http refuses, should the checks above miss one.
      done({ outcome: { status: 'UNKNOWN', reason: `invalid request: ${errorMessage(err)}` } });
      return;
    }

    req.on('socket', (socket) => {
      // 'lookup' only comes for a name, not for an IP literal.
      socket.once('lookup', () => (times.lookup = performance.now()));
      socket.once('connect', () => (times.connect = performance.now()));
      socket.once('secureConnect', () => (times.secure = performance.now()));
      // Prepended: ahead of the HTTP parser, which emits 'response' from its own listener.
      socket.prependOnceListener('data', () => (times.firstByte = performance.now()));
    });
    req.on('error', fail);
    req.on('response', (res) => {
      response = res;
      times.firstByte ??= performance.now();
      res.on('error', fail);
      // Node reports a connection lost mid-body as an 'error' too; 'close' before
      // 'end' is the backstop that keeps such a check from waiting for its timeout.
      // (It also comes after every complete response: the error, with its stack, is made only when it means something.)
      res.on('close', () => {
        if (!settled) fail(Object.assign(new Error('connection lost mid-response'), { code: 'ECONNRESET' }));
      });

      const status = res.statusCode ?? 0;
      const { location } = res.headers;
      if (p.followRedirects && REDIRECT_STATUSES.has(status) && location) {
        done({ status, location });
        return;
      }
      if (!p.expected.some((r) => status >= r.from && status <= r.to)) {
        done({ outcome: { status: 'DOWN', reason: `HTTP ${status}, expected ${formatStatusRanges(p.expected)}` } });
        return;
      }

      const { matches } = p;
      if (matches === undefined) {
        res.resume();
        res.on('end', up);
        return;
      }

      const chunks: Buffer[] = [];
      let size = 0;
      const judge = (): void => {
        if (settled) return;
        const body = Buffer.concat(chunks).toString('utf8');
        if (matches(body)) up();
        else done({ outcome: { status: 'DOWN', reason: `response did not contain "${p.responseText}"` } });
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) judge();
      });
      res.on('end', judge);
    });
    req.end();
  });
}

/** Runs the check, following redirects when asked to. Resolves, never rejects. */
async function check(scheme: Scheme, target: PollTarget<HttpSettings>, signal: AbortSignal): Promise<PollOutcome> {
  const start = performance.now();
  const first = firstHop(scheme, target.host, target.settings);
  let hop = first;
  // URLs visited, for loops; worked out at the first redirect, as most checks have none.
  let visited: string[] | undefined;
  let hopStart = start;

  for (let redirects = 0; ; redirects++) {
    const result = await exchange(hop, target, signal, start);
    if ('outcome' in result) {
      const { outcome } = result;
      if (redirects > 0 && outcome.details) {
        outcome.details = { ...outcome.details, redirects, redirectMs: offsetMs(start, hopStart) };
      }
      return outcome;
    }

    if (redirects === MAX_REDIRECTS) {
      return { status: 'DOWN', reason: `too many redirects (more than ${MAX_REDIRECTS})` };
    }
    let next: URL;
    try {
      next = new URL(result.location, hop.url);
    } catch {
      return { status: 'DOWN', reason: `HTTP ${result.status} redirect to an invalid location "${clip(result.location)}"` };
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      const reason = `HTTP ${result.status} redirect to an unsupported location "${clip(result.location)}"`;
      return { status: 'DOWN', reason };
    }
    next.hash = '';
    visited ??= [first.url.href];
    if (visited.includes(next.href)) {
      // How the reason shows a URL: a path on the first origin, else the whole URL.
      const firstOrigin = first.url.origin;
      const show = (url: URL): string => (url.origin === firstOrigin ? `${url.pathname}${url.search}` : url.href);
      const loopStart = visited.indexOf(next.href);
      const loop = [...visited.slice(loopStart), next.href].map((href) => clip(show(new URL(href)), 100));
      return { status: 'DOWN', reason: `redirect loop: ${loop.join(' → ')}` };
    }
    visited.push(next.href);
    hop = nextHop(hop, next);
    hopStart = performance.now();
  }
}

function monitorFor(scheme: Scheme): ServiceMonitor<HttpSettings> {
  return {
    name: scheme,
    ...httpSettingsFor(scheme),
    poll(target, signal) {
      if (signal.aborted) return Promise.resolve({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
      return check(scheme, target, signal);
    },
  };
}

/**
 * HTTP GET check over a fresh connection (node:http, not fetch: far cheaper
 * in CPU per check). Parameters, as in OpenNMS's HttpMonitor:
 * - `port` (default 80), `url` (path, default "/");
 * - `host-name`: Host header, sent as given (default: the target host, with
 *   the port when it is not 80); `nodelabel-host-name` and `resolve-ip` cannot
 *   be honoured by a poller and are refused (UNKNOWN) when true without `host-name`;
 * - `response`: accepted status codes, e.g. "200,301-302" (default "100-399");
 * - `response-text`: text the body must contain, or a regular expression
 *   after a leading "~"; only the first 1 MiB of the body is searched;
 * - `basic-authentication` ("user:password"), else `user` and `password`
 *   (default ""): sent preemptively as Basic credentials;
 * - `header0`, `header1`, …: extra "Name: value" headers, in number order;
 *   one naming User-Agent or Authorization replaces the monitor's, Host is refused;
 * - `user-agent` (default {@link DEFAULT_USER_AGENT});
 * - `follow-redirects` (default false, as OpenNMS's HttpMonitor never follows):
 *   follows 301/302/303/307/308 with a Location, at most {@link MAX_REDIRECTS}
 *   times, each request under the same signal, and checks the final response
 *   (DOWN on a loop or one redirect too many). The same host name stays on the
 *   monitored address; another one is looked up. Credentials (Authorization,
 *   Cookie) are not sent to another origin. A redirect to HTTPS uses
 *   `verify-server-certificate` (default true) and `server-name`.
 * UP with the time from the start of the check to the end of the response,
 * and `details` ({@link HttpPhases}).
 */
export const httpMonitor: ServiceMonitor<HttpSettings> = monitorFor('http');

/**
 * The HTTP check over TLS, as OpenNMS's HttpsMonitor: every parameter of
 * {@link httpMonitor}, `port` defaulting to 443, and:
 * - `verify-server-certificate` (default true): the certificate must chain to
 *   a trusted CA and match the server name; false accepts any certificate
 *   (what OpenNMS's HttpsMonitor always does);
 * - `server-name`: the SNI name and the name the certificate must match
 *   (default: `host-name` without its port, else the target host unless it is
 *   an IP address, in which case no SNI is sent and the address is matched).
 * `details` adds `tlsMs`.
 */
export const httpsMonitor: ServiceMonitor<HttpSettings> = monitorFor('https');
