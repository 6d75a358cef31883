/**
 * IP addresses and address ranges for package targets in the polling
 * configuration: `<specific>`, `<include-range begin end>` and
 * `<exclude-range begin end>` (after OpenNMS poller-configuration.xml).
 *
 * Addresses are held as bigints so IPv4 and IPv6 share one arithmetic: a
 * range's size, overlap and subtraction are plain comparisons and
 * subtractions, never loops over the addresses. Only `expandRanges`
 * enumerates, and only after it has counted arithmetically that the result
 * fits the caller's limit. Pure: no I/O, no DNS (host names are the caller's
 * business; `parseAddress` returns null for them).
 */
import { isIP } from 'node:net';

export type AddressFamily = 4 | 6;

/** An address as a number: IPv4 in 0..2^32-1, IPv6 in 0..2^128-1. */
export interface ParsedAddress {
  family: AddressFamily;
  value: bigint;
}

/** An inclusive range of addresses of one family; `begin <= end` (as made by `parseRange`). */
export interface AddressRange {
  family: AddressFamily;
  begin: bigint;
  end: bigint;
}

const MAX_VALUE: Record<AddressFamily, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** ::ffff:0:0/96, the IPv4-mapped block (RFC 4291 §2.5.5.2). */
const MAPPED_PREFIX = 0xffffn << 32n;
const MAPPED_MASK = ((1n << 96n) - 1n) << 32n;

/**
 * Parses an IPv4 dotted quad or an IPv6 address in any RFC 4291 spelling
 * (full, `::`-compressed, any letter case, leading zeros in groups).
 *
 * Returns null for anything else, so a caller can fall back to treating the
 * text as a host name. Also null, deliberately:
 * - IPv4 with leading zeros (`010.0.0.1`): some resolvers read them as octal,
 *   so the administrator's intent is ambiguous;
 * - IPv6 zone ids (`fe80::1%eth0`): a zone names an interface of one machine
 *   and means nothing to a poller elsewhere;
 * - IPv4-mapped IPv6 (`::ffff:10.0.0.1`, `::ffff:a00:1`) and any IPv6 with a
 *   dotted IPv4 tail: the poller would reach the IPv4 host, duplicating the
 *   plain IPv4 target under a second name; write the IPv4 address instead.
 * Surrounding whitespace is not trimmed; that is the caller's choice.
 */
export function parseAddress(text: string): ParsedAddress | null {
  const family = isIP(text);
  if (family === 4) return { family: 4, value: BigInt(parseIPv4(text)) };
  if (family !== 6 || text.includes('%') || text.includes('.')) return null;
  const value = parseIPv6(text);
  if (value === null || (value & MAPPED_MASK) === MAPPED_PREFIX) return null;
  return { family: 6, value };
}

/** `isIP` has already checked the shape: four decimal octets, 0..255, no leading zeros. */
function parseIPv4(text: string): number {
  let value = 0;
  for (const octet of text.split('.')) value = value * 256 + Number(octet);
  return value;
}

/**
 * Hex groups only (the caller has refused dotted tails). `isIP` has checked
 * the shape already; the checks here keep this function safe on its own.
 */
function parseIPv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  // Without `::` there must be exactly 8 groups; with it, `::` stands for at least one.
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

/**
 * The canonical text of an address: IPv4 as a dotted quad, IPv6 as RFC 5952
 * §4 recommends (lower case, no leading zeros, the longest run of two or more
 * zero groups compressed to `::`, the first such run on a tie). Mapped
 * addresses are not given the dotted form of §5, as `parseAddress` refuses
 * them; they only appear when a range spans ::ffff:0:0/96.
 *
 * Throws a RangeError for a value outside the family: that is a programming
 * error, not a configuration one.
 */
export function formatAddress(family: AddressFamily, value: bigint): string {
  if (value < 0n || value > MAX_VALUE[family]) {
    throw new RangeError(`${value} is not an IPv${family} address value`);
  }
  return family === 4 ? formatIPv4(Number(value)) : formatIPv6(value);
}

function formatIPv4(value: number): string {
  // `>>>` keeps the top octet unsigned; values here are below 2^32.
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // Longest run of zero groups; a strict `>` keeps the first on a tie.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: number[]): string => part.map((g) => g.toString(16)).join(':');
  // A single zero group is written `0`, not `::` (RFC 5952 §4.2.2).
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/**
 * Makes a range from an `<include-range>` or `<exclude-range>`'s begin and
 * end attributes. Returns a problem, worded for the administrator who wrote
 * the file, when they do not make a range; the addresses in messages are
 * quoted as written so they can be searched for in the file.
 */
export function parseRange(begin: string, end: string): AddressRange | string {
  const first = parseAddress(begin);
  if (!first) return `begin "${begin}" is not an IP address`;
  const last = parseAddress(end);
  if (!last) return `end "${end}" is not an IP address`;
  if (first.family !== last.family) return 'begin and end must both be IPv4 or both IPv6';
  if (last.value < first.value) return `end ${end} is before begin ${begin}`;
  return { family: first.family, begin: first.value, end: last.value };
}

/**
 * How many addresses a range holds. A bigint because an IPv6 range can hold
 * up to 2^128, far past what a number counts exactly.
 */
export function rangeSize(range: AddressRange): bigint {
  return range.end - range.begin + 1n;
}

/** IPv4 before IPv6, then by begin, then by end: the order `expandRanges` lists addresses in. */
function compareRanges(a: AddressRange, b: AddressRange): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.begin !== b.begin) return a.begin < b.begin ? -1 : 1;
  if (a.end !== b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

/**
 * The indices of two ranges that share an address, or null when none do.
 * Ranges of different families never overlap, and neither do adjacent ones
 * (10.0.0.1–10.0.0.9 and 10.0.0.10–10.0.0.20).
 *
 * Sorts and sweeps (O(n log n)) rather than comparing every pair, as a
 * package may list many ranges. The pair reported is the first overlap in
 * address order, with the smaller index first, so the same file always gives
 * the same message.
 */
export function findOverlap(ranges: AddressRange[]): [number, number] | null {
  const order = ranges.map((_, i) => i);
  // Ties fall back to the index so the result does not depend on the sort's stability.
  order.sort((i, j) => compareRanges(ranges[i]!, ranges[j]!) || i - j);
  // The range reaching furthest so far: any later range beginning at or before
  // its end overlaps it, and if none does, no earlier range can either.
  let reach: number | undefined;
  for (const index of order) {
    const range = ranges[index]!;
    const previous = reach === undefined ? undefined : ranges[reach]!;
    if (previous && previous.family === range.family && range.begin <= previous.end) {
      return reach! < index ? [reach!, index] : [index, reach!];
    }
    if (!previous || previous.family !== range.family || range.end > previous.end) reach = index;
  }
  return null;
}

/**
 * Every address in the includes and in no exclude, each once, ascending,
 * IPv4 before IPv6, as canonical text (`formatAddress`).
 *
 * Counts first, arithmetically, and returns `{ tooMany: count }` without
 * listing anything when the count exceeds `limit`, so a mistyped range such
 * as a /8 (16,777,216 addresses) or an IPv6 /64 costs nothing to reject. The
 * count is exact up to 2^53; beyond that it is the nearest number, which is
 * all a "too many" message needs. Includes may overlap (shared addresses are
 * listed once); excludes may reach outside the includes.
 */
export function expandRanges(
  includes: AddressRange[],
  excludes: AddressRange[],
  limit: number,
): { addresses: string[] } | { tooMany: number } {
  const kept = subtract(merge(includes), merge(excludes));
  const total = kept.reduce((sum, range) => sum + rangeSize(range), 0n);
  // bigint and number compare exactly, so no conversion can round the check.
  if (total > limit) return { tooMany: Number(total) };
  const addresses: string[] = [];
  for (const range of kept) {
    if (range.family === 4) {
      // Numbers rather than bigints: IPv4 fits, and this is the hot loop.
      const end = Number(range.end);
      for (let value = Number(range.begin); value <= end; value++) addresses.push(formatIPv4(value));
    } else {
      for (let value = range.begin; value <= range.end; value++) addresses.push(formatIPv6(value));
    }
  }
  return { addresses };
}

/** Sorted, disjoint, non-adjacent ranges covering the same addresses. */
function merge(ranges: AddressRange[]): AddressRange[] {
  const merged: AddressRange[] = [];
  for (const range of [...ranges].sort(compareRanges)) {
    const last = merged.at(-1);
    // Adjacent ranges join too, so a later subtraction sees one run, not two.
    if (last && last.family === range.family && range.begin <= last.end + 1n) {
      if (range.end > last.end) last.end = range.end;
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

/**
 * `includes` less `excludes`, both as `merge` returns them: one pass over
 * each, as both are sorted in the same order.
 */
function subtract(includes: AddressRange[], excludes: AddressRange[]): AddressRange[] {
  const result: AddressRange[] = [];
  let e = 0;
  for (const include of includes) {
    let begin = include.begin;
    // Skip excludes wholly before this include (earlier family, or ending before it).
    while (e < excludes.length && compareEnd(excludes[e]!, include.family, begin) < 0) e++;
    // Excludes are consumed only when they end inside this include; one reaching
    // past its end may also cut into the next include.
    let k = e;
    while (k < excludes.length) {
      const exclude = excludes[k]!;
      if (exclude.family !== include.family || exclude.begin > include.end) break;
      if (exclude.begin > begin) result.push({ family: include.family, begin, end: exclude.begin - 1n });
      if (exclude.end >= include.end) {
        begin = include.end + 1n;
        break;
      }
      begin = exclude.end + 1n;
      k++;
    }
    if (begin <= include.end) result.push({ family: include.family, begin, end: include.end });
    e = k;
  }
  return result;
}

/** Whether a range ends before (negative), at or after an address, families ordered 4 then 6. */
function compareEnd(range: AddressRange, family: AddressFamily, value: bigint): number {
  if (range.family !== family) return range.family - family;
  return range.end < value ? -1 : range.end > value ? 1 : 0;
}
