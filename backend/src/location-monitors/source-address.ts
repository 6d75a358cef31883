/**
 * Source addresses of registrations, written one way: IPv4 as dotted quads
 * (an IPv4-mapped IPv6 address is its IPv4 address), IPv6 in RFC 5952's
 * short form, so "2001:DB8:0::7" typed by an administrator and "2001:db8::7"
 * from a socket are the same address.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The canonical form of an IP address, or null when `text` is not one. */
export function normalizeAddress(text: string): string | null {
  const address = text.trim();
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return null;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return compress(groups);
}

/**
 * What per-address limits count by: the address itself for IPv4, the /64
 * for IPv6 (one host usually holds a whole /64, and could otherwise hop
 * through it to get a fresh allowance at every call).
 */
export function limiterKey(address: string): string {
  const normalized = normalizeAddress(address);
  if (normalized === null) return address;
  if (isIPv4(normalized)) return normalized;
  return `${compress([...ipv6Groups(normalized).slice(0, 4), 0, 0, 0, 0])}/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, an IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16));
}

/** RFC 5952: lower case, no leading zeros, the longest run (two or more) of zero groups as "::". */
function compress(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
