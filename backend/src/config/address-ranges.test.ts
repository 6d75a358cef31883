import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandRanges, findOverlap, formatAddress, parseAddress, parseRange, rangeSize } from './address-ranges.ts';
import type { AddressRange } from './address-ranges.ts';

/** A range from begin/end text, failing the test with parseRange's problem when there is one. */
function range(begin: string, end: string): AddressRange {
  const parsed = parseRange(begin, end);
  if (typeof parsed === 'string') assert.fail(`${begin}–${end}: ${parsed}`);
  return parsed;
}

/** expandRanges' addresses, failing the test when it answered tooMany. */
function expand(includes: AddressRange[], excludes: AddressRange[], limit = 100_000): string[] {
  const result = expandRanges(includes, excludes, limit);
  if (!('addresses' in result)) assert.fail(`expected addresses, got tooMany ${result.tooMany}`);
  return result.addresses;
}

// Text, the family and value it parses to, and its canonical form.
const VALID: { text: string; family: 4 | 6; value: bigint; canonical: string }[] = [
  { text: '0.0.0.0', family: 4, value: 0n, canonical: '0.0.0.0' },
  { text: '10.0.0.1', family: 4, value: 0x0a000001n, canonical: '10.0.0.1' },
  { text: '192.168.255.254', family: 4, value: 0xc0a8fffen, canonical: '192.168.255.254' },
  { text: '255.255.255.255', family: 4, value: 0xffffffffn, canonical: '255.255.255.255' },
  { text: '::', family: 6, value: 0n, canonical: '::' },
  { text: '::1', family: 6, value: 1n, canonical: '::1' },
  { text: '2001:db8::1', family: 6, value: 0x20010db8000000000000000000000001n, canonical: '2001:db8::1' },
  {
    text: '2001:0db8:0000:0000:0000:0000:0000:0001',
    family: 6,
    value: 0x20010db8000000000000000000000001n,
    canonical: '2001:db8::1',
  },
  { text: '2001:DB8::Ab:CDEF', family: 6, value: 0x20010db8000000000000000000abcdefn, canonical: '2001:db8::ab:cdef' },
  { text: '2001:db8:0:0:1:0:0:1', family: 6, value: 0x20010db8000000000001000000000001n, canonical: '2001:db8::1:0:0:1' },
  // A single zero group is not compressed (RFC 5952 §4.2.2).
  { text: '2001:db8:0:1:1:1:1:1', family: 6, value: 0x20010db8000000010001000100010001n, canonical: '2001:db8:0:1:1:1:1:1' },
  // The longer run is compressed, not the first.
  { text: '2001:0:0:1:0:0:0:1', family: 6, value: 0x20010000000000010000000000000001n, canonical: '2001:0:0:1::1' },
  { text: '1:2:3:4:5:6:7::', family: 6, value: 0x00010002000300040005000600070000n, canonical: '1:2:3:4:5:6:7:0' },
  { text: 'fe80::', family: 6, value: 0xfe800000000000000000000000000000n, canonical: 'fe80::' },
  {
    text: 'FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
    family: 6,
    value: (1n << 128n) - 1n,
    canonical: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  },
];

void test('parseAddress reads IPv4 and IPv6 and formatAddress writes the canonical form', () => {
  for (const { text, family, value, canonical } of VALID) {
    assert.deepEqual(parseAddress(text), { family, value }, text);
    assert.equal(formatAddress(family, value), canonical, text);
    assert.deepEqual(parseAddress(canonical), { family, value }, canonical);
  }
});

const INVALID = [
  '',
  'router.example.com',
  '10.0.0',
  '10.0.0.x',
  '10.0.0.256',
  '10.0.0.1.2',
  '010.0.0.1',
  ' 10.0.0.1',
  '10.0.0.1 ',
  '-1.0.0.0',
  '2001:db8::1::2',
  '2001:db8:1:2:3:4:5:6:7',
  '2001:db8:1:2:3:4:5',
  '12345::1',
  'g::1',
  ':1',
  '1:',
  'fe80::1%eth0',
  '::ffff:10.0.0.1',
  '::ffff:a00:1',
  '::10.0.0.1',
  '[::1]',
];

void test('parseAddress refuses what is not a usable IP address', () => {
  for (const text of INVALID) assert.equal(parseAddress(text), null, JSON.stringify(text));
});

void test('formatAddress refuses values outside the family', () => {
  assert.throws(() => formatAddress(4, 1n << 32n), RangeError);
  assert.throws(() => formatAddress(4, -1n), RangeError);
  assert.throws(() => formatAddress(6, 1n << 128n), RangeError);
});

const RANGE_PROBLEMS: { begin: string; end: string; problem: string }[] = [
  { begin: '10.0.0.x', end: '10.0.0.9', problem: 'begin "10.0.0.x" is not an IP address' },
  { begin: '10.0.0.1', end: 'router', problem: 'end "router" is not an IP address' },
  { begin: '10.0.0.1', end: '', problem: 'end "" is not an IP address' },
  { begin: '10.0.0.1', end: '2001:db8::1', problem: 'begin and end must both be IPv4 or both IPv6' },
  { begin: '2001:db8::1', end: '10.0.0.1', problem: 'begin and end must both be IPv4 or both IPv6' },
  { begin: '10.0.0.9', end: '10.0.0.1', problem: 'end 10.0.0.1 is before begin 10.0.0.9' },
  { begin: '2001:db8::10', end: '2001:db8::f', problem: 'end 2001:db8::f is before begin 2001:db8::10' },
];

void test('parseRange explains invalid ranges', () => {
  for (const { begin, end, problem } of RANGE_PROBLEMS) assert.equal(parseRange(begin, end), problem, `${begin}–${end}`);
});

void test('parseRange and rangeSize', () => {
  const cases: { begin: string; end: string; size: bigint }[] = [
    { begin: '10.0.0.1', end: '10.0.0.1', size: 1n },
    { begin: '10.0.0.250', end: '10.0.1.5', size: 12n },
    { begin: '10.0.0.0', end: '10.255.255.255', size: 1n << 24n },
    { begin: '0.0.0.0', end: '255.255.255.255', size: 1n << 32n },
    { begin: '2001:db8::', end: '2001:db8::ffff:ffff:ffff:ffff', size: 1n << 64n },
    { begin: '::', end: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', size: 1n << 128n },
  ];
  for (const { begin, end, size } of cases) assert.equal(rangeSize(range(begin, end)), size, `${begin}–${end}`);
  assert.deepEqual(parseRange('10.0.0.1', '10.0.0.3'), { family: 4, begin: 0x0a000001n, end: 0x0a000003n });
});

const EXPANSIONS: { name: string; includes: [string, string][]; excludes: [string, string][]; expected: string[] }[] = [
  { name: 'single address', includes: [['10.0.0.1', '10.0.0.1']], excludes: [], expected: ['10.0.0.1'] },
  {
    name: 'crossing an octet boundary',
    includes: [['10.0.0.250', '10.0.1.5']],
    excludes: [],
    expected: [
      '10.0.0.250',
      '10.0.0.251',
      '10.0.0.252',
      '10.0.0.253',
      '10.0.0.254',
      '10.0.0.255',
      '10.0.1.0',
      '10.0.1.1',
      '10.0.1.2',
      '10.0.1.3',
      '10.0.1.4',
      '10.0.1.5',
    ],
  },
  {
    name: 'crossing every octet boundary',
    includes: [['9.255.255.254', '10.0.0.1']],
    excludes: [],
    expected: ['9.255.255.254', '9.255.255.255', '10.0.0.0', '10.0.0.1'],
  },
  {
    name: 'exclusion at the start',
    includes: [['10.0.0.1', '10.0.0.5']],
    excludes: [['10.0.0.0', '10.0.0.2']],
    expected: ['10.0.0.3', '10.0.0.4', '10.0.0.5'],
  },
  {
    name: 'exclusion in the middle',
    includes: [['10.0.0.1', '10.0.0.5']],
    excludes: [['10.0.0.3', '10.0.0.3']],
    expected: ['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5'],
  },
  {
    name: 'exclusion at the end',
    includes: [['10.0.0.1', '10.0.0.5']],
    excludes: [['10.0.0.4', '10.0.0.9']],
    expected: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
  },
  {
    name: 'exclusion covering everything',
    includes: [['10.0.0.1', '10.0.0.5']],
    excludes: [['10.0.0.0', '10.0.0.255']],
    expected: [],
  },
  {
    name: 'several exclusions, one spanning two includes',
    includes: [
      ['10.0.0.1', '10.0.0.4'],
      ['10.0.0.8', '10.0.0.12'],
    ],
    excludes: [
      ['10.0.0.2', '10.0.0.2'],
      ['10.0.0.4', '10.0.0.9'],
      ['10.0.0.11', '10.0.0.11'],
    ],
    expected: ['10.0.0.1', '10.0.0.3', '10.0.0.10', '10.0.0.12'],
  },
  {
    name: 'exclusions outside the includes, or of the other family',
    includes: [['10.0.0.1', '10.0.0.2']],
    excludes: [
      ['9.0.0.0', '9.255.255.255'],
      ['10.0.0.3', '10.0.0.9'],
      ['::', '::ffff'],
    ],
    expected: ['10.0.0.1', '10.0.0.2'],
  },
  {
    name: 'overlapping and unordered includes list each address once, ascending',
    includes: [
      ['10.0.0.5', '10.0.0.6'],
      ['10.0.0.1', '10.0.0.3'],
      ['10.0.0.2', '10.0.0.5'],
    ],
    excludes: [],
    expected: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'],
  },
  {
    name: 'IPv6 across a group boundary',
    includes: [['2001:db8::fffe', '2001:db8::1:1']],
    excludes: [['2001:db8::ffff', '2001:db8::ffff']],
    expected: ['2001:db8::fffe', '2001:db8::1:0', '2001:db8::1:1'],
  },
  {
    name: 'IPv4 listed before IPv6',
    includes: [
      ['2001:db8::1', '2001:db8::2'],
      ['10.0.0.1', '10.0.0.1'],
    ],
    excludes: [],
    expected: ['10.0.0.1', '2001:db8::1', '2001:db8::2'],
  },
];

void test('expandRanges lists the included addresses less the excluded ones', () => {
  for (const { name, includes, excludes, expected } of EXPANSIONS) {
    const toRanges = (pairs: [string, string][]): AddressRange[] => pairs.map(([b, e]) => range(b, e));
    assert.deepEqual(expand(toRanges(includes), toRanges(excludes)), expected, name);
  }
  assert.deepEqual(expand([], []), []);
});

const OVERLAPS: { name: string; ranges: [string, string][]; expected: [number, number] | null }[] = [
  { name: 'none', ranges: [], expected: null },
  { name: 'one range', ranges: [['10.0.0.1', '10.0.0.9']], expected: null },
  {
    name: 'adjacent',
    ranges: [
      ['10.0.0.10', '10.0.0.20'],
      ['10.0.0.1', '10.0.0.9'],
      ['10.0.0.21', '10.0.0.21'],
    ],
    expected: null,
  },
  {
    name: 'adjacent across an octet boundary',
    ranges: [
      ['10.0.0.250', '10.0.0.255'],
      ['10.0.1.0', '10.0.1.5'],
    ],
    expected: null,
  },
  {
    name: 'partial',
    ranges: [
      ['10.0.0.1', '10.0.0.10'],
      ['10.0.0.10', '10.0.0.20'],
    ],
    expected: [0, 1],
  },
  {
    name: 'nested, reported with the smaller index first',
    ranges: [
      ['10.0.0.5', '10.0.0.6'],
      ['10.0.0.1', '10.0.0.9'],
    ],
    expected: [0, 1],
  },
  {
    name: 'nested after a long range, past one that does not overlap',
    ranges: [
      ['10.0.0.1', '10.0.0.2'],
      ['10.0.1.0', '10.0.9.0'],
      ['10.0.0.3', '10.0.0.200'],
      ['10.0.5.0', '10.0.5.1'],
    ],
    expected: [1, 3],
  },
  {
    name: 'identical',
    ranges: [
      ['10.0.0.1', '10.0.0.1'],
      ['10.0.0.1', '10.0.0.1'],
    ],
    expected: [0, 1],
  },
  {
    name: 'different families never overlap',
    ranges: [
      ['0.0.0.0', '255.255.255.255'],
      ['::', '::ffff:ffff'],
    ],
    expected: null,
  },
  {
    name: 'IPv6',
    ranges: [
      ['10.0.0.1', '10.0.0.9'],
      ['2001:db8::1', '2001:db8::ff'],
      ['2001:db8::100', '2001:db8::1ff'],
      ['2001:db8::1f0', '2001:db8::2ff'],
    ],
    expected: [2, 3],
  },
];

void test('findOverlap', () => {
  for (const { name, ranges, expected } of OVERLAPS) {
    assert.deepEqual(findOverlap(ranges.map(([b, e]) => range(b, e))), expected, name);
  }
});

void test('expandRanges refuses a /8 over the limit without listing it', () => {
  const started = performance.now();
  const result = expandRanges([range('10.0.0.0', '10.255.255.255')], [], 100_000);
  const elapsed = performance.now() - started;
  assert.deepEqual(result, { tooMany: 16_777_216 });
  // Listing 16 million addresses takes seconds; counting takes microseconds.
  assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
});

void test('expandRanges counts after exclusions and against the limit exactly', () => {
  const includes = [range('10.0.0.1', '10.0.0.10')];
  assert.deepEqual(expandRanges(includes, [], 9), { tooMany: 10 });
  assert.equal(expand(includes, [], 10).length, 10);
  assert.equal(expand(includes, [range('10.0.0.1', '10.0.0.1')], 9).length, 9);
  assert.deepEqual(expandRanges([range('2001:db8::', '2001:db8::ffff:ffff:ffff:ffff')], [], 100_000), {
    tooMany: 2 ** 64,
  });
});

void test('expandRanges lists 10,000 addresses correctly and quickly', () => {
  const started = performance.now();
  const addresses = expand([range('10.0.0.1', '10.0.39.16')], [], 10_000);
  const elapsed = performance.now() - started;
  assert.equal(addresses.length, 10_000);
  assert.equal(addresses[0], '10.0.0.1');
  assert.equal(addresses[254], '10.0.0.255');
  assert.equal(addresses[255], '10.0.1.0');
  assert.equal(addresses.at(-1), '10.0.39.16');
  assert.equal(new Set(addresses).size, 10_000);
  // A generous ceiling: it takes a few milliseconds, and this only catches a
  // per-address cost gone badly wrong without failing on a busy machine.
  assert.ok(elapsed < 2_500, `took ${elapsed} ms`);
});
