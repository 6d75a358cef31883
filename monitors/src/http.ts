import http from 'node:http';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import {
  ParameterError,
  elapsedMs,
  errorMessage,
  networkFailure,
  portParam,
  readParams,
  stringParam,
  timeoutReason,
} from './params.ts';

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

function formatStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

/** Beyond this the body is not read further: a check is not a download. */
const MAX_BODY_BYTES = 1024 * 1024;

const DEFAULT_RESPONSE = '100-399';

/** Rejects what node:http would throw on synchronously (spaces, control characters). */
const UNSAFE_CHARS = /[\s\p{Cc}]/u;

interface HttpParams {
  port: number;
  path: string;
  hostName: string | undefined;
  expected: StatusRange[];
  matches: ((body: string) => boolean) | undefined;
  responseText: string | undefined;
}

function readHttpParams(params: Readonly<Record<string, string>>): HttpParams {
  const port = portParam(params, 'port', 80);

  const path = stringParam(params, 'url') ?? '/';
  if (!path.startsWith('/') || UNSAFE_CHARS.test(path)) {
    throw new ParameterError(`parameter "url" must be a path starting with "/" without spaces, got "${path}"`);
  }

  const hostName = stringParam(params, 'host-name');
  if (hostName !== undefined && UNSAFE_CHARS.test(hostName)) {
    throw new ParameterError(`parameter "host-name" must not contain spaces or control characters, got "${hostName}"`);
  }

  const responseSpec = stringParam(params, 'response') ?? DEFAULT_RESPONSE;
  const expected = parseStatusRanges(responseSpec);
  if (!expected) {
    throw new ParameterError(
      `parameter "response" must be status codes or ranges like "200-399" or "200,301-302", got "${responseSpec}"`,
    );
  }

  // Not trimmed: surrounding spaces may be part of the text to find.
  const responseText = (Object.hasOwn(params, 'response-text') && params['response-text']) || undefined;
  let matches: HttpParams['matches'];
  if (responseText?.startsWith('~')) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(responseText.slice(1));
    } catch (err) {
      throw new ParameterError(`parameter "response-text" is not a valid regular expression: ${errorMessage(err)}`);
    }
    matches = (body) => pattern.test(body);
  } else if (responseText !== undefined) {
    matches = (body) => body.includes(responseText);
  }

  return { port, path, hostName, expected, matches, responseText };
}

/**
 * HTTP GET check over a fresh connection (node:http, not fetch: far cheaper
 * in CPU per check). Parameters, as in OpenNMS's HttpMonitor:
 * - `port` (default 80), `url` (path, default "/");
 * - `host-name`: Host header, sent as given (default: the target host, with
 *   the port when it is not 80);
 * - `response`: accepted status codes, e.g. "200,301-302" (default "100-399");
 * - `response-text`: text the body must contain, or a regular expression
 *   after a leading "~"; only the first 1 MiB of the body is searched.
 * UP with the time from sending the request to the end of the response.
 */
export const httpMonitor: ServiceMonitor = {
  name: 'http',
  poll(target, signal) {
    const parsed = readParams(() => readHttpParams(target.params));
    if (!parsed.ok) return Promise.resolve(parsed.outcome);
    if (signal.aborted) return Promise.resolve({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
    const p = parsed.value;

    return new Promise<PollOutcome>((resolve) => {
      let req: http.ClientRequest | undefined;
      let settled = false;
      const finish = (outcome: PollOutcome): void => {
        if (settled) return;
        settled = true;
        // Frees the socket at once, whether or not the body was read to the end.
        req?.destroy();
        resolve(outcome);
      };
      const fail = (err: unknown): void => finish(networkFailure(err, signal, target.timeoutMs));

      const start = performance.now();
      try {
        req = http.request({
          host: target.host,
          port: p.port,
          path: p.path,
          method: 'GET',
          headers: p.hostName === undefined ? {} : { host: p.hostName },
          agent: false,
          signal,
        });
      } catch (err) {
        // Header or path values node:http refuses, should the checks above miss one.
        finish({ status: 'UNKNOWN', reason: `invalid request: ${errorMessage(err)}` });
        return;
      }

      req.on('error', fail);
      req.on('response', (res) => {
        res.on('error', fail);
        // Node reports a connection lost mid-body as an 'error' too; 'close' before
        // 'end' is the backstop that keeps such a check from waiting for its timeout.
        res.on('close', () => fail(Object.assign(new Error('connection lost mid-response'), { code: 'ECONNRESET' })));

        const status = res.statusCode ?? 0;
        if (!p.expected.some((r) => status >= r.from && status <= r.to)) {
          finish({ status: 'DOWN', reason: `HTTP ${status}, expected ${formatStatusRanges(p.expected)}` });
          return;
        }

        const { matches } = p;
        if (matches === undefined) {
          res.resume();
          res.on('end', () => finish({ status: 'UP', responseTimeMs: elapsedMs(start) }));
          return;
        }

        const chunks: Buffer[] = [];
        let size = 0;
        const judge = (): void => {
          if (settled) return;
          const responseTimeMs = elapsedMs(start);
          const body = Buffer.concat(chunks).toString('utf8');
          finish(
            matches(body)
              ? { status: 'UP', responseTimeMs }
              : { status: 'DOWN', reason: `response did not contain "${p.responseText}"` },
          );
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
  },
};
