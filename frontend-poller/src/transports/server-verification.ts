/**
 * How the poller verifies the backend it talks to over wss:// or https://,
 * one module for both transports:
 * - `system`: the CAs Node trusts (Mozilla's list), the host name checked;
 * - `ca` (--ca FILE): the CA certificates of a PEM file instead, the host name checked;
 * - `fingerprint` (--fingerprint sha256:…): exactly one certificate, whatever
 *   signed it and whatever names it carries. That is how pollers trust the
 *   backend's self-signed certificate, and it is stricter than a CA: no other
 *   certificate is accepted, not even one a trusted CA issued for the name.
 *
 * Every TLS connection of the poller is opened by `connectVerified`: it lets
 * the handshake finish, checks the presented certificate, and only then
 * hands the socket to the HTTP or WebSocket client. So nothing, above all not
 * the Authorization header with the monitor's secret, is ever written to a
 * server that fails; and a failure is a ServerCertificateError, which stops
 * the poller instead of falling back to anything weaker.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClientRequestArgs } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { formatFingerprint, parseFingerprint } from '@vantage/common';
import { ServerCertificateError } from './transport.ts';

export type ServerVerification =
  | { mode: 'system' }
  | { mode: 'ca'; caFile: string; certificates: string[] }
  | { mode: 'fingerprint'; fingerprint: string };

/** How long the TCP connection and the TLS handshake may take together; past it the attempt fails as a transient error. */
export const TLS_CONNECT_TIMEOUT_MS = 10_000;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Turns --ca / --fingerprint into a verification, reading and checking the CA file; errors name the option and the problem. */
export async function loadServerVerification(options: { caFile?: string; fingerprint?: string }): Promise<ServerVerification> {
  if (options.caFile !== undefined && options.fingerprint !== undefined) {
    throw new Error('--ca and --fingerprint exclude each other: --fingerprint pins one certificate, --ca trusts what a CA issued');
  }
  if (options.fingerprint !== undefined) {
    try {
      return { mode: 'fingerprint', fingerprint: parseFingerprint(options.fingerprint) };
    } catch (err) {
      throw new Error(`--fingerprint: ${(err as Error).message}`, { cause: err });
    }
  }
  if (options.caFile === undefined) return { mode: 'system' };
  const caFile = options.caFile;
  let text: string;
  try {
    text = await readFile(caFile, 'utf8');
  } catch (err) {
    throw new Error(`--ca ${caFile}: cannot read it (${(err as Error).message})`, { cause: err });
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) throw new Error(`--ca ${caFile}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
  certificates.forEach((pem, index) => {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new Error(`--ca ${caFile}: certificate ${index + 1} is not a valid certificate (${(err as Error).message})`, { cause: err });
    }
  });
  return { mode: 'ca', caFile, certificates };
}

/** The option a verification came from, for messages. */
export function verificationOption(verification: ServerVerification): string | undefined {
  return verification.mode === 'ca' ? '--ca' : verification.mode === 'fingerprint' ? '--fingerprint' : undefined;
}

/** How the connection to `server` is secured, in words for the start-up log line. */
export function describeVerification(server: string, verification: ServerVerification): string {
  if (!/^(wss|https):/i.test(server)) return 'plain, unencrypted';
  switch (verification.mode) {
    case 'system':
      return "TLS, the server's certificate verified by the system CAs";
    case 'ca':
      return `TLS, the server's certificate verified by the CAs in ${verification.caFile}`;
    case 'fingerprint':
      return `TLS, accepting only the server certificate ${verification.fingerprint}`;
  }
}

export type ConnectCallback = (err: Error | null, socket: Duplex) => void;

/**
 * Opens a TLS connection to host:port and calls back with the socket once its
 * certificate passed `verification`, or with the error: ServerCertificateError
 * when it did not pass, a plain Error when the connection failed or timed out.
 */
export function connectVerified(verification: ServerVerification, target: { host: string; port: number; servername?: string }, callback: ConnectCallback): void {
  const { host, port } = target;
  const where = `${host}:${port}`;
  // SNI carries host names only; the identity check falls back to the host (an IP address) itself.
  const servername = target.servername || (isIP(host) ? undefined : host);
  const socket = tls.connect({
    host,
    port,
    servername,
    ca: verification.mode === 'ca' ? verification.certificates : undefined,
    // Node still verifies the chain and the name (socket.authorized says how it went); deciding
    // here lets a pin stand in for the chain, and classifies every refusal the same way.
    rejectUnauthorized: false,
  });
  let settled = false;
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    socket.destroy();
    callback(err, socket);
  };
  socket.setTimeout(TLS_CONNECT_TIMEOUT_MS, () => fail(new Error(`no TLS connection to ${where} within ${TLS_CONNECT_TIMEOUT_MS} ms`)));
  socket.once('error', fail);
  socket.once('secureConnect', () => {
    const problem = certificateProblem(verification, socket, host, where);
    if (problem) return fail(problem);
    settled = true;
    socket.setTimeout(0);
    socket.removeListener('error', fail);
    callback(null, socket);
  });
}

/** `connectVerified` in the shape of the `createConnection` option of `ws` and `http.request`. */
export function verifiedConnection(verification: ServerVerification) {
  return (options: ClientRequestArgs & { servername?: string }, callback: ConnectCallback): undefined => {
    connectVerified(verification, { host: options.host ?? options.hostname ?? 'localhost', port: Number(options.port), servername: options.servername }, callback);
    return undefined;
  };
}

/** A keep-alive HTTPS agent whose every connection goes through `connectVerified`. */
export class VerifyingHttpsAgent extends https.Agent {
  constructor(
    private readonly verification: ServerVerification,
    options: https.AgentOptions = {},
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): undefined {
    connectVerified(
      this.verification,
      { host: options.host ?? options.hostname ?? 'localhost', port: Number(options.port ?? 443), servername: options.servername },
      callback ?? (() => undefined),
    );
    return undefined;
  }
}

/** Why the presented certificate is refused, or undefined when it passes. */
function certificateProblem(verification: ServerVerification, socket: tls.TLSSocket, host: string, where: string): ServerCertificateError | undefined {
  const certificate = socket.getPeerCertificate();
  const presented = certificate?.fingerprint256 ? formatFingerprint(certificate.fingerprint256) : undefined;
  if (verification.mode === 'fingerprint') {
    if (presented === verification.fingerprint) return undefined;
    return new ServerCertificateError(
      `the server at ${where} presented the certificate ${presented ?? '(none)'} but --fingerprint expects ${verification.fingerprint}; not connecting. ` +
        'If the backend has a new certificate, use the fingerprint it prints at start (also shown in the web UI, Register a monitor); ' +
        'otherwise something between this poller and the backend is answering in its place',
      presented,
      verification.fingerprint,
    );
  }
  if (socket.authorized) return undefined;
  const reason = untrustedReason(String(socket.authorizationError), certificate, host, verification);
  const remedy =
    verification.mode === 'ca'
      ? `check that ${verification.caFile} holds the CA that issued the backend's certificate`
      : "pass --ca FILE with the CA that issued it, or --fingerprint with the fingerprint the backend prints at start (also shown in the web UI, Register a monitor)";
  return new ServerCertificateError(`the server at ${where} presented a certificate (${presented ?? 'none'}) that is not trusted: ${reason}; not connecting. ${remedy}`, presented);
}

/** Node's verification error code in words. */
function untrustedReason(code: string, certificate: tls.PeerCertificate, host: string, verification: ServerVerification): string {
  const trusted = verification.mode === 'ca' ? `no CA given with --ca ${verification.caFile}` : 'no CA this system trusts';
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'it is self-signed';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `its chain ends in a CA that ${verification.mode === 'ca' ? `is not in ${verification.caFile}` : 'this system does not trust'}`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `${trusted} issued it`;
    case 'CERT_HAS_EXPIRED':
      return `it expired on ${certificate.valid_to}`;
    case 'CERT_NOT_YET_VALID':
      return `it is valid only from ${certificate.valid_from}`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `it is for ${certificate.subjectaltname || `CN=${certificate.subject?.CN ?? '?'}`}, not for ${host}`;
    default:
      return code;
  }
}
