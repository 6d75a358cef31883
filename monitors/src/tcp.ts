import net from 'node:net';
import type { ServiceMonitor } from './monitor.ts';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';
import { ConversationFailure, type TlsOptions, converse, quoted, shownPattern } from './line-conversation.ts';

const parameters = defineParameters({
  port: param.port().required(),
  banner: param.banner(),
  send: param.sendText(),
  // "m": ^ and $ also match at line ends, as on a line-by-line reading.
  expect: param.regex({ flags: 'm' }),
  tls: param.boolean().default(false),
  'verify-server-certificate': param.boolean(),
  'server-name': param.text().map((serverName, name) => {
    if (net.isIP(serverName) !== 0 || /[\s\p{Cc}/:]/u.test(serverName)) {
      throw new ParameterError(`parameter "${name}" must be a DNS name, got "${serverName}"`, name);
    }
    return serverName;
  }),
});

interface TcpSettings {
  port: number;
  banner: RegExp | undefined;
  send: string | undefined;
  expect: RegExp | undefined;
  /** The source of `expect` as configured, for reasons. */
  expectText: string | undefined;
  tls: TlsOptions | undefined;
}

function parseTcpSettings(params: RawParams): TcpSettings {
  const values = parameters.read(params);
  // A line protocol waits for the line end: add one unless the text has its own.
  const send = values.send === undefined || values.send.endsWith('\n') ? values.send : `${values.send}\r\n`;
  let tls: TlsOptions | undefined;
  if (values.tls) {
    tls = { verifyServerCertificate: values['verify-server-certificate'] ?? true, serverName: values['server-name'] };
  } else {
    // Said without tls="true" it would be ignored, and the check would quietly run in clear.
    for (const name of ['verify-server-certificate', 'server-name'] as const) {
      if (values[name] !== undefined) throw new ParameterError(`parameter "${name}" needs tls="true"`, name);
    }
  }
  const { port, banner, expect } = values;
  return { port, banner, send, expect, expectText: expect === undefined ? undefined : params.expect, tls };
}

/**
 * TCP check, as OpenNMS's TcpMonitor with the conversation of blackbox_exporter's
 * tcp prober. Parameters:
 * - `port` (required);
 * - `banner`: a regular expression the first line the server sends must
 *   contain a match of ("*", the default, accepts any banner without reading it);
 * - `send`: text sent next (escapes \r, \n, \t, \\; "\r\n" is added unless it ends in a line end);
 * - `expect`: a regular expression awaited in what the server sends after that
 *   (after the banner line when there is one), no line end needed;
 * - `tls` ("false"): TLS from the first byte; `verify-server-certificate`
 *   ("true"): refuse an untrusted certificate or one that does not name the
 *   server; `server-name`: SNI and the name to verify (default the target host
 *   when it is a DNS name).
 * UP with the time to connect, plus the handshake and the conversation when
 * there are any. Without banner, send, expect or TLS it only connects.
 */
export const tcpMonitor: ServiceMonitor<TcpSettings> = {
  name: 'tcp',
  parameters,
  parse: parseTcpSettings,
  poll(target, signal) {
    const p = target.settings;

    return converse(target, signal, { port: p.port, tls: p.tls }, async (conversation) => {
      if (p.banner) {
        const banner = await conversation.readLine('banner');
        if (!p.banner.test(banner)) {
          throw new ConversationFailure(`banner ${quoted(banner)} did not match ${shownPattern(p.banner)}`);
        }
      }
      if (p.send !== undefined) conversation.send(p.send);
      if (p.expect) await conversation.expect(p.expect, quoted(p.expectText ?? p.expect.source));
    });
  },
};
