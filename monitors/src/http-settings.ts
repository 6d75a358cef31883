// The parameters of the HTTP and HTTPS monitors and the settings they become.
import net from 'node:net';
import { ParameterError, defineParameters, param, textOrRegex, type RawParams } from './params.ts';

/** An inclusive range of HTTP status codes; a single code has `from === to`. */
export interface StatusRange {
  from: number;
  to: number;
}

/**
 * Parses an OpenNMS-style `response` parameter: comma-separated status codes
 * or inclusive ranges, e.g. "200-399" or "200,301-302". Returns undefined when
 * the text is not such a list (empty, not numeric, outside 100-999, reversed).
 */
export function parseStatusRanges(spec: string): StatusRange[] | undefined {
  const ranges: StatusRange[] = [];
  for (const part of spec.split(',')) {
    const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < 100 || to < from) return undefined;
    ranges.push({ from, to });
  }
  return ranges;
}

export function formatStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

/** Sent when the `user-agent` parameter is absent. */
export const DEFAULT_USER_AGENT = 'Vantage/0.1 (OpenNMS HttpMonitor compatible)';

const DEFAULT_RESPONSE: readonly StatusRange[] = [{ from: 100, to: 399 }];

/** Rejects what node:http would throw on synchronously (spaces, control characters). */
const UNSAFE_CHARS = /[\s\p{Cc}]/u;

/** An RFC 9110 header name (token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What a header value may not contain: control characters but tab, and what node:http refuses (beyond Latin-1). */
const UNSAFE_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export type Scheme = 'http' | 'https';

export const DEFAULT_PORTS: Readonly<Record<Scheme, number>> = { http: 80, https: 443 };

/** What the HTTP and HTTPS monitors make of a service's parameters. */
export interface HttpSettings {
  port: number;
  path: string;
  hostName: string | undefined;
  expected: readonly StatusRange[];
  matches: ((body: string) => boolean) | undefined;
  responseText: string | undefined;
  /** The Authorization header value, when credentials are configured. */
  authorization: string | undefined;
  userAgent: string;
  /** `headerN` parameters in N order, as [name, value]. */
  headers: ReadonlyArray<readonly [string, string]>;
  followRedirects: boolean;
  verifyCertificate: boolean;
  /** SNI override (`server-name`). */
  serverName: string | undefined;
}

function header(raw: string, key: string): readonly [string, string] {
  const colon = raw.indexOf(':');
  const name = colon < 0 ? '' : raw.slice(0, colon).trim();
  const value = colon < 0 ? '' : raw.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name) || UNSAFE_HEADER_VALUE.test(value)) {
    throw new ParameterError(`parameter "${key}" must be "Name: value" without control characters, got "${raw}"`, key);
  }
  if (name.toLowerCase() === 'host') {
    throw new ParameterError(`parameter "${key}" sets Host: use parameter "host-name" instead`, key);
  }
  return [name, value];
}

/** The parameter table of the monitor for `scheme`: the same names, the port defaulting to the scheme's. */
function parametersFor(scheme: Scheme) {
  return defineParameters({
    port: param.port().default(DEFAULT_PORTS[scheme]),
    url: param
      .text()
      .map((path, name) => {
        if (!path.startsWith('/') || UNSAFE_CHARS.test(path)) {
          throw new ParameterError(`parameter "${name}" must be a path starting with "/" without spaces, got "${path}"`, name);
        }
        return path;
      })
      .default('/'),
    'host-name': param.text().map((hostName, name) => {
      if (UNSAFE_CHARS.test(hostName)) {
        throw new ParameterError(`parameter "${name}" must not contain spaces or control characters, got "${hostName}"`, name);
      }
      return hostName;
    }),
    'nodelabel-host-name': param.boolean().default(false),
    'resolve-ip': param.boolean().default(false),
    response: param
      .custom((spec, name): readonly StatusRange[] => {
        const ranges = parseStatusRanges(spec);
        if (!ranges) {
          throw new ParameterError(
            `parameter "${name}" must be status codes or ranges like "200-399" or "200,301-302", got "${spec}"`,
            name,
          );
        }
        return ranges;
      })
      .default(DEFAULT_RESPONSE),
    // Not trimmed: surrounding spaces may be part of the text to find.
    'response-text': param.text('exact'),
    'user-agent': param
      .text()
      .map((userAgent, name) => {
        if (UNSAFE_HEADER_VALUE.test(userAgent)) {
          throw new ParameterError(`parameter "${name}" must not contain control characters, got "${userAgent}"`, name);
        }
        return userAgent;
      })
      .default(DEFAULT_USER_AGENT),
    'server-name': param.text().map((serverName, name) => {
      if (UNSAFE_CHARS.test(serverName) || serverName.includes(':') || net.isIP(serverName)) {
        throw new ParameterError(`parameter "${name}" must be a host name (SNI takes no addresses), got "${serverName}"`, name);
      }
      return serverName;
    }),
    'basic-authentication': param.text('spaced').map((credentials, name) => {
      if (!credentials.includes(':')) throw new ParameterError(`parameter "${name}" must be "user:password"`, name);
      return credentials;
    }),
    user: param.text(),
    password: param.text('spaced'),
    'header<N>': param.family(/^header(\d+)$/, header),
    'follow-redirects': param.boolean().default(false),
    'verify-server-certificate': param.boolean().default(true),
  });
}

type HttpValues = ReturnType<ReturnType<typeof parametersFor>['read']>;

function authorization(values: HttpValues): string | undefined {
  // As in OpenNMS: basic-authentication ("user:password") wins over user and password.
  let credentials = values['basic-authentication'];
  if (credentials === undefined) {
    const { user, password } = values;
    if (user === undefined) {
      if (password !== undefined) throw new ParameterError('parameter "password" needs parameter "user"', 'password');
      return undefined;
    }
    if (user.includes(':')) throw new ParameterError('parameter "user" must not contain ":"', 'user');
    credentials = `${user}:${password ?? ''}`;
  }
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/** The parameter table and the parse of the monitor for `scheme`. */
export function httpSettingsFor(scheme: Scheme): {
  parameters: ReturnType<typeof parametersFor>;
  parse: (params: RawParams) => HttpSettings;
} {
  const parameters = parametersFor(scheme);
  const parse = (params: RawParams): HttpSettings => {
    const values = parameters.read(params);
    const hostName = values['host-name'];
    if (hostName === undefined) {
      // OpenNMS takes the Host header from the node label or reverse DNS with these;
      // a poller knows neither, and a silently different Host header checks another site.
      for (const name of ['nodelabel-host-name', 'resolve-ip'] as const) {
        if (values[name]) throw new ParameterError(`parameter "${name}" is not supported: set parameter "host-name" instead`, name);
      }
    }
    const responseText = values['response-text'];
    return {
      port: values.port,
      path: values.url,
      hostName,
      expected: values.response,
      matches:
        responseText === undefined
          ? undefined
          : textOrRegex('response-text', responseText, (body: string) => body.includes(responseText)),
      responseText,
      authorization: authorization(values),
      userAgent: values['user-agent'],
      headers: values['header<N>'],
      followRedirects: values['follow-redirects'],
      verifyCertificate: values['verify-server-certificate'],
      serverName: values['server-name'],
    };
  };
  return { parameters, parse };
}
