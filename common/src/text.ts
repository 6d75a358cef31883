/**
 * Text the backend can store: no NUL character (PostgreSQL's text refuses
 * it) and no unpaired surrogate (not a character at all, so not encodable
 * as UTF-8). JSON can carry both (`\u0000`, `\ud800`), so they are refused
 * on arrival, and a poller cleans what it sends.
 */

/** A NUL, or a surrogate that is not half of a pair (the `u` flag reads pairs as one code point). */
const UNSTORABLE = /\0|\p{Cs}/u;
const UNSTORABLE_ALL = /\0|\p{Cs}/gu;

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * `text` made storable and at most `maxLength` UTF-16 units long: NULs and
 * unpaired surrogates become U+FFFD, and a cut never splits a pair.
 */
export function toStorableText(text: string, maxLength: number): string {
  let clean = text.replace(UNSTORABLE_ALL, '\uFFFD');
  if (clean.length > maxLength) {
    clean = clean.slice(0, maxLength);
    const last = clean.charCodeAt(clean.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) clean = clean.slice(0, -1);
  }
  return clean;
}
