import net from 'node:net';
import tls from 'node:tls';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import { elapsedMs, networkFailure, timeoutReason } from './outcomes.ts';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Characters no host name has and tls.connect would choke on. */
const UNSAFE_CHARS = /[\s\p{Cc}/]/u;

const parameters = defineParameters({
  port: param.port().default(443),
  days: param.int({ min: 0, max: 36500 }).default(7),
  'server-name': param.text().map((given, name) => {
    if (UNSAFE_CHARS.test(given) || net.isIP(given) !== 0) {
      throw new ParameterError(`parameter "${name}" must be a host name (SNI takes no addresses), got "${given}"`, name);
    }
    return given;
  }),
  'verify-server-certificate': param.boolean().default(false),
});

interface SslCertSettings {
  port: number;
  days: number;
  /** The SNI name given; else the target host, when it is a name. */
  serverName: string | undefined;
  verify: boolean;
}

function parseSslCertSettings(params: RawParams): SslCertSettings {
  const values = parameters.read(params);
  return { port: values.port, days: values.days, serverName: values['server-name'], verify: values['verify-server-certificate'] };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses a date as node:tls gives it ("Nov 26 12:00:00 2026 GMT", OpenSSL's
 * form) into epoch milliseconds; undefined when it is not in that form.
 */
export function parseCertificateDate(text: string): number | undefined {
  const match = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4}) GMT$/.exec(text.trim());
  if (!match) return undefined;
  const [, month, day, hours, minutes, seconds, year] = match as unknown as [string, ...string[]];
  const monthIndex = MONTHS.indexOf(month ?? '');
  if (monthIndex < 0) return undefined;
  return Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds));
}

/** "CN=www.example.org", or the serial number for a certificate without a common name. */
function describeCertificate(cert: tls.PeerCertificate): string {
  // A subject may carry several CNs, which node:tls gives as an array.
  const cn = cert.subject?.CN as string | string[] | undefined;
  if (Array.isArray(cn) ? cn.length > 0 : cn) return `CN=${Array.isArray(cn) ? cn.join('+') : cn}`;
  return `serial ${cert.serialNumber}`;
}

function inDays(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  if (days < 1) return 'less than a day';
  return days === 1 ? '1 day' : `${days} days`;
}

/** OpenSSL's verification codes, as node:tls reports them, in words. */
const TRUST_ERRORS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer unknown',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'bad signature',
};

function judgeCertificate(
  cert: tls.PeerCertificate,
  socket: tls.TLSSocket,
  p: SslCertSettings,
  checkedName: string,
  responseTimeMs: number,
): PollOutcome {
  const subject = `certificate ${describeCertificate(cert)}`;
  const notBefore = parseCertificateDate(cert.valid_from);
  const notAfter = parseCertificateDate(cert.valid_to);
  if (notBefore === undefined || notAfter === undefined) {
    const dates = `"${cert.valid_from}" - "${cert.valid_to}"`;
    return { status: 'DOWN', reason: `${subject}: unreadable validity dates ${dates}` };
  }
  const now = Date.now();
  const left = notAfter - now;
  const details = { daysLeft: Math.floor(left / DAY_MS) };
  const until = new Date(notAfter).toISOString();

  if (now < notBefore) {
    return { status: 'DOWN', reason: `${subject} is not valid before ${new Date(notBefore).toISOString()}`, details };
  }
  if (left <= 0) {
    const ago = -left < DAY_MS ? 'less than a day' : inDays(-left);
    return { status: 'DOWN', reason: `${subject} expired ${ago} ago (${until})`, details };
  }
  if (p.verify && !socket.authorized) {
    // At run time node:tls gives the OpenSSL or node error code as a string.
    const code = String(socket.authorizationError);
    const reason =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `${subject} is not valid for "${checkedName}"`
        : `${subject} not trusted: ${TRUST_ERRORS[code] ?? code}`;
    return { status: 'DOWN', reason, details };
  }
  if (left < p.days * DAY_MS) {
    return { status: 'DOWN', reason: `${subject} expires in ${inDays(left)} (${until})`, details };
  }
  return { status: 'UP', responseTimeMs, details };
}

/**
 * TLS certificate expiry check, after OpenNMS's SSLCertMonitor. Parameters:
 * - `port` (default 443);
 * - `days` (default 7): DOWN when the server's certificate expires in fewer
 *   days than this (0: only once expired); DOWN too when it has expired or
 *   is not valid yet;
 * - `server-name`: the name sent for SNI and checked when verifying (default:
 *   the target host, unless it is an address, when no SNI is sent);
 * - `verify-server-certificate` (default false): also DOWN when the chain is
 *   not trusted by the system's CAs or the certificate is not valid for the
 *   name. Off by default: this monitor is about expiry, and self-signed or
 *   private-CA certificates expire too.
 * Only the server's own (leaf) certificate is judged. UP with the handshake
 * time; UP and DOWN alike carry `details.daysLeft` (whole days, negative once
 * expired) when the certificate was read.
 */
export const sslCertMonitor: ServiceMonitor<SslCertSettings> = {
  name: 'ssl-cert',
  parameters,
  parse: parseSslCertSettings,
  poll(target, signal) {
    if (signal.aborted) return Promise.resolve({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
    const p = target.settings;
    // SNI carries host names only (RFC 6066 3): none is sent when the target is an address.
    const serverName = p.serverName ?? (net.isIP(target.host) === 0 ? target.host : undefined);

    return new Promise<PollOutcome>((resolve) => {
      let socket: tls.TLSSocket | undefined;
      let settled = false;
      let connected = false;
      const finish = (outcome: PollOutcome): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        socket?.destroy();
        resolve(outcome);
      };
      const onAbort = (): void => finish({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
      signal.addEventListener('abort', onAbort, { once: true });

      const start = performance.now();
      try {
        socket = tls.connect({
          host: target.host,
          port: p.port,
          ...(serverName === undefined ? {} : { servername: serverName }),
          // Trust is judged below, and only when asked for: an untrusted certificate still has an expiry.
          rejectUnauthorized: false,
        });
      } catch (err) {
        finish(networkFailure(err, signal, target.timeoutMs));
        return;
      }
      socket.once('connect', () => {
        connected = true;
      });
      socket.once('secureConnect', () => {
        const responseTimeMs = elapsedMs(start);
        const cert = socket?.getPeerCertificate();
        if (!socket || !cert || Object.keys(cert).length === 0) {
          finish({ status: 'DOWN', reason: 'the server presented no certificate' });
          return;
        }
        finish(judgeCertificate(cert, socket, p, serverName ?? target.host, responseTimeMs));
      });
      // `on`, not `once`: a second error with no listener would crash the process.
      socket.on('error', (err: Error & { reason?: string }) => {
        const outcome = networkFailure(err, signal, target.timeoutMs);
        if (connected && !signal.aborted) {
          // OpenSSL errors carry a short `reason` ("wrong version number"); the message is a dump.
          outcome.reason = `TLS handshake failed: ${err.reason ?? outcome.reason}`;
        }
        finish(outcome);
      });
    });
  },
};
