import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import { elapsedMs, errorMessage, networkFailure, timeoutReason } from './outcomes.ts';
import { ParameterError, defineParameters, param, textOrRegex, type RawParams, type Scalar } from './params.ts';

/** The record types a check may ask for. */
export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'SOA', 'PTR'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** RCODE names (RFC 1035, RFC 2136) by value, as dig and blackbox_exporter print them. */
const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
] as const;

function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE_${rcode}`;
}

/**
 * Parses a list of response codes: names ("NOERROR", "nxdomain") or numbers
 * 0-15, separated by commas. Undefined when any item is neither.
 */
export function parseResponseCodes(spec: string): Set<number> | undefined {
  const codes = new Set<number>();
  for (const part of spec.split(',')) {
    const item = part.trim().toUpperCase();
    let code: number;
    if (/^\d{1,2}$/.test(item)) code = Number(item);
    else code = (RCODE_NAMES as readonly string[]).indexOf(item);
    if (code < 0 || code > 15) return undefined;
    codes.add(code);
  }
  return codes;
}

/**
 * The name to query for a PTR check of an address: "10.0.0.1" becomes
 * "1.0.0.10.in-addr.arpa", an IPv6 address its nibbles under "ip6.arpa".
 * Undefined when `address` is not an IP address.
 */
export function reverseName(address: string): string | undefined {
  const family = net.isIP(address);
  if (family === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (family !== 6) return undefined;
  // Expand "::" and an embedded dotted quad into eight 16-bit groups.
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const nibbles = [...headGroups, ...zeros, ...tailGroups].map((g) => g.padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}

/** A name's labels: 1-63 octets each, 253 in all, no spaces or control characters. */
function isDomainName(name: string): boolean {
  if (name === '.') return true;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || Buffer.byteLength(bare) > 253 || /[\s\p{Cc}]/u.test(bare)) return false;
  return bare.split('.').every((label) => label.length > 0 && Buffer.byteLength(label) <= 63);
}

interface DnsSettings {
  port: number;
  /** The name queried, after a PTR address was turned into its reverse name. */
  name: string;
  type: DnsRecordType;
  protocol: 'udp' | 'tcp';
  recursionDesired: boolean;
  /** Whether the response code is acceptable. */
  rcodeOk: (rcode: number) => boolean;
  minAnswers: number;
  maxAnswers: number | undefined;
  expected: { text: string; matches: (answer: string) => boolean } | undefined;
}

const MAX_ANSWERS = 65535;

const responseCodes = (): Scalar<Set<number>> =>
  param.custom((spec, name) => {
    const codes = parseResponseCodes(spec);
    if (!codes) {
      throw new ParameterError(`parameter "${name}" must be response codes like "NOERROR,NXDOMAIN" or "0,3", got "${spec}"`, name);
    }
    return codes;
  });

const parameters = defineParameters({
  port: param.port().default(53),
  lookup: param.text().required(),
  'record-type': param.oneOf(DNS_RECORD_TYPES, 'upper').default('A'),
  protocol: param.oneOf(['udp', 'tcp'], 'lower').default('udp'),
  'recursion-desired': param.boolean().default(true),
  'valid-response-codes': responseCodes(),
  'fatal-response-codes': responseCodes(),
  'min-answers': param.int({ min: 0, max: MAX_ANSWERS }).default(0),
  'max-answers': param.int({ min: 0, max: MAX_ANSWERS }),
  'expected-answer': param.text(),
});

function parseDnsSettings(params: RawParams): DnsSettings {
  const values = parameters.read(params);
  const { lookup, 'record-type': type, 'min-answers': minAnswers, 'max-answers': maxAnswers } = values;

  const name = (type === 'PTR' ? reverseName(lookup) : undefined) ?? lookup;
  if (!isDomainName(name)) {
    throw new ParameterError(`parameter "lookup" must be a domain name, got "${lookup}"`, 'lookup');
  }

  const valid = values['valid-response-codes'];
  const fatal = values['fatal-response-codes'];
  if (valid !== undefined && fatal !== undefined) {
    throw new ParameterError('parameters "valid-response-codes" and "fatal-response-codes" cannot be used together');
  }
  const acceptable = valid ?? new Set([0]); // NOERROR
  const rcodeOk = fatal !== undefined ? (rcode: number) => !fatal.has(rcode) : (rcode: number) => acceptable.has(rcode);

  if (maxAnswers !== undefined && maxAnswers < minAnswers) {
    throw new ParameterError(
      `parameter "max-answers" (${maxAnswers}) must not be less than "min-answers" (${minAnswers})`,
      'max-answers',
    );
  }

  const expectedText = values['expected-answer'];
  let expected: DnsSettings['expected'];
  if (expectedText !== undefined) {
    let wanted: string | undefined; // canonical form of a literal; computed only when it is one
    expected = {
      text: expectedText,
      matches: textOrRegex('expected-answer', expectedText, (answer) => canonical(type, answer) === (wanted ??= canonical(type, expectedText))),
    };
  }

  return {
    port: values.port,
    name,
    type,
    protocol: values.protocol,
    recursionDesired: values['recursion-desired'],
    rcodeOk,
    minAnswers,
    maxAnswers,
    expected,
  };
}

/**
 * The form plain `expected-answer` values are compared in: addresses in their
 * canonical text, names without case or trailing dot; TXT as it is.
 */
function canonical(type: DnsRecordType, text: string): string {
  if (type === 'TXT') return text;
  if ((type === 'A' || type === 'AAAA') && net.isIP(text)) return canonicalIp(text);
  return text
    .split(/\s+/)
    .map((token) => (token.length > 1 && token.endsWith('.') ? token.slice(0, -1) : token).toLowerCase())
    .join(' ');
}

function canonicalIp(address: string): string {
  if (net.isIPv4(address)) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * A record's data in zone-file presentation order, without quotes: "10.0.0.1",
 * "10 mail.example.org" (MX), "0 5 5060 sip.example.org" (SRV), the TXT
 * strings joined, "mname rname serial refresh retry expire minimum" (SOA).
 */
export function answerText(answer: Answer): string | undefined {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return answer.data;
    case 'MX':
      return `${answer.data.preference ?? 0} ${answer.data.exchange}`;
    case 'SRV':
      return `${answer.data.priority ?? 0} ${answer.data.weight ?? 0} ${answer.data.port} ${answer.data.target}`;
    case 'SOA': {
      const d = answer.data;
      return [d.mname, d.rname, d.serial, d.refresh, d.retry, d.expire, d.minimum].map((v) => v ?? 0).join(' ');
    }
    case 'TXT': {
      const chunks = Array.isArray(answer.data) ? answer.data : [answer.data];
      return chunks.map((c) => (typeof c === 'string' ? c : c.toString('utf8'))).join('');
    }
    default:
      return undefined;
  }
}

const MAX_LISTED_ANSWERS = 5;

function listAnswers(texts: readonly string[], type: string): string {
  if (texts.length === 0) return `no ${type} records`;
  const shown = texts.slice(0, MAX_LISTED_ANSWERS).join(', ');
  return texts.length > MAX_LISTED_ANSWERS ? `${shown} and ${texts.length - MAX_LISTED_ANSWERS} more` : shown;
}

/** Judges a response that answers our question. */
function judge(response: DecodedPacket, p: DnsSettings): PollOutcome | undefined {
  const rcode = (response.flags ?? 0) & 0xf;
  if (!p.rcodeOk(rcode)) return { status: 'DOWN', reason: `rcode ${rcodeName(rcode)} for ${p.name} ${p.type}` };

  // Only records of the queried type count: the CNAME chain that leads to them does not.
  const texts = (response.answers ?? [])
    .filter((a) => a.type === p.type)
    .map(answerText)
    .filter((t): t is string => t !== undefined);
  const records = (n: number): string => `${n} ${p.type} record${n === 1 ? '' : 's'} for ${p.name}`;
  if (texts.length < p.minAnswers) {
    return { status: 'DOWN', reason: `${records(texts.length)}, expected at least ${p.minAnswers}` };
  }
  if (p.maxAnswers !== undefined && texts.length > p.maxAnswers) {
    return { status: 'DOWN', reason: `${records(texts.length)}, expected at most ${p.maxAnswers}` };
  }
  if (p.expected && !texts.some(p.expected.matches)) {
    return {
      status: 'DOWN',
      reason: `no answer matched "${p.expected.text}" (got ${listAnswers(texts, p.type)})`,
    };
  }
  return undefined;
}

/** A name as compared: without case or trailing dot ("." being the root). */
function bareName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** Whether `response` is the answer to `query` (RFC 5452: same id, same question). */
function isAnswerTo(response: DecodedPacket, query: Packet): boolean {
  if (response.id !== query.id || response.type !== 'response') return false;
  const asked = query.questions?.[0];
  const echoed = response.questions?.[0];
  // Some servers leave the question out of an error response (FORMERR, NOTIMP).
  if (echoed === undefined || asked === undefined) return true;
  return echoed.type === asked.type && bareName(echoed.name) === bareName(asked.name);
}

/**
 * Decodes a DNS message; dns-packet reads past the end of a short buffer as
 * zeros and NaNs, so a message shorter than its records is refused here.
 */
function decodeMessage(message: Buffer): DecodedPacket {
  const packet = dnsPacket.decode(message);
  if (dnsPacket.decode.bytes > message.length) {
    throw new Error(`${message.length} bytes, its records need ${dnsPacket.decode.bytes}`);
  }
  return packet;
}

type Exchange = { ok: true; response: DecodedPacket } | { ok: false; outcome: PollOutcome };

interface Server {
  address: string;
  family: 4 | 6;
  port: number;
}

/** Resolves the server's name (the target may be a DNS name), giving up when `signal` aborts. */
function resolveServer(
  host: string,
  port: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Server | PollOutcome> {
  const family = net.isIP(host);
  if (family === 4 || family === 6) return Promise.resolve({ address: host, family, port });
  return new Promise((resolve) => {
    const onAbort = (): void => resolve({ status: 'DOWN', reason: timeoutReason(timeoutMs) });
    signal.addEventListener('abort', onAbort, { once: true });
    dns.lookup(host, (err, address, resolvedFamily) => {
      signal.removeEventListener('abort', onAbort);
      if (err) resolve(networkFailure(err, signal, timeoutMs));
      else resolve({ address, family: resolvedFamily === 6 ? 6 : 4, port });
    });
  });
}

/**
 * One query over UDP on a connected socket: the kernel drops datagrams from
 * anyone but the server and reports an ICMP port unreachable as ECONNREFUSED.
 * Datagrams that do not answer the query (another id or question) are ignored.
 */
function udpExchange(server: Server, query: Packet, signal: AbortSignal, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (result: Exchange): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.close();
      resolve(result);
    };
    const fail = (err: unknown): void => finish({ ok: false, outcome: networkFailure(err, signal, timeoutMs) });
    const onAbort = (): void => finish({ ok: false, outcome: { status: 'DOWN', reason: timeoutReason(timeoutMs) } });
    signal.addEventListener('abort', onAbort, { once: true });

    socket.on('error', fail);
    socket.on('message', (message: Buffer) => {
      if (message.length < 2 || message.readUInt16BE(0) !== query.id) return;
      let response: DecodedPacket;
      try {
        response = decodeMessage(message);
      } catch (err) {
        finish({ ok: false, outcome: { status: 'DOWN', reason: `malformed response: ${errorMessage(err)}` } });
        return;
      }
      if (isAnswerTo(response, query)) finish({ ok: true, response });
    });
    socket.connect(server.port, server.address, () => {
      socket.send(dnsPacket.encode(query), (err) => {
        if (err) fail(err);
      });
    });
  });
}

/** One query over TCP (RFC 1035 4.2.2: each message prefixed by its length). */
function tcpExchange(server: Server, query: Packet, signal: AbortSignal, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.address, port: server.port, signal });
    let settled = false;
    const finish = (result: Exchange): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    const down = (reason: string): void => finish({ ok: false, outcome: { status: 'DOWN', reason } });

    let received = Buffer.alloc(0);
    socket.on('connect', () => socket.write(dnsPacket.streamEncode(query)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      let response: DecodedPacket;
      try {
        response = decodeMessage(received.subarray(2, 2 + length));
      } catch (err) {
        down(`malformed response: ${errorMessage(err)}`);
        return;
      }
      if (isAnswerTo(response, query)) finish({ ok: true, response });
      else down(`response does not answer the query (id ${response.id}, expected ${query.id})`);
    });
    socket.on('end', () => down('connection closed before a complete response'));
    socket.on('error', (err) => finish({ ok: false, outcome: networkFailure(err, signal, timeoutMs) }));
  });
}

/**
 * DNS check against the target host as the DNS server: one query, UDP by
 * default. Parameters (OpenNMS DnsMonitor's names where it has them):
 * - `lookup` (required): the name to query; for `record-type` PTR an IP
 *   address is turned into its in-addr.arpa / ip6.arpa name;
 * - `record-type`: A, AAAA, CNAME, MX, NS, TXT, SRV, SOA or PTR (default A);
 * - `port` (default 53); `protocol`: "udp" (default) or "tcp"; a truncated
 *   UDP response (TC bit) is asked again over TCP, as resolvers do;
 * - `recursion-desired` (default true): the RD bit;
 * - `valid-response-codes`: the acceptable response codes, names or numbers
 *   (default "NOERROR", as blackbox_exporter's valid_rcodes); or instead
 *   `fatal-response-codes`: OpenNMS's inverse list, every other code being
 *   acceptable (OpenNMS's default "2" is not assumed: NXDOMAIN is DOWN unless
 *   configured otherwise);
 * - `min-answers` (default 0), `max-answers` (default none): bounds on the
 *   number of records of `record-type` in the answer section;
 * - `expected-answer`: a value some record of `record-type` must equal
 *   (addresses compared canonically, names without case or trailing dot), or
 *   a regular expression after a leading "~"; records are in presentation
 *   form, see {@link answerText}.
 * Retransmission is runCheck's `retry`. UP with the time from sending the
 * query to its answer (the server's own name lookup excluded).
 */
export const dnsMonitor: ServiceMonitor<DnsSettings> = {
  name: 'dns',
  parameters,
  parse: parseDnsSettings,
  async poll(target, signal) {
    const p = target.settings;
    if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(target.timeoutMs) };

    try {
      const server = await resolveServer(target.host, p.port, signal, target.timeoutMs);
      if ('status' in server) return server;

      const query: Packet = {
        type: 'query',
        id: randomInt(0, 65536),
        flags: p.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
        questions: [{ type: p.type, name: p.name, class: 'IN' }],
      };
      const start = performance.now();
      let exchange =
        p.protocol === 'tcp'
          ? await tcpExchange(server, query, signal, target.timeoutMs)
          : await udpExchange(server, query, signal, target.timeoutMs);
      if (exchange.ok && exchange.response.flag_tc && p.protocol === 'udp') {
        exchange = await tcpExchange(server, query, signal, target.timeoutMs);
        if (!exchange.ok && !signal.aborted) {
          return { status: 'DOWN', reason: `response truncated; TCP retry failed: ${exchange.outcome.reason}` };
        }
      }
      if (!exchange.ok) return exchange.outcome;
      const responseTimeMs = elapsedMs(start);
      return judge(exchange.response, p) ?? { status: 'UP', responseTimeMs };
    } catch (err) {
      // dgram and net throw synchronously on a few bad inputs; still a result, not a rejection.
      return networkFailure(err, signal, target.timeoutMs);
    }
  },
};
