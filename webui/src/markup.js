/**
 * HTML as a string, for the few places where building it beats building
 * elements one by one: a list of a few hundred rich rows is parsed by the
 * browser in one go (`dangerouslySetInnerHTML`) several times faster than a
 * virtual DOM creates its elements. Everything interpolated is escaped
 * unless it is itself markup, so text from the configuration stays text.
 */

/** A piece of HTML made by `markup` (trusted: its own parts were escaped). */
export class Markup {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

/** @type {Record<string, string>} */
const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in an element or a quoted attribute. @param {string} text */
export const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/**
 * A tagged template: `markup\`<a href="${url}">${name}</a>\``. Values are
 * escaped; arrays are joined; null, undefined and false leave nothing.
 * @param {TemplateStringsArray} strings
 * @param {unknown[]} values
 */
export function markup(strings, ...values) {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += textOf(value) + (strings[i + 1] ?? '');
  });
  return new Markup(out);
}

/** @param {unknown} value @returns {string} */
function textOf(value) {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(textOf).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}
