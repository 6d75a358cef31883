import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { dnsMonitor, parseResponseCodes, reverseName } from './dns.ts';
import type { PollOutcome } from './monitor.ts';
import { parseAndPoll, pollLocal } from '../testing/servers.ts';

// ---------------------------------------------------------------------------
// A small DNS server on 127.0.0.1: the same port over UDP and TCP.

const NAME = 'example.test';
const a = (name: string, data: string): Answer => ({ type: 'A', name, ttl: 300, data });
const bigTxt = (name: string): Answer[] =>
  Array.from({ length: 20 }, (_, i) => ({
    type: 'TXT' as const,
    name,
    ttl: 300,
    data: `record-${String(i).padStart(2, '0')} ${'x'.repeat(90)}`,
  }));

/** Records by "name TYPE"; a name that appears under no type is NXDOMAIN. */
const ZONE: Record<string, Answer[]> = {
  [`www.${NAME} A`]: [a(`www.${NAME}`, '10.0.0.1')],
  [`www.${NAME} AAAA`]: [{ type: 'AAAA', name: `www.${NAME}`, ttl: 300, data: '2001:db8::1' }],
  [`multi.${NAME} A`]: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => a(`multi.${NAME}`, ip)),
  [`many.${NAME} A`]: [1, 2, 3, 4, 5, 6, 7].map((i) => a(`many.${NAME}`, `10.0.1.${i}`)),
  [`alias.${NAME} A`]: [
    { type: 'CNAME', name: `alias.${NAME}`, ttl: 300, data: `www.${NAME}` },
    a(`www.${NAME}`, '10.0.0.1'),
  ],
  [`alias.${NAME} CNAME`]: [{ type: 'CNAME', name: `alias.${NAME}`, ttl: 300, data: `www.${NAME}` }],
  [`${NAME} MX`]: [
    { type: 'MX', name: NAME, ttl: 300, data: { preference: 10, exchange: `mail.${NAME}` } },
    { type: 'MX', name: NAME, ttl: 300, data: { preference: 20, exchange: `backup.${NAME}` } },
  ],
  [`${NAME} TXT`]: [{ type: 'TXT', name: NAME, ttl: 300, data: ['v=spf1 ', '-all'] }],
  [`${NAME} NS`]: [{ type: 'NS', name: NAME, ttl: 300, data: `ns1.${NAME}` }],
  [`${NAME} SOA`]: [
    {
      type: 'SOA',
      name: NAME,
      ttl: 300,
      data: {
        mname: `ns1.${NAME}`,
        rname: `hostmaster.${NAME}`,
        serial: 2024010101,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 300,
      },
    },
  ],
  [`_sip._tcp.${NAME} SRV`]: [
    {
      type: 'SRV',
      name: `_sip._tcp.${NAME}`,
      ttl: 300,
      data: { priority: 0, weight: 5, port: 5060, target: `sip.${NAME}` },
    },
  ],
  ['1.0.0.10.in-addr.arpa PTR']: [{ type: 'PTR', name: '1.0.0.10.in-addr.arpa', ttl: 300, data: `www.${NAME}` }],
  [`${reverseName('2001:db8::1')} PTR`]: [
    { type: 'PTR', name: reverseName('2001:db8::1') ?? '', ttl: 300, data: `www.${NAME}` },
  ],
  [`nodata.${NAME} TXT`]: [{ type: 'TXT', name: `nodata.${NAME}`, ttl: 300, data: 'only TXT here' }],
  [`big.${NAME} TXT`]: bigTxt(`big.${NAME}`),
  [`bigbroken.${NAME} TXT`]: bigTxt(`bigbroken.${NAME}`),
};
const KNOWN_NAMES = new Set(Object.keys(ZONE).map((key) => key.split(' ')[0]));

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

function reply(query: DecodedPacket, rcode: number, answers: Answer[], extraFlags = 0): Packet {
  return {
    type: 'response',
    id: query.id,
    flags: ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | extraFlags | rcode,
    questions: query.questions,
    answers,
  };
}

/** The normal answer from the zone, as over TCP. */
function lookUp(query: DecodedPacket): Packet {
  const question = query.questions?.[0];
  const name = question?.name.toLowerCase() ?? '';
  if (name === `rd.${NAME}`) {
    const rd = query.flag_rd ? 1 : 0;
    return reply(query, RCODE.NOERROR, [{ type: 'TXT', name, ttl: 0, data: `rd=${rd}` }]);
  }
  if (name === `servfail.${NAME}`) return reply(query, RCODE.SERVFAIL, []);
  if (name === `refused.${NAME}`) return reply(query, RCODE.REFUSED, []);
  if (!KNOWN_NAMES.has(name)) return reply(query, RCODE.NXDOMAIN, []);
  return reply(query, RCODE.NOERROR, ZONE[`${name} ${question?.type}`] ?? []);
}

/** What the UDP side sends back: none, one or several datagrams. */
function udpReplies(query: DecodedPacket): Buffer[] {
  const question = query.questions?.[0];
  const name = question?.name.toLowerCase() ?? '';
  switch (name) {
    case `silent.${NAME}`:
      return [];
    case `spoof.${NAME}`: {
      // Another id, then the right id for another question, then the real answer.
      const forged = reply(query, RCODE.NOERROR, [a(name, '6.6.6.6')]);
      const otherQuestion: Packet = {
        ...forged,
        questions: [{ type: 'A', name: `www.${NAME}`, class: 'IN' }],
      };
      return [
        dnsPacket.encode({ ...forged, id: ((query.id ?? 0) + 1) % 65536 }),
        dnsPacket.encode(otherQuestion),
        dnsPacket.encode(reply(query, RCODE.NOERROR, [a(name, '10.0.0.7')])),
      ];
    }
    case `garbage.${NAME}`: {
      const whole = dnsPacket.encode(reply(query, RCODE.NOERROR, [a(name, '10.0.0.1')]));
      return [whole.subarray(0, whole.length - 6)];
    }
    case `big.${NAME}`:
    case `bigbroken.${NAME}`:
      return [dnsPacket.encode(reply(query, RCODE.NOERROR, [], dnsPacket.TRUNCATED_RESPONSE))];
    default:
      return [dnsPacket.encode(lookUp(query))];
  }
}

function handleTcp(socket: net.Socket): void {
  let received = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
    const query = dnsPacket.decode(received.subarray(2, 2 + received.readUInt16BE(0)));
    const name = query.questions?.[0]?.name.toLowerCase();
    if (name === `silent.${NAME}`) return;
    if (name === `bigbroken.${NAME}`) {
      socket.end();
      return;
    }
    socket.write(dnsPacket.streamEncode(lookUp(query)));
  });
}

interface DnsServer {
  port: number;
  close(): Promise<void>;
}

async function startDnsServer(): Promise<DnsServer> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (message, peer) => {
      for (const datagram of udpReplies(dnsPacket.decode(message))) udp.send(datagram, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;

    const sockets = new Set<net.Socket>();
    const tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      handleTcp(socket);
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      // The TCP side of this port is taken: try another one.
      udp.close();
      if (attempt >= 20) throw new Error('no port free for both UDP and TCP');
      continue;
    }
    return {
      port,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          udp.close(() => tcp.close(() => resolve()));
        }),
    };
  }
}

let server: DnsServer;
before(async () => {
  server = await startDnsServer();
});
after(() => server.close());

const poll = (params: Record<string, string>, timeoutMs?: number): Promise<PollOutcome> =>
  pollLocal(dnsMonitor, { port: String(server.port), ...params }, timeoutMs);

// ---------------------------------------------------------------------------

const upCases: Array<{ name: string; params: Record<string, string> }> = [
  { name: 'A record with the defaults (record-type A, NOERROR)', params: { lookup: `www.${NAME}` } },
  { name: 'A record matching expected-answer', params: { lookup: `www.${NAME}`, 'expected-answer': '10.0.0.1' } },
  { name: 'name asked in another case', params: { lookup: `WWW.Example.TEST`, 'expected-answer': '10.0.0.1' } },
  { name: 'fully qualified name (trailing dot)', params: { lookup: `www.${NAME}.`, 'expected-answer': '10.0.0.1' } },
  {
    name: 'AAAA compared canonically',
    params: { lookup: `www.${NAME}`, 'record-type': 'aaaa', 'expected-answer': '2001:DB8:0:0::1' },
  },
  { name: 'A behind a CNAME', params: { lookup: `alias.${NAME}`, 'expected-answer': '10.0.0.1', 'max-answers': '1' } },
  {
    name: 'CNAME, trailing dot ignored',
    params: { lookup: `alias.${NAME}`, 'record-type': 'CNAME', 'expected-answer': `www.${NAME}.` },
  },
  {
    name: 'MX in presentation form',
    params: { lookup: NAME, 'record-type': 'MX', 'expected-answer': `20 backup.${NAME}` },
  },
  { name: 'MX by regular expression', params: { lookup: NAME, 'record-type': 'MX', 'expected-answer': '~ mail\\.' } },
  { name: 'TXT strings joined', params: { lookup: NAME, 'record-type': 'TXT', 'expected-answer': 'v=spf1 -all' } },
  { name: 'NS', params: { lookup: NAME, 'record-type': 'NS', 'expected-answer': `ns1.${NAME}` } },
  {
    name: 'SOA by regular expression',
    params: {
      lookup: NAME,
      'record-type': 'SOA',
      'expected-answer': `~^ns1\\.${NAME} hostmaster\\.${NAME} 2024010101 `,
    },
  },
  {
    name: 'SRV',
    params: { lookup: `_sip._tcp.${NAME}`, 'record-type': 'SRV', 'expected-answer': `0 5 5060 sip.${NAME}` },
  },
  {
    name: 'PTR of an IPv4 address',
    params: { lookup: '10.0.0.1', 'record-type': 'PTR', 'expected-answer': `www.${NAME}` },
  },
  {
    name: 'PTR of an IPv6 address',
    params: { lookup: '2001:db8::1', 'record-type': 'PTR', 'expected-answer': `www.${NAME}` },
  },
  { name: 'answer count within bounds', params: { lookup: `multi.${NAME}`, 'min-answers': '3', 'max-answers': '3' } },
  { name: 'NOERROR without records (NODATA)', params: { lookup: `nodata.${NAME}` } },
  {
    name: 'NXDOMAIN listed in valid-response-codes',
    params: { lookup: `nope.${NAME}`, 'valid-response-codes': 'NOERROR, nxdomain' },
  },
  {
    name: 'NXDOMAIN not in OpenNMS fatal-response-codes "2"',
    params: { lookup: `nope.${NAME}`, 'fatal-response-codes': '2' },
  },
  {
    name: 'forged replies ignored (other id, other question)',
    params: { lookup: `spoof.${NAME}`, 'expected-answer': '10.0.0.7' },
  },
  {
    name: 'truncated UDP response asked again over TCP',
    params: { lookup: `big.${NAME}`, 'record-type': 'TXT', 'expected-answer': '~^record-19 ', 'min-answers': '20' },
  },
  { name: 'protocol tcp', params: { lookup: `www.${NAME}`, protocol: 'TCP', 'expected-answer': '10.0.0.1' } },
  { name: 'RD bit set by default', params: { lookup: `rd.${NAME}`, 'record-type': 'TXT', 'expected-answer': 'rd=1' } },
  {
    name: 'recursion-desired false clears the RD bit',
    params: { lookup: `rd.${NAME}`, 'record-type': 'TXT', 'expected-answer': 'rd=0', 'recursion-desired': 'false' },
  },
];

for (const { name, params } of upCases) {
  void test(`dns: UP, ${name}`, async () => {
    const outcome = await poll(params);
    assert.equal(outcome.status, 'UP', outcome.reason);
    assert.equal(outcome.reason, undefined);
    const ms = outcome.responseTimeMs ?? -1;
    assert.ok(ms >= 0 && ms < 2000, `responseTimeMs ${outcome.responseTimeMs}`);
  });
}

const downCases: Array<{ name: string; params: Record<string, string>; reason: string | RegExp }> = [
  { name: 'NXDOMAIN', params: { lookup: 'www.other.test' }, reason: 'rcode NXDOMAIN for www.other.test A' },
  {
    name: 'SERVFAIL',
    params: { lookup: `servfail.${NAME}`, 'record-type': 'MX' },
    reason: `rcode SERVFAIL for servfail.${NAME} MX`,
  },
  {
    name: 'REFUSED listed in fatal-response-codes',
    params: { lookup: `refused.${NAME}`, 'fatal-response-codes': '2,5' },
    reason: `rcode REFUSED for refused.${NAME} A`,
  },
  {
    name: 'NXDOMAIN not in numeric valid-response-codes',
    params: { lookup: `nope.${NAME}`, 'valid-response-codes': '0' },
    reason: `rcode NXDOMAIN for nope.${NAME} A`,
  },
  {
    name: 'no answer matches a value',
    params: { lookup: `www.${NAME}`, 'expected-answer': '10.0.0.9' },
    reason: 'no answer matched "10.0.0.9" (got 10.0.0.1)',
  },
  {
    name: 'no answer matches a regular expression, long list cut',
    params: { lookup: `many.${NAME}`, 'expected-answer': '~^10\\.0\\.2\\.' },
    reason: 'no answer matched "~^10\\.0\\.2\\." (got 10.0.1.1, 10.0.1.2, 10.0.1.3, 10.0.1.4, 10.0.1.5 and 2 more)',
  },
  {
    name: 'no records of the type to match',
    params: { lookup: `nodata.${NAME}`, 'expected-answer': '10.0.0.1' },
    reason: 'no answer matched "10.0.0.1" (got no A records)',
  },
  {
    name: 'CNAME in the chain does not count as an A answer',
    params: { lookup: `alias.${NAME}`, 'expected-answer': `www.${NAME}` },
    reason: `no answer matched "www.${NAME}" (got 10.0.0.1)`,
  },
  {
    name: 'fewer answers than min-answers',
    params: { lookup: `multi.${NAME}`, 'min-answers': '4' },
    reason: `3 A records for multi.${NAME}, expected at least 4`,
  },
  {
    name: 'no answer with min-answers 1',
    params: { lookup: `nodata.${NAME}`, 'min-answers': '1' },
    reason: `0 A records for nodata.${NAME}, expected at least 1`,
  },
  {
    name: 'more answers than max-answers',
    params: { lookup: `multi.${NAME}`, 'max-answers': '2' },
    reason: `3 A records for multi.${NAME}, expected at most 2`,
  },
  {
    name: 'malformed response',
    params: { lookup: `garbage.${NAME}` },
    reason: /^malformed response: \d+ bytes, its records need \d+$/,
  },
  {
    name: 'truncated response and TCP fails',
    params: { lookup: `bigbroken.${NAME}`, 'record-type': 'TXT' },
    reason: 'response truncated; TCP retry failed: connection closed before a complete response',
  },
];

for (const { name, params, reason } of downCases) {
  void test(`dns: DOWN, ${name}`, async () => {
    const outcome = await poll(params);
    assert.equal(outcome.status, 'DOWN');
    if (typeof reason === 'string') assert.equal(outcome.reason, reason);
    else assert.match(outcome.reason ?? '', reason);
    assert.equal(outcome.responseTimeMs, undefined);
  });
}

/** A port nothing listens on, for UDP and for TCP. */
async function closedPorts(): Promise<{ udp: number; tcp: number }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const udpPort = udp.address().port;
  await new Promise<void>((resolve) => udp.close(resolve));
  const tcp = net.createServer();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const tcpPort = (tcp.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  return { udp: udpPort, tcp: tcpPort };
}

void test('dns: DOWN "connection refused" when nothing listens (UDP: ICMP port unreachable; TCP)', async () => {
  const ports = await closedPorts();
  assert.deepEqual(await pollLocal(dnsMonitor, { port: String(ports.udp), lookup: `www.${NAME}` }), {
    status: 'DOWN',
    reason: 'connection refused',
  });
  assert.deepEqual(
    await pollLocal(dnsMonitor, { port: String(ports.tcp), lookup: `www.${NAME}`, protocol: 'tcp' }),
    { status: 'DOWN', reason: 'connection refused' },
  );
});

void test('dns: DOWN with the timeout reason when the server stays silent', async () => {
  for (const protocol of ['udp', 'tcp']) {
    const started = performance.now();
    const outcome = await poll({ lookup: `silent.${NAME}`, protocol }, 300);
    assert.deepEqual(outcome, { status: 'DOWN', reason: 'timeout after 300 ms' }, protocol);
    assert.ok(performance.now() - started < 5_000, `${protocol}: took ${performance.now() - started} ms`);
  }
});

void test('dns: DOWN with the timeout reason when the signal has already aborted', async () => {
  const target = { host: '127.0.0.1', params: { port: String(server.port), lookup: `www.${NAME}` }, timeoutMs: 1234 };
  assert.deepEqual(await parseAndPoll(dnsMonitor, target, AbortSignal.abort()), {
    status: 'DOWN',
    reason: 'timeout after 1234 ms',
  });
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: {}, reason: 'parameter "lookup" is required' },
  { params: { lookup: '  ' }, reason: 'parameter "lookup" is required' },
  { params: { lookup: 'two words.test' }, reason: 'parameter "lookup" must be a domain name, got "two words.test"' },
  { params: { lookup: 'a..test' }, reason: 'parameter "lookup" must be a domain name, got "a..test"' },
  {
    params: { lookup: `${'x'.repeat(64)}.test` },
    reason: `parameter "lookup" must be a domain name, got "${'x'.repeat(64)}.test"`,
  },
  {
    params: { lookup: NAME, 'record-type': 'ANY' },
    reason: 'parameter "record-type" must be one of A, AAAA, CNAME, MX, NS, TXT, SRV, SOA, PTR, got "ANY"',
  },
  { params: { lookup: NAME, port: '0' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "0"' },
  { params: { lookup: NAME, protocol: 'dot' }, reason: 'parameter "protocol" must be "udp" or "tcp", got "dot"' },
  {
    params: { lookup: NAME, 'recursion-desired': 'yes' },
    reason: 'parameter "recursion-desired" must be "true" or "false", got "yes"',
  },
  {
    params: { lookup: NAME, 'valid-response-codes': 'NOERROR,BOGUS' },
    reason:
      'parameter "valid-response-codes" must be response codes like "NOERROR,NXDOMAIN" or "0,3", ' +
      'got "NOERROR,BOGUS"',
  },
  {
    params: { lookup: NAME, 'fatal-response-codes': '2,16' },
    reason: 'parameter "fatal-response-codes" must be response codes like "NOERROR,NXDOMAIN" or "0,3", got "2,16"',
  },
  {
    params: { lookup: NAME, 'fatal-response-codes': '2', 'valid-response-codes': 'NOERROR' },
    reason: 'parameters "valid-response-codes" and "fatal-response-codes" cannot be used together',
  },
  {
    params: { lookup: NAME, 'min-answers': '-1' },
    reason: 'parameter "min-answers" must be an integer from 0 to 65535, got "-1"',
  },
  {
    params: { lookup: NAME, 'min-answers': '3', 'max-answers': '2' },
    reason: 'parameter "max-answers" (2) must not be less than "min-answers" (3)',
  },
  {
    params: { lookup: NAME, 'expected-answer': '~[' },
    reason:
      'parameter "expected-answer" is not a valid regular expression: ' +
      'Invalid regular expression: /[/: Unterminated character class',
  },
];

for (const { params, reason } of badParams) {
  void test(`dns: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await poll(params), { status: 'UNKNOWN', reason });
  });
}

void test('dns: reverseName', () => {
  const cases: Array<[string, string | undefined]> = [
    ['10.0.0.1', '1.0.0.10.in-addr.arpa'],
    ['2001:db8::1', `1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa`],
    ['::1', `1${'.0'.repeat(31)}.ip6.arpa`],
    ['::', `0${'.0'.repeat(31)}.ip6.arpa`],
    ['2001:DB8:1:2:3:4:5:6', '6.0.0.0.5.0.0.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'],
    ['::ffff:10.0.0.1', `1.0.0.0.0.0.a.0.f.f.f.f${'.0'.repeat(20)}.ip6.arpa`],
    ['www.example.test', undefined],
  ];
  for (const [address, expected] of cases) assert.equal(reverseName(address), expected, address);
});

void test('dns: parseResponseCodes', () => {
  const cases: Array<[string, number[] | undefined]> = [
    ['NOERROR', [0]],
    ['noerror, NXDOMAIN ,2', [0, 3, 2]],
    ['15', [15]],
    ['16', undefined],
    ['', undefined],
    ['NOERROR,', undefined],
    ['-1', undefined],
  ];
  for (const [spec, expected] of cases) {
    const codes = parseResponseCodes(spec);
    assert.deepEqual(codes === undefined ? undefined : [...codes], expected, spec);
  }
});
